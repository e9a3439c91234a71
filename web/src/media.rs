//! The media side of the configuration: the SFU's addresses and ports, and the STUN/TURN servers
//! handed to browsers with time-limited TURN REST credentials.

use anyhow::Context;
use balie_media::{MediaConfig, UdpPorts};
use balie_signaling::protocol::IceServer;
use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha1::Sha1;

use crate::config::{Config, Secret};

pub fn media_config(config: &Config) -> anyhow::Result<MediaConfig> {
    let udp = match &config.media_udp_range {
        Some(range) => {
            let (min, max) = range.split_once('-').context("BALIE_MEDIA_UDP_RANGE must look like 40000-40999")?;
            let (min, max): (u16, u16) = (min.trim().parse()?, max.trim().parse()?);
            anyhow::ensure!(min > 0 && min <= max, "BALIE_MEDIA_UDP_RANGE: give MIN-MAX with 0 < MIN <= MAX");
            UdpPorts::Range { min, max }
        }
        None => UdpPorts::Mux(config.media_udp_port),
    };
    Ok(MediaConfig {
        bind_ips: config.media_ips.clone(),
        udp,
        tcp_port: config.media_tcp_port,
        public_ips: config.media_public_ips.clone(),
    })
}

/// What browsers get as `iceServers`.
#[derive(Clone)]
pub struct IceConfig {
    urls: Vec<String>,
    turn_secret: Secret,
    turn_ttl: SignedDuration,
}

impl IceConfig {
    pub fn new(config: &Config) -> anyhow::Result<IceConfig> {
        for url in &config.ice_urls {
            anyhow::ensure!(
                ["stun:", "turn:", "turns:"].iter().any(|p| url.starts_with(p)),
                "BALIE_ICE_URLS: {url} is not a stun:, turn: or turns: URL"
            );
        }
        let has_turn = config.ice_urls.iter().any(|u| u.starts_with("turn"));
        anyhow::ensure!(!has_turn || !config.turn_secret.is_empty(), "TURN URLs need BALIE_TURN_SECRET");
        anyhow::ensure!(config.turn_ttl_minutes > 0, "BALIE_TURN_TTL_MINUTES must be positive");
        Ok(IceConfig {
            urls: config.ice_urls.clone(),
            turn_secret: config.turn_secret.clone(),
            turn_ttl: SignedDuration::from_mins(config.turn_ttl_minutes),
        })
    }

    /// STUN servers as they are; TURN servers with credentials for this participant that expire
    /// (the TURN REST scheme coturn implements: user `expiry:name`, password
    /// base64(HMAC-SHA1(secret, user))).
    pub fn servers_for(&self, participant: i64, now: Timestamp) -> Vec<IceServer> {
        let stun: Vec<String> = self.urls.iter().filter(|u| u.starts_with("stun:")).cloned().collect();
        let turn: Vec<String> = self.urls.iter().filter(|u| u.starts_with("turn")).cloned().collect();
        let mut out = Vec::new();
        if !stun.is_empty() {
            out.push(IceServer { urls: stun, username: None, credential: None });
        }
        if !turn.is_empty() {
            let (username, credential) = turn_credentials(&self.turn_secret, participant, now + self.turn_ttl);
            out.push(IceServer { urls: turn, username: Some(username), credential: Some(credential) });
        }
        out
    }
}

pub fn turn_credentials(secret: &Secret, participant: i64, expires: Timestamp) -> (String, String) {
    let username = format!("{}:balie-{participant}", expires.as_second());
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    let credential = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username, credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_rest_credentials_match_coturn() {
        // Computed independently: printf '1800000000:balie-7' | openssl dgst -sha1 -hmac s3cret -binary | base64
        let secret: Secret = "s3cret".parse().unwrap();
        let (user, pass) = turn_credentials(&secret, 7, Timestamp::from_second(1_800_000_000).unwrap());
        assert_eq!(user, "1800000000:balie-7");
        assert_eq!(pass, "bntYBgSUIv1/SuCmg20csAa7pt8=");
    }
}

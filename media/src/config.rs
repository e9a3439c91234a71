//! Where the SFU listens and what it announces.

use crate::Error;
use std::net::IpAddr;

#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Addresses the SFU binds and announces as host candidates (127.0.0.1 in tests). Never any
    /// other.
    pub bind_ips: Vec<IpAddr>,
    /// UDP for host candidates: a port range, or one port muxing all peers.
    pub udp: UdpPorts,
    /// Passive ICE-TCP fallback port, if any (None = off).
    ///
    /// webrtc 0.21.1 binds one TCP listener per peer connection and cannot share a listener
    /// between them, so only `Some(0)` (an ephemeral listener per peer connection) works; a fixed
    /// port is refused with [`Error::Unsupported`] by [`Sfu::start`](crate::Sfu::start).
    pub tcp_port: Option<u16>,
    /// NAT 1:1: announce these instead of bind_ips (empty = announce bind_ips). Either one
    /// address for all bind_ips, or one per bind_ip in the same order.
    pub public_ips: Vec<IpAddr>,
}

/// How host-candidate UDP ports are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpPorts {
    /// Each peer connection takes one free port of `min..=max` (on every bind address) and gives
    /// it back when it closes, so the range bounds the number of concurrent participants.
    Range { min: u16, max: u16 },
    /// One port shared by all peers. webrtc 0.21.1 has no UDP mux (every peer connection binds its
    /// own socket), so only `Mux(0)` is accepted, meaning "any free port per peer connection".
    Mux(u16),
}

impl MediaConfig {
    /// A configuration that binds and announces only 127.0.0.1 on ephemeral ports: for tests.
    pub fn loopback() -> Self {
        MediaConfig {
            bind_ips: vec![IpAddr::from([127, 0, 0, 1])],
            udp: UdpPorts::Mux(0),
            tcp_port: None,
            public_ips: Vec::new(),
        }
    }

    /// Refuses what the engine cannot do before any socket is opened, so a bad deployment fails at
    /// start-up and not at the first call.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.bind_ips.is_empty() {
            return Err(Error::Unsupported(
                "bind_ips is empty: the media server needs at least one address to bind".into(),
            ));
        }
        if let Some(ip) = self.bind_ips.iter().find(|ip| ip.is_unspecified()) {
            return Err(Error::Unsupported(format!(
                "bind address {ip} is a wildcard: list the interface addresses to use"
            )));
        }
        match self.udp {
            UdpPorts::Mux(0) => {}
            UdpPorts::Mux(port) => {
                return Err(Error::Unsupported(format!(
                    "UDP mux on port {port}: webrtc 0.21.1 binds one socket per peer connection; \
                     configure a port range instead"
                )))
            }
            UdpPorts::Range { min, max } if min == 0 || min > max => {
                return Err(Error::Unsupported(format!("UDP port range {min}-{max} is empty or starts at 0")))
            }
            UdpPorts::Range { .. } => {}
        }
        if let Some(port @ 1..) = self.tcp_port {
            return Err(Error::Unsupported(format!(
                "ICE-TCP on fixed port {port}: webrtc 0.21.1 cannot share one TCP listener \
                 between peer connections (only an ephemeral port per peer, tcp_port = 0)"
            )));
        }
        let (publics, binds) = (self.public_ips.len(), self.bind_ips.len());
        if publics > 1 && publics != binds {
            return Err(Error::Unsupported(format!(
                "{publics} public_ips for {binds} bind_ips: give one, or one per bind address"
            )));
        }
        Ok(())
    }

    /// The address announced for a bound one (NAT 1:1), or `None` to announce it as it is.
    pub(crate) fn announced(&self, bound: IpAddr) -> Option<IpAddr> {
        match self.public_ips.as_slice() {
            [] => None,
            [one] => Some(*one),
            many => self.bind_ips.iter().position(|ip| *ip == bound).and_then(|index| many.get(index).copied()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> MediaConfig {
        MediaConfig::loopback()
    }

    #[test]
    fn loopback_config_is_valid() {
        config().validate().unwrap();
    }

    #[test]
    fn a_fixed_mux_port_and_a_fixed_tcp_port_are_refused_as_unsupported() {
        let mux = MediaConfig { udp: UdpPorts::Mux(3478), ..config() };
        assert!(matches!(mux.validate(), Err(Error::Unsupported(_))));
        let tcp = MediaConfig { tcp_port: Some(443), ..config() };
        assert!(matches!(tcp.validate(), Err(Error::Unsupported(_))));
        let ephemeral_tcp = MediaConfig { tcp_port: Some(0), ..config() };
        ephemeral_tcp.validate().unwrap();
    }

    #[test]
    fn empty_or_wildcard_bind_addresses_are_refused() {
        let empty = MediaConfig { bind_ips: vec![], ..config() };
        assert!(empty.validate().is_err());
        let wildcard = MediaConfig { bind_ips: vec![IpAddr::from([0, 0, 0, 0])], ..config() };
        assert!(wildcard.validate().is_err());
    }

    #[test]
    fn an_inverted_port_range_is_refused() {
        let range = MediaConfig { udp: UdpPorts::Range { min: 5000, max: 4000 }, ..config() };
        assert!(range.validate().is_err());
    }

    #[test]
    fn public_ips_map_one_for_all_or_pairwise() {
        let a = IpAddr::from([10, 0, 0, 1]);
        let b = IpAddr::from([10, 0, 0, 2]);
        let pa = IpAddr::from([192, 0, 2, 1]);
        let pb = IpAddr::from([192, 0, 2, 2]);
        let one = MediaConfig { bind_ips: vec![a, b], public_ips: vec![pa], ..config() };
        assert_eq!(one.announced(b), Some(pa));
        let pairwise = MediaConfig { bind_ips: vec![a, b], public_ips: vec![pa, pb], ..config() };
        pairwise.validate().unwrap();
        assert_eq!(pairwise.announced(b), Some(pb));
        assert_eq!(config().announced(a), None);
        let mismatched = MediaConfig { bind_ips: vec![a], public_ips: vec![pa, pb], ..config() };
        assert!(mismatched.validate().is_err());
    }
}

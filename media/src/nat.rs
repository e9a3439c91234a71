//! NAT 1:1: announce the public address in place of the bound one.
//!
//! webrtc 0.21.1 stores `SettingEngine::with_nat_1to1_ips` but its async layer never applies it:
//! host candidates always name the socket's own address. So the SFU rewrites the address field of
//! its outgoing candidates (trickled and in SDP) instead. The ICE agent keeps using the bound
//! address as the candidate's base, which is what a 1:1 NAT needs: checks sent to the public address
//! arrive on the bound socket.

use std::net::IpAddr;

/// Rewrites the connection-address field of one candidate attribute (`candidate:...`, with or
/// without the `a=` prefix). Anything that does not parse is returned unchanged.
pub(crate) fn rewrite_candidate(candidate: &str, announce: impl Fn(IpAddr) -> Option<IpAddr>) -> String {
    // RFC 8839 §5.1: foundation component transport priority connection-address port "typ" type ...
    let fields: Vec<&str> = candidate.split(' ').collect();
    let Some(address) = fields.get(4) else {
        return candidate.to_owned();
    };
    let Some(public) = address.parse().ok().and_then(&announce) else {
        return candidate.to_owned();
    };
    let public = public.to_string();
    let mut out: Vec<&str> = fields.clone();
    out[4] = &public;
    out.join(" ")
}

/// Rewrites every `a=candidate:` line of a session description.
pub(crate) fn rewrite_sdp(sdp: &str, announce: impl Fn(IpAddr) -> Option<IpAddr> + Copy) -> String {
    let mut out = String::with_capacity(sdp.len());
    for line in sdp.split_inclusive('\n') {
        if line.starts_with("a=candidate:") {
            let (body, ending) = match line.strip_suffix("\r\n") {
                Some(body) => (body, "\r\n"),
                None => (line.trim_end_matches('\n'), if line.ends_with('\n') { "\n" } else { "" }),
            };
            out.push_str(&rewrite_candidate(body, announce));
            out.push_str(ending);
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIVATE: &str = "10.0.0.5";
    const PUBLIC: &str = "192.0.2.7";

    fn to_public(ip: IpAddr) -> Option<IpAddr> {
        (ip == PRIVATE.parse::<IpAddr>().unwrap()).then(|| PUBLIC.parse().unwrap())
    }

    #[test]
    fn rewrites_the_address_and_keeps_everything_else() {
        let candidate = "candidate:1 1 udp 2130706431 10.0.0.5 50000 typ host generation 0";
        assert_eq!(
            rewrite_candidate(candidate, to_public),
            "candidate:1 1 udp 2130706431 192.0.2.7 50000 typ host generation 0"
        );
    }

    #[test]
    fn leaves_other_addresses_and_garbage_alone() {
        let other = "candidate:1 1 udp 2130706431 10.9.9.9 50000 typ host";
        assert_eq!(rewrite_candidate(other, to_public), other);
        assert_eq!(rewrite_candidate("garbage", to_public), "garbage");
        assert_eq!(rewrite_candidate("", to_public), "");
    }

    #[test]
    fn rewrites_candidate_lines_of_an_sdp_and_keeps_line_endings() {
        let sdp = "v=0\r\na=candidate:1 1 udp 1 10.0.0.5 4000 typ host\r\na=mid:0\r\n";
        assert_eq!(rewrite_sdp(sdp, to_public), "v=0\r\na=candidate:1 1 udp 1 192.0.2.7 4000 typ host\r\na=mid:0\r\n");
    }
}

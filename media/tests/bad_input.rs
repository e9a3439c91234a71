//! Garbage and out-of-order calls from the signalling layer are refused with errors, never panics,
//! and leave the SFU usable.

mod common;

use balie_media::{Error, IceCandidate, MediaConfig, PeerKey, Sfu, UdpPorts};

const PEER: PeerKey = PeerKey { call: 7, participant: 1 };

fn candidate(text: &str) -> IceCandidate {
    IceCandidate { candidate: text.into(), sdp_mid: Some("0".into()), sdp_m_line_index: Some(0) }
}

#[test]
fn calls_for_unknown_peers_are_refused() {
    common::run(async {
        let (sfu, _events) = Sfu::start(MediaConfig::loopback()).await.unwrap();
        assert!(matches!(sfu.offer(PEER, "v=0".into()).await, Err(Error::UnknownPeer(p)) if p == PEER));
        assert!(matches!(sfu.answer(PEER, "v=0".into()).await, Err(Error::UnknownPeer(_))));
        let early = sfu.candidate(PEER, candidate("candidate:1 1 udp 1 127.0.0.1 9 typ host")).await;
        assert!(matches!(early, Err(Error::UnknownPeer(_))), "candidate before join");
        assert!(matches!(sfu.restart_ice(PEER).await, Err(Error::UnknownPeer(_))));
        sfu.leave(PEER).await;
        sfu.end_call(PEER.call).await;
        assert!(sfu.stats(PEER.call).await.is_empty());
        let err = sfu.offer(PEER, String::new()).await.unwrap_err();
        assert_eq!(err.code(), "media_unknown_peer");
        assert!(err.to_string().contains("participant 1 in call 7"), "{err}");
    });
}

#[test]
fn garbage_descriptions_and_candidates_are_refused_and_the_peer_stays_usable() {
    common::run(async {
        let (sfu, _events) = Sfu::start(MediaConfig::loopback()).await.unwrap();
        sfu.join(PEER).await.unwrap();
        for garbage in ["", "hello", "v=0\r\nm=audio x\r\n", "\u{0}\u{1}\u{2}"] {
            let err = sfu.offer(PEER, garbage.into()).await.unwrap_err();
            assert!(matches!(err, Error::Sdp(_)), "{garbage:?}: {err:?}");
        }
        let err = sfu.answer(PEER, "v=0".into()).await.unwrap_err();
        assert!(matches!(err, Error::Sdp(_)), "an answer with no server offer: {err:?}");
        // Before any remote description candidates are kept for later, whatever they hold; the
        // engine judges them once it can.
        sfu.candidate(PEER, candidate("not a candidate")).await.unwrap();
        sfu.restart_ice(PEER).await.unwrap();
        assert_eq!(sfu.peer_count(), 1);
        sfu.leave(PEER).await;
        assert_eq!(sfu.peer_count(), 0);
        // A second join of the same participant after leaving works.
        sfu.join(PEER).await.unwrap();
        sfu.join(PEER).await.unwrap();
        assert_eq!(sfu.peer_count(), 1, "joining again replaces the connection");
        sfu.close().await;
        assert_eq!(sfu.peer_count(), 0);
        assert!(sfu.join(PEER).await.is_err(), "no joins after close");
    });
}

#[test]
fn unsupported_configurations_are_refused_at_start() {
    let refuse = |config: MediaConfig| {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async { Sfu::start(config).await.err() })
    };
    let mux = MediaConfig { udp: UdpPorts::Mux(3478), ..MediaConfig::loopback() };
    assert!(matches!(refuse(mux), Some(Error::Unsupported(_))));
    let tcp = MediaConfig { tcp_port: Some(443), ..MediaConfig::loopback() };
    assert!(matches!(refuse(tcp), Some(Error::Unsupported(_))));
}

#[test]
fn a_port_range_bounds_the_number_of_participants() {
    common::run(async {
        let min = two_free_ports_outside_the_ephemeral_range();
        let config = MediaConfig { udp: UdpPorts::Range { min, max: min + 1 }, ..MediaConfig::loopback() };
        let (sfu, _events) = Sfu::start(config).await.unwrap();
        let peer = |participant| PeerKey { call: 1, participant };
        sfu.join(peer(1)).await.unwrap();
        sfu.join(peer(2)).await.unwrap();
        let full = sfu.join(peer(3)).await.unwrap_err();
        assert!(matches!(full, Error::Engine(_)), "{full:?}");
        sfu.leave(peer(1)).await;
        sfu.join(peer(3)).await.unwrap();
        sfu.close().await;
    });
}

/// Two adjacent free UDP ports above Linux's ephemeral range (32768–60999 by default): a range
/// inside it was taken now and then by some other test's ephemeral socket (seen in CI).
fn two_free_ports_outside_the_ephemeral_range() -> u16 {
    let ephemeral_max = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().nth(1)?.parse::<u16>().ok())
        .unwrap_or(60999);
    (ephemeral_max.saturating_add(1)..u16::MAX - 1)
        .find(|&port| {
            let free = |p: u16| std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok();
            free(port) && free(port + 1)
        })
        .expect("two free UDP ports above the ephemeral range")
}

//! Three participants publish audio and video through the SFU on loopback; each receives the
//! others' packets intact and in order, keyframes are requested, `leave` is renegotiated, and the
//! stats see the traffic.

mod common;

use balie_media::{MediaConfig, PeerKey, Sfu};
use common::client::{spawn_signalling, trickle_to_sfu, Client, Kind};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CALL: i64 = 1;
const TICK: Duration = Duration::from_millis(20);

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Checks what `receiver` got from `publisher` of one kind: intact payloads, strictly increasing
/// counters (in order, no duplicates), and at most 2% missing after the first packet that arrived.
fn check_stream(receiver: &Client, publisher: &Client, kind: Kind) -> (usize, usize) {
    let record = receiver.record.lock().unwrap();
    let got: Vec<_> = record.received.iter().filter(|r| r.kind == kind && r.publisher == publisher.id).collect();
    let sent = if kind == Kind::Audio {
        publisher.sent_audio.load(Ordering::SeqCst)
    } else {
        publisher.sent_video.load(Ordering::SeqCst)
    };
    assert!(!got.is_empty(), "{} got no {kind} from {}", receiver.id, publisher.id);
    assert!(got.iter().all(|r| r.intact), "{kind} payload from {} altered", publisher.id);
    for pair in got.windows(2) {
        assert!(pair[1].counter > pair[0].counter, "{kind} from {} out of order: {pair:?}", publisher.id);
        assert_eq!(pair[1].seq, pair[0].seq.wrapping_add((pair[1].counter - pair[0].counter) as u16));
    }
    if kind == Kind::Video {
        assert!(got[0].keyframe, "video {}→{} must start at a keyframe", publisher.id, receiver.id);
    }
    let first = got[0].counter;
    let last = got.last().unwrap().counter;
    let expected = (last - first + 1) as usize;
    let missing = expected - got.len();
    assert!(missing * 50 <= expected, "{kind} {}→{}: {missing} of {expected} missing", publisher.id, receiver.id);
    assert!(sent - last <= 25, "{kind} {}→{}: stream stalled at {last} of {sent}", publisher.id, receiver.id);
    (got.len(), expected)
}

#[test]
fn three_participants_receive_each_others_audio_and_video_intact() {
    common::run(async {
        let (sfu, events) = Sfu::start(MediaConfig::loopback()).await.unwrap();
        let clients: Arc<Mutex<HashMap<PeerKey, Arc<Client>>>> = Arc::default();
        let signalling = spawn_signalling(sfu.clone(), events, Arc::clone(&clients));

        let mut joined = Vec::new();
        for participant in 1..=3 {
            let key = PeerKey { call: CALL, participant };
            let client = Client::new(key).await;
            clients.lock().unwrap().insert(key, Arc::clone(&client));
            trickle_to_sfu(&client, &sfu);
            sfu.join(key).await.unwrap();
            client.publish(&sfu).await;
            joined.push(client);
        }
        let [a, b, c] = [&joined[0], &joined[1], &joined[2]];

        // Send for a while from everyone.
        let senders = joined.clone();
        let sending = tokio::spawn(async move {
            loop {
                for client in &senders {
                    client.send_tick().await;
                }
                tokio::time::sleep(TICK).await;
            }
        });
        wait_for("every stream to flow", Duration::from_secs(20), || {
            joined.iter().all(|receiver| {
                let record = receiver.record.lock().unwrap();
                joined.iter().filter(|p| p.id != receiver.id).all(|publisher| {
                    [Kind::Audio, Kind::Video].iter().all(|kind| {
                        record.received.iter().filter(|r| r.kind == *kind && r.publisher == publisher.id).count() > 50
                    })
                })
            })
        })
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;

        let stats = sfu.stats(CALL).await;
        let mut totals = (0, 0);
        for receiver in &joined {
            for publisher in joined.iter().filter(|p| p.id != receiver.id) {
                for kind in [Kind::Audio, Kind::Video] {
                    let (got, expected) = check_stream(receiver, publisher, kind);
                    totals.0 += got;
                    totals.1 += expected;
                }
            }
        }
        let discarded: usize = joined.iter().map(|c| c.record.lock().unwrap().discarded_before_keyframe).sum();
        println!(
            "forwarded packets received {} of {} expected ({discarded} video packets before a first keyframe discarded)",
            totals.0, totals.1
        );

        // Each subscriber start asked each publisher for a keyframe.
        for publisher in &joined {
            assert!(publisher.plis.load(Ordering::SeqCst) >= 1, "{} got no PLI", publisher.id);
        }

        assert_eq!(stats.len(), 3);
        for peer in &stats {
            println!("{peer:?}");
            assert!(peer.bitrate_in_bps > 10_000, "{peer:?}");
            assert!(peer.bitrate_out_bps > 10_000, "{peer:?}");
            assert!(peer.packets_in > 100 && peer.packets_out > 100, "{peer:?}");
            assert!(peer.rtt_ms.is_some_and(|rtt| rtt < 100.0), "loopback RTT: {peer:?}");
            assert!(peer.jitter_ms.is_some_and(|jitter| jitter < 50.0), "loopback jitter: {peer:?}");
        }
        assert_eq!(sfu.peer_count(), 3);

        // C leaves: A and B get an offer without C's tracks.
        let offers_before: Vec<usize> = [a, b].iter().map(|x| x.record.lock().unwrap().offers.len()).collect();
        sfu.leave(c.key).await;
        c.close().await;
        wait_for("offers removing C's tracks", Duration::from_secs(10), || {
            [a, b].iter().zip(&offers_before).all(|(x, before)| {
                let record = x.record.lock().unwrap();
                record.offers.len() > *before && !record.offers.last().unwrap().contains("participant-3-")
            })
        })
        .await;
        for x in [a, b] {
            let record = x.record.lock().unwrap();
            assert!(
                record.offers.iter().any(|offer| offer.contains("participant-3-")),
                "an earlier offer to {} carried C's tracks",
                x.id
            );
        }
        assert_eq!(sfu.peer_count(), 2);
        // A and B keep receiving each other.
        let before = a.record.lock().unwrap().received.len();
        wait_for("A to keep receiving B", Duration::from_secs(5), || {
            a.record.lock().unwrap().received.len() > before + 50
        })
        .await;

        sending.abort();
        sfu.end_call(CALL).await;
        assert_eq!(sfu.peer_count(), 0);
        assert!(sfu.stats(CALL).await.is_empty());
        for client in &joined {
            client.close().await;
        }
        signalling.abort();
        sfu.close().await;
    });
}

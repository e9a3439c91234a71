//! Leak soak: participants join, publish, connect, exchange media and leave, over and over. The
//! SFU must end with no live peer connection, no extra tasks, and bounded RSS.
//!
//! `cargo bench -p balie-media --bench soak` runs 1,000 cycles; without `--bench` (as
//! `cargo test --all-targets` runs it) 30. Runs in its own loopback-only network namespace.

#[path = "../tests/common/mod.rs"]
mod common;

use balie_media::{MediaConfig, MediaEvent, PeerKey, PeerState, Sfu};
use common::client::{spawn_signalling, trickle_to_sfu, Client, Kind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// RSS may grow this much over the whole soak (allocator arenas and caches settle in the first
/// cycles); a leaked peer connection costs far more than this divided by the cycle count.
const RSS_GROWTH_LIMIT_KIB: u64 = 48 * 1024;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

fn tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

struct Snapshot {
    rss_kib: u64,
    peers: usize,
    tasks: usize,
}

fn snapshot(sfu: &Sfu) -> Snapshot {
    Snapshot { rss_kib: rss_kib(), peers: sfu.peer_count(), tasks: tasks() }
}

/// One cycle: two participants of a fresh call join, publish, see each other's media, and leave.
async fn cycle(
    sfu: &Sfu,
    clients: &Arc<Mutex<HashMap<PeerKey, Arc<Client>>>>,
    states: &Arc<Mutex<HashMap<PeerKey, PeerState>>>,
    call: i64,
) {
    let mut pair = Vec::new();
    for participant in 1..=2 {
        let key = PeerKey { call, participant };
        let client = Client::new(key).await;
        clients.lock().unwrap().insert(key, Arc::clone(&client));
        trickle_to_sfu(&client, sfu);
        sfu.join(key).await.expect("join");
        client.publish(sfu).await;
        pair.push(client);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        for client in &pair {
            client.send_tick().await;
        }
        let connected = pair.iter().all(|c| states.lock().unwrap().get(&c.key) == Some(&PeerState::Connected));
        // Both kinds from the other participant: a track the SFU failed to publish shows here.
        let flowing = pair.iter().all(|c| {
            let record = c.record.lock().unwrap();
            [Kind::Audio, Kind::Video]
                .iter()
                .all(|kind| record.received.iter().filter(|r| r.kind == *kind).count() >= 2)
        });
        if connected && flowing {
            break;
        }
        if Instant::now() >= deadline {
            let states = states.lock().unwrap();
            for c in &pair {
                let record = c.record.lock().unwrap();
                eprintln!(
                    "{:?}: sfu state {:?}, client states {:?}, received {}, offers {}, PLIs {}",
                    c.key,
                    states.get(&c.key),
                    record.states,
                    record.received.len(),
                    record.offers.len(),
                    c.plis.load(std::sync::atomic::Ordering::SeqCst)
                );
            }
            panic!("cycle {call}: media did not flow within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for client in &pair {
        sfu.leave(client.key).await;
        client.close().await;
        clients.lock().unwrap().remove(&client.key);
        states.lock().unwrap().remove(&client.key);
    }
}

fn main() {
    let cycles: i64 = if std::env::args().any(|arg| arg == "--bench") { 1000 } else { 30 };
    let warmup = 5;
    // The SFU's warnings (a failed server offer, a refused subscription) explain a stalled cycle.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            std::env::var("SOAK_LOG").unwrap_or("balie_media=warn".into()),
        ))
        .with_writer(std::io::stderr)
        .init();
    let mut failed = false;
    common::run(async {
        let (sfu, mut events) = Sfu::start(MediaConfig::loopback()).await.expect("start");
        // Watch connection states on the way to the signalling loop.
        let states: Arc<Mutex<HashMap<PeerKey, PeerState>>> = Arc::default();
        let (forward, forwarded) = tokio::sync::mpsc::unbounded_channel();
        let watched = Arc::clone(&states);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let MediaEvent::State { peer, state } = &event {
                    watched.lock().unwrap().insert(*peer, *state);
                }
                let _ = forward.send(event);
            }
        });
        let clients: Arc<Mutex<HashMap<PeerKey, Arc<Client>>>> = Arc::default();
        let _signalling = spawn_signalling(sfu.clone(), forwarded, Arc::clone(&clients));

        for call in 0..warmup {
            cycle(&sfu, &clients, &states, -1 - call).await;
        }
        settle().await;
        let before = snapshot(&sfu);
        let started = Instant::now();
        for call in 1..=cycles {
            cycle(&sfu, &clients, &states, call).await;
            if call % 100 == 0 {
                let now = snapshot(&sfu);
                println!("cycle {call:>5}: rss {:>7} KiB, peers {}, tasks {}", now.rss_kib, now.peers, now.tasks);
            }
        }
        let per_cycle = started.elapsed() / cycles as u32;
        settle().await;
        let after = snapshot(&sfu);

        println!();
        println!("soak: {cycles} cycles (2 participants each: join, publish, connect, forward, leave)");
        println!("{:<12} {:>12} {:>12}", "", "baseline", "after");
        println!("{:<12} {:>12} {:>12}", "RSS (KiB)", before.rss_kib, after.rss_kib);
        println!("{:<12} {:>12} {:>12}", "peer_count", before.peers, after.peers);
        println!("{:<12} {:>12} {:>12}", "tokio tasks", before.tasks, after.tasks);
        println!("time per cycle: {per_cycle:?}; RSS growth limit {RSS_GROWTH_LIMIT_KIB} KiB");

        if after.peers != 0 {
            eprintln!("FAIL: {} peer connections still alive", after.peers);
            failed = true;
        }
        if after.tasks > before.tasks + 4 {
            eprintln!("FAIL: tokio tasks grew from {} to {}", before.tasks, after.tasks);
            failed = true;
        }
        if after.rss_kib > before.rss_kib + RSS_GROWTH_LIMIT_KIB {
            eprintln!("FAIL: RSS grew by {} KiB", after.rss_kib - before.rss_kib);
            failed = true;
        }
        sfu.close().await;
    });
    if failed {
        std::process::exit(1);
    }
    println!("soak passed");
}

/// Lets closed connections finish their drivers before measuring.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

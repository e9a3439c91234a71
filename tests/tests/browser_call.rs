//! A three-way video call in real browsers: the real server (SQLite, the signalling hub and the
//! SFU in-process), three headless Chromiums with fake cameras and microphones (tests/e2e/call.mjs,
//! playwright-core), all inside a loopback-only network namespace.
//!
//! The agent creates the call through the API; the citizen and the guest open their personal links
//! and wait in the lobby without any media or roster; the agent admits them by clicking; then every
//! page must decode video and audio from the two others (growing `framesDecoded` and
//! `totalSamplesReceived` in `RTCPeerConnection.getStats()`). call.mjs makes the in-browser
//! assertions and prints a JSON summary; this test fails when it exits non-zero.
//!
//! Needs root (for the namespace), `node`, `/usr/bin/chromium` and `npm ci` in tests/e2e; it fails
//! loudly, never skips, when one is missing. scripts/test installs them.

use std::net::Ipv4Addr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use balie_tests::browser::{self, run_script};
use serde_json::json;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Network {
    /// Loopback as it is: ICE picks UDP.
    Open,
    /// Every UDP packet dropped in the namespace (nftables), as on a network that blocks UDP:
    /// only the SFU's ICE-TCP candidates can connect.
    UdpBlocked,
}

#[test]
fn three_people_see_and_hear_each_other_in_chromium() {
    run(Network::Open);
}

#[test]
fn the_call_falls_back_to_ice_tcp_when_udp_is_blocked() {
    run(Network::UdpBlocked);
}

fn run(network: Network) {
    let before = || {
        if network == Network::UdpBlocked {
            block_udp();
        }
    };
    browser::run_with(4, before, || call(network));
}

#[test]
fn a_citizen_moves_and_cancels_their_appointment_on_the_link_page_in_chromium() {
    browser::run(appointment_page);
}

async fn appointment_page() {
    let app = browser::spawn_app(|_| {}).await;
    // Three days ahead: a citizen may change it online until 24 hours before.
    let day = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(3)).unwrap();
    let moments = app.get(&format!("/api/v1/afspraken/diensten/afval-en-milieu/momenten?van={day}&dagen=7")).await;
    let start = moments.body[0]["start"].as_str().unwrap().to_string();
    let booked = app
        .post(
            "/api/v1/afspraken",
            &json!({"service": "afval-en-milieu", "mode": "video", "start": start, "name": "Jan Janssens",
                    "email": "jan@example.org", "language": "nl", "consent": true, "third_parties": []}),
        )
        .await;
    assert_eq!(booked.status, 201, "{}", booked.body);
    let id = booked.body["appointment"]["id"].as_i64().unwrap();
    let input = json!({"manage_url": booked.body["manage_url"]}).to_string();
    let summary = run_script("appointment.mjs", &input).await.summary("appointment.mjs");
    // What the page did, as the server saw it: moved once, then cancelled.
    let a = app.store().appointment(id).await.unwrap();
    assert_eq!(a.status, balie_booking::appointments::AppointmentStatus::Cancelled);
    assert_eq!(a.sequence, 2, "moved (1), then cancelled (2)");
    assert_ne!(a.period.start, start.parse::<jiff::Timestamp>().unwrap(), "moved away from the first moment");
    assert_ne!(summary["hash_after_move"], summary["hash_before"], "the page keeps the new link");
    assert_eq!(summary["service"], "Afval en milieu", "the service by its name, not its code");
    app.stop().await;
}

/// Drops every UDP packet in this thread's network namespace (and only there).
fn block_udp() {
    let rules = "table inet balie_test {\n\
                   chain input { type filter hook input priority 0; meta l4proto udp drop; }\n\
                   chain output { type filter hook output priority 0; meta l4proto udp drop; }\n\
                 }\n";
    let mut nft = std::process::Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("run `nft` (Debian package nftables; scripts/test installs it)");
    std::io::Write::write_all(nft.stdin.as_mut().unwrap(), rules.as_bytes()).expect("write nft rules");
    let status = nft.wait().expect("nft");
    assert!(status.success(), "nft could not block UDP in the test namespace: {status}");
    // Proof that the block works: a UDP datagram to ourselves no longer arrives.
    let socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("udp socket");
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let _ = socket.send_to(b"ping", socket.local_addr().unwrap());
    let mut buf = [0u8; 8];
    assert!(socket.recv_from(&mut buf).is_err(), "UDP still flows in the namespace after nft");
}

async fn call(network: Network) {
    let app = browser::spawn_app(|c| {
        // The SFU binds and announces only this address (the default, stated because the test relies on it).
        c.media_ips = vec![Ipv4Addr::LOCALHOST.into()];
        if network == Network::UdpBlocked {
            // ICE-TCP: a passive TCP candidate per participant, on a free port.
            c.media_tcp_port = Some(0);
        }
    })
    .await;
    let base = app.base.clone();

    let agent = app.login_as("agent").await;
    // Links open 15 minutes before the start, so a call starting now opens at once.
    let start = jiff::Timestamp::now();
    let end = start + jiff::SignedDuration::from_hours(1);
    let created = agent
        .post(
            "/api/v1/gesprekken",
            &json!({
                "title": "Aanvraag parkeerkaart",
                "period": {
                    "start": balie_booking::time::format_local(start),
                    "end": balie_booking::time::format_local(end),
                },
                "participants": [
                    {"name": "Jan Janssens", "role": "citizen"},
                    {"name": "Els Maes", "role": "guest"},
                ],
            }),
        )
        .await;
    assert_eq!(created.status, 201, "creating the call failed: {}", created.body);
    let links = created.body["links"].as_array().expect("links").clone();
    let roles: Vec<&str> = links.iter().map(|l| l["role"].as_str().unwrap_or("?")).collect();
    assert_eq!(roles, ["agent", "citizen", "guest"], "links: {links:?}");

    let input = json!({ "base": base, "links": links }).to_string();
    let started = Instant::now();
    let run = run_script("call.mjs", &input).await;
    println!("call.mjs took {:.1} s", started.elapsed().as_secs_f64());
    let summary = run.summary("call.mjs");
    assert_eq!(summary["ok"], true, "{summary}");
    for role in ["agent", "citizen", "guest"] {
        let page = &summary["pages"][role];
        let remote = page["transport"]["selectedPair"]["remote"].as_str().unwrap_or("");
        let wanted = if network == Network::UdpBlocked { " tcp " } else { " udp " };
        assert!(remote.contains(wanted), "{role}: media should go over{wanted}but the selected pair is {remote:?}");
        assert!(page["video_growing"].as_array().is_some_and(|v| v.len() >= 2), "{role}: {page}");
        assert!(page["audio_growing"].as_array().is_some_and(|v| v.len() >= 2), "{role}: {page}");
    }

    app.stop().await;
}

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

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use balie_tests::{netns, Backend, TestApp};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

const CHROMIUM: &str = "/usr/bin/chromium";
/// call.mjs gives up after about 65 s on its own; this only catches a hung node.
const NODE_TIMEOUT: Duration = Duration::from_secs(120);

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e")
}

/// Everything the browser run needs, checked up front so that a missing tool says what to do
/// instead of surfacing as an obscure failure half-way.
fn preflight() {
    const HINT: &str = "run scripts/test, which installs it (or: apt-get install chromium nodejs npm; \
                        cd tests/e2e && npm ci)";
    match std::process::Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!("`node --version` failed ({}); {HINT}", o.status),
        Err(e) => panic!("node is not available ({e}); {HINT}"),
    }
    assert!(Path::new(CHROMIUM).exists(), "{CHROMIUM} is missing; {HINT}");
    let pw = e2e_dir().join("node_modules/playwright-core/package.json");
    assert!(pw.exists(), "{} is missing (npm packages of tests/e2e not installed); {HINT}", pw.display());
}

/// Three Chromiums at once are all two cores can take: the tests of this file run one at a time.
static ONE_CALL_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

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
    let _one = ONE_CALL_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    preflight();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    // First the namespace, then every thread and process of the test: the runtime is built by hand
    // because #[tokio::test] would start its worker threads before this line, in the host's
    // network namespace.
    netns::loopback_only();
    if network == Network::UdpBlocked {
        block_udp();
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("tokio runtime");
    runtime.block_on(call(network));
}

#[test]
fn a_citizen_moves_and_cancels_their_appointment_on_the_link_page_in_chromium() {
    let _one = ONE_CALL_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    preflight();
    netns::loopback_only();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    runtime.block_on(appointment_page());
}

async fn appointment_page() {
    let addr: SocketAddr = {
        let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port on 127.0.0.1");
        probe.local_addr().expect("local address")
    };
    let base = format!("http://{addr}");
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.listen = addr;
        c.public_url = base.clone();
    })
    .await;
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
    let output = run_script("appointment.mjs", &input).await;
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(output.status.success(), "the appointment page failed: {stderr}");
    let summary: Value = serde_json::from_str(&stdout).expect("appointment.mjs prints JSON");
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
    // The links the API hands out carry --public-url, and the browser must open exactly those. So
    // the server gets a known port: free now, and nothing else runs in this fresh namespace that
    // could take it before the server binds it.
    let addr: SocketAddr = {
        let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port on 127.0.0.1");
        probe.local_addr().expect("local address")
    };
    let base = format!("http://{addr}");
    // SQLite: PostgreSQL on the host's 127.0.0.1 is not reachable from inside the namespace.
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.listen = addr;
        c.public_url = base.clone();
        // The SFU binds and announces only this address (the default, stated because the test relies on it).
        c.media_ips = vec![Ipv4Addr::LOCALHOST.into()];
        if network == Network::UdpBlocked {
            // ICE-TCP: a passive TCP candidate per participant, on a free port.
            c.media_tcp_port = Some(0);
        }
    })
    .await;
    assert_eq!(app.base, base, "the server listens where its links point");

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
    let output = run_node(&input).await;
    let took = started.elapsed();

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Echoed in full: with --nocapture (or on failure) this is the record of what the browsers saw.
    println!("---- node tests/e2e/call.mjs: {} in {:.1} s ----", output.status, took.as_secs_f64());
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the browser call failed ({}); call.mjs says: {}",
        output.status,
        stderr.lines().filter(|l| l.starts_with("e2e: ")).collect::<Vec<_>>().join(" / ")
    );
    let summary: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("call.mjs printed no JSON summary ({e})"));
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

/// `node tests/e2e/call.mjs`, the input on stdin (the tokens stay out of `ps`). The child inherits
/// this thread's network namespace, and Chromium inherits it from node.
async fn run_node(input: &str) -> std::process::Output {
    run_script("call.mjs", input).await
}

/// `node tests/e2e/SCRIPT` with `input` on stdin.
async fn run_script(script: &str, input: &str) -> std::process::Output {
    let mut child = tokio::process::Command::new("node")
        .arg(e2e_dir().join(script))
        .current_dir(e2e_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start node");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).await.expect("write the script's input");
    drop(stdin);
    // Read both pipes while waiting, so that a hung run still shows how far it got.
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let status = match tokio::time::timeout(NODE_TIMEOUT, child.wait()).await {
        Ok(status) => status.expect("node runs"),
        Err(_) => {
            let _ = child.kill().await;
            let (out, err) = (stdout.await.unwrap_or_default(), stderr.await.unwrap_or_default());
            panic!(
                "node tests/e2e/{script} did not finish within {NODE_TIMEOUT:?} (it has its own 60 s limit); \
                 its output so far:\n{}\n{}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&err)
            );
        }
    };
    let (stdout, stderr) = (stdout.await.expect("stdout reader"), stderr.await.expect("stderr reader"));
    std::process::Output { status, stdout, stderr }
}

fn drain(mut pipe: impl AsyncRead + Unpin + Send + 'static) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf).await;
        buf
    })
}

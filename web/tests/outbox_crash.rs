//! Nothing is lost when the server dies: appointments are booked while the mail server is down,
//! the real `balie` binary is killed with SIGKILL with their e-mails still in the outbox, and a
//! new process on the same database delivers every one of them to the (now running) SMTP server.

#[path = "../../mail/tests/support/python.rs"]
mod python;
#[path = "../../mail/tests/support/smtp_sink.rs"]
mod smtp_sink;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use smtp_sink::SmtpSink;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(dir: &std::path::Path, port: u16, smtp_port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_balie"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("BALIE_LISTEN", format!("127.0.0.1:{port}"))
        .env("BALIE_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("BALIE_SESSION_SECRET", "crash-test-secret-crash-test-secret!")
        .env("BALIE_MAIL_TRANSPORT", "smtp")
        .env("BALIE_SMTP_HOST", "127.0.0.1")
        .env("BALIE_SMTP_PORT", smtp_port.to_string())
        .env("BALIE_SMTP_TLS", "none")
        .env("BALIE_MAIL_RETRY_SECONDS", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("balie binary starts")
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{base}/readyz")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(Instant::now() < deadline, "balie did not become ready at {base}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_queued_before_a_sigkill_is_delivered_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    // The mail server is down: nothing listens on this port, so every attempt fails (temporarily).
    let down = free_port();
    let mut first = start(dir.path(), port, down);
    wait_ready(&http, &base).await;
    let moments: Vec<Value> = http
        .get(format!("{base}/api/v1/afspraken/diensten/afval-en-milieu/momenten?dagen=14"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut recipients = Vec::new();
    for (i, moment) in moments.iter().take(3).enumerate() {
        let email = format!("burger{i}@example.org");
        let r = http
            .post(format!("{base}/api/v1/afspraken"))
            .json(&json!({
                "service": "afval-en-milieu", "mode": "video", "start": moment["start"],
                "name": format!("Burger {i}"), "email": email, "language": "nl", "consent": true,
                "third_parties": [],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        recipients.push(email);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill().expect("SIGKILL"); // Child::kill is SIGKILL on Unix: no shutdown, no flush.
    first.wait().unwrap();

    // The mail server is back, and so is balie, on the same database.
    let sink = SmtpSink::start();
    let mut second = start(dir.path(), port, sink.port);
    wait_ready(&http, &base).await;
    let (received, sink) = tokio::task::spawn_blocking(move || (sink.wait_for(3), sink)).await.unwrap();
    // Exactly once: nothing more arrives (the killed process's attempts had all failed, so no
    // SMTP server had accepted a message whose success went unrecorded).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.received().len(), 3, "a confirmation was sent twice");
    let mut got: Vec<String> =
        received.iter().map(|r| r.envelope["rcpt_tos"][0].as_str().unwrap().to_string()).collect();
    got.sort();
    assert_eq!(got, recipients, "every confirmation arrives, once each");
    for r in &received {
        let eml = std::fs::read_to_string(&r.eml).unwrap();
        assert!(eml.contains("/gesprek#"), "a confirmation with its call link: {eml}");
    }
    second.kill().unwrap();
    second.wait().unwrap();
}

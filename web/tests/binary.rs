//! The real `balie` binary: starts on an empty SQLite file with nothing configured but the port,
//! seeds the demo, prints its config without secrets, answers, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn binary_starts_seeds_serves_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "binary-test-secret-binary-test-secret";
    let mut child = Command::new(env!("CARGO_BIN_EXE_balie"))
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("BALIE_LISTEN", "127.0.0.1:0")
        .env("BALIE_SESSION_SECRET", secret)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("balie binary starts");
    let (tx, rx) = mpsc::channel::<String>();
    for pipe in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no start-up line; log: {log:#?}"));
        log.push(line.clone());
        if let Some(rest) = line.split("balie listens on http://").nth(1) {
            break rest.trim().to_string();
        }
    };
    let all = log.join("\n");
    assert!(all.contains("session_secret: ***"), "config printed with the secret hidden: {all}");
    assert!(!all.contains(secret), "the session secret leaked into the log");
    assert!(all.contains("demo staff account: agent@lindeveld.example / demo-agent-balie"), "{all}");
    assert!(dir.path().join("balie.db").exists(), "the embedded default is a SQLite file balie.db");

    let http = reqwest::Client::new();
    let ok = http.get(format!("http://{addr}/readyz")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    for (kind, at_least) in [("room", 10), ("court", 6)] {
        let url = format!("http://{addr}/api/v1/infrastructuur?kind={kind}&per_page=100");
        let found: serde_json::Value = http.get(url).send().await.unwrap().json().await.unwrap();
        assert!(found["total"].as_u64().unwrap() >= at_least, "{kind}: {found}");
    }

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "balie did not stop within 15 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        log.push(line);
    }
    assert!(log.iter().any(|l| l.contains("stopped")), "{log:#?}");
}

#[tokio::test]
async fn add_staff_creates_an_account_that_can_sign_in_and_refuses_weak_input() {
    use clap::Parser;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let config = balie_web::Config::parse_from(["balie", "--database-url", &url, "--seed-demo", "false"]);
    let id = balie_web::app::add_staff(
        &config,
        "Lies@Lindeveld.example",
        "Lies Wouters",
        "agent,manager",
        "a long enough password",
    )
    .await
    .unwrap();
    for (email, roles, pw) in [
        ("x@lindeveld.example", "agent", "short"),
        ("y@lindeveld.example", "janitor", "a long enough password"),
        ("lies@lindeveld.example", "agent", "a long enough password"),
    ] {
        assert!(balie_web::app::add_staff(&config, email, "X", roles, pw).await.is_err(), "{email} {roles} {pw}");
    }
    let store = balie_booking::Store::connect(&url, 1).await.unwrap();
    let staff = store.staff_by_email("lies@lindeveld.example").await.unwrap().unwrap();
    assert_eq!((staff.id, staff.roles.clone()), (id, vec!["agent".to_string(), "manager".to_string()]));
    assert!(balie_web::auth::verify_password("a long enough password", &staff.password_hash));
    assert_eq!(store.staff_count().await.unwrap(), 1, "no demo accounts without --seed-demo");
}

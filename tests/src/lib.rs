//! Test harness: a real balie server on port 0 over a fresh database (a temporary SQLite file or
//! a fresh PostgreSQL database), and a small HTTP client that keeps a staff session cookie.
//!
//! PostgreSQL comes from `BALIE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! When it cannot be reached the PostgreSQL tests fail loudly; they never skip.

use std::time::Duration;

use clap::Parser;
pub mod browser;
pub mod fake_mollie;
pub mod netns;
pub mod race;

use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};

pub use balie_web::app::DEMO_STAFF;
use balie_web::{Config, Running};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_admin_url() -> String {
    std::env::var("BALIE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database of the given kind, dropped by [`TestDb::drop_now`].
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("balie.db").display());
                TestDb { url, pg_name: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for this test and is not reachable at {admin} ({e}). \
                         Set BALIE_TEST_POSTGRES or run scripts/test, which starts one."
                    )
                });
                let name = format!("balie_t_{:016x}", rand::random::<u64>());
                conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).expect("URL with a database");
                let (base, query) = match admin.split_once('?') {
                    Some((_, q)) => (base.split('?').next().unwrap_or(&base).to_string(), format!("?{q}")),
                    None => (base, String::new()),
                };
                TestDb { url: format!("{base}/{name}{query}"), pg_name: Some(name), _dir: None }
            }
        }
    }

    pub async fn drop_now(self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut conn) = PgConnection::connect(&postgres_admin_url()).await {
                let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
            }
        }
    }
}

/// A config for tests: port 0, the given database, limits out of the way unless a test sets them.
pub fn test_config(db_url: &str) -> Config {
    Config::parse_from([
        "balie",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        db_url,
        "--rate-per-second",
        "1000000",
        "--rate-burst",
        "1000000",
        "--login-per-minute",
        "100000",
        "--session-secret",
        "test-secret-test-secret-test-secret-!",
    ])
}

pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    pub http: reqwest::Client,
    running: Running,
    db: TestDb,
    /// Where the file transport writes this app's e-mails (`.eml`).
    mail_dir: tempfile::TempDir,
}

/// A response: status, headers, and the body as JSON (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts an RFC 9457 problem with this status and returns its body.
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(self.body["type"].as_str().is_some_and(|t| t.starts_with("/problems/")), "{}", self.body);
        assert!(self.body["title"].is_string() && self.body["detail"].is_string(), "{}", self.body);
        &self.body
    }
    /// The fields named in a validation problem.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["field"].as_str().map(str::to_string))
            .collect()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A server that sends its e-mail by SMTP to 127.0.0.1:`smtp_port` (a test's SMTP sink), no TLS.
    pub async fn spawn_mailing_to(backend: Backend, smtp_port: u16) -> TestApp {
        Self::spawn_with(backend, |c| {
            c.mail_transport = balie_web::config::MailTransport::Smtp;
            c.smtp_host = "127.0.0.1".into();
            c.smtp_port = Some(smtp_port);
            c.smtp_tls = "none".into();
        })
        .await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb::new(backend).await;
        let mut config = test_config(&db.url);
        let mail_dir = tempfile::tempdir().expect("a temporary folder for e-mail");
        config.mail_dir = mail_dir.path().to_path_buf();
        tweak(&mut config);
        let running = balie_web::spawn(config).await.expect("balie starts");
        let base = format!("http://{}", running.addr);
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        TestApp { base, backend, http, running, db, mail_dir }
    }

    pub fn store(&self) -> &balie_booking::Store {
        &self.running.state.store
    }

    /// The folder the file transport writes this app's e-mails to.
    pub fn mail_dir(&self) -> &std::path::Path {
        self.mail_dir.path()
    }

    /// The running app's state (store, mailer, …).
    pub fn state(&self) -> &balie_web::AppState {
        &self.running.state
    }

    /// The URL of this app's database, for benchmarks that read its statistics.
    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    pub async fn stop(self) {
        self.running.stop().await.expect("clean shutdown");
        self.db.drop_now().await;
    }

    /// The tokens of every `marker` link (`/gesprek#`, `/afspraak#`) in the e-mails the file
    /// transport wrote to `rcpt` so far.
    pub fn links_mailed_to(&self, rcpt: &str, marker: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(self.mail_dir()).into_iter().flatten().flatten() {
            if entry.path().extension().is_none_or(|e| e != "eml") {
                continue;
            }
            let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
            // Undo quoted-printable's soft line breaks, which may cut a link in two.
            let text = raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
            if !text.lines().any(|l| l.starts_with("To:") && l.contains(rcpt)) {
                continue;
            }
            for after in text.split(marker).skip(1) {
                // A token is 160 bits in hex; in the HTML part a quote or bracket may follow it.
                let token: String = after.chars().take_while(char::is_ascii_hexdigit).collect();
                if token.len() == 40 {
                    out.insert(token);
                }
            }
        }
        out
    }

    /// The e-mails the file transport wrote to `rcpt` so far, as raw text with quoted-printable
    /// soft line breaks undone, oldest first.
    pub fn mails_to(&self, rcpt: &str) -> Vec<String> {
        let mut found: Vec<(std::time::SystemTime, String)> = Vec::new();
        for entry in std::fs::read_dir(self.mail_dir()).into_iter().flatten().flatten() {
            if entry.path().extension().is_none_or(|e| e != "eml") {
                continue;
            }
            let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let text = raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
            if text.lines().any(|l| l.starts_with("To:") && l.contains(rcpt)) {
                let at = entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
                found.push((at, text));
            }
        }
        found.sort_by_key(|(at, _)| *at);
        found.into_iter().map(|(_, t)| t).collect()
    }

    /// Waits (up to 15 s) for a door code mailed to `rcpt` and returns it: the PIN stands on a
    /// line of its own in the plain-text part of the confirmation.
    pub async fn wait_pin_mailed_to(&self, rcpt: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            for mail in self.mails_to(rcpt) {
                if let Some(pin) =
                    mail.lines().map(str::trim).find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
                {
                    return pin.to_string();
                }
            }
            assert!(std::time::Instant::now() < deadline, "no door code mailed to {rcpt}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 15 s, for the outbox) until `rcpt` has received at least `n` distinct
    /// `marker` links, and returns their tokens.
    pub async fn wait_links_mailed_to(&self, rcpt: &str, marker: &str, n: usize) -> std::collections::BTreeSet<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let links = self.links_mailed_to(rcpt, marker);
            if links.len() >= n {
                return links;
            }
            assert!(std::time::Instant::now() < deadline, "{rcpt} got {} {marker} links, not {n}", links.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first message the signalling server answers a `join` with `token` with.
    pub async fn join_answer(&self, token: &str) -> Value {
        use futures::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        let url = format!("{}/api/v1/signalisatie", self.base.replacen("http", "ws", 1));
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("the signalling socket opens");
        let join = serde_json::json!({"type": "join", "v": 1, "token": token}).to_string();
        ws.send(Message::text(join)).await.expect("join sent");
        loop {
            if let Message::Text(t) = ws.next().await.expect("an answer to join").expect("a frame") {
                return serde_json::from_str(&t).expect("JSON");
            }
        }
    }

    /// What a join with `token` comes to: the error `code` (`token_unknown`, …) or the message
    /// type (`welcome`).
    pub async fn join_outcome(&self, token: &str) -> String {
        let v = self.join_answer(token).await;
        v["code"].as_str().or(v["type"].as_str()).unwrap_or_default().to_string()
    }

    pub async fn request(&self, method: &str, path: &str, cookie: Option<&str>, body: Option<&Value>) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request reaches the server");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request("GET", path, None, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.request("POST", path, None, Some(body)).await
    }

    /// Signs in and returns the `Cookie` header value to send.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self.post("/api/v1/sessie", &serde_json::json!({"email": email, "password": password})).await;
        assert_eq!(r.status, 200, "sign-in of {email} failed: {}", r.body);
        let set = r.header("set-cookie").expect("session cookie");
        set.split(';').next().expect("name=value").to_string()
    }

    /// Signs in as the demo account with that role.
    pub async fn login_as(&self, role: &str) -> Staff<'_> {
        let (email, _, _, pw) = DEMO_STAFF.iter().find(|s| s.2 == role).expect("demo role");
        Staff { app: self, cookie: self.login(email, pw).await }
    }

    /// Id of the demo resource with this code.
    pub async fn resource_id(&self, code: &str) -> i64 {
        let all = self.store().resources().await.expect("catalogue");
        all.iter().find(|r| r.spec.code == code).unwrap_or_else(|| panic!("no resource {code}")).id
    }
}

/// A signed-in staff member's client.
pub struct Staff<'a> {
    pub app: &'a TestApp,
    pub cookie: String,
}

impl Staff<'_> {
    pub async fn get(&self, path: &str) -> Resp {
        self.app.request("GET", path, Some(&self.cookie), None).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.app.request("POST", path, Some(&self.cookie), Some(body)).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.app.request("PUT", path, Some(&self.cookie), Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.app.request("DELETE", path, Some(&self.cookie), None).await
    }
}

/// Brussels civil date-time as RFC 3339 with the right offset, e.g. `local("2027-03-28", "10:00")`.
pub fn local(date: &str, time: &str) -> String {
    let d: jiff::civil::Date = date.parse().expect("date");
    let t: jiff::civil::Time = time.parse().expect("time");
    balie_booking::time::format_local(balie_booking::time::instant(d, t))
}

/// A weekday date at least `days_ahead` days from today, as `YYYY-MM-DD` (Brussels).
pub fn weekday_ahead(days_ahead: i64) -> String {
    use jiff::ToSpan;
    let mut d =
        balie_booking::time::local(jiff::Timestamp::now()).date().checked_add(days_ahead.days()).expect("in range");
    while matches!(d.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday) {
        d = d.tomorrow().expect("in range");
    }
    d.to_string()
}

/// A reservation request body for a demo customer.
pub fn reservation(resource_id: i64, start: &str, end: &str) -> Value {
    serde_json::json!({
        "resource_id": resource_id,
        "period": {"start": start, "end": end},
        "customer": {"customer_type": "resident", "name": "Els Janssens", "email": "els.janssens@example.org"},
        "attendees": 4,
    })
}

/// Runs a test body against SQLite and PostgreSQL: `both!(name, |app| async move { … })`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let app = $crate::TestApp::spawn($crate::Backend::Sqlite).await;
                ($body)(&app).await;
                app.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let app = $crate::TestApp::spawn($crate::Backend::Postgres).await;
                ($body)(&app).await;
                app.stop().await;
            }
        }
    };
}

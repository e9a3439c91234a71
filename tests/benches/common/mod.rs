//! Shared by the benchmark binaries: mode (smoke or full), backend selection, latency
//! statistics, lean HTTP calls that read the `Server-Timing` header, and table printing.
//!
//! `cargo bench` passes `--bench`: the full measurement runs. `cargo test --all-targets` (CI)
//! runs these binaries without it: a tiny smoke version runs that still checks the invariants.
//! `BALIE_BENCH_BACKEND=sqlite|postgres` (or a bare `sqlite` / `postgres` argument) restricts
//! the run to one backend; `BALIE_BENCH_DB_CONNECTIONS=N` overrides the pool size (default: the server's, 8).

#![allow(dead_code)]

use std::time::{Duration, Instant};

use balie_tests::{Backend, TestApp};
use jiff::civil::{Date, Time};
use jiff::ToSpan;

/// Whether this is the full measurement (`--bench` in argv) or the smoke version.
pub fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The backends to run, in order.
pub fn backends() -> Vec<Backend> {
    let from_env = std::env::var("BALIE_BENCH_BACKEND").ok().map(|s| s.to_ascii_lowercase());
    let from_args = std::env::args().skip(1).find(|a| a == "sqlite" || a == "postgres" || a == "both");
    match from_env.or(from_args).as_deref() {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") | Some("postgresql") | Some("pg") => vec![Backend::Postgres],
        _ => vec![Backend::Sqlite, Backend::Postgres],
    }
}

pub fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

/// Pool size for the server under test: `BALIE_BENCH_DB_CONNECTIONS` or the server's default (8).
pub fn db_connections() -> Option<u32> {
    std::env::var("BALIE_BENCH_DB_CONNECTIONS").ok().and_then(|s| s.parse().ok())
}

/// Starts the server on a fresh database with the benchmark's pool size.
pub async fn spawn(backend: Backend) -> TestApp {
    let pool = db_connections();
    TestApp::spawn_with(backend, |c| {
        if let Some(n) = pool {
            c.db_connections = n;
        }
    })
    .await
}

pub fn pool_size() -> u32 {
    db_connections().unwrap_or_else(|| balie_tests::test_config("sqlite://unused").db_connections)
}

/// A multi-threaded runtime with one worker per core, like the production binary.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

/// Latency samples in milliseconds.
#[derive(Default, Clone)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    pub fn push(&mut self, ms: f64) {
        self.0.push(ms);
    }
    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Nearest-rank percentile; 0 when empty.
    pub fn pct(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }
    pub fn max(&self) -> f64 {
        self.0.iter().copied().fold(0.0, f64::max)
    }
    pub fn mean(&self) -> f64 {
        if self.0.is_empty() {
            0.0
        } else {
            self.0.iter().sum::<f64>() / self.0.len() as f64
        }
    }
}

/// One HTTP exchange as the benchmarks see it.
pub struct Hit {
    pub status: u16,
    /// From `Server-Timing: app;dur=…`.
    pub server_ms: Option<f64>,
    /// Send to last body byte.
    pub client_ms: f64,
    /// The response body, kept for error reports.
    pub body: Vec<u8>,
}

pub fn server_timing(headers: &reqwest::header::HeaderMap) -> Option<f64> {
    let v = headers.get("server-timing")?.to_str().ok()?;
    v.split(';').find_map(|p| p.trim().strip_prefix("dur=")).and_then(|d| d.parse().ok())
}

/// A GET or POST without the harness's JSON parsing, so the client measures only the exchange.
pub async fn hit(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: Option<&str>,
    body: Option<Vec<u8>>,
) -> Hit {
    let start = Instant::now();
    let mut req = app.http.request(method, format!("{}{}", app.base, path));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.expect("request reaches the server");
    let status = resp.status().as_u16();
    let server_ms = server_timing(resp.headers());
    let body = resp.bytes().await.expect("body").to_vec();
    Hit { status, server_ms, client_ms: start.elapsed().as_secs_f64() * 1000.0, body }
}

/// Today in Brussels.
pub fn today() -> Date {
    balie_booking::time::local(jiff::Timestamp::now()).date()
}

pub fn plus_days(d: Date, n: i64) -> Date {
    d.checked_add(n.days()).expect("date in range")
}

/// `n` distinct weekdays, the first at least `from_days_ahead` days from today.
pub fn distinct_weekdays(from_days_ahead: i64, n: usize) -> Vec<Date> {
    let mut out = Vec::with_capacity(n);
    let mut d = plus_days(today(), from_days_ahead);
    while out.len() < n {
        if d.weekday().to_monday_one_offset() <= 5 {
            out.push(d);
        }
        d = d.tomorrow().expect("in range");
    }
    out
}

pub fn at(d: Date, hour: i8, minute: i8) -> jiff::Timestamp {
    balie_booking::time::instant(d, Time::new(hour, minute, 0, 0).expect("time"))
}

/// RFC 3339 with the Brussels offset, `+` escaped for a query string.
pub fn query_instant(ts: jiff::Timestamp) -> String {
    balie_booking::time::format_local(ts).replace('+', "%2B")
}

/// A plain-text table: header row, then rows, columns padded to their widest cell.
pub fn print_table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i] - c.chars().count();
                if i == 0 {
                    format!("{c}{}", " ".repeat(pad))
                } else {
                    format!("{}{c}", " ".repeat(pad))
                }
            })
            .collect();
        format!("| {} |", padded.join(" | "))
    };
    println!();
    println!("{title}");
    println!("{}", line(header.iter().map(|h| h.to_string()).collect()));
    println!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"));
    for r in rows {
        println!("{}", line(r.clone()));
    }
}

pub fn ms(v: f64) -> String {
    format!("{v:.2}")
}

pub fn rate(n: usize, d: Duration) -> String {
    format!("{:.0}", n as f64 / d.as_secs_f64())
}

pub fn mode_banner(name: &str) {
    let mode =
        if full() { "full measurement" } else { "smoke run (pass --bench, as `cargo bench` does, for the full one)" };
    println!("balie benchmark `{name}`: {mode}; pool size {} connections", pool_size());
}

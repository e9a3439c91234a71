//! Sustained reservation creation under contention.
//!
//! Slots are drawn at random from a bounded grid: the 20 demo resources (the sports hall and its
//! three zones among them), every weekday 2–150 days ahead, whole-hour one-hour slots within
//! opening hours. Many clients hold slots for a fixed time, so conflicts (409) and lock
//! contention on the halls are real.
//!
//! - `http`: `POST /api/v1/reservaties` as the demo agent, over keep-alive connections.
//! - `store`: `Store::hold` called directly from many tokio tasks, no HTTP.
//!
//! Afterwards `Store::double_bookings()` must be 0, and no request may fail other than with 409.
//! Goal: ≥ 2,000 successful creations/s on PostgreSQL over HTTP.
//!
//! `cargo bench -p balie-tests --bench reservations` (add `-- postgres` or `-- sqlite` for one).
//! `BALIE_BENCH_CLIENTS` (default 48) and `BALIE_BENCH_SECONDS` (default 10) change the load;
//! `BALIE_BENCH_DB_CONNECTIONS` the server's pool size (default: the server's, 8).

mod common;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use balie_booking::catalogue::{CustomerType, Resource};
use balie_booking::reservation::{Customer, ReservationRequest};
use balie_booking::time::Period;
use balie_booking::{Error, Store};
use balie_tests::{reservation, Backend, TestApp};
use common::*;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, Row};

const GOAL_PER_SECOND: f64 = 2000.0;

struct Params {
    clients: usize,
    duration: Duration,
    anatomy_iterations: usize,
}

impl Params {
    fn get() -> Params {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        if full() {
            Params {
                clients: env("BALIE_BENCH_CLIENTS").unwrap_or(48) as usize,
                duration: Duration::from_secs(env("BALIE_BENCH_SECONDS").unwrap_or(10)),
                anatomy_iterations: 300,
            }
        } else {
            Params { clients: 4, duration: Duration::from_millis(700), anatomy_iterations: 0 }
        }
    }
}

/// One cell of the grid: a resource, a weekday, an hour.
#[derive(Clone, Copy)]
struct Slot {
    resource_id: i64,
    date: Date,
    hour: i8,
}

impl Slot {
    fn period(&self) -> Period {
        let start = at(self.date, self.hour, 0);
        Period::new(start, start + SignedDuration::from_hours(1)).expect("period")
    }
}

fn grid(resources: &[Resource]) -> Vec<Slot> {
    let days: Vec<Date> =
        (2..=150).map(|n| plus_days(today(), n)).filter(|d| d.weekday().to_monday_one_offset() <= 5).collect();
    let mut out = Vec::new();
    for r in resources {
        for &date in &days {
            let wd = date.weekday().to_monday_one_offset();
            for s in r.spec.opening_hours.iter().filter(|s| s.weekday == wd) {
                let first = s.opens.hour() + i8::from(s.opens.minute() > 0);
                for hour in first..s.closes.hour() {
                    out.push(Slot { resource_id: r.id, date, hour });
                }
            }
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    attempts: usize,
    ok: usize,
    conflicts: usize,
    errors: usize,
    latency: Samples,
    server: Samples,
}

impl Tally {
    fn add(&mut self, o: Tally) {
        self.attempts += o.attempts;
        self.ok += o.ok;
        self.conflicts += o.conflicts;
        self.errors += o.errors;
        self.latency.extend(o.latency);
        self.server.extend(o.server);
    }
}

async fn http_clients(app: &TestApp, slots: Arc<Vec<Slot>>, p: &Params) -> (Tally, Duration) {
    let agent = app.login_as("agent").await;
    let cookie = agent.cookie.clone();
    let start = Instant::now();
    let deadline = start + p.duration;
    let jobs = (0..p.clients).map(|c| {
        let (slots, cookie) = (slots.clone(), cookie.clone());
        async move {
            let mut rng = StdRng::seed_from_u64(1000 + c as u64);
            let mut t = Tally::default();
            while Instant::now() < deadline {
                let s = slots[rng.gen_range(0..slots.len())];
                let period = s.period();
                let body = reservation(
                    s.resource_id,
                    &balie_booking::time::format_local(period.start),
                    &balie_booking::time::format_local(period.end),
                );
                let h = hit(
                    app,
                    reqwest::Method::POST,
                    "/api/v1/reservaties",
                    Some(&cookie),
                    Some(serde_json::to_vec(&body).expect("json")),
                )
                .await;
                t.attempts += 1;
                t.latency.push(h.client_ms);
                t.server.push(h.server_ms.unwrap_or(f64::NAN));
                match h.status {
                    201 => t.ok += 1,
                    409 => t.conflicts += 1,
                    other => {
                        if t.errors < 3 {
                            eprintln!("unexpected {other}: {}", String::from_utf8_lossy(&h.body));
                        }
                        t.errors += 1;
                    }
                }
            }
            t
        }
    });
    let parts = futures::future::join_all(jobs).await;
    let wall = start.elapsed();
    let mut all = Tally::default();
    for t in parts {
        all.add(t);
    }
    (all, wall)
}

fn request(s: &Slot) -> ReservationRequest {
    ReservationRequest {
        resource_id: s.resource_id,
        period: s.period(),
        customer: Customer {
            customer_type: CustomerType::Resident,
            name: "Els Janssens".into(),
            email: "els.janssens@example.org".into(),
            phone: None,
            organisation: None,
            address: None,
            identity_check: None,
            language: None,
        },
        attendees: 4,
        services: vec![],
        purpose: String::new(),
    }
}

const TTL: SignedDuration = SignedDuration::from_secs(3600);

async fn store_tasks(store: &Store, slots: Arc<Vec<Slot>>, p: &Params) -> (Tally, Duration) {
    let start = Instant::now();
    let deadline = start + p.duration;
    let jobs = (0..p.clients).map(|c| {
        let (slots, store) = (slots.clone(), store.clone());
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(2000 + c as u64);
            let mut t = Tally::default();
            while Instant::now() < deadline {
                let req = request(&slots[rng.gen_range(0..slots.len())]);
                let began = Instant::now();
                let r = store.hold(&req, None, Timestamp::now(), TTL).await;
                t.attempts += 1;
                t.latency.push(began.elapsed().as_secs_f64() * 1000.0);
                match r {
                    Ok(_) => t.ok += 1,
                    Err(Error::Conflict(_)) => t.conflicts += 1,
                    Err(e) => {
                        if t.errors < 3 {
                            eprintln!("unexpected error: {e}");
                        }
                        t.errors += 1;
                    }
                }
            }
            t
        })
    });
    let parts = futures::future::join_all(jobs).await;
    let wall = start.elapsed();
    let mut all = Tally::default();
    for t in parts {
        all.add(t.expect("task"));
    }
    (all, wall)
}

/// Transactions this app's PostgreSQL database has committed and rolled back (every
/// autocommit statement counts as one), and rows inserted and updated. Full runs only: idle
/// backends publish their statistics up to 10 s late, so this waits 11 s.
async fn pg_counters(app: &TestApp) -> Option<(i64, i64, i64)> {
    if app.backend != Backend::Postgres || !full() {
        return None;
    }
    tokio::time::sleep(Duration::from_secs(11)).await;
    let mut conn = sqlx::PgConnection::connect(app.database_url()).await.ok()?;
    let row = sqlx::query(
        "SELECT xact_commit + xact_rollback, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(&mut conn)
    .await
    .ok()?;
    Some((row.get(0), row.get(1), row.get(2)))
}

/// Sequential latency of the store calls that one hold is made of, on an idle server.
async fn anatomy(app: &TestApp, slots: &[Slot], n: usize, rows: &mut Vec<Vec<String>>) {
    let store = app.store();
    let name = backend_name(app.backend);
    let now = Timestamp::now();
    let resource = store.resource(slots[0].resource_id).await.expect("resource");
    let mut steps: Vec<(&str, Samples)> = vec![
        ("resource(id): 2 queries", Samples::default()),
        ("services(): 1 query", Samples::default()),
        ("limits(): 1 query", Samples::default()),
        ("blockers(): 2 queries", Samples::default()),
        ("reservation(id): 1 query", Samples::default()),
        ("hold(): whole", Samples::default()),
    ];
    let mut rng = StdRng::seed_from_u64(3);
    let mut last_id = None;
    for _ in 0..n {
        let time = |f: Instant| f.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        store.resource(resource.id).await.expect("resource");
        steps[0].1.push(time(t));
        let t = Instant::now();
        store.services().await.expect("services");
        steps[1].1.push(time(t));
        let t = Instant::now();
        store.limits(CustomerType::Resident, now).await.expect("limits");
        steps[2].1.push(time(t));
        let t = Instant::now();
        store.blockers(&resource, slots[0].period(), now).await.expect("blockers");
        steps[3].1.push(time(t));
        if let Some(id) = last_id {
            let t = Instant::now();
            store.reservation(id).await.expect("reservation");
            steps[4].1.push(time(t));
        }
        let req = request(&slots[rng.gen_range(0..slots.len())]);
        let t = Instant::now();
        let r = store.hold(&req, None, Timestamp::now(), TTL).await;
        steps[5].1.push(time(t));
        if let Ok(r) = r {
            last_id = Some(r.id);
        }
    }
    for (step, s) in steps {
        rows.push(vec![name.into(), step.into(), s.len().to_string(), ms(s.pct(50.0)), ms(s.pct(99.0)), ms(s.mean())]);
    }
}

fn tally_row(backend: &str, variant: &str, clients: usize, t: &Tally, wall: Duration, db: &str) -> Vec<String> {
    let per_s = |n: usize| n as f64 / wall.as_secs_f64();
    let server = if t.server.is_empty() {
        "-".to_string()
    } else {
        format!("{} / {}", ms(t.server.pct(50.0)), ms(t.server.pct(99.0)))
    };
    vec![
        backend.into(),
        variant.into(),
        clients.to_string(),
        format!("{:.1}", wall.as_secs_f64()),
        format!("{:.0}", per_s(t.attempts)),
        format!("{:.0}", per_s(t.ok)),
        format!("{:.0}", per_s(t.conflicts)),
        t.errors.to_string(),
        format!("{} / {}", ms(t.latency.pct(50.0)), ms(t.latency.pct(99.0))),
        server,
        db.into(),
    ]
}

async fn run(backend: Backend, p: &Params, rows: &mut Vec<Vec<String>>, anatomy_rows: &mut Vec<Vec<String>>) -> bool {
    let name = backend_name(backend);
    let mut ok = true;

    // Over HTTP, on a fresh database.
    let app = spawn(backend).await;
    let resources = app.store().resources().await.expect("catalogue");
    let slots = Arc::new(grid(&resources));
    println!("[{name}] grid of {} one-hour slots on {} resources", slots.len(), resources.len());
    let before = pg_counters(&app).await;
    let (t, wall) = http_clients(&app, slots.clone(), p).await;
    let after = pg_counters(&app).await;
    let double = app.store().double_bookings().await.expect("double_bookings");
    println!(
        "[{name}] http: {} attempts, {} held, {} conflicts, {} other errors; double bookings {double}",
        t.attempts, t.ok, t.conflicts, t.errors
    );
    let stats = match (before, after) {
        (Some(b), Some(a)) => {
            let tx = (a.0 - b.0) as f64;
            println!(
                "[{name}] http: PostgreSQL ran {:.1} transactions per attempt ({:.1} per successful hold); {} rows inserted, {} updated",
                tx / t.attempts.max(1) as f64,
                tx / t.ok.max(1) as f64,
                a.1 - b.1,
                a.2 - b.2
            );
            format!("{:.1} tx/attempt", tx / t.attempts.max(1) as f64)
        }
        _ => "-".into(),
    };
    ok &= double == 0 && t.errors == 0 && t.ok > 0;
    let mut r = tally_row(name, "HTTP POST /reservaties", p.clients, &t, wall, &stats);
    r.push(double.to_string());
    r.push(goal(backend, t.ok, wall));
    rows.push(r);
    app.stop().await;

    // Straight into the store, on a fresh database.
    let app = spawn(backend).await;
    let before = pg_counters(&app).await;
    let (t, wall) = store_tasks(app.store(), slots.clone(), p).await;
    let after = pg_counters(&app).await;
    let double = app.store().double_bookings().await.expect("double_bookings");
    println!(
        "[{name}] store: {} attempts, {} held, {} conflicts, {} other errors; double bookings {double}",
        t.attempts, t.ok, t.conflicts, t.errors
    );
    let stats = match (before, after) {
        (Some(b), Some(a)) => format!("{:.1} tx/attempt", (a.0 - b.0) as f64 / t.attempts.max(1) as f64),
        _ => "-".into(),
    };
    ok &= double == 0 && t.errors == 0 && t.ok > 0;
    let mut r = tally_row(name, "Store::hold", p.clients, &t, wall, &stats);
    r.push(double.to_string());
    r.push("-".into());
    rows.push(r);
    if p.anatomy_iterations > 0 {
        anatomy(&app, &slots, p.anatomy_iterations, anatomy_rows).await;
    }
    app.stop().await;
    ok
}

fn goal(backend: Backend, ok: usize, wall: Duration) -> String {
    if backend != Backend::Postgres || !full() {
        return "-".into();
    }
    if ok as f64 / wall.as_secs_f64() >= GOAL_PER_SECOND {
        "met".into()
    } else {
        "MISSED".into()
    }
}

fn main() -> ExitCode {
    mode_banner("reservations");
    let p = Params::get();
    let rt = runtime();
    let mut rows = Vec::new();
    let mut anatomy_rows = Vec::new();
    let mut ok = true;
    for backend in backends() {
        ok &= rt.block_on(run(backend, &p, &mut rows, &mut anatomy_rows));
    }
    print_table(
        &format!(
            "Reservations: {} clients for {:.0} s, goal ≥ {GOAL_PER_SECOND} holds/s on PostgreSQL over HTTP (rates per second, times in ms)",
            p.clients,
            p.duration.as_secs_f64()
        ),
        &[
            "backend",
            "variant",
            "clients",
            "seconds",
            "attempts/s",
            "holds/s",
            "409/s",
            "errors",
            "latency p50 / p99",
            "server p50 / p99",
            "db",
            "double bookings",
            "goal",
        ],
        &rows,
    );
    if !anatomy_rows.is_empty() {
        print_table(
            "Anatomy of one hold: store calls one at a time on an idle server (ms)",
            &["backend", "call", "n", "p50", "p99", "mean"],
            &anatomy_rows,
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("FAILED: double bookings, unexpected errors, or no successful/conflicting holds (see above)");
        ExitCode::FAILURE
    }
}

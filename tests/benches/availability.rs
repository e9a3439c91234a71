//! Availability and calendar latency over a realistic catalogue.
//!
//! 100 resources (the 20 demo ones plus 80 created through the store: standalone rooms and
//! courts and five halls with three parts each, with varied opening hours and buffers), each
//! with 2–4 reservations a day over the next 31 days (80 % confirmed, the rest live holds). Then
//! a few concurrent clients request `GET /api/v1/infrastructuur/{id}/beschikbaarheid` for a
//! 31-day window, every resource, many rounds, and `…/kalender?month=` for next month. Reports
//! server-side latency from `Server-Timing`, client-side latency and throughput.
//!
//! Goal: server-side p99 ≤ 10 ms for the 31-day availability.
//!
//! `cargo bench -p balie-tests --bench availability` (add `-- postgres` or `-- sqlite` for one).

mod common;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use balie_booking::catalogue::{CustomerType, OpeningSlot, Resource, ResourceSpec};
use balie_booking::reservation::{Customer, ReservationRequest};
use balie_booking::time::Period;
use balie_booking::Error;
use balie_tests::{Backend, TestApp};
use common::*;
use futures::StreamExt;
use jiff::civil::{time, Date};
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, Executor};

const GOAL_P99_MS: f64 = 10.0;

struct Params {
    extra_resources: usize,
    days: i64,
    rounds: usize,
    calendar_rounds: usize,
    clients: usize,
}

impl Params {
    fn get() -> Params {
        if full() {
            Params { extra_resources: 80, days: 31, rounds: 30, calendar_rounds: 10, clients: 4 }
        } else {
            Params { extra_resources: 8, days: 3, rounds: 1, calendar_rounds: 1, clients: 2 }
        }
    }
}

/// Opening intervals of one day as (opens, closes) hours.
type Day = &'static [(i8, i8)];
/// Opening-hour patterns: weekday intervals and weekend intervals.
const PATTERNS: &[(Day, Day)] = &[
    (&[(8, 22)], &[]),
    (&[(9, 23)], &[(9, 23)]),
    (&[(9, 12), (13, 17)], &[(9, 13)]),
    (&[(17, 22)], &[(9, 17)]),
    (&[(7, 23)], &[(7, 23)]),
    (&[(8, 18)], &[(10, 16)]),
];
const BUFFERS: &[(i64, i64)] = &[(0, 0), (0, 15), (15, 15), (30, 30), (60, 60), (0, 30)];

fn hours(pattern: usize) -> Vec<OpeningSlot> {
    let (weekdays, weekend) = PATTERNS[pattern % PATTERNS.len()];
    let mut out = Vec::new();
    for d in 1..=7i8 {
        for &(o, c) in if d <= 5 { weekdays } else { weekend } {
            out.push(OpeningSlot { weekday: d, opens: time(o, 0, 0, 0), closes: time(c, 0, 0, 0) });
        }
    }
    out
}

/// Adds `n` resources through the store: every 16th is a hall, followed by three parts.
async fn extend_catalogue(app: &TestApp, n: usize) {
    let templates: Vec<ResourceSpec> = balie_booking::demo::resources().into_iter().map(|(s, _)| s).collect();
    let now = Timestamp::now();
    let mut hall: Option<(i64, usize)> = None;
    for i in 0..n {
        let mut spec = templates[i % templates.len()].clone();
        spec.code = format!("bench-{i:02}-{}", spec.code);
        spec.name = format!("Bench {i}: {}", spec.name);
        let (before, after) = BUFFERS[i % BUFFERS.len()];
        spec.buffer_before_minutes = before;
        spec.buffer_after_minutes = after;
        spec.opening_hours = hours(i);
        spec.part_of = None;
        if let (1..=3, Some((hall_id, pattern))) = (i % 16, hall) {
            spec.part_of = Some(hall_id);
            spec.opening_hours = hours(pattern);
        }
        let r = app.store().create_resource(&spec, now).await.expect("resource created");
        if i % 16 == 0 {
            hall = Some((r.id, i));
        }
    }
}

fn customer() -> Customer {
    Customer {
        customer_type: CustomerType::Resident,
        name: "Els Janssens".into(),
        email: "els.janssens@example.org".into(),
        phone: None,
        organisation: None,
        address: None,
        identity_check: None,
        language: None,
    }
}

/// 2–4 reservations per resource per day over `days` days from tomorrow: each opening interval
/// is cut into equal segments and each segment gets one reservation of 1–3 hours on quarter
/// hours, its set-up and clean-up buffers inside the segment. What still clashes (a hall against
/// its parts) is skipped. Returns (booked, skipped).
async fn load_reservations(app: &TestApp, resources: &[Resource], first: Date, days: i64) -> (usize, usize) {
    let quarter = |t: jiff::civil::Time| i64::from(t.hour()) * 4 + i64::from(t.minute()) / 15;
    let mut rng = StdRng::seed_from_u64(7);
    let mut requests = Vec::new();
    for r in resources {
        let (before_q, after_q) = (r.spec.buffer_before_minutes / 15, r.spec.buffer_after_minutes / 15);
        for d in 0..days {
            let date = plus_days(first, d);
            let wd = date.weekday().to_monday_one_offset();
            let slots: Vec<(i64, i64)> = r
                .spec
                .opening_hours
                .iter()
                .filter(|s| s.weekday == wd)
                .map(|s| (quarter(s.opens), quarter(s.closes)))
                .collect();
            let open: i64 = slots.iter().map(|(o, c)| c - o).sum();
            let wanted: i64 = rng.gen_range(2..=4);
            for (o, c) in slots {
                let n = ((wanted * (c - o)) as f64 / open as f64).round().max(1.0) as i64;
                let seg = (c - o) / n;
                for k in 0..n {
                    let room = seg - before_q - after_q;
                    if room < 4 {
                        continue;
                    }
                    let len = rng.gen_range(4..=room.min(12));
                    let start_q = o + k * seg + before_q + rng.gen_range(0..=room - len);
                    let start = at(date, (start_q / 4) as i8, (start_q % 4 * 15) as i8);
                    let end = start + SignedDuration::from_mins(len * 15);
                    requests.push((r.id, Period::new(start, end).expect("period"), rng.gen_bool(0.8)));
                }
            }
        }
    }
    let store = app.store().clone();
    let results: Vec<bool> = futures::stream::iter(requests)
        .map(|(resource_id, period, confirm)| {
            let store = store.clone();
            async move {
                let req = ReservationRequest {
                    resource_id,
                    period,
                    customer: customer(),
                    attendees: 4,
                    services: vec![],
                    purpose: String::new(),
                };
                match store.hold(&req, None, Timestamp::now(), SignedDuration::from_hours(6)).await {
                    Ok(r) => {
                        if confirm {
                            store.confirm(r.id, Timestamp::now()).await.expect("confirm");
                        }
                        true
                    }
                    Err(Error::Conflict(_)) => false,
                    Err(e) => panic!("loading reservations: {e}"),
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let booked = results.iter().filter(|b| **b).count();
    (booked, results.len() - booked)
}

struct Measured {
    requests: usize,
    errors: usize,
    server: Samples,
    client: Samples,
    wall: Duration,
}

/// `clients` concurrent clients work through `paths` (shared queue); every response must be 200.
async fn measure(app: &TestApp, paths: Vec<String>, clients: usize) -> Measured {
    let paths = Arc::new(paths);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let jobs = (0..clients).map(|_| {
        let (paths, next) = (paths.clone(), next.clone());
        async move {
            let (mut server, mut client, mut errors) = (Samples::default(), Samples::default(), 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = paths.get(i) else { break };
                let h = hit(app, reqwest::Method::GET, path, None, None).await;
                if h.status != 200 {
                    if errors < 3 {
                        eprintln!("GET {path}: {} {}", h.status, String::from_utf8_lossy(&h.body));
                    }
                    errors += 1;
                }
                client.push(h.client_ms);
                server.push(h.server_ms.expect("Server-Timing header"));
            }
            (server, client, errors)
        }
    });
    let parts = futures::future::join_all(jobs).await;
    let wall = start.elapsed();
    let mut m =
        Measured { requests: paths.len(), errors: 0, server: Samples::default(), client: Samples::default(), wall };
    for (s, c, e) in parts {
        m.server.extend(s);
        m.client.extend(c);
        m.errors += e;
    }
    m
}

async fn run(backend: Backend, p: &Params, rows: &mut Vec<Vec<String>>) -> bool {
    let name = backend_name(backend);
    let app = spawn(backend).await;
    let t = Instant::now();
    extend_catalogue(&app, p.extra_resources).await;
    let resources = app.store().resources().await.expect("catalogue");
    let first = plus_days(today(), 1);
    let (booked, skipped) = load_reservations(&app, &resources, first, p.days).await;
    let double = app.store().double_bookings().await.expect("double_bookings");
    if backend == Backend::Postgres {
        // What autovacuum would do shortly after the load anyway; done now so that it does not
        // run in the middle of the measurement.
        let mut conn = sqlx::PgConnection::connect(app.database_url()).await.expect("connect");
        conn.execute("VACUUM ANALYZE").await.expect("vacuum");
    }
    println!(
        "[{name}] {} resources, {booked} reservations loaded ({skipped} clashing attempts skipped) in {:.1} s; double bookings {double}",
        resources.len(),
        t.elapsed().as_secs_f64()
    );

    let from = at(first, 0, 0);
    let until = at(plus_days(first, 31), 0, 0);
    let window = format!("from={}&until={}", query_instant(from), query_instant(until));
    let avail_path = |id: i64| format!("/api/v1/infrastructuur/{id}/beschikbaarheid?{window}&customer_type=resident");

    // What a response looks like: busy intervals per resource in the window.
    let mut busy = 0usize;
    for r in &resources {
        let resp = app.get(&avail_path(r.id)).await;
        assert_eq!(resp.status, 200, "{}", resp.body);
        busy += resp.body["busy"].as_array().map_or(0, Vec::len);
    }
    println!(
        "[{name}] a 31-day availability lists {:.1} busy intervals on average",
        busy as f64 / resources.len() as f64
    );

    let mut ok = double == 0;
    let paths: Vec<String> = (0..p.rounds).flat_map(|_| resources.iter().map(|r| avail_path(r.id))).collect();
    let m = measure(&app, paths, p.clients).await;
    ok &= m.errors == 0;
    rows.push(row(name, "beschikbaarheid (31 days)", p.clients, &m, true));

    let next_month = plus_days(today(), 31);
    let month = format!("{:04}-{:02}", next_month.year(), next_month.month());
    let paths: Vec<String> = (0..p.calendar_rounds)
        .flat_map(|_| {
            resources
                .iter()
                .map(|r| format!("/api/v1/infrastructuur/{}/kalender?month={month}&customer_type=resident", r.id))
        })
        .collect();
    let m = measure(&app, paths, p.clients).await;
    ok &= m.errors == 0;
    rows.push(row(name, &format!("kalender (month {month})"), p.clients, &m, false));

    let double_after = app.store().double_bookings().await.expect("double_bookings");
    ok &= double_after == 0;
    println!("[{name}] double bookings after the run: {double_after}");
    app.stop().await;
    ok
}

fn row(backend: &str, endpoint: &str, clients: usize, m: &Measured, goal: bool) -> Vec<String> {
    let p99 = m.server.pct(99.0);
    vec![
        backend.into(),
        endpoint.into(),
        clients.to_string(),
        m.requests.to_string(),
        m.errors.to_string(),
        ms(m.server.pct(50.0)),
        ms(m.server.pct(90.0)),
        ms(p99),
        ms(m.server.max()),
        ms(m.client.pct(50.0)),
        ms(m.client.pct(99.0)),
        rate(m.requests, m.wall),
        if goal && full() { (if p99 <= GOAL_P99_MS { "met" } else { "MISSED" }).into() } else { "-".into() },
    ]
}

fn main() -> ExitCode {
    mode_banner("availability");
    let p = Params::get();
    let rt = runtime();
    let mut rows = Vec::new();
    let mut ok = true;
    for backend in backends() {
        ok &= rt.block_on(run(backend, &p, &mut rows));
    }
    print_table(
        &format!(
            "Availability: {} rounds over every resource, server p99 goal ≤ {GOAL_P99_MS} ms (times in ms)",
            p.rounds
        ),
        &[
            "backend",
            "endpoint",
            "clients",
            "requests",
            "errors",
            "server p50",
            "p90",
            "p99",
            "max",
            "client p50",
            "client p99",
            "req/s",
            "p99 goal",
        ],
        &rows,
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("FAILED: errors or double bookings (see above)");
        ExitCode::FAILURE
    }
}

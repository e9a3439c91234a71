//! The 50-way double-booking race, repeated: 100 repetitions per backend in one server, each on
//! a different weekday (10 to ~150 days ahead, inside the residents' 182-day window), each
//! firing 50 concurrent `POST /api/v1/reservaties` over four conflicting sets (same slot,
//! partial overlaps, a hall against its part, buffers).
//!
//! Invariants: every set has exactly one winner in every repetition, and
//! `Store::double_bookings()` is 0 at the end.
//!
//! `cargo bench -p balie-tests --bench race` (add `-- postgres` or `-- sqlite` for one);
//! `BALIE_BENCH_REPETITIONS` changes the count.

mod common;

use std::process::ExitCode;
use std::time::Instant;

use balie_tests::race::{race, standard_sets};
use balie_tests::Backend;
use common::*;

const REQUESTS: usize = 50;

async fn run(backend: Backend, repetitions: usize, rows: &mut Vec<Vec<String>>) -> bool {
    let name = backend_name(backend);
    let app = spawn(backend).await;
    let days = distinct_weekdays(10, repetitions);
    let mut bad = 0usize;
    let mut burst = Samples::default();
    let start = Instant::now();
    for (i, day) in days.iter().enumerate() {
        let day = day.to_string();
        let sets = standard_sets(&app, &day).await;
        let t = Instant::now();
        let wins = race(&app, &sets, REQUESTS).await;
        burst.push(t.elapsed().as_secs_f64() * 1000.0);
        if wins != vec![1; sets.len()] {
            bad += 1;
            eprintln!("[{name}] repetition {i} on {day}: winners per set {wins:?}, expected one each");
        }
    }
    let wall = start.elapsed();
    let double = app.store().double_bookings().await.expect("double_bookings");
    let live = app.store().reservations(&Default::default()).await.expect("reservations").len();
    println!(
        "[{name}] {repetitions} repetitions in {:.1} s; {live} reservations listed (listing caps at 1000)",
        wall.as_secs_f64()
    );
    rows.push(vec![
        name.into(),
        repetitions.to_string(),
        (repetitions * REQUESTS).to_string(),
        bad.to_string(),
        double.to_string(),
        ms(burst.pct(50.0)),
        ms(burst.pct(99.0)),
        ms(burst.max()),
        if bad == 0 && double == 0 { "pass".into() } else { "FAIL".into() },
    ]);
    app.stop().await;
    bad == 0 && double == 0
}

fn main() -> ExitCode {
    mode_banner("race");
    let repetitions = if full() {
        std::env::var("BALIE_BENCH_REPETITIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(100)
    } else {
        3
    };
    let rt = runtime();
    let mut rows = Vec::new();
    let mut ok = true;
    for backend in backends() {
        ok &= rt.block_on(run(backend, repetitions, &mut rows));
    }
    print_table(
        &format!("Race: {repetitions} × {REQUESTS}-way race, one fresh weekday per repetition (burst = time for all {REQUESTS} responses, ms)"),
        &[
            "backend",
            "repetitions",
            "requests",
            "repetitions with ≠ 1 winner",
            "double bookings",
            "burst p50",
            "burst p99",
            "burst max",
            "result",
        ],
        &rows,
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("FAILED: a set had other than one winner, or double bookings remain");
        ExitCode::FAILURE
    }
}

//! Shared set-up of the store suite: a fresh database per test on SQLite (a temporary file) and on
//! PostgreSQL (a temporary database on the server named by `BALIE_TEST_POSTGRES`), and helpers to
//! build requests in Brussels time.

#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use balie_booking::catalogue::{CustomerType, Resource};
use balie_booking::error::{Clash, FieldError};
use balie_booking::reservation::{Customer, Reservation, ReservationRequest, Status};
use balie_booking::store::Backend;
use balie_booking::time::{self, Period};
use balie_booking::{Error, Store};
use jiff::civil::{time as civil_time, Date};
use jiff::{SignedDuration, Timestamp};
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor};

/// The fixed clock of the suite: Monday 23 November 2026, 10:00 in Brussels.
pub const NOW: &str = "2026-11-23T09:00:00Z";

pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Connections per store: enough for the concurrency tests to race for real.
const POOL_SIZE: u32 = 8;

pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

pub fn minutes(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

/// The usual hold time of the web layer.
pub fn ttl() -> SignedDuration {
    minutes(15)
}

/// Runs `body` against a fresh, migrated store on a temporary SQLite file, then closes the store
/// and removes the file (also when the body panics).
pub async fn with_sqlite<F, Fut>(body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let path: PathBuf = std::env::temp_dir().join(format!("balie-test-{:016x}.db", rand::random::<u64>()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = Store::connect(&url, POOL_SIZE).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    assert_eq!(store.backend(), Backend::Sqlite);
    let outcome = tokio::spawn(body(store.clone())).await;
    store.close().await;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// The admin URL of the PostgreSQL server the suite runs against.
pub fn postgres_admin_url() -> String {
    std::env::var("BALIE_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

/// `url` with its database name replaced by `db` (query parameters are kept).
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let server = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{server}/{db}{query}")
}

async fn admin_connection(admin_url: &str) -> PgConnection {
    let unreachable = |why: String| -> ! {
        panic!(
            "\n\n*** PostgreSQL is not reachable at {admin_url}: {why}\n\
             *** The postgres_* store tests need a PostgreSQL server; they are never skipped.\n\
             *** Start one, or set BALIE_TEST_POSTGRES to an admin URL that can CREATE DATABASE,\n\
             *** e.g. BALIE_TEST_POSTGRES={DEFAULT_POSTGRES}\n\n"
        )
    };
    match tokio::time::timeout(Duration::from_secs(15), PgConnection::connect(admin_url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => unreachable(e.to_string()),
        Err(_) => unreachable("no answer within 15 seconds".into()),
    }
}

/// Runs `body` against a fresh, migrated store in a new PostgreSQL database `balie_t_<hex>`, then
/// closes the store and drops the database (also when the body panics).
pub async fn with_postgres<F, Fut>(body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin_url = postgres_admin_url();
    let db = format!("balie_t_{:016x}", rand::random::<u64>());
    let mut admin = admin_connection(&admin_url).await;
    admin
        .execute(format!("CREATE DATABASE {db}").as_str())
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {db} on {admin_url} (BALIE_TEST_POSTGRES) failed: {e}"));
    let url = with_database(&admin_url, &db);
    // Whatever happens to the body, the database is dropped before the test reports.
    let outcome: Result<(), Failure> = match Store::connect(&url, POOL_SIZE).await {
        Ok(store) => {
            assert_eq!(store.backend(), Backend::Postgres);
            let outcome = tokio::spawn(body(store.clone())).await;
            store.close().await;
            outcome.map_err(|e| Failure::Panicked(e.into_panic()))
        }
        Err(e) => Err(Failure::Connect(format!("cannot open the test database {url}: {e}"))),
    };
    admin
        .execute(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)").as_str())
        .await
        .unwrap_or_else(|e| panic!("DROP DATABASE {db} failed: {e}"));
    let _ = admin.close().await;
    match outcome {
        Ok(()) => {}
        // The panic hook reported the body's panic when it happened; re-raise it.
        Err(Failure::Panicked(payload)) => std::panic::resume_unwind(payload),
        Err(Failure::Connect(message)) => panic!("{message}"),
    }
}

enum Failure {
    Panicked(Box<dyn std::any::Any + Send>),
    Connect(String),
}

/// Generates `sqlite_<name>` and `postgres_<name>` tests that run the async fn `<name>(Store)`.
/// (Test names are spelled out because macro_rules cannot join identifiers.)
#[macro_export]
macro_rules! on_both_backends {
    ($($body:ident => $sqlite:ident, $postgres:ident;)+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $sqlite() {
                $crate::common::with_sqlite($body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $postgres() {
                $crate::common::with_postgres($body).await;
            }
        )+
    };
}

// ---------------------------------------------------------------------------------------------
// Building requests
// ---------------------------------------------------------------------------------------------

/// The instant of `hour:minute` on `day` in Brussels.
pub fn local(day: Date, hour: i8, minute: i8) -> Timestamp {
    time::instant(day, civil_time(hour, minute, 0, 0))
}

/// `day` from `from` to `to` (hour, minute) in Brussels.
pub fn span(day: Date, from: (i8, i8), to: (i8, i8)) -> Period {
    Period::new(local(day, from.0, from.1), local(day, to.0, to.1)).expect("from before to")
}

pub fn customer(customer_type: CustomerType) -> Customer {
    let organisation = match customer_type {
        CustomerType::Resident | CustomerType::NonResident => None,
        _ => Some("Badmintonclub Lindeveld vzw".to_string()),
    };
    Customer {
        customer_type,
        name: "An Peeters".into(),
        email: "an.peeters@example.be".into(),
        phone: Some("+32 470 12 34 56".into()),
        organisation,
        address: None,
        identity_check: None,
        language: None,
    }
}

pub fn request(resource_id: i64, period: Period, customer_type: CustomerType) -> ReservationRequest {
    ReservationRequest {
        resource_id,
        period,
        customer: customer(customer_type),
        attendees: 4,
        services: Vec::new(),
        purpose: "test".into(),
    }
}

pub async fn resource_by_code(store: &Store, code: &str) -> Resource {
    store
        .resources()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.spec.code == code)
        .unwrap_or_else(|| panic!("no resource {code}"))
}

pub async fn id_of(store: &Store, code: &str) -> i64 {
    resource_by_code(store, code).await.id
}

/// Seeds the demo catalogue and returns the store's resources.
pub async fn seeded(store: &Store) -> Vec<Resource> {
    assert!(store.seed_demo_catalogue(now()).await.unwrap(), "a fresh database is seeded");
    store.resources().await.unwrap()
}

/// Holds `period` on `resource_id` for a resident at the suite's clock.
pub async fn hold(store: &Store, resource_id: i64, period: Period) -> Result<Reservation, Error> {
    store.hold(&request(resource_id, period, CustomerType::Resident), None, now(), ttl()).await
}

// ---------------------------------------------------------------------------------------------
// Asserting errors
// ---------------------------------------------------------------------------------------------

#[track_caller]
pub fn expect_conflict<T: std::fmt::Debug>(result: Result<T, Error>) -> Vec<Clash> {
    match result {
        Err(Error::Conflict(clashes)) => {
            assert!(!clashes.is_empty(), "a conflict names what it clashes with");
            clashes
        }
        other => panic!("expected Error::Conflict, got {other:?}"),
    }
}

#[track_caller]
pub fn expect_invalid<T: std::fmt::Debug>(result: Result<T, Error>, field: &str) -> Vec<FieldError> {
    match result {
        Err(Error::Invalid(fields)) => {
            assert!(fields.iter().any(|f| f.field == field), "expected a problem with {field}, got {fields:?}");
            fields
        }
        other => panic!("expected Error::Invalid naming {field}, got {other:?}"),
    }
}

#[track_caller]
pub fn expect_state<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::State(why)) => why,
        other => panic!("expected Error::State, got {other:?}"),
    }
}

/// Reservations that still occupy their resource at `at`.
pub fn live(all: Vec<Reservation>, at: Timestamp) -> Vec<Reservation> {
    all.into_iter().filter(|r| matches!(r.effective_status(at), Status::Hold | Status::Confirmed)).collect()
}

/// Asserts that no two live reservations exclude each other (same resource, or a hall and one of
/// its parts) while their blocked intervals (period plus buffers) overlap.
pub fn assert_no_double_booking(resources: &[Resource], reservations: &[Reservation], at: Timestamp) {
    let find = |id: i64| resources.iter().find(|r| r.id == id).expect("reservation on a known resource");
    let blocked = |r: &Reservation| {
        let spec = &find(r.resource_id).spec;
        r.period.widen(spec.buffer_before_minutes, spec.buffer_after_minutes)
    };
    let related = |a: i64, b: i64| a == b || find(a).spec.part_of == Some(b) || find(b).spec.part_of == Some(a);
    let live = live(reservations.to_vec(), at);
    for (i, a) in live.iter().enumerate() {
        for b in &live[i + 1..] {
            assert!(
                !(related(a.resource_id, b.resource_id) && blocked(a).overlaps(&blocked(b))),
                "double booking: #{} on {} {:?} and #{} on {} {:?}",
                a.id,
                a.resource_id,
                a.period,
                b.id,
                b.resource_id,
                b.period
            );
        }
    }
}

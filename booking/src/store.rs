//! Storage of the booking domain on sqlx, for SQLite (the embedded default) and PostgreSQL.
//!
//! # One implementation, two backends
//! We use sqlx's `Any` driver with runtime-checked queries in portable SQL rather than a trait with
//! one implementation per backend: the schema is deliberately plain (BIGINT seconds for instants,
//! TEXT for JSON, `$n` placeholders, which SQLite accepts too), so one set of queries serves both
//! and the same test suite proves both. The compile-time `query!` macros cannot be used with `Any`
//! (sqlx #964); the store suite runs every query on both backends instead. Where the backends
//! differ (connection pragmas, migrations) the code branches on [`Backend`].
//!
//! # No double booking
//! Every transaction that creates reservations begins by taking a lock before it reads anything
//! ([`Store::begin_locked`]): on PostgreSQL it bumps `lock_version` of the *root* resource (the
//! hall, or the resource itself when it is not part of a hall), a row lock that serialises all
//! bookings of a hall and its parts; on SQLite `BEGIN IMMEDIATE` takes the database's write lock.
//! Under either lock, the check that follows sees every committed booking.
//! The check itself is the pure [`crate::availability::check_bookable`].
//! Holds, the hot path, go through a group commit (`hold_queue`): holds that arrive together are
//! decided in one transaction that takes the locks of all their halls in id order, so each
//! decision still sees every committed booking plus those accepted before it in the batch.

mod access;
mod agent_hours;
mod appointment_changes;
mod appointment_links;
mod appointment_notes;
mod appointments;
mod cache;
mod calls;
mod catalogue;
mod evaluations;
mod hold_queue;
mod outbox;
mod payments;
mod reservations;
mod retention;
mod seed;
mod series;
mod staff;
mod surveys;
mod third_parties;

use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor, Row};

use crate::error::{Error, Result};

pub use access::{AccessInfo, Direction, Door, DoorDecision, DoorEvent, IssuedCode, Presented};
pub use agent_hours::Absence;
pub use appointment_links::{LinkHolder, Reissued};
pub use appointment_notes::AppointmentNotes;
pub use cache::{Catalogue, CATALOGUE_TTL};
pub use catalogue::MaintenanceBlock;
pub use evaluations::{
    ClosedDefect, DefectClosedMail, DefectReport, DefectRow, EvaluationRow, EvaluationView, NewEvaluation, RoomTally,
    StoredPhoto,
};
pub use payments::{Applied, Cancelled, CodeIssuer, Confirmed, CreditNote, Invoice, NewPayment, Payment, RefundDue};
pub use reservations::ReservationFilter;
pub use retention::Purged;
pub use staff::StaffRecord;
pub use surveys::{
    AnswerFilter, AnswerGroup, AnswerRow, CommentFilter, NewInvitation, SurveyContext, SurveyView, Tally,
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    catalogue_cache: std::sync::Arc<cache::Snapshot<Catalogue>>,
    revoked_cache: std::sync::Arc<cache::Snapshot<std::collections::HashSet<String>>>,
    holds: hold_queue::HoldQueue,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

impl Store {
    /// Connects and applies pending migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)
            .ok_or_else(|| Error::invalid("database_url", "must start with sqlite: or postgres:"))?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; FULL sync because a
                        // confirmed reservation must survive a power cut; the busy timeout lets
                        // concurrent writers queue instead of failing.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let holds = hold_queue::HoldQueue::new(pool.clone(), backend);
        let store =
            Store { pool, backend, catalogue_cache: Default::default(), revoked_cache: Default::default(), holds };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For readiness probes: the database answers a query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.get::<String, _>(0)))
    }

    /// Stores `value` unless the key is set already; returns what is stored, so that two nodes
    /// starting at once agree on one value.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(self.setting(key).await?.expect("just inserted"))
    }
}

impl Store {
    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails with
    /// `SQLITE_BUSY` when another connection wrote in between, which no busy timeout waits out.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}

/// Begins a transaction that first takes the lock rows `table.key_column = id` for each of `ids`
/// (sorted, distinct), in the same round trip as BEGIN: on PostgreSQL by bumping their
/// `lock_version` (row locks, taken in id order so that two transactions cannot deadlock); on
/// SQLite by `BEGIN IMMEDIATE`, the database's write lock, taken before anything is read. Either
/// way, what the transaction reads next includes every committed booking of those rows.
pub(crate) async fn begin_with_row_locks(
    pool: &sqlx::AnyPool,
    backend: Backend,
    table: &str,
    key_column: &str,
    ids: &[i64],
) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    let begin = match backend {
        // Integers formatted into the statement are safe; BEGIN with a custom statement goes as
        // one simple query (one round trip), which cannot carry parameters.
        Backend::Postgres => std::iter::once("BEGIN".to_string())
            .chain(
                ids.iter()
                    .map(|id| format!("UPDATE {table} SET lock_version = lock_version + 1 WHERE {key_column} = {id}")),
            )
            .collect::<Vec<_>>()
            .join("; "),
        Backend::Sqlite => "BEGIN IMMEDIATE".to_string(),
    };
    Ok(pool.begin_with(begin).await?)
}

pub(crate) fn secs(ts: Timestamp) -> i64 {
    ts.as_second()
}

pub(crate) fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s).expect("stored timestamp in range")
}

/// `$from, $from+1, …` for an IN list of `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| Error::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain types serialise")
}

/// True when a database error is a unique-constraint violation (on either backend).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

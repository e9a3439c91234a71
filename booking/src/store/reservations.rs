//! Reservation storage: holds, confirmation, cancellation, and the race-proof insert.

use jiff::{SignedDuration, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::hold_queue::PendingHold;
use super::{json, placeholders, secs, to_json, ts, Store};
use crate::availability::{self, Blocker, BusyReason, Limits, MAX_BLOCKED_MINUTES};
use crate::catalogue::Resource;
use crate::error::{Error, Result};
use crate::pricing::{self, Quote};
use crate::reservation::{hold_expiry, Customer, Reservation, ReservationRequest, Status};
use crate::time::Period;

/// Widest set-up or clean-up buffer a resource may have (see `ResourceSpec::validate`), twice:
/// blockers this far outside a window can still shorten its free time.
const BLOCKER_MARGIN_MINUTES: i64 = 2 * 240;

const COLUMNS: &str = "id, resource_id, series_id, starts_at, ends_at, status, hold_expires_at, customer, \
                       attendees, services, purpose, quote, created_at";

fn reservation_from_row(row: &AnyRow) -> Result<Reservation> {
    let status: String = row.try_get("status")?;
    Ok(Reservation {
        id: row.try_get("id")?,
        resource_id: row.try_get("resource_id")?,
        period: Store::row_period(row, "starts_at", "ends_at")?,
        status: Status::parse(&status).ok_or_else(|| Error::Corrupt(format!("status {status}")))?,
        hold_expires_at: row.try_get::<Option<i64>, _>("hold_expires_at")?.map(ts),
        customer: json(row, "customer")?,
        attendees: row.try_get("attendees")?,
        services: json(row, "services")?,
        purpose: row.try_get("purpose")?,
        quote: json(row, "quote")?,
        series_id: row.try_get("series_id")?,
        created_at: ts(row.try_get("created_at")?),
    })
}

/// What a new reservation row holds besides its resource and period.
pub(crate) struct NewRow<'a> {
    pub request: &'a ReservationRequest,
    pub status: Status,
    pub hold_expires_at: Option<Timestamp>,
    pub quote: &'a Quote,
    pub series_id: Option<i64>,
    pub created_by: Option<i64>,
}

/// Filter for listing reservations (staff).
#[derive(Debug, Clone, Default)]
pub struct ReservationFilter {
    pub resource_id: Option<i64>,
    pub window: Option<Period>,
    pub status: Option<Status>,
    pub series_id: Option<i64>,
}

/// Reads reservation `id` on `conn` (inside a caller's transaction).
pub(crate) async fn reservation_in(conn: &mut AnyConnection, id: i64) -> Result<Reservation> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM reservations WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found("reservation", id))?;
    reservation_from_row(&row)
}

impl Store {
    /// Begins a transaction holding the lock that serialises bookings of `resource`'s hall (see
    /// the module docs); [`begin_locking`] says how.
    pub(crate) async fn begin_locked(&self, resource: &Resource) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        begin_locking(&self.pool, self.backend, &[hall_of(resource)]).await
    }

    /// Everything that blocks `resource` around `window`: live reservations and holds on it, its
    /// hall and its parts, and its own, its hall's and its parts' maintenance. One round trip.
    pub(crate) async fn blockers_in(
        &self,
        conn: &mut AnyConnection,
        resource: &Resource,
        window: Period,
        now: Timestamp,
    ) -> Result<Vec<Blocker>> {
        let around = Around::of(resource, window);
        let mut out: Vec<Blocker> =
            blockers_around(conn, std::slice::from_ref(&around), now).await?.into_iter().map(|(b, _)| b).collect();
        out.sort_by_key(|b| b.blocked);
        Ok(out)
    }

    /// Blockers outside any transaction, for availability views.
    pub async fn blockers(&self, resource: &Resource, window: Period, now: Timestamp) -> Result<Vec<Blocker>> {
        let mut conn = self.pool.acquire().await?;
        self.blockers_in(&mut conn, resource, window, now).await
    }

    /// The limits that apply to a customer type booking at `now`.
    pub async fn limits(&self, customer: crate::catalogue::CustomerType, now: Timestamp) -> Result<Limits> {
        let days = self.booking_window(customer).await?;
        Ok(Limits { now, horizon: Some((availability::horizon(now, days), days)) })
    }

    pub(crate) async fn insert_reservation(
        &self,
        conn: &mut AnyConnection,
        resource: &Resource,
        period: Period,
        row: NewRow<'_>,
        now: Timestamp,
    ) -> Result<i64> {
        let ids = insert_reservations(conn, &[(resource, period, row, now)]).await?;
        Ok(ids[0])
    }

    /// Prices a request against the current catalogue.
    pub async fn quote(&self, request: &ReservationRequest) -> Result<(Resource, Quote)> {
        let resource = self.resource(request.resource_id).await?;
        let services = self.services().await?;
        let quote = pricing::quote(
            &resource,
            &services,
            request.customer.customer_type,
            request.period,
            request.attendees,
            &request.services,
        )?;
        Ok((resource, quote))
    }

    /// Holds a slot for `ttl`. Either the hold is written and nothing else overlaps it, or nothing
    /// is written and the error names what it clashes with.
    pub async fn hold(
        &self,
        request: &ReservationRequest,
        created_by: Option<i64>,
        now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<Reservation> {
        request.validate()?;
        let (resource, quote) = self.quote(request).await?;
        let limits = self.limits(request.customer.customer_type, now).await?;
        // Stored in whole seconds; the returned reservation says exactly what is stored.
        let expires = ts(secs(hold_expiry(now, ttl)));
        let pending = PendingHold {
            resource: resource.clone(),
            request: request.clone(),
            quote: quote.clone(),
            limits,
            now,
            expires,
            created_by,
        };
        let id = self.holds.submit(pending).await?;
        // Built from what was just written rather than read back: one round trip less per hold.
        Ok(Reservation {
            id,
            resource_id: resource.id,
            period: request.period,
            status: Status::Hold,
            hold_expires_at: Some(expires),
            customer: request.customer.clone(),
            attendees: request.attendees,
            services: request.services.clone(),
            purpose: request.purpose.clone(),
            quote,
            series_id: None,
            created_at: ts(secs(now)),
        })
    }

    pub async fn reservation(&self, id: i64) -> Result<Reservation> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM reservations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("reservation", id))?;
        reservation_from_row(&row)
    }

    pub async fn reservations(&self, f: &ReservationFilter) -> Result<Vec<Reservation>> {
        let (from, to) = f.window.map(|w| (secs(w.start), secs(w.end))).unwrap_or((i64::MIN, i64::MAX));
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reservations WHERE starts_at < $1 AND ends_at > $2 \
             AND ($3 IS NULL OR resource_id = $3) AND ($4 IS NULL OR status = $4) AND ($5 IS NULL OR series_id = $5) \
             ORDER BY starts_at, id LIMIT 1000"
        ))
        .bind(to)
        .bind(from)
        .bind(f.resource_id)
        .bind(f.status.map(Status::as_str))
        .bind(f.series_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(reservation_from_row).collect()
    }

    /// Confirms a live hold (payment or invoice chosen). Confirming twice returns the same.
    pub async fn confirm(&self, id: i64, now: Timestamp) -> Result<Reservation> {
        let current = self.reservation(id).await?;
        current.confirm(now)?;
        // The WHERE clause repeats the rule so that a hold expiring between read and write, or a
        // concurrent cancel, cannot be overwritten.
        let done = sqlx::query(
            "UPDATE reservations SET status = 'confirmed', hold_expires_at = NULL, updated_at = $1 \
             WHERE id = $2 AND status = 'hold' AND hold_expires_at > $1",
        )
        .bind(secs(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        let after = self.reservation(id).await?;
        if done.rows_affected() == 0 && after.status != Status::Confirmed {
            after.confirm(now)?;
        }
        Ok(after)
    }

    /// Replaces the customer and purpose of a live hold (the citizen confirmed their details in
    /// the call's panel). The customer type must stay the same: it decided the price.
    pub async fn update_hold_customer(
        &self,
        id: i64,
        customer: &Customer,
        purpose: &str,
        now: Timestamp,
    ) -> Result<Reservation> {
        let mut p = crate::error::Problems::default();
        customer.validate(&mut p);
        p.check(purpose.len() <= 500, "purpose", "must be at most 500 characters");
        p.into_result()?;
        let done = sqlx::query(
            "UPDATE reservations SET customer = $1, purpose = $5, updated_at = $2 \
             WHERE id = $3 AND status = 'hold' AND hold_expires_at > $2 AND customer_type = $4",
        )
        .bind(to_json(customer))
        .bind(secs(now))
        .bind(id)
        .bind(customer.customer_type.as_str())
        .bind(purpose)
        .execute(&self.pool)
        .await?;
        let after = self.reservation(id).await?;
        if done.rows_affected() == 0 {
            after.confirm(now)?;
            return Err(Error::State("the customer type of a hold cannot change; choose the slot again".into()));
        }
        Ok(after)
    }

    /// Cancels a hold or confirmed reservation; the slot is free at once.
    pub async fn cancel(&self, id: i64, now: Timestamp) -> Result<Reservation> {
        let current = self.reservation(id).await?;
        current.cancel(now)?;
        let done = sqlx::query(
            "UPDATE reservations SET status = 'cancelled', hold_expires_at = NULL, cancelled_at = $1, updated_at = $1 \
             WHERE id = $2 AND (status = 'confirmed' OR (status = 'hold' AND hold_expires_at > $1))",
        )
        .bind(secs(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        let after = self.reservation(id).await?;
        if done.rows_affected() == 0 && after.status != Status::Cancelled {
            after.cancel(now)?;
        }
        Ok(after)
    }

    /// Marks lapsed holds as expired; returns how many. Lapsed holds already stop blocking at
    /// their expiry instant, so this sweep only tidies the status.
    pub async fn expire_holds(&self, now: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE reservations SET status = 'expired', hold_expires_at = NULL, updated_at = $1 \
             WHERE status = 'hold' AND hold_expires_at <= $1",
        )
        .bind(secs(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// Integrity check: pairs of live reservations (confirmed, or held) whose blocked intervals
    /// overlap on the same resource or on a hall and one of its parts. Must always be 0; the
    /// benchmarks and the race tests report it, and operators may run it at any time.
    pub async fn double_bookings(&self) -> Result<i64> {
        let live = "status IN ('confirmed', 'hold')";
        let sql = format!(
            "SELECT \
               (SELECT COUNT(*) FROM reservations a JOIN reservations b \
                  ON a.resource_id = b.resource_id AND a.id < b.id \
                 AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end \
                WHERE a.{live} AND b.{live}) \
             + (SELECT COUNT(*) FROM reservations a JOIN resources part ON part.id = a.resource_id \
                JOIN reservations b ON b.resource_id = part.parent_id \
                 AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end \
                WHERE a.{live} AND b.{live})"
        );
        Ok(sqlx::query(&sql).fetch_one(&self.pool).await?.try_get(0)?)
    }
}

/// The resource whose row lock serialises bookings of `resource`: its hall, or itself.
pub(crate) fn hall_of(resource: &Resource) -> i64 {
    resource.spec.part_of.unwrap_or(resource.id)
}

/// Begins a transaction holding the booking locks of `halls` (sorted, without duplicates), in
/// the same round trip as BEGIN: on PostgreSQL row locks on the halls, taken in id order so that
/// two transactions cannot deadlock; on SQLite the database's write lock (`BEGIN IMMEDIATE`),
/// taken before anything is read.
pub(crate) async fn begin_locking(
    pool: &sqlx::AnyPool,
    backend: super::Backend,
    halls: &[i64],
) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    debug_assert!(halls.windows(2).all(|w| w[0] < w[1]), "halls sorted and distinct");
    super::begin_with_row_locks(pool, backend, "resources", "id", halls).await
}

/// One question for [`blockers_around`]: what blocks any of `ids` near `window`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Around {
    pub ids: Vec<i64>,
    pub window: Period,
}

impl Around {
    /// The resource, its hall and its parts around `window`.
    pub fn of(resource: &Resource, window: Period) -> Around {
        let mut ids = Store::related_ids(resource);
        ids.sort_unstable();
        Around { ids, window }
    }

    /// Widened by the largest buffers: blockers this far outside the window can still clash.
    fn wide(&self) -> Period {
        self.window.widen(BLOCKER_MARGIN_MINUTES, BLOCKER_MARGIN_MINUTES)
    }

    /// The same test as the SQL below, for sharing one query's rows among several questions.
    pub fn wants(&self, b: &Blocker) -> bool {
        self.ids.contains(&b.resource_id) && b.blocked.overlaps(&self.wide())
    }
}

/// Live reservations, holds alive at `now`, and maintenance that answer any of `arounds`, each
/// with its hold expiry (seconds) if it is a hold. One round trip however many questions.
pub(crate) async fn blockers_around(
    conn: &mut AnyConnection,
    arounds: &[Around],
    now: Timestamp,
) -> Result<Vec<(Blocker, Option<i64>)>> {
    // $1 is `now`; each question then binds its ids, the wide window's end and start, and the
    // earliest blocked_start worth reading. No blocked interval is longer than
    // MAX_BLOCKED_MINUTES (a CHECK in the schema), so that lower bound turns each scan into an
    // index range of the window instead of the resource's whole history.
    let mut next = 2;
    let mut booked = Vec::with_capacity(arounds.len());
    let mut maintained = Vec::with_capacity(arounds.len());
    for a in arounds {
        let ids = placeholders(next, a.ids.len());
        let (end, start, earliest) = (next + a.ids.len(), next + a.ids.len() + 1, next + a.ids.len() + 2);
        next = earliest + 1;
        booked.push(format!(
            "(resource_id IN ({ids}) AND blocked_start < ${end} AND blocked_start >= ${earliest} AND blocked_end > ${start})"
        ));
        maintained.push(format!("(resource_id IN ({ids}) AND starts_at < ${end} AND ends_at > ${start})"));
    }
    let sql = format!(
        "SELECT resource_id, starts_at, ends_at, blocked_start, blocked_end, status, hold_expires_at FROM reservations \
         WHERE ({}) AND (status = 'confirmed' OR (status = 'hold' AND hold_expires_at > $1)) \
         UNION ALL \
         SELECT resource_id, starts_at, ends_at, starts_at, ends_at, 'maintenance', NULL FROM maintenance_blocks \
         WHERE {}",
        booked.join(" OR "),
        maintained.join(" OR ")
    );
    let mut q = sqlx::query(&sql).bind(secs(now));
    for a in arounds {
        for id in &a.ids {
            q = q.bind(*id);
        }
        let wide = a.wide();
        q = q.bind(secs(wide.end)).bind(secs(wide.start)).bind(wide.start.as_second() - MAX_BLOCKED_MINUTES * 60);
    }
    let mut out = Vec::new();
    for row in q.fetch_all(&mut *conn).await? {
        let status: String = row.try_get("status")?;
        let blocker = Blocker {
            resource_id: row.try_get("resource_id")?,
            period: Store::row_period(&row, "starts_at", "ends_at")?,
            blocked: Store::row_period(&row, "blocked_start", "blocked_end")?,
            reason: match status.as_str() {
                "hold" => BusyReason::Hold,
                "maintenance" => BusyReason::Maintenance,
                _ => BusyReason::Reservation,
            },
        };
        out.push((blocker, row.try_get::<Option<i64>, _>("hold_expires_at")?));
    }
    Ok(out)
}

/// Inserts reservations in one statement; returns their ids in the order given. Callers have
/// checked that none of them overlap on one resource.
pub(crate) async fn insert_reservations(
    conn: &mut AnyConnection,
    rows: &[(&Resource, Period, NewRow<'_>, Timestamp)],
) -> Result<Vec<i64>> {
    // 16 columns, then created_at, whose parameter updated_at repeats.
    const PER_ROW: usize = 17;
    let values: Vec<String> = (0..rows.len())
        .map(|i| {
            let first = 1 + i * PER_ROW;
            format!("({}, ${})", placeholders(first, PER_ROW), first + PER_ROW - 1)
        })
        .collect();
    let sql = format!(
        "INSERT INTO reservations (resource_id, series_id, starts_at, ends_at, blocked_start, blocked_end, status, \
         hold_expires_at, customer_type, customer, attendees, services, purpose, quote, total_cents, created_by, \
         created_at, updated_at) VALUES {} RETURNING id, resource_id, starts_at",
        values.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for (resource, period, row, now) in rows {
        let blocked = period.widen(resource.spec.buffer_before_minutes, resource.spec.buffer_after_minutes);
        q = q
            .bind(resource.id)
            .bind(row.series_id)
            .bind(secs(period.start))
            .bind(secs(period.end))
            .bind(secs(blocked.start))
            .bind(secs(blocked.end))
            .bind(row.status.as_str())
            .bind(row.hold_expires_at.map(secs))
            .bind(row.request.customer.customer_type.as_str())
            .bind(to_json(&row.request.customer))
            .bind(row.request.attendees)
            .bind(to_json(&row.request.services))
            .bind(row.request.purpose.as_str())
            .bind(to_json(row.quote))
            .bind(row.quote.total_cents)
            .bind(row.created_by)
            .bind(secs(*now));
    }
    let returned = q.fetch_all(&mut *conn).await?;
    // Neither backend promises RETURNING in VALUES order; (resource, start) is unique among rows
    // that do not overlap, so it maps each id back to its row.
    let mut by_slot = std::collections::HashMap::with_capacity(returned.len());
    for r in &returned {
        by_slot.insert(
            (r.try_get::<i64, _>("resource_id")?, r.try_get::<i64, _>("starts_at")?),
            r.try_get::<i64, _>("id")?,
        );
    }
    rows.iter()
        .map(|(resource, period, _, _)| {
            by_slot
                .get(&(resource.id, secs(period.start)))
                .copied()
                .ok_or_else(|| Error::Corrupt("INSERT … RETURNING lost a row".into()))
        })
        .collect()
}

//! The e-mail outbox: written inside business transactions, claimed and settled by the sender.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{secs, ts, Store};
use crate::error::{Error, Result};
use crate::outbox::{ClaimedMail, DeliveryStatus, MailRecord, NewMail};

/// Writes `mail` on `conn`, which is inside the caller's transaction: the message exists exactly
/// when the change it reports commits.
pub(crate) async fn enqueue(conn: &mut sqlx::AnyConnection, mail: &NewMail, now: Timestamp) -> Result<i64> {
    let id: i64 = sqlx::query(
        "INSERT INTO outbox (kind, recipient, subject, body, appointment_id, reservation_id, next_attempt_at, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&mail.kind)
    .bind(&mail.recipient)
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(mail.appointment_id)
    .bind(mail.reservation_id)
    .bind(secs(mail.not_before.unwrap_or(now).max(now)))
    .bind(secs(now))
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(id)
}

fn record_from_row(r: &AnyRow) -> Result<MailRecord> {
    let status: String = r.try_get("status")?;
    let status = DeliveryStatus::parse(&status).ok_or_else(|| Error::Corrupt(format!("outbox status {status}")))?;
    Ok(MailRecord {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        recipient: r.try_get("recipient")?,
        subject: r.try_get("subject")?,
        status,
        attempts: r.try_get::<i64, _>("attempts")? as u32,
        created_at: ts(r.try_get("created_at")?),
        next_attempt_at: (status == DeliveryStatus::Pending)
            .then(|| r.try_get("next_attempt_at").map(ts))
            .transpose()?,
        sent_at: r.try_get::<Option<i64>, _>("sent_at")?.map(ts),
        last_error: r.try_get("last_error")?,
        appointment_id: r.try_get("appointment_id")?,
    })
}

const RECORD_COLUMNS: &str =
    "id, kind, recipient, subject, status, attempts, created_at, next_attempt_at, sent_at, last_error, appointment_id";

impl Store {
    /// Queues one message on its own (no business change to go with it).
    pub async fn enqueue_mail(&self, mail: &NewMail, now: Timestamp) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        enqueue(&mut conn, mail, now).await
    }

    /// Claims up to `limit` due messages for `lease` seconds and counts the attempt. A row claimed
    /// by another sender (whose lease has not lapsed) is skipped: the conditions are repeated in
    /// the outer WHERE so that PostgreSQL re-checks them on the row it locks, and two senders
    /// racing for one row cannot both win it.
    pub async fn claim_due_mail(&self, now: Timestamp, lease_secs: i64, limit: u32) -> Result<Vec<ClaimedMail>> {
        let rows = sqlx::query(
            "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1 \
             WHERE status = 'pending' AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2) \
               AND id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
                          AND (claimed_until IS NULL OR claimed_until <= $2) ORDER BY id LIMIT $3) \
             RETURNING id, kind, recipient, body, attempts",
        )
        .bind(secs(now) + lease_secs)
        .bind(secs(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok(ClaimedMail {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    recipient: r.try_get("recipient")?,
                    body: r.try_get::<Option<String>, _>("body")?.unwrap_or_default(),
                    attempt: r.try_get::<i64, _>("attempts")? as u32,
                    lease: secs(now) + lease_secs,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    /// Delivered: the body (with its personal link) is erased. Only under the claim `mail` was
    /// given (see [`ClaimedMail::lease`]); returns whether it still held.
    pub async fn mail_sent(&self, mail: &ClaimedMail, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $2, body = NULL, claimed_until = NULL, last_error = NULL \
             WHERE id = $1 AND claimed_until = $3",
        )
        .bind(mail.id)
        .bind(secs(now))
        .bind(mail.lease)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A transient failure: try again at `retry_at` (under the claim, as for [`Store::mail_sent`]).
    pub async fn mail_retry(&self, mail: &ClaimedMail, retry_at: Timestamp, error: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $2, claimed_until = NULL, last_error = $3 WHERE id = $1 AND claimed_until = $4",
        )
        .bind(mail.id)
        .bind(secs(retry_at))
        .bind(error)
        .bind(mail.lease)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Given up (permanent failure, or out of attempts): shown to agents; the body (with its
    /// personal link) is erased, as after delivery.
    pub async fn mail_failed(&self, mail: &ClaimedMail, error: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET status = 'failed', body = NULL, claimed_until = NULL, last_error = $2 \
             WHERE id = $1 AND claimed_until = $3",
        )
        .bind(mail.id)
        .bind(error)
        .bind(mail.lease)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Messages with this status, newest first.
    pub async fn mails(&self, status: DeliveryStatus, limit: u32) -> Result<Vec<MailRecord>> {
        let rows =
            sqlx::query(&format!("SELECT {RECORD_COLUMNS} FROM outbox WHERE status = $1 ORDER BY id DESC LIMIT $2"))
                .bind(status.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(record_from_row).collect()
    }

    pub async fn mail(&self, id: i64) -> Result<MailRecord> {
        let row = sqlx::query(&format!("SELECT {RECORD_COLUMNS} FROM outbox WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("mail", id))?;
        record_from_row(&row)
    }

    /// Drops the reminders of appointment `id` that have not gone out yet (it moved or was
    /// cancelled), on the caller's transaction.
    pub(crate) async fn drop_pending_reminders(conn: &mut sqlx::AnyConnection, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM outbox WHERE appointment_id = $1 AND kind = 'reminder' AND status = 'pending'")
            .bind(id)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The stored body, `None` once erased (for audits: no personal link outlives delivery).
    pub async fn mail_body(&self, id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("mail", id))?;
        Ok(row.try_get("body")?)
    }

    /// The earliest moment a pending message is due (for the sender to sleep until then).
    pub async fn next_mail_due(&self) -> Result<Option<Timestamp>> {
        // A row another sender holds is due again only when its claim lapses.
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until ELSE next_attempt_at END) AS due \
             FROM outbox WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<i64>, _>("due")?.map(ts))
    }
}

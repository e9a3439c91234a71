//! Payments, invoices and refunds of reservations, and the one transaction that turns a paid
//! payment into a confirmed reservation with its door code and its e-mails.
//!
//! Exactly once: a provider's report is applied by inserting `(payment, status)` into
//! `payment_events` first, in the transaction that applies it. A repeated report finds the row
//! and changes nothing; a late, older report is refused by [`PaymentStatus::after`]. So a webhook
//! delivered twice, or two nodes handling the same webhook at once, confirm the reservation and
//! send its e-mail once.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use super::access::{issue_code, IssuedCode};
use super::outbox::enqueue;
use super::{secs, ts, Store};
use crate::error::{Error, Result};
use crate::outbox::NewMail;
use crate::payments::{self, PaymentStatus, Provider, RefundPolicy};
use crate::reservation::{Reservation, Status};

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Payment {
    pub id: i64,
    /// The unguessable id in checkout addresses.
    pub public_id: String,
    pub reservation_id: i64,
    pub call_id: Option<i64>,
    pub provider: Provider,
    /// The provider's own id (Mollie's `tr_…`).
    pub provider_ref: Option<String>,
    pub status: PaymentStatus,
    pub amount_cents: i64,
    pub refunded_cents: i64,
    pub description: String,
    pub checkout_url: Option<String>,
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub paid_at: Option<Timestamp>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

/// A new payment, before the provider knows it.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub public_id: String,
    pub reservation_id: i64,
    pub call_id: Option<i64>,
    pub provider: Provider,
    pub amount_cents: i64,
    pub description: String,
    pub idempotency_key: String,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Invoice {
    pub number: i64,
    pub structured_communication: String,
    #[schema(value_type = String)]
    pub due_date: Date,
    pub amount_cents: i64,
    #[schema(value_type = String)]
    pub issued_at: Timestamp,
}

/// What a confirmed reservation's e-mails are made from, inside the confirming transaction.
#[derive(Debug, Clone)]
pub struct Confirmed {
    pub reservation: Reservation,
    /// The room or court (its name, address and practical information go into the e-mail).
    pub resource: crate::catalogue::Resource,
    pub payment: Payment,
    pub invoice: Option<Invoice>,
    /// `None` when the room has no door with a keypad (the key is fetched at the desk).
    pub code: Option<IssuedCode>,
}

/// The outcome of applying a provider's report.
#[derive(Debug, Clone)]
pub struct Applied {
    pub payment: Payment,
    /// `false` for a repeated or out-of-date report: nothing happened.
    pub changed: bool,
    /// Set when this report confirmed the reservation.
    pub confirmed: Option<Confirmed>,
    /// Set when the payment was paid but its reservation could no longer be confirmed (the hold
    /// lapsed and the slot went to someone else, or it was cancelled): the money must go back.
    pub orphaned: bool,
}

/// A cancellation's consequences for the money.
#[derive(Debug, Clone)]
pub struct Cancelled {
    pub reservation: Reservation,
    /// What to refund; `None` when nothing is due.
    pub refund: Option<RefundDue>,
    /// The credit note of its invoice, when it was invoiced and something is credited.
    pub credit_note: Option<CreditNote>,
}

/// A credit note against an invoice, issued when an invoiced reservation is cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNote {
    /// Year × 10⁶ + its place in that year's series of credit notes.
    pub number: i64,
    pub invoice_number: i64,
    /// What is credited (the policy's share of the invoice, or all of it).
    pub amount_cents: i64,
    /// What is still owed on the invoice after the credit note.
    pub remaining_cents: i64,
    pub issued_at: Timestamp,
}

/// A refund recorded as pending, to be asked of the provider.
#[derive(Debug, Clone)]
pub struct RefundDue {
    pub payment: Payment,
    pub refund_id: i64,
    pub amount_cents: i64,
}

const COLUMNS: &str = "id, public_id, reservation_id, call_id, provider, provider_ref, status, amount_cents, \
                       refunded_cents, description, checkout_url, expires_at, paid_at, created_at";

fn payment_from_row(r: &AnyRow) -> Result<Payment> {
    let provider: String = r.try_get("provider")?;
    let status: String = r.try_get("status")?;
    Ok(Payment {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        reservation_id: r.try_get("reservation_id")?,
        call_id: r.try_get("call_id")?,
        provider: Provider::parse(&provider).ok_or_else(|| Error::Corrupt(format!("provider {provider}")))?,
        provider_ref: r.try_get("provider_ref")?,
        status: PaymentStatus::parse(&status).ok_or_else(|| Error::Corrupt(format!("payment status {status}")))?,
        amount_cents: r.try_get("amount_cents")?,
        refunded_cents: r.try_get("refunded_cents")?,
        description: r.try_get("description")?,
        checkout_url: r.try_get("checkout_url")?,
        expires_at: r.try_get::<Option<i64>, _>("expires_at")?.map(ts),
        paid_at: r.try_get::<Option<i64>, _>("paid_at")?.map(ts),
        created_at: ts(r.try_get("created_at")?),
    })
}

async fn payment_in(conn: &mut AnyConnection, id: i64) -> Result<Payment> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found("payment", id))?;
    payment_from_row(&row)
}

fn invoice_from_row(r: &AnyRow) -> Result<Invoice> {
    let due: String = r.try_get("due_date")?;
    Ok(Invoice {
        number: r.try_get("number")?,
        structured_communication: r.try_get("structured_communication")?,
        due_date: due.parse().map_err(|_| Error::Corrupt(format!("due date {due}")))?,
        amount_cents: r.try_get("amount_cents")?,
        issued_at: ts(r.try_get("issued_at")?),
    })
}

impl Store {
    /// Records a payment before asking the provider for it, so that a crash in between leaves a
    /// trace and a retry reuses the idempotency key. The reservation's hold is stretched to the
    /// payment's expiry: nobody else takes the slot while the citizen is paying.
    pub async fn create_payment(&self, p: &NewPayment, now: Timestamp) -> Result<Payment> {
        let reservation = self.reservation(p.reservation_id).await?;
        if reservation.effective_status(now) != Status::Hold {
            return Err(Error::State("only a held reservation can be paid for".into()));
        }
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO payments (public_id, reservation_id, call_id, provider, status, amount_cents, description, \
             idempotency_key, expires_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(&p.public_id)
        .bind(p.reservation_id)
        .bind(p.call_id)
        .bind(p.provider.as_str())
        .bind(p.amount_cents)
        .bind(&p.description)
        .bind(&p.idempotency_key)
        .bind(p.expires_at.map(secs))
        .bind(secs(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if let Some(until) = p.expires_at {
            // A minute past the payment's own expiry, for the provider's last report to arrive.
            let keep = until + SignedDuration::from_mins(1);
            sqlx::query(
                "UPDATE reservations SET hold_expires_at = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'hold' AND hold_expires_at > $2 AND hold_expires_at < $1",
            )
            .bind(secs(keep))
            .bind(secs(now))
            .bind(p.reservation_id)
            .execute(&mut *tx)
            .await?;
        }
        let payment = payment_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(payment)
    }

    /// What the provider answered when the payment was created.
    pub async fn set_payment_checkout(
        &self,
        id: i64,
        provider_ref: &str,
        checkout_url: Option<&str>,
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Payment> {
        sqlx::query(
            "UPDATE payments SET provider_ref = $1, checkout_url = $2, expires_at = COALESCE($3, expires_at), \
             updated_at = $4 WHERE id = $5",
        )
        .bind(provider_ref)
        .bind(checkout_url)
        .bind(expires_at.map(secs))
        .bind(secs(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.payment(id).await
    }

    pub async fn payment(&self, id: i64) -> Result<Payment> {
        let mut conn = self.pool.acquire().await?;
        payment_in(&mut conn, id).await
    }

    pub async fn payment_by_public_id(&self, public_id: &str) -> Result<Payment> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE public_id = $1"))
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("payment", "that id"))?;
        payment_from_row(&row)
    }

    pub async fn payment_by_provider_ref(&self, provider: Provider, provider_ref: &str) -> Result<Payment> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE provider = $1 AND provider_ref = $2"))
            .bind(provider.as_str())
            .bind(provider_ref)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("payment", "that id"))?;
        payment_from_row(&row)
    }

    pub async fn payments_of(&self, reservation_id: i64) -> Result<Vec<Payment>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE reservation_id = $1 ORDER BY id"))
            .bind(reservation_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(payment_from_row).collect()
    }

    pub async fn invoice_of(&self, reservation_id: i64) -> Result<Option<Invoice>> {
        let row = sqlx::query(
            "SELECT number, structured_communication, due_date, amount_cents, issued_at FROM invoices \
             WHERE reservation_id = $1",
        )
        .bind(reservation_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(invoice_from_row).transpose()
    }

    /// Open payments whose expiry has passed, for the sweep that asks their provider (or, for
    /// the simulated one, expires them).
    pub async fn lapsed_payments(&self, now: Timestamp, limit: i64) -> Result<Vec<Payment>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payments WHERE status IN ('open', 'pending') AND expires_at <= $1 \
             ORDER BY expires_at LIMIT $2"
        ))
        .bind(secs(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(payment_from_row).collect()
    }

    /// Applies a status the provider reported for `payment_id`, exactly once. When it confirms
    /// the reservation, the door code is issued and `mails` (rendered from what was confirmed)
    /// are queued, all in the same transaction.
    pub async fn apply_payment_status(
        &self,
        payment_id: i64,
        reported: PaymentStatus,
        now: Timestamp,
        code: &CodeIssuer<'_>,
        mails: &ConfirmationMails,
    ) -> Result<Applied> {
        let mut tx = self.begin_write().await?;
        let recorded = sqlx::query(
            "INSERT INTO payment_events (payment_id, status, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (payment_id, status) DO NOTHING",
        )
        .bind(payment_id)
        .bind(reported.as_str())
        .bind(secs(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let before = payment_in(&mut tx, payment_id).await?;
        let next = if recorded == 0 { None } else { before.status.after(reported) };
        let Some(next) = next else {
            // Commit anyway: the event row (if new) records that the report arrived.
            tx.commit().await?;
            return Ok(Applied { payment: before, changed: false, confirmed: None, orphaned: false });
        };
        // The WHERE repeats the current status: two nodes applying different reports at once
        // cannot both move it.
        let moved = sqlx::query(
            "UPDATE payments SET status = $1, paid_at = CASE WHEN $1 = 'paid' THEN $2 ELSE paid_at END, \
             updated_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(next.as_str())
        .bind(secs(now))
        .bind(payment_id)
        .bind(before.status.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            tx.rollback().await?;
            return Err(Error::State("the payment changed concurrently; report again".into()));
        }
        let payment = payment_in(&mut tx, payment_id).await?;
        let mut applied = Applied { payment: payment.clone(), changed: true, confirmed: None, orphaned: false };
        if next.confirms() {
            match confirm_in(&mut tx, payment.reservation_id, now).await? {
                Some(reservation) => {
                    let confirmed = self.finish_confirmation(&mut tx, reservation, payment, None, code, now).await?;
                    for mail in mails(&confirmed)? {
                        enqueue(&mut tx, &mail, now).await?;
                    }
                    applied.confirmed = Some(confirmed);
                }
                None => applied.orphaned = true,
            }
        }
        // Failed, cancelled or expired: the slot stays held until the hold lapses, so the agent
        // can start another payment at once.
        tx.commit().await?;
        Ok(applied)
    }

    /// Confirms a held reservation on an invoice: the payment (status `invoiced`), the invoice
    /// with its structured communication, the door code and the e-mails, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn confirm_with_invoice(
        &self,
        p: &NewPayment,
        due_days: i64,
        now: Timestamp,
        code: &CodeIssuer<'_>,
        mails: &ConfirmationMails,
    ) -> Result<Confirmed> {
        let mut tx = self.begin_write().await?;
        let Some(reservation) = confirm_in(&mut tx, p.reservation_id, now).await? else {
            tx.rollback().await?;
            let current = self.reservation(p.reservation_id).await?;
            current.confirm(now)?;
            return Err(Error::State("the reservation cannot be confirmed".into()));
        };
        let payment_id: i64 = sqlx::query(
            "INSERT INTO payments (public_id, reservation_id, call_id, provider, status, amount_cents, description, \
             idempotency_key, created_at, updated_at) \
             VALUES ($1, $2, $3, 'invoice', 'invoiced', $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&p.public_id)
        .bind(p.reservation_id)
        .bind(p.call_id)
        .bind(p.amount_cents)
        .bind(&p.description)
        .bind(&p.idempotency_key)
        .bind(secs(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let issued = crate::time::local(now).date();
        let due = payments::invoice_due(issued, due_days, crate::time::local(reservation.period.start).date());
        let base = next_number(&mut tx, Series::Invoices, issued.year()).await?;
        sqlx::query(
            "INSERT INTO invoices (reservation_id, payment_id, number, structured_communication, amount_cents, \
             due_date, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(p.reservation_id)
        .bind(payment_id)
        .bind(base as i64)
        .bind(payments::structured_communication(base))
        .bind(p.amount_cents)
        .bind(due.to_string())
        .bind(secs(now))
        .execute(&mut *tx)
        .await?;
        let payment = payment_in(&mut tx, payment_id).await?;
        let invoice = Invoice {
            number: base as i64,
            structured_communication: payments::structured_communication(base),
            due_date: due,
            amount_cents: p.amount_cents,
            issued_at: ts(secs(now)),
        };
        let confirmed = self.finish_confirmation(&mut tx, reservation, payment, Some(invoice), code, now).await?;
        for mail in mails(&confirmed)? {
            enqueue(&mut tx, &mail, now).await?;
        }
        tx.commit().await?;
        Ok(confirmed)
    }

    async fn finish_confirmation(
        &self,
        tx: &mut AnyConnection,
        reservation: Reservation,
        payment: Payment,
        invoice: Option<Invoice>,
        code: &CodeIssuer<'_>,
        now: Timestamp,
    ) -> Result<Confirmed> {
        let resource = self.resource(reservation.resource_id).await?;
        let code = issue_code(tx, &resource, &reservation, code, now).await?;
        Ok(Confirmed { reservation, resource, payment, invoice, code })
    }

    /// Cancels a reservation: frees the slot, revokes its door code, withdraws its unsent
    /// reminders, queues `mails`, and says what to refund under `policy` (the refund itself goes
    /// through the provider afterwards; [`Store::record_refund`] records it).
    pub async fn cancel_reservation(
        &self,
        id: i64,
        now: Timestamp,
        policy: RefundPolicy,
        by_municipality: bool,
        mails: &CancellationMails,
    ) -> Result<Cancelled> {
        let before = self.reservation(id).await?.effective_status(now);
        let reservation = self.cancel(id, now).await?;
        if before == Status::Cancelled {
            // Cancelled already: nothing more to revoke, withdraw, refund or tell.
            return Ok(Cancelled { reservation, refund: None, credit_note: None });
        }
        let resource = self.resource(reservation.resource_id).await?;
        let mut tx = self.begin_write().await?;
        // Two cancellations at once take turns here (a row lock on PostgreSQL; SQLite's write
        // transaction is exclusive already): the second then finds the refund, the credit note
        // and the e-mail of the first, and adds none.
        sqlx::query("UPDATE reservations SET updated_at = updated_at WHERE id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("UPDATE access_codes SET revoked_at = $1 WHERE reservation_id = $2 AND revoked_at IS NULL")
            .bind(secs(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // Every unsent message about it, unless a sender has claimed it right now.
        sqlx::query(
            "DELETE FROM outbox WHERE reservation_id = $1 AND status = 'pending' \
             AND (claimed_until IS NULL OR claimed_until <= $2)",
        )
        .bind(id)
        .bind(secs(now))
        .execute(&mut *tx)
        .await?;
        let paid = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payments WHERE reservation_id = $1 AND status = 'paid' AND refunded_cents = 0 \
             AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = payments.id) ORDER BY id LIMIT 1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let mut refund = None;
        let mut refund_cents = 0;
        if let Some(row) = paid {
            let payment = payment_from_row(&row)?;
            refund_cents = policy.refund(payment.amount_cents, reservation.period.start, now, by_municipality);
            if refund_cents > 0 {
                // The unique index on payment_id makes a second, concurrent cancellation insert
                // nothing: one refund per payment.
                let refund_id: Option<i64> = sqlx::query(
                    "INSERT INTO refunds (payment_id, amount_cents, status, created_at) VALUES ($1, $2, 'pending', $3) \
                     ON CONFLICT (payment_id) DO NOTHING RETURNING id",
                )
                .bind(payment.id)
                .bind(refund_cents)
                .bind(secs(now))
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
                if let Some(refund_id) = refund_id {
                    refund = Some(RefundDue { payment, refund_id, amount_cents: refund_cents });
                }
            }
        }
        let credit_note = credit_invoice(&mut tx, &reservation, policy, by_municipality, now).await?;
        // Only the cancellation of a confirmed reservation mails (a hold was never confirmed to
        // anyone), and only once: cancelling twice is harmless.
        let first_time = before == Status::Confirmed
            && reservation.status == Status::Cancelled
            && sqlx::query("SELECT 1 FROM outbox WHERE reservation_id = $1 AND kind = 'reservation_cancellation'")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .is_none();
        if first_time {
            for mail in mails(&reservation, &resource, refund_cents, credit_note.as_ref())? {
                enqueue(&mut tx, &mail, now).await?;
            }
        }
        tx.commit().await?;
        Ok(Cancelled { reservation, refund, credit_note })
    }

    /// A paid payment whose reservation could not be confirmed (see [`Applied::orphaned`]) is
    /// refunded in full; records that refund, once.
    pub async fn record_orphan_refund(&self, payment_id: i64, now: Timestamp) -> Result<Option<RefundDue>> {
        let mut tx = self.begin_write().await?;
        let payment = payment_in(&mut tx, payment_id).await?;
        let exists = sqlx::query("SELECT 1 FROM refunds WHERE payment_id = $1")
            .bind(payment_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if exists || payment.status != PaymentStatus::Paid || payment.amount_cents == 0 {
            return Ok(None);
        }
        let refund_id: i64 = sqlx::query(
            "INSERT INTO refunds (payment_id, amount_cents, status, created_at) VALUES ($1, $2, 'pending', $3) \
             RETURNING id",
        )
        .bind(payment_id)
        .bind(payment.amount_cents)
        .bind(secs(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        let amount_cents = payment.amount_cents;
        Ok(Some(RefundDue { payment, refund_id, amount_cents }))
    }

    /// Refunds the provider has not accepted yet (it could not be reached), created before
    /// `before`: the sweep asks again, with the same idempotency key.
    pub async fn pending_refunds(&self, before: Timestamp, limit: i64) -> Result<Vec<RefundDue>> {
        let rows = sqlx::query(
            "SELECT id, payment_id, amount_cents FROM refunds WHERE status = 'pending' AND created_at < $1 \
             ORDER BY id LIMIT $2",
        )
        .bind(secs(before))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(RefundDue {
                payment: self.payment(r.try_get("payment_id")?).await?,
                refund_id: r.try_get("id")?,
                amount_cents: r.try_get("amount_cents")?,
            });
        }
        Ok(out)
    }

    /// The provider accepted (or refused) refund `refund_id`.
    pub async fn record_refund(
        &self,
        refund_id: i64,
        provider_ref: Option<&str>,
        status: &str,
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT payment_id, amount_cents, status FROM refunds WHERE id = $1")
            .bind(refund_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::not_found("refund", refund_id))?;
        // Only the first answer about a pending refund counts (the sweep and a direct call may
        // both report it).
        let moved =
            sqlx::query("UPDATE refunds SET status = $1, provider_ref = $2 WHERE id = $3 AND status = 'pending'")
                .bind(status)
                .bind(provider_ref)
                .bind(refund_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if status != "failed" && moved == 1 {
            sqlx::query("UPDATE payments SET refunded_cents = refunded_cents + $1, updated_at = $2 WHERE id = $3")
                .bind(row.try_get::<i64, _>("amount_cents")?)
                .bind(secs(now))
                .bind(row.try_get::<i64, _>("payment_id")?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Confirms hold `id` inside `tx`; `None` when this call did not confirm it: the hold lapsed, it
/// was cancelled, or another payment confirmed it already (then this one is paid twice).
async fn confirm_in(tx: &mut AnyConnection, id: i64, now: Timestamp) -> Result<Option<Reservation>> {
    let done = sqlx::query(
        "UPDATE reservations SET status = 'confirmed', hold_expires_at = NULL, updated_at = $1 \
         WHERE id = $2 AND status = 'hold' AND hold_expires_at > $1",
    )
    .bind(secs(now))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    Ok(Some(super::reservations::reservation_in(tx, id).await?))
}

/// Renders the e-mails of a cancelled reservation (its resource, the refund in cents, the credit
/// note of its invoice).
pub type CancellationMails =
    dyn Fn(&Reservation, &crate::catalogue::Resource, i64, Option<&CreditNote>) -> Result<Vec<NewMail>> + Sync;

/// The numbered documents, each an unbroken series per calendar year (migrations 0010, 0012).
#[derive(Debug, Clone, Copy)]
enum Series {
    Invoices,
    CreditNotes,
}

/// The next number of `series` in `year` (year × 10⁶ + its place), taken inside `tx`: the year's
/// counter row stays locked until commit, so concurrent issues queue and a rollback gives the
/// number back.
async fn next_number(tx: &mut AnyConnection, series: Series, year: i16) -> Result<u64> {
    let (table, what) = match series {
        Series::Invoices => ("invoice_sequences", "invoice"),
        Series::CreditNotes => ("credit_note_sequences", "credit note"),
    };
    let sequence: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO {table} (year, last) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    ))
    .bind(i64::from(year))
    .fetch_one(&mut *tx)
    .await?;
    payments::invoice_base(year, sequence)
        .ok_or_else(|| Error::State(format!("the {what} numbers of {year} are used up")))
}

/// Credits the invoice of cancelled reservation `r` inside `tx`, when it has one not yet
/// credited: by the refund policy's share (all of it when the municipality cancels), numbered in
/// the year's credit-note series. `None` when there is no invoice or nothing to credit.
async fn credit_invoice(
    tx: &mut AnyConnection,
    r: &Reservation,
    policy: RefundPolicy,
    by_municipality: bool,
    now: Timestamp,
) -> Result<Option<CreditNote>> {
    let Some(row) = sqlx::query(
        "SELECT i.id, i.number, i.amount_cents FROM invoices i JOIN payments p ON p.id = i.payment_id \
         WHERE i.reservation_id = $1 AND p.status = 'invoiced' \
         AND NOT EXISTS (SELECT 1 FROM credit_notes c WHERE c.invoice_id = i.id)",
    )
    .bind(r.id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let (invoice_id, invoice_number, invoiced): (i64, i64, i64) =
        (row.try_get("id")?, row.try_get("number")?, row.try_get("amount_cents")?);
    let amount = policy.refund(invoiced, r.period.start, now, by_municipality);
    if amount <= 0 {
        return Ok(None);
    }
    let year = crate::time::local(now).date().year();
    let number = next_number(tx, Series::CreditNotes, year).await? as i64;
    sqlx::query("INSERT INTO credit_notes (invoice_id, number, amount_cents, issued_at) VALUES ($1, $2, $3, $4)")
        .bind(invoice_id)
        .bind(number)
        .bind(amount)
        .bind(secs(now))
        .execute(&mut *tx)
        .await?;
    Ok(Some(CreditNote {
        number,
        invoice_number,
        amount_cents: amount,
        remaining_cents: invoiced - amount,
        issued_at: ts(secs(now)),
    }))
}

/// Renders the e-mails of a confirmed reservation.
pub type ConfirmationMails = dyn Fn(&Confirmed) -> Result<Vec<NewMail>> + Sync;

/// What the store needs to issue door codes: the key of the PIN digests, the margin around the
/// reservation, and the randomness.
pub struct CodeIssuer<'a> {
    pub pin_key: &'a [u8],
    pub margin: SignedDuration,
}

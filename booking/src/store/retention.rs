//! The retention purge: personal data of what is over is erased once it is older than the
//! retention period. What stays is what the municipality must keep or what carries no person:
//! reservations and invoices (accounting, until their own, longer period: their customers are
//! erased by [`Store::purge_reservation_customers_before`]), anonymous survey answers and counts,
//! and the purge log.

use jiff::Timestamp;
use serde::Serialize;

use sqlx::Row;

use super::{secs, Store};
use crate::error::Result;

/// How many rows each step touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub call_participants: u64,
    pub survey_invitations: u64,
    pub appointments: u64,
    pub third_parties: u64,
    pub notes: u64,
    pub outbox: u64,
    pub door_events: u64,
    /// Room evaluation links whose address was erased, and defect reporters' addresses.
    pub evaluation_addresses: u64,
    pub reporter_addresses: u64,
}

impl Store {
    /// Erases personal data of calls, appointments, e-mails and door logs that ended before
    /// `cutoff`: names, addresses, phone numbers, notes and every stored link hash (each replaced
    /// by a value no link can match). One transaction: all of it or none.
    pub async fn purge_before(&self, cutoff: Timestamp, now: Timestamp) -> Result<Purged> {
        let c = secs(cutoff);
        let mut tx = self.begin_write().await?;
        async fn run(tx: &mut sqlx::AnyConnection, sql: &str, cutoff: i64) -> Result<u64> {
            Ok(sqlx::query(sql).bind(cutoff).execute(&mut *tx).await?.rows_affected())
        }
        let purged = Purged {
            call_participants: run(
                &mut tx,
                "UPDATE call_participants SET name = '', email = NULL, token_hash = 'purged-' || CAST(id AS TEXT) \
                 WHERE token_hash NOT LIKE 'purged-%' AND call_id IN \
                 (SELECT id FROM calls WHERE COALESCE(ended_at, ends_at) < $1)",
                c,
            )
            .await?,
            survey_invitations: run(
                &mut tx,
                "DELETE FROM survey_invitations WHERE expires_at < $1 OR answered_at < $1",
                c,
            )
            .await?,
            third_parties: run(
                &mut tx,
                "UPDATE appointment_third_parties SET name = '', email = '' WHERE email <> '' AND appointment_id IN \
                 (SELECT id FROM appointments WHERE ends_at < $1)",
                c,
            )
            .await?,
            notes: run(
                &mut tx,
                "DELETE FROM appointment_notes WHERE appointment_id IN (SELECT id FROM appointments WHERE ends_at < $1)",
                c,
            )
            .await?,
            appointments: run(
                &mut tx,
                "UPDATE appointments SET citizen_name = '', citizen_email = '', citizen_phone = NULL, \
                 manage_token_hash = 'purged-' || CAST(id AS TEXT) \
                 WHERE ends_at < $1 AND manage_token_hash NOT LIKE 'purged-%'",
                c,
            )
            .await?,
            outbox: run(
                &mut tx,
                "DELETE FROM outbox WHERE status <> 'pending' AND COALESCE(sent_at, next_attempt_at, created_at) < $1",
                c,
            )
            .await?,
            door_events: run(&mut tx, "DELETE FROM door_events WHERE at < $1", c).await?,
            evaluation_addresses: run(
                &mut tx,
                "UPDATE room_evaluations SET email = NULL WHERE email IS NOT NULL AND created_at < $1",
                c,
            )
            .await?,
            reporter_addresses: run(
                &mut tx,
                "UPDATE defect_reports SET reporter_email = NULL WHERE reporter_email IS NOT NULL AND created_at < $1",
                c,
            )
            .await?,
        };
        if purged == Purged::default() {
            // Nothing was due: no audit line for a purge that purged nothing.
            tx.commit().await?;
            return Ok(purged);
        }
        let detail = serde_json::to_string(&purged).expect("counts serialise");
        sqlx::query("INSERT INTO purge_log (at, subject, detail) VALUES ($1, 'retention', $2)")
            .bind(secs(now))
            .bind(format!("personal data older than {cutoff}: {detail}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(purged)
    }

    /// Erases the customers (name, e-mail, phone, address, organisation, language, identity
    /// check) and the stated purpose of reservations that ended before `cutoff`, keeping what
    /// accounting and the figures need: customer type, resource, period, status, services, quote,
    /// payments and invoices. Returns how many were erased; each run that erased any is logged.
    /// In batches of 500, each its own transaction, so a first run over years of history does not
    /// hold the database for long.
    pub async fn purge_reservation_customers_before(&self, cutoff: Timestamp, now: Timestamp) -> Result<u64> {
        let mut erased = 0u64;
        loop {
            let mut tx = self.begin_write().await?;
            // An erased customer has an empty e-mail address, which no live reservation has
            // (Customer::validate): that is what marks it done.
            let due = sqlx::query(
                "SELECT id, customer FROM reservations WHERE ends_at < $1 AND customer NOT LIKE '%\"email\":\"\"%' \
                 ORDER BY id LIMIT 500",
            )
            .bind(secs(cutoff))
            .fetch_all(&mut *tx)
            .await?;
            if due.is_empty() {
                tx.commit().await?;
                break;
            }
            for row in &due {
                let id: i64 = row.try_get("id")?;
                let customer: crate::reservation::Customer =
                    serde_json::from_str(&row.try_get::<String, _>("customer")?)
                        .map_err(|e| crate::Error::Corrupt(format!("customer of reservation {id}: {e}")))?;
                let erased_customer = crate::reservation::Customer {
                    customer_type: customer.customer_type,
                    name: String::new(),
                    email: String::new(),
                    phone: None,
                    organisation: None,
                    address: None,
                    identity_check: None,
                    language: None,
                };
                sqlx::query("UPDATE reservations SET customer = $1, purpose = '' WHERE id = $2")
                    .bind(super::to_json(&erased_customer))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            erased += due.len() as u64;
            tx.commit().await?;
        }
        if erased > 0 {
            sqlx::query("INSERT INTO purge_log (at, subject, detail) VALUES ($1, 'reservation-retention', $2)")
                .bind(secs(now))
                .bind(format!("customers of {erased} reservations that ended before {cutoff}"))
                .execute(&self.pool)
                .await?;
        }
        Ok(erased)
    }
}

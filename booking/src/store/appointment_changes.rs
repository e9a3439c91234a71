//! Moving and cancelling appointments, with their e-mails in the same transaction.
//!
//! A move rotates every personal link (the call's and the citizen's manage link): only hashes are
//! stored, so the message announcing the new time can only carry links that are new; the old ones
//! stop working at once. A cancellation revokes the call's links and ends the call.

use jiff::Timestamp;
use sqlx::Row;

use super::appointments::{choose_agent, staff_name};
use super::calls::new_token;
use super::outbox::enqueue;
use super::{begin_with_row_locks, secs, Store};
use crate::appointments::record::Booked;
use crate::appointments::{may_change, Actor, AppointmentRecord, AppointmentStatus, Move, ServiceSpec, Token};
use crate::calls::{token_hash, LinkWindow};
use crate::error::{Error, Result};
use crate::outbox::NewMail;

impl Store {
    /// Cancels appointment `id` as `actor` (a citizen until the service's cancel notice, an
    /// agent until the start); `mails` renders the cancellation messages (the record has the
    /// bumped sequence). Returns the cancelled appointment.
    pub async fn cancel_appointment(
        &self,
        id: i64,
        actor: Actor,
        service: &ServiceSpec,
        now: Timestamp,
        mails: impl FnOnce(&AppointmentRecord) -> Result<Vec<NewMail>>,
    ) -> Result<AppointmentRecord> {
        let before = self.appointment(id).await?;
        let mut tx =
            begin_with_row_locks(&self.pool, self.backend, "agent_hours", "agent_id", &[before.agent_id]).await?;
        let status: String = sqlx::query("SELECT status FROM appointments WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if status != AppointmentStatus::Booked.as_str() {
            return Err(Error::State("the appointment is already cancelled".into()));
        }
        may_change(actor, before.period.start, now, service)?;
        Store::drop_pending_reminders(&mut tx, id).await?;
        // Only the version read above: a move or cancel that committed meanwhile bumped the
        // sequence, and this one must not go out with stale times and the same SEQUENCE.
        let changed = sqlx::query(
            "UPDATE appointments SET status = 'cancelled', cancelled_at = $2, sequence = sequence + 1 \
             WHERE id = $1 AND status = 'booked' AND sequence = $3",
        )
        .bind(id)
        .bind(secs(now))
        .bind(before.sequence)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(Error::State("the appointment changed meanwhile; look again".into()));
        }
        if let Some(call) = before.call_id {
            sqlx::query("UPDATE call_participants SET revoked_at = $2 WHERE call_id = $1 AND revoked_at IS NULL")
                .bind(call)
                .bind(secs(now))
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE calls SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL")
                .bind(call)
                .bind(secs(now))
                .execute(&mut *tx)
                .await?;
        }
        let after = AppointmentRecord { status: AppointmentStatus::Cancelled, sequence: before.sequence + 1, ..before };
        for mail in mails(&after)? {
            enqueue(&mut tx, &NewMail { appointment_id: Some(id), ..mail }, now).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Moves appointment `id` to `period` as `actor`: allowed as for a cancellation, and the new
    /// time is checked like a new booking (the pool's agents locked, the same rule), the current
    /// agent kept when free. Every link is replaced; `mails` renders the messages with the new
    /// links (the record has the bumped sequence).
    pub async fn reschedule_appointment(
        &self,
        id: i64,
        change: Move,
        service: &ServiceSpec,
        window: LinkWindow,
        now: Timestamp,
        mails: impl FnOnce(&Booked, Timestamp) -> Result<Vec<NewMail>>,
    ) -> Result<Booked> {
        let Move { period, by: actor } = change;
        let before = self.appointment(id).await?;
        if before.status != AppointmentStatus::Booked {
            return Err(Error::State("the appointment is cancelled".into()));
        }
        may_change(actor, before.period.start, now, service)?;
        let (mut tx, mut schedules) = self.lock_pool(service, period).await?;
        // The appointment being moved does not stand in its own way.
        for s in &mut schedules {
            s.booked.retain(|b| b.appointment_id != id);
        }
        let agent_id = choose_agent(service, &schedules, period, now, Some(before.agent_id))?;
        Store::drop_pending_reminders(&mut tx, id).await?;
        let manage_token = new_token();
        // Only the version read above (see cancel_appointment).
        let changed = sqlx::query(
            "UPDATE appointments SET starts_at = $2, ends_at = $3, agent_id = $4, manage_token_hash = $5, \
             sequence = sequence + 1 WHERE id = $1 AND status = 'booked' AND sequence = $6",
        )
        .bind(id)
        .bind(secs(period.start))
        .bind(secs(period.end))
        .bind(agent_id)
        .bind(token_hash(&manage_token))
        .bind(before.sequence)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(Error::State("the appointment changed meanwhile; look again".into()));
        }
        let agent_name = staff_name(&mut tx, agent_id).await?;

        // New links for the citizen and each third party (the agent's own is not handed out).
        let mut citizen_join = None;
        let mut third_party_joins = vec![None; before.third_parties.len()];
        if let Some(call) = before.call_id {
            let valid = window.around(period);
            sqlx::query("UPDATE calls SET starts_at = $2, ends_at = $3, created_by = $4 WHERE id = $1")
                .bind(call)
                .bind(secs(period.start))
                .bind(secs(period.end))
                .bind(agent_id)
                .execute(&mut *tx)
                .await?;
            let rows = sqlx::query(
                "SELECT id, role FROM call_participants WHERE call_id = $1 AND revoked_at IS NULL ORDER BY id",
            )
            .bind(call)
            .fetch_all(&mut *tx)
            .await?;
            for row in rows {
                let pid: i64 = row.try_get("id")?;
                let role: String = row.try_get("role")?;
                let token = new_token();
                let name_update = if role == "agent" { Some(agent_name.clone()) } else { None };
                sqlx::query(
                    "UPDATE call_participants SET token_hash = $2, valid_from = $3, valid_until = $4, \
                     name = COALESCE($5, name) WHERE id = $1",
                )
                .bind(pid)
                .bind(token_hash(&token))
                .bind(secs(valid.start))
                .bind(secs(valid.end))
                .bind(name_update)
                .execute(&mut *tx)
                .await?;
                if role == "citizen" {
                    citizen_join = Some(Token(token));
                } else if let Some(i) = before.third_parties.iter().position(|t| t.participant_id == Some(pid)) {
                    third_party_joins[i] = Some(Token(token));
                }
            }
        }
        let previous_start = before.period.start;
        let appointment = AppointmentRecord { period, agent_id, agent_name, sequence: before.sequence + 1, ..before };
        let booked = Booked { appointment, manage_token: Token(manage_token), citizen_join, third_party_joins };
        for mail in mails(&booked, previous_start)? {
            enqueue(&mut tx, &NewMail { appointment_id: Some(id), ..mail }, now).await?;
        }
        tx.commit().await?;
        Ok(booked)
    }
}

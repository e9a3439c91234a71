//! Third parties added to an appointment after booking, and removed: each has a call link of
//! their own, which removal revokes at once.

use jiff::Timestamp;
use sqlx::Row;

use super::calls::{insert_participant, new_token};
use super::outbox::enqueue;
use super::{begin_with_row_locks, secs, Store};
use crate::appointments::{AppointmentRecord, AppointmentStatus, ThirdParty, ThirdPartyRecord, Token};
use crate::calls::{LinkWindow, NewParticipant, ParticipantRole};
use crate::error::{Error, Result};
use crate::outbox::NewMail;

/// Invitations one appointment may ever send (present and removed third parties together).
const MAX_INVITED_EVER: i64 = 8;

impl Store {
    /// Adds `party` to appointment `id` (booked, not over: an interpreter may be called in during
    /// the call): a call participant with a new link (video and hybrid) and the invitation
    /// `mails` renders, in one transaction, under the agent's lock and only for the version of
    /// the appointment read (a concurrent move or cancel makes it fail with 409).
    pub async fn add_third_party(
        &self,
        id: i64,
        party: &ThirdParty,
        window: LinkWindow,
        now: Timestamp,
        mails: impl FnOnce(&AppointmentRecord, &ThirdPartyRecord, Option<&Token>) -> Result<Vec<NewMail>>,
    ) -> Result<ThirdPartyRecord> {
        let before = self.appointment(id).await?;
        if before.status != AppointmentStatus::Booked {
            return Err(Error::State("the appointment is cancelled".into()));
        }
        if now >= before.period.end {
            return Err(Error::State("the appointment is over".into()));
        }
        let mut tx =
            begin_with_row_locks(&self.pool, self.backend, "agent_hours", "agent_id", &[before.agent_id]).await?;
        let current = sqlx::query(
            "UPDATE appointments SET sequence = sequence WHERE id = $1 AND status = 'booked' AND sequence = $2",
        )
        .bind(id)
        .bind(before.sequence)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if current == 0 {
            return Err(Error::State("the appointment changed meanwhile; look again".into()));
        }
        // Removed ones count too: a manage link must not become a way to mail strangers.
        let ever: i64 = sqlx::query("SELECT COUNT(*) FROM appointment_third_parties WHERE appointment_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if ever >= MAX_INVITED_EVER {
            return Err(Error::State(format!(
                "at most {MAX_INVITED_EVER} people can ever be invited to one appointment; please call the municipality"
            )));
        }
        let mut token = None;
        let mut participant_id = None;
        if let Some(call) = before.call_id {
            let raw = new_token();
            let guest = NewParticipant {
                name: party.name.clone(),
                role: ParticipantRole::Guest,
                email: Some(party.email.as_str().to_string()),
            };
            let pid = insert_participant(&mut tx, call, &guest, &raw, window.around(before.period), now).await?;
            participant_id = Some(pid);
            token = Some(Token(raw));
        }
        let relation = serde_json::to_string(&party.relation).map_err(|e| Error::Corrupt(e.to_string()))?;
        let tp_id: i64 = sqlx::query(
            "INSERT INTO appointment_third_parties (appointment_id, name, email, relation, participant_id) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(id)
        .bind(&party.name)
        .bind(party.email.as_str())
        .bind(relation)
        .bind(participant_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let record = ThirdPartyRecord {
            id: tp_id,
            name: party.name.clone(),
            email: party.email.as_str().to_string(),
            relation: party.relation.clone(),
            participant_id,
        };
        let mut after = before;
        after.third_parties.push(record.clone());
        for mail in mails(&after, &record, token.as_ref())? {
            enqueue(&mut tx, &NewMail { appointment_id: Some(id), ..mail }, now).await?;
        }
        tx.commit().await?;
        Ok(record)
    }

    /// Removes third party `party` from appointment `id`: their link stops working at once and
    /// their messages not yet sent are dropped. Returns their call participant, if any, for the
    /// caller to take out of a running call.
    pub async fn remove_third_party(&self, id: i64, party: i64, now: Timestamp) -> Result<Option<i64>> {
        let agent = self.appointment(id).await?.agent_id;
        // Write-locked from the start (BEGIN IMMEDIATE on SQLite): read-then-write in a deferred
        // transaction fails on SQLite when another write commits in between.
        let mut tx = begin_with_row_locks(&self.pool, self.backend, "agent_hours", "agent_id", &[agent]).await?;
        let row = sqlx::query(
            "SELECT email, participant_id FROM appointment_third_parties \
             WHERE id = $1 AND appointment_id = $2 AND removed_at IS NULL",
        )
        .bind(party)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::not_found("third party", party))?;
        let email: String = row.try_get("email")?;
        let participant: Option<i64> = row.try_get("participant_id")?;
        sqlx::query("UPDATE appointment_third_parties SET removed_at = $2 WHERE id = $1")
            .bind(party)
            .bind(secs(now))
            .execute(&mut *tx)
            .await?;
        if let Some(pid) = participant {
            sqlx::query("UPDATE call_participants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(pid)
                .bind(secs(now))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM outbox WHERE appointment_id = $1 AND recipient = $2 AND status = 'pending'")
            .bind(id)
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(participant)
    }
}

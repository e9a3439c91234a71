//! Fresh personal links for an appointment after booking: the agent's own call link (agents open
//! calls from their console; booking never hands it out) and a resent invitation for the citizen
//! or a third party. Only hashes are stored, so "resending" means a new token: the old link stops
//! working, and the messages still waiting with it are replaced in the same transaction.

use jiff::Timestamp;
use sqlx::Row;

use super::calls::new_token;
use super::outbox::enqueue;
use super::{begin_with_row_locks, Store};
use crate::appointments::{AppointmentRecord, AppointmentStatus, Token};
use crate::calls::token_hash;
use crate::error::{Error, Result};
use crate::outbox::NewMail;

/// Whose link to issue again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkHolder {
    Citizen,
    /// A present third party, by id.
    ThirdParty(i64),
}

/// The new links of a resend, for the messages to carry.
pub struct Reissued<'a> {
    pub appointment: &'a AppointmentRecord,
    pub holder: LinkHolder,
    /// The call link (video and hybrid).
    pub join: Option<&'a Token>,
    /// The citizen's manage link (the citizen only).
    pub manage: Option<&'a Token>,
}

fn bookable(a: &AppointmentRecord, now: Timestamp) -> Result<()> {
    if a.status != AppointmentStatus::Booked {
        return Err(Error::State("the appointment is cancelled".into()));
    }
    if now >= a.period.end {
        return Err(Error::State("the appointment is over".into()));
    }
    Ok(())
}

impl Store {
    /// A new call link for the agent of appointment `id`, in the name of `staff_name` (a
    /// colleague may stand in). The previous agent link stops working. Returns the raw token.
    pub async fn rotate_agent_link(&self, id: i64, staff_name: &str, now: Timestamp) -> Result<Token> {
        let a = self.appointment(id).await?;
        bookable(&a, now)?;
        let call = a.call_id.ok_or_else(|| Error::State("a physical appointment has no call".into()))?;
        if self.call(call).await?.ended_at.is_some() {
            return Err(Error::State("the call has ended".into()));
        }
        let token = new_token();
        // Not once revoked: a cancellation that committed meanwhile revoked every link of the call.
        let done = sqlx::query(
            "UPDATE call_participants SET token_hash = $2, name = $3 \
             WHERE id = (SELECT MIN(id) FROM call_participants WHERE call_id = $1 AND role = 'agent') \
             AND revoked_at IS NULL",
        )
        .bind(call)
        .bind(token_hash(&token))
        .bind(staff_name)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(Error::State("the appointment is cancelled".into()));
        }
        Ok(Token(token))
    }

    /// Issues `holder`'s links of appointment `id` again (booked, not over): a new call link
    /// and, for the citizen, a new manage link; the old ones stop working. Their messages still
    /// waiting (carrying the old links) are dropped and `mails` renders the new ones, all in one
    /// transaction under the agent's lock and only for the version of the appointment read.
    /// Returns the recipient's address.
    pub async fn reissue_links(
        &self,
        id: i64,
        holder: LinkHolder,
        now: Timestamp,
        mails: impl FnOnce(Reissued<'_>) -> Result<Vec<NewMail>>,
    ) -> Result<String> {
        let a = self.appointment(id).await?;
        bookable(&a, now)?;
        let (recipient, party_participant) = match holder {
            LinkHolder::Citizen => (a.citizen.email.clone(), None),
            LinkHolder::ThirdParty(party) => {
                let t = a
                    .third_parties
                    .iter()
                    .find(|t| t.id == party)
                    .ok_or_else(|| Error::not_found("third party", party))?;
                (t.email.clone(), t.participant_id)
            }
        };
        let mut tx = begin_with_row_locks(&self.pool, self.backend, "agent_hours", "agent_id", &[a.agent_id]).await?;
        let current = sqlx::query(
            "UPDATE appointments SET sequence = sequence WHERE id = $1 AND status = 'booked' AND sequence = $2",
        )
        .bind(id)
        .bind(a.sequence)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if current == 0 {
            return Err(Error::State("the appointment changed meanwhile; look again".into()));
        }
        let participant = match (holder, a.call_id) {
            (LinkHolder::Citizen, Some(call)) => sqlx::query(
                "SELECT MIN(id) FROM call_participants WHERE call_id = $1 AND role = 'citizen' AND revoked_at IS NULL",
            )
            .bind(call)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<Option<i64>, _>(0)?,
            (LinkHolder::ThirdParty(_), _) => party_participant,
            (LinkHolder::Citizen, None) => None,
        };
        let mut join = None;
        if let Some(pid) = participant {
            let raw = new_token();
            sqlx::query("UPDATE call_participants SET token_hash = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(pid)
                .bind(token_hash(&raw))
                .execute(&mut *tx)
                .await?;
            join = Some(Token(raw));
        }
        let mut manage = None;
        if holder == LinkHolder::Citizen {
            let raw = new_token();
            sqlx::query("UPDATE appointments SET manage_token_hash = $2 WHERE id = $1")
                .bind(id)
                .bind(token_hash(&raw))
                .execute(&mut *tx)
                .await?;
            manage = Some(Token(raw));
        }
        sqlx::query("DELETE FROM outbox WHERE appointment_id = $1 AND recipient = $2 AND status = 'pending'")
            .bind(id)
            .bind(&recipient)
            .execute(&mut *tx)
            .await?;
        let reissued = Reissued { appointment: &a, holder, join: join.as_ref(), manage: manage.as_ref() };
        for mail in mails(reissued)? {
            enqueue(&mut tx, &NewMail { appointment_id: Some(id), ..mail }, now).await?;
        }
        tx.commit().await?;
        Ok(recipient)
    }
}

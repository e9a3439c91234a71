//! Calls and participants' capability links.

use jiff::Timestamp;
use rand::RngCore;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{secs, ts, Store};
use crate::calls::{
    token_hash, CallRecord, CallRequest, LinkWindow, NewParticipant, ParticipantRecord, ParticipantRole,
};
use crate::error::{Error, Result};
use crate::time::Period;

/// A fresh link token: 160 random bits from the OS generator, hex. Returned once to the creator;
/// only [`token_hash`] of it is stored.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const PARTICIPANT_COLUMNS: &str = "id, call_id, name, role, email, valid_from, valid_until, revoked_at";

fn participant_from_row(r: &AnyRow) -> Result<ParticipantRecord> {
    let role: String = r.try_get("role")?;
    Ok(ParticipantRecord {
        id: r.try_get("id")?,
        call_id: r.try_get("call_id")?,
        name: r.try_get("name")?,
        role: ParticipantRole::parse(&role).ok_or_else(|| Error::Corrupt(format!("participant role {role}")))?,
        email: r.try_get("email")?,
        valid: Store::row_period(r, "valid_from", "valid_until")?,
        revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(ts),
    })
}

impl Store {
    /// Creates a call with the creating agent and the invited participants; returns it with each
    /// participant's raw token (agent first), which is never stored.
    pub async fn create_call(
        &self,
        request: &CallRequest,
        agent: (i64, &str),
        window: LinkWindow,
        now: Timestamp,
    ) -> Result<(CallRecord, Vec<String>)> {
        request.validate(now)?;
        let mut tx = self.pool.begin().await?;
        let (call_id, created) =
            insert_call(&mut tx, request.title.trim(), request.period, agent, &request.participants, window, now)
                .await?;
        let tokens = created.into_iter().map(|(_, token)| token).collect();
        tx.commit().await?;
        Ok((self.call(call_id).await?, tokens))
    }

    pub async fn call(&self, id: i64) -> Result<CallRecord> {
        let row = sqlx::query("SELECT id, title, starts_at, ends_at, ended_at FROM calls WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("call", id))?;
        let participants =
            sqlx::query(&format!("SELECT {PARTICIPANT_COLUMNS} FROM call_participants WHERE call_id = $1 ORDER BY id"))
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(participant_from_row)
                .collect::<Result<_>>()?;
        Ok(CallRecord {
            id: row.try_get("id")?,
            title: row.try_get("title")?,
            period: Store::row_period(&row, "starts_at", "ends_at")?,
            ended_at: row.try_get::<Option<i64>, _>("ended_at")?.map(ts),
            participants,
        })
    }

    /// Invites one more participant; returns them with their raw token.
    pub async fn add_participant(
        &self,
        call_id: i64,
        p: &NewParticipant,
        window: LinkWindow,
        now: Timestamp,
    ) -> Result<(ParticipantRecord, String)> {
        p.validate()?;
        let call = self.call(call_id).await?;
        if call.ended_at.is_some() {
            return Err(Error::State(format!("call {call_id} has ended")));
        }
        let invited = call.participants.iter().filter(|q| q.role != ParticipantRole::Agent && q.revoked_at.is_none());
        if invited.count() >= crate::calls::MAX_INVITED {
            return Err(Error::State(format!("call {call_id} already has {} participants", crate::calls::MAX_INVITED)));
        }
        let token = new_token();
        let mut conn = self.pool.acquire().await?;
        let id = insert_participant(&mut conn, call_id, p, &token, window.around(call.period), now).await?;
        Ok((self.participant(call_id, id).await?, token))
    }

    /// One participant of one call.
    async fn participant(&self, call_id: i64, id: i64) -> Result<ParticipantRecord> {
        let row =
            sqlx::query(&format!("SELECT {PARTICIPANT_COLUMNS} FROM call_participants WHERE id = $1 AND call_id = $2"))
                .bind(id)
                .bind(call_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| Error::not_found("participant", id))?;
        participant_from_row(&row)
    }

    /// Revokes a participant's link; their token stops working at once.
    pub async fn revoke_participant(
        &self,
        call_id: i64,
        participant: i64,
        now: Timestamp,
    ) -> Result<ParticipantRecord> {
        sqlx::query(
            "UPDATE call_participants SET revoked_at = $1 WHERE id = $2 AND call_id = $3 AND revoked_at IS NULL",
        )
        .bind(secs(now))
        .bind(participant)
        .bind(call_id)
        .execute(&self.pool)
        .await?;
        self.participant(call_id, participant).await
    }

    /// The participant a raw token belongs to, with the call's end if it ended.
    pub async fn participant_by_token(&self, raw: &str) -> Result<Option<(ParticipantRecord, Option<Timestamp>)>> {
        let row = sqlx::query(
            "SELECT p.id, p.call_id, p.name, p.role, p.email, p.valid_from, p.valid_until, p.revoked_at, c.ended_at \
             FROM call_participants p JOIN calls c ON c.id = p.call_id WHERE p.token_hash = $1",
        )
        .bind(token_hash(raw))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((participant_from_row(&r)?, r.try_get::<Option<i64>, _>("ended_at")?.map(ts)))).transpose()
    }

    /// The stored link hashes of a call's participants, by participant id (the survey tokens are
    /// derived from them).
    pub async fn participant_token_hashes(&self, call_id: i64) -> Result<std::collections::HashMap<i64, String>> {
        let rows = sqlx::query("SELECT id, token_hash FROM call_participants WHERE call_id = $1")
            .bind(call_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("token_hash")?))).collect()
    }

    /// Records that a call ended; every link of it stops opening the call.
    pub async fn end_call(&self, id: i64, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE calls SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(secs(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Inserts a call hosted by `agent` with its participants (the agent first) on `conn`, inside the
/// caller's transaction; returns the call's id and each participant's id and raw token.
pub(crate) async fn insert_call(
    conn: &mut sqlx::AnyConnection,
    title: &str,
    period: Period,
    agent: (i64, &str),
    participants: &[NewParticipant],
    window: LinkWindow,
    now: Timestamp,
) -> Result<(i64, Vec<(i64, String)>)> {
    let call_id: i64 = sqlx::query(
        "INSERT INTO calls (title, starts_at, ends_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(title)
    .bind(secs(period.start))
    .bind(secs(period.end))
    .bind(agent.0)
    .bind(secs(now))
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let host = NewParticipant { name: agent.1.to_string(), role: ParticipantRole::Agent, email: None };
    let valid = window.around(period);
    let mut created = Vec::new();
    for p in std::iter::once(&host).chain(participants) {
        let token = new_token();
        let id = insert_participant(&mut *conn, call_id, p, &token, valid, now).await?;
        created.push((id, token));
    }
    Ok((call_id, created))
}

pub(crate) async fn insert_participant(
    conn: &mut sqlx::AnyConnection,
    call_id: i64,
    p: &NewParticipant,
    token: &str,
    valid: Period,
    now: Timestamp,
) -> Result<i64> {
    let id = sqlx::query(
        "INSERT INTO call_participants (call_id, name, role, email, token_hash, valid_from, valid_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(call_id)
    .bind(p.name.trim())
    .bind(p.role.as_str())
    .bind(p.email.as_deref())
    .bind(token_hash(token))
    .bind(secs(valid.start))
    .bind(secs(valid.end))
    .bind(secs(now))
    .fetch_one(conn)
    .await?
    .try_get(0)?;
    Ok(id)
}

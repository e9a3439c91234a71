//! Agents' weekly hours and absences: what the free moments and the booking rule read.

use jiff::Timestamp;
use sqlx::Row;

use super::{begin_with_row_locks, secs, Store};
use crate::appointments::WeeklyHours;
use crate::error::{Error, Result};
use crate::time::Period;

/// An absence as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Absence {
    pub id: i64,
    pub agent_id: i64,
    pub period: Period,
    pub reason: Option<String>,
}

impl Store {
    /// The agent's weekly hours (empty: takes no appointments).
    pub async fn agent_hours(&self, agent: i64) -> Result<WeeklyHours> {
        let row = sqlx::query("SELECT hours FROM agent_hours WHERE agent_id = $1")
            .bind(agent)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => {
                serde_json::from_str(&r.try_get::<String, _>("hours")?).map_err(|e| Error::Corrupt(e.to_string()))
            }
            None => Ok(WeeklyHours(Vec::new())),
        }
    }

    /// Sets the agent's weekly hours. Existing appointments stay (an agent who works less keeps
    /// the ones already booked); new moments follow the new hours.
    pub async fn put_agent_hours(&self, agent: i64, hours: &WeeklyHours) -> Result<()> {
        hours.validate("hours")?;
        let is_agent: Option<i64> = sqlx::query("SELECT id FROM staff WHERE id = $1")
            .bind(agent)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.get(0));
        is_agent.ok_or_else(|| Error::not_found("staff member", agent))?;
        let json = serde_json::to_string(hours).map_err(|e| Error::Corrupt(e.to_string()))?;
        // One statement, so two first-time writes cannot both try to insert.
        sqlx::query(
            "INSERT INTO agent_hours (agent_id, hours) VALUES ($1, $2) \
             ON CONFLICT (agent_id) DO UPDATE SET hours = excluded.hours",
        )
        .bind(agent)
        .bind(&json)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records an absence. Refused (409, naming them) while booked appointments fall in it: they
    /// must be moved first, so that nobody is left waiting in a lobby. Takes the agent's lock,
    /// so a booking cannot slip in between the check and the insert.
    pub async fn add_absence(&self, agent: i64, period: Period, reason: Option<&str>) -> Result<Absence> {
        if let Some(r) = reason {
            if r.chars().count() > 200 {
                return Err(Error::invalid("reason", "at most 200 characters"));
            }
        }
        let mut tx = begin_with_row_locks(&self.pool, self.backend, "agent_hours", "agent_id", &[agent]).await?;
        let clashes: Vec<i64> = sqlx::query(
            "SELECT id FROM appointments WHERE agent_id = $1 AND status = 'booked' AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at",
        )
        .bind(agent)
        .bind(secs(period.start))
        .bind(secs(period.end))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
        if !clashes.is_empty() {
            let list = clashes.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ");
            return Err(Error::State(format!("appointments {list} fall in this absence; move them first")));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO agent_absences (agent_id, starts_at, ends_at, reason) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(agent)
        .bind(secs(period.start))
        .bind(secs(period.end))
        .bind(reason)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(Absence { id, agent_id: agent, period, reason: reason.map(str::to_string) })
    }

    /// The agent's absences that end after `from`, by start.
    pub async fn absences(&self, agent: i64, from: Timestamp) -> Result<Vec<Absence>> {
        sqlx::query(
            "SELECT id, agent_id, starts_at, ends_at, reason FROM agent_absences WHERE agent_id = $1 AND ends_at > $2 \
             ORDER BY starts_at",
        )
        .bind(agent)
        .bind(secs(from))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Absence {
                id: r.try_get("id")?,
                agent_id: r.try_get("agent_id")?,
                period: Store::row_period(r, "starts_at", "ends_at")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
    }

    pub async fn remove_absence(&self, agent: i64, id: i64) -> Result<()> {
        let removed = sqlx::query("DELETE FROM agent_absences WHERE id = $1 AND agent_id = $2")
            .bind(id)
            .bind(agent)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if removed == 0 {
            return Err(Error::not_found("absence", id));
        }
        Ok(())
    }
}

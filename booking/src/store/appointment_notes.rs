//! Agents' follow-up notes on an appointment. Kept apart from [`AppointmentRecord`]
//! (crate::appointments::AppointmentRecord), which a citizen's manage link also shows: notes are
//! for staff only.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use super::{secs, ts, Store};
use crate::error::Result;

/// The current notes of an appointment; empty text and no author when none were written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AppointmentNotes {
    pub text: String,
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<Timestamp>,
    /// Who wrote them last (staff name).
    pub updated_by: Option<String>,
}

impl Store {
    /// The notes of appointment `id` (which must exist).
    pub async fn appointment_notes(&self, id: i64) -> Result<AppointmentNotes> {
        self.appointment(id).await?;
        let row = sqlx::query(
            "SELECT n.text, n.updated_at, s.name FROM appointment_notes n JOIN staff s ON s.id = n.updated_by \
             WHERE n.appointment_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => AppointmentNotes {
                text: r.try_get("text")?,
                updated_at: Some(ts(r.try_get("updated_at")?)),
                updated_by: Some(r.try_get("name")?),
            },
            None => AppointmentNotes { text: String::new(), updated_at: None, updated_by: None },
        })
    }

    /// Replaces the notes of appointment `id` (also once cancelled or over: follow-up comes
    /// after). `text` is validated by the caller.
    pub async fn set_appointment_notes(
        &self,
        id: i64,
        text: &str,
        staff_id: i64,
        now: Timestamp,
    ) -> Result<AppointmentNotes> {
        self.appointment(id).await?;
        sqlx::query(
            "INSERT INTO appointment_notes (appointment_id, text, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (appointment_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(id)
        .bind(text)
        .bind(secs(now))
        .bind(staff_id)
        .execute(&self.pool)
        .await?;
        self.appointment_notes(id).await
    }
}

//! What the staff console (`/balie`) needs beyond booking: the agent's own call link for an
//! appointment, resending a person's invitation with a fresh link, and follow-up notes.
//! The messages reuse the booking's renderers (`appointments`), so a resent invitation reads
//! exactly like the first one.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use balie_booking::store::{AppointmentNotes, LinkHolder, Reissued};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::appointments::{citizen_resend_mails, join_url, new_party_mails};
use super::now;
use crate::auth::{Agents, Authorized};
use crate::error::{ApiResult, Problem};
use crate::extract::Json;
use crate::state::AppState;

/// Longest follow-up note, in characters: a few paragraphs, not a case file.
const MAX_NOTES_CHARS: usize = 4000;

/// A personal call link, shown once.
#[derive(Serialize, ToSchema)]
pub struct CallLink {
    pub url: String,
}

/// The signed-in agent's link to the appointment's call (a new one each time: the previous one
/// stops working). Any agent may open it, so a colleague can stand in; the call shows their name.
#[utoipa::path(post, path = "/api/v1/afspraken/{id}/gesprek", tag = "appointments", params(("id" = i64, Path)),
    responses((status = 200, body = CallLink), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn agent_link(
    State(state): State<AppState>,
    staff: Authorized<Agents>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let token = state.store.rotate_agent_link(id, &staff.claims.name, now()).await?;
    tracing::info!(appointment = id, staff_id = staff.id(), "agent opened the call");
    let body = CallLink { url: join_url(&state, &token.0) };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response())
}

/// Whose invitation to send again: a third party by id, or (absent) the citizen.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resend {
    pub third_party: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Resent {
    /// The address the new invitation goes to.
    pub recipient: String,
}

/// Send a person's invitation again with a fresh link (only hashes are kept, so the old link
/// cannot be re-sent: it stops working). The citizen gets a new confirmation with new call and
/// manage links; a third party a new invitation. Their reminders still to come are replaced.
#[utoipa::path(post, path = "/api/v1/afspraken/{id}/opnieuw-sturen", tag = "appointments", params(("id" = i64, Path)),
    request_body = Resend,
    responses((status = 200, body = Resent), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn resend(
    State(state): State<AppState>,
    staff: Authorized<Agents>,
    Path(id): Path<i64>,
    Json(body): Json<Resend>,
) -> ApiResult<axum::Json<Resent>> {
    let a = state.store.appointment(id).await?;
    let service = state.store.appointment_service(&a.service).await?;
    let holder = body.third_party.map_or(LinkHolder::Citizen, LinkHolder::ThirdParty);
    let now = now();
    let recipient = state
        .store
        .reissue_links(id, holder, now, |r: Reissued<'_>| match r.holder {
            LinkHolder::Citizen => citizen_resend_mails(&state, &service, r.appointment, r.join, r.manage, now),
            LinkHolder::ThirdParty(party) => {
                let p = r
                    .appointment
                    .third_parties
                    .iter()
                    .find(|t| t.id == party)
                    .ok_or_else(|| balie_booking::Error::not_found("third party", party))?;
                new_party_mails(&state, &service, r.appointment, p, r.join, now)
            }
        })
        .await?;
    state.mailer.wake();
    tracing::info!(appointment = id, staff_id = staff.id(), "invitation resent with a new link");
    Ok(axum::Json(Resent { recipient }))
}

/// Follow-up notes: staff only, never shown to the citizen.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotesBody {
    /// At most 4000 characters; empty clears the notes.
    pub text: String,
}

/// The follow-up notes of an appointment.
#[utoipa::path(get, path = "/api/v1/afspraken/{id}/notities", tag = "appointments", params(("id" = i64, Path)),
    responses((status = 200, body = AppointmentNotes), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn notes(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<AppointmentNotes>> {
    Ok(axum::Json(state.store.appointment_notes(id).await?))
}

/// Replace the follow-up notes of an appointment (also after it took place).
#[utoipa::path(put, path = "/api/v1/afspraken/{id}/notities", tag = "appointments", params(("id" = i64, Path)),
    request_body = NotesBody,
    responses((status = 200, body = AppointmentNotes), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_notes(
    State(state): State<AppState>,
    staff: Authorized<Agents>,
    Path(id): Path<i64>,
    Json(body): Json<NotesBody>,
) -> ApiResult<axum::Json<AppointmentNotes>> {
    let text = body.text.trim();
    let mut problems = balie_booking::error::Problems::default();
    problems.check(text.chars().count() <= MAX_NOTES_CHARS, "text", "must be at most 4000 characters");
    // Line breaks and tabs are text; other control characters only come from a broken client.
    problems.check(
        !text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t'),
        "text",
        "must not contain control characters",
    );
    problems.into_result()?;
    Ok(axum::Json(state.store.set_appointment_notes(id, text, staff.id(), now()).await?))
}

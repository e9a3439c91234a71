//! Agents' working hours and absences (`/api/v1/medewerkers/{id}/…`): an agent keeps their own,
//! a resource admin anyone's. The free moments and the booking rule read them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use balie_booking::appointments::WeeklyHours;
use balie_booking::store::Absence;
use balie_booking::time::Period;
use serde::Deserialize;
use utoipa::ToSchema;

use super::now;
use crate::auth::{Role, Staff};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Json;
use crate::state::AppState;

/// The caller may keep `agent`'s schedule: it is their own, or they are a resource admin.
fn may_keep(staff: &Staff, agent: i64) -> Result<(), ApiError> {
    if staff.id() == agent {
        staff.require(&[Role::Agent])
    } else {
        staff.require(&[Role::ResourceAdmin])
    }
}

/// An agent's weekly hours in Brussels time: `[{weekday: 1..7, ranges: [{start: "08:30", end: "12:00"}]}]`.
#[utoipa::path(get, path = "/api/v1/medewerkers/{id}/uren", tag = "appointments", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn hours(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<WeeklyHours>> {
    may_keep(&staff, id)?;
    Ok(axum::Json(state.store.agent_hours(id).await?))
}

/// Set an agent's weekly hours. Booked appointments stay; new moments follow the new hours.
#[utoipa::path(put, path = "/api/v1/medewerkers/{id}/uren", tag = "appointments", params(("id" = i64, Path)),
    request_body = Object,
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_hours(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(hours): Json<WeeklyHours>,
) -> ApiResult<StatusCode> {
    may_keep(&staff, id)?;
    state.store.put_agent_hours(id, &hours).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAbsence {
    pub period: Period,
    /// For colleagues, e.g. "opleiding" (at most 200 characters).
    pub reason: Option<String>,
}

/// The agent's absences from now on.
#[utoipa::path(get, path = "/api/v1/medewerkers/{id}/afwezigheden", tag = "appointments", params(("id" = i64, Path)),
    responses((status = 200, body = [Absence])))]
pub async fn absences(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<Absence>>> {
    may_keep(&staff, id)?;
    Ok(axum::Json(state.store.absences(id, now()).await?))
}

/// Record an absence; 409 (naming them) while booked appointments fall in it.
#[utoipa::path(post, path = "/api/v1/medewerkers/{id}/afwezigheden", tag = "appointments", params(("id" = i64, Path)),
    request_body = NewAbsence,
    responses((status = 201, body = Absence), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_absence(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(body): Json<NewAbsence>,
) -> ApiResult<Response> {
    may_keep(&staff, id)?;
    let absence = state.store.add_absence(id, body.period, body.reason.as_deref()).await?;
    Ok((StatusCode::CREATED, axum::Json(absence)).into_response())
}

/// Remove an absence.
#[utoipa::path(delete, path = "/api/v1/medewerkers/{id}/afwezigheden/{absence}", tag = "appointments",
    params(("id" = i64, Path), ("absence" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_absence(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, absence)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    may_keep(&staff, id)?;
    state.store.remove_absence(id, absence).await?;
    Ok(StatusCode::NO_CONTENT)
}

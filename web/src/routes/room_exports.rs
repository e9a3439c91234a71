//! The managers' CSV exports of room and court evaluations and of defect reports for a period
//! (`/api/v1/dashboard/zalen/…csv`), beside the per-room figures of `/api/v1/dashboard/zalen`.

use axum::extract::State;
use axum::response::Response;

use crate::auth::{Authorized, Managers};
use crate::csv::{self, Csv};
use crate::error::{ApiResult, Problem};
use crate::extract::Query;
use crate::routes::evaluations::{resource_names, Period};
use crate::state::AppState;

/// The most records one export holds.
const MAX_ROWS: i64 = 100_000;

/// The evaluations of the days in the period, by day: the room or court, the score (1–5) and the
/// comment; nothing about the person or the reservation.
#[utoipa::path(get, path = "/api/v1/dashboard/zalen/evaluaties.csv", tag = "evaluations", params(Period),
    responses((status = 200, content_type = "text/csv"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn evaluations(
    _manager: Authorized<Managers>,
    State(state): State<AppState>,
    Query(p): Query<Period>,
) -> ApiResult<Response> {
    let (from, to) = p.days()?;
    let names = resource_names(&state).await?;
    let mut out = Csv::new("day,room_id,room,score,comment");
    for r in state.store.evaluation_answers(from, to, MAX_ROWS).await? {
        out.row(&[
            r.day.to_string(),
            r.resource_id.to_string(),
            csv::text(names.get(&r.resource_id).map(String::as_str).unwrap_or("")),
            r.score.to_string(),
            csv::text(r.comment.as_deref().unwrap_or("")),
        ]);
    }
    Ok(out.into_response("zaalevaluaties.csv"))
}

/// The defect reports made in the period, oldest first: when (local time), the room or court,
/// the status, the description, what was done and when, and how many photos; never the
/// reporter's address.
#[utoipa::path(get, path = "/api/v1/dashboard/zalen/defecten.csv", tag = "evaluations", params(Period),
    responses((status = 200, content_type = "text/csv"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn defects(
    _manager: Authorized<Managers>,
    State(state): State<AppState>,
    Query(p): Query<Period>,
) -> ApiResult<Response> {
    let (from, to) = p.days()?;
    let (start, end) = crate::routes::period::instants(from, to)?;
    let names = resource_names(&state).await?;
    let local = balie_booking::time::format_local;
    let mut out = Csv::new("id,reported_at,room_id,room,status,description,resolution,closed_at,photos");
    for d in state.store.defects_reported(start, end, MAX_ROWS).await? {
        out.row(&[
            d.id.to_string(),
            local(d.created_at),
            d.resource_id.to_string(),
            csv::text(names.get(&d.resource_id).map(String::as_str).unwrap_or("")),
            d.status.as_str().to_string(),
            csv::text(&d.description),
            csv::text(d.resolution.as_deref().unwrap_or("")),
            d.closed_at.map(local).unwrap_or_default(),
            d.photos.to_string(),
        ]);
    }
    Ok(out.into_response("defectmeldingen.csv"))
}

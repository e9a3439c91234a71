//! Season series (`/api/v1/reeksen`): weekly bookings for associations (resource admin).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_booking::series::{SeriesReport, SeriesRequest};
use balie_booking::time;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::now;
use crate::auth::{Admins, Authorized};
use crate::error::{ApiResult, Problem};
use crate::extract::Json;
use crate::state::AppState;

/// Book every free weekly occurrence; the report lists each occurrence with what it clashes with.
#[utoipa::path(post, path = "/api/v1/reeksen", tag = "reservations", request_body = SeriesRequest,
    responses((status = 201, body = SeriesReport), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn book(
    State(state): State<AppState>,
    staff: Authorized<Admins>,
    Json(req): Json<SeriesRequest>,
) -> ApiResult<Response> {
    let report = state.store.book_series(&req, Some(staff.id()), now()).await?;
    tracing::info!(
        staff_id = staff.id(),
        series_id = report.series_id,
        booked = report.booked,
        not_booked = report.not_booked,
        "series booked"
    );
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/reservaties?series_id={}", report.series_id))],
        axum::Json(report),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelFrom {
    /// Cancel the occurrences on and after this date.
    #[schema(value_type = String, format = Date)]
    pub from: Date,
}

#[derive(Serialize, ToSchema)]
pub struct Cancelled {
    pub cancelled: u64,
}

/// Cancel the rest of a series, from a date on.
#[utoipa::path(post, path = "/api/v1/reeksen/{id}/annulering", tag = "reservations", request_body = CancelFrom,
    responses((status = 200, body = Cancelled), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel_from(
    State(state): State<AppState>,
    staff: Authorized<Admins>,
    Path(id): Path<i64>,
    Json(body): Json<CancelFrom>,
) -> ApiResult<axum::Json<Cancelled>> {
    let from = time::instant(body.from, jiff::civil::Time::midnight());
    let cancelled = state.store.cancel_series_from(id, from, now()).await?;
    tracing::info!(staff_id = staff.id(), series_id = id, cancelled, "series cancelled from date");
    Ok(axum::Json(Cancelled { cancelled }))
}

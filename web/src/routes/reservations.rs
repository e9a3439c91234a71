//! Quotes (`/api/v1/offertes`, public) and reservations (`/api/v1/reservaties`, staff).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_booking::catalogue::CustomerType;
use balie_booking::pricing::{Quote, ServiceRequest};
use balie_booking::reservation::{Customer, Reservation, ReservationRequest, Status};
use balie_booking::store::ReservationFilter;
use balie_booking::time::Period;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::now;
use crate::auth::{Authorized, Bookers};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Query};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub resource_id: i64,
    pub period: Period,
    pub customer_type: CustomerType,
    pub attendees: i64,
    #[serde(default)]
    pub services: Vec<ServiceRequest>,
}

/// Price a reservation without making it.
#[utoipa::path(post, path = "/api/v1/offertes", tag = "reservations", request_body = QuoteRequest,
    responses((status = 200, body = Quote), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn quote(State(state): State<AppState>, Json(q): Json<QuoteRequest>) -> ApiResult<axum::Json<Quote>> {
    let request = ReservationRequest {
        resource_id: q.resource_id,
        period: q.period,
        customer: Customer {
            customer_type: q.customer_type,
            name: String::new(),
            email: String::new(),
            phone: None,
            organisation: None,
            address: None,
            identity_check: None,
            language: None,
        },
        attendees: q.attendees,
        services: q.services,
        purpose: String::new(),
    };
    let (_, quote) = state.store.quote(&request).await?;
    Ok(axum::Json(quote))
}

/// Hold a slot in a citizen's or association's name. The hold lapses unless confirmed in time.
#[utoipa::path(post, path = "/api/v1/reservaties", tag = "reservations", request_body = ReservationRequest,
    responses((status = 201, body = Reservation), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "the period is taken; `clashes` names what it clashes with", body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn hold(
    State(state): State<AppState>,
    staff: Authorized<Bookers>,
    Json(req): Json<ReservationRequest>,
) -> ApiResult<Response> {
    let r = state.store.hold(&req, Some(staff.id()), now(), state.hold_ttl).await?;
    tracing::info!(staff_id = staff.id(), reservation_id = r.id, resource_id = r.resource_id, "hold placed");
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/reservaties/{}", r.id))], axum::Json(r))
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    resource_id: Option<i64>,
    series_id: Option<i64>,
    status: Option<Status>,
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<Timestamp>,
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<Timestamp>,
}

/// Reservations overlapping a window (at most 1000).
#[utoipa::path(get, path = "/api/v1/reservaties", tag = "reservations", params(ListParams),
    responses((status = 200, body = Vec<Reservation>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Authorized<Bookers>,
    Query(p): Query<ListParams>,
) -> ApiResult<axum::Json<Vec<Reservation>>> {
    let window = match (p.from, p.until) {
        (None, None) => None,
        (from, until) => {
            let from = from.unwrap_or(Timestamp::MIN);
            let until = until.unwrap_or(Timestamp::MAX);
            Some(Period::new(from, until).map_err(|_| ApiError::invalid("until", "must be after from"))?)
        }
    };
    let f = ReservationFilter { resource_id: p.resource_id, window, status: p.status, series_id: p.series_id };
    Ok(axum::Json(state.store.reservations(&f).await?))
}

#[utoipa::path(get, path = "/api/v1/reservaties/{id}", tag = "reservations",
    responses((status = 200, body = Reservation), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Authorized<Bookers>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Reservation>> {
    Ok(axum::Json(state.store.reservation(id).await?))
}

/// Confirm a hold (payment or invoice chosen). Confirming twice is harmless.
#[utoipa::path(post, path = "/api/v1/reservaties/{id}/bevestiging", tag = "reservations",
    responses((status = 200, body = Reservation), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "the hold expired or the reservation was cancelled", body = Problem, content_type = "application/problem+json")))]
pub async fn confirm(
    State(state): State<AppState>,
    staff: Authorized<Bookers>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Reservation>> {
    let r = state.store.confirm(id, now()).await?;
    tracing::info!(staff_id = staff.id(), reservation_id = id, "reservation confirmed");
    Ok(axum::Json(r))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CancelParams {
    /// `true`: the municipality cancels (maintenance, emergency): everything paid is refunded.
    /// Otherwise the refund policy decides by how far ahead the cancellation is.
    by_municipality: Option<bool>,
}

/// Cancel a reservation or hold; the time is free at once, its door code stops working, unsent
/// reminders are withdrawn, the customer is told, and a payment is refunded by the policy.
#[utoipa::path(post, path = "/api/v1/reservaties/{id}/annulering", tag = "reservations", params(CancelParams),
    responses((status = 200, body = Reservation), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    State(state): State<AppState>,
    staff: Authorized<Bookers>,
    Path(id): Path<i64>,
    Query(p): Query<CancelParams>,
) -> ApiResult<axum::Json<Reservation>> {
    let r = crate::payments::service::cancel(&state, id, p.by_municipality.unwrap_or(false)).await?;
    tracing::info!(staff_id = staff.id(), reservation_id = id, "reservation cancelled");
    Ok(axum::Json(r))
}

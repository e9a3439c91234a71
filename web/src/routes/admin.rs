//! Catalogue upkeep beside resources: extra services, booking windows per customer type
//! (priority rules) and maintenance blocks.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use balie_booking::catalogue::{BookingWindow, CustomerType, ExtraService};
use balie_booking::store::MaintenanceBlock;
use balie_booking::time::Period;
use serde::Deserialize;
use utoipa::ToSchema;

use super::now;
use crate::auth::{Admins, Authorized, Bookers};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Json;
use crate::state::AppState;

/// Extra services (catering, set-up, cleaning) and their prices.
#[utoipa::path(get, path = "/api/v1/diensten", tag = "catalogue", responses((status = 200, body = Vec<ExtraService>)))]
pub async fn services(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<ExtraService>>> {
    Ok(axum::Json(state.store.services().await?))
}

/// Create or replace an extra service (resource admin). `retired: true` withdraws it.
#[utoipa::path(put, path = "/api/v1/diensten/{code}", tag = "catalogue", request_body = ExtraService,
    responses((status = 200, body = ExtraService), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_service(
    State(state): State<AppState>,
    _staff: Authorized<Admins>,
    Path(code): Path<String>,
    Json(service): Json<ExtraService>,
) -> ApiResult<axum::Json<ExtraService>> {
    if service.code != code {
        return Err(ApiError::invalid("code", "must match the code in the path"));
    }
    Ok(axum::Json(state.store.put_service(&service, now()).await?))
}

/// How far ahead each customer type may book.
#[utoipa::path(get, path = "/api/v1/boekingsvensters", tag = "catalogue", responses((status = 200, body = Vec<BookingWindow>)))]
pub async fn booking_windows(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<BookingWindow>>> {
    Ok(axum::Json(state.store.booking_windows().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowDays {
    pub max_days_ahead: i64,
}

/// Set a customer type's booking window (resource admin).
#[utoipa::path(put, path = "/api/v1/boekingsvensters/{customer_type}", tag = "catalogue", request_body = WindowDays,
    responses((status = 200, body = BookingWindow), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_booking_window(
    State(state): State<AppState>,
    _staff: Authorized<Admins>,
    Path(customer_type): Path<String>,
    Json(body): Json<WindowDays>,
) -> ApiResult<axum::Json<BookingWindow>> {
    let customer_type = CustomerType::parse(&customer_type)
        .ok_or_else(|| ApiError::invalid("customer_type", "unknown customer type"))?;
    let w = BookingWindow { customer_type, max_days_ahead: body.max_days_ahead };
    Ok(axum::Json(state.store.put_booking_window(&w, now()).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMaintenance {
    pub period: Period,
    pub reason: String,
}

/// Maintenance blocks of a resource.
#[utoipa::path(get, path = "/api/v1/infrastructuur/{id}/onderhoud", tag = "catalogue",
    responses((status = 200, body = Vec<MaintenanceBlock>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn maintenance(
    State(state): State<AppState>,
    _staff: Authorized<Bookers>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<MaintenanceBlock>>> {
    state.store.resource(id).await?;
    Ok(axum::Json(state.store.maintenance(id).await?))
}

/// Block a resource for maintenance (resource admin). Refused with 409 where bookings exist.
#[utoipa::path(post, path = "/api/v1/infrastructuur/{id}/onderhoud", tag = "catalogue", request_body = NewMaintenance,
    responses((status = 201, body = MaintenanceBlock), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_maintenance(
    State(state): State<AppState>,
    staff: Authorized<Admins>,
    Path(id): Path<i64>,
    Json(body): Json<NewMaintenance>,
) -> ApiResult<Response> {
    let block = state.store.add_maintenance(id, body.period, body.reason.trim(), Some(staff.id()), now()).await?;
    tracing::info!(staff_id = staff.id(), resource_id = id, block_id = block.id, "maintenance block added");
    Ok((StatusCode::CREATED, axum::Json(block)).into_response())
}

/// Lift a maintenance block (resource admin).
#[utoipa::path(delete, path = "/api/v1/onderhoud/{id}", tag = "catalogue",
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_maintenance(
    State(state): State<AppState>,
    _staff: Authorized<Admins>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.store.remove_maintenance(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! The catalogue (`/api/v1/infrastructuur`): search, details, availability and calendar for
//! everyone; create, update and retire for resource admins.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_booking::availability::{self, Availability, CalendarDay, Limits};
use balie_booking::catalogue::{CustomerType, Equipment, Resource, ResourceKind, ResourceSpec, ResourceType};
use balie_booking::search::{self, Filter, Page, Sort};
use balie_booking::time::Period;
use balie_booking::Store;
use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::Deserialize;
use utoipa::IntoParams;

use super::now;
use crate::auth::{Admins, Authorized};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{comma_list, Json, Query};
use crate::state::AppState;

/// Longest window availability is computed for: a year ahead, with a leap day.
const MAX_WINDOW_DAYS: i64 = 366;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Only resources for at least this many people.
    min_capacity: Option<i64>,
    /// `true`: only wheelchair-accessible resources.
    wheelchair_accessible: Option<bool>,
    kind: Option<ResourceKind>,
    /// Comma-separated resource types, any of which matches (`meeting_room,party_hall`).
    #[serde(rename = "type")]
    types: Option<String>,
    /// Comma-separated facilities, all of which must be present (`projector,kitchen`).
    equipment: Option<String>,
    /// Comma-separated service codes, all of which must be offered.
    services: Option<String>,
    /// Only resources this customer type may book (and, with `free_from`, within its window).
    customer_type: Option<CustomerType>,
    /// Text in name, description or address.
    q: Option<String>,
    /// With `free_until`: only resources that can be booked for this whole period.
    #[param(value_type = Option<String>, format = DateTime)]
    free_from: Option<Timestamp>,
    #[param(value_type = Option<String>, format = DateTime)]
    free_until: Option<Timestamp>,
    sort: Option<Sort>,
    /// 1-based page number.
    page: Option<usize>,
    /// 1 to 100, default 20.
    per_page: Option<usize>,
}

async fn limits_for(store: &Store, customer: Option<CustomerType>) -> ApiResult<Limits> {
    let now = now();
    Ok(match customer {
        Some(c) => store.limits(c, now).await?,
        None => Limits { now, horizon: None },
    })
}

/// Search rooms and courts.
#[utoipa::path(get, path = "/api/v1/infrastructuur", tag = "catalogue", params(SearchParams),
    responses((status = 200, body = Page<Resource>), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn search(
    State(state): State<AppState>,
    Query(p): Query<SearchParams>,
) -> ApiResult<axum::Json<Page<Resource>>> {
    let page = p.page.unwrap_or(1);
    let per_page = p.per_page.unwrap_or(20);
    if page == 0 {
        return Err(ApiError::invalid("page", "starts at 1"));
    }
    if !(1..=100).contains(&per_page) {
        return Err(ApiError::invalid("per_page", "must be between 1 and 100"));
    }
    if p.q.as_ref().is_some_and(|q| q.len() > 100) {
        return Err(ApiError::invalid("q", "must be at most 100 characters"));
    }
    let free = match (p.free_from, p.free_until) {
        (Some(from), Some(until)) => {
            Some(Period::new(from, until).map_err(|_| ApiError::invalid("free_until", "must be after free_from"))?)
        }
        (None, None) => None,
        (Some(_), None) => return Err(ApiError::invalid("free_until", "is required with free_from")),
        (None, Some(_)) => return Err(ApiError::invalid("free_from", "is required with free_until")),
    };
    let filter = Filter {
        min_capacity: p.min_capacity,
        wheelchair_accessible: p.wheelchair_accessible,
        kind: p.kind,
        types: comma_list::<ResourceType>("type", p.types.as_deref())?,
        equipment: comma_list::<Equipment>("equipment", p.equipment.as_deref())?,
        services: comma_list::<String>("services", p.services.as_deref())?,
        customer_type: p.customer_type,
        text: p.q.filter(|q| !q.trim().is_empty()),
    };
    let mut found: Vec<Resource> = state.store.resources().await?.into_iter().filter(|r| filter.matches(r)).collect();
    if let Some(period) = free {
        let limits = limits_for(&state.store, p.customer_type).await?;
        let mut free_ones = Vec::with_capacity(found.len());
        for r in found {
            if state.store.is_free(&r, period, limits).await? {
                free_ones.push(r);
            }
        }
        found = free_ones;
    }
    search::sort(&mut found, p.sort.unwrap_or_default());
    Ok(axum::Json(Page::of(found, page, per_page)))
}

/// One room or court.
#[utoipa::path(get, path = "/api/v1/infrastructuur/{id}", tag = "catalogue",
    responses((status = 200, body = Resource), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<axum::Json<Resource>> {
    Ok(axum::Json(state.store.resource(id).await?))
}

/// Add a room or court (resource admin).
#[utoipa::path(post, path = "/api/v1/infrastructuur", tag = "catalogue", request_body = ResourceSpec,
    responses((status = 201, body = Resource), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    staff: Authorized<Admins>,
    Json(spec): Json<ResourceSpec>,
) -> ApiResult<Response> {
    let r = state.store.create_resource(&spec, now()).await?;
    tracing::info!(staff_id = staff.id(), resource_id = r.id, "resource created");
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/infrastructuur/{}", r.id))], axum::Json(r))
        .into_response())
}

/// Replace a resource's description, prices and hours (resource admin).
#[utoipa::path(put, path = "/api/v1/infrastructuur/{id}", tag = "catalogue", request_body = ResourceSpec,
    responses((status = 200, body = Resource), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    staff: Authorized<Admins>,
    Path(id): Path<i64>,
    Json(spec): Json<ResourceSpec>,
) -> ApiResult<axum::Json<Resource>> {
    let r = state.store.update_resource(id, &spec, now()).await?;
    tracing::info!(staff_id = staff.id(), resource_id = id, "resource updated");
    Ok(axum::Json(r))
}

/// Retire a resource: it can no longer be booked; its history stays (resource admin).
#[utoipa::path(delete, path = "/api/v1/infrastructuur/{id}", tag = "catalogue",
    responses((status = 200, body = Resource), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn retire(
    State(state): State<AppState>,
    staff: Authorized<Admins>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Resource>> {
    let r = state.store.retire_resource(id, now()).await?;
    tracing::info!(staff_id = staff.id(), resource_id = id, "resource retired");
    Ok(axum::Json(r))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityParams {
    /// Start of the window (default: now).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<Timestamp>,
    /// End of the window (default: 31 days after `from`; at most 366 days after it).
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<Timestamp>,
    /// Apply this customer type's booking window.
    customer_type: Option<CustomerType>,
}

/// Free and busy intervals of a resource (OSLO: *Beschikbaarheid*).
#[utoipa::path(get, path = "/api/v1/infrastructuur/{id}/beschikbaarheid", tag = "catalogue", params(AvailabilityParams),
    responses((status = 200, body = Availability), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn availability(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<AvailabilityParams>,
) -> ApiResult<axum::Json<Availability>> {
    let from = p.from.unwrap_or_else(now);
    let until = p.until.unwrap_or(from + SignedDuration::from_hours(24 * 31));
    let window = Period::new(from, until).map_err(|_| ApiError::invalid("until", "must be after from"))?;
    if window.minutes() > MAX_WINDOW_DAYS * 24 * 60 {
        return Err(ApiError::invalid("until", "the window spans at most 366 days"));
    }
    let resource = state.store.resource(id).await?;
    let limits = limits_for(&state.store, p.customer_type).await?;
    let blockers = state.store.blockers(&resource, window, limits.now).await?;
    Ok(axum::Json(availability::availability(&resource, window, &blockers, limits)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarParams {
    /// A month, `2026-12`.
    month: Option<String>,
    /// An ISO week, `2026-W50`.
    week: Option<String>,
    customer_type: Option<CustomerType>,
}

fn parse_month(s: &str) -> Option<Vec<Date>> {
    let (y, m) = s.split_once('-')?;
    let first = Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()?;
    Some((0..first.days_in_month()).map(|d| first.checked_add(i64::from(d).days()).expect("in month")).collect())
}

fn parse_week(s: &str) -> Option<Vec<Date>> {
    let (y, w) = s.split_once("-W")?;
    let monday = ISOWeekDate::new(y.parse().ok()?, w.parse().ok()?, Weekday::Monday).ok()?.date();
    Some((0..7).map(|d| monday.checked_add(d.days()).expect("in range")).collect())
}

/// Month or week calendar of a resource: one cell per day with its status and free intervals.
#[utoipa::path(get, path = "/api/v1/infrastructuur/{id}/kalender", tag = "catalogue", params(CalendarParams),
    responses((status = 200, body = Vec<CalendarDay>), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn calendar(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<CalendarParams>,
) -> ApiResult<axum::Json<Vec<CalendarDay>>> {
    let days = match (p.month.as_deref(), p.week.as_deref()) {
        (Some(m), None) => parse_month(m).ok_or_else(|| ApiError::invalid("month", "use the form 2026-12"))?,
        (None, Some(w)) => parse_week(w).ok_or_else(|| ApiError::invalid("week", "use the form 2026-W50"))?,
        _ => return Err(ApiError::invalid("month", "give either month or week")),
    };
    let resource = state.store.resource(id).await?;
    let window = Period {
        start: availability::day_period(days[0]).start,
        end: availability::day_period(*days.last().expect("non-empty")).end,
    };
    let limits = limits_for(&state.store, p.customer_type).await?;
    let blockers = state.store.blockers(&resource, window, limits.now).await?;
    Ok(axum::Json(availability::calendar(&resource, &days, &blockers, limits)))
}

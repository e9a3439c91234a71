//! Doors: the API keypad controllers and the kiosk page (`/deur`) use with their door's key,
//! and the resource admins' list, key issue and attempt log.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use balie_booking::access::Refusal;
use balie_booking::calls::token_hash;
use balie_booking::store::{Direction, Door, DoorDecision, DoorEvent, Presented};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Admins, Authorized};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Query};
use crate::payments::service::random_id;
use crate::state::AppState;

/// The door whose key is in `Authorization: Bearer …`. Keys are 128 random bits, stored as
/// their SHA-256, so a lookup by hash is safe (nothing to brute-force offline, no timing leak
/// that matters for a value this long).
async fn door_of(state: &AppState, headers: &HeaderMap) -> ApiResult<Door> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| k.starts_with("door_") && k.len() <= 64)
        .ok_or(ApiError::Unauthorized)?;
    state.store.door_by_key(&token_hash(key)).await?.ok_or(ApiError::Unauthorized)
}

#[derive(Serialize, ToSchema)]
pub struct DoorView {
    pub door: String,
    pub resource: String,
    #[schema(value_type = Option<String>)]
    pub locked_until: Option<String>,
}

/// Which door this device is (its key decides), and whether it is locked.
#[utoipa::path(get, path = "/api/v1/deur", tag = "doors",
    responses((status = 200, body = DoorView), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn whoami(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<axum::Json<DoorView>> {
    let door = door_of(&state, &headers).await?;
    let resource = state.store.resource(door.resource_id).await?;
    let now = crate::routes::now();
    Ok(axum::Json(DoorView {
        door: door.name,
        resource: resource.spec.name,
        locked_until: door.locked_until.filter(|t| *t > now).map(balie_booking::time::format_local),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    /// Six digits typed on the keypad …
    pub pin: Option<String>,
    /// … or the text of a scanned QR code.
    pub qr: Option<String>,
    pub direction: Direction,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Open,
    Refused,
    Locked,
}

#[derive(Serialize, ToSchema)]
pub struct AttemptAnswer {
    pub decision: Decision,
    pub door: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Refusal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub valid_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub locked_until: Option<String>,
}

/// Verify a PIN or QR code at this door: open, refuse with the reason, or locked after five
/// wrong codes (for five minutes). Every attempt is logged with its time and direction.
#[utoipa::path(post, path = "/api/v1/deur/toegang", tag = "doors", request_body = Attempt,
    responses((status = 200, body = AttemptAnswer), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn attempt(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(a): Json<Attempt>,
) -> ApiResult<axum::Json<AttemptAnswer>> {
    let door = door_of(&state, &headers).await?;
    let presented = match (a.pin, a.qr) {
        // A malformed PIN is still an attempt (it counts towards the lock); only absurd input is
        // refused before it reaches the door.
        (Some(pin), None) if pin.len() <= 32 => Presented::Pin(pin.trim().to_string()),
        (None, Some(qr)) if qr.len() <= 128 => Presented::Qr(qr),
        (None, None) | (Some(_), Some(_)) => return Err(ApiError::invalid("pin", "give either pin or qr")),
        _ => return Err(ApiError::invalid("pin", "is too long")),
    };
    let now = crate::routes::now();
    let decision = state.store.door_attempt(door.id, &presented, a.direction, &state.payments.pin_key, now).await?;
    let fmt = balie_booking::time::format_local;
    let mut answer = AttemptAnswer {
        decision: Decision::Refused,
        door: door.name.clone(),
        reason: None,
        valid_from: None,
        valid_until: None,
        locked_until: None,
    };
    match decision {
        DoorDecision::Open { reservation_id, valid } => {
            tracing::info!(door = door.id, reservation_id, direction = a.direction.as_str(), "door opened");
            answer.decision = Decision::Open;
            answer.valid_until = Some(fmt(valid.end));
        }
        DoorDecision::Refused { reason, valid } => {
            tracing::info!(door = door.id, reason = reason.as_str(), "door refused a code");
            answer.reason = Some(reason);
            answer.valid_from = valid.map(|v| fmt(v.start));
            answer.valid_until = valid.map(|v| fmt(v.end));
        }
        DoorDecision::Locked { until } => {
            tracing::warn!(door = door.id, "door locked after repeated wrong codes");
            answer.decision = Decision::Locked;
            answer.locked_until = Some(fmt(until));
        }
    }
    Ok(axum::Json(answer))
}

/// All doors (resource admins).
#[utoipa::path(get, path = "/api/v1/deuren", tag = "doors",
    responses((status = 200, body = Vec<Door>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, _admin: Authorized<Admins>) -> ApiResult<axum::Json<Vec<Door>>> {
    Ok(axum::Json(state.store.doors().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDoor {
    /// The room or hall behind the door (a hall's parts use the hall's door).
    pub resource_id: i64,
    /// As shown on the kiosk and in e-mails: "Ingang Sporthal De Vijver".
    pub name: String,
}

/// Register the door of a room or hall (one per resource; registering again returns it).
#[utoipa::path(post, path = "/api/v1/deuren", tag = "doors", request_body = NewDoor,
    responses((status = 201, body = Door), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    admin: Authorized<Admins>,
    Json(d): Json<NewDoor>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<Door>)> {
    let name = d.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "must be 1–100 characters"));
    }
    let door = state.store.ensure_door(d.resource_id, name, crate::routes::now()).await?;
    tracing::info!(door = door.id, staff_id = admin.id(), "door registered");
    Ok((axum::http::StatusCode::CREATED, axum::Json(door)))
}

#[derive(Serialize, ToSchema)]
pub struct IssuedKey {
    pub door: Door,
    /// Shown this once: configure it in the door's controller or kiosk.
    pub key: String,
}

/// Issue a new device key for a door; the previous key stops working at once.
#[utoipa::path(post, path = "/api/v1/deuren/{id}/sleutel", tag = "doors",
    responses((status = 200, body = IssuedKey), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn issue_key(
    State(state): State<AppState>,
    admin: Authorized<Admins>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<IssuedKey>> {
    let key = random_id("door_");
    let door = state.store.set_door_key(id, &token_hash(&key)).await?;
    tracing::info!(door = id, staff_id = admin.id(), "door key issued");
    Ok(axum::Json(IssuedKey { door, key }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// 1 to 1000, default 100.
    limit: Option<i64>,
}

/// The latest attempts at a door, newest first: time, direction, outcome, reason, reservation.
#[utoipa::path(get, path = "/api/v1/deuren/{id}/logboek", tag = "doors", params(LogParams),
    responses((status = 200, body = Vec<DoorEvent>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn log(
    State(state): State<AppState>,
    _admin: Authorized<Admins>,
    Path(id): Path<i64>,
    Query(p): Query<LogParams>,
) -> ApiResult<axum::Json<Vec<DoorEvent>>> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    state.store.door(id).await?;
    Ok(axum::Json(state.store.door_events(id, limit).await?))
}

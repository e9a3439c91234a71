//! Staff sign-in and sign-out (`/api/v1/sessie`).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::now;
use crate::auth::{verify_password, Role, Staff};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Json;
use crate::state::AppState;

/// Failed sign-ins before an account is locked, and for how long (NIST SP 800-63B throttling).
const MAX_FAILURES: i64 = 5;
const LOCK_MINUTES: i64 = 15;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    pub staff_id: i64,
    pub name: String,
    pub roles: Vec<Role>,
    /// When the session ends unless renewed by activity (RFC 3339).
    pub expires_at: String,
}

fn info(c: &crate::auth::Claims) -> SessionInfo {
    SessionInfo {
        staff_id: c.sub,
        name: c.name.clone(),
        roles: c.roles.clone(),
        expires_at: balie_booking::time::format_local(jiff::Timestamp::from_second(c.exp).expect("in range")),
    }
}

/// Sign in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/sessie", tag = "staff", request_body = Login,
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn login(State(state): State<AppState>, Json(login): Json<Login>) -> ApiResult<Response> {
    if login.email.len() > 254 || login.password.len() > 1024 {
        return Err(ApiError::BadCredentials);
    }
    let now = now();
    let Some(staff) = state.store.staff_by_email(login.email.trim()).await? else {
        let decoy = state.decoy_hash.clone();
        let pw = login.password;
        tokio::task::spawn_blocking(move || verify_password(&pw, &decoy)).await.map_err(anyhow::Error::from)?;
        return Err(ApiError::BadCredentials);
    };
    if staff.locked_until.is_some_and(|t| t > now) {
        return Err(ApiError::Locked);
    }
    let hash = staff.password_hash.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&login.password, &hash))
        .await
        .map_err(anyhow::Error::from)?;
    if !ok {
        state.store.record_failed_login(staff.id, MAX_FAILURES, now + SignedDuration::from_mins(LOCK_MINUTES)).await?;
        tracing::info!(staff_id = staff.id, "failed sign-in");
        return Err(ApiError::BadCredentials);
    }
    state.store.record_login(staff.id).await?;
    let roles = staff.roles.iter().filter_map(|r| Role::parse(r)).collect();
    let claims = state.sessions.issue(staff.id, &staff.name, roles, now);
    tracing::info!(staff_id = staff.id, "signed in");
    Ok(([(header::SET_COOKIE, state.sessions.set_cookie(&claims))], axum::Json(info(&claims))).into_response())
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/sessie", tag = "staff",
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn me(staff: Staff) -> axum::Json<SessionInfo> {
    axum::Json(info(&staff.claims))
}

/// Sign out: the token is revoked on the server and the cookie cleared.
#[utoipa::path(delete, path = "/api/v1/sessie", tag = "staff",
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn logout(State(state): State<AppState>, staff: Staff) -> ApiResult<Response> {
    let exp = jiff::Timestamp::from_second(staff.claims.exp).expect("in range");
    state.store.revoke_session(&staff.claims.jti, exp).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, state.sessions.clear_cookie())]).into_response())
}

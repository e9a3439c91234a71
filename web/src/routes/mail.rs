//! The e-mail outbox as agents see it (`/api/v1/berichten`): which messages are waiting, were
//! delivered, or failed, so an agent can phone a citizen whose confirmation bounced. Never the
//! bodies: they hold personal links.

use axum::extract::State;
use balie_booking::outbox::{DeliveryStatus, MailRecord};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Agents, Authorized};
use crate::error::{ApiResult, Problem};
use crate::extract::Query;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MailParams {
    /// `failed` (default), `pending` or `sent`.
    status: Option<String>,
    /// At most this many, newest first (1–500, default 100).
    limit: Option<u32>,
}

/// Outbox messages by delivery status: by default the failed ones, which need a person.
#[utoipa::path(get, path = "/api/v1/berichten", tag = "mail", params(MailParams),
    responses((status = 200, body = [MailRecord]), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Query(p): Query<MailParams>,
) -> ApiResult<axum::Json<Vec<MailRecord>>> {
    let mut problems = balie_booking::error::Problems::default();
    let status = match p.status.as_deref() {
        None => Some(DeliveryStatus::Failed),
        Some(s) => DeliveryStatus::parse(s),
    };
    problems.check(status.is_some(), "status", "must be failed, pending or sent");
    let limit = p.limit.unwrap_or(100);
    problems.check((1..=500).contains(&limit), "limit", "must be between 1 and 500");
    problems.into_result()?;
    Ok(axum::Json(state.store.mails(status.unwrap_or(DeliveryStatus::Failed), limit).await?))
}

//! Video calls (`/api/v1/gesprekken`, agents): create a call with its participants and their
//! personal links, invite or revoke a participant. Until appointments exist (their own issue),
//! this is how a call comes to be.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_booking::calls::{CallRecord, CallRequest, NewParticipant, ParticipantRecord, ParticipantRole};
use serde::Serialize;
use utoipa::ToSchema;

use super::now;
use crate::auth::{Agents, Authorized};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Json;
use crate::state::AppState;

/// A participant's personal link. Shown once: only a hash of its token is stored.
#[derive(Serialize, ToSchema)]
pub struct Link {
    pub participant_id: i64,
    pub name: String,
    pub role: ParticipantRole,
    /// The token travels in the fragment (`#…`), which browsers never send to a server, so it
    /// stays out of access logs and Referer headers.
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedCall {
    pub call: CallRecord,
    /// The agent's own link first, then the invited participants'.
    pub links: Vec<Link>,
}

#[derive(Serialize, ToSchema)]
pub struct Invited {
    pub participant: ParticipantRecord,
    pub link: Link,
}

fn link(state: &AppState, p: &ParticipantRecord, token: &str) -> Link {
    Link {
        participant_id: p.id,
        name: p.name.clone(),
        role: p.role,
        url: format!("{}/gesprek#{token}", state.public_url.trim_end_matches('/')),
    }
}

/// Create a call hosted by the signed-in agent, with personal links for everyone.
#[utoipa::path(post, path = "/api/v1/gesprekken", tag = "calls", request_body = CallRequest,
    responses((status = 201, body = CreatedCall), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    staff: Authorized<Agents>,
    Json(req): Json<CallRequest>,
) -> ApiResult<Response> {
    let (call, tokens) =
        state.store.create_call(&req, (staff.id(), &staff.claims.name), state.link_window, now()).await?;
    let links = call.participants.iter().zip(&tokens).map(|(p, t)| link(&state, p, t)).collect();
    tracing::info!(staff_id = staff.id(), call_id = call.id, participants = call.participants.len(), "call created");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/gesprekken/{}", call.id)), (header::CACHE_CONTROL, "no-store".into())],
        axum::Json(CreatedCall { call, links }),
    )
        .into_response())
}

/// A call and its participants (without their links).
#[utoipa::path(get, path = "/api/v1/gesprekken/{id}", tag = "calls", params(("id" = i64, Path)),
    responses((status = 200, body = CallRecord), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<CallRecord>> {
    Ok(axum::Json(state.store.call(id).await?))
}

/// Invite one more participant (a third party: family, caregiver, interpreter, professional).
#[utoipa::path(post, path = "/api/v1/gesprekken/{id}/deelnemers", tag = "calls", params(("id" = i64, Path)),
    request_body = NewParticipant,
    responses((status = 201, body = Invited), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn invite(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Path(id): Path<i64>,
    Json(p): Json<NewParticipant>,
) -> ApiResult<Response> {
    let (participant, token) = state.store.add_participant(id, &p, state.link_window, now()).await?;
    let link = link(&state, &participant, &token);
    Ok((StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], axum::Json(Invited { participant, link }))
        .into_response())
}

/// Revoke a participant's link: it stops opening the call at once, and they leave a call they are in.
#[utoipa::path(delete, path = "/api/v1/gesprekken/{id}/deelnemers/{participant_id}", tag = "calls",
    params(("id" = i64, Path), ("participant_id" = i64, Path)),
    responses((status = 200, body = ParticipantRecord), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Path((id, participant_id)): Path<(i64, i64)>,
) -> ApiResult<axum::Json<ParticipantRecord>> {
    let p = state.store.revoke_participant(id, participant_id, now()).await?;
    state.hub.revoke(id, participant_id);
    Ok(axum::Json(p))
}

/// A personal link's token, sent in the body so it stays out of URLs and access logs.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkToken {
    pub token: String,
}

/// What the welcome page shows before anyone joins: who, when, and whether the link opens yet.
#[derive(Serialize, ToSchema)]
pub struct LinkInfo {
    /// `open`: join now; `not_yet_open`: the page counts down to `opens_at`.
    pub status: &'static str,
    pub title: String,
    /// The appointment's (call's) planned time.
    pub period: balie_booking::time::Period,
    /// When this link opens and closes the call.
    pub valid: balie_booking::time::Period,
    pub you: LinkPerson,
    /// The civil servant who hosts the call.
    pub host: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LinkPerson {
    pub name: String,
    pub role: ParticipantRole,
}

/// The welcome page's view of a personal link: the call's title and time, the host, and whether
/// it opens now. A link that was withdrawn, has expired or whose call ended answers 410 Gone; an
/// unknown one 404. Nothing about other participants is revealed.
#[utoipa::path(post, path = "/api/v1/gesprek-link", tag = "calls", request_body = LinkToken,
    responses((status = 200, body = LinkInfo), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json")))]
pub async fn link_info(State(state): State<AppState>, Json(req): Json<LinkToken>) -> ApiResult<Response> {
    use balie_booking::calls::{check_link, Refusal};
    let Some((p, ended_at)) = state.store.participant_by_token(&req.token).await? else {
        return Err(ApiError::UnknownLink);
    };
    let status = match check_link(&p, ended_at, now()) {
        Ok(()) => "open",
        Err(Refusal::NotYetValid { .. }) => "not_yet_open",
        Err(Refusal::Unknown) => return Err(ApiError::UnknownLink),
        Err(Refusal::Revoked) => return Err(ApiError::Gone("This link has been withdrawn.".into())),
        Err(Refusal::Expired) => return Err(ApiError::Gone("This link has expired.".into())),
        Err(Refusal::CallEnded) => return Err(ApiError::Gone("This call has ended.".into())),
    };
    let call = state.store.call(p.call_id).await?;
    let host = call.participants.iter().find(|q| q.role == ParticipantRole::Agent).map(|q| q.name.clone());
    let info = LinkInfo {
        status,
        title: call.title,
        period: call.period,
        valid: p.valid,
        you: LinkPerson { name: p.name, role: p.role },
        host,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(info)).into_response())
}

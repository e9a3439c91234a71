//! The satisfaction survey after a call (`/api/v1/enquete…`): claimed by the call page with its
//! link, or opened from the e-mail with the survey's own link; answered once, anonymously.

use axum::extract::State;
use axum::http::StatusCode;
use balie_booking::calls::token_hash;
use balie_booking::store::SurveyView;
use balie_booking::surveys::{Again, Answer};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ByToken {
    pub token: String,
}

/// Tokens are hex; anything else is not looked up (also the room evaluation's links).
pub(crate) fn plausible(token: &str) -> bool {
    (16..=128).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A link's store errors as the citizen's pages expect them: used up or closed is 410, unknown 404.
pub(crate) fn gone_or(e: balie_booking::Error) -> ApiError {
    match e {
        balie_booking::Error::State(detail) => ApiError::Gone(detail),
        balie_booking::Error::NotFound { .. } => ApiError::UnknownLink,
        other => other.into(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct Claimed {
    pub survey_token: String,
    #[serde(flatten)]
    pub survey: SurveyView,
}

/// The call page, after its call ended, asks for its participant's survey with its own link.
#[utoipa::path(post, path = "/api/v1/enquete/na-gesprek", tag = "surveys", request_body = ByToken,
    responses((status = 200, body = Claimed), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "the call has not ended (yet)", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "answered already, or closed", body = Problem, content_type = "application/problem+json")))]
pub async fn claim(State(state): State<AppState>, Json(b): Json<ByToken>) -> ApiResult<axum::Json<Claimed>> {
    if !plausible(&b.token) {
        return Err(ApiError::UnknownLink);
    }
    let Some((participant, ended)) = state.store.participant_by_token(&b.token).await? else {
        return Err(ApiError::UnknownLink);
    };
    if participant.role == balie_booking::calls::ParticipantRole::Agent {
        return Err(ApiError::UnknownLink);
    }
    if ended.is_none() {
        return Err(balie_booking::Error::State("the call has not ended".into()).into());
    }
    let survey_token = state.surveys.token_for(&token_hash(&b.token));
    let survey = state.store.survey(&survey_token, crate::routes::now()).await.map_err(|e| match e {
        // The end is recorded a moment before the invitations are: ask again shortly.
        balie_booking::Error::NotFound { .. } => {
            balie_booking::Error::State("the survey is being prepared".into()).into()
        }
        other => gone_or(other),
    })?;
    Ok(axum::Json(Claimed { survey_token, survey }))
}

#[derive(Serialize, ToSchema)]
pub struct Opened {
    /// Always `open` (an answered or closed survey is 410).
    pub status: &'static str,
    #[serde(flatten)]
    pub survey: SurveyView,
}

/// What a survey link is about.
#[utoipa::path(post, path = "/api/v1/enquete", tag = "surveys", request_body = ByToken,
    responses((status = 200, body = Opened), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json")))]
pub async fn open(State(state): State<AppState>, Json(b): Json<ByToken>) -> ApiResult<axum::Json<Opened>> {
    if !plausible(&b.token) {
        return Err(ApiError::UnknownLink);
    }
    let survey = state.store.survey(&b.token, crate::routes::now()).await.map_err(gone_or)?;
    Ok(axum::Json(Opened { status: "open", survey }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub token: String,
    pub overall: i64,
    #[serde(default)]
    pub ease: Option<i64>,
    #[serde(default)]
    pub quality: Option<i64>,
    #[serde(default)]
    pub again: Option<Again>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// Answer the survey, once. Nothing about the person is kept with the answer.
#[utoipa::path(post, path = "/api/v1/enquete/antwoord", tag = "surveys", request_body = AnswerBody,
    responses((status = 201, description = "thank you"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn answer(State(state): State<AppState>, Json(b): Json<AnswerBody>) -> ApiResult<StatusCode> {
    if !plausible(&b.token) {
        return Err(ApiError::UnknownLink);
    }
    let answer = Answer { overall: b.overall, ease: b.ease, quality: b.quality, again: b.again, comment: b.comment };
    answer.validate()?;
    state.store.answer_survey(&b.token, &answer, crate::routes::now()).await.map_err(gone_or)?;
    Ok(StatusCode::CREATED)
}

/// "Skip": the participant does not want to answer, so no e-mail invitation follows. The link
/// stays valid (a participant may still change their mind).
#[utoipa::path(post, path = "/api/v1/enquete/overslaan", tag = "surveys", request_body = ByToken,
    responses((status = 204, description = "no invitation will be e-mailed"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json")))]
pub async fn skip(State(state): State<AppState>, Json(b): Json<ByToken>) -> ApiResult<StatusCode> {
    if !plausible(&b.token) {
        return Err(ApiError::UnknownLink);
    }
    state.store.skip_survey(&b.token, crate::routes::now()).await.map_err(gone_or)?;
    Ok(StatusCode::NO_CONTENT)
}

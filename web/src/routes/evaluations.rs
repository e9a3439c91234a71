//! Room and court evaluations (`/api/v1/evaluatie…`, with the personal link from the e-mail),
//! defect reports with photos, their handling by resource admins (`/api/v1/defecten…`), and the
//! managers' per-room figures (`/api/v1/dashboard/zalen`).

use std::collections::HashMap;

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_booking::evaluations::{DefectStatus, EvaluationAnswer, NewDefect, RoomFigures, MAX_TEXT_CHARS};
use balie_booking::store::{DefectReport, EvaluationView};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Admins, Authorized, Managers};
use crate::error::{problem, ApiError, ApiResult, Problem};
use crate::extract::{Json, Query};
use crate::photos::{self, PhotoError, MAX_PHOTOS, MAX_PHOTO_BYTES};
use crate::routes::surveys::{gone_or, plausible, ByToken};
use crate::state::AppState;

/// The largest defect upload: three photos of 5 MB plus the form's text and multipart framing.
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Serialize, ToSchema)]
pub struct Opened {
    /// Always `open` (an answered or closed evaluation is 410).
    pub status: &'static str,
    #[serde(flatten)]
    pub evaluation: EvaluationView,
}

/// What an evaluation link is about: the room or court and the day.
#[utoipa::path(post, path = "/api/v1/evaluatie", tag = "evaluations", request_body = ByToken,
    responses((status = 200, body = Opened), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "answered already, or closed", body = Problem, content_type = "application/problem+json")))]
pub async fn open(State(state): State<AppState>, Json(b): Json<ByToken>) -> ApiResult<axum::Json<Opened>> {
    if !plausible(&b.token) {
        return Err(ApiError::UnknownLink);
    }
    let evaluation = state.store.evaluation(&b.token, crate::routes::now()).await.map_err(gone_or)?;
    Ok(axum::Json(Opened { status: "open", evaluation }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub token: String,
    /// How did it go, 1–5.
    pub score: i64,
    /// At most 2000 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Answer the evaluation, once. Nothing about the person or the reservation is kept with it.
/// Report defects first: answering uses the link up.
#[utoipa::path(post, path = "/api/v1/evaluatie/antwoord", tag = "evaluations", request_body = AnswerBody,
    responses((status = 201, description = "thank you"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn answer(State(state): State<AppState>, Json(b): Json<AnswerBody>) -> ApiResult<StatusCode> {
    if !plausible(&b.token) {
        return Err(ApiError::UnknownLink);
    }
    let answer = EvaluationAnswer { score: b.score, comment: b.comment };
    answer.validate()?;
    state.store.answer_evaluation(&b.token, &answer, crate::routes::now()).await.map_err(gone_or)?;
    Ok(StatusCode::CREATED)
}

/// The defect form, as documentation (the body is `multipart/form-data`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DefectForm {
    token: String,
    /// What is broken, at most 2000 characters.
    description: String,
    /// Up to three photos (JPEG, PNG or WebP, at most 5 MB each), repeated `photo` parts.
    #[schema(value_type = Vec<String>, format = Binary)]
    photo: Vec<Vec<u8>>,
}

#[derive(Serialize, ToSchema)]
pub struct Reported {
    pub report_id: i64,
}

/// A problem for an upload that is too large (413), naming the field.
fn too_large(field: &str, detail: &str) -> Response {
    let mut p = problem(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Upload too large", detail.to_string());
    p.errors = vec![balie_booking::error::FieldError::new(field, detail)];
    p.into_response_with(None)
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Response {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large("body", "the upload is larger than 16 MB: send at most 3 photos of 5 MB")
    } else {
        ApiError::bad_request("body", e.body_text()).into_response()
    }
}

/// Reads one text field, at most `max` bytes.
async fn text_field(
    mut field: axum::extract::multipart::Field<'_>,
    name: &str,
    max: usize,
) -> Result<String, Response> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > max {
            return Err(ApiError::invalid(name, "is too long").into_response());
        }
    }
    String::from_utf8(bytes).map_err(|_| ApiError::bad_request(name, "is not UTF-8 text").into_response())
}

/// Report something broken, with up to three photos, through an open evaluation link. The
/// photos' real type is read from their bytes; they are re-encoded without metadata. The reporter
/// hears by e-mail what was done once staff close the report.
#[utoipa::path(post, path = "/api/v1/evaluatie/defect", tag = "evaluations",
    request_body(content = DefectForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Reported), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json"),
              (status = 413, description = "a photo over 5 MB, or the upload over 16 MB", body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "bad fields, or a photo that is not a JPEG, PNG or WebP image", body = Problem, content_type = "application/problem+json")))]
pub async fn report_defect(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    match report(state, request).await {
        Ok(r) => r,
        Err(r) => r,
    }
}

async fn report(state: AppState, request: axum::extract::Request) -> Result<Response, Response> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the report as multipart/form-data.".into(),
        )
        .into_response_with(None));
    }
    let mut multipart = <Multipart as axum::extract::FromRequest<AppState>>::from_request(request, &state)
        .await
        .map_err(|e| ApiError::bad_request("body", e.body_text()).into_response())?;
    let (mut token, mut description) = (None::<String>, None::<String>);
    let mut uploads: Vec<Vec<u8>> = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "token" if token.is_none() => token = Some(text_field(field, "token", 256).await?),
            "description" if description.is_none() => {
                description = Some(text_field(field, "description", MAX_TEXT_CHARS * 4).await?)
            }
            "photo" => {
                let n = uploads.len();
                if n >= MAX_PHOTOS {
                    return Err(ApiError::invalid(format!("photo[{n}]"), "at most 3 photos").into_response());
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > MAX_PHOTO_BYTES {
                        return Err(too_large(&format!("photo[{n}]"), "the photo is larger than 5 MB"));
                    }
                }
                // An empty file input sends an empty part: no photo.
                if !bytes.is_empty() {
                    uploads.push(bytes);
                }
            }
            "token" | "description" => {
                return Err(ApiError::bad_request(name, "given more than once").into_response());
            }
            other => return Err(ApiError::bad_request(other, "unknown field").into_response()),
        }
    }
    let token = token.unwrap_or_default();
    if !plausible(token.trim()) {
        return Err(ApiError::UnknownLink.into_response());
    }
    // The link first: a dead link is 410 before any photo is decoded.
    let now = crate::routes::now();
    state.store.evaluation(token.trim(), now).await.map_err(|e| gone_or(e).into_response())?;
    let description = description.unwrap_or_default();
    let processed = tokio::task::spawn_blocking(move || uploads.iter().map(|b| photos::process(b)).collect::<Vec<_>>())
        .await
        .map_err(|e| ApiError::Internal(e.into()).into_response())?;
    let mut problems = balie_booking::error::Problems::default();
    let mut stored = Vec::new();
    for (i, p) in processed.into_iter().enumerate() {
        match p {
            Ok(photo) => stored.push(photo),
            Err(PhotoError::TooLarge) => {
                return Err(too_large(&format!("photo[{i}]"), "the photo is larger than 5 MB"));
            }
            Err(e) => problems.push(balie_booking::error::FieldError::new(format!("photo[{i}]"), e.to_string())),
        }
    }
    let defect = NewDefect { description, photos: stored };
    if let Err(balie_booking::Error::Invalid(fields)) = defect.validate() {
        for f in fields {
            problems.push(f);
        }
    }
    problems.into_result().map_err(|e| ApiError::from(e).into_response())?;
    let report_id =
        state.store.report_defect(token.trim(), &defect, now).await.map_err(|e| gone_or(e).into_response())?;
    tracing::info!(report_id, photos = defect.photos.len(), "defect reported");
    Ok((StatusCode::CREATED, axum::Json(Reported { report_id })).into_response())
}

/// The upload route with its own body limit (the app's default is 256 KiB).
pub fn uploads() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report_defect)).layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// `open` (default) or `closed`.
    status: Option<DefectStatus>,
}

#[derive(Serialize, ToSchema)]
pub struct DefectItem {
    #[serde(flatten)]
    pub report: DefectReport,
    pub resource_name: String,
}

pub(crate) async fn resource_names(state: &AppState) -> ApiResult<HashMap<i64, String>> {
    Ok(state.store.resources().await?.into_iter().map(|r| (r.id, r.spec.name)).collect())
}

/// Defect reports, newest first (resource admins).
#[utoipa::path(get, path = "/api/v1/defecten", tag = "evaluations", params(ListFilter),
    responses((status = 200, body = Vec<DefectItem>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn defects(
    _staff: Authorized<Admins>,
    State(state): State<AppState>,
    Query(f): Query<ListFilter>,
) -> ApiResult<axum::Json<Vec<DefectItem>>> {
    let names = resource_names(&state).await?;
    let reports = state.store.defects(f.status.unwrap_or(DefectStatus::Open), 500).await?;
    Ok(axum::Json(
        reports
            .into_iter()
            .map(|report| DefectItem {
                resource_name: names.get(&report.resource_id).cloned().unwrap_or_default(),
                report,
            })
            .collect(),
    ))
}

/// One photo of a report, as stored (re-encoded, without metadata).
#[utoipa::path(get, path = "/api/v1/defecten/{id}/fotos/{photo}", tag = "evaluations",
    params(("id" = i64, Path, description = "the report"), ("photo" = i64, Path, description = "the photo")),
    responses((status = 200, description = "the image", content_type = "image/jpeg"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn photo(
    _staff: Authorized<Admins>,
    State(state): State<AppState>,
    Path((id, photo)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let p = state.store.defect_photo(id, photo).await?;
    let mut resp = p.bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(p.content_type.as_str()));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    Ok(resp)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// What was done, as the reporter will read it (at most 2000 characters).
    pub resolution: String,
}

/// Close a report with what was done: the reporter is e-mailed (in the same transaction) and
/// their address erased.
#[utoipa::path(post, path = "/api/v1/defecten/{id}/afsluiten", tag = "evaluations", request_body = CloseBody,
    params(("id" = i64, Path, description = "the report")),
    responses((status = 200, body = DefectItem), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "closed already", body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn close(
    staff: Authorized<Admins>,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<CloseBody>,
) -> ApiResult<axum::Json<DefectItem>> {
    balie_booking::evaluations::validate_resolution(&b.resolution)?;
    let report = state.store.defect(id).await?;
    let resource_name = state.store.resource(report.resource_id).await?.spec.name;
    let now = crate::routes::now();
    let render =
        |c: &balie_booking::store::ClosedDefect| crate::evaluations::defect_closed_mail(&state, &resource_name, c, now);
    let report = state.store.close_defect(id, &b.resolution, staff.id(), now, &render).await?;
    state.mailer.wake();
    Ok(axum::Json(DefectItem { report, resource_name }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// First day, `YYYY-MM-DD` (default: 90 days before `tot`).
    #[param(value_type = Option<String>, format = Date)]
    van: Option<Date>,
    /// Last day (default: today).
    #[param(value_type = Option<String>, format = Date)]
    tot: Option<Date>,
}

impl Period {
    /// The first and last day, checked (default: the 90 days up to today).
    pub(crate) fn days(&self) -> ApiResult<(Date, Date)> {
        let mut problems = balie_booking::error::Problems::default();
        let days = crate::routes::period::days(self.van, self.tot, &mut problems);
        problems.into_result()?;
        Ok(days)
    }
}

#[derive(Serialize, ToSchema)]
pub struct Rooms {
    #[schema(value_type = String)]
    pub from: Date,
    #[schema(value_type = String)]
    pub to: Date,
    /// Per room or court with evaluations or defects in the period, by name.
    pub rooms: Vec<RoomFigures>,
}

/// Evaluations (answers, average score) of the days in the period and defects reported in it, per
/// room or court (managers).
#[utoipa::path(get, path = "/api/v1/dashboard/zalen", tag = "evaluations", params(Period),
    responses((status = 200, body = Rooms), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn rooms(
    _staff: Authorized<Managers>,
    State(state): State<AppState>,
    Query(p): Query<Period>,
) -> ApiResult<axum::Json<Rooms>> {
    let (from, to) = p.days()?;
    let (start, end) = crate::routes::period::instants(from, to)?;
    let tallies = state.store.room_tallies(from, to, start, end).await?;
    let names = resource_names(&state).await?;
    let mut rooms: Vec<RoomFigures> = tallies
        .into_iter()
        .map(|t| RoomFigures {
            resource_name: names.get(&t.resource_id).cloned().unwrap_or_default(),
            resource_id: t.resource_id,
            n: t.n,
            average: (t.n > 0).then(|| t.sum as f64 / t.n as f64),
            defects_open: t.defects_open,
            defects_closed: t.defects_closed,
        })
        .collect();
    rooms.sort_by(|a, b| a.resource_name.cmp(&b.resource_name).then(a.resource_id.cmp(&b.resource_id)));
    Ok(axum::Json(Rooms { from, to, rooms }))
}

//! The web layer's one error type, rendered as RFC 9457 `application/problem+json`.
//! Server errors get a generic body; their cause goes to the log only.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_booking::error::{Clash, FieldError};
use balie_booking::Error as BookingError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem detail.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation problems: every bad field with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For conflicts: the intervals that are taken.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clashes: Vec<Clash>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Booking(#[from] BookingError),
    /// The request could not be read: malformed JSON, a wrong type, an unknown query parameter.
    #[error("bad request: {0:?}")]
    BadRequest(Vec<FieldError>),
    #[error("sign-in required")]
    Unauthorized,
    #[error("wrong e-mail address or password")]
    BadCredentials,
    #[error("account locked")]
    Locked,
    #[error("requires role {0}")]
    Forbidden(&'static str),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A personal link nobody was given (or mistyped).
    #[error("unknown link")]
    UnknownLink,
    /// A personal link whose appointment is over: it will never work again.
    #[error("gone: {0}")]
    Gone(String),
    /// A service balie depends on (the payment provider) cannot be reached: try again later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::BadRequest(vec![FieldError::new(field, reason)])
    }
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::Booking(BookingError::invalid(field, reason))
    }
}

pub fn problem(status: StatusCode, kind: &str, title: &str, detail: String) -> Problem {
    Problem {
        kind: format!("/problems/{kind}"),
        title: title.into(),
        status: status.as_u16(),
        detail,
        errors: vec![],
        clashes: vec![],
    }
}

impl Problem {
    pub fn into_response_with(self, extra: Option<(header::HeaderName, HeaderValue)>) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, axum::Json(self)).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some((k, v)) = extra {
            resp.headers_mut().insert(k, v);
        }
        resp
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let p = match self {
            ApiError::Booking(BookingError::Invalid(errors)) => Problem {
                errors,
                ..problem(
                    S::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid input",
                    "One or more fields are invalid.".into(),
                )
            },
            ApiError::BadRequest(errors) => Problem {
                errors,
                ..problem(S::BAD_REQUEST, "malformed", "Malformed request", "The request could not be read.".into())
            },
            ApiError::Booking(BookingError::NotFound { entity, id }) => {
                problem(S::NOT_FOUND, "not-found", "Not found", format!("There is no {entity} with id {id}."))
            }
            ApiError::Booking(BookingError::Conflict(clashes)) => {
                let detail = clashes
                    .iter()
                    .map(|c| {
                        format!(
                            "{} on resource {} from {} to {}",
                            format!("{:?}", c.reason).to_lowercase(),
                            c.resource_id,
                            balie_booking::time::format_local(c.period.start),
                            balie_booking::time::format_local(c.period.end)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                Problem {
                    clashes,
                    ..problem(
                        S::CONFLICT,
                        "conflict",
                        "The period is taken",
                        format!("The period clashes with: {detail}."),
                    )
                }
            }
            ApiError::Booking(BookingError::State(detail)) => {
                problem(S::CONFLICT, "state", "Not possible in the current state", detail)
            }
            ApiError::UnknownLink => problem(
                S::NOT_FOUND,
                "link-unknown",
                "Unknown link",
                "This link is not valid. Check that you opened the whole link from your e-mail.".into(),
            ),
            ApiError::Gone(detail) => problem(S::GONE, "gone", "This link is no longer valid", detail.clone()),
            ApiError::Unauthorized => problem(
                S::UNAUTHORIZED,
                "unauthorized",
                "Sign-in required",
                "Sign in as staff to use this endpoint.".into(),
            ),
            ApiError::BadCredentials => problem(
                S::UNAUTHORIZED,
                "bad-credentials",
                "Sign-in failed",
                "The e-mail address or password is wrong.".into(),
            ),
            ApiError::Locked => problem(
                S::TOO_MANY_REQUESTS,
                "account-locked",
                "Account temporarily locked",
                "Too many failed sign-ins. Try again in 15 minutes.".into(),
            ),
            ApiError::Forbidden(role) => {
                problem(S::FORBIDDEN, "forbidden", "Not allowed", format!("This needs the role {role}."))
            }
            ApiError::UnsupportedMediaType => problem(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as application/json.".into(),
            ),
            ApiError::Booking(
                e @ (BookingError::Database(_) | BookingError::Migration(_) | BookingError::Corrupt(_)),
            ) => {
                tracing::error!(error = %e, "storage error");
                internal()
            }
            ApiError::Unavailable(detail) => {
                problem(S::SERVICE_UNAVAILABLE, "unavailable", "Temporarily unavailable", detail)
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal error");
                internal()
            }
        };
        p.into_response_with(None)
    }
}

fn internal() -> Problem {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Something went wrong on our side",
        "The error has been logged. Please try again later.".into(),
    )
}

pub type ApiResult<T> = Result<T, ApiError>;

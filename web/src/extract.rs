//! Extractors that turn unreadable input into problem+json naming the field, instead of axum's
//! plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Reports where deserialisation failed: `period.start`, `services[0].code`, or `body`.
fn field_error(path: &serde_path_to_error::Path, inner: &str) -> ApiError {
    let field = path.to_string();
    let field = if field == "." || field.is_empty() { "body".to_string() } else { field };
    ApiError::bad_request(field, inner)
}

/// A JSON body. Requires `Content-Type: application/json` (which also keeps simple cross-site
/// form posts out).
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(Json).map_err(|e| field_error(e.path(), &e.inner().to_string()))
    }
}

/// Query parameters, with the offending parameter named on error.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| field_error(e.path(), &e.inner().to_string()))
    }
}

/// Splits a comma-separated query value into typed items (`equipment=projector,kitchen`).
pub fn comma_list<T: DeserializeOwned>(field: &str, value: Option<&str>) -> Result<Vec<T>, ApiError> {
    let Some(v) = value else { return Ok(vec![]) };
    v.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|item| {
            serde_json::from_value(serde_json::Value::String(item.trim().to_string()))
                .map_err(|_| ApiError::bad_request(field, format!("unknown value `{}`", item.trim())))
        })
        .collect()
}

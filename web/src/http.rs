//! Cross-cutting HTTP behaviour: security headers, server timing, request logging without
//! secrets, rate limits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::PeerIpKeyExtractor;
use tower_governor::GovernorError;

use crate::error::problem;

/// Content-Security-Policy for everything balie serves: only its own scripts, styles and
/// connections; never framed (clickjacking on the booking and payment panel).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                       media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
                       base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Capability links (join links, later) must never leak through Referer.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(self), microphone=(self), display-capture=(self), geolocation=()"),
    );
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    if is_api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Adds `Server-Timing: app;dur=<ms>` so clients and benchmarks see time spent in the server,
/// apart from the network.
pub async fn server_timing(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut resp = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.3}")) {
        resp.headers_mut().insert(HeaderName::from_static("server-timing"), v);
    }
    resp
}

/// Logs one line per request with the route template (`/api/v1/reservaties/{id}`) instead of
/// the URI: paths and query strings may carry capability tokens and personal data.
pub async fn access_log(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "(unmatched)".into());
    let resp = next.run(req).await;
    tracing::info!(
        target: "balie::access",
        %method,
        route,
        status = resp.status().as_u16(),
        ms = start.elapsed().as_secs_f64() * 1000.0,
    );
    resp
}

pub type Limiter = Arc<GovernorConfig<PeerIpKeyExtractor, governor::middleware::NoOpMiddleware>>;

/// A per-client-address limit of `burst` requests, refilled one every `period`. It keys on the
/// peer address: behind a reverse proxy all clients share it, so deployments there should raise
/// the limits and let the proxy rate-limit per client.
pub fn limiter(period: Duration, burst: u32) -> Limiter {
    let period = period.max(Duration::from_nanos(1));
    Arc::new(
        GovernorConfigBuilder::default()
            .period(period)
            .burst_size(burst.max(1))
            .error_handler(too_many_requests)
            .finish()
            .expect("period and burst are non-zero"),
    )
}

fn too_many_requests(e: GovernorError) -> Response {
    match e {
        GovernorError::TooManyRequests { wait_time, .. } => problem(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("Slow down; try again in {wait_time} s."),
        )
        .into_response_with(Some((header::RETRY_AFTER, HeaderValue::from(wait_time.max(1))))),
        other => {
            tracing::warn!(error = %other, "rate limiter could not classify a request");
            problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong on our side", String::new())
                .into_response_with(None)
        }
    }
}

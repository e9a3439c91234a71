//! The static front end, embedded in the binary: no build step, nothing to deploy beside it.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

const CALL_HTML: &str = include_str!("../static/gesprek.html");
const CALL_JS: &str = include_str!("../static/gesprek.js");
const CALL_CSS: &str = include_str!("../static/gesprek.css");
const APPOINTMENT_HTML: &str = include_str!("../static/afspraak.html");
const APPOINTMENT_JS: &str = include_str!("../static/afspraak.js");

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse + Clone {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/gesprek", get(|| async { asset("text/html; charset=utf-8", CALL_HTML) }))
        .route("/static/gesprek.js", get(|| async { asset("text/javascript; charset=utf-8", CALL_JS) }))
        .route("/static/gesprek.css", get(|| async { asset("text/css; charset=utf-8", CALL_CSS) }))
        // The citizen's appointment page: see, move or cancel, through the link in their e-mail.
        .route("/afspraak", get(|| async { asset("text/html; charset=utf-8", APPOINTMENT_HTML) }))
        .route("/static/afspraak.js", get(|| async { asset("text/javascript; charset=utf-8", APPOINTMENT_JS) }))
}

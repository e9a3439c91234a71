//! The static front end, embedded in the binary: no build step, nothing to deploy beside it.
//!
//! Everything under `web/static/` is served at `/static/…`; the pages people open have short
//! Dutch addresses of their own (`PAGES`). Scripts are ES modules, styles plain CSS, the texts
//! message files per language under `static/i18n/<lang>/` (see `static/common/i18n.js`).

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// Page address → HTML file under `static/`.
pub const PAGES: &[(&str, &str)] = &[
    ("/", "index.html"),
    // A call, joined through a personal link (`/gesprek#TOKEN`).
    ("/gesprek", "gesprek.html"),
    // The citizen's appointment: see, move or cancel (`/afspraak#TOKEN`).
    ("/afspraak", "afspraak.html"),
    // Question-guided self-service booking of an appointment.
    ("/afspraak-maken", "afspraak-maken.html"),
    // Rooms and sports courts: search, filters, availability calendar.
    ("/zalen", "zalen.html"),
    // The staff console: sign-in, agenda, appointments.
    ("/balie", "balie.html"),
    // The simulated payment provider's checkout (`/betalen#PAYMENT_ID`), docs/panel.md.
    ("/betalen", "betalen.html"),
    // Where the payment provider sends the payer back (`/betaling#PAYMENT_ID`), docs/panel.md.
    ("/betaling", "betaling.html"),
    // The door kiosk on a tablet: PIN keypad and QR scanner, with the door's API key.
    ("/deur", "deur.html"),
    // The satisfaction survey from the e-mail invitation (`/enquete#TOKEN`), docs/survey.md.
    ("/enquete", "enquete.html"),
    // The managers' satisfaction dashboard: figures, charts, comments, CSV (docs/survey.md).
    ("/dashboard", "dashboard.html"),
    // The evaluation of a used room or court, from the e-mail the day after (`/evaluatie#TOKEN`).
    ("/evaluatie", "evaluatie.html"),
    // Defect reports for resource admins: photos, and closing them with what was done.
    ("/defecten", "defecten.html"),
];

pub fn routes() -> Router<AppState> {
    let mut router = Router::new().route(
        "/static/{*path}",
        get(|Path(path): Path<String>, headers: HeaderMap| async move { serve(&path, &headers) }),
    );
    for (address, file) in PAGES {
        router = router.route(address, get(move |headers: HeaderMap| async move { serve(file, &headers) }));
    }
    router
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some(file) = Static::get(path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..12]));
    if request.get(header::IF_NONE_MATCH).is_some_and(|seen| seen.as_bytes() == etag.as_bytes()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime.ends_with("javascript") || mime.ends_with("json") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    // Revalidated every time: a new release must reach browsers at once, and the files are small.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_exists() {
        for (address, file) in PAGES {
            assert!(Static::get(file).is_some(), "{address} serves static/{file}, which is missing");
        }
    }
}

//! The managers' CSV exports (survey answers, room evaluations, defect reports): UTF-8,
//! comma-separated, CRLF line ends, a header row, never cached.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A text field: quoted when it holds a separator, quote or line break, and defused when a
/// spreadsheet would read it as a formula (text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return, as OWASP lists them: citizens write these comments and descriptions).
/// Numbers and fixed words go in as they are.
pub(crate) fn text(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r', ';']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// An optional number: empty when absent.
pub(crate) fn number(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// A CSV document being written.
pub(crate) struct Csv(String);

impl Csv {
    /// Starts with the header row (column names, comma-separated).
    pub(crate) fn new(header: &str) -> Csv {
        Csv(format!("{header}\r\n"))
    }

    /// One record; text fields must have gone through [`text`].
    pub(crate) fn row(&mut self, fields: &[String]) {
        self.0.push_str(&fields.join(","));
        self.0.push_str("\r\n");
    }

    /// The download, saved as `filename`.
    pub(crate) fn into_response(self, filename: &str) -> Response {
        let disposition = format!("attachment; filename=\"{filename}\"");
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            self.0,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_are_quoted_and_defused() {
        assert_eq!(text("Vlot"), "Vlot");
        assert_eq!(text("a, b"), "\"a, b\"");
        assert_eq!(text("zei \"ok\""), "\"zei \"\"ok\"\"\"");
        assert_eq!(text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(text("-1+2"), "'-1+2");
        assert_eq!(text("\t=1+1"), "'\t=1+1");
        assert_eq!(text("\r=1+1"), "\"'\r=1+1\"");
        assert_eq!(text("twee\nregels"), "\"twee\nregels\"");
    }

    #[test]
    fn a_document_has_a_header_and_crlf_records() {
        let mut csv = Csv::new("day,score");
        csv.row(&["2026-11-24".into(), number(Some(4))]);
        csv.row(&["2026-11-25".into(), number(None)]);
        assert_eq!(csv.0, "day,score\r\n2026-11-24,4\r\n2026-11-25,\r\n");
    }
}

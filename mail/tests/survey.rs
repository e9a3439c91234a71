//! The survey invitation read back by an independent parser (Python's `email` package): a plain
//! `multipart/alternative` without calendar or attachments, the subject decoded intact, and the
//! personal link unbroken in both bodies whatever the transfer encoding.

#[path = "support/python.rs"]
mod python;

use std::time::SystemTime;

use balie_mail::{mime, sample, Language, MailKind, Renderer};

#[test]
fn a_survey_invitation_arrives_as_text_and_html_with_the_link_intact() {
    let renderer = Renderer::new(sample::sender()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for lang in Language::ALL {
        let out = renderer.render_survey(&sample::survey(lang), "2026-11-24T10:05:00Z".parse().unwrap()).unwrap();
        assert_eq!(out.kind, MailKind::Survey);
        let path = dir.path().join(format!("survey-{}.eml", lang.code()));
        std::fs::write(&path, mime::to_bytes(&out, SystemTime::now()).unwrap()).unwrap();

        let eml = python::parse_eml(&path);
        assert_eq!(eml["defects"], serde_json::json!([]), "{lang:?}: the parser found defects");
        assert_eq!(eml["content_type"], "multipart/alternative", "{lang:?}: no calendar, no files");
        assert_eq!(eml["headers"]["Subject"], out.subject.as_str());
        assert_eq!(eml["headers"]["Auto-Submitted"], "auto-generated");
        assert_eq!(eml["parts"].as_array().unwrap().len(), 3, "{lang:?}: the alternative, text and HTML");
        let text = python::parts(&eml, "text/plain")[0]["text"].as_str().unwrap().replace("\r\n", "\n");
        assert_eq!(text.matches(sample::SURVEY_URL).count(), 1, "{lang:?}:\n{text}");
        let html = python::parts(&eml, "text/html")[0]["text"].as_str().unwrap().to_string();
        assert!(html.contains(&format!("href=\"{}\"", sample::SURVEY_URL)), "{lang:?}:\n{html}");
    }
}

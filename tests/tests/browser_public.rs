//! The public pages in headless Chromium (tests/e2e/pages.mjs): every page in Dutch and English
//! loads without errors, shows translated texts, and passes axe-core's WCAG 2.1 A/AA rules.

use balie_tests::browser::{self, run_script};
use serde_json::json;

#[test]
fn every_public_page_is_translated_and_accessible() {
    browser::run(|| async {
        let app = browser::spawn_app(|_| {}).await;
        let summary = run_script("pages.mjs", &json!({ "base": app.base }).to_string()).await.summary("pages.mjs");
        assert_eq!(summary["ok"], true);
        assert_eq!(summary["pages"]["index-nl"]["h1"], "Digitale balie");
        assert_eq!(summary["pages"]["index-en"]["h1"], "Digital counter");
        app.stop().await;
    });
}

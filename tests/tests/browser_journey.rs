//! A newcomer's whole journey in headless Chromium (tests/e2e/journey.mjs): book a video
//! appointment on the self-service page, take the links from the delivered e-mails, and join —
//! welcome, device check (passing for the citizen, refused and device-less for the invited
//! person), lobby, the agent signed in on /balie letting the citizen in, both decoding each
//! other's video, the agent ending the call, the end page. axe-core checks every step in nl or en.

use balie_tests::browser::{self, run_script};
use balie_tests::{TestApp, DEMO_STAFF};
use serde_json::json;

#[test]
fn a_newcomer_books_joins_through_the_lobby_and_is_seen_and_heard() {
    browser::run(|| async {
        // Links open a month early, so the first free moment can be joined now.
        let app = browser::spawn_app(|c| c.link_open_before_minutes = 60 * 24 * 31).await;

        let booked = run_script("journey.mjs", &json!({"phase": "book", "base": app.base}).to_string())
            .await
            .summary("journey.mjs (book)");
        let start: jiff::Timestamp = booked["start"].as_str().expect("the chosen start").parse().unwrap();

        // The links come from the e-mails the outbox delivered, as a citizen would find them.
        let citizen_url = call_link_mailed_to(&app, "lotte@example.org").await;
        let guest_url = call_link_mailed_to(&app, "ward@example.org").await;
        let agent = app.login_as("agent").await;
        let day = start.to_zoned(jiff::tz::TimeZone::get("Europe/Brussels").unwrap()).date().to_string();
        let agenda = agent.get(&format!("/api/v1/afspraken?van={day}&dagen=1")).await;
        let appointment =
            agenda.body.as_array().and_then(|list| list.iter().find(|a| a["citizen"]["name"] == "Lotte Claes"));
        let appointment =
            appointment.unwrap_or_else(|| panic!("the booking is in the agenda: {}", agenda.body)).clone();
        let (email, _, _, password) = DEMO_STAFF.iter().find(|(_, _, role, _)| *role == "agent").copied().unwrap();

        let input = json!({
            "phase": "call", "base": app.base, "citizen_url": citizen_url, "guest_url": guest_url,
            "appointment_id": appointment["id"], "day": day,
            "agent": {"email": email, "password": password},
        });
        let summary = run_script("journey.mjs", &input.to_string()).await.summary("journey.mjs (call)");
        assert_eq!(summary["ok"], true);
        assert!(summary["citizen_frames"].as_u64().unwrap() > 0 && summary["agent_frames"].as_u64().unwrap() > 0);
        for (step, violations) in summary["axe"].as_object().unwrap() {
            assert_eq!(violations, 0, "axe violations at {step}");
        }
        // The ended call's links no longer open anything.
        let token = citizen_url.split_once('#').unwrap().1;
        let after = app.post("/api/v1/gesprek-link", &json!({ "token": token })).await;
        assert_eq!(after.status, 410, "{}", after.body);
        app.stop().await;
    });
}

/// The call link (`…/gesprek#TOKEN`) in the e-mail to `rcpt`, waiting for the outbox.
async fn call_link_mailed_to(app: &TestApp, rcpt: &str) -> String {
    let tokens = app.wait_links_mailed_to(rcpt, "/gesprek#", 1).await;
    format!("{}/gesprek#{}", app.base, tokens.first().unwrap())
}

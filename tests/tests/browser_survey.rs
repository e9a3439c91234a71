//! After the call, in headless Chromium (tests/e2e/survey.mjs) inside a loopback-only network
//! namespace: the agent ends the call, the citizen's end page shows the survey and the citizen
//! answers it; a manager signed in on /dashboard in another browser context sees the answer and
//! its comment and downloads it as CSV; the citizen's old link answers 410; the guest skips the
//! survey. Checked afterwards on the server: one anonymous answer, no e-mail invitation waiting
//! (the citizen answered, the guest skipped).

use balie_tests::browser::{self, run_script};
use balie_tests::DEMO_STAFF;
use serde_json::json;

#[test]
fn a_call_ends_the_citizen_answers_the_survey_and_the_manager_sees_it() {
    browser::run(|| async {
        let app = browser::spawn_app(|_| {}).await;
        let agent = app.login_as("agent").await;
        let now = jiff::Timestamp::now();
        let call = agent
            .post(
                "/api/v1/gesprekken",
                &json!({
                    "title": "Vraag over afval",
                    "period": {"start": balie_booking::time::format_local(now),
                               "end": balie_booking::time::format_local(now + jiff::SignedDuration::from_mins(30))},
                    "participants": [
                        {"name": "Lotte Claes", "role": "citizen", "email": "lotte@example.org"},
                        {"name": "Ward Claes", "role": "guest", "email": "ward@example.org"},
                    ],
                }),
            )
            .await;
        assert_eq!(call.status, 201, "{}", call.body);
        let (email, _, _, password) = DEMO_STAFF.iter().find(|s| s.2 == "manager").copied().unwrap();
        let input = json!({"base": app.base, "links": call.body["links"],
                           "manager": {"email": email, "password": password}});
        let summary = run_script("survey.mjs", &input.to_string()).await.summary("survey.mjs");
        assert_eq!(summary["ok"], true);
        for (step, violations) in summary["axe"].as_object().unwrap() {
            assert_eq!(violations, 0, "axe violations at {step}");
        }
        assert_eq!(summary["old_link_status"], 410);
        let rows =
            app.store().answers(&Default::default(), balie_booking::store::CommentFilter::Any, 10).await.unwrap();
        assert_eq!(rows.len(), 1, "one anonymous answer");
        assert_eq!((rows[0].overall, rows[0].ease, rows[0].again.as_deref()), (5, Some(4), Some("yes")));
        assert_eq!(summary["skip_status"], 204);
        let pending = app.store().mails(balie_booking::outbox::DeliveryStatus::Pending, 100).await.unwrap();
        let invitations: Vec<_> =
            pending.iter().filter(|m| m.kind == "survey_invitation").map(|m| &m.recipient).collect();
        assert!(invitations.is_empty(), "answered and skipped: no invitation waits, found {invitations:?}");
        app.stop().await;
    });
}

//! The staff console (/balie) in headless Chromium (tests/e2e/console.mjs), inside a
//! loopback-only network namespace: sign-in (a wrong password first), the agenda showing an
//! appointment booked here beforehand, its details, a third party added and removed, notes, a
//! resent link, "open the call", and booking on a citizen's behalf. What the page did is then
//! checked here through the store and the signalling server, not only on screen.
//!
//! Needs root, `node`, `/usr/bin/chromium` and `npm ci` in tests/e2e (scripts/test provides them).

use balie_tests::browser::{self, run_script};
use serde_json::json;

#[test]
fn an_agent_works_through_the_console_in_chromium() {
    browser::run(console);
}

async fn console() {
    let app = browser::spawn_app(|_| {}).await;
    let day = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(3)).unwrap();
    let moments = app.get(&format!("/api/v1/afspraken/diensten/afval-en-milieu/momenten?van={day}&dagen=7")).await;
    let start = moments.body[0]["start"].as_str().unwrap().to_string();
    let booked = app
        .post(
            "/api/v1/afspraken",
            &json!({"service": "afval-en-milieu", "mode": "video", "start": start, "name": "Jan Janssens",
                    "email": "jan@example.org", "language": "nl", "consent": true, "third_parties": []}),
        )
        .await;
    assert_eq!(booked.status, 201, "{}", booked.body);
    let id = booked.body["appointment"]["id"].as_i64().unwrap();
    let old_link = app.wait_links_mailed_to("jan@example.org", "/gesprek#", 1).await.first().unwrap().clone();
    let local_day = &start[..10];

    let input = json!({"base": app.base, "id": id, "day": local_day}).to_string();
    let summary = run_script("console.mjs", &input).await.summary("console.mjs");

    let store = app.store();
    let notes = store.appointment_notes(id).await.unwrap();
    assert_eq!(notes.text, "Terugbellen over het bouwplan.\nDocumenten nagekeken.");
    assert_eq!(notes.updated_by.as_deref(), Some("An Peeters"));
    let a = store.appointment(id).await.unwrap();
    assert!(a.third_parties.is_empty(), "the third party was added and removed: {:?}", a.third_parties);

    // The resent link: a new one works (known, not yet open), the old one is refused.
    let tokens = app.wait_links_mailed_to("jan@example.org", "/gesprek#", 2).await;
    let new_link = tokens.iter().find(|t| **t != old_link).unwrap();
    assert_eq!(app.join_outcome(&old_link).await, "token_unknown");
    assert_eq!(app.join_outcome(new_link).await, "token_not_yet_valid");
    // The agent's link from "open the call" is the call's current agent link.
    assert_eq!(app.join_outcome(summary["call_token"].as_str().unwrap()).await, "token_not_yet_valid");

    // Booked on behalf: Maria, with her third party, by the agent.
    let from = jiff::Zoned::now().date();
    let window = balie_booking::time::Period {
        start: balie_booking::time::instant(from, jiff::civil::Time::midnight()),
        end: balie_booking::time::instant(
            from.checked_add(jiff::Span::new().days(31)).unwrap(),
            jiff::civil::Time::midnight(),
        ),
    };
    let all = store.appointments_between(window, None).await.unwrap();
    let maria = all.iter().find(|a| a.citizen.email == "maria@example.org").expect("Maria's appointment");
    assert!(maria.booked_by.is_some(), "booked by the agent");
    assert_eq!(maria.citizen.phone.as_deref(), Some("0470 12 34 56"));
    assert_eq!(maria.third_parties.len(), 1);
    assert_eq!(maria.third_parties[0].email, "tom@example.org");
    assert!(summary["booked"].as_str().unwrap().contains("Maria Peeters"), "{summary}");
    app.stop().await;
}

//! Appointments through the running server, on SQLite and PostgreSQL: the guide and free moments,
//! a citizen booking a video appointment with a third party (the e-mails arrive at a real SMTP
//! server and their .ics invitations are read by Python's icalendar), one moment booked by 20
//! people at once, refusals that name every bad field, and an agent booking on a citizen's behalf.

#[path = "../../mail/tests/support/python.rs"]
mod python;
#[path = "../../mail/tests/support/smtp_sink.rs"]
mod smtp_sink;

use std::path::PathBuf;

use balie_tests::{Backend, TestApp};
use balie_web::config::MailTransport;
use serde_json::{json, Value};
use smtp_sink::SmtpSink;

/// A video service of the demo: 15 minutes with the demo agent.
const SERVICE: &str = "afval-en-milieu";

async fn free_moments(app: &TestApp) -> Vec<Value> {
    // Two weeks ahead: past the minimum notice, whatever day the test runs.
    let r = app.get(&format!("/api/v1/afspraken/diensten/{SERVICE}/momenten?dagen=14")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

fn request(start: &str, name: &str, email: &str) -> Value {
    json!({
        "service": SERVICE,
        "mode": "video",
        "start": start,
        "name": name,
        "email": email,
        "phone": "+32 470 12 34 56",
        "language": "nl",
        "consent": true,
        "third_parties": [],
    })
}

async fn citizen_books_and_everyone_gets_their_mail(backend: Backend) {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = TestApp::spawn_with(backend, move |c| {
        c.mail_transport = MailTransport::Smtp;
        c.smtp_host = "127.0.0.1".into();
        c.smtp_port = Some(port);
        c.smtp_tls = "none".into();
    })
    .await;

    let guide = app.get("/api/v1/afspraken/gids").await;
    assert_eq!(guide.status, 200, "{}", guide.body);
    assert!(guide.body["topics"].as_array().unwrap().len() >= 4);
    let services = guide.body["services"].as_array().unwrap();
    assert!(services.iter().any(|s| s["code"] == SERVICE));
    assert!(services.iter().all(|s| s.get("agents").is_none()), "citizens do not see the agent pool");

    let moments = free_moments(&app).await;
    assert!(!moments.is_empty(), "the demo agent works on weekdays");
    let start = moments[0]["start"].as_str().unwrap().to_string();
    let mut body = request(&start, "Jan Janssens", "jan@example.org");
    body["third_parties"] = json!([{"name": "Els Maes", "email": "els@example.org", "relation": "caregiver"}]);
    let booked = app.post("/api/v1/afspraken", &body).await;
    assert_eq!(booked.status, 201, "{}", booked.body);
    let id = booked.body["appointment"]["id"].as_i64().unwrap();
    let manage_url = booked.body["manage_url"].as_str().unwrap().to_string();
    assert!(manage_url.contains("/afspraak#"), "{manage_url}");
    assert_eq!(booked.header("cache-control"), Some("no-store"));
    assert!(
        !free_moments(&app).await.iter().any(|m| m["start"] == start.as_str()),
        "a booked moment is no longer offered (one agent)"
    );

    // Two messages: the citizen's confirmation and the third party's invitation.
    let (received, _sink) = tokio::task::spawn_blocking(move || (sink.wait_for(2), sink)).await.unwrap();
    let mut by_rcpt: Vec<(String, PathBuf)> =
        received.iter().map(|r| (r.envelope["rcpt_tos"][0].as_str().unwrap().to_string(), r.eml.clone())).collect();
    by_rcpt.sort();
    let rcpts: Vec<&str> = by_rcpt.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(rcpts, ["els@example.org", "jan@example.org"]);
    let host = app.base.trim_start_matches("http://").split(':').next().unwrap().to_string();
    let mut join_links = Vec::new();
    for (rcpt, eml) in &by_rcpt {
        let parsed = python::parse_eml(eml);
        assert_eq!(parsed["defects"], json!([]), "{rcpt}: {parsed}");
        let text = python::parts(&parsed, "text/plain")[0]["text"].as_str().unwrap().to_string();
        let link = text
            .split_whitespace()
            .find(|w| w.contains("/gesprek#"))
            .unwrap_or_else(|| panic!("{rcpt}: no call link in {text}"));
        join_links.push(link.to_string());
        assert_eq!(
            text.contains("/afspraak#"),
            rcpt == "jan@example.org",
            "{rcpt}: only the citizen may move or cancel"
        );
        // The invitation, read by an independent parser.
        let calendar = python::parts(&parsed, "text/calendar");
        assert!(!calendar.is_empty(), "{rcpt}: no text/calendar part");
        assert_eq!(calendar[0]["params"]["method"], "REQUEST");
        let ics = eml.with_extension("ics");
        std::fs::write(&ics, calendar[0]["text"].as_str().unwrap()).unwrap();
        let cal = &python::run_json(&python::ICALENDAR, "parse_ics.py", &[&ics])[0];
        assert_eq!(cal["method"], "REQUEST", "{cal}");
        assert_eq!(cal["errors"], json!([]), "{cal}");
        let event = &cal["events"][0];
        assert_eq!(event["uid"], format!("appointment-{id}@{host}"));
        assert_eq!(event["sequence"], 0);
        let dtstart: jiff::Timestamp = event["dtstart"].as_str().unwrap().parse().unwrap();
        assert_eq!(dtstart, start.parse::<jiff::Timestamp>().unwrap(), "{event}");
    }
    assert_ne!(join_links[0], join_links[1], "every person has a link of their own");

    // The agent sees the appointment, its call and the third party.
    let agent = app.login_as("agent").await;
    let got = agent.get(&format!("/api/v1/afspraken/{id}")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["citizen"]["email"], "jan@example.org");
    assert_eq!(got.body["third_parties"][0]["relation"], "caregiver");
    assert!(got.body["call_id"].as_i64().is_some());
    assert!(got.body["booked_by"].is_null(), "booked by the citizen");
    let call = agent.get(&format!("/api/v1/gesprekken/{}", got.body["call_id"])).await;
    let roles: Vec<&str> =
        call.body["participants"].as_array().unwrap().iter().map(|p| p["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["agent", "citizen", "guest"]);
    app.stop().await;
}

async fn one_moment_booked_by_twenty_at_once_goes_to_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let start = free_moments(&app).await[0]["start"].as_str().unwrap().to_string();
    let attempts = (0..20).map(|i| {
        let body = request(&start, &format!("Burger {i}"), &format!("burger{i}@example.org"));
        let app = &app;
        async move { app.post("/api/v1/afspraken", &body).await }
    });
    let answers = futures::future::join_all(attempts).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");
    let refused = answers.iter().find(|r| r.status == 409).unwrap();
    assert_eq!(refused.header("content-type"), Some("application/problem+json"));
    let agent = app.login_as("agent").await;
    let day = &start[..10];
    let agenda = agent.get(&format!("/api/v1/afspraken?van={day}")).await;
    let ts = |v: &Value| v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    let at_that_moment =
        agenda.body.as_array().unwrap().iter().filter(|a| ts(&a["period"]["start"]) == ts(&json!(start))).count();
    assert_eq!(at_that_moment, 1, "{}", agenda.body);
    app.stop().await;
}

async fn bad_bookings_name_every_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let start = free_moments(&app).await[0]["start"].as_str().unwrap().to_string();
    let mut body = request(&start, "", "not-an-address");
    body["consent"] = json!(false);
    body["mode"] = json!("physical");
    body["third_parties"] = json!([{"name": "Els", "email": "also wrong", "relation": "family"}]);
    let r = app.post("/api/v1/afspraken", &body).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let mut fields: Vec<&str> =
        r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["consent", "email", "mode", "name", "third_parties[0].email"], "{}", r.body);

    let mut unknown = request(&start, "Jan", "jan@example.org");
    unknown["service"] = json!("bestaat-niet");
    let r = app.post("/api/v1/afspraken", &unknown).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "service");

    let missing = app.get("/api/v1/afspraken/diensten/bestaat-niet/momenten").await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    let too_long = app.get(&format!("/api/v1/afspraken/diensten/{SERVICE}/momenten?dagen=90")).await;
    assert_eq!(too_long.status, 422, "{}", too_long.body);
    app.stop().await;
}

async fn an_agent_books_on_a_citizens_behalf(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let start = free_moments(&app).await[0]["start"].as_str().unwrap().to_string();
    let body = request(&start, "Maria Peeters", "maria@example.org");
    let anonymous = app.post("/api/v1/afspraken/namens", &body).await;
    assert_eq!(anonymous.status, 401);
    let agent = app.login_as("agent").await;
    let r = agent.post("/api/v1/afspraken/namens", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body["booked_by"].as_i64().is_some(), "{}", r.body);
    assert!(r.body.get("manage_url").is_none(), "the citizen's link goes to the citizen, not the agent");
    // The confirmation is in the outbox, to the citizen.
    let pending_or_sent: Vec<Value> = [
        agent.get("/api/v1/berichten?status=pending").await.body,
        agent.get("/api/v1/berichten?status=sent").await.body,
    ]
    .into_iter()
    .flat_map(|b| b.as_array().unwrap().clone())
    .collect();
    assert!(pending_or_sent.iter().any(|m| m["recipient"] == "maria@example.org" && m["kind"] == "confirmation"));
    app.stop().await;
}

macro_rules! both {
    ($($body:ident => $sqlite:ident, $postgres:ident;)+) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $sqlite() { $body(Backend::Sqlite).await }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $postgres() { $body(Backend::Postgres).await }
    )+};
}

both! {
    citizen_books_and_everyone_gets_their_mail =>
        sqlite_a_citizen_books_a_video_appointment_and_everyone_gets_their_mail,
        postgres_a_citizen_books_a_video_appointment_and_everyone_gets_their_mail;
    one_moment_booked_by_twenty_at_once_goes_to_one =>
        sqlite_one_moment_booked_by_twenty_at_once_goes_to_one, postgres_one_moment_booked_by_twenty_at_once_goes_to_one;
    bad_bookings_name_every_field =>
        sqlite_bad_bookings_name_every_field, postgres_bad_bookings_name_every_field;
    an_agent_books_on_a_citizens_behalf =>
        sqlite_an_agent_books_on_a_citizens_behalf, postgres_an_agent_books_on_a_citizens_behalf;
}

//! The call's shared booking panel and the door kiosk, end to end in headless Chromium
//! (tests/e2e/panel.mjs), inside a loopback-only network namespace: the agent and the citizen
//! reserve a court together in a real call (the guest watching), the citizen pays on the
//! simulated bank's page from a third browser, both panels show "paid", the confirmation arrives
//! at a real SMTP server (Python aiosmtpd) with the door PIN, and the door kiosk page opens for that
//! PIN inside its window and refuses it outside.
//!
//! The window test moves the code's validity rather than the clock: the reservation lies two
//! weeks ahead, so its window is shifted to "now" in the database (as if it were that day), then
//! to later today; the door decides with the real clock either way.

#[path = "../../mail/tests/support/python.rs"]
mod python;
#[path = "../../mail/tests/support/smtp_sink.rs"]
mod smtp_sink;

use balie_tests::browser::{self, run_script};
use serde_json::{json, Value};
use smtp_sink::SmtpSink;

#[test]
fn agent_and_citizen_book_and_pay_a_court_in_the_call_and_the_kiosk_opens_for_the_pin() {
    browser::run(|| async {
        let sink = SmtpSink::start();
        let app = browser::spawn_app(|c| {
            c.mail_transport = balie_web::config::MailTransport::Smtp;
            c.smtp_host = "127.0.0.1".into();
            c.smtp_port = Some(sink.port);
            c.smtp_tls = "none".into();
        })
        .await;
        let agent = app.login_as("agent").await;
        let now = jiff::Timestamp::now();
        let call = agent
            .post(
                "/api/v1/gesprekken",
                &json!({
                    "title": "Sportveld huren",
                    "period": {"start": balie_booking::time::format_local(now),
                               "end": balie_booking::time::format_local(now + jiff::SignedDuration::from_hours(1))},
                    "participants": [
                        {"name": "Lotte Claes", "role": "citizen", "email": "lotte@example.org"},
                        {"name": "Ward Claes", "role": "guest", "email": "ward@example.org"},
                    ],
                }),
            )
            .await;
        assert_eq!(call.status, 201, "{}", call.body);
        let court = app.resource_id("badminton-1").await;
        let day = balie_tests::weekday_ahead(14);
        let input = json!({
            "phase": "call", "base": app.base, "links": call.body["links"], "citizen_email": "lotte@example.org",
            "resource_id": court, "resource_name": "Badmintonterrein 1", "day": day, "slot": "1000",
            "extra": "sportmateriaal",
        });
        let summary = run_script("panel.mjs", &input.to_string()).await.summary("panel.mjs (call)");
        assert_eq!(summary["ok"], true);
        for (step, violations) in summary["axe"].as_object().unwrap() {
            assert_eq!(violations, 0, "axe violations at {step}");
        }
        eprintln!("panel latencies (ms): {}", summary["latencies_ms"]);

        // What the server holds: a confirmed reservation in the citizen's name, with the extra,
        // paid once.
        let id = summary["reservation_id"].as_i64().expect("the reservation");
        let r = app.store().reservation(id).await.unwrap();
        assert_eq!(r.status, balie_booking::reservation::Status::Confirmed);
        assert_eq!((r.customer.name.as_str(), r.customer.email.as_str()), ("Lotte Claes", "lotte@example.org"));
        assert_eq!(r.customer.address.as_deref(), Some("Kerkstraat 1, 9999 Lindeveld"));
        assert_eq!(r.customer.identity_check.as_deref(), Some("eid_shown"), "how the agent checked identity");
        assert!(r.services.iter().any(|s| s.code == "sportmateriaal"));
        assert_eq!(r.quote.total_cents, summary["total_cents"].as_i64().unwrap());
        let payments = app.store().payments_of(id).await.unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0].status, balie_booking::payments::PaymentStatus::Paid);
        assert_eq!(payments[0].call_id, Some(call.body["call"]["id"].as_i64().unwrap()));

        // The confirmation, delivered over SMTP, holds the PIN (and only one was sent).
        let pin = tokio::task::spawn_blocking(move || {
            let received = sink.wait_for(1);
            let to_lotte: Vec<_> =
                received.iter().filter(|m| m.envelope["rcpt_tos"].to_string().contains("lotte@example.org")).collect();
            assert_eq!(to_lotte.len(), 1, "one confirmation for Lotte: {:?}", received.len());
            let raw = std::fs::read_to_string(&to_lotte[0].eml).unwrap();
            let text = raw.replace("=\r\n", "").replace("=\n", "");
            assert!(text.contains("BEGIN:VCALENDAR") || text.contains("text/calendar"), "the .ics is attached");
            let pin = text
                .lines()
                .map(str::trim)
                .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
                .expect("the PIN on a line of its own")
                .to_string();
            (pin, sink)
        })
        .await
        .unwrap()
        .0;

        // The kiosk of the court's door, with its own key.
        let admin = app.login_as("resource-admin").await;
        let doors = admin.get("/api/v1/deuren").await;
        let door = doors.body.as_array().unwrap().iter().find(|d| d["resource_id"] == court).expect("a door").clone();
        let key = admin.post(&format!("/api/v1/deuren/{}/sleutel", door["id"]), &json!({})).await.body["key"]
            .as_str()
            .unwrap()
            .to_string();

        shift_window(&app, id, -10, 120).await;
        let open = kiosk(&app, &key, &pin, "open").await;
        assert_eq!(open["decision"], "open");
        shift_window(&app, id, 60, 180).await;
        let early = kiosk(&app, &key, &pin, "too_early").await;
        assert!(early["text"].as_str().unwrap().contains(':'), "the kiosk says from when: {early}");

        let log = admin.get(&format!("/api/v1/deuren/{}/logboek", door["id"])).await;
        let outcomes: Vec<&str> = log.body.as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["refused", "open"], "every attempt logged, newest first");
        app.stop().await;
    });
}

/// Moves reservation `id`'s door-code window to [now + from, now + until) minutes.
async fn shift_window(app: &balie_tests::TestApp, id: i64, from: i64, until: i64) {
    let now = jiff::Timestamp::now().as_second();
    let pool = sqlx::AnyPool::connect(app.database_url()).await.unwrap();
    let done = sqlx::query("UPDATE access_codes SET valid_from = $1, valid_until = $2 WHERE reservation_id = $3")
        .bind(now + from * 60)
        .bind(now + until * 60)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
    pool.close().await;
}

async fn kiosk(app: &balie_tests::TestApp, key: &str, pin: &str, expect: &str) -> Value {
    let input = json!({"phase": "kiosk", "base": app.base, "key": key, "pin": pin, "expect": expect});
    let summary = run_script("panel.mjs", &input.to_string()).await.summary("panel.mjs (kiosk)");
    for (step, violations) in summary["axe"].as_object().unwrap() {
        assert_eq!(violations, 0, "kiosk axe violations at {step}");
    }
    summary
}

//! The outbox sender in the running server, against a real SMTP server (aiosmtpd, started by the
//! test): a queued message is delivered and its body erased; a rejected recipient fails and is
//! listed for agents; a temporary refusal is retried later. On SQLite and PostgreSQL.

#[path = "../../mail/tests/support/python.rs"]
mod python;
#[path = "../../mail/tests/support/smtp_sink.rs"]
mod smtp_sink;

use std::time::{Duration, Instant};

use balie_booking::outbox::DeliveryStatus;
use balie_mail::{sample, Language, MessageKind, Mode, Person};
use balie_tests::{Backend, TestApp};
use smtp_sink::SmtpSink;

/// Renders a confirmation to `email` with the app's renderer and queues it as a business change
/// would, then wakes the sender.
async fn queue_confirmation(app: &TestApp, email: &str) -> i64 {
    let mailer = &app.state().mailer;
    let mut mail = sample::appointment(Language::Nl, MessageKind::Confirmation, Mode::Video);
    mail.recipient = Person::new("Jan Janssens", email);
    let rendered = mailer.renderer.render(MessageKind::Confirmation, &mail, jiff::Timestamp::now()).unwrap();
    let row = balie_web::mailer::Mailer::to_row(&rendered, None).unwrap();
    let id = app.store().enqueue_mail(&row, jiff::Timestamp::now()).await.unwrap();
    mailer.wake();
    id
}

async fn wait_for_status(app: &TestApp, id: i64, status: DeliveryStatus) -> balie_booking::outbox::MailRecord {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let record = app.store().mail(id).await.unwrap();
        if record.status == status {
            return record;
        }
        assert!(Instant::now() < deadline, "mail {id} stayed {:?} (wanted {status:?}): {record:?}", record.status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn delivered_and_erased(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_mailing_to(backend, sink.port).await;
    let id = queue_confirmation(&app, "jan@example.org").await;
    let received = tokio::task::spawn_blocking(move || {
        let got = sink.wait_for(1);
        (got, sink)
    })
    .await
    .unwrap();
    let (got, _sink) = received;
    assert_eq!(got[0].envelope["rcpt_tos"], serde_json::json!(["jan@example.org"]));
    let eml = std::fs::read_to_string(&got[0].eml).unwrap();
    assert!(eml.contains("text/calendar"), "the invitation travels with the mail");
    let record = wait_for_status(&app, id, DeliveryStatus::Sent).await;
    assert_eq!(record.attempts, 1);
    assert_eq!(app.store().mail_body(id).await.unwrap(), None, "the body (with its personal link) is erased");

    let agent = app.login_as("agent").await;
    let sent = agent.get("/api/v1/berichten?status=sent").await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.body[0]["id"], id);
    assert_eq!(sent.body[0]["recipient"], "jan@example.org");
    assert!(sent.body[0].get("body").is_none(), "the list never shows bodies");
    app.stop().await;
}

async fn rejected_fails_and_temporary_is_retried(backend: Backend) {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_mailing_to(backend, sink.port).await;
    let rejected = queue_confirmation(&app, "reject-me@example.org").await;
    let failed = wait_for_status(&app, rejected, DeliveryStatus::Failed).await;
    assert_eq!(failed.attempts, 1, "a permanent refusal is not retried");
    assert!(failed.last_error.as_deref().unwrap_or("").contains("550"), "{failed:?}");

    let later = queue_confirmation(&app, "tempfail@example.org").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let pending = loop {
        let r = app.store().mail(later).await.unwrap();
        if r.attempts >= 1 && r.last_error.is_some() {
            break r;
        }
        assert!(Instant::now() < deadline, "the temporary failure was not recorded: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(pending.status, DeliveryStatus::Pending, "a temporary refusal is retried");
    assert!(pending.last_error.as_deref().unwrap().contains("451"), "{pending:?}");
    let retry_in = pending.next_attempt_at.unwrap().duration_since(jiff::Timestamp::now()).as_secs();
    assert!((20..=31).contains(&retry_in), "first retry after about 30 s, got {retry_in} s");

    // Agents see the failed one (the default list), and only with a session.
    let anonymous = app.get("/api/v1/berichten").await;
    assert_eq!(anonymous.status, 401);
    let agent = app.login_as("agent").await;
    let list = agent.get("/api/v1/berichten").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let ids: Vec<i64> = list.body.as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [rejected]);
    let bad = agent.get("/api/v1/berichten?status=bounced&limit=0").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let fields: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["status", "limit"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_queued_mail_is_delivered_over_smtp_and_its_body_erased() {
    delivered_and_erased(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_queued_mail_is_delivered_over_smtp_and_its_body_erased() {
    delivered_and_erased(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_rejected_recipient_fails_for_agents_and_a_temporary_refusal_is_retried() {
    rejected_fails_and_temporary_is_retried(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_rejected_recipient_fails_for_agents_and_a_temporary_refusal_is_retried() {
    rejected_fails_and_temporary_is_retried(Backend::Postgres).await;
}

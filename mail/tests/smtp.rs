//! Sending through a real SMTP server (Python aiosmtpd on loopback, no TLS): what arrives, and
//! how failures are classified for the outbox's retry rule.

#[path = "support/python.rs"]
mod python;
#[path = "support/smtp_sink.rs"]
mod smtp_sink;

use std::net::TcpListener;
use std::time::Duration;

use balie_mail::{
    sample, Language, MailError, MessageKind, Mode, OutgoingMail, Person, Renderer, SmtpConfig, TlsMode, Transport,
};
use smtp_sink::SmtpSink;

fn smtp(port: u16, timeout: Duration) -> Transport {
    let mut config = SmtpConfig::new("127.0.0.1", TlsMode::None);
    config.port = port;
    config.timeout = timeout;
    config.hello_name = Some("balie.test".into());
    Transport::smtp(config).unwrap()
}

fn confirmation_to(recipient: Option<Person>) -> OutgoingMail {
    let renderer = Renderer::new(sample::sender()).unwrap();
    let mut mail = sample::appointment(Language::Nl, MessageKind::Confirmation, Mode::Video);
    if let Some(recipient) = recipient {
        mail.recipient = recipient;
    }
    renderer.render(MessageKind::Confirmation, &mail, jiff::Timestamp::now()).unwrap()
}

#[tokio::test]
async fn a_confirmation_arrives_with_its_link_and_a_calendar_request() {
    let sink = SmtpSink::start();
    let out = confirmation_to(None);
    smtp(sink.port, Duration::from_secs(10)).send(&out).await.unwrap();

    let received = sink.wait_for(1);
    assert_eq!(received.len(), 1);
    let envelope = &received[0].envelope;
    assert_eq!(envelope["mail_from"], "balie@zemst.example");
    assert_eq!(envelope["rcpt_tos"], serde_json::json!(["an.peeters@example.org"]));
    assert_eq!(envelope["helo"], "balie.test");

    let eml = python::parse_eml(&received[0].eml);
    assert_eq!(eml["defects"], serde_json::json!([]), "the parser found defects");
    let headers = &eml["headers"];
    assert_eq!(headers["Subject"], "Uw afspraak is bevestigd: dinsdag 24 november 2026 om 10:30");
    assert_eq!(headers["To"], "An Peeters <an.peeters@example.org>");
    assert_eq!(headers["From"], "Gemeente Zemst <balie@zemst.example>");
    assert_eq!(headers["Message-ID"], out.message_id.as_str());
    assert_eq!(headers["Auto-Submitted"], "auto-generated");
    assert!(headers["Date"].is_string());

    let text = python::parts(&eml, "text/plain");
    assert_eq!(text.len(), 1);
    assert!(text[0]["text"].as_str().unwrap().contains(sample::JOIN_URL));
    let html = python::parts(&eml, "text/html");
    assert!(html[0]["text"].as_str().unwrap().contains(&format!("href=\"{}\"", sample::JOIN_URL)));

    let calendar = python::parts(&eml, "text/calendar");
    assert_eq!(calendar.len(), 1, "one inline text/calendar part");
    assert_eq!(calendar[0]["params"]["method"], "REQUEST");
    let ics = calendar[0]["text"].as_str().unwrap();
    assert!(ics.contains("METHOD:REQUEST"), "{ics}");
    assert!(ics.contains("UID:appointment-42@balie.zemst.example"));
    let attachment = python::parts(&eml, "application/ics");
    assert_eq!(attachment[0]["filename"], "invite.ics");
    assert_eq!(attachment[0]["disposition"], "attachment");
}

#[tokio::test]
async fn a_550_rejection_is_permanent() {
    let sink = SmtpSink::start();
    let out = confirmation_to(Some(Person::new("Nobody", "reject-me@example.org")));
    let err = smtp(sink.port, Duration::from_secs(10)).send(&out).await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert_eq!(err.smtp_code(), Some(550), "{err}");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn a_451_answer_is_transient() {
    let sink = SmtpSink::start();
    let out = confirmation_to(Some(Person::new("Busy", "tempfail@example.org")));
    let err = smtp(sink.port, Duration::from_secs(10)).send(&out).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.smtp_code(), Some(451), "{err}");
}

#[tokio::test]
async fn connection_refused_is_transient() {
    // A port that was free a moment ago and has no listener now.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = smtp(port, Duration::from_secs(5)).send(&confirmation_to(None)).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.smtp_code(), None);
}

#[tokio::test]
async fn a_server_that_never_greets_times_out_as_transient() {
    // The kernel accepts the connection into the backlog; nobody ever says "220".
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let err = smtp(port, Duration::from_millis(500)).send(&confirmation_to(None)).await.unwrap_err();
    assert!(matches!(err, MailError::Timeout(_)) && err.is_transient(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "the timeout was not applied");
    drop(silent);
}

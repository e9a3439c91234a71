//! balie's appointment e-mails: the pure parts. Templates in three languages, `.ics`
//! invitations, MIME messages and the transports that deliver them. No database and no web
//! framework: the outbox table and its background sender live in the web crate and use this.
//!
//! The flow:
//! 1. Fill an [`AppointmentMail`] (serde data) and call [`Renderer::render`] with a
//!    [`MessageKind`] and `now`. This checks the input and renders everything, so bad input
//!    fails while the business transaction can still refuse it.
//! 2. Store the resulting [`OutgoingMail`] (serde: JSON in an outbox row).
//! 3. Later, [`Transport::send`] it. On error, [`MailError::is_transient`] says whether to retry
//!    with backoff or to give up and show the failure to an agent.
//!
//! ```
//! use balie_mail::{AppointmentMail, CalendarRef, Language, MessageKind, Mode, Person, Renderer};
//! let renderer = Renderer::new(Person::new("Gemeente Zemst", "balie@zemst.example")).unwrap();
//! let mail = AppointmentMail {
//!     language: Language::Nl,
//!     municipality: "Gemeente Zemst".into(),
//!     recipient: Person::new("An Peeters", "an@example.org"),
//!     service: "Nieuwe identiteitskaart".into(),
//!     agent_name: "Sofie".into(),
//!     start: "2026-11-24T09:30:00Z".parse().unwrap(),
//!     end: "2026-11-24T10:00:00Z".parse().unwrap(),
//!     previous_start: None,
//!     mode: Mode::Video,
//!     location: None,
//!     join_url: Some("https://balie.zemst.example/j/abc".into()),
//!     manage_url: Some("https://balie.zemst.example/a/def".into()),
//!     third_party: None,
//!     calendar: CalendarRef { uid: "appointment-7@balie.zemst.example".into(), sequence: 0 },
//! };
//! let out = renderer.render(MessageKind::Confirmation, &mail, jiff::Timestamp::now()).unwrap();
//! assert!(out.subject.contains("dinsdag 24 november 2026 om 10:30"));
//! assert!(out.calendar.unwrap().ics.contains("METHOD:REQUEST"));
//! ```
//!
//! # Layout
//! - [`appointment`]: the input: [`AppointmentMail`], [`MessageKind`], [`Mode`], [`Relation`].
//! - [`lang`]: [`Language`] and the words formatted in code: Brussels dates, relation names.
//! - [`render`]: [`Renderer`]: minijinja templates (embedded from `mail/templates/`) → [`OutgoingMail`].
//! - [`ics`]: the iCalendar object (METHOD, UID, SEQUENCE; RFC 5545 folding).
//! - [`message`]: [`OutgoingMail`], the serialisable rendered message.
//! - [`mime`]: [`OutgoingMail`] → multipart MIME with the `text/calendar` part (lettre).
//! - [`transport`]: [`Transport`]: SMTP, `.eml` files, or memory.
//! - [`error`]: [`MailError`], with its permanent/transient split.
//! - [`sample`]: a fictional appointment for previews and tests (`examples/preview.rs`).

pub mod appointment;
pub mod error;
pub mod ics;
pub mod lang;
pub mod message;
pub mod mime;
pub mod render;
pub mod sample;
pub mod transport;

pub use appointment::{AppointmentMail, CalendarRef, MessageKind, Mode, Person, Relation, ThirdParty};
pub use error::MailError;
pub use lang::Language;
pub use message::{Calendar, Method, OutgoingMail};
pub use render::Renderer;
pub use transport::{
    Credentials, FileTransport, MemoryTransport, SentMail, SmtpConfig, SmtpTransport, TlsMode, Transport,
};

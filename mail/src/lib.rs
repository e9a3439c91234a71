//! balie's appointment and reservation e-mails: the pure parts. Templates in three languages,
//! `.ics` invitations, door-code QR images, invoices, MIME messages and the transports that
//! deliver them. No database and no web framework: the outbox table and its background sender
//! live in the web crate and use this.
//!
//! The flow:
//! 1. Fill an [`AppointmentMail`] (serde data) and call [`Renderer::render`] with a
//!    [`MessageKind`] and `now`; or, for a room or court, a [`ReservationMail`] and
//!    [`Renderer::render_reservation`] with a [`ReservationMessageKind`]. This checks the input
//!    and renders everything, so bad input fails while the business transaction can still
//!    refuse it. The survey invitation after a video call: a [`SurveyMail`] and
//!    [`Renderer::render_survey`].
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
//! - [`reservation`]: the input for rooms and courts: [`ReservationMail`],
//!   [`ReservationMessageKind`], [`AccessCode`], [`PaymentSummary`].
//! - [`survey`]: the input for the survey invitation after a call: [`SurveyMail`].
//! - [`evaluation`]: a room or court's evaluation invitation the day after use
//!   ([`EvaluationMail`]) and the "what we did" message about a reported defect ([`DefectClosedMail`]).
//! - [`lang`]: [`Language`] and the words formatted in code: Brussels dates, periods, euro
//!   amounts, relation names.
//! - [`render`]: [`Renderer`]: minijinja templates (embedded from `mail/templates/`) → [`OutgoingMail`].
//! - [`ics`]: the iCalendar object (METHOD, UID, SEQUENCE; RFC 5545 folding).
//! - [`qr`]: QR codes as PNG (e-mails) and SVG (web pages).
//! - [`structured`]: the Belgian structured communication (`+++ddd/dddd/ddddd+++`) and IBANs.
//! - [`message`]: [`OutgoingMail`], the serialisable rendered message, with its [`Attachment`]s.
//! - [`mime`]: [`OutgoingMail`] → multipart MIME with the `text/calendar` part, inline images
//!   and attachments (lettre).
//! - [`transport`]: [`Transport`]: SMTP, `.eml` files, or memory.
//! - [`error`]: [`MailError`], with its permanent/transient split.
//! - [`sample`]: a fictional appointment, reservation and survey invitation for previews and tests
//!   (`examples/preview.rs`).

pub mod appointment;
pub mod error;
pub mod evaluation;
pub mod ics;
pub mod lang;
pub mod message;
pub mod mime;
pub mod qr;
pub mod render;
pub mod reservation;
pub mod sample;
pub mod structured;
pub mod survey;
pub mod transport;

pub use appointment::{AppointmentMail, CalendarRef, MessageKind, Mode, Person, Relation, ThirdParty};
pub use error::MailError;
pub use evaluation::{DefectClosedMail, EvaluationMail};
pub use lang::Language;
pub use message::{Attachment, Calendar, MailKind, Method, OutgoingMail};
pub use qr::{qr_png, qr_svg};
pub use render::Renderer;
pub use reservation::{
    AccessCode, Contact, CreditNoteSummary, CustomerType, PaymentSummary, PriceLine, ReservationMail,
    ReservationMessageKind, VatSubtotal,
};
pub use structured::{parse_structured_communication, structured_communication};
pub use survey::SurveyMail;
pub use transport::{
    Credentials, FileTransport, MemoryTransport, SentMail, SmtpConfig, SmtpTransport, TlsMode, Transport,
};

//! A rendered message: everything needed to send it, as plain serde data so it can wait in an
//! outbox row (JSON) and be sent, or retried, later by another process.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::appointment::{MessageKind, Person};
use crate::lang::Language;
use crate::reservation::ReservationMessageKind;

/// The iTIP method of an attached calendar object (RFC 5546). The MIME part's
/// `Content-Type: text/calendar; method=…` must repeat it, or Outlook ignores the invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Method {
    /// A new or changed appointment.
    Request,
    /// A cancelled appointment.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }

    /// Which method a message kind carries, if it carries a calendar object at all. A reminder
    /// changes nothing in the recipient's calendar, so it has none.
    pub fn for_kind(kind: MessageKind) -> Option<Method> {
        match kind {
            MessageKind::Confirmation | MessageKind::ThirdPartyInvitation | MessageKind::Rescheduled => {
                Some(Method::Request)
            }
            MessageKind::Cancellation => Some(Method::Cancel),
            MessageKind::Reminder => None,
        }
    }
}

/// An iCalendar object (RFC 5545 text: CRLF, folded lines) and its method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    pub method: Method,
    pub ics: String,
}

/// What an [`OutgoingMail`] is: a message about an appointment, about a reservation, or the
/// survey invitation after a call.
///
/// Serialised as its bare name (`"confirmation"`, `"reservation_invoice"`,
/// `"survey_invitation"`), which for an appointment is exactly what `kind` held before
/// reservations existed: outbox rows written then read back unchanged. The names never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    Appointment(MessageKind),
    Reservation(ReservationMessageKind),
    /// The invitation to the satisfaction survey after a video call ([`crate::SurveyMail`]).
    Survey,
    /// The evaluation of a room or court the day after it was used ([`crate::EvaluationMail`]).
    Evaluation,
    /// What was done about a reported defect, to the reporter ([`crate::DefectClosedMail`]).
    DefectClosed,
}

impl MailKind {
    /// Every kind: appointments, reservations, then the survey invitation.
    pub fn all() -> impl Iterator<Item = MailKind> {
        MessageKind::ALL
            .into_iter()
            .map(MailKind::Appointment)
            .chain(ReservationMessageKind::ALL.into_iter().map(MailKind::Reservation))
            .chain([MailKind::Survey, MailKind::Evaluation, MailKind::DefectClosed])
    }

    /// The template stem, also the outbox row's `kind`: `confirmation`, `reservation_invoice`,
    /// `survey_invitation`, ….
    pub fn name(self) -> &'static str {
        match self {
            MailKind::Appointment(kind) => kind.name(),
            MailKind::Reservation(kind) => kind.name(),
            MailKind::Survey => "survey_invitation",
            MailKind::Evaluation => "room_evaluation",
            MailKind::DefectClosed => "defect_closed",
        }
    }

    /// The kind with this [`MailKind::name`].
    pub fn parse(name: &str) -> Option<MailKind> {
        MailKind::all().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for MailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<MessageKind> for MailKind {
    fn from(kind: MessageKind) -> MailKind {
        MailKind::Appointment(kind)
    }
}

impl From<ReservationMessageKind> for MailKind {
    fn from(kind: ReservationMessageKind) -> MailKind {
        MailKind::Reservation(kind)
    }
}

impl PartialEq<MessageKind> for MailKind {
    fn eq(&self, other: &MessageKind) -> bool {
        *self == MailKind::Appointment(*other)
    }
}

impl PartialEq<ReservationMessageKind> for MailKind {
    fn eq(&self, other: &ReservationMessageKind) -> bool {
        *self == MailKind::Reservation(*other)
    }
}

impl Serialize for MailKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for MailKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MailKind, D::Error> {
        let name = String::deserialize(deserializer)?;
        MailKind::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown message kind {name:?}")))
    }
}

/// A file sent with a message. With a `content_id` it is shown inside the HTML body
/// (`<img src="cid:…">`, in a `multipart/related` part); without, it is an attachment to save.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// ASCII letters, digits, `.`, `-` and `_`: `toegangscode.png`, `factuur-2026-0042.html`.
    pub filename: String,
    /// `image/png`, `text/html; charset=utf-8`, ….
    pub content_type: String,
    /// Without angle brackets, e.g. `qr.3f2a…@zemst.example`.
    #[serde(default)]
    pub content_id: Option<String>,
    /// The bytes, standard base64 (JSON would write a byte array as a list of numbers).
    pub data_base64: String,
}

impl Attachment {
    pub fn new(filename: impl Into<String>, content_type: impl Into<String>, data: &[u8]) -> Attachment {
        Attachment {
            filename: filename.into(),
            content_type: content_type.into(),
            content_id: None,
            data_base64: base64::engine::general_purpose::STANDARD.encode(data),
        }
    }

    /// Shown in the HTML body where it says `<img src="cid:{content_id}">`.
    pub fn inline(mut self, content_id: impl Into<String>) -> Attachment {
        self.content_id = Some(content_id.into());
        self
    }

    /// The decoded bytes.
    pub fn data(&self) -> Result<Vec<u8>, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(&self.data_base64)
    }
}

// By hand: a QR code opens a door and an invoice is personal; the log gets names and sizes.
impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("content_id", &self.content_id)
            .field("base64_len", &self.data_base64.len())
            .finish()
    }
}

/// A message ready to send. Made by [`crate::Renderer::render`], turned into MIME by
/// [`crate::mime`] at send time (so the `Date` header is the time of sending), sent by a
/// [`crate::Transport`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub kind: MailKind,
    pub language: Language,
    /// With angle brackets, e.g. `<3f2a…@gemeente.be>`. Fixed at rendering so that every retry
    /// of the same outbox row carries the same id and a receiving server can drop duplicates.
    pub message_id: String,
    pub from: Person,
    pub to: Person,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub calendar: Option<Calendar>,
    /// Inline images and files, in this order in the message. Absent in rows written before
    /// attachments existed, and left out of the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

// By hand: the bodies hold the recipient's personal join link or door code, which must not
// reach the logs; of the attachments only the names.
impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("kind", &self.kind)
            .field("language", &self.language)
            .field("message_id", &self.message_id)
            .field("to", &self.to.email)
            .field("subject", &self.subject)
            .field("calendar", &self.calendar.as_ref().map(|c| c.method))
            .field("attachments", &self.attachments.iter().map(|a| a.filename.as_str()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_as_their_names_and_never_collide() {
        let names: Vec<&str> = MailKind::all().map(MailKind::name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        for kind in MailKind::all() {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<MailKind>(&json).unwrap(), kind);
        }
        // The appointment names are MessageKind's own serde names: old rows read back.
        for kind in MessageKind::ALL {
            assert_eq!(serde_json::to_string(&kind).unwrap(), serde_json::to_string(&MailKind::from(kind)).unwrap());
        }
        for kind in ReservationMessageKind::ALL {
            assert_eq!(serde_json::to_string(&kind).unwrap(), serde_json::to_string(&MailKind::from(kind)).unwrap());
        }
        assert!(serde_json::from_str::<MailKind>("\"newsletter\"").is_err());
    }

    #[test]
    fn every_kind_parses_back_from_its_name_including_the_survey_invitation() {
        for kind in MailKind::all() {
            assert_eq!(MailKind::parse(kind.name()), Some(kind), "{kind}");
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(MailKind::Survey.name(), "survey_invitation");
        assert_eq!(MailKind::parse("survey_invitation"), Some(MailKind::Survey));
        assert_eq!(serde_json::to_string(&MailKind::Survey).unwrap(), "\"survey_invitation\"");
        assert_eq!(serde_json::from_str::<MailKind>("\"survey_invitation\"").unwrap(), MailKind::Survey);
        assert_eq!(MailKind::all().filter(|k| *k == MailKind::Survey).count(), 1);
        assert_eq!(MailKind::parse("survey"), None);
        assert_eq!(MailKind::parse(""), None);
    }

    /// An outbox row of the survey invitation, as the web crate stores it: read back as one.
    #[test]
    fn a_survey_invitation_row_reads_back() {
        let json = r#"{"kind":"survey_invitation","language":"fr","message_id":"<a@b.example>",
            "from":{"name":"G","email":"g@b.example"},"to":{"name":"A","email":"a@b.example"},
            "subject":"S","text":"T","html":"H","calendar":null}"#;
        let mail: OutgoingMail = serde_json::from_str(json).unwrap();
        assert_eq!(mail.kind, MailKind::Survey);
        assert!(serde_json::to_string(&mail).unwrap().contains(r#""kind":"survey_invitation""#));
    }

    /// An outbox row as the web crate stored it before reservations: no `attachments`.
    #[test]
    fn a_row_from_before_attachments_still_reads() {
        let json = r#"{"kind":"reminder","language":"nl","message_id":"<a@b.example>",
            "from":{"name":"G","email":"g@b.example"},"to":{"name":"A","email":"a@b.example"},
            "subject":"S","text":"T","html":"H","calendar":null}"#;
        let mail: OutgoingMail = serde_json::from_str(json).unwrap();
        assert_eq!(mail.kind, MessageKind::Reminder);
        assert!(mail.attachments.is_empty());
        // And an appointment's row is written as before, without the empty list.
        assert!(!serde_json::to_string(&mail).unwrap().contains("attachments"));
    }

    #[test]
    fn attachments_keep_their_bytes_and_debug_shows_no_data() {
        let a = Attachment::new("qr.png", "image/png", b"\x89PNG secret").inline("qr.1@x.example");
        assert_eq!(a.data().unwrap(), b"\x89PNG secret");
        let back: Attachment = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
        let debug = format!("{a:?}");
        assert!(debug.contains("qr.png") && !debug.contains(&a.data_base64), "{debug}");
    }
}

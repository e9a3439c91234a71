//! A rendered message: everything needed to send it, as plain serde data so it can wait in an
//! outbox row (JSON) and be sent, or retried, later by another process.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::appointment::{MessageKind, Person};
use crate::lang::Language;

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

/// A message ready to send. Made by [`crate::Renderer::render`], turned into MIME by
/// [`crate::mime`] at send time (so the `Date` header is the time of sending), sent by a
/// [`crate::Transport`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub kind: MessageKind,
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
}

// By hand: the bodies hold the recipient's personal join link, which must not reach the logs.
impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("kind", &self.kind)
            .field("language", &self.language)
            .field("message_id", &self.message_id)
            .field("to", &self.to.email)
            .field("subject", &self.subject)
            .field("calendar", &self.calendar.as_ref().map(|c| c.method))
            .finish_non_exhaustive()
    }
}

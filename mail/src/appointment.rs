//! What a message is about: the input to [`crate::Renderer::render`]. Plain serde data so the
//! web crate can fill it from its own records (or store it) without knowing the templates.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::MailError;
use crate::lang::Language;

/// The messages balie sends about an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Confirmation,
    Reminder,
    ThirdPartyInvitation,
    Cancellation,
    Rescheduled,
}

impl MessageKind {
    pub const ALL: [MessageKind; 5] = [
        MessageKind::Confirmation,
        MessageKind::Reminder,
        MessageKind::ThirdPartyInvitation,
        MessageKind::Cancellation,
        MessageKind::Rescheduled,
    ];

    /// The template file stem: `templates/<lang>/<name>.{subject.txt,txt,html}`.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Confirmation => "confirmation",
            MessageKind::Reminder => "reminder",
            MessageKind::ThirdPartyInvitation => "third_party_invitation",
            MessageKind::Cancellation => "cancellation",
            MessageKind::Rescheduled => "rescheduled",
        }
    }
}

/// How people meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Video,
    Physical,
    /// Some come to the counter, others join by video.
    Hybrid,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Video => "video",
            Mode::Physical => "physical",
            Mode::Hybrid => "hybrid",
        }
    }

    pub fn has_video(self) -> bool {
        self != Mode::Physical
    }

    pub fn has_place(self) -> bool {
        self != Mode::Video
    }
}

/// A name and an e-mail address. Checked by [`crate::Renderer::render`], so a bad address fails
/// when the message is made (a permanent error), not later in the sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub email: String,
}

impl Person {
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Person {
        Person { name: name.into(), email: email.into() }
    }
}

/// Why a third party takes part (the four kinds in DESIGN.md, or free text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Family,
    Caregiver,
    Interpreter,
    Professional,
    /// Written as given, in the message's language (e.g. "architect").
    Other(String),
}

/// Set when the recipient is not the citizen but someone the citizen invited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThirdParty {
    pub relation: Relation,
    /// The citizen's name, as the recipient knows them.
    pub invited_by: String,
}

/// The calendar identity of an appointment, kept by the caller so every message about the same
/// appointment updates the same calendar entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarRef {
    /// Stable for the appointment's life, e.g. `appointment-42@balie.gemeente.be`.
    pub uid: String,
    /// 0 at booking, bumped by the caller on every reschedule and on cancellation (RFC 5546: a
    /// client ignores an update whose SEQUENCE is not higher than the one it has).
    pub sequence: u32,
}

/// Everything a template needs about one appointment, for one recipient.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentMail {
    #[serde(default)]
    pub language: Language,
    pub municipality: String,
    pub recipient: Person,
    /// The service asked for, e.g. "Nieuwe identiteitskaart".
    pub service: String,
    pub agent_name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// For [`MessageKind::Rescheduled`]: the start it had before, shown for reference.
    #[serde(default)]
    pub previous_start: Option<Timestamp>,
    pub mode: Mode,
    /// Where to go, for physical and hybrid appointments (address and desk).
    #[serde(default)]
    pub location: Option<String>,
    /// The recipient's personal join link (a capability URL). Required for video and hybrid
    /// appointments; ignored for physical ones.
    #[serde(default)]
    pub join_url: Option<String>,
    /// Where the citizen reschedules or cancels; after a cancellation, where to book anew.
    /// Usually `None` for a third party, who cannot change the citizen's appointment.
    #[serde(default)]
    pub manage_url: Option<String>,
    #[serde(default)]
    pub third_party: Option<ThirdParty>,
    pub calendar: CalendarRef,
}

// By hand so that the capability links never reach a log line through `{:?}`.
impl fmt::Debug for AppointmentMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppointmentMail")
            .field("language", &self.language)
            .field("recipient", &self.recipient)
            .field("service", &self.service)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("mode", &self.mode)
            .field("join_url", &self.join_url.as_ref().map(|_| "***"))
            .field("manage_url", &self.manage_url.as_ref().map(|_| "***"))
            .field("calendar", &self.calendar)
            .finish_non_exhaustive()
    }
}

impl AppointmentMail {
    /// The rules a message of `kind` needs; returns the first broken one as
    /// [`MailError::Invalid`] (permanent: retrying the same input cannot help).
    pub fn check(&self, kind: MessageKind) -> Result<(), MailError> {
        let invalid = |why: &str| Err(MailError::Invalid(why.to_string()));
        crate::error::none_blank(&[
            ("municipality", &self.municipality),
            ("recipient name", &self.recipient.name),
            ("service", &self.service),
            ("agent name", &self.agent_name),
            ("calendar uid", &self.calendar.uid),
        ])?;
        if self.calendar.uid.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return invalid("calendar uid has spaces or control characters");
        }
        if self.end <= self.start {
            return invalid("the appointment ends before it starts");
        }
        if self.mode.has_place() && self.location.as_deref().is_none_or(|l| l.trim().is_empty()) {
            return invalid("a physical or hybrid appointment needs a location");
        }
        // A cancelled appointment's link no longer works, so it need not be there.
        if kind != MessageKind::Cancellation
            && self.mode.has_video()
            && self.join_url.as_deref().is_none_or(|u| u.trim().is_empty())
        {
            return invalid("a video or hybrid appointment needs a join link");
        }
        if kind == MessageKind::ThirdPartyInvitation && self.third_party.is_none() {
            return invalid("a third-party invitation needs the third party's relation");
        }
        Ok(())
    }
}

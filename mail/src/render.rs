//! Appointment, reservation and survey data → [`OutgoingMail`]: subject, plain text and HTML from
//! minijinja templates, and the `.ics` for kinds that change the recipient's calendar. The
//! reservation messages (door code, QR image, invoice) are in `render_reservation.rs`, the
//! survey invitation after a call in `render_survey.rs`.
//!
//! Templates live in `mail/templates/<lang>/<kind>.{subject.txt,txt,html}` and are compiled into
//! the binary with `include_str!`, so a deployment needs no template files. `.html` templates
//! are autoescaped (minijinja decides by extension); `.txt` templates are not, so a name like
//! `<b>` appears literally in the plain text and as `&lt;b&gt;` in the HTML. Dates are
//! formatted here, in Brussels time, and handed to templates as strings.

use std::fmt::Write as _;

use jiff::Timestamp;
use minijinja::value::Value;
use minijinja::{context, escape_formatter, AutoEscape, Environment, Output, State, UndefinedBehavior};
use rand::RngCore;

use crate::appointment::{AppointmentMail, MessageKind, Person};
use crate::error::MailError;
use crate::ics::{calendar, CalendarEvent};
use crate::lang::Language;
use crate::message::{Calendar, Method, OutgoingMail};
use crate::reservation::ReservationMessageKind;

/// `(name, source)` for the three templates of one message in one language.
macro_rules! message_templates {
    ($lang:literal, $kind:literal) => {
        [
            (
                concat!($lang, "/", $kind, ".subject.txt"),
                include_str!(concat!("../templates/", $lang, "/", $kind, ".subject.txt")),
            ),
            (concat!($lang, "/", $kind, ".txt"), include_str!(concat!("../templates/", $lang, "/", $kind, ".txt"))),
            (concat!($lang, "/", $kind, ".html"), include_str!(concat!("../templates/", $lang, "/", $kind, ".html"))),
        ]
    };
}

/// Partials shared by the messages of one language.
macro_rules! language_partials {
    ($lang:literal) => {
        [
            (concat!($lang, "/calendar.txt"), include_str!(concat!("../templates/", $lang, "/calendar.txt"))),
            (concat!($lang, "/details.txt"), include_str!(concat!("../templates/", $lang, "/details.txt"))),
            (concat!($lang, "/details.html"), include_str!(concat!("../templates/", $lang, "/details.html"))),
            (concat!($lang, "/footer.txt"), include_str!(concat!("../templates/", $lang, "/footer.txt"))),
            (concat!($lang, "/footer.html"), include_str!(concat!("../templates/", $lang, "/footer.html"))),
        ]
    };
}

macro_rules! language_templates {
    ($lang:literal) => {
        [
            message_templates!($lang, "confirmation"),
            message_templates!($lang, "reminder"),
            message_templates!($lang, "third_party_invitation"),
            message_templates!($lang, "cancellation"),
            message_templates!($lang, "rescheduled"),
        ]
    };
}

/// `(name, source)` of one partial.
macro_rules! partial {
    ($lang:literal, $file:literal) => {
        (concat!($lang, "/", $file), include_str!(concat!("../templates/", $lang, "/", $file)))
    };
}

macro_rules! reservation_templates {
    ($lang:literal) => {
        [
            message_templates!($lang, "reservation_confirmation"),
            message_templates!($lang, "reservation_access_reminder"),
            message_templates!($lang, "reservation_cancellation"),
            message_templates!($lang, "reservation_invoice"),
        ]
    };
}

/// The blocks the reservation messages share, and the invoice (a document of its own).
macro_rules! reservation_partials {
    ($lang:literal) => {
        [
            partial!($lang, "reservation_calendar.txt"),
            partial!($lang, "reservation_details.txt"),
            partial!($lang, "reservation_details.html"),
            partial!($lang, "reservation_access.txt"),
            partial!($lang, "reservation_access.html"),
            partial!($lang, "reservation_info.txt"),
            partial!($lang, "reservation_info.html"),
            partial!($lang, "reservation_costs.txt"),
            partial!($lang, "reservation_costs.html"),
            partial!($lang, "invoice.html"),
            partial!($lang, "credit_note.html"),
        ]
    };
}

const LAYOUT: (&str, &str) = ("layout.html", include_str!("../templates/layout.html"));
const INVOICE_LAYOUT: (&str, &str) = ("invoice_layout.html", include_str!("../templates/invoice_layout.html"));
const CREDIT_NOTE_LAYOUT: (&str, &str) =
    ("credit_note_layout.html", include_str!("../templates/credit_note_layout.html"));
const DOCUMENT_LAYOUT: (&str, &str) = ("document_layout.html", include_str!("../templates/document_layout.html"));
const MESSAGES: [[[(&str, &str); 3]; 5]; 3] =
    [language_templates!("nl"), language_templates!("en"), language_templates!("fr")];
const PARTIALS: [[(&str, &str); 5]; 3] = [language_partials!("nl"), language_partials!("en"), language_partials!("fr")];
const RESERVATION_MESSAGES: [[[(&str, &str); 3]; 4]; 3] =
    [reservation_templates!("nl"), reservation_templates!("en"), reservation_templates!("fr")];
const RESERVATION_PARTIALS: [[(&str, &str); 11]; 3] =
    [reservation_partials!("nl"), reservation_partials!("en"), reservation_partials!("fr")];
const SURVEY_MESSAGES: [[(&str, &str); 3]; 3] = [
    message_templates!("nl", "survey_invitation"),
    message_templates!("en", "survey_invitation"),
    message_templates!("fr", "survey_invitation"),
];
const EVALUATION_MESSAGES: [[(&str, &str); 3]; 6] = [
    message_templates!("nl", "room_evaluation"),
    message_templates!("en", "room_evaluation"),
    message_templates!("fr", "room_evaluation"),
    message_templates!("nl", "defect_closed"),
    message_templates!("en", "defect_closed"),
    message_templates!("fr", "defect_closed"),
];

/// Renders appointment, reservation and survey messages. Build one at start-up and share it: the
/// templates are parsed once, in [`Renderer::new`], so a syntax error shows at start, not at the
/// first booking.
#[derive(Debug)]
pub struct Renderer {
    env: Environment<'static>,
    from: Person,
}

impl Renderer {
    /// `from` is the municipality's sending address; it is also the calendar `ORGANIZER`.
    pub fn new(from: Person) -> Result<Renderer, MailError> {
        check_address(&from.email)?;
        let mut env = Environment::new();
        // Strict: a variable missing from the context is a bug in this crate, not an empty
        // string in a citizen's mail.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Block tags on their own lines leave no trace, and an included partial keeps its last
        // newline: plain-text templates then read like the text they produce.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?;
        env.set_syntax(syntax);
        env.set_formatter(format_value);
        let all = MESSAGES
            .iter()
            .flatten()
            .flatten()
            .chain(PARTIALS.iter().flatten())
            .chain(RESERVATION_MESSAGES.iter().flatten().flatten())
            .chain(RESERVATION_PARTIALS.iter().flatten())
            .chain(SURVEY_MESSAGES.iter().flatten())
            .chain(EVALUATION_MESSAGES.iter().flatten())
            .chain([&LAYOUT, &DOCUMENT_LAYOUT, &INVOICE_LAYOUT, &CREDIT_NOTE_LAYOUT]);
        for (name, source) in all {
            env.add_template(name, source)?;
        }
        Ok(Renderer { env, from })
    }

    /// The sending address given to [`Renderer::new`].
    pub fn from(&self) -> &Person {
        &self.from
    }

    /// Makes one message. `now` becomes the calendar's DTSTAMP. Errors are permanent: bad
    /// input ([`MailError::Invalid`], [`MailError::Address`]) or a template bug.
    pub fn render(&self, kind: MessageKind, mail: &AppointmentMail, now: Timestamp) -> Result<OutgoingMail, MailError> {
        mail.check(kind)?;
        check_address(&mail.recipient.email)?;
        let lang = mail.language;
        let base = format!("{}/{}", lang.code(), kind.name());
        let mut ctx = self.context(kind, mail);

        let subject = self.env.get_template(&format!("{base}.subject.txt"))?.render(&ctx)?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        ctx = context! { subject => subject.clone(), ..ctx };
        let text = self.env.get_template(&format!("{base}.txt"))?.render(&ctx)?;
        let html = self.env.get_template(&format!("{base}.html"))?.render(&ctx)?;

        let calendar = match Method::for_kind(kind) {
            None => None,
            Some(method) => {
                let description = self.env.get_template(&format!("{}/calendar.txt", lang.code()))?.render(&ctx)?;
                Some(Calendar { method, ics: self.ics(method, mail, description.trim(), now) })
            }
        };

        Ok(OutgoingMail {
            kind: kind.into(),
            language: lang,
            message_id: message_id(&self.from.email),
            from: self.from.clone(),
            to: mail.recipient.clone(),
            subject,
            text: normalise_text(&text),
            html,
            calendar,
            attachments: Vec::new(),
        })
    }

    fn context(&self, kind: MessageKind, mail: &AppointmentMail) -> Value {
        let lang = mail.language;
        // A physical appointment has no link, even if the caller passed one by mistake; and a
        // cancelled appointment's link no longer opens anything.
        let join_url = mail.join_url.as_deref().filter(|_| mail.mode.has_video() && kind != MessageKind::Cancellation);
        let third = mail.third_party.as_ref();
        context! {
            lang => lang.code(),
            kind => kind.name(),
            municipality => mail.municipality.trim(),
            recipient_name => mail.recipient.name.trim(),
            service => mail.service.trim(),
            agent_name => mail.agent_name.trim(),
            date => lang.date(mail.start),
            start_time => lang.time(mail.start),
            end_time => lang.time(mail.end),
            when => lang.date_time(mail.start),
            previous_when => mail.previous_start.map(|at| lang.date_time(at)),
            mode => mail.mode.as_str(),
            location => mail.location.as_deref().filter(|_| mail.mode.has_place()).map(str::trim),
            join_url => join_url,
            manage_url => mail.manage_url.as_deref(),
            invited_by => third.map(|t| t.invited_by.trim().to_string()),
            relation => third.map(|t| lang.relation(&t.relation)),
            has_calendar => Method::for_kind(kind).is_some(),
        }
    }

    fn ics(&self, method: Method, mail: &AppointmentMail, description: &str, now: Timestamp) -> String {
        let summary = format!("{} – {}", mail.service.trim(), mail.municipality.trim());
        let join_url = mail.join_url.as_deref().filter(|_| mail.mode.has_video() && method == Method::Request);
        // Clients show LOCATION prominently: the place for physical and hybrid appointments,
        // the join link for video ones (as video-meeting invitations commonly do).
        let location = match mail.mode.has_place() {
            true => mail.location.as_deref().map(str::trim),
            false => join_url,
        };
        calendar(&CalendarEvent {
            method,
            uid: mail.calendar.uid.trim(),
            sequence: mail.calendar.sequence,
            stamp: now,
            start: mail.start,
            end: mail.end,
            summary: &summary,
            description,
            location,
            url: join_url,
            organizer: &self.from,
            attendee: &mail.recipient,
        })
    }
}

/// All languages and kinds, for tests and for a start-up self-check.
pub fn all_templates() -> impl Iterator<Item = (Language, MessageKind)> {
    Language::ALL.into_iter().flat_map(|l| MessageKind::ALL.into_iter().map(move |k| (l, k)))
}

/// All languages and reservation kinds, for tests and for a start-up self-check.
pub fn all_reservation_templates() -> impl Iterator<Item = (Language, ReservationMessageKind)> {
    Language::ALL.into_iter().flat_map(|l| ReservationMessageKind::ALL.into_iter().map(move |k| (l, k)))
}

/// Like minijinja's own formatter, but HTML escaping leaves `/` alone: minijinja writes it as
/// `&#x2f;`, which is valid but turns every link in the HTML part into
/// `https:&#x2f;&#x2f;…`, which spam filters and people reading the source dislike. `/` needs
/// no escaping in text or in a quoted attribute.
fn format_value(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    if !matches!(state.auto_escape(), AutoEscape::Html) || value.is_safe() || value.is_undefined() || value.is_none() {
        return escape_formatter(out, state, value);
    }
    for c in value.to_string().chars() {
        match c {
            '<' => out.write_str("&lt;")?,
            '>' => out.write_str("&gt;")?,
            '&' => out.write_str("&amp;")?,
            '"' => out.write_str("&quot;")?,
            '\'' => out.write_str("&#x27;")?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

fn check_address(email: &str) -> Result<(), MailError> {
    email
        .trim()
        .parse::<lettre::Address>()
        .map(|_| ())
        .map_err(|source| MailError::Address { address: email.to_string(), source })
}

/// `<128 random bits in hex@sender's domain>` (RFC 5322 §3.6.4: unique, domain on the right).
fn message_id(from_email: &str) -> String {
    let domain = from_email.rsplit_once('@').map_or("localhost", |(_, d)| d.trim());
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{domain}>")
}

/// Templates may leave runs of blank lines where optional blocks were skipped: keep at most one
/// blank line, no trailing spaces, and end with one newline.
fn normalise_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        blank = if line.is_empty() { blank + 1 } else { 0 };
        if blank <= 1 {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[path = "render_reservation.rs"]
mod reservation;

#[path = "render_survey.rs"]
mod survey;

#[path = "render_evaluation.rs"]
mod evaluation;

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "render_reservation_tests.rs"]
mod reservation_tests;

#[cfg(test)]
#[path = "render_survey_tests.rs"]
mod survey_tests;

#[cfg(test)]
#[path = "render_evaluation_tests.rs"]
mod evaluation_tests;

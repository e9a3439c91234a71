//! [`OutgoingMail`] → a MIME message (lettre), done at send time so `Date` is the time of sending.
//!
//! Shape of a message with a calendar object, the one that Gmail, Outlook and Apple Mail all
//! turn into an "add to calendar" card while any other client still shows text and a file:
//! ```text
//! multipart/mixed
//! ├── multipart/alternative
//! │   ├── text/plain; charset=utf-8
//! │   ├── text/html; charset=utf-8
//! │   └── text/calendar; method=REQUEST|CANCEL; charset=UTF-8   (the method repeats METHOD:)
//! └── application/ics attachment invite.ics | cancel.ics      (same bytes, for saving)
//! ```
//! Without a calendar object (reminders) it is just the `multipart/alternative`.

use std::time::SystemTime;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::appointment::Person;
use crate::error::MailError;
use crate::message::{Calendar, Method, OutgoingMail};

/// The lettre message for `mail`, dated `date`.
pub fn build(mail: &OutgoingMail, date: SystemTime) -> Result<Message, MailError> {
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone()))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(mail.html.clone()));
    let body = match &mail.calendar {
        None => alternative,
        Some(calendar) => MultiPart::mixed()
            .multipart(alternative.singlepart(calendar_part(calendar)?))
            .singlepart(calendar_attachment(calendar)?),
    };
    let message = Message::builder()
        .from(mailbox(&mail.from)?)
        .to(mailbox(&mail.to)?)
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()))
        .date(date)
        // RFC 3834: tells auto-responders (out-of-office, vacation) not to answer.
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into()))
        // Exchange ignores Auto-Submitted for its own out-of-office replies; this it honours.
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
            "OOF, AutoReply".into(),
        ))
        .multipart(body)?;
    Ok(message)
}

/// The message as RFC 5322 bytes (CRLF line ends), e.g. for an `.eml` file.
pub fn to_bytes(mail: &OutgoingMail, date: SystemTime) -> Result<Vec<u8>, MailError> {
    Ok(build(mail, date)?.formatted())
}

fn calendar_part(calendar: &Calendar) -> Result<SinglePart, MailError> {
    let content_type = format!("text/calendar; method={}; charset=UTF-8", calendar.method.as_str());
    Ok(SinglePart::builder().header(parse_content_type(&content_type)?).body(calendar.ics.clone()))
}

fn calendar_attachment(calendar: &Calendar) -> Result<SinglePart, MailError> {
    let name = match calendar.method {
        Method::Request => "invite.ics",
        Method::Cancel => "cancel.ics",
    };
    let content_type = format!("application/ics; name=\"{name}\"");
    Ok(Attachment::new(name.to_string()).body(calendar.ics.clone(), parse_content_type(&content_type)?))
}

fn parse_content_type(value: &str) -> Result<ContentType, MailError> {
    ContentType::parse(value).map_err(|e| MailError::Invalid(format!("content type {value:?}: {e}")))
}

fn mailbox(person: &Person) -> Result<Mailbox, MailError> {
    let email = person.email.trim();
    let address = email.parse().map_err(|source| MailError::Address { address: email.to_string(), source })?;
    // lettre quotes and encodes the display name; control characters would still end up in a
    // header, so they go.
    let name: String = person.name.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    Ok(Mailbox::new((!name.is_empty()).then(|| name.to_string()), address))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appointment::{MessageKind, Mode};
    use crate::lang::Language;
    use crate::{sample, Renderer};

    fn eml(kind: MessageKind) -> String {
        let renderer = Renderer::new(sample::sender()).unwrap();
        let mail = sample::appointment(Language::Nl, kind, Mode::Video);
        let out = renderer.render(kind, &mail, "2026-11-01T00:00:00Z".parse().unwrap()).unwrap();
        String::from_utf8(to_bytes(&out, SystemTime::UNIX_EPOCH).unwrap()).unwrap()
    }

    #[test]
    fn an_invitation_has_headers_alternatives_and_a_calendar_part_with_the_same_method() {
        let eml = eml(MessageKind::Confirmation);
        let headers = eml.split("\r\n\r\n").next().unwrap();
        for header in [
            "From: \"Gemeente Zemst\" <balie@zemst.example>",
            "To: \"An Peeters\" <an.peeters@example.org>",
            "Auto-Submitted: auto-generated",
            "Date: Thu, 01 Jan 1970 00:00:00 +0000",
            "Message-ID: <",
            "Content-Type: multipart/mixed",
        ] {
            assert!(headers.contains(header), "missing {header}:\n{headers}");
        }
        assert!(eml.contains("Content-Type: multipart/alternative"));
        assert!(eml.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(eml.contains("Content-Type: text/html; charset=utf-8"));
        assert!(eml.to_lowercase().contains("content-type: text/calendar; method=request; charset=utf-8"), "{eml}");
        assert!(eml.contains("Content-Disposition: attachment; filename=\"invite.ics\""));
        assert!(!eml.replace("\r\n", "").contains('\n'), "bare LF in the message");
    }

    #[test]
    fn a_cancellation_part_says_cancel_and_a_reminder_has_no_calendar() {
        let cancel = eml(MessageKind::Cancellation);
        assert!(cancel.contains("text/calendar; method=CANCEL"), "{cancel}");
        assert!(cancel.contains("filename=\"cancel.ics\""));

        let reminder = eml(MessageKind::Reminder);
        assert!(!reminder.contains("text/calendar") && !reminder.contains(".ics\""));
        assert!(reminder.split("\r\n\r\n").next().unwrap().contains("Content-Type: multipart/alternative"));
    }
}

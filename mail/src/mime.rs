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
//!
//! With attachments (reservations: the door's QR code, an invoice) the HTML and the images it
//! shows (`<img src="cid:…">`) go together in a `multipart/related`, the layout Thunderbird and
//! Apple Mail write themselves, and files to save follow the calendar attachment:
//! ```text
//! multipart/mixed
//! ├── multipart/alternative
//! │   ├── text/plain; charset=utf-8
//! │   ├── multipart/related
//! │   │   ├── text/html; charset=utf-8
//! │   │   └── image/png  inline, Content-ID: <qr.…@…>
//! │   └── text/calendar; method=…                              (if any)
//! ├── application/ics attachment                               (if any)
//! └── image/png, text/html … attachments
//! ```

use std::time::SystemTime;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::appointment::Person;
use crate::error::MailError;
use crate::message::{Attachment, Calendar, Method, OutgoingMail};

/// The lettre message for `mail`, dated `date`.
pub fn build(mail: &OutgoingMail, date: SystemTime) -> Result<Message, MailError> {
    let (inline, files): (Vec<&Attachment>, Vec<&Attachment>) =
        mail.attachments.iter().partition(|a| a.content_id.is_some());
    let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone());
    let html = SinglePart::builder().header(ContentType::TEXT_HTML).body(mail.html.clone());
    let mut alternative = MultiPart::alternative().singlepart(text);
    alternative = if inline.is_empty() {
        alternative.singlepart(html)
    } else {
        let mut related = MultiPart::related().singlepart(html);
        for attachment in inline {
            related = related.singlepart(attachment_part(attachment)?);
        }
        alternative.multipart(related)
    };
    if let Some(calendar) = &mail.calendar {
        alternative = alternative.singlepart(calendar_part(calendar)?);
    }
    let body = if mail.calendar.is_none() && files.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        if let Some(calendar) = &mail.calendar {
            mixed = mixed.singlepart(calendar_attachment(calendar)?);
        }
        for attachment in files {
            mixed = mixed.singlepart(attachment_part(attachment)?);
        }
        mixed
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
    Ok(MimeAttachment::new(name.to_string()).body(calendar.ics.clone(), parse_content_type(&content_type)?))
}

/// An inline image (with its `Content-ID`) or a file to save. The file name also goes into the
/// content type's `name=`, which older clients read instead of the disposition's `filename=`.
fn attachment_part(attachment: &Attachment) -> Result<SinglePart, MailError> {
    let name = &attachment.filename;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)) {
        return Err(MailError::Invalid(format!("attachment name {name:?}: only ASCII letters, digits, '.', '-', '_'")));
    }
    let data = attachment.data().map_err(|e| MailError::Invalid(format!("attachment {name:?} is not base64: {e}")))?;
    let content_type = parse_content_type(&format!("{}; name=\"{name}\"", attachment.content_type))?;
    Ok(match &attachment.content_id {
        Some(id) => {
            if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c)) {
                return Err(MailError::Invalid(format!("content id {id:?} of attachment {name:?}")));
            }
            MimeAttachment::new_inline_with_name(id.clone(), name.clone()).body(data, content_type)
        }
        None => MimeAttachment::new(name.clone()).body(data, content_type),
    })
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
    use crate::reservation::ReservationMessageKind;
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

    fn reservation(kind: ReservationMessageKind, change: impl FnOnce(&mut crate::ReservationMail)) -> OutgoingMail {
        let renderer = Renderer::new(sample::sender()).unwrap();
        let mut mail = sample::reservation(Language::Nl, kind);
        change(&mut mail);
        renderer.render_reservation(kind, &mail, "2026-11-01T00:00:00Z".parse().unwrap()).unwrap()
    }

    /// The `Content-Type` values in the order they appear, folded lines joined.
    fn content_types(eml: &str) -> Vec<String> {
        let unfolded = eml.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").filter_map(|l| l.strip_prefix("Content-Type: ")).map(str::to_string).collect()
    }

    #[test]
    fn a_reservation_has_its_qr_code_inline_and_attached_the_invoice_and_still_the_calendar() {
        let out = reservation(ReservationMessageKind::Confirmation, |_| {});
        let eml = String::from_utf8(to_bytes(&out, SystemTime::UNIX_EPOCH).unwrap()).unwrap();
        let types = content_types(&eml);
        let expected = [
            "multipart/mixed;",
            "multipart/alternative;",
            "text/plain; charset=utf-8",
            "multipart/related;",
            "text/html; charset=utf-8",
            "image/png; name=\"toegangscode.png\"",
            "text/calendar; method=REQUEST; charset=UTF-8",
            "application/ics; name=\"invite.ics\"",
            "image/png; name=\"toegangscode.png\"",
            "text/html; charset=utf-8; name=\"factuur-2026-0042.html\"",
        ];
        assert_eq!(types.len(), expected.len(), "{types:#?}");
        for (found, want) in types.iter().zip(expected) {
            assert!(found.to_lowercase().starts_with(&want.to_lowercase()), "{found:?} is not {want:?}\n{types:#?}");
        }
        let cid = out.attachments[0].content_id.as_deref().unwrap();
        assert!(eml.contains(&format!("\r\nContent-ID: <{cid}>\r\n")), "{eml}");
        assert!(eml.contains("\r\nContent-Disposition: inline; filename=\"toegangscode.png\"\r\n"));
        assert!(eml.contains("\r\nContent-Disposition: attachment; filename=\"toegangscode.png\"\r\n"));
        assert!(eml.contains("\r\nContent-Disposition: attachment; filename=\"factuur-2026-0042.html\"\r\n"));
        assert!(eml.contains("\r\nContent-Disposition: attachment; filename=\"invite.ics\"\r\n"));
        assert!(!eml.replace("\r\n", "").contains('\n'), "bare LF in the message");
    }

    #[test]
    fn without_a_calendar_attachments_still_make_a_mixed_message_and_without_anything_an_alternative() {
        // The invoice message: no calendar, one file.
        let eml = String::from_utf8(
            to_bytes(&reservation(ReservationMessageKind::Invoice, |_| {}), SystemTime::UNIX_EPOCH).unwrap(),
        )
        .unwrap();
        let types = content_types(&eml);
        assert!(types[0].starts_with("multipart/mixed;") && types[1].starts_with("multipart/alternative;"));
        assert!(!eml.contains("multipart/related") && !eml.contains("text/calendar"), "{types:#?}");

        // A reminder for a room with a key: no QR code, no calendar, no file.
        let out = reservation(ReservationMessageKind::AccessReminder, |m| {
            m.access = None;
            m.key_pickup = Some("Op werkdagen van 9 tot 12 uur.".into());
        });
        assert!(out.attachments.is_empty());
        let eml = String::from_utf8(to_bytes(&out, SystemTime::UNIX_EPOCH).unwrap()).unwrap();
        let types = content_types(&eml);
        assert_eq!(types.len(), 3, "{types:#?}");
        assert!(types[0].starts_with("multipart/alternative;"), "{types:#?}");
    }

    #[test]
    fn a_bad_attachment_is_refused_when_building() {
        let mut out = reservation(ReservationMessageKind::Invoice, |_| {});
        out.attachments[0].filename = "fac\"tuur.html".into();
        assert!(matches!(build(&out, SystemTime::UNIX_EPOCH), Err(MailError::Invalid(_))));
        let mut out = reservation(ReservationMessageKind::Invoice, |_| {});
        out.attachments[0].data_base64 = "not base64!".into();
        assert!(matches!(build(&out, SystemTime::UNIX_EPOCH), Err(MailError::Invalid(_))));
        let mut out = reservation(ReservationMessageKind::Confirmation, |_| {});
        out.attachments[0].content_id = Some("<qr>".into());
        assert!(matches!(build(&out, SystemTime::UNIX_EPOCH), Err(MailError::Invalid(_))));
    }
}

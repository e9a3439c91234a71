//! Reservation data → [`OutgoingMail`]: the same templates-and-calendar recipe as appointments,
//! plus what a room needs:
//! - the door code in big type and the QR code as an inline PNG (`<img src="cid:…">`), the PNG
//!   also as an attachment to show at the door from a phone's files; in a confirmation and an
//!   access reminder only (a cancelled code opens nothing, an invoice is no place for it);
//! - the info sheet: address, how to get in, house rules, contact;
//! - the invoice, a printable HTML document, attached to the invoice message and also to the
//!   confirmation of a reservation paid by invoice, so a customer who books has everything at
//!   once; [`ReservationMessageKind::Invoice`] is for an invoice issued or sent again later;
//! - the `.ics`: REQUEST with the confirmation, CANCEL with the cancellation. It holds no door
//!   code: calendars are often shared with colleagues or family, and the code stays in the mail.

use jiff::Timestamp;
use minijinja::context;
use minijinja::value::Value;

use super::{check_address, message_id, normalise_text, Renderer};
use crate::error::MailError;
use crate::ics::{calendar, CalendarEvent};
use crate::lang::{brussels_date, Language};
use crate::message::{Attachment, Calendar, OutgoingMail};
use crate::qr::qr_png;
use crate::reservation::{PaymentSummary, ReservationMail, ReservationMessageKind};
use crate::structured::{iban, parse_structured_communication, structured_communication};

impl Renderer {
    /// Makes one reservation message. `now` becomes the calendar's DTSTAMP and, unless the
    /// payment names one, the invoice date. Errors are permanent: bad input
    /// ([`MailError::Invalid`], [`MailError::Address`]) or a template bug.
    pub fn render_reservation(
        &self,
        kind: ReservationMessageKind,
        mail: &ReservationMail,
        now: Timestamp,
    ) -> Result<OutgoingMail, MailError> {
        mail.check(kind)?;
        check_address(&mail.recipient.email)?;
        let lang = mail.language;
        let message_id = message_id(&self.from.email);
        let qr_cid = content_id("qr", &message_id);
        let access = mail.access.as_ref().filter(|_| kind.shows_access());
        let invoice_name = match (&mail.payment, kind) {
            (
                PaymentSummary::Invoice { number, .. },
                ReservationMessageKind::Confirmation | ReservationMessageKind::Invoice,
            ) => Some(invoice_filename(lang, number)),
            _ => None,
        };

        let base = format!("{}/{}", lang.code(), kind.name());
        let mut ctx = reservation_context(kind, mail, &qr_cid, invoice_name.as_deref(), now);
        let subject = self.env.get_template(&format!("{base}.subject.txt"))?.render(&ctx)?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        ctx = context! { subject => subject.clone(), ..ctx };
        let text = self.env.get_template(&format!("{base}.txt"))?.render(&ctx)?;
        let html = self.env.get_template(&format!("{base}.html"))?.render(&ctx)?;

        let mut attachments = Vec::new();
        if let Some(access) = access {
            let png = qr_png(&access.qr_payload);
            let name = qr_filename(lang);
            attachments.push(Attachment::new(name, "image/png", &png).inline(qr_cid));
            attachments.push(Attachment::new(name, "image/png", &png));
        }
        if let Some(name) = invoice_name {
            let invoice = self.env.get_template(&format!("{}/invoice.html", lang.code()))?.render(&ctx)?;
            attachments.push(Attachment::new(name, "text/html; charset=utf-8", invoice.as_bytes()));
        }
        if let Some(credit) = mail.credit_note.as_ref().filter(|_| kind == ReservationMessageKind::Cancellation) {
            let note = self.env.get_template(&format!("{}/credit_note.html", lang.code()))?.render(&ctx)?;
            let name = credit_note_filename(lang, &credit.number);
            attachments.push(Attachment::new(name, "text/html; charset=utf-8", note.as_bytes()));
        }

        let calendar = match kind.method() {
            None => None,
            Some(method) => {
                let description =
                    self.env.get_template(&format!("{}/reservation_calendar.txt", lang.code()))?.render(&ctx)?;
                let summary = format!("{} – {}", mail.resource_name.trim(), mail.municipality.trim());
                let ics = calendar(&CalendarEvent {
                    method,
                    uid: mail.calendar.uid.trim(),
                    sequence: mail.calendar.sequence,
                    stamp: now,
                    start: mail.start,
                    end: mail.end,
                    summary: &summary,
                    description: description.trim(),
                    location: Some(mail.address.trim()),
                    url: None,
                    organizer: &self.from,
                    attendee: &mail.recipient,
                });
                Some(Calendar { method, ics })
            }
        };

        Ok(OutgoingMail {
            kind: kind.into(),
            language: lang,
            message_id,
            from: self.from.clone(),
            to: mail.recipient.clone(),
            subject,
            text: normalise_text(&text),
            html,
            calendar,
            attachments,
        })
    }
}

/// Everything the reservation templates may use. Nested values are built with `context!` too
/// (minijinja's serde support is a feature this crate does without), and every key is always
/// there, `none` when it does not apply, so strict templates can test any of them.
fn reservation_context(
    kind: ReservationMessageKind,
    mail: &ReservationMail,
    qr_cid: &str,
    invoice_attached: Option<&str>,
    now: Timestamp,
) -> Value {
    let lang = mail.language;
    let access = mail.access.as_ref().filter(|_| kind.shows_access()).map(|a| {
        context! {
            pin => a.pin.as_str(),
            door => a.door.trim(),
            window => lang.window(a.valid_from, a.valid_until, mail.start),
            qr_cid => qr_cid,
        }
    });
    // Only where the door code would be: a cancelled reservation needs no key either.
    let key_pickup =
        mail.key_pickup.as_deref().map(str::trim).filter(|k| !k.is_empty() && kind.shows_access() && access.is_none());
    let lines: Vec<Value> = mail
        .lines
        .iter()
        .map(|l| {
            context! {
                description => l.description.trim(),
                quantity => l.quantity.trim(),
                amount => lang.money(l.amount_cents),
                vat_rate => l.vat_basis_points.map(|bp| lang.percent(bp)),
            }
        })
        .collect();
    let vat: Vec<Value> = mail
        .vat
        .iter()
        .map(|v| {
            context! {
                rate => lang.percent(v.vat_basis_points),
                base => lang.money(v.base_cents),
                vat => lang.money(v.vat_cents),
            }
        })
        .collect();
    let optional = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let contact = context! {
        name => mail.contact.name.trim(),
        email => optional(mail.contact.email.as_deref()),
        phone => optional(mail.contact.phone.as_deref()),
    };
    let refund =
        mail.refund_cents.filter(|r| *r > 0 && kind == ReservationMessageKind::Cancellation).map(|r| lang.money(r));
    let credit = mail.credit_note.as_ref().filter(|_| kind == ReservationMessageKind::Cancellation).map(|c| {
        context! {
            number => c.number.trim(),
            invoice_number => c.invoice_number.trim(),
            amount => lang.money(c.amount_cents),
            remaining => (c.remaining_cents > 0).then(|| lang.money(c.remaining_cents)),
            issue_date => lang.civil_date(c.issue_date),
        }
    });
    let practical_info: Vec<Value> = paragraphs(&mail.practical_info).into_iter().map(Value::from).collect();
    context! {
        lang => lang.code(),
        kind => kind.name(),
        municipality => mail.municipality.trim(),
        municipality_address => optional(mail.municipality_address.as_deref()),
        enterprise_number => optional(mail.enterprise_number.as_deref()),
        recipient_name => mail.recipient.name.trim(),
        recipient_email => mail.recipient.email.trim(),
        organisation => optional(mail.organisation.as_deref()),
        customer_type => mail.customer_type.map(|c| lang.customer_type(c)),
        reservation_id => mail.reservation_id.trim(),
        resource => mail.resource_name.trim(),
        address => mail.address.trim(),
        date => lang.date(mail.start),
        when => lang.period(mail.start, mail.end),
        lines => lines,
        has_vat_rates => mail.lines.iter().any(|l| l.vat_basis_points.is_some()),
        subtotal => lang.money(mail.total_cents - mail.vat_cents),
        vat => vat,
        vat_total => lang.money(mail.vat_cents),
        total => lang.money(mail.total_cents),
        payment => payment_context(mail, lang, now),
        practical_info => practical_info,
        contact => contact,
        access => access,
        key_pickup => key_pickup,
        had_access => mail.access.is_some(),
        refund => refund,
        credit => credit,
        invoice_attached => invoice_attached,
        manage_url => optional(mail.manage_url.as_deref()),
        has_calendar => kind.method().is_some(),
    }
}

/// `kind` is `paid`, `invoice` or `free`; `paid_before` is a deposit paid before the invoice,
/// when the invoice asks for less than the total.
fn payment_context(mail: &ReservationMail, lang: Language, now: Timestamp) -> Value {
    // Every key, none; each kind of payment fills its own.
    let blank = context! {
        reference => (), number => (), structured_communication => (), iban => (), due_date => (),
        issue_date => (), amount => (), paid_before => (),
    };
    match &mail.payment {
        PaymentSummary::Paid { reference } => context! { kind => "paid", reference => reference.trim(), ..blank },
        PaymentSummary::Invoice {
            number,
            structured_communication: communication,
            due_date,
            iban: account,
            amount_cents,
            issue_date,
        } => context! {
            kind => "invoice",
            number => number.trim(),
            // Both checked by `ReservationMail::check`; written in their canonical form.
            structured_communication => parse_structured_communication(communication).map(structured_communication),
            iban => iban(account),
            due_date => lang.civil_date(*due_date),
            issue_date => lang.civil_date(issue_date.unwrap_or_else(|| brussels_date(now))),
            amount => lang.money(*amount_cents),
            paid_before => (*amount_cents < mail.total_cents).then(|| lang.money(mail.total_cents - amount_cents)),
            ..blank
        },
        PaymentSummary::Free => context! { kind => "free", ..blank },
    }
}

/// Free text → paragraphs (split at blank lines) of trimmed lines, without control characters.
fn paragraphs(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for line in text.lines() {
        let line: String = line.chars().filter(|c| !c.is_control()).collect();
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.to_string());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `qr.<the Message-ID's random part>@<domain>`: as unique as the Message-ID.
fn content_id(prefix: &str, message_id: &str) -> String {
    format!("{prefix}.{}", message_id.trim_start_matches('<').trim_end_matches('>'))
}

fn qr_filename(lang: Language) -> &'static str {
    match lang {
        Language::Nl => "toegangscode.png",
        Language::En => "access-code.png",
        Language::Fr => "code-acces.png",
    }
}

/// `creditnota-2026000003.html`, named like the invoice.
fn credit_note_filename(lang: Language, number: &str) -> String {
    let word = match lang {
        Language::Nl => "creditnota",
        Language::En => "credit-note",
        Language::Fr => "note-de-credit",
    };
    document_filename(word, number)
}

/// `factuur-2026-0042.html`: the invoice number with anything but letters, digits, `.`, `-`
/// and `_` (a `/`, mostly) made a `-`.
fn invoice_filename(lang: Language, number: &str) -> String {
    let word = match lang {
        Language::Nl => "factuur",
        Language::En => "invoice",
        Language::Fr => "facture",
    };
    document_filename(word, number)
}

/// `{word}-{number}.html`, with anything in the number but letters, digits, `.`, `-` and `_` (a
/// `/`, mostly) made a `-`.
fn document_filename(word: &str, number: &str) -> String {
    let number: String =
        number.trim().chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '-' }).collect();
    format!("{word}-{number}.html")
}

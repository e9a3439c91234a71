//! The e-mails about a room or court reservation: the confirmation (with the door code, the QR,
//! the info sheet, the `.ics` and, when paid by invoice, the invoice), the door-code reminder a
//! few days before, and the cancellation. Built from the store's records inside the transaction that confirms or
//! cancels, so a committed change always has its e-mail (see the outbox in `mailer`).

use balie_booking::appointments::Language;
use balie_booking::catalogue::Resource;
use balie_booking::outbox::NewMail;
use balie_booking::pricing::LineUnit;
use balie_booking::reservation::Reservation;
use balie_booking::store::Confirmed;
use balie_mail::reservation::{
    AccessCode, Contact, CustomerType as MailCustomerType, PaymentSummary, PriceLine, ReservationMail,
    ReservationMessageKind, VatSubtotal,
};
use balie_mail::{CalendarRef, Person};

use crate::mailer::Mailer;
use crate::routes::appointments::mail_language;
use crate::state::AppState;

fn host(state: &AppState) -> String {
    state.public_url.split("://").nth(1).unwrap_or("balie").split('/').next().unwrap_or("balie").to_string()
}

fn quantity(unit: LineUnit, quantity: i64, language: Language) -> String {
    match unit {
        LineUnit::Hour => {
            let (h, m) = (quantity / 60, quantity % 60);
            let hour = if language == Language::Nl { "u" } else { "h" };
            if m == 0 {
                format!("{h} {hour}")
            } else {
                format!("{h} {hour} {m:02}")
            }
        }
        LineUnit::Person => match language {
            Language::Nl => format!("{quantity} pers."),
            Language::En => format!("{quantity} people"),
            Language::Fr => format!("{quantity} pers."),
        },
        LineUnit::Booking => format!("{quantity} ×"),
    }
}

/// The data every reservation e-mail is made from.
fn base(state: &AppState, r: &Reservation, resource: &Resource, language: Language, sequence: u32) -> ReservationMail {
    let q = &r.quote;
    let municipality = state.payments.municipality.clone();
    ReservationMail {
        language: mail_language(language),
        municipality: municipality.clone(),
        municipality_address: None,
        enterprise_number: None,
        recipient: Person::new(r.customer.name.clone(), r.customer.email.clone()),
        organisation: r.customer.organisation.clone(),
        customer_type: serde_json::from_value::<MailCustomerType>(serde_json::json!(r.customer.customer_type)).ok(),
        reservation_id: r.id.to_string(),
        resource_name: resource.spec.name.clone(),
        address: resource.spec.address.clone(),
        start: r.period.start,
        end: r.period.end,
        lines: q
            .lines
            .iter()
            .map(|l| PriceLine {
                description: l.description.clone(),
                quantity: quantity(l.unit, l.quantity, language),
                amount_cents: l.amount_cents,
                vat_basis_points: Some(l.vat_basis_points),
            })
            .collect(),
        vat: q
            .vat
            .iter()
            .map(|v| VatSubtotal {
                vat_basis_points: v.vat_basis_points,
                base_cents: v.base_cents,
                vat_cents: v.vat_cents,
            })
            .collect(),
        vat_cents: q.vat_cents,
        total_cents: q.total_cents,
        practical_info: resource.spec.practical_info.clone(),
        contact: Contact {
            name: format!("Dienst zaalverhuur – {municipality}"),
            email: Some(state.payments.contact_email.clone()),
            phone: None,
        },
        access: None,
        key_pickup: None,
        payment: PaymentSummary::Free,
        refund_cents: None,
        credit_note: None,
        calendar: CalendarRef { uid: format!("reservation-{}@{}", r.id, host(state)), sequence },
        manage_url: None,
    }
}

fn render(
    state: &AppState,
    kind: ReservationMessageKind,
    mail: &ReservationMail,
    reservation_id: i64,
) -> balie_booking::Result<NewMail> {
    let rendered = state
        .mailer
        .renderer
        .render_reservation(kind, mail, crate::routes::now())
        .map_err(|e| balie_booking::Error::invalid("email", e.to_string()))?;
    let row = Mailer::to_row(&rendered, None).map_err(|e| balie_booking::Error::Corrupt(e.to_string()))?;
    Ok(NewMail { reservation_id: Some(reservation_id), ..row })
}

/// Where the key is fetched when a room has no code lock.
fn key_pickup(language: Language) -> String {
    match language {
        Language::Nl => "Aan het onthaal van het gemeentehuis, op werkdagen van 9 tot 12 uur.",
        Language::En => "At the town hall's front desk, on weekdays from 9 am to 12 noon.",
        Language::Fr => "À l'accueil de la maison communale, en semaine de 9 h à 12 h.",
    }
    .to_string()
}

/// The e-mails of a confirmed reservation: the confirmation (and, for an invoice, the invoice),
/// and the reminder with the door code a few days before, waiting in the outbox until then.
pub fn confirmation_mails(
    state: &AppState,
    c: &Confirmed,
    language: Option<Language>,
) -> balie_booking::Result<Vec<NewMail>> {
    // The language recorded with the customer first (the panel records the citizen's), then the
    // caller's guess (the call's appointment), then Dutch.
    let language = c.reservation.customer.language.or(language).unwrap_or_default();
    let r = &c.reservation;
    let mut mail = base(state, r, &c.resource, language, 0);
    match &c.code {
        Some(code) => {
            mail.access = Some(AccessCode {
                pin: code.pin.clone(),
                qr_payload: code.qr.clone(),
                door: code.door_name.clone(),
                valid_from: code.valid.start,
                valid_until: code.valid.end,
            })
        }
        None => mail.key_pickup = Some(key_pickup(language)),
    }
    mail.payment = match &c.invoice {
        Some(inv) => PaymentSummary::Invoice {
            number: inv.number.to_string(),
            structured_communication: inv.structured_communication.clone(),
            due_date: inv.due_date,
            iban: state.payments.iban.clone(),
            amount_cents: inv.amount_cents,
            issue_date: Some(balie_booking::time::local(inv.issued_at).date()),
        },
        None if c.payment.amount_cents == 0 => PaymentSummary::Free,
        None => PaymentSummary::Paid { reference: c.payment.public_id.clone() },
    };
    // For an invoice, the confirmation carries the invoice as its attachment: one e-mail.
    let mut out = vec![render(state, ReservationMessageKind::Confirmation, &mail, r.id)?];
    if let Some(ahead) = state.payments.access_reminder {
        let at = r.period.start - ahead;
        // Only when it still means something: not for a reservation within the reminder window.
        if at > crate::routes::now() {
            let reminder = render(state, ReservationMessageKind::AccessReminder, &mail, r.id)?;
            out.push(NewMail { not_before: Some(at), ..reminder });
        }
    }
    Ok(out)
}

/// The cancellation e-mail, with the refund if any, and the credit note of its invoice if any.
pub fn cancellation_mails(
    state: &AppState,
    r: &Reservation,
    resource: &Resource,
    refund_cents: i64,
    credit: Option<&balie_booking::store::CreditNote>,
) -> balie_booking::Result<Vec<NewMail>> {
    let mut mail = base(state, r, resource, r.customer.language.unwrap_or_default(), 1);
    mail.refund_cents = (refund_cents > 0).then_some(refund_cents);
    mail.credit_note = credit.map(|c| balie_mail::CreditNoteSummary {
        number: c.number.to_string(),
        invoice_number: c.invoice_number.to_string(),
        amount_cents: c.amount_cents,
        remaining_cents: c.remaining_cents,
        issue_date: balie_booking::time::local(c.issued_at).date(),
    });
    mail.payment = if refund_cents > 0 {
        PaymentSummary::Paid { reference: format!("reservatie-{}", r.id) }
    } else {
        PaymentSummary::Free
    };
    Ok(vec![render(state, ReservationMessageKind::Cancellation, &mail, r.id)?])
}

/// The e-mail inviting a participant to the survey of a call they took part in (sent later, and
/// withdrawn when they answer on the call's end page first).
pub fn survey_mail(
    state: &AppState,
    name: &str,
    email: &str,
    token: &str,
    context: &balie_booking::store::SurveyContext,
    now: jiff::Timestamp,
) -> anyhow::Result<NewMail> {
    let language = match context.language.as_str() {
        "en" => balie_mail::Language::En,
        "fr" => balie_mail::Language::Fr,
        _ => balie_mail::Language::Nl,
    };
    let mail = balie_mail::survey::SurveyMail {
        language,
        municipality: state.payments.municipality.clone(),
        recipient: Person::new(name.to_string(), email.to_string()),
        service: context.service.clone(),
        day: context.day,
        survey_url: format!("{}/enquete#{token}", state.public_url),
    };
    let rendered = state.mailer.renderer.render_survey(&mail, now)?;
    Mailer::to_row(&rendered, None)
}

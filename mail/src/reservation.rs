//! What a room or court reservation message is about: the input to
//! [`crate::Renderer::render_reservation`]. Plain serde data, like [`crate::AppointmentMail`],
//! so the web crate fills it from the booking crate's records (reservation, quote, resource)
//! without knowing the templates.
//!
//! Amounts are euro cents. Quote lines are excluding VAT; `total_cents` = the lines + `vat_cents`,
//! as the booking crate's `Quote` has them.

use std::fmt;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::appointment::{CalendarRef, Person};
use crate::error::MailError;
use crate::lang::Language;
use crate::message::Method;
use crate::qr;
use crate::structured::{iban, parse_structured_communication};

/// The messages balie sends about a reservation. Their serde names are the template stems,
/// distinct from [`crate::MessageKind`]'s, so an outbox row's `kind` tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReservationMessageKind {
    /// The reservation is confirmed: details, door code and QR, the info sheet, the `.ics`.
    #[serde(rename = "reservation_confirmation")]
    Confirmation,
    /// Shortly before: the door code (or where to fetch the key) and the info sheet again.
    #[serde(rename = "reservation_access_reminder")]
    AccessReminder,
    /// Cancelled: the calendar entry goes, and the refund if there is one.
    #[serde(rename = "reservation_cancellation")]
    Cancellation,
    /// The invoice, as an attachment, with the payment instructions.
    #[serde(rename = "reservation_invoice")]
    Invoice,
}

impl ReservationMessageKind {
    pub const ALL: [ReservationMessageKind; 4] = [
        ReservationMessageKind::Confirmation,
        ReservationMessageKind::AccessReminder,
        ReservationMessageKind::Cancellation,
        ReservationMessageKind::Invoice,
    ];

    /// The template file stem: `templates/<lang>/<name>.{subject.txt,txt,html}`.
    pub fn name(self) -> &'static str {
        match self {
            ReservationMessageKind::Confirmation => "reservation_confirmation",
            ReservationMessageKind::AccessReminder => "reservation_access_reminder",
            ReservationMessageKind::Cancellation => "reservation_cancellation",
            ReservationMessageKind::Invoice => "reservation_invoice",
        }
    }

    /// The calendar object it carries: a confirmation adds the reservation to the recipient's
    /// calendar, a cancellation removes it; a reminder and an invoice change nothing there.
    pub fn method(self) -> Option<Method> {
        match self {
            ReservationMessageKind::Confirmation => Some(Method::Request),
            ReservationMessageKind::Cancellation => Some(Method::Cancel),
            ReservationMessageKind::AccessReminder | ReservationMessageKind::Invoice => None,
        }
    }

    /// Whether the message tells how to get in (door code and QR, or where the key is).
    pub fn shows_access(self) -> bool {
        matches!(self, ReservationMessageKind::Confirmation | ReservationMessageKind::AccessReminder)
    }

    /// Whether the message shows the costs and how they are paid.
    pub fn shows_payment(self) -> bool {
        matches!(self, ReservationMessageKind::Confirmation | ReservationMessageKind::Invoice)
    }
}

/// The rate the customer booked at. Same serde form as the booking crate's `CustomerType`; the
/// label in each language comes from [`Language::customer_type`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    Resident,
    NonResident,
    RecognisedAssociation,
    OtherAssociation,
    Company,
}

/// One line of the quote or invoice, excluding VAT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLine {
    /// As the catalogue names it, e.g. "Huur weekend" or "Koffie en water".
    pub description: String,
    /// Written out by the caller: "4 u", "25 personen", "2 ×".
    pub quantity: String,
    pub amount_cents: i64,
    /// The VAT rate in basis points (2100 = 21 %), shown on the invoice when given.
    #[serde(default)]
    pub vat_basis_points: Option<i64>,
}

/// The VAT of one rate, as on the booking crate's quote: shown per rate on the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatSubtotal {
    pub vat_basis_points: i64,
    pub base_cents: i64,
    pub vat_cents: i64,
}

/// Whom to call or write with questions about the room: a caretaker, the reservations desk.
/// At least one of `email` and `phone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// The door code for a room with a code lock or QR reader.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessCode {
    /// Exactly six ASCII digits, typed on the keypad.
    pub pin: String,
    /// What the QR code holds, for the door's scanner (a token or a URL); at most
    /// [`qr::MAX_PAYLOAD`] bytes.
    pub qr_payload: String,
    /// Which door it opens: "Zij-ingang Kerkstraat".
    pub door: String,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
}

// By hand: the PIN and the QR payload open a door, so they stay out of logs.
impl fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessCode")
            .field("pin", &"***")
            .field("qr_payload", &"***")
            .field("door", &self.door)
            .field("valid_from", &self.valid_from)
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

/// How the reservation is paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentSummary {
    /// Paid when booking (online payment); `reference` is the payment's, for questions.
    Paid { reference: String },
    /// To be paid by bank transfer against an invoice.
    Invoice {
        /// The invoice number, e.g. `2026/0042`: letters, digits, `/`, `-`, `.` and `_`.
        number: String,
        /// `+++ddd/dddd/ddddd+++`, see [`crate::structured`].
        structured_communication: String,
        due_date: Date,
        /// The municipality's account.
        iban: String,
        /// What is left to pay: the total, or less when a deposit was paid already.
        amount_cents: i64,
        /// The invoice date; by default the Brussels date of the rendering's `now`.
        #[serde(default)]
        issue_date: Option<Date>,
    },
    /// Nothing to pay (e.g. a free room for a recognised association).
    Free,
}

/// A credit note against a reservation's invoice (a cancellation of an invoiced reservation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteSummary {
    /// The credit note's number, e.g. `2026000003`.
    pub number: String,
    /// The invoice it credits.
    pub invoice_number: String,
    /// What is credited, VAT included.
    pub amount_cents: i64,
    /// What is still owed on the invoice after it (0: nothing).
    pub remaining_cents: i64,
    pub issue_date: Date,
}

/// Everything a template needs about one reservation, for its customer.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ReservationMail {
    #[serde(default)]
    pub language: Language,
    pub municipality: String,
    /// The municipality's postal address, printed on the invoice.
    #[serde(default)]
    pub municipality_address: Option<String>,
    /// The municipality's enterprise number (KBO), printed on the invoice.
    #[serde(default)]
    pub enterprise_number: Option<String>,
    /// The customer.
    pub recipient: Person,
    /// The association or company the customer booked for.
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub customer_type: Option<CustomerType>,
    /// As shown to the customer and staff, e.g. `1042`.
    pub reservation_id: String,
    /// "Zaal De Linde", "Padelveld 2".
    pub resource_name: String,
    /// Where the room is; also the calendar entry's LOCATION.
    pub address: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub lines: Vec<PriceLine>,
    /// VAT per rate; empty when the caller does not break it down.
    #[serde(default)]
    pub vat: Vec<VatSubtotal>,
    pub vat_cents: i64,
    pub total_cents: i64,
    /// From the catalogue: how to get in, house rules, leaving the room. Free text; blank lines
    /// separate paragraphs.
    #[serde(default)]
    pub practical_info: String,
    pub contact: Contact,
    /// The door code. `None` for a room without a code lock: then `key_pickup` says where the
    /// key is fetched.
    #[serde(default)]
    pub access: Option<AccessCode>,
    /// Where and when the key is fetched, for a room without a code lock, as a sentence in the
    /// message's language: "Aan het onthaal van het gemeentehuis, op werkdagen van 9 tot 12 uur."
    /// The message says the room has no code lock and the key is fetched at the desk
    /// beforehand, then this.
    #[serde(default)]
    pub key_pickup: Option<String>,
    pub payment: PaymentSummary,
    /// For a cancellation: the amount paid back, if any.
    #[serde(default)]
    pub refund_cents: Option<i64>,
    /// For a cancellation of an invoiced reservation: the credit note against its invoice,
    /// attached as a document of its own.
    #[serde(default)]
    pub credit_note: Option<CreditNoteSummary>,
    pub calendar: CalendarRef,
    /// Where the customer sees, changes or cancels the reservation (a capability link).
    #[serde(default)]
    pub manage_url: Option<String>,
}

// By hand so that the door code and the capability link never reach a log line through `{:?}`.
impl fmt::Debug for ReservationMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReservationMail")
            .field("language", &self.language)
            .field("recipient", &self.recipient)
            .field("reservation_id", &self.reservation_id)
            .field("resource_name", &self.resource_name)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("total_cents", &self.total_cents)
            .field("access", &self.access)
            .field("payment", &self.payment)
            .field("manage_url", &self.manage_url.as_ref().map(|_| "***"))
            .field("calendar", &self.calendar)
            .finish_non_exhaustive()
    }
}

impl ReservationMail {
    /// The rules a message of `kind` needs; returns the first broken one as
    /// [`MailError::Invalid`] (permanent: retrying the same input cannot help).
    pub fn check(&self, kind: ReservationMessageKind) -> Result<(), MailError> {
        let invalid = |why: &str| Err(MailError::Invalid(why.to_string()));
        crate::error::none_blank(&[
            ("municipality", &self.municipality),
            ("recipient name", &self.recipient.name),
            ("reservation id", &self.reservation_id),
            ("resource name", &self.resource_name),
            ("address", &self.address),
            ("contact name", &self.contact.name),
            ("calendar uid", &self.calendar.uid),
        ])?;
        if self.calendar.uid.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return invalid("calendar uid has spaces or control characters");
        }
        if self.end <= self.start {
            return invalid("the reservation ends before it starts");
        }
        self.check_amounts()?;
        self.check_contact()?;
        if let Some(access) = &self.access {
            check_access(access, self.start, self.end)?;
        }
        let key_pickup = self.key_pickup.as_deref().is_some_and(|k| !k.trim().is_empty());
        if kind.shows_access() {
            match (&self.access, key_pickup) {
                (None, false) => {
                    return invalid("a confirmation or access reminder needs a door code, or where to fetch the key")
                }
                (Some(_), true) => return invalid("a door code and a key to fetch: give one of the two"),
                _ => {}
            }
        }
        self.check_payment(kind)?;
        if kind == ReservationMessageKind::Invoice && !matches!(self.payment, PaymentSummary::Invoice { .. }) {
            return invalid("an invoice message needs an invoice payment");
        }
        Ok(())
    }

    fn check_amounts(&self) -> Result<(), MailError> {
        let invalid = |why: &str| Err(MailError::Invalid(why.to_string()));
        if self.total_cents < 0 || self.vat_cents < 0 {
            return invalid("negative total or VAT");
        }
        if self.lines.iter().any(|l| l.description.trim().is_empty()) {
            return invalid("a quote line has no description");
        }
        if self.lines.iter().any(|l| l.vat_basis_points.is_some_and(|v| !(0..=10_000).contains(&v))) {
            return invalid("a VAT rate outside 0–100 %");
        }
        let lines: i64 = self.lines.iter().map(|l| l.amount_cents).sum();
        if lines + self.vat_cents != self.total_cents {
            return invalid("the lines plus VAT do not add up to the total");
        }
        if !self.vat.is_empty() {
            let (base, vat): (i64, i64) = self.vat.iter().fold((0, 0), |(b, v), s| (b + s.base_cents, v + s.vat_cents));
            if base != lines || vat != self.vat_cents {
                return invalid("the VAT per rate does not add up to the lines and the VAT");
            }
        }
        if let Some(refund) = self.refund_cents {
            if !(0..=self.total_cents).contains(&refund) {
                return invalid("a refund must be between 0 and the total");
            }
        }
        if let Some(c) = &self.credit_note {
            if c.amount_cents <= 0 || c.remaining_cents < 0 || c.amount_cents + c.remaining_cents > self.total_cents {
                return invalid("a credit note credits more than 0 and, with what remains, at most the total");
            }
            if c.number.trim().is_empty() || c.invoice_number.trim().is_empty() {
                return invalid("a credit note needs its number and the invoice's");
            }
        }
        Ok(())
    }

    fn check_contact(&self) -> Result<(), MailError> {
        let email = self.contact.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
        let phone = self.contact.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
        if email.is_none() && phone.is_none() {
            return Err(MailError::Invalid("the contact needs an e-mail address or a phone number".into()));
        }
        if let Some(email) = email {
            email
                .parse::<lettre::Address>()
                .map_err(|source| MailError::Address { address: email.to_string(), source })?;
        }
        if phone.is_some_and(|p| p.len() > 30 || !p.chars().all(|c| c.is_ascii_digit() || " +-./()".contains(c))) {
            return Err(MailError::Invalid("the contact's phone number is not one".into()));
        }
        Ok(())
    }

    /// An invoice's fields are checked whatever the message; whether the payment fits the total
    /// only where the message shows it (a confirmation, an invoice): a reminder or a
    /// cancellation says nothing about paying.
    fn check_payment(&self, kind: ReservationMessageKind) -> Result<(), MailError> {
        let invalid = |why: &str| Err(MailError::Invalid(why.to_string()));
        let shown = kind.shows_payment();
        match &self.payment {
            PaymentSummary::Paid { reference } => {
                if shown && reference.trim().is_empty() {
                    return invalid("a payment reference is empty");
                }
            }
            PaymentSummary::Invoice { number, structured_communication, iban: account, amount_cents, .. } => {
                let number = number.trim();
                if number.is_empty()
                    || number.len() > 40
                    || !number.chars().all(|c| c.is_ascii_alphanumeric() || "/-._".contains(c))
                {
                    return invalid("an invoice number is 1–40 letters, digits, '/', '-', '.' or '_'");
                }
                if parse_structured_communication(structured_communication).is_none() {
                    return invalid("the structured communication is not valid (+++ddd/dddd/ddddd+++, mod 97)");
                }
                if iban(account).is_none() {
                    return invalid("the IBAN is not valid");
                }
                if shown && (*amount_cents <= 0 || *amount_cents > self.total_cents) {
                    return invalid("an invoice's amount must be more than 0 and at most the total");
                }
            }
            PaymentSummary::Free => {
                if shown && self.total_cents != 0 {
                    return invalid("a free reservation has a total of 0");
                }
            }
        }
        Ok(())
    }
}

fn check_access(access: &AccessCode, start: Timestamp, end: Timestamp) -> Result<(), MailError> {
    let invalid = |why: &str| Err(MailError::Invalid(why.to_string()));
    if access.pin.len() != 6 || !access.pin.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("a door code is exactly 6 digits");
    }
    if access.qr_payload.is_empty()
        || access.qr_payload.len() > qr::MAX_PAYLOAD
        || access.qr_payload.chars().any(char::is_control)
    {
        return invalid("the QR payload must be 1–512 bytes without control characters");
    }
    if access.door.trim().is_empty() {
        return invalid("the door of a door code is empty");
    }
    if access.valid_from >= access.valid_until {
        return invalid("a door code stops working before it starts");
    }
    if access.valid_from > start || access.valid_until < end {
        return invalid("a door code must work for the whole reservation");
    }
    Ok(())
}

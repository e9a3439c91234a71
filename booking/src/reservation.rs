//! Reservations (OSLO: *Infrastructuurreservatie*) and their lifecycle:
//! `hold` → `confirmed` → `cancelled`, or `hold` → `expired` when nobody confirms in time.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::CustomerType;
use crate::error::{Error, Problems, Result};
use crate::pricing::{Quote, ServiceRequest};
use crate::time::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Hold,
    Confirmed,
    Cancelled,
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Hold => "hold",
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Status::Hold, Status::Confirmed, Status::Cancelled, Status::Expired].into_iter().find(|x| x.as_str() == s)
    }
}

/// In whose name a reservation is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub customer_type: CustomerType,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// The association or company, for those customer types.
    #[serde(default)]
    pub organisation: Option<String>,
    /// Postal address, for the invoice (confirmed by the citizen in the call's panel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// How staff checked that the customer is who they say (`eid_shown`, `known_person`, …), when
    /// the reservation was made for them in a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_check: Option<String>,
    /// The language of the customer's e-mails (confirmation, reminder, cancellation,
    /// evaluation); Dutch when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<crate::appointments::Language>,
}

fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

impl Customer {
    pub fn validate(&self, p: &mut Problems) {
        p.check(!self.name.trim().is_empty() && self.name.len() <= 200, "customer.name", "must be 1–200 characters");
        p.check(plausible_email(&self.email), "customer.email", "is not an e-mail address");
        if let Some(phone) = &self.phone {
            p.check(
                phone.len() <= 30 && phone.chars().all(|c| c.is_ascii_digit() || " +-./()".contains(c)),
                "customer.phone",
                "is not a phone number",
            );
        }
        let needs_org = matches!(
            self.customer_type,
            CustomerType::RecognisedAssociation | CustomerType::OtherAssociation | CustomerType::Company
        );
        let org = self.organisation.as_deref().map(str::trim).unwrap_or("");
        p.check(!needs_org || !org.is_empty(), "customer.organisation", "is required for associations and companies");
        p.check(org.len() <= 200, "customer.organisation", "must be at most 200 characters");
        p.check(
            self.address.as_deref().is_none_or(|a| a.len() <= 300 && !a.chars().any(|c| c.is_control() && c != '\n')),
            "customer.address",
            "must be at most 300 characters",
        );
        p.check(
            self.identity_check.as_deref().is_none_or(|c| {
                !c.is_empty() && c.len() <= 40 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            }),
            "customer.identity_check",
            "must be a short code such as eid_shown",
        );
    }
}

/// A request to hold a resource for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReservationRequest {
    pub resource_id: i64,
    pub period: Period,
    pub customer: Customer,
    pub attendees: i64,
    #[serde(default)]
    pub services: Vec<ServiceRequest>,
    /// What the room is for ("family party", "rehearsal"), shown to staff.
    #[serde(default)]
    pub purpose: String,
}

impl ReservationRequest {
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        self.customer.validate(&mut p);
        p.check(self.purpose.len() <= 500, "purpose", "must be at most 500 characters");
        p.check(self.services.len() <= 20, "services", "at most 20 services");
        p.into_result()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reservation {
    pub id: i64,
    pub resource_id: i64,
    pub period: Period,
    pub status: Status,
    /// Until when a hold keeps the slot; absent once confirmed.
    #[serde(serialize_with = "crate::time::ser_local_opt", skip_serializing_if = "Option::is_none", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub hold_expires_at: Option<Timestamp>,
    pub customer: Customer,
    pub attendees: i64,
    pub services: Vec<ServiceRequest>,
    pub purpose: String,
    /// The quote the reservation was made with; later price changes do not alter it.
    pub quote: Quote,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub series_id: Option<i64>,
    #[serde(serialize_with = "crate::time::ser_local")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl Reservation {
    /// A hold still counts until its expiry; the background sweep only tidies the status.
    pub fn effective_status(&self, now: Timestamp) -> Status {
        match (self.status, self.hold_expires_at) {
            (Status::Hold, Some(until)) if until <= now => Status::Expired,
            (s, _) => s,
        }
    }

    /// The status after confirming, or why it cannot be confirmed. Confirming twice is harmless.
    pub fn confirm(&self, now: Timestamp) -> Result<Status> {
        match self.effective_status(now) {
            Status::Hold | Status::Confirmed => Ok(Status::Confirmed),
            Status::Expired => Err(Error::State("the hold has expired; make a new reservation".into())),
            Status::Cancelled => Err(Error::State("the reservation was cancelled".into())),
        }
    }

    /// The status after cancelling. Cancelling twice is harmless; an expired hold is already free.
    pub fn cancel(&self, now: Timestamp) -> Result<Status> {
        match self.effective_status(now) {
            Status::Hold | Status::Confirmed | Status::Cancelled => Ok(Status::Cancelled),
            Status::Expired => Err(Error::State("the hold has already expired".into())),
        }
    }
}

/// When a hold made at `now` with `ttl` lapses.
pub fn hold_expiry(now: Timestamp, ttl: SignedDuration) -> Timestamp {
    now.checked_add(ttl).expect("hold expiry in range")
}

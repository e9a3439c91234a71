//! A booking request as the client sends it, and [`BookingRequest::parse`] that turns it into a
//! [`Booking`] whose fields are known to be sound (parse, don't validate). Every bad field is
//! reported at once, with its JSON path (`third_parties[1].email`).
//!
//! Whether the chosen time is still free is not decided here but by
//! [`super::slots::check_agent_free`] inside the store's transaction.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::services::{Mode, ServiceSpec};
use super::slots::{appointment_period, on_grid};
use super::texts::{Language, StaticTexts};
use crate::error::{Error, FieldError, Problems, Result};
use crate::time::Period;

/// Most third parties on one appointment (the call holds them, the citizen and the agent).
pub const MAX_THIRD_PARTIES: usize = 4;

/// Shown next to the consent box; the request must carry `consent: true`. An agent booking on
/// behalf of a citizen reads it out and ticks the box.
pub const CONSENT_TEXT: StaticTexts = StaticTexts {
    nl: "Ik geef de gemeente toestemming om mijn naam, e-mailadres en telefoonnummer te gebruiken om \
         deze afspraak te plannen, mij bevestigingen en herinneringen te sturen en mij erover te \
         contacteren. Wie ik uitnodig, heb ik daarvan op de hoogte gebracht. De gegevens van het \
         videogesprek worden na afloop gewist.",
    en: "I allow the municipality to use my name, e-mail address and phone number to plan this \
         appointment, send me confirmations and reminders and contact me about it. I have told the \
         people I invite. The data of the video call are erased afterwards.",
    fr: "J'autorise la commune à utiliser mon nom, mon adresse e-mail et mon numéro de téléphone pour \
         planifier ce rendez-vous, m'envoyer des confirmations et des rappels et me contacter à ce \
         sujet. J'ai informé les personnes que j'invite. Les données de l'appel vidéo sont effacées \
         ensuite.",
};

/// Who books or changes an appointment. Set by the server from the session or link, never read
/// from the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Actor {
    /// The citizen, through the booking flow or their personal link.
    Citizen,
    /// An agent, on behalf of a citizen who phoned or came to the counter.
    Agent { staff_id: i64 },
}

/// Why a third party takes part. Same serde form as `balie_mail::Relation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Family,
    Caregiver,
    Interpreter,
    Professional,
    /// In the citizen's words, e.g. "architect"; 1–60 characters.
    Other(String),
}

/// A plausible e-mail address, trimmed. Compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Option<EmailAddress> {
        let s = s.trim();
        plausible_email(s).then(|| EmailAddress(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn same_as(&self, other: &EmailAddress) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

/// The crate's e-mail rule is `reservation::plausible_email`, private to that module; asking it
/// through a minimal `Customer` keeps one rule for reservations and appointments.
fn plausible_email(s: &str) -> bool {
    let probe = crate::reservation::Customer {
        customer_type: crate::catalogue::CustomerType::Resident,
        name: "-".into(),
        email: s.into(),
        phone: None,
        organisation: None,
        address: None,
        identity_check: None,
        language: None,
    };
    let mut p = Problems::default();
    probe.validate(&mut p);
    p.into_result().is_ok()
}

/// A name of 1–200 characters without control characters (names go into e-mail headers).
fn parse_name(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().count() <= 200 && !s.chars().any(char::is_control)).then(|| s.to_string())
}

/// Digits, spaces, `+` and `-`, 6–20 characters; blank means none.
fn parse_phone(s: &str) -> Result<Option<String>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let ok = (6..=20).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_digit() || " +-".contains(c));
    if ok {
        Ok(Some(s.to_string()))
    } else {
        Err(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ThirdPartyRequest {
    pub name: String,
    pub email: String,
    pub relation: Relation,
}

/// What the booking form sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BookingRequest {
    /// Code of the service.
    pub service: String,
    pub mode: Mode,
    #[schema(value_type = String, format = DateTime, example = "2026-03-30T09:00:00+02:00")]
    pub start: Timestamp,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub language: Language,
    /// Must be `true`: the citizen agreed to [`CONSENT_TEXT`].
    #[serde(default)]
    pub consent: bool,
    #[serde(default)]
    pub third_parties: Vec<ThirdPartyRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Citizen {
    pub name: String,
    pub email: EmailAddress,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub language: Language,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ThirdParty {
    pub name: String,
    pub email: EmailAddress,
    pub relation: Relation,
}

/// A sound booking, ready for the store (which checks the agent is free and picks one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Booking {
    pub service: String,
    pub mode: Mode,
    pub period: Period,
    pub citizen: Citizen,
    pub third_parties: Vec<ThirdParty>,
    pub by: Actor,
}

impl ThirdPartyRequest {
    /// Checks one third party at `field`, whose address must differ from every one in `taken`.
    fn check(&self, field: &str, taken: &[&EmailAddress], p: &mut Problems) -> Option<ThirdParty> {
        let name = parse_name(&self.name);
        p.check(name.is_some(), &format!("{field}.name"), "must be 1–200 characters");
        let email = EmailAddress::parse(&self.email);
        match &email {
            None => p.push(FieldError::new(format!("{field}.email"), "is not an e-mail address")),
            Some(e) if taken.iter().any(|t| t.same_as(e)) => p.push(FieldError::new(
                format!("{field}.email"),
                "is already on this appointment (the citizen or another third party)",
            )),
            Some(_) => {}
        }
        if let Relation::Other(text) = &self.relation {
            let t = text.trim();
            p.check(
                !t.is_empty() && t.chars().count() <= 60 && !t.chars().any(char::is_control),
                &format!("{field}.relation"),
                "describe the relation in 1–60 characters",
            );
        }
        let relation = match &self.relation {
            Relation::Other(t) => Relation::Other(t.trim().to_string()),
            r => r.clone(),
        };
        Some(ThirdParty { name: name?, email: email?, relation })
    }

    /// A third party added after booking: `citizen` and `existing` are already on the appointment.
    pub fn parse(&self, citizen: &Citizen, existing: &[ThirdParty]) -> Result<ThirdParty> {
        let mut p = Problems::default();
        p.check(existing.len() < MAX_THIRD_PARTIES, "third_parties", "at most 4 third parties");
        let taken: Vec<&EmailAddress> =
            std::iter::once(&citizen.email).chain(existing.iter().map(|t| &t.email)).collect();
        let parsed = self.check("third_party", &taken, &mut p);
        p.into_result()?;
        // Not reached: every field that did not parse pushed a problem above.
        parsed.ok_or_else(|| Error::State("third party did not parse".into()))
    }
}

impl BookingRequest {
    /// Checks every field against `service` (the one named by `self.service`) and the slot grid.
    pub fn parse(&self, service: &ServiceSpec, by: Actor, step_minutes: i64) -> Result<Booking> {
        let mut p = Problems::default();
        p.check(self.service == service.code, "service", "does not match the service booked");
        if !service.offers(self.mode) {
            let offered: Vec<&str> = service.modes.iter().map(|m| m.as_str()).collect();
            p.push(FieldError::new("mode", format!("this service is offered as {}", offered.join(", "))));
        }
        p.check(on_grid(self.start, step_minutes), "start", "is not one of the offered start times");
        let name = parse_name(&self.name);
        p.check(name.is_some(), "name", "must be 1–200 characters");
        let email = EmailAddress::parse(&self.email);
        p.check(email.is_some(), "email", "is not an e-mail address");
        let phone = parse_phone(self.phone.as_deref().unwrap_or(""));
        p.check(phone.is_ok(), "phone", "use 6–20 digits, spaces, + or -");
        p.check(self.consent, "consent", "is required to book an appointment");
        p.check(self.third_parties.len() <= MAX_THIRD_PARTIES, "third_parties", "at most 4 third parties");
        let mut third_parties = Vec::new();
        for (i, t) in self.third_parties.iter().enumerate() {
            let taken: Vec<&EmailAddress> =
                email.iter().chain(third_parties.iter().map(|t: &ThirdParty| &t.email)).collect();
            if let Some(ok) = t.check(&format!("third_parties[{i}]"), &taken, &mut p) {
                third_parties.push(ok);
            }
        }
        p.into_result()?;
        // The else branch is not reached: every field that did not parse pushed a problem above.
        let (Some(name), Some(email), Ok(phone)) = (name, email, phone) else {
            return Err(Error::State("booking request did not parse".into()));
        };
        Ok(Booking {
            service: service.code.clone(),
            mode: self.mode,
            period: appointment_period(service, self.start),
            citizen: Citizen { name, email, phone, language: self.language },
            third_parties,
            by,
        })
    }
}

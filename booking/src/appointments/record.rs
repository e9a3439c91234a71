//! An appointment as stored and shown: what the store returns and the web layer serialises.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::request::Relation;
use super::services::Mode;
use super::texts::Language;
use crate::time::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    Cancelled,
}

impl AppointmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<AppointmentStatus> {
        match s {
            "booked" => Some(AppointmentStatus::Booked),
            "cancelled" => Some(AppointmentStatus::Cancelled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CitizenRecord {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub language: Language,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ThirdPartyRecord {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub relation: Relation,
    /// Their participant in the call (video and hybrid appointments).
    pub participant_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AppointmentRecord {
    pub id: i64,
    pub service: String,
    pub mode: Mode,
    pub agent_id: i64,
    pub agent_name: String,
    pub period: Period,
    pub status: AppointmentStatus,
    pub citizen: CitizenRecord,
    /// Present ones only; a removed third party's link is revoked.
    pub third_parties: Vec<ThirdPartyRecord>,
    /// The call of a video or hybrid appointment.
    pub call_id: Option<i64>,
    /// The .ics SEQUENCE: 0 when booked, bumped by each reschedule and by cancellation.
    pub sequence: i64,
    /// Staff member who booked it on the citizen's behalf; `None`: the citizen booked it.
    pub booked_by: Option<i64>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

/// A raw capability token handed out once (to put in an e-mail), never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(pub String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// What booking returns: the appointment and the links to send, each to its person.
#[derive(Debug, Clone)]
pub struct Booked {
    pub appointment: AppointmentRecord,
    /// The citizen's link to see, move or cancel the appointment.
    pub manage_token: Token,
    /// The citizen's call link (video and hybrid).
    pub citizen_join: Option<Token>,
    /// Each third party's call link, in the order of `appointment.third_parties`.
    pub third_party_joins: Vec<Option<Token>>,
}

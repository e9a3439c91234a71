//! Video calls and their participants' capability links. Pure: validation and the rule that
//! decides whether a link opens the call now. Tokens are made and stored by the store.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::{FieldError, Problems, Result};
use crate::time::Period;

/// Most participants besides the agent; the call's own limit (signalling) counts the agent too.
pub const MAX_INVITED: usize = 7;
/// Longest call.
pub const MAX_CALL_HOURS: i64 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    /// The civil servant hosting the call.
    Agent,
    Citizen,
    /// A third party: family member, caregiver, interpreter, professional.
    Guest,
}

impl ParticipantRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantRole::Agent => "agent",
            ParticipantRole::Citizen => "citizen",
            ParticipantRole::Guest => "guest",
        }
    }

    pub fn parse(s: &str) -> Option<ParticipantRole> {
        match s {
            "agent" => Some(ParticipantRole::Agent),
            "citizen" => Some(ParticipantRole::Citizen),
            "guest" => Some(ParticipantRole::Guest),
            _ => None,
        }
    }
}

/// Someone invited to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    pub name: String,
    /// `citizen` or `guest`; the agent who creates the call is added by the server.
    pub role: ParticipantRole,
    #[serde(default)]
    pub email: Option<String>,
}

impl NewParticipant {
    fn check(&self, field: &str, problems: &mut Problems) {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            problems.push(FieldError::new(format!("{field}.name"), "must be 1 to 100 characters"));
        }
        if self.role == ParticipantRole::Agent {
            problems.push(FieldError::new(format!("{field}.role"), "must be citizen or guest"));
        }
        if let Some(email) = &self.email {
            let ok = email.len() <= 254 && email.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
            if !ok {
                problems.push(FieldError::new(format!("{field}.email"), "is not an e-mail address"));
            }
        }
    }

    pub fn validate(&self) -> Result<()> {
        let mut problems = Problems::default();
        self.check("participant", &mut problems);
        problems.into_result()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallRequest {
    pub title: String,
    pub period: Period,
    #[serde(default)]
    pub participants: Vec<NewParticipant>,
}

impl CallRequest {
    pub fn validate(&self, now: Timestamp) -> Result<()> {
        let mut problems = Problems::default();
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            problems.push(FieldError::new("title", "must be 1 to 200 characters"));
        }
        if self.period.minutes() > MAX_CALL_HOURS * 60 {
            problems.push(FieldError::new("period", format!("may last at most {MAX_CALL_HOURS} hours")));
        }
        if self.period.end <= now {
            problems.push(FieldError::new("period.end", "lies in the past"));
        }
        if self.participants.len() > MAX_INVITED {
            problems.push(FieldError::new("participants", format!("at most {MAX_INVITED} besides the agent")));
        }
        for (i, p) in self.participants.iter().enumerate() {
            p.check(&format!("participants[{i}]"), &mut problems);
        }
        problems.into_result()
    }
}

/// When a participant's link opens and closes around the call's period.
#[derive(Debug, Clone, Copy)]
pub struct LinkWindow {
    pub open_before: SignedDuration,
    pub close_after: SignedDuration,
}

impl Default for LinkWindow {
    fn default() -> LinkWindow {
        LinkWindow { open_before: SignedDuration::from_mins(15), close_after: SignedDuration::from_mins(60) }
    }
}

impl LinkWindow {
    pub fn around(&self, period: Period) -> Period {
        Period { start: period.start - self.open_before, end: period.end + self.close_after }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ParticipantRecord {
    pub id: i64,
    pub call_id: i64,
    pub name: String,
    pub role: ParticipantRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// When the personal link opens the call.
    pub valid: Period,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallRecord {
    pub id: i64,
    pub title: String,
    pub period: Period,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
    pub participants: Vec<ParticipantRecord>,
}

/// Why a link does not open the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Revoked,
    NotYetValid { from: Timestamp },
    Expired,
    CallEnded,
}

/// Decides whether a participant's link opens the call at `now`.
pub fn check_link(
    p: &ParticipantRecord,
    call_ended_at: Option<Timestamp>,
    now: Timestamp,
) -> std::result::Result<(), Refusal> {
    if call_ended_at.is_some() {
        Err(Refusal::CallEnded)
    } else if p.revoked_at.is_some() {
        Err(Refusal::Revoked)
    } else if now < p.valid.start {
        Err(Refusal::NotYetValid { from: p.valid.start })
    } else if now >= p.valid.end {
        Err(Refusal::Expired)
    } else {
        Ok(())
    }
}

/// What the database stores of a link's token: its SHA-256, hex. Tokens carry 160 random bits,
/// so a fast hash is enough (no guessing to slow down), and lookups stay one indexed query.
pub fn token_hash(raw: &str) -> String {
    Sha256::digest(raw.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn participant() -> ParticipantRecord {
        ParticipantRecord {
            id: 1,
            call_id: 1,
            name: "Jan".into(),
            role: ParticipantRole::Citizen,
            email: None,
            valid: Period { start: at(0), end: at(3600) },
            revoked_at: None,
        }
    }

    #[test]
    fn a_link_opens_only_inside_its_window() {
        let p = participant();
        assert_eq!(check_link(&p, None, at(-1)), Err(Refusal::NotYetValid { from: at(0) }));
        assert_eq!(check_link(&p, None, at(0)), Ok(()));
        assert_eq!(check_link(&p, None, at(3599)), Ok(()));
        assert_eq!(check_link(&p, None, at(3600)), Err(Refusal::Expired));
        assert_eq!(check_link(&p, Some(at(10)), at(20)), Err(Refusal::CallEnded));
        let revoked = ParticipantRecord { revoked_at: Some(at(5)), ..p };
        assert_eq!(check_link(&revoked, None, at(10)), Err(Refusal::Revoked));
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}

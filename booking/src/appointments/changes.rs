//! Who may reschedule or cancel an appointment, and until when. A citizen, through their link, until
//! the service's cancel notice before the start (default 24 h): the agent needs time to give the
//! slot to someone else. An agent until the start. The new time of a reschedule is checked like a
//! new booking, by [`super::slots::check_agent_free`].

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::request::Actor;
use super::schedule::plus_minutes;
use super::services::ServiceSpec;
use crate::error::Error;
use crate::time::{self, format_local};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ChangeRefused {
    #[error("the appointment can only be changed online until {}; please call the municipality", format_local(*deadline))]
    TooLate {
        #[serde(serialize_with = "time::ser_local")]
        #[schema(value_type = String, format = DateTime)]
        deadline: Timestamp,
    },
    #[error("the appointment has already started")]
    Started,
}

/// A request to move an appointment: to `period`, asked by `by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub period: crate::time::Period,
    pub by: Actor,
}

/// A refused change is a request in the wrong state: 409.
impl From<ChangeRefused> for Error {
    fn from(c: ChangeRefused) -> Error {
        Error::State(c.to_string())
    }
}

/// The last instant (exclusive) at which `actor` may still change an appointment starting at `start`.
pub fn change_deadline(actor: Actor, start: Timestamp, service: &ServiceSpec) -> Timestamp {
    match actor {
        Actor::Citizen => plus_minutes(start, -service.cancel_notice_minutes),
        Actor::Agent { .. } => start,
    }
}

/// Whether `actor` may reschedule or cancel, as of `now`, an appointment starting at `start`.
pub fn may_change(actor: Actor, start: Timestamp, now: Timestamp, service: &ServiceSpec) -> Result<(), ChangeRefused> {
    if now >= start {
        return Err(ChangeRefused::Started);
    }
    let deadline = change_deadline(actor, start, service);
    if now >= deadline {
        return Err(ChangeRefused::TooLate { deadline });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appointments::demo;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn citizen_may_change_until_a_day_before() {
        let service = &demo::services(&[7])[0];
        let start = ts("2026-05-12T08:00:00Z");
        assert_eq!(may_change(Actor::Citizen, start, ts("2026-05-11T07:59:59Z"), service), Ok(()));
        assert_eq!(
            may_change(Actor::Citizen, start, ts("2026-05-11T08:00:00Z"), service),
            Err(ChangeRefused::TooLate { deadline: ts("2026-05-11T08:00:00Z") })
        );
    }

    #[test]
    fn agent_may_change_until_the_start() {
        let service = &demo::services(&[7])[0];
        let start = ts("2026-05-12T08:00:00Z");
        let agent = Actor::Agent { staff_id: 7 };
        assert_eq!(may_change(agent, start, ts("2026-05-12T07:59:00Z"), service), Ok(()));
        assert_eq!(may_change(agent, start, start, service), Err(ChangeRefused::Started));
        assert_eq!(may_change(Actor::Citizen, start, start, service), Err(ChangeRefused::Started));
    }

    #[test]
    fn cancel_notice_is_a_service_setting() {
        let service = ServiceSpec { cancel_notice_minutes: 120, ..demo::services(&[7])[0].clone() };
        let start = ts("2026-05-12T08:00:00Z");
        assert_eq!(may_change(Actor::Citizen, start, ts("2026-05-12T05:30:00Z"), &service), Ok(()));
        assert!(may_change(Actor::Citizen, start, ts("2026-05-12T06:00:00Z"), &service).is_err());
    }

    #[test]
    fn refusal_is_a_state_error_naming_the_local_deadline() {
        let e: Error = ChangeRefused::TooLate { deadline: ts("2026-05-11T08:00:00Z") }.into();
        assert!(matches!(&e, Error::State(m) if m.contains("2026-05-11T10:00:00+02:00")), "{e}");
    }
}

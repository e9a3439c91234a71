//! Free appointment slots of a service across its pool of agents, and the one rule that decides
//! whether an agent can take an appointment. [`free_slots`] offers exactly the grid starts for
//! which [`check_agent_free`] passes, and the store calls the same rule inside its transaction,
//! so what is shown as free can be booked (and a race loser gets a clear reason).

use std::collections::BTreeMap;

use jiff::civil::{Date, Time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schedule::{plus_minutes, works_throughout, AgentSchedule};
use super::services::ServiceSpec;
use crate::error::{Error, FieldError};
use crate::time::{self, format_local, Period};

/// Slots start on the quarter hours of the town-hall clock, the crate's booking granularity. A
/// grid finer than the duration lets a citizen pick 09:15 for a 45-minute talk; a grid of the
/// duration would pack appointments tighter but leaves odd starts (08:30, 09:15, 10:00 …) that
/// depend on when each shift begins. Quarter hours are what people expect from a counter.
pub const DEFAULT_STEP_MINUTES: i64 = time::GRANULARITY_MINUTES;

/// A time at which at least one agent of the pool can take an appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Slot {
    #[serde(serialize_with = "time::ser_local")]
    #[schema(value_type = String, format = DateTime, example = "2026-03-30T09:00:00+02:00")]
    pub start: Timestamp,
    #[serde(serialize_with = "time::ser_local")]
    #[schema(value_type = String, format = DateTime, example = "2026-03-30T09:30:00+02:00")]
    pub end: Timestamp,
    /// Staff ids of the agents who are free, ascending; the store picks one with [`pick_agent`].
    pub agents: Vec<i64>,
}

/// Why an agent cannot take an appointment at a given time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum AppointmentConflict {
    #[error("agent {agent_id} does not handle this service")]
    NotInPool { agent_id: i64 },
    #[error("starts too soon; the earliest start is {}", format_local(*earliest))]
    TooShortNotice {
        #[serde(serialize_with = "time::ser_local")]
        #[schema(value_type = String, format = DateTime)]
        earliest: Timestamp,
    },
    #[error("lies beyond the booking horizon; appointments must end by {}", format_local(*latest))]
    BeyondHorizon {
        #[serde(serialize_with = "time::ser_local")]
        #[schema(value_type = String, format = DateTime)]
        latest: Timestamp,
    },
    #[error("falls outside the agent's working hours")]
    OutsideWorkingHours,
    #[error("the agent is absent from {} to {}", format_local(absence.start), format_local(absence.end))]
    Absent { absence: Period },
    #[error("overlaps appointment {appointment_id} ({} to {})", format_local(period.start), format_local(period.end))]
    OverlapsAppointment { appointment_id: i64, period: Period },
}

/// Rules the request broke are 422s on the field; a taken agent is a 409.
impl From<AppointmentConflict> for Error {
    fn from(c: AppointmentConflict) -> Error {
        match c {
            AppointmentConflict::NotInPool { .. } => FieldError::new("agent_id", c.to_string()).into(),
            AppointmentConflict::TooShortNotice { .. }
            | AppointmentConflict::BeyondHorizon { .. }
            | AppointmentConflict::OutsideWorkingHours => FieldError::new("start", c.to_string()).into(),
            AppointmentConflict::Absent { .. } | AppointmentConflict::OverlapsAppointment { .. } => {
                Error::State(c.to_string())
            }
        }
    }
}

/// The first start allowed by the service's minimum notice.
pub fn earliest_start(service: &ServiceSpec, now: Timestamp) -> Timestamp {
    plus_minutes(now, service.min_notice_minutes)
}

/// The latest end allowed by the horizon: midnight (Brussels) after today + `horizon_days`, the
/// same rule as reservations' booking windows.
pub fn latest_end(service: &ServiceSpec, now: Timestamp) -> Timestamp {
    crate::availability::horizon(now, service.horizon_days)
}

/// An appointment of the service starting at `start`. Durations are real minutes, so an
/// appointment across a DST change ends an hour earlier or later on the clock.
pub fn appointment_period(service: &ServiceSpec, start: Timestamp) -> Period {
    Period { start, end: plus_minutes(start, service.duration_minutes.max(1)) }
}

/// A step that divides a day, or the default: then every day's grid starts at midnight.
fn grid_step(step_minutes: i64) -> i64 {
    if step_minutes > 0 && 1440 % step_minutes == 0 {
        step_minutes
    } else {
        DEFAULT_STEP_MINUTES
    }
}

/// Whether `start` is on the grid: a whole multiple of the step after local midnight, and the
/// first occurrence of that clock time. In the autumn's repeated hour only the first 02:30 is on
/// the grid, the one calendar clients (RFC 5545) and [`time::instant`] mean by "02:30".
pub fn on_grid(start: Timestamp, step_minutes: i64) -> bool {
    let z = time::local(start);
    let minute_of_day = i64::from(z.hour()) * 60 + i64::from(z.minute());
    z.second() == 0
        && z.subsec_nanosecond() == 0
        && minute_of_day % grid_step(step_minutes) == 0
        && time::instant(z.date(), z.time()) == start
}

/// The one rule: may `schedule`'s agent take an appointment of `service` in `period`, as of `now`?
/// The first reason found is returned, in the order the fields are listed in
/// [`AppointmentConflict`].
pub fn check_agent_free(
    schedule: &AgentSchedule,
    period: Period,
    now: Timestamp,
    service: &ServiceSpec,
) -> Result<(), AppointmentConflict> {
    if !service.agents.contains(&schedule.agent_id) {
        return Err(AppointmentConflict::NotInPool { agent_id: schedule.agent_id });
    }
    let earliest = earliest_start(service, now);
    if period.start < earliest {
        return Err(AppointmentConflict::TooShortNotice { earliest });
    }
    let latest = latest_end(service, now);
    if period.end > latest {
        return Err(AppointmentConflict::BeyondHorizon { latest });
    }
    if !works_throughout(&schedule.hours, period) {
        return Err(AppointmentConflict::OutsideWorkingHours);
    }
    if let Some(absence) = schedule.absences.iter().filter(|a| a.overlaps(&period)).min() {
        return Err(AppointmentConflict::Absent { absence: *absence });
    }
    if let Some(b) = schedule.booked.iter().filter(|b| b.period.overlaps(&period)).min_by_key(|b| b.period) {
        return Err(AppointmentConflict::OverlapsAppointment { appointment_id: b.appointment_id, period: b.period });
    }
    Ok(())
}

/// The agents who can take `period` (ascending staff id); what the store picks from.
pub fn free_agents(service: &ServiceSpec, schedules: &[AgentSchedule], period: Period, now: Timestamp) -> Vec<i64> {
    let mut ids: Vec<i64> =
        schedules.iter().filter(|s| check_agent_free(s, period, now, service).is_ok()).map(|s| s.agent_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Slots of `service` starting in `[from, to)` on the grid of `step_minutes` (one that divides a
/// day; anything else means [`DEFAULT_STEP_MINUTES`]), sorted by start, each with its free agents.
/// Schedules of agents outside the service's pool are ignored.
pub fn free_slots(
    service: &ServiceSpec,
    agents: &[AgentSchedule],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    step_minutes: i64,
) -> Vec<Slot> {
    let step = grid_step(step_minutes);
    // Narrow the days walked to what notice and horizon allow; the rule still decides each slot.
    let (lo, hi) = (from.max(earliest_start(service, now)), to.min(latest_end(service, now)));
    if lo >= hi {
        return Vec::new();
    }
    let (first, last) = (time::local(lo).date(), time::local(hi).date());
    let mut found: BTreeMap<Timestamp, Vec<i64>> = BTreeMap::new();
    for schedule in agents.iter().filter(|s| service.agents.contains(&s.agent_id)) {
        let mut day = first;
        while day <= last {
            for range in schedule.hours.on(day.weekday()) {
                for start in grid_starts(day, range.start(), range.end(), step) {
                    let period = appointment_period(service, start);
                    if (lo..to).contains(&start) && check_agent_free(schedule, period, now, service).is_ok() {
                        found.entry(start).or_default().push(schedule.agent_id);
                    }
                }
            }
            day = day.tomorrow().expect("in range");
        }
    }
    found
        .into_iter()
        .map(|(start, mut agents)| {
            agents.sort_unstable();
            agents.dedup();
            Slot { start, end: appointment_period(service, start).end, agents }
        })
        .collect()
}

/// The instants of the grid's clock times in `[from, until)` on `day`. A clock time in the spring
/// gap does not exist and is skipped; one in the autumn overlap yields its first occurrence only.
fn grid_starts(day: Date, from: Time, until: Time, step: i64) -> impl Iterator<Item = Timestamp> {
    let minute = |t: Time| i64::from(t.hour()) * 60 + i64::from(t.minute());
    let first = (minute(from) + step - 1) / step * step;
    (first..minute(until)).step_by(step as usize).filter_map(move |m| {
        let t = Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).ok()?;
        let start = time::instant(day, t);
        (time::local(start).datetime() == day.to_datetime(t)).then_some(start)
    })
}

/// Picks the agent for a new appointment: the one with the fewest appointments that day, then the
/// lowest staff id, so the choice is deterministic and repeatable in tests. `load` lists
/// `(staff id, appointments that day)`; an agent not listed has none.
pub fn pick_agent(candidates: &[i64], load: &[(i64, usize)]) -> Option<i64> {
    let load_of = |id: i64| load.iter().find(|(a, _)| *a == id).map_or(0, |(_, n)| *n);
    candidates.iter().copied().min_by_key(|&id| (load_of(id), id))
}

/// `(staff id, appointments starting on date)` for [`pick_agent`].
pub fn loads_on(schedules: &[AgentSchedule], date: Date) -> Vec<(i64, usize)> {
    schedules.iter().map(|s| (s.agent_id, s.load_on(date))).collect()
}

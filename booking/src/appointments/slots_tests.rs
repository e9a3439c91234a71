//! The slot rule on ordinary days: working hours, bookings, absences, notice, horizon, pools.

use jiff::Timestamp;

use super::demo;
use super::schedule::{AgentSchedule, Booked, DayHours, TimeRange, WeeklyHours};
use super::services::ServiceSpec;
use super::slots::*;
use crate::error::Error;
use crate::time::{format_local, Period};

pub(super) fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn p(a: &str, b: &str) -> Period {
    Period::new(ts(a), ts(b)).unwrap()
}

/// 30 minutes, agents 1 and 2, two hours' notice, 60 days ahead.
fn service() -> ServiceSpec {
    ServiceSpec { duration_minutes: 30, ..demo::services(&[1, 2])[3].clone() }
}

fn agent(id: i64) -> AgentSchedule {
    AgentSchedule { agent_id: id, hours: demo::agent_hours(), absences: vec![], booked: vec![] }
}

/// Friday 8 May 2026, 10:00 in Brussels (CEST).
const NOW: &str = "2026-05-08T08:00:00Z";

fn monday(agents: &[AgentSchedule]) -> Vec<Slot> {
    free_slots(&service(), agents, ts("2026-05-10T22:00:00Z"), ts("2026-05-11T22:00:00Z"), ts(NOW), 15)
}

fn local_starts(slots: &[Slot]) -> Vec<String> {
    slots.iter().map(|s| format_local(s.start)[11..16].to_string()).collect()
}

#[test]
fn monday_slots_follow_the_demo_hours_on_a_quarter_hour_grid() {
    let slots = monday(&[agent(1)]);
    let starts = local_starts(&slots);
    assert_eq!(starts.len(), 26);
    assert_eq!((starts[0].as_str(), starts[12].as_str()), ("08:30", "11:30"));
    assert_eq!((starts[13].as_str(), starts[25].as_str()), ("13:00", "16:00"));
    assert!(slots.iter().all(|s| s.agents == [1] && Period::new(s.start, s.end).unwrap().minutes() == 30));
}

#[test]
fn a_booked_appointment_removes_every_overlapping_slot() {
    let mut a = agent(1);
    a.booked.push(Booked { appointment_id: 41, period: p("2026-05-11T07:00:00Z", "2026-05-11T07:30:00Z") });
    let starts = local_starts(&monday(&[a.clone()]));
    assert_eq!(starts.len(), 23);
    assert!(!starts.iter().any(|s| ["08:45", "09:00", "09:15"].contains(&s.as_str())));
    assert_eq!(
        check_agent_free(&a, p("2026-05-11T07:15:00Z", "2026-05-11T07:45:00Z"), ts(NOW), &service()),
        Err(AppointmentConflict::OverlapsAppointment {
            appointment_id: 41,
            period: p("2026-05-11T07:00:00Z", "2026-05-11T07:30:00Z")
        })
    );
}

#[test]
fn an_absence_removes_slots_and_is_named() {
    let mut a = agent(1);
    let leave = p("2026-05-11T10:00:00Z", "2026-05-12T22:00:00Z");
    a.absences.push(leave);
    assert_eq!(local_starts(&monday(&[a.clone()])).last().map(String::as_str), Some("11:30"));
    assert_eq!(
        check_agent_free(&a, p("2026-05-11T11:00:00Z", "2026-05-11T11:30:00Z"), ts(NOW), &service()),
        Err(AppointmentConflict::Absent { absence: leave })
    );
}

#[test]
fn slots_list_every_free_agent_of_the_pool_and_ignore_others() {
    let mornings =
        WeeklyHours((1..=5).map(|d| DayHours { weekday: d, ranges: vec![TimeRange::hm((9, 0), (12, 0))] }).collect());
    let two = AgentSchedule { hours: mornings, ..agent(2) };
    let outsider = agent(3);
    let slots = monday(&[outsider, two, agent(1)]);
    let at = |hm: &str| slots.iter().find(|s| format_local(s.start)[11..16] == *hm).unwrap().agents.clone();
    assert_eq!(at("08:30"), [1]);
    assert_eq!(at("09:00"), [1, 2]);
    assert_eq!(at("13:00"), [1]);
    assert_eq!(
        check_agent_free(&agent(3), p("2026-05-11T07:00:00Z", "2026-05-11T07:30:00Z"), ts(NOW), &service()),
        Err(AppointmentConflict::NotInPool { agent_id: 3 })
    );
}

#[test]
fn notice_and_horizon_bound_the_slots() {
    // Monday 09:00 local with two hours' notice: the first slot is 11:00.
    let now = ts("2026-05-11T07:00:00Z");
    let slots = free_slots(&service(), &[agent(1)], ts("2026-05-10T22:00:00Z"), ts("2026-05-11T22:00:00Z"), now, 15);
    assert_eq!(local_starts(&slots)[0], "11:00");
    assert_eq!(
        check_agent_free(&agent(1), p("2026-05-11T08:45:00Z", "2026-05-11T09:15:00Z"), now, &service()),
        Err(AppointmentConflict::TooShortNotice { earliest: ts("2026-05-11T09:00:00Z") })
    );
    // One day ahead: Tuesday is bookable, Wednesday is not.
    let short = ServiceSpec { horizon_days: 1, ..service() };
    let week = free_slots(&short, &[agent(1)], now, ts("2026-05-18T00:00:00Z"), now, 15);
    assert_eq!(format_local(week.last().unwrap().start), "2026-05-12T16:00:00+02:00");
    assert_eq!(
        check_agent_free(&agent(1), p("2026-05-13T07:00:00Z", "2026-05-13T07:30:00Z"), now, &short),
        Err(AppointmentConflict::BeyondHorizon { latest: ts("2026-05-12T22:00:00Z") })
    );
}

#[test]
fn appointments_may_not_run_past_the_end_of_a_range() {
    let late = p("2026-05-11T09:45:00Z", "2026-05-11T10:15:00Z"); // 11:45–12:15 local
    assert_eq!(check_agent_free(&agent(1), late, ts(NOW), &service()), Err(AppointmentConflict::OutsideWorkingHours));
    // Saturday: no hours at all.
    let saturday =
        free_slots(&service(), &[agent(1)], ts("2026-05-09T00:00:00Z"), ts("2026-05-10T00:00:00Z"), ts(NOW), 15);
    assert!(saturday.is_empty());
}

#[test]
fn a_step_that_does_not_divide_a_day_falls_back_to_quarter_hours() {
    let half_hours =
        free_slots(&service(), &[agent(1)], ts("2026-05-10T22:00:00Z"), ts("2026-05-11T22:00:00Z"), ts(NOW), 30);
    assert_eq!(half_hours.len(), 14);
    let odd = free_slots(&service(), &[agent(1)], ts("2026-05-10T22:00:00Z"), ts("2026-05-11T22:00:00Z"), ts(NOW), 7);
    assert_eq!(odd, monday(&[agent(1)]));
    assert!(on_grid(ts("2026-05-11T07:45:00Z"), 15) && !on_grid(ts("2026-05-11T07:45:00Z"), 30));
    assert!(!on_grid(ts("2026-05-11T07:50:00Z"), 15));
}

#[test]
fn pick_agent_spreads_work_then_takes_the_lowest_id() {
    assert_eq!(pick_agent(&[3, 1, 2], &[]), Some(1));
    assert_eq!(pick_agent(&[3, 1, 2], &[(1, 4), (2, 1), (3, 1)]), Some(2));
    assert_eq!(pick_agent(&[3, 1], &[(1, 2), (2, 0)]), Some(3));
    assert_eq!(pick_agent(&[], &[(1, 0)]), None);
    let mut busy = agent(1);
    busy.booked.push(Booked { appointment_id: 1, period: p("2026-05-11T07:00:00Z", "2026-05-11T07:30:00Z") });
    let load = loads_on(&[busy, agent(2)], jiff::civil::date(2026, 5, 11));
    assert_eq!(pick_agent(&[1, 2], &load), Some(2));
}

#[test]
fn free_agents_is_what_the_store_picks_from() {
    let mut busy = agent(1);
    busy.booked.push(Booked { appointment_id: 1, period: p("2026-05-11T07:00:00Z", "2026-05-11T07:30:00Z") });
    let slot = p("2026-05-11T07:00:00Z", "2026-05-11T07:30:00Z");
    assert_eq!(free_agents(&service(), &[agent(2), busy, agent(3)], slot, ts(NOW)), [2]);
}

#[test]
fn broken_rules_are_field_errors_and_taken_agents_are_conflicts() {
    let e: Error = AppointmentConflict::OutsideWorkingHours.into();
    assert!(matches!(&e, Error::Invalid(f) if f[0].field == "start"));
    let e: Error = AppointmentConflict::OverlapsAppointment {
        appointment_id: 9,
        period: p("2026-05-11T07:00:00Z", "2026-05-11T07:30:00Z"),
    }
    .into();
    assert!(
        matches!(&e, Error::State(m) if m == "overlaps appointment 9 (2026-05-11T09:00:00+02:00 to 2026-05-11T09:30:00+02:00)")
    );
    let json =
        serde_json::to_value(AppointmentConflict::TooShortNotice { earliest: ts("2026-05-11T09:00:00Z") }).unwrap();
    assert_eq!(json, serde_json::json!({"reason": "too_short_notice", "earliest": "2026-05-11T11:00:00+02:00"}));
}

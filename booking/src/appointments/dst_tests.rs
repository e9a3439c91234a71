//! Slots across the DST changes of 2026 in Brussels: spring forward on Sunday 29 March
//! (02:00 CET → 03:00 CEST at 01:00 UTC), fall back on Sunday 25 October (03:00 CEST → 02:00 CET
//! at 01:00 UTC).

use super::schedule::{AgentSchedule, DayHours, TimeRange, WeeklyHours};
use super::services::ServiceSpec;
use super::slots::*;
use super::slots_tests::ts;
use crate::time::{format_local, Period};

fn service(minutes: i64) -> ServiceSpec {
    ServiceSpec {
        duration_minutes: minutes,
        min_notice_minutes: 0,
        horizon_days: 400,
        ..super::demo::services(&[1])[4].clone()
    }
}

fn agent(days: &[(i8, TimeRange)]) -> AgentSchedule {
    let hours = WeeklyHours(days.iter().map(|(d, r)| DayHours { weekday: *d, ranges: vec![*r] }).collect());
    AgentSchedule { agent_id: 1, hours, absences: vec![], booked: vec![] }
}

fn slots(minutes: i64, days: &[(i8, TimeRange)], from: &str, to: &str) -> Vec<Slot> {
    free_slots(&service(minutes), &[agent(days)], ts(from), ts(to), ts("2026-01-01T00:00:00Z"), 15)
}

fn local(slots: &[Slot]) -> Vec<String> {
    slots.iter().map(|s| format_local(s.start)).collect()
}

fn first_of_each_day(slots: &[Slot]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in local(slots) {
        if out.last().is_none_or(|l| l[..10] != s[..10]) {
            out.push(s);
        }
    }
    out
}

#[test]
fn nine_o_clock_is_nine_local_on_both_sides_of_the_spring_change() {
    let nine = TimeRange::hm((9, 0), (10, 0));
    let got = slots(30, &[(6, nine), (7, nine), (1, nine)], "2026-03-27T23:00:00Z", "2026-03-30T22:00:00Z");
    assert_eq!(
        first_of_each_day(&got),
        ["2026-03-28T09:00:00+01:00", "2026-03-29T09:00:00+02:00", "2026-03-30T09:00:00+02:00"]
    );
    assert_eq!(got[0].start, ts("2026-03-28T08:00:00Z"));
    assert_eq!(got[3].start, ts("2026-03-29T07:00:00Z"));
}

#[test]
fn nine_o_clock_is_nine_local_on_both_sides_of_the_autumn_change() {
    let nine = TimeRange::hm((9, 0), (10, 0));
    let got = slots(30, &[(6, nine), (7, nine)], "2026-10-23T22:00:00Z", "2026-10-25T23:00:00Z");
    assert_eq!(first_of_each_day(&got), ["2026-10-24T09:00:00+02:00", "2026-10-25T09:00:00+01:00"]);
    assert_eq!(got[3].start, ts("2026-10-25T08:00:00Z"));
}

#[test]
fn the_missing_spring_hour_has_no_slots() {
    let night = TimeRange::hm((1, 0), (4, 0));
    let got = slots(30, &[(7, night)], "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z");
    let hm: Vec<String> = local(&got).iter().map(|s| s[11..16].to_string()).collect();
    assert_eq!(hm, ["01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30"]);
    // A slot across the jump lasts its real 30 minutes: 01:45 CET to 03:15 CEST.
    assert_eq!(format_local(got[3].end), "2026-03-29T03:15:00+02:00");
    // A range wholly inside the gap gives nothing.
    assert!(slots(30, &[(7, TimeRange::hm((2, 0), (3, 0)))], "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z").is_empty());
}

#[test]
fn the_repeated_autumn_hour_has_no_duplicate_slots() {
    let night = TimeRange::hm((1, 0), (4, 0));
    let got = slots(30, &[(7, night)], "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    let hm: Vec<String> = local(&got).iter().map(|s| s[11..16].to_string()).collect();
    let expected = ["01:00", "01:15", "01:30", "01:45", "02:00", "02:15", "02:30", "02:45", "03:00", "03:15", "03:30"];
    assert_eq!(hm, expected);
    // The clock times of the repeated hour are offered once, as their first (summer-time) instant,
    // which is what "02:30" means in an .ics invitation and in `time::instant`.
    assert_eq!(format_local(got[6].start), "2026-10-25T02:30:00+02:00");
    // The second 02:30 is free for the rule, but is not on the grid, so it cannot be requested.
    let second = ts("2026-10-25T01:30:00Z");
    assert_eq!(format_local(second), "2026-10-25T02:30:00+01:00");
    let period = Period::new(second, ts("2026-10-25T02:00:00Z")).unwrap();
    assert_eq!(check_agent_free(&agent(&[(7, night)]), period, ts("2026-01-01T00:00:00Z"), &service(30)), Ok(()));
    assert!(!on_grid(second, 15) && on_grid(got[6].start, 15));
}

#[test]
fn an_appointment_across_the_autumn_change_lasts_its_real_duration() {
    let night = TimeRange::hm((1, 0), (4, 0));
    let got = slots(60, &[(7, night)], "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    let at_half_past_two = got.iter().find(|s| format_local(s.start) == "2026-10-25T02:30:00+02:00").unwrap();
    assert_eq!(format_local(at_half_past_two.end), "2026-10-25T02:30:00+01:00");
    // The four real hours of working time hold a 60-minute slot starting as late as 03:00 CET.
    assert_eq!(local(&got).last().unwrap(), "2026-10-25T03:00:00+01:00");
}

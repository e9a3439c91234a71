//! An agent's working time: a weekly pattern in Brussels civil time, absences and the
//! appointments already booked (both as UTC periods).
//!
//! # DST
//! Working hours are wall-clock hours: "08:30–12:00 on Mondays" means 08:30 on the town-hall clock
//! in winter and in summer. [`working_periods`] turns them into instants exactly: the instants
//! whose Brussels civil time lies in the range. So on the spring-forward Sunday a range 01:00–04:00
//! lasts two real hours (02:00–03:00 does not exist), and on the autumn Sunday it lasts four (the
//! hour 02:00–03:00 happens twice and the agent works through both).

use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{FieldError, Problems, Result};
use crate::time::{self, Period};

/// Most working ranges on one day (a split shift with an evening session is three).
pub const MAX_RANGES_PER_DAY: usize = 6;

/// A half-open range `[start, end)` of Brussels civil time within one day, in whole minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "RawRange")]
pub struct TimeRange {
    #[schema(value_type = String, example = "08:30:00")]
    start: Time,
    #[schema(value_type = String, example = "12:00:00")]
    end: Time,
}

#[derive(Deserialize)]
struct RawRange {
    start: Time,
    end: Time,
}

impl TryFrom<RawRange> for TimeRange {
    type Error = String;
    fn try_from(raw: RawRange) -> Result<Self, String> {
        TimeRange::new(raw.start, raw.end).map_err(|e| e.reason)
    }
}

impl TimeRange {
    /// Refuses an empty or reversed range and seconds: hours are whole minutes.
    pub fn new(start: Time, end: Time) -> Result<TimeRange, FieldError> {
        let whole = |t: Time| t.second() == 0 && t.subsec_nanosecond() == 0;
        if !whole(start) || !whole(end) {
            return Err(FieldError::new("range", "start and end must be whole minutes"));
        }
        if end <= start {
            return Err(FieldError::new("range.end", "must be after start"));
        }
        Ok(TimeRange { start, end })
    }

    /// `TimeRange::hm((8, 30), (12, 0))`; panics on a bad range, so for constants and tests.
    pub fn hm(start: (i8, i8), end: (i8, i8)) -> TimeRange {
        let t = |(h, m): (i8, i8)| Time::new(h, m, 0, 0).expect("valid hour and minute");
        TimeRange::new(t(start), t(end)).expect("start before end")
    }

    pub fn start(&self) -> Time {
        self.start
    }

    pub fn end(&self) -> Time {
        self.end
    }

    pub fn contains(&self, t: Time) -> bool {
        self.start <= t && t < self.end
    }
}

/// The working ranges of one ISO weekday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DayHours {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: i8,
    /// Ordered and non-overlapping; ranges may touch.
    pub ranges: Vec<TimeRange>,
}

/// A weekly pattern; a weekday that is not listed is a day off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct WeeklyHours(pub Vec<DayHours>);

impl WeeklyHours {
    /// The ranges on a weekday (empty on a day off).
    pub fn on(&self, weekday: jiff::civil::Weekday) -> &[TimeRange] {
        let iso = weekday.to_monday_one_offset();
        self.0.iter().find(|d| d.weekday == iso).map(|d| d.ranges.as_slice()).unwrap_or(&[])
    }

    /// Checks the pattern; paths are `{field}[i].weekday` and `{field}[i].ranges[j]`.
    pub fn validate(&self, field: &str) -> Result<()> {
        let mut p = Problems::default();
        for (i, day) in self.0.iter().enumerate() {
            let f = format!("{field}[{i}]");
            p.check((1..=7).contains(&day.weekday), &format!("{f}.weekday"), "must be 1 (Monday) to 7 (Sunday)");
            p.check(
                !self.0[..i].iter().any(|d| d.weekday == day.weekday),
                &format!("{f}.weekday"),
                "appears more than once",
            );
            p.check(day.ranges.len() <= MAX_RANGES_PER_DAY, &format!("{f}.ranges"), "at most 6 ranges a day");
            for (j, pair) in day.ranges.windows(2).enumerate() {
                p.check(
                    pair[0].end <= pair[1].start,
                    &format!("{f}.ranges[{}]", j + 1),
                    "must start after the previous range ends",
                );
            }
        }
        p.into_result()
    }
}

/// An appointment that occupies an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Booked {
    pub appointment_id: i64,
    pub period: Period,
}

/// Everything that decides when one agent is free. The store loads it for the window it asks
/// about; when rescheduling, it leaves out the appointment being moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgentSchedule {
    /// The agent's staff id.
    pub agent_id: i64,
    pub hours: WeeklyHours,
    /// Leave, training, sickness.
    #[serde(default)]
    pub absences: Vec<Period>,
    #[serde(default)]
    pub booked: Vec<Booked>,
}

impl AgentSchedule {
    /// How many appointments start on a Brussels date; [`super::slots::pick_agent`] spreads them.
    pub fn load_on(&self, date: Date) -> usize {
        self.booked.iter().filter(|b| time::local(b.period.start).date() == date).count()
    }
}

/// The instants whose Brussels civil time lies in `range` on `date`: one period on ordinary days,
/// possibly two on the autumn day (the repeated hour), none if the range falls in the spring gap.
fn local_preimage(date: Date, range: TimeRange) -> Vec<Period> {
    let tz = time::brussels();
    let (a, b) = (date.to_datetime(range.start), date.to_datetime(range.end));
    // Any time zone's offset is within ±26 h, so this window holds every candidate instant.
    let as_utc = |dt| jiff::tz::Offset::UTC.to_timestamp(dt).expect("in range");
    let day = SignedDuration::from_hours(26);
    let (lo, hi) = (as_utc(a) - day, as_utc(b) + day);
    // Split the window where the offset changes; within a piece local time is UTC + offset.
    let mut cuts = vec![lo];
    cuts.extend(tz.following(lo).map(|t| t.timestamp()).take_while(|t| *t < hi));
    cuts.push(hi);
    let mut out = Vec::new();
    for w in cuts.windows(2) {
        let offset = tz.to_offset(w[0]);
        let (Ok(s), Ok(e)) = (offset.to_timestamp(a), offset.to_timestamp(b)) else { continue };
        let (s, e) = (s.max(w[0]), e.min(w[1]));
        if s < e {
            out.push(Period { start: s, end: e });
        }
    }
    merge(out)
}

/// Sorts and joins overlapping or touching periods.
fn merge(mut periods: Vec<Period>) -> Vec<Period> {
    periods.sort();
    let mut merged: Vec<Period> = Vec::with_capacity(periods.len());
    for p in periods {
        match merged.last_mut() {
            Some(m) if p.start <= m.end => m.end = m.end.max(p.end),
            _ => merged.push(p),
        }
    }
    merged
}

/// The agent's working time within `window` as sorted, disjoint instants (touching ranges such as
/// 12:00–13:00 and 13:00–14:00 are joined, so an appointment may run across the seam).
pub fn working_periods(hours: &WeeklyHours, window: Period) -> Vec<Period> {
    let first = time::local(window.start).date().yesterday().expect("in range");
    let last = time::local(window.end).date();
    let mut all = Vec::new();
    let mut day = first;
    while day <= last {
        for r in hours.on(day.weekday()) {
            all.extend(local_preimage(day, *r));
        }
        day = day.tomorrow().expect("in range");
    }
    merge(all)
        .into_iter()
        .filter_map(|p| {
            let (start, end) = (p.start.max(window.start), p.end.min(window.end));
            (start < end).then_some(Period { start, end })
        })
        .collect()
}

/// Whether the agent works during the whole of `period`.
pub fn works_throughout(hours: &WeeklyHours, period: Period) -> bool {
    working_periods(hours, period).first() == Some(&period)
}

pub(crate) fn plus_minutes(ts: Timestamp, minutes: i64) -> Timestamp {
    Timestamp::from_second(ts.as_second() + minutes * 60).expect("in range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn p(a: &str, b: &str) -> Period {
        Period::new(ts(a), ts(b)).unwrap()
    }

    fn sundays(range: TimeRange) -> WeeklyHours {
        WeeklyHours(vec![DayHours { weekday: 7, ranges: vec![range] }])
    }

    #[test]
    fn ranges_are_wall_clock_hours_in_winter_and_summer() {
        let hours = WeeklyHours(vec![DayHours { weekday: 1, ranges: vec![TimeRange::hm((8, 30), (12, 0))] }]);
        let winter = working_periods(&hours, p("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"));
        let summer = working_periods(&hours, p("2026-07-06T00:00:00Z", "2026-07-07T00:00:00Z"));
        assert_eq!(winter, [p("2026-01-05T07:30:00Z", "2026-01-05T11:00:00Z")]);
        assert_eq!(summer, [p("2026-07-06T06:30:00Z", "2026-07-06T10:00:00Z")]);
    }

    #[test]
    fn spring_gap_hour_is_not_working_time() {
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
        let window = p("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z");
        let across = working_periods(&sundays(TimeRange::hm((1, 0), (4, 0))), window);
        assert_eq!(across, [p("2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z")]);
        let inside = working_periods(&sundays(TimeRange::hm((2, 0), (3, 0))), window);
        assert_eq!(inside, []);
        let ends_inside = working_periods(&sundays(TimeRange::hm((1, 30), (2, 30))), window);
        assert_eq!(ends_inside, [p("2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z")]);
    }

    #[test]
    fn autumn_repeated_hour_is_worked_twice() {
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00 UTC.
        let window = p("2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z");
        let across = working_periods(&sundays(TimeRange::hm((1, 0), (4, 0))), window);
        assert_eq!(across, [p("2026-10-24T23:00:00Z", "2026-10-25T03:00:00Z")]);
        let inside = working_periods(&sundays(TimeRange::hm((2, 0), (2, 30))), window);
        assert_eq!(
            inside,
            [p("2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z"), p("2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z")]
        );
    }

    #[test]
    fn touching_ranges_join_and_windows_clip() {
        let hours = WeeklyHours(vec![DayHours {
            weekday: 1,
            ranges: vec![TimeRange::hm((8, 0), (12, 0)), TimeRange::hm((12, 0), (13, 0))],
        }]);
        let got = working_periods(&hours, p("2026-01-05T08:00:00Z", "2026-01-06T00:00:00Z"));
        assert_eq!(got, [p("2026-01-05T08:00:00Z", "2026-01-05T12:00:00Z")]);
        assert!(works_throughout(&hours, p("2026-01-05T10:30:00Z", "2026-01-05T11:30:00Z")));
        assert!(!works_throughout(&hours, p("2026-01-05T11:30:00Z", "2026-01-05T12:30:00Z")));
    }

    #[test]
    fn overlapping_unordered_or_repeated_days_are_refused() {
        let bad = WeeklyHours(vec![
            DayHours { weekday: 1, ranges: vec![TimeRange::hm((13, 0), (16, 0)), TimeRange::hm((8, 0), (12, 0))] },
            DayHours { weekday: 1, ranges: vec![] },
            DayHours { weekday: 8, ranges: vec![] },
        ]);
        let crate::Error::Invalid(errors) = bad.validate("hours").unwrap_err() else { panic!() };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["hours[0].ranges[1]", "hours[1].weekday", "hours[2].weekday"]);
    }

    #[test]
    fn time_range_refuses_reversed_and_parses_short_times() {
        assert!(serde_json::from_str::<TimeRange>(r#"{"start":"12:00","end":"08:30"}"#).is_err());
        let r: TimeRange = serde_json::from_str(r#"{"start":"08:30","end":"12:00"}"#).unwrap();
        assert_eq!(r, TimeRange::hm((8, 30), (12, 0)));
        assert!(TimeRange::new(jiff::civil::time(8, 0, 30, 0), jiff::civil::time(9, 0, 0, 0)).is_err());
    }

    #[test]
    fn load_counts_appointments_starting_that_brussels_day() {
        let s = AgentSchedule {
            agent_id: 1,
            hours: WeeklyHours::default(),
            absences: vec![],
            booked: vec![
                Booked { appointment_id: 1, period: p("2026-01-05T23:30:00Z", "2026-01-06T00:00:00Z") },
                Booked { appointment_id: 2, period: p("2026-01-05T10:00:00Z", "2026-01-05T10:30:00Z") },
            ],
        };
        assert_eq!(s.load_on(date(2026, 1, 5)), 1);
        assert_eq!(s.load_on(date(2026, 1, 6)), 1);
    }
}

//! When reminders go out. An offset of whole days means "that many days earlier at the same
//! clock time" in Brussels, because "tomorrow at 10:00" is what a citizen reads in it; the rest of
//! an offset (hours, minutes) is exact. So across the spring change a day-before reminder for
//! Sunday 10:00 comes on Saturday at 10:00 (23 hours earlier), and an hour-before one at 09:00.

use jiff::{SignedDuration, Timestamp};

use crate::time;

/// The moments to send reminders for an appointment starting at `start`, one per offset (in
/// minutes before the start), leaving out those not after `now` (too late to remind), sorted.
pub fn reminder_times(start: Timestamp, offsets_minutes: &[i64], now: Timestamp) -> Vec<Timestamp> {
    let mut times: Vec<Timestamp> = offsets_minutes
        .iter()
        .filter(|m| **m > 0)
        .filter_map(|m| {
            let (days, rest) = (m / 1440, m % 1440);
            let local = time::local(start);
            let day = local.date().checked_sub(jiff::Span::new().days(days)).ok()?;
            let same_clock = time::instant(day, local.time());
            Some(same_clock - SignedDuration::from_mins(rest))
        })
        .filter(|at| *at > now)
        .collect();
    times.sort_unstable();
    times.dedup();
    times
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time as clock};

    fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        crate::time::instant(date(y, m, d), clock(h, min, 0, 0))
    }

    #[test]
    fn a_day_before_keeps_the_clock_time_and_an_hour_before_is_exact() {
        let start = at(2026, 12, 2, 10, 0);
        let now = at(2026, 11, 23, 9, 0);
        assert_eq!(reminder_times(start, &[1440, 60], now), [at(2026, 12, 1, 10, 0), at(2026, 12, 2, 9, 0)]);
    }

    #[test]
    fn across_the_spring_change_a_day_before_is_23_hours() {
        // Sunday 29 March 2026 10:00; the clocks went forward that night at 02:00.
        let start = at(2026, 3, 29, 10, 0);
        let now = at(2026, 3, 20, 9, 0);
        let times = reminder_times(start, &[1440, 60], now);
        assert_eq!(times, [at(2026, 3, 28, 10, 0), at(2026, 3, 29, 9, 0)]);
        assert_eq!(start.duration_since(times[0]), SignedDuration::from_hours(23));
    }

    #[test]
    fn across_the_autumn_change_a_day_before_is_25_hours() {
        // Sunday 25 October 2026 10:00; the clocks went back that night at 03:00.
        let start = at(2026, 10, 25, 10, 0);
        let times = reminder_times(start, &[1440], at(2026, 10, 1, 0, 0));
        assert_eq!(times, [at(2026, 10, 24, 10, 0)]);
        assert_eq!(start.duration_since(times[0]), SignedDuration::from_hours(25));
    }

    #[test]
    fn reminders_whose_moment_has_passed_are_left_out() {
        let start = at(2026, 12, 2, 10, 0);
        // Booked at 08:30 the same morning: only the hour-before reminder is still to come.
        assert_eq!(reminder_times(start, &[1440, 60], at(2026, 12, 2, 8, 30)), [at(2026, 12, 2, 9, 0)]);
        assert!(reminder_times(start, &[1440, 60], at(2026, 12, 2, 9, 30)).is_empty());
        assert!(reminder_times(start, &[0, -5], at(2026, 11, 1, 0, 0)).is_empty(), "no reminder at or after the start");
    }

    #[test]
    fn mixed_offsets_combine_days_and_exact_minutes() {
        // 1 day and 2 hours before a Sunday 10:00 start across the spring change: Saturday 08:00.
        let start = at(2026, 3, 29, 10, 0);
        assert_eq!(reminder_times(start, &[1560], at(2026, 3, 1, 0, 0)), [at(2026, 3, 28, 8, 0)]);
    }
}

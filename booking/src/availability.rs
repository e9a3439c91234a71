//! Free and busy time of one resource. Pure: the store hands in what blocks the resource (its own
//! reservations and holds, those of the hall it belongs to or of its parts, maintenance) and the
//! clock; this module decides. The same rule decides a search result, a calendar cell and whether
//! the store accepts a reservation, so what is shown as free can be booked.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::{OpeningSlot, Resource};
use crate::error::{Clash, Error, FieldError, Result};
use crate::time::{self, ceil_to_quarter, subtract, Period};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BusyReason {
    Reservation,
    /// Held for a few minutes while somebody completes a booking.
    Hold,
    Maintenance,
}

/// Something that occupies a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocker {
    /// The resource it is booked on: this one, its hall or one of its parts.
    pub resource_id: i64,
    /// The time people are there.
    pub period: Period,
    /// The time nobody else may use it: `period` plus its set-up and clean-up buffers.
    pub blocked: Period,
    pub reason: BusyReason,
}

/// Limits that depend on who books and when: nothing starts in the past, nothing ends past the
/// customer type's booking window.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub now: Timestamp,
    /// End of the booking window, with the number of days for the error message.
    pub horizon: Option<(Timestamp, i64)>,
}

impl Limits {
    fn clip(&self, window: Period) -> Option<Period> {
        let start = window.start.max(ceil_to_quarter(self.now));
        let end = match self.horizon {
            Some((h, _)) => window.end.min(h),
            None => window.end,
        };
        (start < end).then_some(Period { start, end })
    }
}

/// The end of a booking window of `days` days: midnight (Brussels) at the end of today + days.
pub fn horizon(now: Timestamp, days: i64) -> Timestamp {
    let today = time::local(now).date();
    let last = today.checked_add(days.days()).unwrap_or(today);
    time::instant(last.tomorrow().unwrap_or(last), jiff::civil::Time::midnight())
}

/// Opening intervals of the weekly schedule within `window`, sorted and merged.
pub fn opening_periods(slots: &[OpeningSlot], window: Period) -> Vec<Period> {
    let mut out: Vec<Period> = Vec::new();
    let first = time::local(window.start).date().yesterday().expect("in range");
    let last = time::local(window.end).date();
    let mut day = first;
    while day <= last {
        for s in slots.iter().filter(|s| s.weekday() == day.weekday()) {
            let p = Period { start: time::instant(day, s.opens), end: time::instant(day, s.closes) };
            let clipped = Period { start: p.start.max(window.start), end: p.end.min(window.end) };
            if clipped.start < clipped.end {
                out.push(clipped);
            }
        }
        day = day.tomorrow().expect("in range");
    }
    out.sort();
    let mut merged: Vec<Period> = Vec::with_capacity(out.len());
    for p in out {
        match merged.last_mut() {
            Some(m) if p.start <= m.end => m.end = m.end.max(p.end),
            _ => merged.push(p),
        }
    }
    merged
}

/// Intervals in which any reservation `[s, e)` may be placed: within opening hours and limits, and
/// with its own set-up and clean-up buffers clear of everything that blocks the resource.
pub fn free_periods(resource: &Resource, window: Period, blockers: &[Blocker], limits: Limits) -> Vec<Period> {
    let Some(window) = limits.clip(window) else { return Vec::new() };
    if resource.retired {
        return Vec::new();
    }
    let open = opening_periods(&resource.spec.opening_hours, window);
    // A new booking [s, e) needs [s - before, e + after) clear of a blocked [a, b): so s may not
    // fall before b + before and e not after a - after.
    let holes: Vec<Period> = blockers
        .iter()
        .map(|b| b.blocked.widen(resource.spec.buffer_after_minutes, resource.spec.buffer_before_minutes))
        .collect();
    subtract(&open, &holes)
}

/// Decides whether `period` may be reserved; the store calls it inside the transaction that holds
/// the resource's lock, with every blocker that overlaps.
pub fn check_bookable(resource: &Resource, period: Period, blockers: &[Blocker], limits: Limits) -> Result<()> {
    if resource.retired {
        return Err(Error::State(format!("resource {} is retired and can no longer be booked", resource.id)));
    }
    if !period.is_aligned() {
        return Err(FieldError::new("period", "start and end must fall on a quarter hour").into());
    }
    if period.minutes() > MAX_RESERVATION_MINUTES {
        return Err(FieldError::new("period", "may last at most 72 hours").into());
    }
    if period.start < limits.now {
        return Err(FieldError::new("period.start", "lies in the past").into());
    }
    if let Some((h, days)) = limits.horizon {
        if period.end > h {
            return Err(FieldError::new(
                "period.end",
                format!("lies beyond the booking window of {days} days for this customer type"),
            )
            .into());
        }
    }
    if opening_periods(&resource.spec.opening_hours, period) != [period] {
        return Err(FieldError::new("period", "falls outside the opening hours").into());
    }
    let wanted = period.widen(resource.spec.buffer_before_minutes, resource.spec.buffer_after_minutes);
    let clashes: Vec<Clash> = blockers
        .iter()
        .filter(|b| b.blocked.overlaps(&wanted))
        .map(|b| Clash { period: b.blocked, reason: b.reason, resource_id: b.resource_id })
        .collect();
    if clashes.is_empty() {
        Ok(())
    } else {
        Err(Error::Conflict(clashes))
    }
}

/// Longest reservation, and longest set-up or clean-up buffer (see `ResourceSpec::validate`).
pub const MAX_RESERVATION_MINUTES: i64 = 72 * 60;
pub const MAX_BUFFER_MINUTES: i64 = 240;
/// Longest blocked interval any reservation can have; the schema enforces it with a CHECK, and
/// the store relies on it to bound its index range scans.
pub const MAX_BLOCKED_MINUTES: i64 = MAX_RESERVATION_MINUTES + 2 * MAX_BUFFER_MINUTES;

/// A busy interval as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BusyPeriod {
    pub period: Period,
    pub reason: BusyReason,
    /// Set when the time is taken on the hall or one of its parts rather than on this resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_resource_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Availability {
    pub resource_id: i64,
    pub window: Period,
    /// Intervals in which a reservation can be placed (set-up and clean-up already accounted).
    pub free: Vec<Period>,
    pub busy: Vec<BusyPeriod>,
}

pub fn availability(resource: &Resource, window: Period, blockers: &[Blocker], limits: Limits) -> Availability {
    let mut busy: Vec<BusyPeriod> = blockers
        .iter()
        .filter(|b| b.period.overlaps(&window))
        .map(|b| BusyPeriod {
            period: b.period,
            reason: b.reason,
            via_resource_id: (b.resource_id != resource.id).then_some(b.resource_id),
        })
        .collect();
    busy.sort_by_key(|b| b.period);
    Availability { resource_id: resource.id, window, free: free_periods(resource, window, blockers, limits), busy }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayStatus {
    /// Not open that day.
    Closed,
    /// Open, but in the past or beyond the booking window.
    Unavailable,
    /// Every open hour can be booked.
    Free,
    Partial,
    /// Open, but nothing left.
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CalendarDay {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub status: DayStatus,
    pub open_minutes: i64,
    pub free_minutes: i64,
    pub free: Vec<Period>,
}

/// Month or week view: one cell per day.
pub fn calendar(resource: &Resource, days: &[Date], blockers: &[Blocker], limits: Limits) -> Vec<CalendarDay> {
    days.iter()
        .map(|&date| {
            let window = day_period(date);
            let open = opening_periods(&resource.spec.opening_hours, window);
            let bookable: Vec<Period> = match limits.clip(window) {
                Some(w) => opening_periods(&resource.spec.opening_hours, w),
                None => Vec::new(),
            };
            let free = free_periods(resource, window, blockers, limits);
            let sum = |ps: &[Period]| ps.iter().map(Period::minutes).sum::<i64>();
            let (open_minutes, free_minutes) = (sum(&open), sum(&free));
            let status = if open_minutes == 0 {
                DayStatus::Closed
            } else if bookable.is_empty() || resource.retired {
                DayStatus::Unavailable
            } else if free_minutes == 0 {
                DayStatus::Full
            } else if free_minutes == sum(&bookable) {
                DayStatus::Free
            } else {
                DayStatus::Partial
            };
            CalendarDay { date, status, open_minutes, free_minutes, free }
        })
        .collect()
}

/// A civil day in Brussels as an interval of instants (23 or 25 hours on DST days).
pub fn day_period(date: Date) -> Period {
    Period {
        start: time::instant(date, jiff::civil::Time::midnight()),
        end: time::instant(date.tomorrow().expect("in range"), jiff::civil::Time::midnight()),
    }
}

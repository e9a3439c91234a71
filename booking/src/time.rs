//! Time for a Flemish municipality: instants are stored in UTC, civil time is computed in
//! Europe/Brussels with the tz database bundled into the binary (no dependency on the host's
//! /usr/share/zoneinfo, so DST rules are the same in CI, in a container and on a laptop).

use std::sync::LazyLock;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

static BRUSSELS: LazyLock<TimeZone> =
    LazyLock::new(|| TimeZone::get("Europe/Brussels").expect("bundled tz database has Europe/Brussels"));

/// Bookings are made in quarters of an hour: opening hours, buffers and prices all use it.
pub const GRANULARITY_MINUTES: i64 = 15;

pub fn brussels() -> &'static TimeZone {
    &BRUSSELS
}

/// The civil time in Brussels of an instant.
pub fn local(ts: Timestamp) -> Zoned {
    ts.to_zoned(BRUSSELS.clone())
}

/// The instant of a civil date and time in Brussels. In the spring-forward gap (02:00–03:00 on the
/// last Sunday of March) the later offset is used, in the autumn overlap the earlier one: jiff's
/// "compatible" rule, the same as RFC 5545 and every calendar client.
pub fn instant(date: Date, time: Time) -> Timestamp {
    date.to_datetime(time).to_zoned(BRUSSELS.clone()).expect("civil time within jiff's supported range").timestamp()
}

/// A half-open interval `[start, end)` of instants. OSLO: *Periode*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "RawPeriod")]
pub struct Period {
    /// Start, RFC 3339. Output always carries the Brussels offset.
    #[serde(serialize_with = "ser_local")]
    #[schema(value_type = String, format = DateTime, example = "2026-12-05T14:00:00+01:00")]
    pub start: Timestamp,
    /// End (exclusive), RFC 3339.
    #[serde(serialize_with = "ser_local")]
    #[schema(value_type = String, format = DateTime, example = "2026-12-05T18:00:00+01:00")]
    pub end: Timestamp,
}

#[derive(Deserialize)]
struct RawPeriod {
    start: Timestamp,
    end: Timestamp,
}

impl TryFrom<RawPeriod> for Period {
    type Error = String;
    fn try_from(raw: RawPeriod) -> Result<Self, String> {
        Period::new(raw.start, raw.end).map_err(|e| e.reason)
    }
}

/// Serialises an instant as RFC 3339 with the Brussels offset, e.g. `2026-03-29T10:00:00+02:00`,
/// so that people reading the API see the hours they will stand in the room.
pub fn ser_local<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_local(*ts))
}

pub fn ser_local_opt<S: serde::Serializer>(ts: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match ts {
        Some(ts) => s.serialize_str(&format_local(*ts)),
        None => s.serialize_none(),
    }
}

pub fn format_local(ts: Timestamp) -> String {
    local(ts).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

impl Period {
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, FieldError> {
        if end <= start {
            return Err(FieldError::new("period.end", "must be after period.start"));
        }
        Ok(Period { start, end })
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Period) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn minutes(&self) -> i64 {
        (self.end.as_second() - self.start.as_second()) / 60
    }

    /// The period widened by `before` minutes at the start and `after` minutes at the end.
    pub fn widen(&self, before: i64, after: i64) -> Period {
        Period {
            start: Timestamp::from_second(self.start.as_second() - before * 60).expect("in range"),
            end: Timestamp::from_second(self.end.as_second() + after * 60).expect("in range"),
        }
    }

    /// True when both ends fall on a quarter hour (in UTC; Brussels offsets are whole hours).
    pub fn is_aligned(&self) -> bool {
        let q = GRANULARITY_MINUTES * 60;
        self.start.as_second() % q == 0 && self.end.as_second() % q == 0
    }

    pub fn from_seconds(start: i64, end: i64) -> Period {
        Period {
            start: Timestamp::from_second(start).expect("stored timestamp in range"),
            end: Timestamp::from_second(end).expect("stored timestamp in range"),
        }
    }
}

/// `base` minus the union of `holes`; `base` sorted and disjoint, result sorted and disjoint.
pub fn subtract(base: &[Period], holes: &[Period]) -> Vec<Period> {
    let mut holes: Vec<Period> = holes.to_vec();
    holes.sort();
    let mut out = Vec::new();
    for b in base {
        let mut cursor = b.start;
        for h in holes.iter().filter(|h| h.overlaps(b)) {
            if h.start > cursor {
                out.push(Period { start: cursor, end: h.start });
            }
            cursor = cursor.max(h.end);
            if cursor >= b.end {
                break;
            }
        }
        if cursor < b.end {
            out.push(Period { start: cursor, end: b.end });
        }
    }
    out
}

/// Rounds an instant up to the next quarter hour.
pub fn ceil_to_quarter(ts: Timestamp) -> Timestamp {
    let q = GRANULARITY_MINUTES * 60;
    let s = ts.as_second();
    let up = s.div_euclid(q) * q + if s.rem_euclid(q) == 0 { 0 } else { q };
    Timestamp::from_second(up).expect("in range")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn brussels_offsets_follow_dst() {
        let winter = instant(jiff::civil::date(2026, 3, 28), jiff::civil::time(10, 0, 0, 0));
        let summer = instant(jiff::civil::date(2026, 3, 29), jiff::civil::time(10, 0, 0, 0));
        assert_eq!(winter, ts("2026-03-28T09:00:00Z"));
        assert_eq!(summer, ts("2026-03-29T08:00:00Z"));
        assert_eq!(format_local(summer), "2026-03-29T10:00:00+02:00");
    }

    #[test]
    fn subtract_cuts_holes() {
        let p = |a: &str, b: &str| Period::new(ts(a), ts(b)).unwrap();
        let base = [p("2026-01-01T08:00:00Z", "2026-01-01T12:00:00Z")];
        let holes = [
            p("2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z"),
            p("2026-01-01T09:30:00Z", "2026-01-01T10:30:00Z"),
            p("2026-01-01T11:30:00Z", "2026-01-01T13:00:00Z"),
        ];
        assert_eq!(
            subtract(&base, &holes),
            vec![p("2026-01-01T08:00:00Z", "2026-01-01T09:00:00Z"), p("2026-01-01T10:30:00Z", "2026-01-01T11:30:00Z"),]
        );
    }

    #[test]
    fn period_rejects_end_before_start() {
        assert!(Period::new(ts("2026-01-01T10:00:00Z"), ts("2026-01-01T10:00:00Z")).is_err());
    }
}

//! Season series: an association books the same weekly slot over a season in one request.
//! Free occurrences are booked, the others reported with what they clash with.

use jiff::civil::{Date, Time};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Clash, FieldError, Problems, Result};
use crate::pricing::ServiceRequest;
use crate::reservation::Customer;
use crate::time::{self, Period};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SeriesRequest {
    pub resource_id: i64,
    pub customer: Customer,
    pub attendees: i64,
    #[serde(default)]
    pub services: Vec<ServiceRequest>,
    #[serde(default)]
    pub purpose: String,
    /// The first occurrence; its weekday is the series' weekday.
    #[schema(value_type = String, format = Date, example = "2026-09-07")]
    pub first_date: Date,
    /// The last date an occurrence may fall on (inclusive).
    #[schema(value_type = String, format = Date, example = "2027-06-28")]
    pub last_date: Date,
    /// Brussels civil time, e.g. `19:00`.
    #[schema(value_type = String, example = "19:00:00")]
    pub starts: Time,
    #[schema(value_type = String, example = "21:00:00")]
    pub ends: Time,
}

impl SeriesRequest {
    /// Every weekly occurrence with its instants; DST-correct, so 19:00 stays 19:00 all season.
    pub fn occurrences(&self) -> Result<Vec<(Date, Period)>> {
        let mut p = Problems::default();
        self.customer.validate(&mut p);
        p.check(self.last_date >= self.first_date, "last_date", "must not be before first_date");
        p.check(
            self.last_date <= self.first_date.checked_add(366.days()).unwrap_or(self.first_date),
            "last_date",
            "a series spans at most 366 days",
        );
        p.check(self.ends > self.starts, "ends", "must be after starts");
        p.check(self.purpose.len() <= 500, "purpose", "must be at most 500 characters");
        p.into_result()?;
        let mut out = Vec::new();
        let mut day = self.first_date;
        while day <= self.last_date {
            let period = Period::new(time::instant(day, self.starts), time::instant(day, self.ends))
                .map_err(|_| FieldError::new("ends", "must be after starts"))?;
            out.push((day, period));
            day = day.checked_add(7.days()).expect("in range");
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OccurrenceStatus {
    Booked,
    /// Taken by another booking or maintenance.
    Conflict,
    /// Not bookable for another reason (closed that day, outside the booking window).
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Occurrence {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub period: Period,
    pub status: OccurrenceStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clashes: Vec<Clash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SeriesReport {
    pub series_id: i64,
    pub booked: usize,
    pub not_booked: usize,
    pub occurrences: Vec<Occurrence>,
}

//! The period of a managers' view (`?van=…&tot=…` on the survey dashboard, the room figures and
//! their exports): its default, its checks, and its instants.

use balie_booking::error::Problems;
use jiff::civil::Date;
use jiff::Timestamp;

use crate::error::{ApiError, ApiResult};

/// Longest period one view may cover.
const MAX_DAYS: i64 = 3 * 366;

/// The first and last day of `van..=tot`, by default the 90 days up to today. A reversed or too
/// long period goes into `problems`, so that it is reported with the view's other fields.
pub(crate) fn days(van: Option<Date>, tot: Option<Date>, problems: &mut Problems) -> (Date, Date) {
    let today = balie_booking::time::local(crate::routes::now()).date();
    let to = tot.unwrap_or(today);
    let from = van.unwrap_or_else(|| to.checked_sub(jiff::Span::new().days(90)).unwrap_or(to));
    problems.check(from <= to, "tot", "must not be before van");
    problems.check(
        from.until(to).map(|s| s.get_days() as i64 <= MAX_DAYS).unwrap_or(false),
        "van",
        "the period may cover at most three years",
    );
    (from, to)
}

/// The instants `[start, end)` of the days `from..=to` in Brussels (defects are reported at an
/// instant, evaluations on a day).
pub(crate) fn instants(from: Date, to: Date) -> ApiResult<(Timestamp, Timestamp)> {
    let midnight = |d: Date| balie_booking::time::instant(d, jiff::civil::Time::midnight());
    let end = to.tomorrow().map(midnight).map_err(|e| ApiError::invalid("tot", e.to_string()))?;
    Ok((midnight(from), end))
}

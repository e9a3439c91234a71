//! Quotes in integer euro cents. Prices are stored excluding VAT; VAT is computed once per rate
//! over the sum of that rate's lines (the way an invoice shows it), rounding half up.

use jiff::civil::Weekday;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::{CustomerType, ExtraService, Resource, ServiceUnit};
use crate::error::{Problems, Result};
use crate::time::{self, Period, GRANULARITY_MINUTES};

/// Evening rates start at 18:00 on weekdays.
const EVENING_FROM_HOUR: i8 = 18;

/// An extra service asked for with a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceRequest {
    pub code: String,
    /// Number of units for per-booking services (e.g. 2 cleanings); ignored for per-person and
    /// per-hour services, which follow attendees and duration. Default 1.
    #[serde(default = "one")]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Rent,
    Service,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineUnit {
    /// `quantity` is in minutes, the price per hour.
    Hour,
    Person,
    Booking,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuoteLine {
    pub kind: LineKind,
    /// `day`, `evening`, `weekend` for rent; the service code for services.
    pub code: String,
    pub description: String,
    pub unit: LineUnit,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub amount_cents: i64,
    pub vat_basis_points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VatLine {
    pub vat_basis_points: i64,
    pub base_cents: i64,
    pub vat_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Quote {
    pub customer_type: CustomerType,
    pub lines: Vec<QuoteLine>,
    pub vat: Vec<VatLine>,
    pub subtotal_cents: i64,
    pub vat_cents: i64,
    pub total_cents: i64,
    pub currency: String,
}

/// `amount * num / den`, rounded half up; all operands non-negative.
fn mul_div_round(amount: i64, num: i64, den: i64) -> i64 {
    (amount * num * 2 + den) / (den * 2)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Band {
    Day,
    Evening,
    Weekend,
}

fn band_of(ts: jiff::Timestamp) -> Band {
    let local = time::local(ts);
    match local.weekday() {
        Weekday::Saturday | Weekday::Sunday => Band::Weekend,
        _ if local.hour() >= EVENING_FROM_HOUR => Band::Evening,
        _ => Band::Day,
    }
}

/// Prices `period` on `resource` for `customer` with the requested extras.
pub fn quote(
    resource: &Resource,
    services: &[ExtraService],
    customer: CustomerType,
    period: Period,
    attendees: i64,
    requested: &[ServiceRequest],
) -> Result<Quote> {
    let mut p = Problems::default();
    let price = resource.price_for(customer);
    p.check(price.is_some(), "customer_type", "may not book this resource");
    p.check(period.is_aligned(), "period", "start and end must fall on a quarter hour");
    p.check(period.minutes() <= crate::availability::MAX_RESERVATION_MINUTES, "period", "may last at most 72 hours");
    p.check(
        (1..=resource.spec.capacity).contains(&attendees),
        "attendees",
        &format!("must be between 1 and the capacity of {}", resource.spec.capacity),
    );
    let mut chosen = Vec::new();
    for (i, r) in requested.iter().enumerate() {
        let offered = resource.spec.services.contains(&r.code);
        match services.iter().find(|s| s.code == r.code && !s.retired) {
            Some(s) if offered => chosen.push((s, r)),
            _ => p.check(false, &format!("services[{i}].code"), "is not offered with this resource"),
        }
        p.check((1..=100).contains(&r.quantity), &format!("services[{i}].quantity"), "must be between 1 and 100");
        p.check(
            requested.iter().filter(|o| o.code == r.code).count() == 1,
            &format!("services[{i}].code"),
            "is asked for more than once",
        );
    }
    p.into_result()?;
    let price = price.expect("checked above");

    let mut minutes = [0i64; 3];
    let step = GRANULARITY_MINUTES * 60;
    let mut t = period.start.as_second();
    while t < period.end.as_second() {
        let band = band_of(jiff::Timestamp::from_second(t).expect("in range"));
        minutes[band as usize] += GRANULARITY_MINUTES;
        t += step;
    }
    let mut lines = Vec::new();
    for (band, code, description, rate) in [
        (Band::Day, "day", "Huur dagtarief", price.hourly_cents),
        (Band::Evening, "evening", "Huur avondtarief (vanaf 18 u)", price.evening_hourly_cents),
        (Band::Weekend, "weekend", "Huur weekendtarief", price.weekend_hourly_cents),
    ] {
        let m = minutes[band as usize];
        if m > 0 {
            lines.push(QuoteLine {
                kind: LineKind::Rent,
                code: code.into(),
                description: format!("{description} — {}", resource.spec.name),
                unit: LineUnit::Hour,
                quantity: m,
                unit_price_cents: rate,
                amount_cents: mul_div_round(rate, m, 60),
                vat_basis_points: resource.spec.vat_basis_points,
            });
        }
    }
    for (s, r) in chosen {
        let (unit, quantity, amount) = match s.unit {
            ServiceUnit::PerBooking => (LineUnit::Booking, r.quantity, s.price_cents * r.quantity),
            ServiceUnit::PerPerson => (LineUnit::Person, attendees, s.price_cents * attendees),
            ServiceUnit::PerHour => {
                (LineUnit::Hour, period.minutes(), mul_div_round(s.price_cents, period.minutes(), 60))
            }
        };
        lines.push(QuoteLine {
            kind: LineKind::Service,
            code: s.code.clone(),
            description: s.name.clone(),
            unit,
            quantity,
            unit_price_cents: s.price_cents,
            amount_cents: amount,
            vat_basis_points: s.vat_basis_points,
        });
    }
    let mut vat: Vec<VatLine> = Vec::new();
    for l in &lines {
        match vat.iter_mut().find(|v| v.vat_basis_points == l.vat_basis_points) {
            Some(v) => v.base_cents += l.amount_cents,
            None => {
                vat.push(VatLine { vat_basis_points: l.vat_basis_points, base_cents: l.amount_cents, vat_cents: 0 })
            }
        }
    }
    vat.sort_by_key(|v| v.vat_basis_points);
    for v in &mut vat {
        v.vat_cents = mul_div_round(v.base_cents, v.vat_basis_points, 10_000);
    }
    let subtotal_cents = lines.iter().map(|l| l.amount_cents).sum();
    let vat_cents = vat.iter().map(|v| v.vat_cents).sum();
    Ok(Quote {
        customer_type: customer,
        lines,
        vat,
        subtotal_cents,
        vat_cents,
        total_cents: subtotal_cents + vat_cents,
        currency: "EUR".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::mul_div_round;

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(mul_div_round(1000, 15, 60), 250);
        assert_eq!(mul_div_round(1, 1, 2), 1);
        assert_eq!(mul_div_round(1, 1, 3), 0);
        assert_eq!(mul_div_round(12345, 2100, 10_000), 2592);
    }
}

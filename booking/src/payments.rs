//! Payments of reservations: the status a provider reports and which changes may follow which,
//! the Belgian structured communication of an invoice, and the refund policy. Pure: no IO.
//!
//! Providers report statuses out of order and more than once (a webhook retried, a late "open"
//! after "paid"). [`PaymentStatus::after`] makes applying a report idempotent and monotonic: a
//! status only ever moves forward, so the order of delivery cannot change the outcome.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the citizen pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// At once, through the payment provider (bank app, card).
    Online,
    /// Later, by bank transfer with a structured communication.
    Invoice,
}

/// Who handles a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// The built-in simulated provider: a checkout page with paid/failed/cancelled buttons.
    Simulated,
    /// Mollie (or a provider speaking its API).
    Mollie,
    /// An invoice paid by bank transfer.
    Invoice,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Simulated => "simulated",
            Provider::Mollie => "mollie",
            Provider::Invoice => "invoice",
        }
    }
    pub fn parse(s: &str) -> Option<Provider> {
        [Provider::Simulated, Provider::Mollie, Provider::Invoice].into_iter().find(|p| p.as_str() == s)
    }
    pub fn method(self) -> Method {
        match self {
            Provider::Invoice => Method::Invoice,
            Provider::Simulated | Provider::Mollie => Method::Online,
        }
    }
}

/// A payment's status, named as Mollie names them (`canceled`, one l), plus `invoiced`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Created; the payer has not finished.
    Open,
    /// The payer finished; the bank has not confirmed yet.
    Pending,
    /// Authorised but not yet captured (cards); for a reservation as good as pending.
    Authorized,
    Paid,
    Failed,
    Canceled,
    Expired,
    /// An invoice was sent; it is paid by bank transfer later.
    Invoiced,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 8] = [
        PaymentStatus::Open,
        PaymentStatus::Pending,
        PaymentStatus::Authorized,
        PaymentStatus::Paid,
        PaymentStatus::Failed,
        PaymentStatus::Canceled,
        PaymentStatus::Expired,
        PaymentStatus::Invoiced,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Open => "open",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Canceled => "canceled",
            PaymentStatus::Expired => "expired",
            PaymentStatus::Invoiced => "invoiced",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Nothing follows a final status (a refund is recorded beside it, not instead of it).
    pub fn is_final(self) -> bool {
        matches!(self, PaymentStatus::Paid | PaymentStatus::Failed | PaymentStatus::Canceled | PaymentStatus::Expired)
    }

    /// Whether the money is (as good as) in: the reservation may be confirmed.
    pub fn confirms(self) -> bool {
        matches!(self, PaymentStatus::Paid | PaymentStatus::Invoiced)
    }

    fn rank(self) -> u8 {
        match self {
            PaymentStatus::Open => 0,
            PaymentStatus::Pending | PaymentStatus::Authorized => 1,
            // An invoice is settled (paid) later, by staff recording the transfer.
            PaymentStatus::Invoiced => 2,
            PaymentStatus::Paid | PaymentStatus::Failed | PaymentStatus::Canceled | PaymentStatus::Expired => 3,
        }
    }

    /// The status after a provider reports `reported`, or `None` when the report changes nothing
    /// (the same status again, an older one arriving late, or anything after a final status).
    pub fn after(self, reported: PaymentStatus) -> Option<PaymentStatus> {
        (!self.is_final() && reported != self && reported.rank() > self.rank()).then_some(reported)
    }
}

/// The Belgian structured communication (*gestructureerde mededeling*, OGM/VCS) for a 10-digit
/// `base`: the base and its mod-97 check (97 when the remainder is 0), as `+++123/4567/89002+++`.
/// Banks check the digits, so a mistyped reference is refused at the payer's bank.
pub fn structured_communication(base: u64) -> String {
    assert!(base < 10_000_000_000, "a structured communication has a 10-digit base");
    let check = match base % 97 {
        0 => 97,
        r => r,
    };
    let digits = format!("{base:010}{check:02}");
    format!("+++{}/{}/{}+++", &digits[0..3], &digits[3..7], &digits[7..12])
}

/// The base of a valid structured communication (with or without the `+++`/`***` marks,
/// slashes and spaces), or `None` when the check digits are wrong.
pub fn parse_structured_communication(s: &str) -> Option<u64> {
    let s = s.trim();
    let inner = s
        .strip_prefix("+++")
        .and_then(|r| r.strip_suffix("+++"))
        .or_else(|| s.strip_prefix("***").and_then(|r| r.strip_suffix("***")))
        .unwrap_or(s);
    let digits: String = inner.chars().filter(|c| !matches!(c, '/' | ' ')).collect();
    if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let base: u64 = digits[..10].parse().ok()?;
    let check: u64 = digits[10..].parse().ok()?;
    let expected = match base % 97 {
        0 => 97,
        r => r,
    };
    (check == expected).then_some(base)
}

/// The 10-digit base of invoice `sequence` (1–999,999) of `year`: the year, then the sequence;
/// `None` outside that range (the structured communication has room for ten digits).
pub fn invoice_base(year: i16, sequence: i64) -> Option<u64> {
    let sequence = u64::try_from(sequence).ok().filter(|s| (1..1_000_000).contains(s))?;
    Some(u64::try_from(year).ok()? * 1_000_000 + sequence)
}

/// When an invoice is due: `days` after issue, but never after the day before the reservation
/// (the municipality wants its money before the room is used), and never before the issue day.
pub fn invoice_due(issued: Date, days: i64, reservation_day: Date) -> Date {
    let due = issued.checked_add(jiff::Span::new().days(days)).unwrap_or(issued);
    let before = reservation_day.yesterday().unwrap_or(reservation_day);
    due.min(before).max(issued)
}

/// How much of a paid amount is refunded when a reservation is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundPolicy {
    /// Cancelled at least this many days before the start: everything back.
    pub full_days: i64,
    /// Cancelled at least this many days before (but less than `full_days`): half back.
    pub half_days: i64,
}

impl Default for RefundPolicy {
    fn default() -> RefundPolicy {
        RefundPolicy { full_days: 14, half_days: 2 }
    }
}

impl RefundPolicy {
    /// The refund of `paid_cents` for a cancellation at `now` of a reservation starting at
    /// `start`. `by_municipality`: the municipality cancelled (maintenance, emergency), so
    /// everything is refunded whatever the date.
    pub fn refund(&self, paid_cents: i64, start: Timestamp, now: Timestamp, by_municipality: bool) -> i64 {
        if by_municipality {
            return paid_cents;
        }
        let ahead = start.duration_since(now);
        if ahead >= SignedDuration::from_hours(24 * self.full_days) {
            paid_cents
        } else if ahead >= SignedDuration::from_hours(24 * self.half_days) {
            // Half, rounded down to the cent: the municipality does not refund more than promised.
            paid_cents / 2
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn structured_communication_known_values() {
        // 0123456789 mod 97 = 39.
        assert_eq!(structured_communication(123_456_789), "+++012/3456/78939+++");
        // A multiple of 97 gets 97, not 00.
        assert_eq!(structured_communication(97), "+++000/0000/09797+++");
        assert_eq!(parse_structured_communication("+++012/3456/78939+++"), Some(123_456_789));
        assert_eq!(parse_structured_communication("***012/3456/78939***"), Some(123_456_789));
        assert_eq!(parse_structured_communication("012345678939"), Some(123_456_789));
        assert_eq!(parse_structured_communication("+++012/3456/78940+++"), None);
        assert_eq!(parse_structured_communication("+++000/0000/00000+++"), None);
        assert_eq!(parse_structured_communication("+++012/3456/7893+++"), None);
    }

    proptest! {
        #[test]
        fn structured_communication_round_trips(base in 0u64..10_000_000_000) {
            let s = structured_communication(base);
            prop_assert_eq!(s.len(), 20);
            prop_assert_eq!(parse_structured_communication(&s), Some(base));
        }

        #[test]
        fn one_wrong_digit_is_caught(base in 0u64..10_000_000_000, pos in 0usize..12, delta in 1u8..10) {
            let s = structured_communication(base);
            let mut digits: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
            digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(digits).unwrap();
            prop_assert_eq!(parse_structured_communication(&typo), None);
        }

        #[test]
        fn status_never_moves_back(a in 0usize..8, b in 0usize..8, c in 0usize..8) {
            // Applying reports in any order ends in a status no lower than any single report
            // that could be applied, and re-applying a report changes nothing.
            let s = [a, b, c].map(|i| PaymentStatus::ALL[i]);
            let mut now = PaymentStatus::Open;
            for r in s {
                if let Some(next) = now.after(r) {
                    prop_assert!(next.rank() > now.rank());
                    now = next;
                }
                prop_assert_eq!(now.after(now), None);
            }
        }
    }

    #[test]
    fn late_and_repeated_reports_change_nothing() {
        assert_eq!(PaymentStatus::Open.after(PaymentStatus::Paid), Some(PaymentStatus::Paid));
        assert_eq!(PaymentStatus::Paid.after(PaymentStatus::Paid), None);
        assert_eq!(PaymentStatus::Paid.after(PaymentStatus::Open), None);
        assert_eq!(PaymentStatus::Paid.after(PaymentStatus::Failed), None);
        assert_eq!(PaymentStatus::Pending.after(PaymentStatus::Open), None);
        assert_eq!(PaymentStatus::Pending.after(PaymentStatus::Paid), Some(PaymentStatus::Paid));
        assert_eq!(PaymentStatus::Invoiced.after(PaymentStatus::Paid), Some(PaymentStatus::Paid));
        assert_eq!(PaymentStatus::Expired.after(PaymentStatus::Paid), None);
    }

    #[test]
    fn refund_policy_tiers() {
        let p = RefundPolicy::default();
        let start: Timestamp = "2027-03-20T10:00:00Z".parse().unwrap();
        let days = |d: i64| start - SignedDuration::from_hours(24 * d);
        assert_eq!(p.refund(10_001, start, days(30), false), 10_001);
        assert_eq!(p.refund(10_001, start, days(14), false), 10_001);
        assert_eq!(p.refund(10_001, start, days(13), false), 5_000);
        assert_eq!(p.refund(10_001, start, days(2), false), 5_000);
        assert_eq!(p.refund(10_001, start, days(1), false), 0);
        assert_eq!(p.refund(10_001, start, days(1), true), 10_001);
    }

    #[test]
    fn invoice_due_dates() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(invoice_due(d("2026-11-24"), 30, d("2027-03-01")), d("2026-12-24"));
        assert_eq!(invoice_due(d("2026-11-24"), 30, d("2026-12-01")), d("2026-11-30"));
        assert_eq!(invoice_due(d("2026-11-24"), 30, d("2026-11-24")), d("2026-11-24"));
        assert_eq!(invoice_base(2026, 42), Some(2_026_000_042));
        assert_eq!(invoice_base(2027, 1), Some(2_027_000_001));
        assert_eq!(invoice_base(2026, 999_999), Some(2_026_999_999));
        assert_eq!(invoice_base(2026, 1_000_000), None, "never wraps into a number already used");
        assert_eq!(invoice_base(2026, 0), None);
    }
}

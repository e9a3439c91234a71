//! Payment providers behind one small interface: the built-in simulated provider (the embedded
//! default, whose checkout page is `/betalen#ID`) and a Mollie-style adapter. Invoices need no
//! provider: they are confirmed by the store at once and paid by bank transfer.
//!
//! The flow is Mollie's: create a payment (amount, description, redirect and webhook URLs, an
//! idempotency key) → the payer follows the checkout URL → the provider calls the webhook with
//! only the payment's id → balie fetches the payment and applies its status. A webhook body is
//! never trusted, so a forged webhook can at most make balie ask the provider again.

pub mod mollie;
pub mod service;

use balie_booking::payments::PaymentStatus;
use jiff::Timestamp;

/// What balie asks a provider for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePayment {
    pub amount_cents: i64,
    pub description: String,
    /// Where the payer's browser goes after the checkout.
    pub redirect_url: String,
    /// Where the provider reports a change (`id=…` form body).
    pub webhook_url: String,
    /// Sent as `Idempotency-Key`: a retried create returns the first payment, not a second one.
    pub idempotency_key: String,
    /// balie's own id, kept by the provider as metadata.
    pub reference: String,
}

/// A payment as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    /// The provider's id (`tr_…`).
    pub id: String,
    pub status: PaymentStatus,
    pub amount_cents: i64,
    pub checkout_url: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub refunded_cents: i64,
}

/// A refund as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    pub id: String,
    /// `queued`, `pending`, `processing`, `refunded` or `failed` (Mollie's words).
    pub status: String,
    pub amount_cents: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached or answered 5xx / 429: try again later.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request (4xx): retrying the same request will not help.
    #[error("payment provider refused the request: {0}")]
    Refused(String),
    /// No such payment at the provider.
    #[error("unknown payment at the provider")]
    NotFound,
    /// The answer did not have the documented shape.
    #[error("unexpected answer from the payment provider: {0}")]
    Protocol(String),
}

/// Euro cents as the decimal string payment APIs use (`"12.30"`).
pub fn amount_string(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The reverse of [`amount_string`]; `None` unless exactly two decimals.
pub fn parse_amount(s: &str) -> Option<i64> {
    let (euros, cents) = s.split_once('.')?;
    if cents.len() != 2 || euros.is_empty() || !euros.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(euros.parse::<i64>().ok()? * 100 + cents.parse::<i64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(amount_string(1230), "12.30");
        assert_eq!(amount_string(5), "0.05");
        assert_eq!(parse_amount("12.30"), Some(1230));
        assert_eq!(parse_amount("0.05"), Some(5));
        assert_eq!(parse_amount("12.3"), None);
        assert_eq!(parse_amount("-1.00"), None);
        assert_eq!(parse_amount("x.00"), None);
    }
}

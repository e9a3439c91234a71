//! The Mollie adapter: Mollie's Payments API v2 (or anything speaking it, such as the fake in
//! `tests/src/fake_mollie.rs`) over HTTPS with an API key.
//!
//! - `POST {base}/payments`: create a payment (with an `Idempotency-Key`, so a retried create
//!   returns the first payment instead of making a second one);
//! - `GET {base}/payments/{id}`: the payment as it is now; what a webhook makes balie ask;
//! - `POST {base}/payments/{id}/refunds`: refund (part of) a paid payment.
//!
//! The base URL is `https://api.mollie.com/v2` ([`DEFAULT_BASE_URL`]) in production.
//!
//! Errors map onto [`ProviderError`]: 404 is [`ProviderError::NotFound`]; other 4xx are
//! [`ProviderError::Refused`] with the `detail` of Mollie's error body; 429, 5xx, connection
//! errors and timeouts are [`ProviderError::Unavailable`] (try again later); an answer without the
//! documented shape (an unknown status, another currency) is [`ProviderError::Protocol`].
//!
//! The API key is a secret: it is sent only in the `Authorization` header, never logged, never
//! put in an error message, and left out of this type's `Debug`.

use std::fmt;
use std::time::Duration;

use balie_booking::payments::PaymentStatus;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;

use super::{amount_string, parse_amount, CreatePayment, ProviderError, ProviderPayment, ProviderRefund};

/// Mollie's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.mollie.com/v2";
/// How long a connection to Mollie may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole request (connect, send, answer) may take.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);

/// Longest `detail` kept from an error body, in characters.
const MAX_DETAIL: usize = 300;
/// Longest id accepted (Mollie's are `tr_` and about ten letters and digits).
const MAX_ID: usize = 64;

/// A client of Mollie's Payments API v2.
#[derive(Clone)]
pub struct Mollie {
    base_url: String,
    api_key: String,
    http: reqwest::Client,
}

impl fmt::Debug for Mollie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mollie").field("base_url", &self.base_url).field("api_key", &"[redacted]").finish()
    }
}

impl Mollie {
    /// A client of the API at `base_url` (production: [`DEFAULT_BASE_URL`]; a trailing `/` is
    /// ignored) with the API key `api_key` (`live_…` or `test_…`), with the default timeouts
    /// ([`CONNECT_TIMEOUT`], [`TOTAL_TIMEOUT`]).
    pub fn new(base_url: &str, api_key: &str) -> Mollie {
        Self::with_timeouts(base_url, api_key, CONNECT_TIMEOUT, TOTAL_TIMEOUT)
    }

    /// [`Mollie::new`] with other timeouts (tests use short ones).
    pub fn with_timeouts(base_url: &str, api_key: &str, connect: Duration, total: Duration) -> Mollie {
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(total)
            // The API does not redirect; following one would only send the key somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("balie/", env!("CARGO_PKG_VERSION")))
            .build()
            // Only fails when the TLS backend cannot start: rustls with bundled roots always can.
            .expect("an HTTP client with rustls");
        Mollie { base_url: base_url.trim_end_matches('/').to_string(), api_key: api_key.to_string(), http }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Creates a payment (`POST /payments`). Retrying with the same `idempotency_key` returns the
    /// same payment.
    pub async fn create(&self, req: &CreatePayment) -> Result<ProviderPayment, ProviderError> {
        if req.amount_cents <= 0 {
            return Err(ProviderError::Refused("a payment's amount must be positive".into()));
        }
        let body = json!({
            "amount": {"currency": "EUR", "value": amount_string(req.amount_cents)},
            "description": req.description,
            "redirectUrl": req.redirect_url,
            "webhookUrl": req.webhook_url,
            "metadata": {"reference": req.reference},
        });
        let request = self
            .http
            .post(format!("{}/payments", self.base_url))
            .header("Idempotency-Key", &req.idempotency_key)
            .json(&body);
        let answer = self.send("create payment", request).await?;
        let payment = parse_payment(&answer)?;
        tracing::debug!(payment = %payment.id, status = payment.status.as_str(), reference = %req.reference, "Mollie payment created");
        Ok(payment)
    }

    /// The payment as Mollie has it now (`GET /payments/{id}`). An id without the shape of a
    /// payment id (`tr_` and letters and digits) is [`ProviderError::NotFound`] without asking
    /// Mollie: ids come from unauthenticated webhooks and must not be spliced into URLs.
    pub async fn get(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        if !is_payment_id(id) {
            return Err(ProviderError::NotFound);
        }
        let answer = self.send("get payment", self.http.get(format!("{}/payments/{id}", self.base_url))).await?;
        let payment = parse_payment(&answer)?;
        if payment.id != id {
            return Err(ProviderError::Protocol(format!("asked for payment {id}, got {}", payment.id)));
        }
        Ok(payment)
    }

    /// Refunds `amount_cents` of a paid payment (`POST /payments/{id}/refunds`). Mollie refuses
    /// (422, [`ProviderError::Refused`]) more than was paid minus what was refunded already, and
    /// refunds of payments that are not paid.
    pub async fn refund(
        &self,
        id: &str,
        amount_cents: i64,
        description: &str,
        idempotency_key: &str,
    ) -> Result<ProviderRefund, ProviderError> {
        if !is_payment_id(id) {
            return Err(ProviderError::NotFound);
        }
        if amount_cents <= 0 {
            return Err(ProviderError::Refused("a refund's amount must be positive".into()));
        }
        let body = json!({
            "amount": {"currency": "EUR", "value": amount_string(amount_cents)},
            "description": description,
        });
        let request = self
            .http
            .post(format!("{}/payments/{id}/refunds", self.base_url))
            .header("Idempotency-Key", idempotency_key)
            .json(&body);
        let answer = self.send("create refund", request).await?;
        let refund = parse_refund(&answer)?;
        tracing::debug!(payment = %id, refund = %refund.id, status = %refund.status, "Mollie refund created");
        Ok(refund)
    }

    /// Sends with the key and returns the body of a 2xx answer; anything else becomes an error.
    async fn send(&self, what: &'static str, request: reqwest::RequestBuilder) -> Result<Vec<u8>, ProviderError> {
        let response = request.bearer_auth(&self.api_key).send().await.map_err(|e| transport_error(what, e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| transport_error(what, e))?;
        if (200..300).contains(&status) {
            return Ok(body.to_vec());
        }
        let error = http_error(status, &body, &self.api_key);
        tracing::debug!(status, error = %error, "Mollie answered an error to {what}");
        Err(error)
    }
}

/// Whether `s` has the shape of a Mollie payment id: `tr_` and 1 to 61 ASCII letters and digits.
pub fn is_payment_id(s: &str) -> bool {
    has_id_shape(s, "tr_")
}

fn has_id_shape(s: &str, prefix: &str) -> bool {
    s.len() <= MAX_ID
        && s.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The payment id of a webhook call: Mollie posts only `id=tr_…` (form-encoded), never the
/// status, so balie fetches the payment with [`Mollie::get`]. `None` for anything else (other
/// fields, several ids, an id of another shape).
pub fn parse_webhook(body: &str) -> Option<String> {
    let mut pairs = form_urlencoded::parse(body.trim().as_bytes());
    let (name, value) = pairs.next()?;
    if name != "id" || pairs.next().is_some() || !is_payment_id(&value) {
        return None;
    }
    Some(value.into_owned())
}

/// Mollie's payment statuses; `invoiced` is balie's own and never comes from Mollie.
fn payment_status(s: &str) -> Result<PaymentStatus, ProviderError> {
    Ok(match s {
        "open" => PaymentStatus::Open,
        "pending" => PaymentStatus::Pending,
        "authorized" => PaymentStatus::Authorized,
        "paid" => PaymentStatus::Paid,
        "canceled" => PaymentStatus::Canceled,
        "expired" => PaymentStatus::Expired,
        "failed" => PaymentStatus::Failed,
        other => return Err(ProviderError::Protocol(format!("unknown payment status {:?}", truncate(other)))),
    })
}

#[derive(Deserialize)]
struct Amount {
    currency: String,
    value: String,
}

impl Amount {
    fn cents(&self, what: &str) -> Result<i64, ProviderError> {
        if self.currency != "EUR" {
            return Err(ProviderError::Protocol(format!("{what} in {:?}, not EUR", truncate(&self.currency))));
        }
        parse_amount(&self.value)
            .ok_or_else(|| ProviderError::Protocol(format!("{what} {:?} is not an amount", truncate(&self.value))))
    }
}

#[derive(Deserialize, Default)]
struct Link {
    href: String,
}

#[derive(Deserialize, Default)]
struct PaymentLinks {
    #[serde(default)]
    checkout: Option<Link>,
}

/// The fields of Mollie's payment object that balie uses; the others are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentObject {
    resource: String,
    id: String,
    status: String,
    amount: Amount,
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    amount_refunded: Option<Amount>,
    #[serde(default, rename = "_links")]
    links: Option<PaymentLinks>,
}

#[derive(Deserialize)]
struct RefundObject {
    resource: String,
    id: String,
    status: String,
    amount: Amount,
}

fn parse_payment(body: &[u8]) -> Result<ProviderPayment, ProviderError> {
    let p: PaymentObject =
        serde_json::from_slice(body).map_err(|e| ProviderError::Protocol(format!("payment object: {e}")))?;
    if p.resource != "payment" {
        return Err(ProviderError::Protocol(format!("expected a payment, got a {:?}", truncate(&p.resource))));
    }
    if !is_payment_id(&p.id) {
        return Err(ProviderError::Protocol(format!("payment id {:?}", truncate(&p.id))));
    }
    let expires_at = match p.expires_at.as_deref() {
        None => None,
        Some(s) => Some(
            s.parse::<Timestamp>()
                .map_err(|_| ProviderError::Protocol(format!("expiresAt {:?} is not a time", truncate(s))))?,
        ),
    };
    Ok(ProviderPayment {
        status: payment_status(&p.status)?,
        amount_cents: p.amount.cents("amount")?,
        refunded_cents: match &p.amount_refunded {
            Some(a) => a.cents("amountRefunded")?,
            None => 0,
        },
        checkout_url: p.links.and_then(|l| l.checkout).map(|l| l.href),
        expires_at,
        id: p.id,
    })
}

fn parse_refund(body: &[u8]) -> Result<ProviderRefund, ProviderError> {
    let r: RefundObject =
        serde_json::from_slice(body).map_err(|e| ProviderError::Protocol(format!("refund object: {e}")))?;
    if r.resource != "refund" {
        return Err(ProviderError::Protocol(format!("expected a refund, got a {:?}", truncate(&r.resource))));
    }
    if !has_id_shape(&r.id, "re_") {
        return Err(ProviderError::Protocol(format!("refund id {:?}", truncate(&r.id))));
    }
    // Passed on as Mollie says it (queued, pending, processing, refunded, failed, canceled): a
    // refund Mollie has accepted is not turned into an error because of a status added later.
    if r.status.is_empty() || !r.status.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(ProviderError::Protocol(format!("refund status {:?}", truncate(&r.status))));
    }
    Ok(ProviderRefund { amount_cents: r.amount.cents("amount")?, id: r.id, status: r.status })
}

/// Mollie's error body (`application/hal+json`); `field` names the offending parameter.
#[derive(Deserialize)]
struct Problem {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    field: Option<String>,
}

/// The error for a non-2xx answer. The message is Mollie's `detail` (or `title`), shortened and
/// with the API key blanked out should an answer ever echo it.
fn http_error(status: u16, body: &[u8], api_key: &str) -> ProviderError {
    let problem = serde_json::from_slice::<Problem>(body).ok();
    let mut message = match problem.as_ref().and_then(|p| p.detail.clone().or_else(|| p.title.clone())) {
        Some(text) => format!("HTTP {status}: {}", truncate(&text)),
        None => format!("HTTP {status}"),
    };
    if let Some(field) = problem.and_then(|p| p.field) {
        message.push_str(&format!(" (field {})", truncate(&field)));
    }
    if !api_key.is_empty() {
        message = message.replace(api_key, "[redacted]");
    }
    match status {
        404 => ProviderError::NotFound,
        429 | 500..=599 => ProviderError::Unavailable(message),
        400..=499 => ProviderError::Refused(message),
        _ => ProviderError::Protocol(format!("unexpected {message}")),
    }
}

/// A failure to get an answer at all. The message names the kind and the innermost cause
/// (`Connection refused`, …); never the URL's query or any header.
fn transport_error(what: &str, e: reqwest::Error) -> ProviderError {
    if e.is_builder() {
        // A base URL that is not a URL, or an API key that cannot be a header value.
        return ProviderError::Refused(format!("{what}: the request could not be built (check the base URL and key)"));
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "no answer"
    };
    let e = e.without_url();
    let mut cause: &dyn std::error::Error = &e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    ProviderError::Unavailable(format!("{what}: {kind} ({})", truncate(&cause.to_string())))
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= MAX_DETAIL {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX_DETAIL).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example payment of Mollie's documentation, shortened.
    const OPEN: &str = r#"{
        "resource": "payment",
        "id": "tr_WDqYK6vllg",
        "mode": "test",
        "createdAt": "2018-03-20T13:13:37+00:00",
        "amount": {"value": "10.00", "currency": "EUR"},
        "description": "Order #12345",
        "method": null,
        "metadata": {"order_id": "12345"},
        "status": "open",
        "isCancelable": false,
        "expiresAt": "2018-03-20T13:28:37+00:00",
        "details": null,
        "profileId": "pfl_QkEhN94Ba",
        "sequenceType": "oneoff",
        "redirectUrl": "https://webshop.example.org/order/12345/",
        "webhookUrl": "https://webshop.example.org/payments/webhook/",
        "_links": {
            "self": {"href": "https://api.mollie.com/v2/payments/tr_WDqYK6vllg", "type": "application/hal+json"},
            "checkout": {"href": "https://www.mollie.com/payscreen/select-method/WDqYK6vllg", "type": "text/html"},
            "documentation": {"href": "https://docs.mollie.com/reference/v2/payments-api/get-payment", "type": "text/html"}
        }
    }"#;

    fn with(field: &str, value: serde_json::Value) -> Vec<u8> {
        let mut v: serde_json::Value = serde_json::from_str(OPEN).unwrap();
        v[field] = value;
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn parses_the_documented_payment() {
        let p = parse_payment(OPEN.as_bytes()).unwrap();
        assert_eq!(p.id, "tr_WDqYK6vllg");
        assert_eq!(p.status, PaymentStatus::Open);
        assert_eq!(p.amount_cents, 1000);
        assert_eq!(p.refunded_cents, 0);
        assert_eq!(p.checkout_url.as_deref(), Some("https://www.mollie.com/payscreen/select-method/WDqYK6vllg"));
        assert_eq!(p.expires_at, Some("2018-03-20T13:28:37Z".parse().unwrap()));
    }

    #[test]
    fn paid_and_refunded_without_checkout() {
        let mut v: serde_json::Value = serde_json::from_str(OPEN).unwrap();
        v["status"] = "paid".into();
        v["amountRefunded"] = json!({"value": "2.50", "currency": "EUR"});
        v.as_object_mut().unwrap().remove("expiresAt");
        v["_links"].as_object_mut().unwrap().remove("checkout");
        let p = parse_payment(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!((p.status, p.refunded_cents, p.checkout_url, p.expires_at), (PaymentStatus::Paid, 250, None, None));
        // `_links` itself missing or null is no problem either.
        v["_links"] = serde_json::Value::Null;
        assert!(parse_payment(&serde_json::to_vec(&v).unwrap()).is_ok());
    }

    #[test]
    fn every_mollie_status_maps_and_nothing_else() {
        for (s, expected) in [
            ("open", PaymentStatus::Open),
            ("pending", PaymentStatus::Pending),
            ("authorized", PaymentStatus::Authorized),
            ("paid", PaymentStatus::Paid),
            ("canceled", PaymentStatus::Canceled),
            ("expired", PaymentStatus::Expired),
            ("failed", PaymentStatus::Failed),
        ] {
            assert_eq!(payment_status(s).unwrap(), expected);
            assert_eq!(parse_payment(&with("status", s.into())).unwrap().status, expected);
        }
        for s in ["invoiced", "cancelled", "PAID", "", "refunded"] {
            assert!(matches!(payment_status(s), Err(ProviderError::Protocol(_))), "{s}");
            assert!(matches!(parse_payment(&with("status", s.into())), Err(ProviderError::Protocol(_))), "{s}");
        }
    }

    #[test]
    fn odd_payments_are_protocol_errors() {
        for (field, value) in [
            ("resource", json!("refund")),
            ("id", json!("re_abc")),
            ("id", json!("tr_../x")),
            ("amount", json!({"value": "10.00", "currency": "USD"})),
            ("amount", json!({"value": "10", "currency": "EUR"})),
            ("amount", json!({"value": 10, "currency": "EUR"})),
            ("amountRefunded", json!({"value": "1.5", "currency": "EUR"})),
            ("expiresAt", json!("tomorrow")),
            ("status", json!(null)),
        ] {
            let r = parse_payment(&with(field, value.clone()));
            assert!(matches!(r, Err(ProviderError::Protocol(_))), "{field}: {value} gave {r:?}");
        }
        assert!(matches!(parse_payment(b"<html>"), Err(ProviderError::Protocol(_))));
    }

    #[test]
    fn refunds() {
        let body = br#"{"resource": "refund", "id": "re_4qqhO89gsT", "amount": {"currency": "EUR", "value": "5.95"},
            "status": "pending", "createdAt": "2018-03-14T17:09:02+00:00", "description": "Order",
            "paymentId": "tr_WDqYK6vllg"}"#;
        let r = parse_refund(body).unwrap();
        assert_eq!(r, ProviderRefund { id: "re_4qqhO89gsT".into(), status: "pending".into(), amount_cents: 595 });
        let odd = br#"{"resource": "payment", "id": "re_1", "amount": {"currency": "EUR", "value": "5.95"}, "status": "pending"}"#;
        assert!(matches!(parse_refund(odd), Err(ProviderError::Protocol(_))));
        let odd = br#"{"resource": "refund", "id": "tr_1", "amount": {"currency": "EUR", "value": "5.95"}, "status": "pending"}"#;
        assert!(matches!(parse_refund(odd), Err(ProviderError::Protocol(_))));
    }

    #[test]
    fn errors_map_by_status() {
        let body = br#"{"status": 422, "title": "Unprocessable Entity",
            "detail": "The amount is higher than the amount that can be refunded", "field": "amount",
            "_links": {"documentation": {"href": "https://docs.mollie.com/overview/handling-errors", "type": "text/html"}}}"#;
        match http_error(422, body, "test_key") {
            ProviderError::Refused(m) => {
                assert!(m.contains("higher than the amount that can be refunded"), "{m}");
                assert!(m.contains("field amount"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(http_error(404, b"{}", "k"), ProviderError::NotFound));
        for s in [400, 401, 403, 409, 410, 415, 422] {
            assert!(matches!(http_error(s, b"", "k"), ProviderError::Refused(_)), "{s}");
        }
        for s in [429, 500, 502, 503, 504] {
            assert!(matches!(http_error(s, b"not json", "k"), ProviderError::Unavailable(_)), "{s}");
        }
        for s in [101, 301, 304] {
            assert!(matches!(http_error(s, b"", "k"), ProviderError::Protocol(_)), "{s}");
        }
        // Only a title: that is the message.
        let m = http_error(401, br#"{"status": 401, "title": "Unauthorized Request"}"#, "k").to_string();
        assert!(m.contains("Unauthorized Request"), "{m}");
    }

    #[test]
    fn the_key_never_shows() {
        let key = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM";
        let body = format!(r#"{{"status": 401, "title": "Unauthorized", "detail": "Key {key} is not valid"}}"#);
        let m = http_error(401, body.as_bytes(), key).to_string();
        assert!(!m.contains(key) && m.contains("[redacted]"), "{m}");
        let client = Mollie::new("https://api.mollie.com/v2/", key);
        let debug = format!("{client:?}");
        assert!(!debug.contains(key), "{debug}");
        assert_eq!(client.base_url(), DEFAULT_BASE_URL);
    }

    #[test]
    fn long_details_are_shortened() {
        let body = format!(r#"{{"detail": "{}"}}"#, "x".repeat(5000));
        let m = http_error(422, body.as_bytes(), "k").to_string();
        assert!(m.len() < 500, "{}", m.len());
    }

    #[test]
    fn payment_ids() {
        for ok in ["tr_WDqYK6vllg", "tr_1", "tr_ABCdef123"] {
            assert!(is_payment_id(ok), "{ok}");
        }
        let long = format!("tr_{}", "a".repeat(62));
        for bad in
            ["", "tr_", "tr", "re_WDqYK6vllg", "tr_abc/refunds", "tr_../x", "tr_abc?x=1", "tr_ab c", "TR_abc", &long]
        {
            assert!(!is_payment_id(bad), "{bad}");
        }
    }

    #[test]
    fn webhook_bodies() {
        assert_eq!(parse_webhook("id=tr_d0b0E3EA3v").as_deref(), Some("tr_d0b0E3EA3v"));
        assert_eq!(parse_webhook("id=tr_d0b0E3EA3v\r\n").as_deref(), Some("tr_d0b0E3EA3v"));
        for bad in [
            "",
            "id=",
            "id=tr_",
            "id=ord_abc",
            "id=tr_abc%2F..%2Fx",
            "id=tr_a&id=tr_b",
            "id=tr_a&status=paid",
            "status=paid&id=tr_a",
            "{\"id\": \"tr_a\"}",
            "tr_abc",
        ] {
            assert_eq!(parse_webhook(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn bad_amounts_and_ids_never_leave() {
        // Nothing listens on port 9 of 127.0.0.1; but none of these even tries.
        let m = Mollie::new("http://127.0.0.1:9/v2", "k");
        assert!(matches!(m.get("tr_a/../b").await, Err(ProviderError::NotFound)));
        assert!(matches!(m.refund("x", 100, "d", "k").await, Err(ProviderError::NotFound)));
        assert!(matches!(m.refund("tr_a", 0, "d", "k").await, Err(ProviderError::Refused(_))));
        let req = CreatePayment {
            amount_cents: -5,
            description: "d".into(),
            redirect_url: "https://example.org/".into(),
            webhook_url: "https://example.org/hook".into(),
            idempotency_key: "k".into(),
            reference: "r".into(),
        };
        assert!(matches!(m.create(&req).await, Err(ProviderError::Refused(_))));
        // And a real attempt at a closed port is Unavailable.
        assert!(matches!(m.get("tr_a").await, Err(ProviderError::Unavailable(_))));
    }
}

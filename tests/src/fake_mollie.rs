//! A fake Mollie: a local HTTP server (axum on `127.0.0.1:0`, on the current tokio runtime) that
//! speaks the parts of Mollie's Payments API v2 balie uses, plus a Rust control API for tests.
//!
//! ```ignore
//! let mollie = FakeMollie::start("test_secret").await;
//! // point balie at mollie.base_url() (BALIE_MOLLIE_API_URL) with the key "test_secret"
//! mollie.set_status(&id, "paid");            // and the webhook goes out, as Mollie does
//! mollie.wait_deliveries(1, Duration::from_secs(5)).await;
//! assert_eq!(mollie.deliveries()[0].answer, Some(200));
//! ```
//!
//! # What it reproduces
//!
//! Written mostly from memory of Mollie's public documentation (docs.mollie.com, Payments API
//! v2), with the webhook and idempotency pages re-read; never checked against the live API.
//! Where unsure, the choice is noted.
//!
//! - **Authentication**: `Authorization: Bearer <API key>`; anything else is 401 with
//!   "Missing authentication, or failed to authenticate".
//! - **Errors**: `application/hal+json` bodies `{"status", "title", "detail", "field"?,
//!   "_links": {"documentation"}}`; 401, 404 ("No payment exists with token tr_…."), 422 for
//!   invalid parameters with `field` naming the parameter. *Unsure*: the exact wording of the
//!   details, and whether unparseable JSON is 400 (here) or 422.
//! - **Create payment** `POST /v2/payments`: `amount` `{"currency", "value"}` with the value as a
//!   string with exactly two decimals (only EUR here; Mollie has more currencies), at least
//!   0.01; `description` required (≤ 255 characters); `redirectUrl` required; `webhookUrl` and
//!   `metadata` optional. Answers 201 with the payment object: `resource: "payment"`,
//!   `id: "tr_…"`, `mode: "test"`, `createdAt`, `amount`, `description`, `metadata`, `status:
//!   "open"`, `expiresAt` (15 minutes after creation here, while open or pending), `profileId`,
//!   `sequenceType`, `redirectUrl`, `webhookUrl`, `_links.self` and, while open,
//!   `_links.checkout.href` (pointing at this fake's own checkout page, `/checkout/tr_…`).
//!   Paid payments also carry `paidAt`, `amountRefunded` and `amountRemaining`. Timestamps as
//!   Mollie writes them: `2018-03-20T13:13:37+00:00`. Unlike Mollie, a `localhost` webhook URL
//!   is accepted, and open payments do not expire by themselves (use `set_status(id,
//!   "expired")`).
//! - **Idempotency**: an `Idempotency-Key` header on a POST makes a repeat of the same request
//!   (same path, same body) answer the first answer again, stored as it was. *Unsure*: Mollie
//!   keeps keys for a limited time (an hour or so) and refuses the same key with another body;
//!   here keys never expire and a different body is 422. Only 2xx answers are stored, so a
//!   request that failed can be retried with its key.
//! - **Get payment** `GET /v2/payments/{id}`: the payment object as it is now, or 404.
//! - **Create refund** `POST /v2/payments/{id}/refunds` `{"amount", "description"?}`: 422
//!   unless the payment is `paid`, 422 (field `amount`) when the amount exceeds the amount paid
//!   minus what was refunded already; otherwise 201 with the refund object (`resource:
//!   "refund"`, `id: "re_…"`, `amount`, `status: "pending"`, `createdAt`, `description`,
//!   `paymentId`). `GET /v2/payments/{id}/refunds` lists them (`_embedded.refunds`, `count`).
//!   Refunds stay `pending` until [`FakeMollie::set_refund_status`].
//! - **Webhooks** (docs: "Webhooks"): Mollie POSTs to the payment's `webhookUrl` with
//!   `Content-Type: application/x-www-form-urlencoded` and the body `id=tr_…`, nothing else; the
//!   receiver must fetch the payment. The Payments API calls it when a payment *reaches* `paid`,
//!   `authorized`, `expired`, `failed` or `canceled` (not `open` or `pending`), and when a refund
//!   reaches `processing`, `refunded` or `failed` (with the payment's id). "Return 200 OK";
//!   otherwise Mollie keeps retrying (from memory: up to 10 times over about 26 hours, with
//!   growing intervals). Here: any 2xx counts as delivered (*unsure* whether Mollie insists on
//!   exactly 200); redirects are not followed and count as failures; the schedule is
//!   [`WebhookRetry`] (default 10 attempts, 100 ms doubling, at most 2 s apart), so tests take
//!   seconds, not a day. [`FakeMollie::webhook_on_every_status`] also notifies `open` and
//!   `pending` (a harsher receiver test than Mollie gives).
//! - **Checkout**: Mollie's test mode shows a page where one picks the outcome. Here `GET
//!   /checkout/tr_…` is a small form with paid / failed / canceled / expired buttons; choosing one
//!   sets the status (webhook included) and redirects (303) to the payment's `redirectUrl`.
//!
//! # Knobs beyond Mollie
//!
//! Webhooks for every status ([`FakeMollie::webhook_on_every_status`]), delivered twice
//! ([`FakeMollie::duplicate_webhooks`]), held and released in a chosen
//! order ([`FakeMollie::hold_webhooks`], [`FakeMollie::release_webhooks`]), API calls failing
//! with 503 or another status ([`FakeMollie::fail_next`], [`FakeMollie::fail_all`]) or answering
//! slowly ([`FakeMollie::set_delay`]), and logs of every request received
//! ([`FakeMollie::requests`]) and every webhook attempt with its answer
//! ([`FakeMollie::deliveries`]).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use jiff::Timestamp;
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::{json, Value};
use tokio::task::AbortHandle;

const HAL: &str = "application/hal+json";
const ERRORS_DOC: &str = "https://docs.mollie.com/overview/handling-errors";
/// How long an open payment may be paid.
const EXPIRY: Duration = Duration::from_secs(15 * 60);
/// The payment statuses Mollie calls the webhook for.
const NOTIFIED: [&str; 5] = ["paid", "authorized", "expired", "failed", "canceled"];
/// The refund statuses Mollie calls the payment's webhook for.
const REFUND_NOTIFIED: [&str; 3] = ["processing", "refunded", "failed"];

/// How webhooks are retried: attempt 1 at once, then waits of `first_backoff`, doubling, at most
/// `max_backoff`, until a 2xx answer or `attempts` attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookRetry {
    pub attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long one attempt may take before it counts as failed.
    pub timeout: Duration,
}

impl Default for WebhookRetry {
    fn default() -> Self {
        WebhookRetry {
            attempts: 10,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
        }
    }
}

/// One request the fake received (API and checkout page alike), with its answer's status.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, e.g. `/v2/payments/tr_abc`.
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
    /// The status the fake answered.
    pub status: u16,
    /// When, since the fake started.
    pub at: Duration,
}

impl RecordedRequest {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One attempt at delivering a webhook.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Numbers one notification (a status change; each copy of a duplicated one has its own).
    pub notification: u64,
    /// Whether this notification is the second copy of a duplicated one.
    pub duplicate: bool,
    pub payment_id: String,
    /// What the notification is about (the fake's bookkeeping: Mollie sends only the id): the
    /// payment's new status, or `refund re_… <status>` for a refund's.
    pub status: String,
    pub url: String,
    /// 1 for the first attempt of this notification.
    pub attempt: u32,
    /// When the attempt started, since the fake started.
    pub at: Duration,
    /// The receiver's status code; `None` when it could not be reached or timed out.
    pub answer: Option<u16>,
    /// Why there is no answer.
    pub error: Option<String>,
}

impl Delivery {
    pub fn delivered(&self) -> bool {
        self.answer.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A webhook held back by [`FakeMollie::hold_webhooks`].
#[derive(Debug, Clone)]
pub struct HeldWebhook {
    pub payment_id: String,
    /// The status the payment was changed to.
    pub status: String,
    /// The payment object as it was right after that change.
    pub snapshot: Value,
    url: String,
}

#[derive(Debug, Clone)]
struct Refund {
    id: String,
    amount_cents: i64,
    description: String,
    status: String,
    created_at: Timestamp,
}

#[derive(Debug, Clone)]
struct Payment {
    id: String,
    created_at: Timestamp,
    amount_cents: i64,
    description: String,
    redirect_url: String,
    webhook_url: Option<String>,
    metadata: Value,
    status: String,
    changed_at: Timestamp,
    refunds: Vec<Refund>,
}

impl Payment {
    fn refunded_cents(&self) -> i64 {
        self.refunds.iter().filter(|r| r.status != "failed" && r.status != "canceled").map(|r| r.amount_cents).sum()
    }

    fn json(&self, origin: &str) -> Value {
        let mut links = json!({
            "self": {"href": format!("{origin}/v2/payments/{}", self.id), "type": HAL},
            "dashboard": {"href": format!("{origin}/dashboard/payments/{}", self.id), "type": "text/html"},
            "documentation": {"href": "https://docs.mollie.com/reference/v2/payments-api/get-payment", "type": "text/html"},
        });
        if self.status == "open" {
            links["checkout"] = json!({"href": format!("{origin}/checkout/{}", self.id), "type": "text/html"});
        }
        if !self.refunds.is_empty() {
            links["refunds"] = json!({"href": format!("{origin}/v2/payments/{}/refunds", self.id), "type": HAL});
        }
        let mut v = json!({
            "resource": "payment",
            "id": self.id,
            "mode": "test",
            "createdAt": iso(self.created_at),
            "amount": amount(self.amount_cents),
            "description": self.description,
            "method": null,
            "metadata": self.metadata,
            "status": self.status,
            "isCancelable": false,
            "profileId": "pfl_FakeMollie",
            "sequenceType": "oneoff",
            "redirectUrl": self.redirect_url,
            "_links": links,
        });
        if let Some(url) = &self.webhook_url {
            v["webhookUrl"] = url.as_str().into();
        }
        if matches!(self.status.as_str(), "open" | "pending") {
            v["expiresAt"] = iso(self.created_at + EXPIRY).into();
        }
        let at = iso(self.changed_at);
        match self.status.as_str() {
            "paid" => {
                v["paidAt"] = at.into();
                v["amountRefunded"] = amount(self.refunded_cents());
                v["amountRemaining"] = amount(self.amount_cents - self.refunded_cents());
            }
            "canceled" => v["canceledAt"] = at.into(),
            "expired" => v["expiredAt"] = at.into(),
            "failed" => v["failedAt"] = at.into(),
            "authorized" => v["authorizedAt"] = at.into(),
            _ => {}
        }
        v
    }
}

fn refund_json(r: &Refund, payment_id: &str, origin: &str) -> Value {
    json!({
        "resource": "refund",
        "id": r.id,
        "amount": amount(r.amount_cents),
        "status": r.status,
        "createdAt": iso(r.created_at),
        "description": r.description,
        "metadata": null,
        "paymentId": payment_id,
        "_links": {
            "self": {"href": format!("{origin}/v2/payments/{payment_id}/refunds/{}", r.id), "type": HAL},
            "payment": {"href": format!("{origin}/v2/payments/{payment_id}"), "type": HAL},
            "documentation": {"href": "https://docs.mollie.com/reference/v2/refunds-api/create-payment-refund", "type": "text/html"},
        },
    })
}

fn amount(cents: i64) -> Value {
    json!({"currency": "EUR", "value": format!("{}.{:02}", cents / 100, cents % 100)})
}

/// Mollie's way of writing a time: `2018-03-20T13:13:37+00:00`.
fn iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn new_id(prefix: &str) -> String {
    let tail: String = rand::thread_rng().sample_iter(&Alphanumeric).take(10).map(char::from).collect();
    format!("{prefix}{tail}")
}

#[derive(Default)]
struct Stored {
    payments: HashMap<String, Payment>,
    /// Creation order.
    order: Vec<String>,
    /// (method and path, key) → (request body, status, answer).
    idempotent: HashMap<(String, String), (Bytes, u16, Value)>,
    fail_next: VecDeque<u16>,
    fail_all: Option<u16>,
    delay: Duration,
    requests: Vec<RecordedRequest>,
    deliveries: Vec<Delivery>,
    retry: WebhookRetry,
    every_status: bool,
    duplicate: bool,
    hold: bool,
    held: Vec<HeldWebhook>,
    /// While a released webhook is delivered: what `GET` answers for its payment.
    views: HashMap<String, Value>,
    tasks: Vec<AbortHandle>,
}

struct Inner {
    api_key: String,
    origin: String,
    started: Instant,
    state: Mutex<Stored>,
    webhook_http: reqwest::Client,
    notifications: AtomicU64,
    in_flight: AtomicUsize,
    runtime: tokio::runtime::Handle,
}

/// The fake; stops (server and webhook deliveries) when dropped.
pub struct FakeMollie {
    inner: Arc<Inner>,
    server: AbortHandle,
}

impl Drop for FakeMollie {
    fn drop(&mut self) {
        self.server.abort();
        for task in self.inner.lock().tasks.drain(..) {
            task.abort();
        }
    }
}

impl std::fmt::Debug for FakeMollie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeMollie").field("origin", &self.inner.origin).finish_non_exhaustive()
    }
}

impl FakeMollie {
    /// Starts a fake that accepts `api_key` (e.g. `test_…`), on 127.0.0.1 and a free port, served
    /// by the current tokio runtime.
    pub async fn start(api_key: &str) -> FakeMollie {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port for the fake Mollie");
        let addr = listener.local_addr().expect("local address");
        let inner = Arc::new(Inner {
            api_key: api_key.to_string(),
            origin: format!("http://{addr}"),
            started: Instant::now(),
            state: Mutex::new(Stored::default()),
            webhook_http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent("Mollie/fake")
                .build()
                .expect("an HTTP client"),
            notifications: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            runtime: tokio::runtime::Handle::current(),
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake Mollie serves");
        })
        .abort_handle();
        FakeMollie { inner, server }
    }

    /// The API's base URL, like `https://api.mollie.com/v2`: `http://127.0.0.1:PORT/v2`.
    pub fn base_url(&self) -> String {
        format!("{}/v2", self.inner.origin)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    pub fn api_key(&self) -> &str {
        &self.inner.api_key
    }

    /// Changes a payment's status (Mollie's word: `paid`, `failed`, … or anything, to test
    /// unknown statuses) and, as Mollie does, notifies its `webhookUrl` in the background when
    /// the status is one Mollie notifies (`paid`, `authorized`, `expired`, `failed`,
    /// `canceled`; any status with [`FakeMollie::webhook_on_every_status`]), retrying as
    /// [`WebhookRetry`] says. Panics when there is no such payment.
    pub fn set_status(&self, id: &str, status: &str) {
        self.inner.set_status(id, status, true);
    }

    /// Changes a refund's status (`queued`, `pending`, `processing`, `refunded`, `failed`,
    /// `canceled`) and notifies the payment's `webhookUrl` for `processing`, `refunded` and
    /// `failed`, as Mollie does. A failed or canceled refund no longer counts in
    /// `amountRefunded`. Panics when there is no such payment or refund.
    pub fn set_refund_status(&self, payment_id: &str, refund_id: &str, status: &str) {
        let mut s = self.inner.lock();
        let payment = s.payments.get_mut(payment_id).unwrap_or_else(|| panic!("no payment {payment_id}"));
        let refund = payment
            .refunds
            .iter_mut()
            .find(|r| r.id == refund_id)
            .unwrap_or_else(|| panic!("no refund {refund_id} of {payment_id}"));
        refund.status = status.to_string();
        let snapshot = payment.json(&self.inner.origin);
        let url = payment.webhook_url.clone();
        if let Some(url) = url.filter(|_| s.every_status || REFUND_NOTIFIED.contains(&status)) {
            self.inner.notify(&mut s, payment_id, &format!("refund {refund_id} {status}"), snapshot, url);
        }
    }

    /// The refunds of a payment as `GET /v2/payments/{id}/refunds` lists them, oldest first.
    pub fn refunds(&self, payment_id: &str) -> Vec<Value> {
        let s = self.inner.lock();
        let Some(p) = s.payments.get(payment_id) else { return Vec::new() };
        p.refunds.iter().map(|r| refund_json(r, payment_id, &self.inner.origin)).collect()
    }

    /// Changes a payment's status without any webhook (a webhook Mollie lost or gave up on).
    pub fn set_status_without_webhook(&self, id: &str, status: &str) {
        self.inner.set_status(id, status, false);
    }

    /// The payment object as `GET` answers it now (ignoring any view of
    /// [`FakeMollie::release_webhooks`]).
    pub fn payment(&self, id: &str) -> Option<Value> {
        self.inner.lock().payments.get(id).map(|p| p.json(&self.inner.origin))
    }

    /// The ids of all payments, oldest first.
    pub fn payment_ids(&self) -> Vec<String> {
        self.inner.lock().order.clone()
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.lock().requests.clone()
    }

    /// Every webhook attempt so far, in the order they were answered.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.lock().deliveries.clone()
    }

    /// The webhook attempts for one payment.
    pub fn deliveries_for(&self, id: &str) -> Vec<Delivery> {
        self.deliveries().into_iter().filter(|d| d.payment_id == id).collect()
    }

    /// Forgets the logs of requests and deliveries.
    pub fn clear_logs(&self) {
        let mut s = self.inner.lock();
        s.requests.clear();
        s.deliveries.clear();
    }

    /// Waits until at least `n` webhook attempts were made, and returns them all. Panics after
    /// `timeout`.
    pub async fn wait_deliveries(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + timeout;
        loop {
            let all = self.deliveries();
            if all.len() >= n {
                return all;
            }
            assert!(Instant::now() < deadline, "{} webhook attempts after {timeout:?}, not {n}: {all:#?}", all.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until no webhook is being delivered or waiting for its next attempt. Panics after
    /// `timeout`.
    pub async fn settle(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.inner.in_flight.load(Ordering::SeqCst) > 0 {
            assert!(Instant::now() < deadline, "webhooks still being delivered after {timeout:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// How webhooks are retried from now on.
    pub fn set_webhook_retry(&self, retry: WebhookRetry) {
        assert!(retry.attempts >= 1, "at least one attempt");
        self.inner.lock().retry = retry;
    }

    /// Whether `set_status` notifies every status, `open` and `pending` included (Mollie does
    /// not), and every refund status.
    pub fn webhook_on_every_status(&self, on: bool) {
        self.inner.lock().every_status = on;
    }

    /// Whether each webhook is sent twice: two notifications at the same time, each with its own
    /// retries (what a receiver sees when Mollie retries an attempt that did arrive).
    pub fn duplicate_webhooks(&self, on: bool) {
        self.inner.lock().duplicate = on;
    }

    /// Whether webhooks are held back (queued with a snapshot of the payment) instead of sent;
    /// see [`FakeMollie::release_webhooks`].
    pub fn hold_webhooks(&self, on: bool) {
        self.inner.lock().hold = on;
    }

    /// The webhooks held so far, in the order of the status changes.
    pub fn held_webhooks(&self) -> Vec<HeldWebhook> {
        self.inner.lock().held.clone()
    }

    /// Delivers the held webhooks with these indices (into [`FakeMollie::held_webhooks`]), in
    /// this order, one after another (each with its retries, and twice when duplicating), and
    /// forgets the others (webhooks that got lost). While one is being delivered, `GET` of its
    /// payment answers the snapshot taken when it was held: the receiver sees the statuses in
    /// the order given, e.g. `paid` and then a late `open`. Afterwards `GET` answers the present
    /// again. Returns when all are done.
    pub async fn release_webhooks(&self, order: &[usize]) {
        let held = std::mem::take(&mut self.inner.lock().held);
        for &i in order {
            let h = held.get(i).unwrap_or_else(|| panic!("no held webhook {i}; there are {}", held.len())).clone();
            let copies = if self.inner.lock().duplicate { 2 } else { 1 };
            self.inner.lock().views.insert(h.payment_id.clone(), h.snapshot.clone());
            for copy in 0..copies {
                let _busy = Busy::new(&self.inner);
                self.inner.clone().deliver(h.payment_id.clone(), h.status.clone(), h.url.clone(), copy > 0).await;
            }
            self.inner.lock().views.remove(&h.payment_id);
        }
    }

    /// The next `n` API calls answer 503 Service Unavailable.
    pub fn fail_next(&self, n: usize) {
        self.fail_next_with(n, 503);
    }

    /// The next `n` API calls answer `status` (with a Mollie error body).
    pub fn fail_next_with(&self, n: usize, status: u16) {
        self.inner.lock().fail_next.extend(std::iter::repeat_n(status, n));
    }

    /// Every API call answers `status` until `fail_all(None)`.
    pub fn fail_all(&self, status: Option<u16>) {
        self.inner.lock().fail_all = status;
    }

    /// Every API call waits this long before it is answered.
    pub fn set_delay(&self, delay: Duration) {
        self.inner.lock().delay = delay;
    }
}

/// Counts a webhook being delivered while it lives.
struct Busy(Arc<Inner>);

impl Busy {
    fn new(inner: &Arc<Inner>) -> Busy {
        inner.in_flight.fetch_add(1, Ordering::SeqCst);
        Busy(inner.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Stored> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn since_start(&self) -> Duration {
        self.started.elapsed()
    }

    fn set_status(self: &Arc<Self>, id: &str, status: &str, notify: bool) {
        let mut s = self.lock();
        let payment = s.payments.get_mut(id).unwrap_or_else(|| panic!("the fake Mollie has no payment {id}"));
        payment.status = status.to_string();
        payment.changed_at = Timestamp::now();
        let snapshot = payment.json(&self.origin);
        let url = payment.webhook_url.clone();
        let Some(url) = url.filter(|_| notify && (s.every_status || NOTIFIED.contains(&status))) else { return };
        self.notify(&mut s, id, status, snapshot, url);
    }

    /// Sends (or holds) one notification about payment `id`.
    fn notify(self: &Arc<Self>, s: &mut Stored, id: &str, status: &str, snapshot: Value, url: String) {
        if s.hold {
            s.held.push(HeldWebhook { payment_id: id.into(), status: status.into(), snapshot, url });
            return;
        }
        let copies = if s.duplicate { 2 } else { 1 };
        s.tasks.retain(|t| !t.is_finished());
        for copy in 0..copies {
            let busy = Busy::new(self);
            let (me, id, status, url) = (self.clone(), id.to_string(), status.to_string(), url.clone());
            let task = self.runtime.spawn(async move {
                let _busy = busy;
                me.deliver(id, status, url, copy > 0).await;
            });
            s.tasks.push(task.abort_handle());
        }
    }

    /// One notification: attempts until a 2xx answer or the attempts run out.
    async fn deliver(self: Arc<Self>, id: String, status: String, url: String, duplicate: bool) {
        let notification = self.notifications.fetch_add(1, Ordering::SeqCst) + 1;
        let retry = self.lock().retry;
        let mut backoff = retry.first_backoff;
        for attempt in 1..=retry.attempts {
            let at = self.since_start();
            let sent = self
                .webhook_http
                .post(&url)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(format!("id={id}"))
                .timeout(retry.timeout)
                .send()
                .await;
            let (answer, error) = match sent {
                Ok(r) => (Some(r.status().as_u16()), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let delivery = Delivery {
                notification,
                duplicate,
                payment_id: id.clone(),
                status: status.clone(),
                url: url.clone(),
                attempt,
                at,
                answer,
                error,
            };
            let delivered = delivery.delivered();
            self.lock().deliveries.push(delivery);
            if delivered || attempt == retry.attempts {
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(retry.max_backoff);
        }
    }

    /// Answers one API call (after the failure knobs and the key check).
    fn api(self: &Arc<Self>, method: &Method, path: &str, headers: &HeaderMap, body: &Bytes) -> (u16, Value) {
        {
            let mut s = self.lock();
            if let Some(status) = s.fail_next.pop_front().or(s.fail_all) {
                return (status, problem(status, "The fake Mollie was told to fail this request.", None));
            }
        }
        let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if bearer != Some(format!("Bearer {}", self.api_key).as_str()) {
            return (401, problem(401, "Missing authentication, or failed to authenticate", None));
        }
        let Some(rest) = path.strip_prefix("/v2/") else {
            return (404, problem(404, "The requested resource does not exist.", None));
        };
        let segments: Vec<&str> = rest.split('/').collect();
        let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty());
        let scope = format!("{method} {path}");
        if *method == Method::POST {
            if let Some(key) = key {
                if let Some((first_body, status, answer)) =
                    self.lock().idempotent.get(&(scope.clone(), key.to_string())).cloned()
                {
                    if first_body == *body {
                        return (status, answer);
                    }
                    return (422, problem(422, "The idempotency key was already used for a different request.", None));
                }
            }
        }
        let (status, answer) = match (method.clone(), segments.as_slice()) {
            (Method::POST, ["payments"]) => self.create(body),
            (Method::GET, ["payments", id]) => self.get(id),
            (Method::POST, ["payments", id, "refunds"]) => self.refund(id, body),
            (Method::GET, ["payments", id, "refunds"]) => self.list_refunds(id),
            _ => (404, problem(404, "The requested resource does not exist.", None)),
        };
        if let (Some(key), true) = (key, *method == Method::POST && (200..300).contains(&status)) {
            self.lock().idempotent.insert((scope, key.to_string()), (body.clone(), status, answer.clone()));
        }
        (status, answer)
    }

    fn create(&self, body: &Bytes) -> (u16, Value) {
        let req: Value = match serde_json::from_slice(body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return (400, problem(400, "The request body is not a JSON object.", None)),
        };
        let amount_cents = match parse_amount_field(&req["amount"]) {
            Ok(c) => c,
            Err(e) => return e,
        };
        let description = match req["description"].as_str() {
            Some(d) if !d.trim().is_empty() && d.chars().count() <= 255 => d.to_string(),
            _ => return invalid("The description is invalid", "description"),
        };
        let redirect_url = match req["redirectUrl"].as_str() {
            Some(u) if is_http_url(u) => u.to_string(),
            _ => return invalid("The redirect URL is invalid", "redirectUrl"),
        };
        let webhook_url = match &req["webhookUrl"] {
            Value::Null => None,
            Value::String(u) if is_http_url(u) => Some(u.clone()),
            _ => return invalid("The webhook URL is invalid", "webhookUrl"),
        };
        let now = Timestamp::now();
        let payment = Payment {
            id: new_id("tr_"),
            created_at: now,
            amount_cents,
            description,
            redirect_url,
            webhook_url,
            metadata: req["metadata"].clone(),
            status: "open".into(),
            changed_at: now,
            refunds: Vec::new(),
        };
        let answer = payment.json(&self.origin);
        let mut s = self.lock();
        s.order.push(payment.id.clone());
        s.payments.insert(payment.id.clone(), payment);
        (201, answer)
    }

    fn get(&self, id: &str) -> (u16, Value) {
        let s = self.lock();
        if let Some(view) = s.views.get(id) {
            return (200, view.clone());
        }
        match s.payments.get(id) {
            Some(p) => (200, p.json(&self.origin)),
            None => not_found(id),
        }
    }

    fn refund(&self, id: &str, body: &Bytes) -> (u16, Value) {
        let req: Value = match serde_json::from_slice(body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return (400, problem(400, "The request body is not a JSON object.", None)),
        };
        let mut s = self.lock();
        let Some(payment) = s.payments.get_mut(id) else { return not_found(id) };
        let amount_cents = match parse_amount_field(&req["amount"]) {
            Ok(c) => c,
            Err(e) => return e,
        };
        let description = match &req["description"] {
            Value::Null => String::new(),
            Value::String(d) if d.chars().count() <= 255 => d.clone(),
            _ => return invalid("The description is invalid", "description"),
        };
        if payment.status != "paid" {
            return (
                422,
                problem(422, &format!("The payment cannot be refunded: its status is {}", payment.status), None),
            );
        }
        if amount_cents > payment.amount_cents - payment.refunded_cents() {
            return invalid("The amount is higher than the amount that can be refunded", "amount");
        }
        let refund = Refund {
            id: new_id("re_"),
            amount_cents,
            description,
            status: "pending".into(),
            created_at: Timestamp::now(),
        };
        let answer = refund_json(&refund, id, &self.origin);
        payment.refunds.push(refund);
        (201, answer)
    }

    fn list_refunds(&self, id: &str) -> (u16, Value) {
        let s = self.lock();
        let Some(payment) = s.payments.get(id) else { return not_found(id) };
        let refunds: Vec<Value> = payment.refunds.iter().map(|r| refund_json(r, id, &self.origin)).collect();
        (
            200,
            json!({
                "count": refunds.len(),
                "_embedded": {"refunds": refunds},
                "_links": {"self": {"href": format!("{}/v2/payments/{id}/refunds", self.origin), "type": HAL}},
            }),
        )
    }

    /// The checkout page: a form to pick the outcome, as in Mollie's test mode.
    fn checkout(self: &Arc<Self>, method: &Method, path: &str, body: &Bytes) -> Response {
        let id = path.trim_start_matches("/checkout/");
        let Some(payment) = self.lock().payments.get(id).cloned() else {
            return (StatusCode::NOT_FOUND, "no such payment").into_response();
        };
        if *method == Method::POST {
            let form = String::from_utf8_lossy(body);
            let chosen = form.split('&').find_map(|kv| kv.strip_prefix("status="));
            if let Some(status @ ("paid" | "failed" | "canceled" | "expired")) = chosen {
                if payment.status == "open" {
                    self.set_status(id, status, true);
                }
            }
            return (StatusCode::SEE_OTHER, [(header::LOCATION, payment.redirect_url)]).into_response();
        }
        let buttons: String = ["paid", "failed", "canceled", "expired"]
            .iter()
            .map(|s| format!(r#"<button name="status" value="{s}">{s}</button> "#))
            .collect();
        let page = format!(
            "<!doctype html><html lang=en><meta charset=utf-8><title>Fake Mollie checkout</title>\
             <h1>Fake Mollie: {id}</h1><p>€ {} — status {}</p><form method=post>{buttons}</form></html>",
            amount(payment.amount_cents)["value"].as_str().unwrap_or_default(),
            payment.status,
        );
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
    }
}

fn parse_amount_field(v: &Value) -> Result<i64, (u16, Value)> {
    let (Some(currency), Some(value)) = (v["currency"].as_str(), v["value"].as_str()) else {
        return Err(invalid("The amount is invalid: it needs a currency and a value (a string)", "amount"));
    };
    if currency != "EUR" {
        return Err(invalid("The currency is not supported (the fake Mollie knows only EUR)", "amount.currency"));
    }
    let cents = value.split_once('.').and_then(|(euros, cents)| {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (digits(euros) && cents.len() == 2 && digits(cents))
            .then(|| Some(euros.parse::<i64>().ok()? * 100 + cents.parse::<i64>().ok()?))
            .flatten()
    });
    match cents {
        None => Err(invalid("The amount contains an invalid value", "amount.value")),
        Some(0) => Err(invalid("The amount is lower than the minimum", "amount.value")),
        Some(c) => Ok(c),
    }
}

fn is_http_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://")) && !u.contains(char::is_whitespace)
}

fn problem(status: u16, detail: &str, field: Option<&str>) -> Value {
    let title = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    let mut v = json!({
        "status": status,
        "title": title,
        "detail": detail,
        "_links": {"documentation": {"href": ERRORS_DOC, "type": "text/html"}},
    });
    if let Some(f) = field {
        v["field"] = f.into();
    }
    v
}

fn invalid(detail: &str, field: &str) -> (u16, Value) {
    (422, problem(422, detail, Some(field)))
}

fn not_found(id: &str) -> (u16, Value) {
    (404, problem(404, &format!("No payment exists with token {id}."), None))
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let response = if path.starts_with("/checkout/") {
        inner.checkout(&method, &path, &body)
    } else {
        let delay = inner.lock().delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let (status, answer) = inner.api(&method, &path, &headers, &body);
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, [(header::CONTENT_TYPE, HAL)], answer.to_string()).into_response()
    };
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let recorded = RecordedRequest {
        method: method.to_string(),
        path: uri.path_and_query().map(|p| p.to_string()).unwrap_or(path),
        authorization: text(header::AUTHORIZATION),
        idempotency_key: text(header::HeaderName::from_static("idempotency-key")),
        content_type: text(header::CONTENT_TYPE),
        body: String::from_utf8_lossy(&body).into_owned(),
        status: response.status().as_u16(),
        at: inner.since_start(),
    };
    inner.lock().requests.push(recorded);
    response
}

//! The Mollie adapter (`balie_web::payments::mollie`) against the fake Mollie
//! (`balie_tests::fake_mollie`), and the fake's own webhook deliveries against tiny receivers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use balie_booking::payments::PaymentStatus;
use balie_tests::fake_mollie::{FakeMollie, WebhookRetry};
use balie_web::payments::mollie::{parse_webhook, Mollie};
use balie_web::payments::{CreatePayment, ProviderError};
use futures::future::{BoxFuture, FutureExt};
use serde_json::json;

const KEY: &str = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM";
const SECOND: Duration = Duration::from_secs(1);

fn order(idempotency_key: &str, webhook_url: &str) -> CreatePayment {
    CreatePayment {
        amount_cents: 1230,
        description: "Reservatie zaal De Linde, 12 maart".into(),
        redirect_url: "https://balie.example.be/betalen#p-123".into(),
        webhook_url: webhook_url.into(),
        idempotency_key: idempotency_key.into(),
        reference: "p-123".into(),
    }
}

async fn started() -> (FakeMollie, Mollie) {
    let fake = FakeMollie::start(KEY).await;
    let client = Mollie::new(&fake.base_url(), KEY);
    (fake, client)
}

/// A port nothing listens on (bound, then closed).
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_sends_the_documented_request_and_reads_the_payment() {
    let (fake, mollie) = started().await;
    let before = jiff::Timestamp::now();
    let p = mollie.create(&order("idem-1", "https://balie.example.be/api/v1/betalingen/webhook")).await.unwrap();
    assert!(p.id.starts_with("tr_"), "{}", p.id);
    assert_eq!((p.status, p.amount_cents, p.refunded_cents), (PaymentStatus::Open, 1230, 0));
    assert_eq!(p.checkout_url, Some(format!("{}/checkout/{}", fake.origin(), p.id)));
    let expires = p.expires_at.expect("an open payment expires");
    assert!(expires > before + jiff::SignedDuration::from_mins(10), "{expires}");

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str(), r.status), ("POST", "/v2/payments", 201));
    assert_eq!(r.authorization.as_deref(), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(r.idempotency_key.as_deref(), Some("idem-1"));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        r.json(),
        json!({
            "amount": {"currency": "EUR", "value": "12.30"},
            "description": "Reservatie zaal De Linde, 12 maart",
            "redirectUrl": "https://balie.example.be/betalen#p-123",
            "webhookUrl": "https://balie.example.be/api/v1/betalingen/webhook",
            "metadata": {"reference": "p-123"},
        })
    );
    // The fake keeps what it was given.
    let stored = fake.payment(&p.id).unwrap();
    assert_eq!(stored["metadata"]["reference"], "p-123");
    assert_eq!(stored["amount"], json!({"currency": "EUR", "value": "12.30"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_returns_the_same_payment() {
    let (fake, mollie) = started().await;
    let first = mollie.create(&order("idem-1", "https://balie.example.be/hook")).await.unwrap();
    let again = mollie.create(&order("idem-1", "https://balie.example.be/hook")).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(fake.payment_ids(), vec![first.id.clone()]);
    let other = mollie.create(&order("idem-2", "https://balie.example.be/hook")).await.unwrap();
    assert_ne!(other.id, first.id);
    // The same key for another request is refused.
    let mut changed = order("idem-1", "https://balie.example.be/hook");
    changed.amount_cents = 999;
    assert!(matches!(mollie.create(&changed).await, Err(ProviderError::Refused(_))));
    assert_eq!(fake.payment_ids().len(), 2);
    // A create that failed did not use up its key.
    fake.fail_next(1);
    assert!(matches!(mollie.create(&order("idem-3", "https://x.example/h")).await, Err(ProviderError::Unavailable(_))));
    let third = mollie.create(&order("idem-3", "https://x.example/h")).await.unwrap();
    assert_eq!(fake.payment_ids().len(), 3);
    assert_eq!(fake.payment_ids()[2], third.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_reports_what_set_status_did() {
    let (fake, mollie) = started().await;
    // No webhook URL the fake could reach matters here: no deliveries without one.
    let p = mollie.create(&order("k", "http://127.0.0.1:9/hook")).await.unwrap();
    assert_eq!(mollie.get(&p.id).await.unwrap(), p);
    for (word, status) in [
        ("pending", PaymentStatus::Pending),
        ("authorized", PaymentStatus::Authorized),
        ("failed", PaymentStatus::Failed),
        ("canceled", PaymentStatus::Canceled),
        ("expired", PaymentStatus::Expired),
        ("open", PaymentStatus::Open),
        ("paid", PaymentStatus::Paid),
    ] {
        fake.set_status_without_webhook(&p.id, word);
        let now = mollie.get(&p.id).await.unwrap();
        assert_eq!(now.status, status, "{word}");
        assert_eq!(now.checkout_url.is_some(), word == "open", "{word}");
        assert_eq!(now.expires_at.is_some(), matches!(word, "open" | "pending"), "{word}");
    }
    fake.set_status_without_webhook(&p.id, "refunded");
    assert!(matches!(mollie.get(&p.id).await, Err(ProviderError::Protocol(_))));
    assert!(fake.deliveries().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_up_to_what_was_paid() {
    let (fake, mollie) = started().await;
    let p = mollie.create(&order("k", "https://balie.example.be/hook")).await.unwrap();
    // Not paid yet: refused.
    let open = mollie.refund(&p.id, 100, "Terugbetaling", "r-0").await;
    assert!(matches!(&open, Err(ProviderError::Refused(m)) if m.contains("422")), "{open:?}");

    fake.set_status_without_webhook(&p.id, "paid");
    let r = mollie.refund(&p.id, 1000, "Terugbetaling reservatie", "r-1").await.unwrap();
    assert!(r.id.starts_with("re_"), "{}", r.id);
    assert_eq!((r.amount_cents, r.status.as_str()), (1000, "pending"));
    let req = fake.requests().pop().unwrap();
    assert_eq!(
        (req.method.as_str(), req.path.clone(), req.status),
        ("POST", format!("/v2/payments/{}/refunds", p.id), 201)
    );
    assert_eq!(req.idempotency_key.as_deref(), Some("r-1"));
    assert_eq!(
        req.json(),
        json!({"amount": {"currency": "EUR", "value": "10.00"}, "description": "Terugbetaling reservatie"})
    );
    // The same key again: the same refund, not a second one.
    assert_eq!(mollie.refund(&p.id, 1000, "Terugbetaling reservatie", "r-1").await.unwrap(), r);
    assert_eq!(mollie.get(&p.id).await.unwrap().refunded_cents, 1000);

    // 2.30 remains: 2.31 is too much, with Mollie's detail in the error.
    match mollie.refund(&p.id, 231, "te veel", "r-2").await {
        Err(ProviderError::Refused(m)) => {
            assert!(m.contains("higher than the amount that can be refunded"), "{m}");
            assert!(!m.contains(KEY), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let rest = mollie.refund(&p.id, 230, "de rest", "r-3").await.unwrap();
    assert_eq!(rest.amount_cents, 230);
    assert!(matches!(mollie.refund(&p.id, 1, "niets meer", "r-4").await, Err(ProviderError::Refused(_))));
    let now = mollie.get(&p.id).await.unwrap();
    assert_eq!((now.status, now.refunded_cents), (PaymentStatus::Paid, 1230));
    assert_eq!(fake.payment(&p.id).unwrap()["amountRemaining"]["value"], "0.00");
    // Refunding an unknown payment.
    assert!(matches!(mollie.refund("tr_unknown1", 100, "x", "r-5").await, Err(ProviderError::NotFound)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_and_failing_mollie_is_unavailable() {
    let (fake, mollie) = started().await;
    let p = mollie.create(&order("k", "https://balie.example.be/hook")).await.unwrap();
    fake.fail_next(2);
    for _ in 0..2 {
        match mollie.get(&p.id).await {
            Err(ProviderError::Unavailable(m)) => assert!(m.contains("503"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(mollie.get(&p.id).await.unwrap().id, p.id);
    fake.fail_next_with(1, 429);
    assert!(matches!(mollie.get(&p.id).await, Err(ProviderError::Unavailable(_))));
    fake.fail_all(Some(500));
    assert!(matches!(mollie.create(&order("k2", "https://x.example/h")).await, Err(ProviderError::Unavailable(_))));
    assert!(matches!(mollie.refund(&p.id, 100, "x", "r").await, Err(ProviderError::Unavailable(_))));
    fake.fail_all(None);
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [201, 503, 503, 200, 429, 500, 500]);
    // A Mollie-style 4xx injected the same way is a refusal.
    fake.fail_next_with(1, 403);
    assert!(matches!(mollie.get(&p.id).await, Err(ProviderError::Refused(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_or_absent_mollie_is_unavailable() {
    let fake = FakeMollie::start(KEY).await;
    fake.set_delay(Duration::from_millis(1500));
    let impatient = Mollie::with_timeouts(&fake.base_url(), KEY, SECOND, Duration::from_millis(200));
    let t = Instant::now();
    match impatient.get("tr_abc").await {
        Err(ProviderError::Unavailable(m)) => assert!(m.contains("timed out"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(t.elapsed() < SECOND, "{:?}", t.elapsed());

    let nobody = Mollie::new(&format!("http://127.0.0.1:{}/v2", closed_port().await), KEY);
    match nobody.create(&order("k", "https://x.example/h")).await {
        Err(ProviderError::Unavailable(m)) => {
            assert!(m.contains("could not connect"), "{m}");
            assert!(!m.contains(KEY), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_payment_is_not_found() {
    let (fake, mollie) = started().await;
    assert!(matches!(mollie.get("tr_doesNotExist").await, Err(ProviderError::NotFound)));
    assert_eq!(fake.requests()[0].status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_refused_and_never_repeated() {
    let fake = FakeMollie::start(KEY).await;
    let wrong = "test_thisIsNotTheKeyAtAllxxxxxxxx";
    let mollie = Mollie::new(&fake.base_url(), wrong);
    for result in [
        mollie.create(&order("k", "https://x.example/h")).await.map(|_| ()),
        mollie.get("tr_abc").await.map(|_| ()),
        mollie.refund("tr_abc", 100, "x", "r").await.map(|_| ()),
    ] {
        match result {
            Err(ProviderError::Refused(m)) => {
                assert!(m.contains("401") && m.contains("authenticate"), "{m}");
                assert!(!m.contains(wrong), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(fake.requests().iter().all(|r| r.status == 401));
    assert!(fake.payment_ids().is_empty());
    assert!(!format!("{mollie:?}").contains(wrong));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_of_another_shape_never_reach_mollie() {
    let (fake, mollie) = started().await;
    for bad in [
        "",
        "tr_",
        "re_abc",
        "../v2/payments",
        "tr_abc/refunds",
        "tr_abc/../../x",
        "tr_abc?testmode=true",
        "tr_abc#x",
        "tr_abc%2F..",
        "tr_ab cd",
        "tr_abc\r\nX-Injected: 1",
    ] {
        assert!(matches!(mollie.get(bad).await, Err(ProviderError::NotFound)), "{bad:?}");
        assert!(matches!(mollie.refund(bad, 100, "x", "k").await, Err(ProviderError::NotFound)), "{bad:?}");
        assert_eq!(parse_webhook(&format!("id={bad}")), None, "{bad:?}");
    }
    assert!(fake.requests().is_empty(), "{:#?}", fake.requests());
}

/// What a receiver saw of one webhook call.
#[derive(Debug, Clone)]
struct Hit {
    at: Instant,
    content_type: Option<String>,
    body: String,
}

type Answer = Arc<dyn Fn(String) -> BoxFuture<'static, u16> + Send + Sync>;

struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// A webhook receiver at `/hook` that answers what `answer` makes of the body.
    async fn start(answer: Answer) -> Receiver {
        let hits = Arc::new(Mutex::new(Vec::new()));
        async fn hook(
            State((answer, hits)): State<(Answer, Arc<Mutex<Vec<Hit>>>)>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            let body = String::from_utf8_lossy(&body).into_owned();
            let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
            hits.lock().unwrap().push(Hit { at: Instant::now(), content_type, body: body.clone() });
            StatusCode::from_u16(answer(body).await).unwrap()
        }
        let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state((answer, hits.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, hits, server }
    }

    /// Answers these statuses in turn, then 200.
    async fn answering(statuses: &[u16]) -> Receiver {
        let queue = Arc::new(Mutex::new(statuses.to_vec()));
        Receiver::start(Arc::new(move |_| {
            let next = {
                let mut q = queue.lock().unwrap();
                if q.is_empty() {
                    200
                } else {
                    q.remove(0)
                }
            };
            async move { next }.boxed()
        }))
        .await
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_retried_with_backoff_until_answered() {
    let (fake, mollie) = started().await;
    let receiver = Receiver::answering(&[500, 500]).await;
    fake.set_webhook_retry(WebhookRetry {
        attempts: 5,
        first_backoff: Duration::from_millis(100),
        ..Default::default()
    });
    let p = mollie.create(&order("k", &receiver.url)).await.unwrap();
    assert!(fake.deliveries().is_empty(), "creating a payment calls no webhook");

    fake.set_status(&p.id, "paid");
    let deliveries = fake.wait_deliveries(3, 5 * SECOND).await;
    fake.settle(5 * SECOND).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let deliveries_after = fake.deliveries();
    assert_eq!(deliveries_after.len(), 3, "nothing after the 200: {deliveries_after:#?}");

    let answers: Vec<Option<u16>> = deliveries.iter().map(|d| d.answer).collect();
    assert_eq!(answers, [Some(500), Some(500), Some(200)]);
    assert_eq!(deliveries.iter().map(|d| d.attempt).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(deliveries.iter().all(|d| d.payment_id == p.id && d.status == "paid" && d.url == receiver.url));
    assert!(deliveries.iter().all(|d| d.notification == deliveries[0].notification && !d.duplicate));
    assert!(deliveries[2].delivered() && !deliveries[1].delivered());
    // 100 ms, then 200 ms between attempts (plus the time an attempt takes), by either clock.
    let gaps = [deliveries[1].at - deliveries[0].at, deliveries[2].at - deliveries[1].at];
    assert!(gaps[0] >= Duration::from_millis(100) && gaps[0] < Duration::from_millis(1600), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(200) && gaps[1] < Duration::from_millis(1700), "{gaps:?}");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 3);
    assert!(hits[1].at - hits[0].at >= Duration::from_millis(100));
    assert!(hits[2].at - hits[1].at >= Duration::from_millis(200));
    for hit in &hits {
        assert_eq!(hit.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
        assert_eq!(hit.body, format!("id={}", p.id));
        assert_eq!(parse_webhook(&hit.body), Some(p.id.clone()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_give_up_after_the_last_attempt() {
    let (fake, mollie) = started().await;
    let receiver = Receiver::answering(&[503; 10]).await;
    fake.set_webhook_retry(WebhookRetry {
        attempts: 3,
        first_backoff: Duration::from_millis(20),
        ..Default::default()
    });
    let failing = mollie.create(&order("a", &receiver.url)).await.unwrap();
    let unreachable =
        mollie.create(&order("b", &format!("http://127.0.0.1:{}/hook", closed_port().await))).await.unwrap();
    fake.set_status(&failing.id, "failed");
    fake.set_status(&unreachable.id, "expired");
    fake.settle(5 * SECOND).await;
    let failing = fake.deliveries_for(&failing.id);
    assert_eq!(failing.iter().map(|d| d.answer).collect::<Vec<_>>(), [Some(503); 3]);
    let unreachable = fake.deliveries_for(&unreachable.id);
    assert_eq!(unreachable.len(), 3);
    assert!(unreachable.iter().all(|d| d.answer.is_none() && d.error.is_some()), "{unreachable:#?}");
    assert_eq!(receiver.hits().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_webhooks_arrive_twice() {
    let (fake, mollie) = started().await;
    let receiver = Receiver::answering(&[]).await;
    fake.duplicate_webhooks(true);
    let p = mollie.create(&order("k", &receiver.url)).await.unwrap();
    fake.set_status(&p.id, "paid");
    fake.settle(5 * SECOND).await;
    let deliveries = fake.deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.answer == Some(200) && d.attempt == 1));
    assert_ne!(deliveries[0].notification, deliveries[1].notification);
    assert_eq!(deliveries.iter().filter(|d| d.duplicate).count(), 1);
    assert_eq!(receiver.hits().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_webhooks_are_released_out_of_order_with_the_status_of_their_time() {
    let (fake, mollie) = started().await;
    // The receiver does what balie does: ask Mollie about the payment in the webhook.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (asker, log) = (Mollie::new(&fake.base_url(), KEY), seen.clone());
    let receiver = Receiver::start(Arc::new(move |body: String| {
        let (asker, log) = (asker.clone(), log.clone());
        async move {
            let Some(id) = parse_webhook(&body) else { return 400 };
            match asker.get(&id).await {
                Ok(p) => {
                    log.lock().unwrap().push(p.status);
                    200
                }
                Err(_) => 503,
            }
        }
        .boxed()
    }))
    .await;
    let p = mollie.create(&order("k", &receiver.url)).await.unwrap();
    fake.webhook_on_every_status(true);
    fake.hold_webhooks(true);
    fake.set_status(&p.id, "pending");
    fake.set_status(&p.id, "paid");
    fake.set_status(&p.id, "open"); // never delivered: lost
    let held = fake.held_webhooks();
    assert_eq!(held.iter().map(|h| h.status.as_str()).collect::<Vec<_>>(), ["pending", "paid", "open"]);
    assert!(receiver.hits().is_empty());
    assert_eq!(mollie.get(&p.id).await.unwrap().status, PaymentStatus::Open);

    fake.set_status_without_webhook(&p.id, "paid");
    fake.release_webhooks(&[1, 0]).await;
    assert_eq!(*seen.lock().unwrap(), [PaymentStatus::Paid, PaymentStatus::Pending]);
    assert_eq!(fake.deliveries().iter().map(|d| d.status.as_str()).collect::<Vec<_>>(), ["paid", "pending"]);
    assert!(fake.held_webhooks().is_empty());
    // Afterwards GET answers the present again.
    assert_eq!(mollie.get(&p.id).await.unwrap().status, PaymentStatus::Paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkout_page_pays_and_goes_back() {
    let (fake, mollie) = started().await;
    let receiver = Receiver::answering(&[]).await;
    let p = mollie.create(&order("k", &receiver.url)).await.unwrap();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let checkout = p.checkout_url.clone().unwrap();
    let page = browser.get(&checkout).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(r#"value="paid""#));
    let back = browser
        .post(&checkout)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("status=paid")
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    assert_eq!(back.headers()["location"], "https://balie.example.be/betalen#p-123");
    fake.settle(5 * SECOND).await;
    assert_eq!(fake.deliveries()[0].answer, Some(200));
    assert_eq!(mollie.get(&p.id).await.unwrap().status, PaymentStatus::Paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_only_for_the_changes_mollie_notifies() {
    let (fake, mollie) = started().await;
    let receiver = Receiver::answering(&[]).await;
    let p = mollie.create(&order("k", &receiver.url)).await.unwrap();
    // Mollie notifies final statuses and `authorized`, not `open` or `pending`.
    fake.set_status(&p.id, "pending");
    fake.set_status(&p.id, "open");
    fake.settle(5 * SECOND).await;
    assert!(fake.deliveries().is_empty(), "{:#?}", fake.deliveries());
    fake.set_status(&p.id, "paid");
    fake.settle(5 * SECOND).await;
    assert_eq!(fake.deliveries().iter().map(|d| d.status.as_str()).collect::<Vec<_>>(), ["paid"]);

    // Refunds: `processing`, `refunded` and `failed` are notified (with the payment's id).
    let r = mollie.refund(&p.id, 1230, "alles terug", "r-1").await.unwrap();
    fake.settle(5 * SECOND).await;
    assert_eq!(fake.deliveries().len(), 1, "creating a refund notifies nothing");
    fake.set_refund_status(&p.id, &r.id, "queued");
    fake.set_refund_status(&p.id, &r.id, "refunded");
    fake.settle(5 * SECOND).await;
    let last = fake.deliveries().pop().unwrap();
    assert_eq!((last.payment_id.as_str(), last.status.clone()), (p.id.as_str(), format!("refund {} refunded", r.id)));
    assert_eq!(fake.deliveries().len(), 2);
    assert_eq!(receiver.hits().last().unwrap().body, format!("id={}", p.id));
    assert_eq!(fake.refunds(&p.id)[0]["status"], "refunded");
    // A failed refund no longer counts.
    fake.set_refund_status(&p.id, &r.id, "failed");
    assert_eq!(mollie.get(&p.id).await.unwrap().refunded_cents, 0);

    // With the knob, every change is notified.
    fake.webhook_on_every_status(true);
    let q = mollie.create(&order("k2", &receiver.url)).await.unwrap();
    fake.set_status(&q.id, "pending");
    fake.settle(5 * SECOND).await;
    assert_eq!(fake.deliveries_for(&q.id).len(), 1);
}

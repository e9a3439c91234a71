//! Payments and door codes through the HTTP API, on SQLite and PostgreSQL: a held reservation is
//! paid through the simulated provider's checkout, confirmed once, mailed with its door code;
//! the door API (per-door keys) opens for that code inside its window only, logs every attempt
//! and locks after five wrong codes; an invoice carries a valid structured communication; a
//! cancellation revokes the code and refunds by the policy.

use balie_tests::{both, local, reservation, TestApp};
use serde_json::{json, Value};

/// A day far enough ahead that the refund policy gives everything back, and a slot on it.
fn slot() -> (String, String) {
    let day = balie_tests::weekday_ahead(30);
    (local(&day, "10:00"), local(&day, "12:00"))
}

async fn held(app: &TestApp, code: &str, customer_type: &str, email: &str) -> i64 {
    let agent = app.login_as("agent").await;
    let (start, end) = slot();
    let mut body = reservation(app.resource_id(code).await, &start, &end);
    body["customer"]["customer_type"] = json!(customer_type);
    body["customer"]["email"] = json!(email);
    if customer_type != "resident" {
        body["customer"]["organisation"] = json!("Badmintonclub Lindeveld vzw");
    }
    let r = agent.post("/api/v1/reservaties", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// Issues a key for the door of `code` (a resource admin) and returns it.
async fn door_key(app: &TestApp, code: &str) -> String {
    let admin = app.login_as("resource-admin").await;
    let doors = admin.get("/api/v1/deuren").await;
    assert_eq!(doors.status, 200, "{}", doors.body);
    let id = app.resource_id(code).await;
    let door = doors.body.as_array().unwrap().iter().find(|d| d["resource_id"] == id).expect("a door");
    let issued = admin.post(&format!("/api/v1/deuren/{}/sleutel", door["id"]), &json!({})).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert_eq!(issued.body["door"]["has_key"], true);
    issued.body["key"].as_str().unwrap().to_string()
}

async fn at_door(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    let r =
        app.http.post(format!("{}/api/v1/deur/toegang", app.base)).bearer_auth(key).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

both!(a_simulated_payment_confirms_once_and_mails_the_door_code, async |app: &TestApp| {
    let id = held(app, "feestzaal-het-anker", "resident", "els.janssens@example.org").await;
    let agent = app.login_as("agent").await;
    let started = agent.post(&format!("/api/v1/reservaties/{id}/betalingen"), &json!({"method": "online"})).await;
    assert_eq!(started.status, 201, "{}", started.body);
    let pay_id = started.body["id"].as_str().unwrap().to_string();
    assert!(pay_id.starts_with("pay_") && pay_id.len() == 36, "{pay_id}");
    assert!(started.body["checkout_url"].as_str().unwrap().ends_with(&format!("/betalen#{pay_id}")));
    // The QR code of the checkout address, for the citizen's phone.
    let qr = app.http.get(format!("{}{}", app.base, started.body["qr_url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(qr.status(), 200);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.unwrap().starts_with("<svg"));
    // The simulated bank.
    let sim = format!("/api/v1/betaalsimulator/{pay_id}");
    let shown = app.get(&sim).await;
    assert_eq!((shown.status, shown.body["status"].as_str()), (200, Some("open")), "{}", shown.body);
    assert!(shown.body["amount_cents"].as_i64().unwrap() > 0);
    app.get("/api/v1/betaalsimulator/pay_00000000000000000000000000000000").await.problem(404);
    assert!(app.post(&sim, &json!({"outcome": "stolen"})).await.status == 400);
    let paid = app.post(&sim, &json!({"outcome": "paid"})).await;
    assert_eq!((paid.status, paid.body["status"].as_str()), (200, Some("paid")), "{}", paid.body);
    // A second answer is refused: the payment is final.
    app.post(&sim, &json!({"outcome": "failed"})).await.problem(409);
    // The return page's question: how it stands, for anyone with the id; nothing about the person.
    let status = app.get(&format!("/api/v1/betalingen/{pay_id}")).await;
    assert_eq!((status.status, status.body["status"].as_str()), (200, Some("paid")), "{}", status.body);
    assert!(!status.body.to_string().contains("els.janssens"), "{}", status.body);
    app.get("/api/v1/betalingen/pay_00000000000000000000000000000000").await.problem(404);
    app.get("/api/v1/betalingen/tr_not-ours").await.problem(404);
    let r = agent.get(&format!("/api/v1/reservaties/{id}")).await;
    assert_eq!(r.body["status"], "confirmed");
    let payments = agent.get(&format!("/api/v1/reservaties/{id}/betalingen")).await;
    assert_eq!(payments.body[0]["status"], "paid");
    // One confirmation, with the PIN on a line of its own and the QR as an image.
    let pin = app.wait_pin_mailed_to("els.janssens@example.org").await;
    let mails = app.mails_to("els.janssens@example.org");
    assert_eq!(mails.len(), 1, "one confirmation, no duplicate");
    assert!(mails[0].contains("image/png") && mails[0].contains("text/calendar"));

    // The door of the room, with its own key.
    let key = door_key(app, "feestzaal-het-anker").await;
    let who = app.http.get(format!("{}/api/v1/deur", app.base)).bearer_auth(&key).send().await.unwrap();
    assert_eq!(who.status(), 200);
    let (status, _) = at_door(app, "door_wrong", json!({"pin": pin, "direction": "in"})).await;
    assert_eq!(status, 401, "a wrong key is refused");
    let other = door_key(app, "raadzaal").await;
    // Today is weeks before the reservation: a typed PIN that far from its window is just
    // unknown (a guesser learns nothing); it says "too early" only within two hours of it.
    let (status, early) = at_door(app, &key, json!({"pin": pin, "direction": "in"})).await;
    assert_eq!(
        (status, early["decision"].as_str(), early["reason"].as_str()),
        (200, Some("refused"), Some("unknown_code"))
    );
    assert!(early.get("valid_from").is_none(), "{early}");
    let (_, elsewhere) = at_door(app, &other, json!({"pin": pin, "direction": "in"})).await;
    assert_eq!(elsewhere["reason"], "unknown_code");
    let (status, bad) = at_door(app, &key, json!({"direction": "in"})).await;
    assert_eq!((status, bad["status"].as_i64()), (422, Some(422)), "{bad}");
    // One refusal so far at this door (too early); four wrong codes more lock it.
    let mut last = Value::Null;
    for _ in 0..5 {
        last = at_door(app, &key, json!({"pin": "000000", "direction": "in"})).await.1;
    }
    assert_eq!(last["decision"], "locked", "{last}");
    let (_, still) = at_door(app, &key, json!({"pin": pin, "direction": "in"})).await;
    assert_eq!(still["decision"], "locked");
    let admin = app.login_as("resource-admin").await;
    let doors = admin.get("/api/v1/deuren").await;
    let door = doors.body.as_array().unwrap().iter().find(|d| d["has_key"] == true && d["locked_until"].is_string());
    let log = admin.get(&format!("/api/v1/deuren/{}/logboek", door.expect("the locked door")["id"])).await;
    assert_eq!(log.status, 200);
    let outcomes: Vec<&str> = log.body.as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "locked").count(), 2, "{outcomes:?}");
    assert!(log.body[outcomes.len() - 1]["reservation_id"].is_null(), "an unknown code names nothing");
    let _ = id;
});

both!(an_invoice_confirms_at_once_with_a_structured_communication, async |app: &TestApp| {
    let private = held(app, "vergaderzaal-de-linde", "resident", "an@example.org").await;
    let agent = app.login_as("agent").await;
    let refused = agent.post(&format!("/api/v1/reservaties/{private}/betalingen"), &json!({"method": "invoice"})).await;
    refused.problem(422);
    let id = held(app, "raadzaal", "recognised_association", "club@example.org").await;
    let r = agent.post(&format!("/api/v1/reservaties/{id}/betalingen"), &json!({"method": "invoice"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "invoiced");
    let ogm = r.body["invoice"]["structured_communication"].as_str().unwrap();
    let base = balie_booking::payments::parse_structured_communication(ogm).expect("valid check digits");
    assert_eq!(base as i64, r.body["invoice"]["number"].as_i64().unwrap());
    assert_eq!(agent.get(&format!("/api/v1/reservaties/{id}")).await.body["status"], "confirmed");
    app.wait_pin_mailed_to("club@example.org").await;
    // One e-mail: the confirmation with the invoice attached (the reminder waits in the outbox).
    let mails = app.mails_to("club@example.org");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(ogm), "the structured communication is in the e-mail");
    assert!(mails[0].contains("filename=\"factuur-"), "the invoice is attached");
});

both!(cancelling_revokes_the_code_and_refunds_by_policy, async |app: &TestApp| {
    let id = held(app, "feestzaal-het-anker", "resident", "jan@example.org").await;
    let agent = app.login_as("agent").await;
    let started = agent.post(&format!("/api/v1/reservaties/{id}/betalingen"), &json!({"method": "online"})).await;
    let pay_id = started.body["id"].as_str().unwrap();
    let paid = app.post(&format!("/api/v1/betaalsimulator/{pay_id}"), &json!({"outcome": "paid"})).await;
    assert_eq!(paid.status, 200);
    let pin = app.wait_pin_mailed_to("jan@example.org").await;
    let key = door_key(app, "feestzaal-het-anker").await;
    let c = agent.post(&format!("/api/v1/reservaties/{id}/annulering"), &json!({})).await;
    assert_eq!((c.status, c.body["status"].as_str()), (200, Some("cancelled")), "{}", c.body);
    let (_, revoked) = at_door(app, &key, json!({"pin": pin, "direction": "in"})).await;
    // Weeks ahead, a revoked PIN is as unknown as any other (the store tests check "revoked"
    // within its window).
    assert_eq!(revoked["reason"], "unknown_code", "{revoked}");
    assert!(app.store().access_of(id).await.unwrap().unwrap().revoked);
    let payments = agent.get(&format!("/api/v1/reservaties/{id}/betalingen")).await;
    let payment = app.store().payment_by_public_id(payments.body[0]["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(payment.refunded_cents, payment.amount_cents, "30 days ahead: everything back");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.mails_to("jan@example.org").len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no cancellation e-mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(app.mails_to("jan@example.org")[1].contains("METHOD:CANCEL"));
});

both!(the_customers_language_carries_to_the_confirmation_and_the_cancellation, async |app: &TestApp| {
    let agent = app.login_as("agent").await;
    let (start, end) = slot();
    let mut body = reservation(app.resource_id("raadzaal").await, &start, &end);
    body["customer"]["customer_type"] = json!("company");
    body["customer"]["organisation"] = json!("Bureau Dupont sprl");
    body["customer"]["email"] = json!("dupont@example.org");
    body["customer"]["language"] = json!("fr");
    let held = agent.post("/api/v1/reservaties", &body).await;
    assert_eq!(held.status, 201, "{}", held.body);
    assert_eq!(held.body["customer"]["language"], "fr");
    let id = held.body["id"].as_i64().unwrap();
    let invoiced = agent.post(&format!("/api/v1/reservaties/{id}/betalingen"), &json!({"method": "invoice"})).await;
    assert_eq!(invoiced.status, 201, "{}", invoiced.body);
    app.wait_pin_mailed_to("dupont@example.org").await;
    let c = agent.post(&format!("/api/v1/reservaties/{id}/annulering"), &json!({})).await;
    assert_eq!(c.status, 200, "{}", c.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.mails_to("dupont@example.org").len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no cancellation e-mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mails = app.mails_to("dupont@example.org");
    assert!(mails[0].contains("Bonjour") && !mails[0].contains("Beste"), "confirmation in French:\n{}", mails[0]);
    assert!(
        mails[1].contains("METHOD:CANCEL") && mails[1].contains("Bonjour"),
        "cancellation in French:\n{}",
        mails[1]
    );
    // The invoice is credited in full (30 days ahead): the credit note is attached, in French.
    assert!(mails[1].contains("filename=\"note-de-credit-"), "the credit note:\n{}", mails[1]);
    // A language balie does not speak is refused, naming the field.
    body["customer"]["language"] = json!("de");
    let refused = agent.post("/api/v1/reservaties", &body).await;
    refused.problem(400);
    assert!(refused.body.to_string().contains("customer.language"), "names the field: {}", refused.body);
});

both!(a_payment_past_its_expiry_cannot_be_paid, async |app: &TestApp| {
    let id = held(app, "vergaderzaal-de-eik", "resident", "laat@example.org").await;
    let agent = app.login_as("agent").await;
    let started = agent.post(&format!("/api/v1/reservaties/{id}/betalingen"), &json!({"method": "online"})).await;
    let pay_id = started.body["id"].as_str().unwrap().to_string();
    let payment = app.store().payment_by_public_id(&pay_id).await.unwrap();
    // Let it lapse: the expiry is in the past for the store, as after 15 minutes.
    let past = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(1);
    app.store()
        .set_payment_checkout(payment.id, &pay_id, payment.checkout_url.as_deref(), Some(past), jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(app.get(&format!("/api/v1/betaalsimulator/{pay_id}")).await.body["status"], "expired");
    app.post(&format!("/api/v1/betaalsimulator/{pay_id}"), &json!({"outcome": "paid"})).await.problem(410);
    assert_eq!(app.store().payment(payment.id).await.unwrap().status, balie_booking::payments::PaymentStatus::Expired);
    assert_eq!(agent.get(&format!("/api/v1/reservaties/{id}")).await.body["status"], "hold");
});

// ---------------------------------------------------------------------------------------------
// The Mollie-style adapter against the fake Mollie (tests/src/fake_mollie.rs): the real app
// receives the fake's webhooks, fetches the payment and applies it exactly once.
// ---------------------------------------------------------------------------------------------

mod mollie {
    use std::time::Duration;

    use balie_booking::payments::PaymentStatus;
    use balie_tests::fake_mollie::FakeMollie;
    use balie_tests::{Backend, TestApp};
    use serde_json::json;

    use super::held;

    /// balie on a port known before it starts (its webhook address must be right), paying
    /// through `fake`.
    async fn app_with(backend: Backend, fake: &FakeMollie) -> TestApp {
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let (base, key) = (fake.base_url(), fake.api_key().to_string());
        TestApp::spawn_with(backend, move |c| {
            c.listen = addr;
            c.public_url = format!("http://{addr}");
            c.payment_provider = balie_web::config::PaymentProviderKind::Mollie;
            c.mollie_api_key = key.parse().unwrap();
            c.mollie_api_url = base;
        })
        .await
    }

    /// Holds a room and starts an online payment; returns (reservation id, Mollie's payment id).
    async fn started(app: &TestApp, fake: &FakeMollie, email: &str) -> (i64, String) {
        let id = held(app, "feestzaal-het-anker", "resident", email).await;
        let agent = app.login_as("agent").await;
        let r = agent.post(&format!("/api/v1/reservaties/{id}/betalingen"), &json!({"method": "online"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let checkout = r.body["checkout_url"].as_str().unwrap();
        assert!(checkout.starts_with(fake.origin()), "the citizen is sent to the provider: {checkout}");
        let tr = fake.payment_ids().last().cloned().expect("a payment at the provider");
        let create = fake.requests().into_iter().find(|q| q.method == "POST" && q.path == "/v2/payments").unwrap();
        assert!(create.idempotency_key.as_deref().is_some_and(|k| k.len() >= 32), "an Idempotency-Key");
        let body = create.json();
        assert_eq!(body["webhookUrl"], format!("{}/api/v1/betalingen/webhook", app.base));
        assert_eq!(body["amount"]["currency"], "EUR");
        (id, tr)
    }

    async fn wait_status(app: &TestApp, tr: &str, want: PaymentStatus) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let p = app.store().payment_by_provider_ref(balie_booking::payments::Provider::Mollie, tr).await.unwrap();
            if p.status == want {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "payment {tr} stayed {:?}, not {want:?}", p.status);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn retried_and_duplicated_webhooks_confirm_once(backend: Backend) {
        let fake = FakeMollie::start("test_balie_key").await;
        let app = app_with(backend, &fake).await;
        let (id, tr) = started(&app, &fake, "mollie@example.org").await;
        // Mollie is briefly unreachable for balie's status fetch, and sends every webhook twice.
        fake.duplicate_webhooks(true);
        fake.fail_next(2);
        fake.set_status(&tr, "paid");
        fake.settle(Duration::from_secs(20)).await;
        let deliveries = fake.deliveries_for(&tr);
        assert!(deliveries.iter().any(|d| d.answer == Some(503)), "balie asked for a retry: {deliveries:?}");
        assert!(deliveries.iter().filter(|d| d.delivered()).count() >= 2, "both copies delivered in the end");
        wait_status(&app, &tr, PaymentStatus::Paid).await;
        assert_eq!(app.store().reservation(id).await.unwrap().status, balie_booking::reservation::Status::Confirmed);
        app.wait_pin_mailed_to("mollie@example.org").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(app.mails_to("mollie@example.org").len(), 1, "one confirmation however many webhooks");
        // A forged or unknown webhook changes nothing and tells nothing.
        let forged = app
            .http
            .post(format!("{}/api/v1/betalingen/webhook", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("id=tr_unknown123")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 200);
        let junk =
            app.http.post(format!("{}/api/v1/betalingen/webhook", app.base)).body("id=../../x").send().await.unwrap();
        assert_eq!(junk.status(), 200);

        // Cancelled a month ahead: the whole amount is refunded through the provider.
        let agent = app.login_as("agent").await;
        let c = agent.post(&format!("/api/v1/reservaties/{id}/annulering"), &json!({})).await;
        assert_eq!(c.status, 200, "{}", c.body);
        let refunds = fake.refunds(&tr);
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        let paid = fake.payment(&tr).unwrap();
        assert_eq!(refunds[0]["amount"], paid["amount"]);
        app.stop().await;
    }

    async fn a_late_older_status_does_not_undo_paid(backend: Backend) {
        let fake = FakeMollie::start("test_balie_key").await;
        let app = app_with(backend, &fake).await;
        let (id, tr) = started(&app, &fake, "laat@example.org").await;
        fake.webhook_on_every_status(true);
        fake.hold_webhooks(true);
        fake.set_status(&tr, "pending");
        fake.set_status(&tr, "paid");
        assert_eq!(fake.held_webhooks().len(), 2);
        // Delivered out of order: paid first, then the late pending.
        fake.release_webhooks(&[1, 0]).await;
        fake.settle(Duration::from_secs(20)).await;
        wait_status(&app, &tr, PaymentStatus::Paid).await;
        let p = app.store().payment_by_provider_ref(balie_booking::payments::Provider::Mollie, &tr).await.unwrap();
        assert_eq!(p.status, PaymentStatus::Paid);
        assert_eq!(app.store().reservation(id).await.unwrap().status, balie_booking::reservation::Status::Confirmed);
        app.stop().await;
    }

    async fn a_provider_that_is_down_gets_a_clear_503(backend: Backend) {
        let fake = FakeMollie::start("test_balie_key").await;
        let app = app_with(backend, &fake).await;
        let id = held(&app, "raadzaal", "resident", "down@example.org").await;
        fake.fail_all(Some(503));
        let agent = app.login_as("agent").await;
        let r = agent.post(&format!("/api/v1/reservaties/{id}/betalingen"), &json!({"method": "online"})).await;
        let p = r.problem(503);
        assert_eq!(p["type"], "/problems/unavailable");
        // The attempt Mollie never created is closed, not left open without a Mollie id.
        let attempts = app.store().payments_of(id).await.unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!((attempts[0].status, attempts[0].provider_ref.as_deref()), (PaymentStatus::Failed, None));
        fake.fail_all(None);
        // Once it answers again, paying works.
        let again = agent.post(&format!("/api/v1/reservaties/{id}/betalingen"), &json!({"method": "online"})).await;
        assert_eq!(again.status, 201, "{}", again.body);
        // A Mollie payment left without an id (a crash between the two steps) lapses quietly.
        let orphan = app.store().payments_of(id).await.unwrap().into_iter().find(|p| p.status == PaymentStatus::Open);
        let orphan = orphan.expect("the second attempt is open");
        let pool = sqlx::AnyPool::connect(app.database_url()).await.unwrap();
        // Without its Mollie id, and its time up a minute ago.
        let past = jiff::Timestamp::now().as_second() - 60;
        sqlx::query("UPDATE payments SET provider_ref = NULL, expires_at = $1 WHERE id = $2")
            .bind(past)
            .bind(orphan.id)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        // The expiry sweep: no error, and it lapses.
        balie_web::payments::service::sweep(app.state(), jiff::Timestamp::now()).await;
        let after = app.store().payment(orphan.id).await.unwrap();
        assert_eq!((after.status, after.provider_ref), (PaymentStatus::Expired, None));
        app.stop().await;
    }

    macro_rules! on_both {
        ($($name:ident),*) => {$(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() { super::$name(balie_tests::Backend::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() { super::$name(balie_tests::Backend::Postgres).await }
            }
        )*};
    }
    on_both!(
        retried_and_duplicated_webhooks_confirm_once,
        a_late_older_status_does_not_undo_paid,
        a_provider_that_is_down_gets_a_clear_503
    );
}

//! Back from the payment provider, end to end in headless Chromium (tests/e2e/payment_return.mjs)
//! inside a loopback-only network namespace: an online payment through the Mollie-style adapter
//! against the fake Mollie (tests/src/fake_mollie.rs), paid on its checkout page; Mollie sends
//! the payer back to balie's /betaling#<id>, which shows "paid". Mollie's webhooks are held back
//! the whole time, so it is the return page's own question (balie asks Mollie) that confirms the
//! reservation, as happens when the payer is quicker than the webhook.

use balie_tests::browser::{self, run_script};
use balie_tests::fake_mollie::FakeMollie;
use balie_tests::{local, reservation, weekday_ahead};
use serde_json::json;

#[test]
fn the_payer_returns_from_the_provider_to_a_page_that_shows_paid() {
    browser::run(|| async {
        let fake = FakeMollie::start("test_balie_key").await;
        fake.hold_webhooks(true);
        let (key, base) = (fake.api_key().to_string(), fake.base_url());
        let app = browser::spawn_app(move |c| {
            c.payment_provider = balie_web::config::PaymentProviderKind::Mollie;
            c.mollie_api_key = key.parse().unwrap();
            c.mollie_api_url = base;
        })
        .await;
        let agent = app.login_as("agent").await;
        let day = weekday_ahead(20);
        let mut body =
            reservation(app.resource_id("vergaderzaal-de-linde").await, &local(&day, "10:00"), &local(&day, "12:00"));
        body["customer"]["email"] = json!("terug@example.org");
        let held = agent.post("/api/v1/reservaties", &body).await;
        assert_eq!(held.status, 201, "{}", held.body);
        let id = held.body["id"].as_i64().unwrap();
        let started = agent.post(&format!("/api/v1/reservaties/{id}/betalingen"), &json!({"method": "online"})).await;
        assert_eq!(started.status, 201, "{}", started.body);
        let checkout = started.body["checkout_url"].as_str().unwrap();
        assert!(checkout.starts_with(fake.origin()), "{checkout}");

        let input = json!({"checkout_url": checkout});
        let summary = run_script("payment_return.mjs", &input.to_string()).await.summary("payment_return.mjs");
        assert_eq!(summary["ok"], true);
        assert_eq!(summary["returned_to"], "/betaling");
        for (step, violations) in summary["axe"].as_object().unwrap() {
            assert_eq!(violations, 0, "axe violations at {step}");
        }
        assert!(!fake.held_webhooks().is_empty(), "Mollie's webhook was held back the whole time");
        let r = agent.get(&format!("/api/v1/reservaties/{id}")).await;
        assert_eq!(r.body["status"], "confirmed", "confirmed by the return page's question: {}", r.body);
        app.stop().await;
    });
}

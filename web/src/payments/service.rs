//! The payment flows, tying the store, the provider, the e-mails and the call's panel together:
//! start an online payment or an invoice, apply what a provider reports (from the simulator, a
//! webhook or the expiry sweep), and refund on cancellation.

use std::sync::Arc;

use balie_booking::outbox::NewMail;
use balie_booking::payments::{PaymentStatus, Provider, RefundPolicy};
use balie_booking::reservation::Reservation;
use balie_booking::store::{Applied, CodeIssuer, Confirmed, NewPayment, Payment, RefundDue};
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use serde_json::{json, Map, Value};

use super::mollie::Mollie;
use super::{CreatePayment, ProviderError};
use crate::error::ApiError;
use crate::state::AppState;

/// The online provider in use.
#[derive(Debug)]
pub enum Online {
    /// Built in: `/betalen#ID` with buttons; its "provider state" is the payments table itself.
    Simulated,
    Mollie(Mollie),
}

/// Payment and access-code settings, built once from the config.
#[derive(Debug)]
pub struct Payments {
    pub online: Online,
    pub expiry: SignedDuration,
    pub invoice_due_days: i64,
    pub iban: String,
    /// The municipality's name, on checkout pages and invoices.
    pub municipality: String,
    /// Where customers write with questions about a reservation.
    pub contact_email: String,
    pub refunds: RefundPolicy,
    pub access_margin: SignedDuration,
    pub access_reminder: Option<SignedDuration>,
    /// Keys the PIN digests (derived from the session secret, see `app::prepare`).
    pub pin_key: Vec<u8>,
}

impl Payments {
    pub fn issuer(&self) -> CodeIssuer<'_> {
        CodeIssuer { pin_key: &self.pin_key, margin: self.access_margin }
    }
}

/// 128 random bits, hex, with a prefix: ids that appear in addresses.
pub fn random_id(prefix: &str) -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
}

fn description(r: &Reservation, resource: &str) -> String {
    format!("Reservatie {} – {resource}", r.id)
}

/// Starts an online payment for held reservation `reservation_id`.
pub async fn start_online(state: &AppState, reservation_id: i64, call_id: Option<i64>) -> Result<Payment, ApiError> {
    let now = crate::routes::now();
    let r = state.store.reservation(reservation_id).await?;
    let resource = state.store.resource(r.resource_id).await?;
    let p = &state.payments;
    let public_id = random_id("pay_");
    let new = NewPayment {
        public_id: public_id.clone(),
        reservation_id,
        call_id,
        provider: match p.online {
            Online::Simulated => Provider::Simulated,
            Online::Mollie(_) => Provider::Mollie,
        },
        amount_cents: r.quote.total_cents,
        description: description(&r, &resource.spec.name),
        idempotency_key: random_id(""),
        expires_at: Some(now + p.expiry),
    };
    let payment = state.store.create_payment(&new, now).await?;
    let checkout_page = format!("{}/betalen#{public_id}", state.public_url);
    let created = match &p.online {
        Online::Simulated => state.store.set_payment_checkout(payment.id, &public_id, Some(&checkout_page), None, now),
        Online::Mollie(m) => {
            let answer = m
                .create(&CreatePayment {
                    amount_cents: new.amount_cents,
                    description: new.description.clone(),
                    // Back to balie's return page, which asks how the payment stands.
                    redirect_url: format!("{}/betaling#{public_id}", state.public_url),
                    webhook_url: format!("{}/api/v1/betalingen/webhook", state.public_url),
                    idempotency_key: new.idempotency_key.clone(),
                    reference: public_id.clone(),
                })
                .await;
            let answer = match answer {
                Ok(answer) => answer,
                Err(e) => {
                    // No checkout URL reached anyone, so nobody can pay this attempt: close it
                    // (the panel shows it failed and a new attempt can start) rather than leave
                    // an open payment without Mollie id for the sweep to stumble over.
                    if let Err(closing) = apply(state, &payment, PaymentStatus::Failed).await {
                        tracing::warn!(payment = payment.id, error = %closing, "closing a payment Mollie did not create");
                    }
                    return Err(provider_error(e));
                }
            };
            return Ok(state
                .store
                .set_payment_checkout(payment.id, &answer.id, answer.checkout_url.as_deref(), answer.expires_at, now)
                .await?);
        }
    };
    Ok(created.await?)
}

fn provider_error(e: ProviderError) -> ApiError {
    tracing::warn!(error = %e, "payment provider");
    match e {
        ProviderError::Refused(_) | ProviderError::NotFound | ProviderError::Protocol(_) => {
            ApiError::Internal(anyhow::anyhow!("payment provider: {e}"))
        }
        ProviderError::Unavailable(_) => {
            ApiError::Unavailable("The payment provider cannot be reached right now; try again in a moment.".into())
        }
    }
}

/// Confirms held reservation `reservation_id` on an invoice.
pub async fn start_invoice(state: &AppState, reservation_id: i64, call_id: Option<i64>) -> Result<Confirmed, ApiError> {
    let now = crate::routes::now();
    let r = state.store.reservation(reservation_id).await?;
    let resource = state.store.resource(r.resource_id).await?;
    let new = NewPayment {
        public_id: random_id("inv_"),
        reservation_id,
        call_id,
        provider: Provider::Invoice,
        amount_cents: r.quote.total_cents,
        description: description(&r, &resource.spec.name),
        idempotency_key: random_id(""),
        expires_at: None,
    };
    let mails = mail_builder(state, call_id).await;
    let p = &state.payments;
    let confirmed = state.store.confirm_with_invoice(&new, p.invoice_due_days, now, &p.issuer(), &mails).await?;
    state.mailer.wake();
    Ok(confirmed)
}

/// The e-mails of a confirmation, in the language of the call's appointment when there is one.
async fn mail_builder(
    state: &AppState,
    call_id: Option<i64>,
) -> impl Fn(&Confirmed) -> balie_booking::Result<Vec<NewMail>> + Sync {
    let language = match call_id {
        Some(call) => state.store.appointment_of_call(call).await.ok().flatten().map(|a| a.citizen.language),
        None => None,
    };
    let state = state.clone();
    move |c: &Confirmed| crate::confirmations::confirmation_mails(&state, c, language)
}

/// Applies a status reported for `payment` and carries out what follows: the e-mail sender is
/// woken, the call's panel shows the news, and a payment that came in for a reservation that
/// could no longer be confirmed is refunded at once.
pub async fn apply(state: &AppState, payment: &Payment, reported: PaymentStatus) -> Result<Applied, ApiError> {
    let now = crate::routes::now();
    let mails = mail_builder(state, payment.call_id).await;
    let applied = state.store.apply_payment_status(payment.id, reported, now, &state.payments.issuer(), &mails).await?;
    if !applied.changed {
        return Ok(applied);
    }
    tracing::info!(payment = applied.payment.id, status = applied.payment.status.as_str(), "payment status applied");
    if applied.confirmed.is_some() {
        state.mailer.wake();
    }
    if applied.orphaned {
        tracing::warn!(payment = applied.payment.id, "paid for a reservation that could not be confirmed: refunding");
        let due = state.store.record_orphan_refund(applied.payment.id, now).await?;
        if let Some(due) = due {
            refund(state, &due).await;
        }
    }
    if let Some(call) = applied.payment.call_id {
        // Only while the panel is still about this payment or its reservation: after a reset
        // (or a new booking in the same call) a late outcome must not bring the old one back.
        let about = vec![
            ("/payment/id".to_string(), json!(applied.payment.public_id)),
            ("/hold/reservation_id".to_string(), json!(applied.payment.reservation_id)),
        ];
        state.hub.panel_update_if(call, panel_view(&applied.payment, applied.confirmed.as_ref()), about);
    }
    Ok(applied)
}

/// What the panel shows of a payment (and of the reservation it confirmed).
pub fn panel_view(payment: &Payment, confirmed: Option<&Confirmed>) -> Map<String, Value> {
    let mut set = Map::new();
    let mut view = json!({
        "id": payment.public_id,
        "method": if payment.provider == Provider::Invoice { "invoice" } else { "online" },
        "status": payment.status.as_str(),
        "amount_cents": payment.amount_cents,
        "checkout_url": payment.checkout_url,
        "qr_url": format!("/api/v1/betalingen/{}/qr.svg", payment.public_id),
        "expires_at": payment.expires_at.map(balie_booking::time::format_local),
    });
    if let Some(c) = confirmed {
        if let Some(inv) = &c.invoice {
            view["invoice"] = json!({
                "number": inv.number,
                "structured_communication": inv.structured_communication,
                "due_date": inv.due_date.to_string(),
            });
        }
        set.insert(
            "reservation".into(),
            json!({
                "id": c.reservation.id,
                "status": c.reservation.status,
                "access": c.code.as_ref().map(|code| json!({
                    "door": code.door_name,
                    "valid_from": balie_booking::time::format_local(code.valid.start),
                    "valid_until": balie_booking::time::format_local(code.valid.end),
                })),
            }),
        );
        set.insert("hold".into(), Value::Null);
        set.insert("step".into(), json!("done"));
        set.insert("notice".into(), Value::Null);
    } else {
        let notice = match payment.status {
            PaymentStatus::Failed => Some("payment_failed"),
            PaymentStatus::Canceled => Some("payment_canceled"),
            PaymentStatus::Expired => Some("payment_expired"),
            _ => None,
        };
        set.insert("notice".into(), notice.map(|code| json!({"code": code})).unwrap_or(Value::Null));
    }
    set.insert("payment".into(), view);
    set
}

/// Asks the provider about a payment (webhook, sweep) and applies the answer. For the
/// simulated provider, an open payment past its expiry expires.
pub async fn refresh(state: &AppState, payment: &Payment) -> Result<Applied, ApiError> {
    let reported = match (&state.payments.online, payment.provider, payment.provider_ref.as_deref()) {
        (Online::Mollie(m), Provider::Mollie, Some(id)) => m.get(id).await.map_err(provider_error)?.status,
        // A Mollie payment without Mollie id (its creation failed and closing it failed too, or
        // the server stopped in between): there is nothing to ask, and it lapses like any other.
        _ if payment.expires_at.is_some_and(|t| t <= crate::routes::now()) => PaymentStatus::Expired,
        _ => payment.status,
    };
    apply(state, payment, reported).await
}

/// Cancels a reservation and refunds what the policy says (everything when the municipality
/// cancels).
pub async fn cancel(state: &AppState, reservation_id: i64, by_municipality: bool) -> Result<Reservation, ApiError> {
    let now = crate::routes::now();
    let s = state.clone();
    let mails = move |r: &Reservation,
                      resource: &balie_booking::catalogue::Resource,
                      refund_cents: i64,
                      credit: Option<&balie_booking::store::CreditNote>| {
        crate::confirmations::cancellation_mails(&s, r, resource, refund_cents, credit)
    };
    let cancelled =
        state.store.cancel_reservation(reservation_id, now, state.payments.refunds, by_municipality, &mails).await?;
    state.mailer.wake();
    if let Some(due) = &cancelled.refund {
        refund(state, due).await;
    }
    Ok(cancelled.reservation)
}

/// Asks the provider for a refund and records the answer; a provider that cannot be reached
/// leaves the refund pending, and the sweep asks again.
async fn refund(state: &AppState, due: &RefundDue) {
    let now = crate::routes::now();
    let outcome = match (&state.payments.online, due.payment.provider) {
        (Online::Mollie(m), Provider::Mollie) => {
            let Some(id) = due.payment.provider_ref.as_deref() else { return };
            // Keyed by our refund's id: asking again after a lost answer cannot refund twice.
            let key = format!("balie-refund-{}", due.refund_id);
            match m.refund(id, due.amount_cents, &format!("Terugbetaling {}", due.payment.description), &key).await {
                Ok(r) => Ok((
                    Some(r.id),
                    if matches!(r.status.as_str(), "failed" | "canceled") { "failed" } else { "accepted" },
                )),
                Err(e) => Err(e.to_string()),
            }
        }
        // The simulator's money is imaginary: the refund is done at once.
        _ => Ok((None, "refunded")),
    };
    match outcome {
        Ok((provider_ref, status)) => {
            if let Err(e) = state.store.record_refund(due.refund_id, provider_ref.as_deref(), status, now).await {
                tracing::error!(refund = due.refund_id, error = %e, "recording a refund");
            }
        }
        Err(e) => tracing::error!(refund = due.refund_id, error = %e, "refund not accepted by the provider yet"),
    }
}

/// Built once at start. `pin_key` keys the door PINs' digests; it is kept apart from every
/// other secret (see `app::prepare`), so rotating the session secret leaves issued PINs working.
pub fn from_config(config: &crate::config::Config, pin_key: Vec<u8>) -> anyhow::Result<Arc<Payments>> {
    anyhow::ensure!(config.payment_expiry_minutes > 0, "BALIE_PAYMENT_EXPIRY_MINUTES must be positive");
    anyhow::ensure!(config.invoice_due_days >= 0, "BALIE_INVOICE_DUE_DAYS cannot be negative");
    anyhow::ensure!(
        0 <= config.refund_half_days && config.refund_half_days <= config.refund_full_days,
        "refund days: 0 ≤ BALIE_REFUND_HALF_DAYS ≤ BALIE_REFUND_FULL_DAYS"
    );
    anyhow::ensure!(
        (0..=240).contains(&config.access_margin_minutes),
        "BALIE_ACCESS_MARGIN_MINUTES must be between 0 and 240"
    );
    anyhow::ensure!((0..=30).contains(&config.access_reminder_days), "BALIE_ACCESS_REMINDER_DAYS: 0 to 30");
    anyhow::ensure!(
        balie_mail::structured::iban(&config.iban).is_some(),
        "BALIE_IBAN is not a valid IBAN (it is printed on every invoice)"
    );
    let online = match config.payment_provider {
        crate::config::PaymentProviderKind::Simulated => {
            // The simulated bank lets anyone with a checkout link press "paid": fine on this
            // machine or a test server, never where people really book.
            anyhow::ensure!(
                !config.public_url.starts_with("https://") || config.allow_simulated_payments,
                "BALIE_PAYMENT_PROVIDER=simulated on a public https address: configure a real provider \
                 (BALIE_PAYMENT_PROVIDER=mollie), or set BALIE_ALLOW_SIMULATED_PAYMENTS=true for a test server"
            );
            tracing::warn!("payments: the simulated bank (no money moves; a checkout link can be marked paid by anyone holding it)");
            Online::Simulated
        }
        crate::config::PaymentProviderKind::Mollie => {
            anyhow::ensure!(
                !config.mollie_api_key.is_empty(),
                "BALIE_PAYMENT_PROVIDER=mollie needs BALIE_MOLLIE_API_KEY"
            );
            Online::Mollie(Mollie::new(&config.mollie_api_url, config.mollie_api_key.expose()))
        }
    };
    Ok(Arc::new(Payments {
        online,
        expiry: SignedDuration::from_mins(config.payment_expiry_minutes),
        invoice_due_days: config.invoice_due_days,
        iban: config.iban.clone(),
        municipality: config.mail_from_name.clone(),
        contact_email: config.mail_from.clone(),
        refunds: RefundPolicy { full_days: config.refund_full_days, half_days: config.refund_half_days },
        access_margin: SignedDuration::from_mins(config.access_margin_minutes),
        access_reminder: (config.access_reminder_days > 0)
            .then(|| SignedDuration::from_hours(24 * config.access_reminder_days)),
        pin_key,
    }))
}

/// For the sweep: open payments past their expiry.
pub async fn sweep(state: &AppState, now: Timestamp) {
    let lapsed = match state.store.lapsed_payments(now, 100).await {
        Ok(l) => l,
        Err(e) => return tracing::warn!(error = %e, "listing lapsed payments"),
    };
    for p in lapsed {
        if let Err(e) = refresh(state, &p).await {
            tracing::warn!(payment = p.id, error = %e, "refreshing a lapsed payment");
        }
    }
    match state.store.pending_refunds(now - SignedDuration::from_mins(1), 20).await {
        Ok(due) => {
            for d in due {
                refund(state, &d).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "listing pending refunds"),
    }
}

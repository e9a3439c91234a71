//! Payments: the provider's webhook, the QR code of a checkout address, a payment's status for
//! the page the provider sends the payer back to (`/betaling#ID`), and the built-in simulated
//! provider's API behind the test checkout page `/betalen#ID`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_booking::payments::{PaymentStatus, Provider};
use balie_booking::store::Payment;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{problem, ApiError, ApiResult, Problem};
use crate::extract::Json;
use crate::payments::mollie;
use crate::payments::service::{self, Online};
use crate::state::AppState;

/// Public payment ids are `pay_` + 32 hex digits: anything else is not looked up.
fn plausible_id(id: &str) -> bool {
    id.strip_prefix("pay_").is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn by_public_id(state: &AppState, id: &str) -> ApiResult<Payment> {
    if !plausible_id(id) {
        return Err(balie_booking::Error::not_found("payment", "that id").into());
    }
    Ok(state.store.payment_by_public_id(id).await?)
}

/// The provider reports a change. The body (`id=tr_…`) is only a hint: the status is fetched
/// from the provider. Unknown ids get 200 too (as Mollie advises), so the endpoint tells an
/// outsider nothing; a provider we cannot reach gets 503, and the provider retries later.
#[utoipa::path(post, path = "/api/v1/betalingen/webhook", tag = "payments",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "id=tr_…"),
    responses((status = 200, description = "received"), (status = 503, description = "provider unreachable; retry")))]
pub async fn webhook(State(state): State<AppState>, body: Bytes) -> Response {
    let Some(id) = std::str::from_utf8(&body).ok().and_then(mollie::parse_webhook) else {
        return StatusCode::OK.into_response();
    };
    let payment = match state.store.payment_by_provider_ref(Provider::Mollie, &id).await {
        Ok(p) => p,
        Err(balie_booking::Error::NotFound { .. }) => return StatusCode::OK.into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    match service::refresh(&state, &payment).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => {
            tracing::warn!(payment = payment.id, error = %e, "webhook not processed; the provider will retry");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Try again",
                "Processing failed; retry later.".into(),
            )
            .into_response_with(None)
        }
    }
}

/// The QR code of a payment's checkout address, for a phone's camera or bank app.
#[utoipa::path(get, path = "/api/v1/betalingen/{id}/qr.svg", tag = "payments",
    responses((status = 200, content_type = "image/svg+xml"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn qr(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let payment = by_public_id(&state, &id).await?;
    let url = payment.checkout_url.ok_or_else(|| balie_booking::Error::not_found("checkout", "that payment"))?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "private, max-age=600")],
        balie_mail::qr::qr_svg(&url),
    )
        .into_response())
}

/// A payment as the checkout page (simulator) and the return page show it: what, how much, to
/// whom and how it stands; nothing about the person.
#[derive(Serialize, ToSchema)]
pub struct PayerView {
    pub id: String,
    pub amount_cents: i64,
    pub currency: &'static str,
    pub description: String,
    pub status: PaymentStatus,
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<String>,
    pub municipality: String,
}

fn payer_view(state: &AppState, p: &Payment, now: Timestamp) -> PayerView {
    // An open payment past its expiry is shown as expired even before the sweep records it.
    let status = match p.status {
        PaymentStatus::Open if p.expires_at.is_some_and(|t| t <= now) => PaymentStatus::Expired,
        s => s,
    };
    PayerView {
        id: p.public_id.clone(),
        amount_cents: p.amount_cents,
        currency: "EUR",
        description: p.description.clone(),
        status,
        expires_at: p.expires_at.map(balie_booking::time::format_local),
        municipality: state.payments.municipality.clone(),
    }
}

async fn simulated(state: &AppState, id: &str) -> ApiResult<Payment> {
    if !matches!(state.payments.online, Online::Simulated) {
        return Err(balie_booking::Error::not_found("payment", "that id").into());
    }
    let p = by_public_id(state, id).await?;
    if p.provider != Provider::Simulated {
        return Err(balie_booking::Error::not_found("payment", "that id").into());
    }
    Ok(p)
}

/// How a payment stands, for the page the payer returns to from the provider (`/betaling#ID`):
/// anyone with the id (128 random bits) may ask. The payer usually comes back before the
/// provider's webhook, so an open Mollie payment is fetched from Mollie first.
#[utoipa::path(get, path = "/api/v1/betalingen/{id}", tag = "payments",
    params(("id" = String, Path, description = "the payment's public id, pay_…")),
    responses((status = 200, body = PayerView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn status(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<axum::Json<PayerView>> {
    let mut payment = by_public_id(&state, &id).await?;
    let in_flight = matches!(payment.status, PaymentStatus::Open | PaymentStatus::Pending | PaymentStatus::Authorized);
    if in_flight && payment.provider == Provider::Mollie && payment.provider_ref.is_some() {
        match service::refresh(&state, &payment).await {
            Ok(applied) => payment = applied.payment,
            // The page asks again in a moment; the webhook will come too.
            Err(e) => tracing::info!(payment = payment.id, error = %e, "refreshing for the return page"),
        }
    }
    Ok(axum::Json(payer_view(&state, &payment, crate::routes::now())))
}

/// The simulated provider's payment (only when it is the provider in use).
#[utoipa::path(get, path = "/api/v1/betaalsimulator/{id}", tag = "payments",
    responses((status = 200, body = PayerView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn simulator_get(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<axum::Json<PayerView>> {
    let p = simulated(&state, &id).await?;
    Ok(axum::Json(payer_view(&state, &p, crate::routes::now())))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Paid,
    Failed,
    Canceled,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatorAnswer {
    pub outcome: Outcome,
}

/// What the simulated bank answers: the payer approves, the payment fails, or the payer
/// cancels. Behaves like a real provider: a finished or expired payment cannot change (409 /
/// 410), and the change reaches balie the way a webhook would.
#[utoipa::path(post, path = "/api/v1/betaalsimulator/{id}", tag = "payments", request_body = SimulatorAnswer,
    responses((status = 200, body = PayerView), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "the payment is finished already", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "the payment expired", body = Problem, content_type = "application/problem+json")))]
pub async fn simulator_answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(answer): Json<SimulatorAnswer>,
) -> ApiResult<axum::Json<PayerView>> {
    let p = simulated(&state, &id).await?;
    let now = crate::routes::now();
    if p.status == PaymentStatus::Open && p.expires_at.is_some_and(|t| t <= now) {
        service::apply(&state, &p, PaymentStatus::Expired).await?;
        return Err(ApiError::Gone("this payment expired; ask for a new one".into()));
    }
    if p.status.is_final() {
        return Err(balie_booking::Error::State(format!("this payment is {} already", p.status.as_str())).into());
    }
    let status = match answer.outcome {
        Outcome::Paid => PaymentStatus::Paid,
        Outcome::Failed => PaymentStatus::Failed,
        Outcome::Canceled => PaymentStatus::Canceled,
    };
    let applied = service::apply(&state, &p, status).await?;
    Ok(axum::Json(payer_view(&state, &applied.payment, now)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPayment {
    /// `online` (checkout address + QR) or `invoice` (associations and companies; confirms at once).
    pub method: balie_booking::payments::Method,
}

/// A payment as staff see it.
#[derive(Serialize, ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub status: PaymentStatus,
    pub amount_cents: i64,
    pub checkout_url: Option<String>,
    pub qr_url: String,
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<balie_booking::store::Invoice>,
}

impl PaymentView {
    fn of(p: &Payment, invoice: Option<balie_booking::store::Invoice>) -> PaymentView {
        PaymentView {
            id: p.public_id.clone(),
            status: p.status,
            amount_cents: p.amount_cents,
            checkout_url: p.checkout_url.clone(),
            qr_url: format!("/api/v1/betalingen/{}/qr.svg", p.public_id),
            expires_at: p.expires_at.map(balie_booking::time::format_local),
            invoice,
        }
    }
}

/// Start paying for a held reservation (staff at the counter or on the phone; in a call the
/// shared panel does the same): an online payment, or an invoice for an association or company.
#[utoipa::path(post, path = "/api/v1/reservaties/{id}/betalingen", tag = "payments", request_body = StartPayment,
    responses((status = 201, body = PaymentView), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "not a live hold", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "the payment provider cannot be reached", body = Problem, content_type = "application/problem+json")))]
pub async fn start(
    State(state): State<AppState>,
    staff: crate::auth::Authorized<crate::auth::Bookers>,
    Path(id): Path<i64>,
    Json(body): Json<StartPayment>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<PaymentView>)> {
    let view = match body.method {
        balie_booking::payments::Method::Online => {
            let p = service::start_online(&state, id, None).await?;
            PaymentView::of(&p, None)
        }
        balie_booking::payments::Method::Invoice => {
            let r = state.store.reservation(id).await?;
            if !matches!(
                r.customer.customer_type,
                balie_booking::catalogue::CustomerType::RecognisedAssociation
                    | balie_booking::catalogue::CustomerType::OtherAssociation
                    | balie_booking::catalogue::CustomerType::Company
            ) {
                return Err(ApiError::invalid("method", "an invoice is for associations and companies"));
            }
            let c = service::start_invoice(&state, id, None).await?;
            PaymentView::of(&c.payment, c.invoice)
        }
    };
    tracing::info!(staff_id = staff.id(), reservation_id = id, "payment started");
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// The payments of a reservation, newest last.
#[utoipa::path(get, path = "/api/v1/reservaties/{id}/betalingen", tag = "payments",
    responses((status = 200, body = Vec<PaymentView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn of_reservation(
    State(state): State<AppState>,
    _staff: crate::auth::Authorized<crate::auth::Bookers>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<PaymentView>>> {
    state.store.reservation(id).await?;
    let invoice = state.store.invoice_of(id).await?;
    let payments = state.store.payments_of(id).await?;
    Ok(axum::Json(
        payments
            .iter()
            .map(|p| PaymentView::of(p, if p.provider == Provider::Invoice { invoice.clone() } else { None }))
            .collect(),
    ))
}

//! The business side of the call's shared booking panel (docs/panel.md). The signalling layer
//! keeps the panel's state and decides who may change what; this task reacts to what changed:
//! it places, replaces and releases the hold, prices it, starts payments, and writes the
//! server-owned keys (`hold`, `quote`, `payment`, `reservation`, `notice`) back into the panel.
//!
//! Events are handled one at a time, in the order the calls produced them, so the holds of one
//! panel follow its edits in order. Payments, which wait for a provider, run on their own tasks.

use std::collections::HashMap;

use balie_booking::catalogue::CustomerType;
use balie_booking::pricing::ServiceRequest;
use balie_booking::reservation::{Customer, ReservationRequest, Status};
use balie_booking::time::Period;
use balie_booking::Error as BookingError;
use balie_signaling::{PanelAction, PanelEvent, PayMethod};
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::payments::service;
use crate::state::AppState;

/// Edits of these keys change what is held or its price.
/// (`purpose` and the citizen's details are written onto the hold when paying.)
const BOOKING_KEYS: [&str; 5] = ["resource_id", "slot", "attendees", "extras", "customer_type"];

/// How often lapsed holds are looked for.
const HOLD_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    let mut events = state.hub.subscribe_panel();
    tokio::spawn(async move {
        // The holds the panels show, by call: when one lapses unpaid, its panel is told.
        let mut holds: HashMap<i64, (i64, Timestamp)> = HashMap::new();
        let mut tick = tokio::time::interval(HOLD_CHECK);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some((call, event)) => handle(&state, call, event, &mut holds).await,
                    None => return,
                },
                _ = tick.tick() => lapsed_holds(&state, &mut holds).await,
            }
        }
    })
}

/// Writes server keys into a call's panel, remembering the hold it now shows.
fn write(state: &AppState, call: i64, set: Map<String, Value>, holds: &mut HashMap<i64, (i64, Timestamp)>) {
    match set.get("hold") {
        Some(Value::Null) => {
            holds.remove(&call);
        }
        Some(hold) => {
            let id = hold.get("reservation_id").and_then(Value::as_i64);
            let until = hold.get("expires_at").and_then(Value::as_str).and_then(|s| s.parse::<Timestamp>().ok());
            if let (Some(id), Some(until)) = (id, until) {
                holds.insert(call, (id, until));
            }
        }
        None => {}
    }
    state.hub.panel_update(call, set);
}

/// Tells each panel whose hold lapsed without a payment that the slot is no longer held. A hold
/// a payment stretched, or one that was confirmed, is followed or forgotten.
async fn lapsed_holds(state: &AppState, holds: &mut HashMap<i64, (i64, Timestamp)>) {
    let now = crate::routes::now();
    let due: Vec<(i64, i64)> =
        holds.iter().filter(|(_, (_, until))| *until <= now).map(|(c, (r, _))| (*c, *r)).collect();
    for (call, id) in due {
        match state.store.reservation(id).await {
            Ok(r) if r.effective_status(now) == Status::Hold => {
                if let Some(until) = r.hold_expires_at {
                    holds.insert(call, (id, until));
                }
            }
            Ok(r) if r.effective_status(now) == Status::Expired => {
                let mut set = notice("hold_expired", "the slot was held too long without payment; choose it again");
                set.insert("hold".into(), Value::Null);
                set.insert("quote".into(), Value::Null);
                write(state, call, set, holds);
            }
            _ => {
                holds.remove(&call);
            }
        }
    }
}

async fn handle(state: &AppState, call: i64, event: PanelEvent, holds: &mut HashMap<i64, (i64, Timestamp)>) {
    match event {
        PanelEvent::Edited { keys, state: panel, .. } => {
            let mut set = Map::new();
            if keys.iter().any(|k| k == "open") && panel.get("open") == Some(&json!(true)) {
                prefill(state, call, &panel, &mut set).await;
            }
            if keys.iter().any(|k| BOOKING_KEYS.contains(&k.as_str())) {
                rehold(state, call, &panel, &mut set, holds).await;
            }
            if !set.is_empty() {
                write(state, call, set, holds);
            }
        }
        PanelEvent::Action { action: PanelAction::Pay { method }, state: panel, .. } => {
            let state = state.clone();
            tokio::spawn(async move {
                match pay(&state, call, &panel, method).await {
                    // Only while the panel still holds the reservation just paid for: edits that
                    // replaced the hold, or a reset, may have come in while the provider answered
                    // (the payment then lapses unseen, and its reservation is no longer held).
                    Ok(set) => match held_id(&panel) {
                        Some(id) => {
                            state.hub.panel_update_if(call, set, vec![("/hold/reservation_id".into(), json!(id))])
                        }
                        None => state.hub.panel_update(call, set),
                    },
                    Err(e) => state.hub.panel_update(call, notice("invalid", &e)),
                }
            });
        }
        PanelEvent::Action { action: PanelAction::Reset, state: panel, .. } => {
            release(state, call, &panel, holds).await;
            let mut set = Map::new();
            for key in
                ["kind", "filters", "resource_id", "date", "slot", "extras", "purpose", "organisation", "hold", "quote"]
            {
                set.insert(key.into(), Value::Null);
            }
            for key in ["payment", "reservation", "notice", "identity_confirmed"] {
                set.insert(key.into(), Value::Null);
            }
            set.insert("step".into(), json!("search"));
            write(state, call, set, holds);
        }
        PanelEvent::Closed { state: panel } => {
            release(state, call, &panel, holds).await;
            holds.remove(&call);
        }
    }
}

fn notice(code: &str, detail: &str) -> Map<String, Value> {
    let mut set = Map::new();
    set.insert("notice".into(), json!({"code": code, "detail": detail}));
    set
}

fn held_id(panel: &Map<String, Value>) -> Option<i64> {
    panel.get("hold")?.get("reservation_id")?.as_i64()
}

/// The hold this task last placed for `call`. Not the event's snapshot: edits queued before the
/// server's write of a new hold still carry the old one, and releasing from them would leak holds.
fn own_hold(call: i64, holds: &HashMap<i64, (i64, Timestamp)>) -> Option<i64> {
    holds.get(&call).map(|(id, _)| *id)
}

/// A payment is under way or done: the booking may no longer change under it.
fn payment_locks(panel: &Map<String, Value>) -> bool {
    matches!(
        panel.get("payment").and_then(|p| p.get("status")).and_then(Value::as_str),
        Some("open" | "pending" | "authorized" | "paid" | "invoiced")
    )
}

/// Fills the citizen's details from the appointment when the agent opens the panel.
async fn prefill(state: &AppState, call: i64, panel: &Map<String, Value>, set: &mut Map<String, Value>) {
    if !panel.contains_key("step") {
        set.insert("step".into(), json!("search"));
    }
    if panel.contains_key("identity") {
        return;
    }
    let citizen = match state.store.appointment_of_call(call).await {
        Ok(Some(a)) => Some((a.citizen.name, a.citizen.email)),
        _ => state.store.call(call).await.ok().and_then(|c| {
            c.participants
                .into_iter()
                .find(|p| p.role == balie_booking::calls::ParticipantRole::Citizen)
                .map(|p| (p.name, p.email.unwrap_or_default()))
        }),
    };
    if let Some((name, email)) = citizen {
        set.insert("identity".into(), json!({"name": name, "email": email, "address": ""}));
    }
}

fn customer_of(panel: &Map<String, Value>) -> Customer {
    let identity = panel.get("identity");
    let text = |key: &str| identity.and_then(|i| i.get(key)).and_then(Value::as_str).unwrap_or("").trim().to_string();
    let customer_type = panel
        .get("customer_type")
        .and_then(|v| serde_json::from_value::<CustomerType>(v.clone()).ok())
        .unwrap_or(CustomerType::Resident);
    let organisation = panel.get("organisation").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let address = text("address");
    Customer {
        customer_type,
        name: text("name"),
        email: text("email"),
        phone: None,
        organisation: organisation.map(String::from),
        address: (!address.is_empty()).then_some(address),
        identity_check: panel.get("identity_check").and_then(Value::as_str).map(String::from),
        language: None,
    }
}

/// The hold the panel asks for, or why it cannot be asked for yet.
fn request_of(panel: &Map<String, Value>) -> Option<ReservationRequest> {
    let resource_id = panel.get("resource_id")?.as_i64()?;
    let period: Period = serde_json::from_value(panel.get("slot")?.clone()).ok()?;
    let services: Vec<ServiceRequest> =
        panel.get("extras").and_then(|e| serde_json::from_value(e.clone()).ok()).unwrap_or_default();
    let mut customer = customer_of(panel);
    // The hold is made before the citizen confirmed their details; a placeholder keeps the
    // request valid until then (the details are written before payment, see `pay`).
    if customer.name.is_empty() {
        customer.name = "—".into();
    }
    if !customer.email.contains('@') {
        customer.email = "onbekend@invalid.example".into();
    }
    if customer.organisation.is_none()
        && matches!(
            customer.customer_type,
            CustomerType::RecognisedAssociation | CustomerType::OtherAssociation | CustomerType::Company
        )
    {
        customer.organisation = Some("—".into());
    }
    Some(ReservationRequest {
        resource_id,
        period,
        customer,
        attendees: panel.get("attendees").and_then(Value::as_i64).unwrap_or(1),
        services,
        purpose: panel.get("purpose").and_then(Value::as_str).unwrap_or("").to_string(),
    })
}

/// Replaces the panel's hold by one for what it now shows.
async fn rehold(
    state: &AppState,
    call: i64,
    panel: &Map<String, Value>,
    set: &mut Map<String, Value>,
    holds: &mut HashMap<i64, (i64, Timestamp)>,
) {
    if payment_locks(panel) {
        set.extend(notice("payment_in_progress", "start over to change the booking"));
        return;
    }
    let now = crate::routes::now();
    // Released first: a new hold for the same slot with other extras would clash with it.
    release(state, call, panel, holds).await;
    holds.remove(&call);
    let Some(request) = request_of(panel) else {
        set.insert("hold".into(), Value::Null);
        set.insert("quote".into(), Value::Null);
        return;
    };
    match state.store.hold(&request, None, now, state.hold_ttl).await {
        Ok(r) => {
            set.insert(
                "hold".into(),
                json!({"reservation_id": r.id, "expires_at": r.hold_expires_at.map(balie_booking::time::format_local)}),
            );
            set.insert("quote".into(), serde_json::to_value(&r.quote).unwrap_or(Value::Null));
            set.insert("notice".into(), Value::Null);
        }
        Err(e) => {
            set.insert("hold".into(), Value::Null);
            set.insert("quote".into(), Value::Null);
            let (code, detail) = match &e {
                BookingError::Conflict(_) => ("slot_taken", e.to_string()),
                BookingError::Invalid(errors) => (
                    "invalid",
                    errors.iter().map(|f| format!("{}: {}", f.field, f.reason)).collect::<Vec<_>>().join("; "),
                ),
                _ => {
                    tracing::error!(error = %e, "placing a hold from the panel");
                    ("invalid", "the slot could not be held; try again".to_string())
                }
            };
            set.insert("notice".into(), json!({"code": code, "detail": detail}));
        }
    }
}

/// Frees the panel's hold unless a payment is under way for it (the citizen may still be
/// paying on their phone; the hold then lapses with the payment).
async fn release(state: &AppState, call: i64, panel: &Map<String, Value>, holds: &HashMap<i64, (i64, Timestamp)>) {
    let Some(id) = own_hold(call, holds) else { return };
    if payment_locks(panel) {
        return;
    }
    let now = crate::routes::now();
    match state.store.reservation(id).await {
        Ok(r) if r.effective_status(now) == Status::Hold => {
            if let Err(e) = state.store.cancel(id, now).await {
                tracing::warn!(reservation = id, error = %e, "releasing a panel hold");
            }
        }
        _ => {}
    }
}

/// The agent starts the payment: the citizen's confirmed details go on the hold, then the
/// provider (or the invoice) takes over.
async fn pay(
    state: &AppState,
    call: i64,
    panel: &Map<String, Value>,
    method: PayMethod,
) -> Result<Map<String, Value>, String> {
    let id = held_id(panel).ok_or("choose a slot first")?;
    if panel.get("identity_confirmed") != Some(&json!(true)) {
        return Err("the citizen has not confirmed their details yet".into());
    }
    if !panel.get("identity_check").is_some_and(Value::is_string) {
        return Err("record how the citizen's identity was checked".into());
    }
    if matches!(
        panel.get("payment").and_then(|p| p.get("status")).and_then(Value::as_str),
        Some("open" | "pending" | "authorized")
    ) {
        return Err("a payment is already under way".into());
    }
    let mut customer = customer_of(panel);
    // Their e-mails (confirmation, reminder, cancellation, evaluation) in the language of the
    // call's appointment; Dutch for a call without one.
    customer.language = state.store.appointment_of_call(call).await.ok().flatten().map(|a| a.citizen.language);
    if method == PayMethod::Invoice
        && !matches!(
            customer.customer_type,
            CustomerType::RecognisedAssociation | CustomerType::OtherAssociation | CustomerType::Company
        )
    {
        return Err("an invoice is for associations and companies; private persons pay online".into());
    }
    let now = crate::routes::now();
    let purpose = panel.get("purpose").and_then(Value::as_str).unwrap_or("");
    state.store.update_hold_customer(id, &customer, purpose, now).await.map_err(|e| describe(e.into()))?;
    match method {
        PayMethod::Online => {
            let payment = service::start_online(state, id, Some(call)).await.map_err(describe)?;
            let mut set = service::panel_view(&payment, None);
            set.insert("step".into(), json!("pay"));
            Ok(set)
        }
        PayMethod::Invoice => {
            let confirmed = service::start_invoice(state, id, Some(call)).await.map_err(describe)?;
            Ok(service::panel_view(&confirmed.payment, Some(&confirmed)))
        }
    }
}

fn describe(e: ApiError) -> String {
    match e {
        ApiError::Booking(BookingError::Invalid(errors)) => {
            errors.iter().map(|f| format!("{}: {}", f.field, f.reason)).collect::<Vec<_>>().join("; ")
        }
        ApiError::Booking(e @ (BookingError::State(_) | BookingError::Conflict(_) | BookingError::NotFound { .. })) => {
            e.to_string()
        }
        other => {
            tracing::error!(error = %other, "starting a payment from the panel");
            "the payment could not be started; try again".into()
        }
    }
}

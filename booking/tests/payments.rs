//! Payments, invoices, refunds and door codes on both backends: a provider's report is applied
//! exactly once whatever the order and however often it comes, a paid payment confirms the
//! reservation with one door code and one e-mail, and doors decide and lock as promised.

mod common;

use std::sync::Arc;

use balie_booking::access::{LOCK, MAX_FAILURES};
use balie_booking::catalogue::CustomerType;
use balie_booking::outbox::NewMail;
use balie_booking::payments::{parse_structured_communication, PaymentStatus, Provider, RefundPolicy};
use balie_booking::reservation::Status;
use balie_booking::store::{CodeIssuer, Confirmed, CreditNote, Direction, DoorDecision, NewPayment, Presented};
use balie_booking::{access::Refusal, Store};
use common::*;
use jiff::civil::date;
use jiff::Timestamp;

on_both_backends! {
    a_paid_report_confirms_once_with_one_code_and_one_mail =>
        sqlite_a_paid_report_confirms_once_with_one_code_and_one_mail,
        postgres_a_paid_report_confirms_once_with_one_code_and_one_mail;
    reports_out_of_order_never_move_a_payment_back =>
        sqlite_reports_out_of_order_never_move_a_payment_back,
        postgres_reports_out_of_order_never_move_a_payment_back;
    concurrent_webhooks_confirm_exactly_once =>
        sqlite_concurrent_webhooks_confirm_exactly_once, postgres_concurrent_webhooks_confirm_exactly_once;
    a_second_paid_payment_is_orphaned_for_refund =>
        sqlite_a_second_paid_payment_is_orphaned_for_refund,
        postgres_a_second_paid_payment_is_orphaned_for_refund;
    only_reservations_the_door_let_in_are_evaluated =>
        sqlite_only_reservations_the_door_let_in_are_evaluated,
        postgres_only_reservations_the_door_let_in_are_evaluated;
    reservation_customers_are_erased_after_their_retention =>
        sqlite_reservation_customers_are_erased_after_their_retention,
        postgres_reservation_customers_are_erased_after_their_retention;
    cancelling_an_invoiced_reservation_credits_its_invoice =>
        sqlite_cancelling_an_invoiced_reservation_credits_its_invoice,
        postgres_cancelling_an_invoiced_reservation_credits_its_invoice;
    invoices_issued_at_once_get_consecutive_numbers =>
        sqlite_invoices_issued_at_once_get_consecutive_numbers,
        postgres_invoices_issued_at_once_get_consecutive_numbers;
    an_invoice_confirms_with_a_valid_structured_communication =>
        sqlite_an_invoice_confirms_with_a_valid_structured_communication,
        postgres_an_invoice_confirms_with_a_valid_structured_communication;
    the_door_opens_inside_the_window_only =>
        sqlite_the_door_opens_inside_the_window_only, postgres_the_door_opens_inside_the_window_only;
    five_wrong_codes_lock_the_door_for_five_minutes =>
        sqlite_five_wrong_codes_lock_the_door_for_five_minutes,
        postgres_five_wrong_codes_lock_the_door_for_five_minutes;
    cancelling_revokes_the_code_withdraws_reminders_and_refunds_by_policy =>
        sqlite_cancelling_revokes_the_code_withdraws_reminders_and_refunds_by_policy,
        postgres_cancelling_revokes_the_code_withdraws_reminders_and_refunds_by_policy;
    overlapping_codes_of_one_door_have_distinct_pins =>
        sqlite_overlapping_codes_of_one_door_have_distinct_pins,
        postgres_overlapping_codes_of_one_door_have_distinct_pins;
}

const KEY: &[u8] = b"test key for PIN digests, 32 by";

fn issuer() -> CodeIssuer<'static> {
    CodeIssuer { pin_key: KEY, margin: minutes(15) }
}

/// The "e-mail" of a confirmation: the PIN and QR in the body, as the real renderer puts them.
fn confirmation_mail(c: &Confirmed) -> balie_booking::Result<Vec<NewMail>> {
    let code = c.code.as_ref().map(|c| format!("{} {}", c.pin, c.qr)).unwrap_or_default();
    Ok(vec![NewMail {
        kind: "reservation_confirmation".into(),
        recipient: c.reservation.customer.email.clone(),
        subject: format!("Reservatie {}", c.reservation.id),
        body: format!("code {code}"),
        appointment_id: None,
        reservation_id: Some(c.reservation.id),
        not_before: None,
    }])
}

fn reminder_mail(c: &Confirmed) -> balie_booking::Result<Vec<NewMail>> {
    let mut mails = confirmation_mail(c)?;
    mails.push(NewMail {
        kind: "reservation_access_reminder".into(),
        not_before: Some(c.reservation.period.start - minutes(2 * 24 * 60)),
        ..mails[0].clone()
    });
    Ok(mails)
}

fn day() -> jiff::civil::Date {
    date(2026, 12, 10)
}

/// A held reservation of the hall's zone A (whose door is the hall's) and an open payment for it.
async fn held_and_open(store: &Store, n: u32) -> (i64, i64) {
    seeded_once(store).await;
    let zone = id_of(store, "sporthal-de-vijver-zone-a").await;
    let r = hold(store, zone, span(day(), (9 + n as i8, 0), (10 + n as i8, 0))).await.unwrap();
    let p = store.create_payment(&new_payment(r.id, r.quote.total_cents, n), now()).await.unwrap();
    store.set_payment_checkout(p.id, &format!("tr_test{n}"), Some("https://pay.example/x"), None, now()).await.unwrap();
    (r.id, p.id)
}

fn new_payment(reservation_id: i64, amount_cents: i64, n: u32) -> NewPayment {
    NewPayment {
        public_id: format!("pay_{reservation_id}_{n}_{}", rand::random::<u32>()),
        reservation_id,
        call_id: None,
        provider: Provider::Simulated,
        amount_cents,
        description: "Reservatie".into(),
        idempotency_key: format!("idem-{reservation_id}-{n}-{}", rand::random::<u32>()),
        expires_at: Some(now() + minutes(15)),
    }
}

async fn seeded_once(store: &Store) {
    if store.resources().await.unwrap().is_empty() {
        seeded(store).await;
    }
}

async fn outbox_bodies(store: &Store, reservation_id: i64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for status in [
        balie_booking::outbox::DeliveryStatus::Pending,
        balie_booking::outbox::DeliveryStatus::Sent,
        balie_booking::outbox::DeliveryStatus::Failed,
    ] {
        for m in store.mails(status, 100).await.unwrap() {
            if m.subject == format!("Reservatie {reservation_id}") {
                out.push((m.kind.clone(), store.mail_body(m.id).await.unwrap().unwrap_or_default()));
            }
        }
    }
    out
}

fn pin_of(body: &str) -> String {
    body.split_whitespace().nth(1).expect("a PIN in the body").to_string()
}

async fn a_paid_report_confirms_once_with_one_code_and_one_mail(store: Store) {
    let (rid, pid) = held_and_open(&store, 0).await;
    let paid =
        store.apply_payment_status(pid, PaymentStatus::Paid, now(), &issuer(), &confirmation_mail).await.unwrap();
    assert!(paid.changed);
    assert_eq!(paid.payment.status, PaymentStatus::Paid);
    assert_eq!(paid.payment.paid_at, Some(now()));
    let confirmed = paid.confirmed.expect("the paid report confirms");
    assert_eq!(confirmed.reservation.status, Status::Confirmed);
    let code = confirmed.code.expect("the hall has a door");
    assert!(code.door_name.contains("Sporthal"), "{}", code.door_name);
    assert_eq!(code.valid, span(day(), (8, 45), (10, 15)));
    // The same report again (a webhook retried): nothing changes, no second mail.
    let again =
        store.apply_payment_status(pid, PaymentStatus::Paid, now(), &issuer(), &confirmation_mail).await.unwrap();
    assert!(!again.changed && again.confirmed.is_none() && !again.orphaned);
    let mails = outbox_bodies(&store, rid).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(pin_of(&mails[0].1), code.pin);
    assert_eq!(store.reservation(rid).await.unwrap().status, Status::Confirmed);
    let access = store.access_of(rid).await.unwrap().unwrap();
    assert_eq!((access.valid, access.revoked), (code.valid, false));
}

async fn reports_out_of_order_never_move_a_payment_back(store: Store) {
    let (rid, pid) = held_and_open(&store, 0).await;
    let apply = |s| {
        let store = store.clone();
        async move { store.apply_payment_status(pid, s, now(), &issuer(), &confirmation_mail).await.unwrap() }
    };
    assert!(apply(PaymentStatus::Pending).await.changed);
    assert!(!apply(PaymentStatus::Open).await.changed, "open after pending is old news");
    assert!(apply(PaymentStatus::Paid).await.changed);
    for late in [PaymentStatus::Open, PaymentStatus::Pending, PaymentStatus::Failed, PaymentStatus::Expired] {
        let a = apply(late).await;
        assert!(!a.changed, "{late:?} after paid");
        assert_eq!(a.payment.status, PaymentStatus::Paid);
    }
    assert_eq!(store.reservation(rid).await.unwrap().status, Status::Confirmed);
    // A failed payment leaves the slot held, so another payment can be started at once.
    let (rid2, pid2) = held_and_open(&store, 3).await;
    let failed =
        store.apply_payment_status(pid2, PaymentStatus::Failed, now(), &issuer(), &confirmation_mail).await.unwrap();
    assert!(failed.changed && failed.confirmed.is_none());
    assert_eq!(store.reservation(rid2).await.unwrap().status, Status::Hold);
    let late =
        store.apply_payment_status(pid2, PaymentStatus::Paid, now(), &issuer(), &confirmation_mail).await.unwrap();
    assert!(!late.changed, "nothing follows failed");
}

async fn concurrent_webhooks_confirm_exactly_once(store: Store) {
    let (rid, pid) = held_and_open(&store, 0).await;
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let status = if i % 3 == 2 { PaymentStatus::Pending } else { PaymentStatus::Paid };
            // A concurrent change is reported as a state error; the provider retries it.
            loop {
                match store.apply_payment_status(pid, status, now(), &issuer(), &confirmation_mail).await {
                    Ok(a) => return a.confirmed.is_some(),
                    Err(balie_booking::Error::State(_)) => continue,
                    Err(balie_booking::Error::Database(e)) if e.to_string().contains("lock") => continue,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    let mut confirmations = 0;
    for t in tasks {
        confirmations += t.await.unwrap() as usize;
    }
    assert_eq!(confirmations, 1);
    assert_eq!(outbox_bodies(&store, rid).await.len(), 1);
    assert_eq!(store.payment(pid).await.unwrap().status, PaymentStatus::Paid);
}

async fn a_second_paid_payment_is_orphaned_for_refund(store: Store) {
    let (rid, first) = held_and_open(&store, 0).await;
    let r = store.reservation(rid).await.unwrap();
    let second = store.create_payment(&new_payment(rid, r.quote.total_cents, 9), now()).await.unwrap();
    store.apply_payment_status(first, PaymentStatus::Paid, now(), &issuer(), &confirmation_mail).await.unwrap();
    let dup =
        store.apply_payment_status(second.id, PaymentStatus::Paid, now(), &issuer(), &confirmation_mail).await.unwrap();
    assert!(dup.changed && dup.orphaned && dup.confirmed.is_none());
    assert_eq!(outbox_bodies(&store, rid).await.len(), 1);
    // A payment cannot be started for a reservation that is no longer held.
    let refused = store.create_payment(&new_payment(rid, 100, 10), now()).await;
    expect_state(refused);
}

async fn an_invoice_confirms_with_a_valid_structured_communication(store: Store) {
    seeded(&store).await;
    let room = id_of(&store, "feestzaal-het-anker").await;
    let req = request(room, span(day(), (14, 0), (18, 0)), CustomerType::RecognisedAssociation);
    let r = store.hold(&req, None, now(), ttl()).await.unwrap();
    let mut p = new_payment(r.id, r.quote.total_cents, 0);
    p.provider = Provider::Invoice;
    p.expires_at = None;
    let c = store.confirm_with_invoice(&p, 30, now(), &issuer(), &confirmation_mail).await.unwrap();
    let invoice = c.invoice.unwrap();
    assert_eq!(c.payment.status, PaymentStatus::Invoiced);
    assert_eq!(parse_structured_communication(&invoice.structured_communication), Some(invoice.number as u64));
    assert_eq!(invoice.number / 1_000_000, 2026);
    // Due 30 days after issue, but before the day of the reservation.
    assert_eq!(invoice.due_date, date(2026, 12, 9));
    assert_eq!(store.invoice_of(r.id).await.unwrap().as_ref(), Some(&invoice));
    assert!(c.code.is_some());
    assert_eq!(store.reservation(r.id).await.unwrap().status, Status::Confirmed);
    // A second invoice gets the next number.
    let req2 = request(room, span(date(2026, 12, 12), (14, 0), (18, 0)), CustomerType::Company);
    let r2 = store.hold(&req2, None, now(), ttl()).await.unwrap();
    let mut p2 = new_payment(r2.id, r2.quote.total_cents, 1);
    p2.provider = Provider::Invoice;
    let c2 = store.confirm_with_invoice(&p2, 30, now(), &issuer(), &confirmation_mail).await.unwrap();
    // One unbroken series per year: 2026000001, 2026000002, … and 2027000001 in the new year.
    assert_eq!((invoice.number, c2.invoice.unwrap().number), (2_026_000_001, 2_026_000_002));
    let new_year = local(date(2027, 1, 4), 9, 0);
    let req3 = request(room, span(date(2027, 1, 20), (14, 0), (18, 0)), CustomerType::Company);
    let r3 = store.hold(&req3, None, new_year, ttl()).await.unwrap();
    let mut p3 = new_payment(r3.id, r3.quote.total_cents, 2);
    p3.provider = Provider::Invoice;
    let c3 = store.confirm_with_invoice(&p3, 30, new_year, &issuer(), &confirmation_mail).await.unwrap();
    let third = c3.invoice.unwrap();
    assert_eq!(third.number, 2_027_000_001);
    assert_eq!(parse_structured_communication(&third.structured_communication), Some(2_027_000_001));
}

async fn reservation_customers_are_erased_after_their_retention(store: Store) {
    seeded(&store).await;
    let room = id_of(&store, "feestzaal-het-anker").await;
    let mut req = request(room, span(day(), (14, 0), (18, 0)), CustomerType::Company);
    req.purpose = "Personeelsfeest van Jan Peeters".into();
    let r = store.hold(&req, None, now(), ttl()).await.unwrap();
    let mut p = new_payment(r.id, r.quote.total_cents, 0);
    p.provider = Provider::Invoice;
    let invoice = store.confirm_with_invoice(&p, 30, now(), &issuer(), &confirmation_mail).await.unwrap().invoice;
    let later = request(room, span(date(2026, 12, 20), (14, 0), (18, 0)), CustomerType::Resident);
    let kept = store.hold(&later, None, now(), ttl()).await.unwrap();
    // Not yet: the reservation ends after the cutoff.
    assert_eq!(store.purge_reservation_customers_before(local(day(), 17, 0), now()).await.unwrap(), 0);
    let cutoff = local(day(), 19, 0);
    assert_eq!(store.purge_reservation_customers_before(cutoff, now()).await.unwrap(), 1);
    let erased = store.reservation(r.id).await.unwrap();
    assert_eq!((erased.customer.name.as_str(), erased.customer.email.as_str()), ("", ""));
    assert_eq!((erased.customer.organisation.as_ref(), erased.customer.address.as_ref()), (None, None));
    assert_eq!(erased.customer.customer_type, CustomerType::Company, "the rate stays");
    assert_eq!(erased.purpose, "");
    assert_eq!(erased.status, Status::Confirmed);
    assert_eq!(erased.quote, r.quote, "the price stays");
    assert_eq!(store.invoice_of(r.id).await.unwrap(), invoice, "the invoice stays");
    assert_eq!(store.reservation(kept.id).await.unwrap().customer, kept.customer, "a later one is untouched");
    assert_eq!(store.purge_reservation_customers_before(cutoff, now()).await.unwrap(), 0, "once");
}

async fn invoices_issued_at_once_get_consecutive_numbers(store: Store) {
    seeded(&store).await;
    let room = id_of(&store, "feestzaal-het-anker").await;
    let mut payments = Vec::new();
    for i in 0..6i8 {
        let req = request(room, span(date(2026, 12, 14 + i), (14, 0), (16, 0)), CustomerType::Company);
        let r = store.hold(&req, None, now(), ttl()).await.unwrap();
        let mut p = new_payment(r.id, r.quote.total_cents, i as u32);
        p.provider = Provider::Invoice;
        payments.push(p);
    }
    let issued = payments.into_iter().map(|p| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .confirm_with_invoice(&p, 30, now(), &issuer(), &confirmation_mail)
                .await
                .unwrap()
                .invoice
                .unwrap()
                .number
        })
    });
    let mut numbers = Vec::new();
    for task in issued.collect::<Vec<_>>() {
        numbers.push(task.await.unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (2_026_000_001..=2_026_000_006).collect::<Vec<_>>(), "no gap, no duplicate");
}

async fn confirmed_pin(store: &Store) -> (i64, i64, String, String) {
    let (rid, pid) = held_and_open(store, 0).await;
    let a = store.apply_payment_status(pid, PaymentStatus::Paid, now(), &issuer(), &reminder_mail).await.unwrap();
    let code = a.confirmed.unwrap().code.unwrap();
    (rid, code.door_id, code.pin.clone(), code.qr.clone())
}

async fn only_reservations_the_door_let_in_are_evaluated(store: Store) {
    let mut doors = Vec::new();
    for n in 0..2 {
        let (rid, pid) = held_and_open(&store, n).await;
        let a = store.apply_payment_status(pid, PaymentStatus::Paid, now(), &issuer(), &reminder_mail).await.unwrap();
        let code = a.confirmed.unwrap().code.unwrap();
        doors.push((rid, code.door_id, code.pin.clone()));
    }
    let [(used, door, pin), (no_show, same_door, _)] = doors.try_into().unwrap();
    assert_eq!(door, same_door);
    let candidates = |store: Store| async move {
        let (from, to) = (local(day(), 0, 0), local(day(), 23, 59));
        store.evaluation_candidates(from, to, 10).await.unwrap().into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    // No device at the door: nothing says the room stayed empty.
    assert_eq!(candidates(store.clone()).await, [used, no_show]);
    // With a keypad, only the reservation whose code opened the door was used.
    store.set_door_key(door, "device-key-digest").await.unwrap();
    let opened = store.door_attempt(door, &Presented::Pin(pin), Direction::In, KEY, local(day(), 9, 5)).await.unwrap();
    assert!(matches!(opened, DoorDecision::Open { reservation_id, .. } if reservation_id == used));
    assert_eq!(candidates(store.clone()).await, [used]);
}

async fn the_door_opens_inside_the_window_only(store: Store) {
    let (rid, door, pin, qr) = confirmed_pin(&store).await;
    let at = |h: i8, m: i8| local(day(), h, m);
    let try_pin = |t: Timestamp, d: Direction| {
        let (store, pin) = (store.clone(), pin.clone());
        async move { store.door_attempt(door, &Presented::Pin(pin), d, KEY, t).await.unwrap() }
    };
    assert!(matches!(try_pin(at(8, 44), Direction::In).await, DoorDecision::Refused { reason: Refusal::TooEarly, .. }));
    assert!(
        matches!(try_pin(at(8, 45), Direction::In).await, DoorDecision::Open { reservation_id, .. } if reservation_id == rid)
    );
    assert!(matches!(try_pin(at(10, 14), Direction::Out).await, DoorDecision::Open { .. }));
    assert!(matches!(
        try_pin(at(10, 15), Direction::Out).await,
        DoorDecision::Refused { reason: Refusal::TooLate, .. }
    ));
    let by_qr = store.door_attempt(door, &Presented::Qr(qr), Direction::In, KEY, at(9, 30)).await.unwrap();
    assert!(matches!(by_qr, DoorDecision::Open { .. }));
    // The same PIN at another door is just an unknown code.
    let other = store.ensure_door(id_of(&store, "raadzaal").await, "Raadzaal", now()).await.unwrap();
    let elsewhere = store.door_attempt(other.id, &Presented::Pin(pin), Direction::In, KEY, at(9, 30)).await.unwrap();
    assert_eq!(elsewhere, DoorDecision::Refused { reason: Refusal::UnknownCode, valid: None });
    let log = store.door_events(door, 10).await.unwrap();
    assert_eq!(log.len(), 5);
    assert_eq!(log[0].outcome, "open");
    assert_eq!(log[1].direction, Direction::Out);
    assert_eq!(log[1].reason.as_deref(), Some("too_late"));
    assert_eq!(log[4].reason.as_deref(), Some("too_early"));
    assert!(log.iter().all(|e| e.reservation_id == Some(rid)));
}

async fn five_wrong_codes_lock_the_door_for_five_minutes(store: Store) {
    let (_rid, door, pin, _qr) = confirmed_pin(&store).await;
    let t0 = local(day(), 9, 0);
    let wrong = if pin == "000000" { "000001" } else { "000000" };
    for i in 1..MAX_FAILURES {
        let d = store.door_attempt(door, &Presented::Pin(wrong.into()), Direction::In, KEY, t0).await.unwrap();
        assert!(matches!(d, DoorDecision::Refused { reason: Refusal::UnknownCode, .. }), "attempt {i}: {d:?}");
    }
    // Malformed input counts too: the fifth wrong attempt locks.
    let fifth = store.door_attempt(door, &Presented::Pin("12ab".into()), Direction::In, KEY, t0).await.unwrap();
    assert!(matches!(fifth, DoorDecision::Refused { .. }));
    assert_eq!(store.door(door).await.unwrap().locked_until, Some(t0 + LOCK));
    // Locked: even the right PIN is not looked at.
    let locked = store.door_attempt(door, &Presented::Pin(pin.clone()), Direction::In, KEY, t0 + minutes(4)).await;
    assert_eq!(locked.unwrap(), DoorDecision::Locked { until: t0 + LOCK });
    let open = store.door_attempt(door, &Presented::Pin(pin), Direction::In, KEY, t0 + LOCK).await.unwrap();
    assert!(matches!(open, DoorDecision::Open { .. }));
    let log = store.door_events(door, 20).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.outcome == "locked").count(), 1);
    assert_eq!(log.iter().filter(|e| e.outcome == "refused").count(), MAX_FAILURES as usize);
}

/// The "e-mail" of a cancellation: the refund and the credit note in the body.
fn cancel_mail(
    r: &balie_booking::reservation::Reservation,
    _: &balie_booking::catalogue::Resource,
    refund: i64,
    credit: Option<&CreditNote>,
) -> balie_booking::Result<Vec<NewMail>> {
    Ok(vec![NewMail {
        kind: "reservation_cancellation".into(),
        recipient: r.customer.email.clone(),
        subject: format!("Reservatie {}", r.id),
        body: format!("refund {refund} credit {:?}", credit.map(|c| (c.number, c.amount_cents))),
        appointment_id: None,
        reservation_id: Some(r.id),
        not_before: None,
    }])
}

async fn cancelling_an_invoiced_reservation_credits_its_invoice(store: Store) {
    seeded(&store).await;
    let room = id_of(&store, "feestzaal-het-anker").await;
    let invoiced = |n: u32, day: jiff::civil::Date| {
        let store = store.clone();
        async move {
            let req = request(room, span(day, (14, 0), (18, 0)), CustomerType::Company);
            let r = store.hold(&req, None, now(), ttl()).await.unwrap();
            let mut p = new_payment(r.id, r.quote.total_cents, n);
            p.provider = Provider::Invoice;
            let c = store.confirm_with_invoice(&p, 30, now(), &issuer(), &confirmation_mail).await.unwrap();
            (r.id, c.invoice.unwrap())
        }
    };
    // 17 days ahead: all of it is credited, and the credit note has its own series.
    let (early, invoice) = invoiced(0, day()).await;
    let c = store.cancel_reservation(early, now(), RefundPolicy::default(), false, &cancel_mail).await.unwrap();
    assert!(c.refund.is_none(), "nothing was paid online");
    let note = c.credit_note.expect("a credit note");
    assert_eq!((note.number, note.invoice_number), (2_026_000_001, invoice.number));
    assert_eq!((note.amount_cents, note.remaining_cents), (invoice.amount_cents, 0));
    let bodies = outbox_bodies(&store, early).await;
    assert!(bodies.iter().any(|(k, b)| k == "reservation_cancellation" && b.contains("2026000001")), "{bodies:?}");
    let again = store.cancel_reservation(early, now(), RefundPolicy::default(), false, &cancel_mail).await.unwrap();
    assert!(again.credit_note.is_none(), "one credit note per invoice");
    // A week ahead: half (the policy), and the next number; the rest is still owed.
    let (half, invoice) = invoiced(1, date(2026, 12, 1)).await;
    let c = store.cancel_reservation(half, now(), RefundPolicy::default(), false, &cancel_mail).await.unwrap();
    let note = c.credit_note.expect("a credit note");
    assert_eq!(note.number, 2_026_000_002);
    assert_eq!(note.amount_cents + note.remaining_cents, invoice.amount_cents);
    assert!(note.amount_cents > 0 && note.remaining_cents > 0, "{note:?}");
    // The day before: nothing is credited, unless the municipality cancels.
    let (late, _) = invoiced(2, date(2026, 11, 24)).await;
    let c = store.cancel_reservation(late, now(), RefundPolicy::default(), false, &cancel_mail).await.unwrap();
    assert!(c.credit_note.is_none());
    let (by_us, invoice2) = invoiced(4, date(2026, 11, 25)).await;
    let c = store.cancel_reservation(by_us, now(), RefundPolicy::default(), true, &cancel_mail).await.unwrap();
    let note = c.credit_note.expect("the municipality cancels: all of it");
    assert_eq!((note.amount_cents, note.number), (invoice2.amount_cents, 2_026_000_003));
    // Two cancellations at once: both succeed, one credit note, one e-mail.
    let (twice, _) = invoiced(5, date(2026, 12, 11)).await;
    let cancel = || {
        let store = store.clone();
        tokio::spawn(async move {
            store.cancel_reservation(twice, now(), RefundPolicy::default(), false, &cancel_mail).await.unwrap()
        })
    };
    let (a, b) = (cancel(), cancel());
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(usize::from(a.credit_note.is_some()) + usize::from(b.credit_note.is_some()), 1, "{a:?} {b:?}");
    let mails = outbox_bodies(&store, twice).await;
    assert_eq!(mails.iter().filter(|(k, _)| k == "reservation_cancellation").count(), 1, "{mails:?}");
}

async fn cancelling_revokes_the_code_withdraws_reminders_and_refunds_by_policy(store: Store) {
    let (rid, door, pin, _qr) = confirmed_pin(&store).await;
    let kinds: Vec<String> = outbox_bodies(&store, rid).await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    // 17 days before the start: everything back.
    let c = store.cancel_reservation(rid, now(), RefundPolicy::default(), false, &cancel_mail).await.unwrap();
    assert_eq!(c.reservation.status, Status::Cancelled);
    let due = c.refund.expect("a refund is due");
    assert_eq!(due.amount_cents, due.payment.amount_cents);
    store.record_refund(due.refund_id, Some("re_1"), "refunded", now()).await.unwrap();
    assert_eq!(store.payment(due.payment.id).await.unwrap().refunded_cents, due.payment.amount_cents);
    let mut kinds: Vec<String> = outbox_bodies(&store, rid).await.into_iter().map(|(k, _)| k).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["reservation_cancellation"],
        "unsent mails with the code (confirmation, reminder) are withdrawn"
    );
    let d = store.door_attempt(door, &Presented::Pin(pin), Direction::In, KEY, local(day(), 9, 0)).await.unwrap();
    assert!(matches!(d, DoorDecision::Refused { reason: Refusal::Revoked, .. }));
    assert!(store.access_of(rid).await.unwrap().unwrap().revoked);
    // Cancelling again refunds and mails nothing more.
    let again = store.cancel_reservation(rid, now(), RefundPolicy::default(), false, &cancel_mail).await.unwrap();
    assert!(again.refund.is_none());
    assert_eq!(outbox_bodies(&store, rid).await.len(), 1);
    // Late: a day before the start nothing comes back, unless the municipality cancels.
    let (rid2, _, _, _) = {
        let (r, p) = held_and_open(&store, 4).await;
        store.apply_payment_status(p, PaymentStatus::Paid, now(), &issuer(), &confirmation_mail).await.unwrap();
        (r, 0, (), ())
    };
    let late = local(date(2026, 12, 9), 12, 0);
    let c = store.cancel_reservation(rid2, late, RefundPolicy::default(), false, &cancel_mail).await.unwrap();
    assert!(c.refund.is_none());
}

async fn overlapping_codes_of_one_door_have_distinct_pins(store: Store) {
    seeded(&store).await;
    let zones = ["sporthal-de-vijver-zone-a", "sporthal-de-vijver-zone-b", "sporthal-de-vijver-zone-c"];
    let mut pins = std::collections::HashSet::new();
    for (i, zone) in zones.iter().enumerate() {
        let id = id_of(&store, zone).await;
        for h in 0..8 {
            let r = hold(&store, id, span(day(), (8 + h, 0), (9 + h, 0))).await.unwrap();
            let np = new_payment(r.id, r.quote.total_cents, (i * 10 + h as usize) as u32);
            let p = store.create_payment(&np, now()).await.unwrap();
            let a = store.apply_payment_status(p.id, PaymentStatus::Paid, now(), &issuer(), &confirmation_mail).await;
            let code = a.unwrap().confirmed.unwrap().code.unwrap();
            assert!(pins.insert(code.pin.clone()), "PIN {} issued twice for one door", code.pin);
        }
    }
    assert_eq!(pins.len(), 24);
}

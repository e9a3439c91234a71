//! The e-mail outbox on both backends: queued messages are claimed once, retried, settled, and a
//! delivered message's body (which holds a personal link) is erased.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use balie_booking::outbox::{DeliveryStatus, NewMail};
use balie_booking::Store;
use common::*;
use jiff::SignedDuration;

on_both_backends! {
    a_queued_mail_is_claimed_sent_and_its_body_erased =>
        sqlite_a_queued_mail_is_claimed_sent_and_its_body_erased,
        postgres_a_queued_mail_is_claimed_sent_and_its_body_erased;
    a_claimed_mail_is_not_claimed_again_until_its_lease_lapses =>
        sqlite_a_claimed_mail_is_not_claimed_again_until_its_lease_lapses,
        postgres_a_claimed_mail_is_not_claimed_again_until_its_lease_lapses;
    a_retry_waits_and_a_failure_is_listed =>
        sqlite_a_retry_waits_and_a_failure_is_listed, postgres_a_retry_waits_and_a_failure_is_listed;
    a_mail_held_until_later_waits_for_its_moment =>
        sqlite_a_mail_held_until_later_waits_for_its_moment,
        postgres_a_mail_held_until_later_waits_for_its_moment;
    concurrent_senders_never_claim_the_same_mail =>
        sqlite_concurrent_senders_never_claim_the_same_mail,
        postgres_concurrent_senders_never_claim_the_same_mail;
}

fn mail(n: u32) -> NewMail {
    NewMail {
        kind: "confirmation".into(),
        recipient: format!("burger{n}@example.org"),
        subject: format!("Uw afspraak {n}"),
        body: format!("{{\"link\": \"https://balie.example/gesprek#secret{n}\"}}"),
        appointment_id: None,
        reservation_id: None,
        not_before: None,
    }
}

async fn a_queued_mail_is_claimed_sent_and_its_body_erased(store: Store) {
    let id = store.enqueue_mail(&mail(1), now()).await.unwrap();
    assert!(body_stored(&store, id).await);
    assert_eq!(store.next_mail_due().await.unwrap(), Some(now()));
    let claimed = store.claim_due_mail(now(), 60, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].id, claimed[0].attempt), (id, 1));
    assert!(claimed[0].body.contains("secret1"));
    assert!(store.mail_sent(&claimed[0], now() + SignedDuration::from_secs(1)).await.unwrap());
    let record = store.mail(id).await.unwrap();
    assert_eq!(record.status, DeliveryStatus::Sent);
    assert_eq!(record.sent_at, Some(now() + SignedDuration::from_secs(1)));
    // Nothing left to send, and the stored body is gone.
    assert!(store.claim_due_mail(now() + SignedDuration::from_hours(1), 60, 10).await.unwrap().is_empty());
    assert_eq!(store.next_mail_due().await.unwrap(), None);
    assert!(!body_stored(&store, id).await, "the body of a delivered mail must be erased");
}

async fn body_stored(store: &Store, id: i64) -> bool {
    store.mail_body(id).await.unwrap().is_some()
}

async fn a_claimed_mail_is_not_claimed_again_until_its_lease_lapses(store: Store) {
    let id = store.enqueue_mail(&mail(2), now()).await.unwrap();
    assert_eq!(store.claim_due_mail(now(), 60, 10).await.unwrap().len(), 1);
    // Another sender (or this one after a crash) 30 s later: still leased.
    assert!(store.claim_due_mail(now() + SignedDuration::from_secs(30), 60, 10).await.unwrap().is_empty());
    // The lease lapsed: the sender died without settling it, so it is tried again.
    let first = store.claim_due_mail(now(), 60, 10).await.unwrap();
    assert!(first.is_empty(), "still held by the first claim");
    let again = store.claim_due_mail(now() + SignedDuration::from_secs(61), 60, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempt), (id, 2));
    // The first sender comes back late: its claim is gone, so it cannot settle the row now held
    // by the second one; the second can.
    let stale = balie_booking::outbox::ClaimedMail { lease: again[0].lease - 61, ..again[0].clone() };
    assert!(!store.mail_failed(&stale, "late").await.unwrap(), "a lapsed claim settles nothing");
    assert_eq!(store.mail(id).await.unwrap().status, DeliveryStatus::Pending);
    assert!(store.mail_sent(&again[0], now() + SignedDuration::from_secs(62)).await.unwrap());
    assert_eq!(store.mail(id).await.unwrap().status, DeliveryStatus::Sent);
}

async fn a_retry_waits_and_a_failure_is_listed(store: Store) {
    let id = store.enqueue_mail(&mail(3), now()).await.unwrap();
    let claimed = store.claim_due_mail(now(), 60, 10).await.unwrap();
    let later = now() + SignedDuration::from_secs(30);
    assert!(store.mail_retry(&claimed[0], later, "451 try again later").await.unwrap());
    assert!(store.claim_due_mail(now() + SignedDuration::from_secs(29), 60, 10).await.unwrap().is_empty());
    assert_eq!(store.next_mail_due().await.unwrap(), Some(later));
    let pending = store.mails(DeliveryStatus::Pending, 10).await.unwrap();
    assert_eq!(pending[0].last_error.as_deref(), Some("451 try again later"));
    let claimed = store.claim_due_mail(later, 60, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(store.mail_failed(&claimed[0], "550 no such user").await.unwrap());
    assert!(!body_stored(&store, id).await, "a failed mail's body (with its link) is erased too");
    let failed = store.mails(DeliveryStatus::Failed, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id, failed[0].attempts), (id, 2));
    assert_eq!(failed[0].last_error.as_deref(), Some("550 no such user"));
    assert_eq!(failed[0].recipient, "burger3@example.org");
    assert!(store.claim_due_mail(now() + SignedDuration::from_hours(10), 60, 10).await.unwrap().is_empty());
}

async fn concurrent_senders_never_claim_the_same_mail(store: Store) {
    for n in 0..40 {
        store.enqueue_mail(&mail(n), now()).await.unwrap();
    }
    let store = Arc::new(store);
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = store.claim_due_mail(now(), 60, 3).await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|m| m.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for claim in claims {
        all.extend(claim.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 40, "every mail claimed exactly once: {all:?}");
    assert_eq!(distinct.len(), 40);
}

async fn a_mail_held_until_later_waits_for_its_moment(store: Store) {
    let at = now() + SignedDuration::from_hours(23);
    let id = store.enqueue_mail(&NewMail { not_before: Some(at), ..mail(7) }, now()).await.unwrap();
    assert!(store.claim_due_mail(at - SignedDuration::from_secs(1), 60, 10).await.unwrap().is_empty());
    assert_eq!(store.next_mail_due().await.unwrap(), Some(at));
    let due = store.claim_due_mail(at, 60, 10).await.unwrap();
    assert_eq!(due.iter().map(|m| m.id).collect::<Vec<_>>(), [id]);
}

//! Room evaluations and defect reports on both backends: one link per used reservation however
//! often the job runs, a link answered once and anonymously, defects with photos, closing a
//! defect queues the reporter's e-mail and erases the address in the same transaction, and the
//! managers' per-room figures add up.

mod common;

use balie_booking::evaluations::{DefectStatus, EvaluationAnswer, NewDefect, Photo, PhotoType};
use balie_booking::outbox::{DeliveryStatus, NewMail};
use balie_booking::store::{ClosedDefect, NewEvaluation};
use balie_booking::{Error, Store};
use common::*;
use jiff::civil::date;

on_both_backends! {
    one_link_per_used_reservation_answered_once =>
        sqlite_one_link_per_used_reservation_answered_once, postgres_one_link_per_used_reservation_answered_once;
    defects_are_reported_with_photos_and_closed_with_an_email =>
        sqlite_defects_are_reported_with_photos_and_closed_with_an_email,
        postgres_defects_are_reported_with_photos_and_closed_with_an_email;
    the_room_figures_add_up =>
        sqlite_the_room_figures_add_up, postgres_the_room_figures_add_up;
}

/// The suite's clock is Monday 23 November 2026; the reservation is on Tuesday the 24th.
const DAY: jiff::civil::Date = date(2026, 11, 24);

async fn a_confirmed_reservation(store: &Store, code: &str, from: (i8, i8), to: (i8, i8)) -> (i64, i64) {
    let resource = id_of(store, code).await;
    let r = hold(store, resource, span(DAY, from, to)).await.unwrap();
    store.confirm(r.id, now()).await.unwrap();
    (r.id, resource)
}

fn mail(to: &str, kind: &str) -> NewMail {
    NewMail {
        kind: kind.into(),
        recipient: to.into(),
        subject: "Hoe was het?".into(),
        body: "{}".into(),
        appointment_id: None,
        reservation_id: None,
        not_before: None,
    }
}

fn evaluation(token: &str, reservation_id: i64, resource_id: i64, email: Option<&str>) -> NewEvaluation {
    NewEvaluation {
        token: token.into(),
        reservation_id,
        resource_id,
        email: email.map(String::from),
        language: "nl".into(),
        day: DAY,
        expires_at: local(DAY, 12, 0) + minutes(14 * 24 * 60),
        mail: email.map(|e| mail(e, "room_evaluation")),
    }
}

/// The day after: Wednesday 25 November, 10:00.
fn day_after() -> jiff::Timestamp {
    local(date(2026, 11, 25), 10, 0)
}

async fn one_link_per_used_reservation_answered_once(store: Store) {
    seeded(&store).await;
    let (id, resource) = a_confirmed_reservation(&store, "raadzaal", (18, 0), (20, 0)).await;
    // A hold that never became a reservation is not evaluated.
    hold(&store, id_of(&store, "badminton-1").await, span(DAY, (9, 0), (10, 0))).await.unwrap();
    let (from, to) = (local(DAY, 0, 0), local(date(2026, 11, 25), 0, 0));
    let candidates = store.evaluation_candidates(from, to, 100).await.unwrap();
    assert_eq!(candidates.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
    let e = evaluation("tok-eval-0123456789abcdef", id, resource, Some("an.peeters@example.be"));
    assert!(store.invite_to_evaluation(&e, day_after()).await.unwrap());
    // The job runs again (with a new token): nothing new, no second e-mail.
    let again = evaluation("tok-eval-fedcba9876543210", id, resource, Some("an.peeters@example.be"));
    assert!(!store.invite_to_evaluation(&again, day_after()).await.unwrap());
    assert!(store.evaluation_candidates(from, to, 100).await.unwrap().is_empty());
    let pending = store.mails(DeliveryStatus::Pending, 10).await.unwrap();
    assert_eq!(pending.iter().filter(|m| m.kind == "room_evaluation").count(), 1);
    assert!(matches!(store.evaluation("tok-eval-fedcba9876543210", day_after()).await, Err(Error::NotFound { .. })));

    let view = store.evaluation("tok-eval-0123456789abcdef", day_after()).await.unwrap();
    assert_eq!((view.resource_id, view.day, view.language.as_str()), (resource, DAY, "nl"));
    assert_eq!(view.resource_name, resource_by_code(&store, "raadzaal").await.spec.name);
    let bad = EvaluationAnswer { score: 9, comment: None };
    expect_invalid(store.answer_evaluation("tok-eval-0123456789abcdef", &bad, day_after()).await, "score");
    let answer = EvaluationAnswer { score: 4, comment: Some(" Proper, maar koud. ".into()) };
    store.answer_evaluation("tok-eval-0123456789abcdef", &answer, day_after()).await.unwrap();
    expect_state(store.answer_evaluation("tok-eval-0123456789abcdef", &answer, day_after()).await);
    expect_state(store.evaluation("tok-eval-0123456789abcdef", day_after()).await);
    let defect = NewDefect { description: "Lamp".into(), photos: vec![] };
    expect_state(store.report_defect("tok-eval-0123456789abcdef", &defect, day_after()).await);

    let stored = store.room_tallies(DAY, DAY, from, to).await.unwrap();
    assert_eq!((stored[0].resource_id, stored[0].n, stored[0].sum), (resource, 1, 4));

    // A placeholder address: recorded without an e-mail, so the job does not look at it again.
    let (other, other_resource) = a_confirmed_reservation(&store, "feestzaal-het-anker", (10, 0), (12, 0)).await;
    let none = evaluation("tok-eval-aaaaaaaaaaaaaaaa", other, other_resource, None);
    assert!(store.invite_to_evaluation(&none, day_after()).await.unwrap());
    assert!(store.evaluation_candidates(from, to, 100).await.unwrap().is_empty());

    // Expiry: the address of an unanswered link is erased and the link answers 410.
    let late = local(DAY, 12, 0) + minutes(15 * 24 * 60);
    assert_eq!(store.expire_evaluations(late).await.unwrap(), 0, "the only address was erased on answering");
    expect_state(store.evaluation("tok-eval-aaaaaaaaaaaaaaaa", late).await);
}

fn photo(n: u8) -> Photo {
    Photo { content_type: PhotoType::Jpeg, bytes: vec![0xff, 0xd8, n, 0xff, 0xd9], width: 10, height: 5 }
}

async fn defects_are_reported_with_photos_and_closed_with_an_email(store: Store) {
    seeded(&store).await;
    let staff = store.create_staff("beheer@example.org", "Chris", "x", &["resource-admin"], now()).await.unwrap();
    let (id, resource) = a_confirmed_reservation(&store, "raadzaal", (18, 0), (20, 0)).await;
    let token = "tok-defect-0123456789abcdef";
    store
        .invite_to_evaluation(&evaluation(token, id, resource, Some("an.peeters@example.be")), day_after())
        .await
        .unwrap();
    let empty = NewDefect { description: " ".into(), photos: vec![] };
    expect_invalid(store.report_defect(token, &empty, day_after()).await, "description");
    let defect = NewDefect { description: "De beamer doet het niet.".into(), photos: vec![photo(1), photo(2)] };
    let report = store.report_defect(token, &defect, day_after()).await.unwrap();
    assert!(matches!(
        store.report_defect("tok-unknown-000000", &defect, day_after()).await,
        Err(Error::NotFound { .. })
    ));
    // At most three reports per link.
    for _ in 0..2 {
        store
            .report_defect(token, &NewDefect { description: "Nog iets".into(), photos: vec![] }, day_after())
            .await
            .unwrap();
    }
    expect_state(
        store.report_defect(token, &NewDefect { description: "Te veel".into(), photos: vec![] }, day_after()).await,
    );

    let open = store.defects(DefectStatus::Open, 100).await.unwrap();
    assert_eq!(open.len(), 3);
    let listed = open.iter().find(|d| d.id == report).unwrap();
    assert_eq!((listed.resource_id, listed.reservation_id), (resource, Some(id)));
    assert_eq!(listed.description, "De beamer doet het niet.");
    assert!(listed.reporter_notified_on_close);
    assert_eq!(listed.photos.len(), 2);
    let p = store.defect_photo(report, listed.photos[1]).await.unwrap();
    assert_eq!((p.content_type, p.bytes.clone(), p.width, p.height), (PhotoType::Jpeg, photo(2).bytes, 10, 5));
    let other = open.iter().find(|d| d.id != report).unwrap().id;
    assert!(matches!(store.defect_photo(other, listed.photos[0]).await, Err(Error::NotFound { .. })), "not its photo");

    let seen = std::sync::Mutex::new(Vec::<ClosedDefect>::new());
    let render = |c: &ClosedDefect| {
        seen.lock().unwrap().push(c.clone());
        Ok(Some(mail(c.reporter_email.as_deref().unwrap(), "defect_closed")))
    };
    expect_invalid(store.close_defect(report, "  ", staff, day_after(), &render).await, "resolution");
    let closed =
        store.close_defect(report, " De lamp van de beamer is vervangen. ", staff, day_after(), &render).await.unwrap();
    assert_eq!(closed.status, DefectStatus::Closed);
    assert_eq!(closed.resolution.as_deref(), Some("De lamp van de beamer is vervangen."));
    assert_eq!((closed.closed_by, closed.closed_at), (Some(staff), Some(day_after())));
    assert!(!closed.reporter_notified_on_close, "the address is erased once the e-mail is queued");
    let c = seen.lock().unwrap()[0].clone();
    assert_eq!((c.reporter_email.as_deref(), c.reported_day), (Some("an.peeters@example.be"), date(2026, 11, 25)));
    assert_eq!(c.description, "De beamer doet het niet.");
    let pending = store.mails(DeliveryStatus::Pending, 10).await.unwrap();
    let to_reporter: Vec<_> = pending.iter().filter(|m| m.kind == "defect_closed").collect();
    assert_eq!(to_reporter.len(), 1);
    assert_eq!(to_reporter[0].recipient, "an.peeters@example.be");
    expect_state(store.close_defect(report, "Nog eens", staff, day_after(), &render).await);
    assert!(matches!(store.close_defect(999_999, "x", staff, day_after(), &render).await, Err(Error::NotFound { .. })));
    assert_eq!(store.defects(DefectStatus::Closed, 100).await.unwrap().len(), 1);
    assert_eq!(store.defects(DefectStatus::Open, 100).await.unwrap().len(), 2);

    // A failing renderer rolls the close back: the report stays open with its address.
    let failing = |_: &ClosedDefect| Err(Error::invalid("email", "cannot render"));
    assert!(store.close_defect(other, "Hersteld", staff, day_after(), &failing).await.is_err());
    let still = store.defect(other).await.unwrap();
    assert_eq!((still.status, still.reporter_notified_on_close), (DefectStatus::Open, true));
    // A report whose link had no address closes without an e-mail.
    let (quiet, quiet_resource) = a_confirmed_reservation(&store, "feestzaal-het-anker", (10, 0), (12, 0)).await;
    let token = "tok-defect-noaddress-0000";
    store.invite_to_evaluation(&evaluation(token, quiet, quiet_resource, None), day_after()).await.unwrap();
    let d = NewDefect { description: "Deur klemt".into(), photos: vec![] };
    let report = store.report_defect(token, &d, day_after()).await.unwrap();
    assert!(!store.defect(report).await.unwrap().reporter_notified_on_close);
    let never = |_: &ClosedDefect| -> balie_booking::Result<Option<NewMail>> { panic!("nobody to tell") };
    store.close_defect(report, "Scharnier geolied", staff, day_after(), &never).await.unwrap();
}

async fn the_room_figures_add_up(store: Store) {
    seeded(&store).await;
    let staff = store.create_staff("beheer@example.org", "Chris", "x", &["resource-admin"], now()).await.unwrap();
    let (a, raadzaal) = a_confirmed_reservation(&store, "raadzaal", (10, 0), (11, 0)).await;
    let (b, _) = a_confirmed_reservation(&store, "raadzaal", (14, 0), (15, 0)).await;
    let (c, anker) = a_confirmed_reservation(&store, "feestzaal-het-anker", (10, 0), (11, 0)).await;
    for (token, id, resource, score) in [
        ("tok-fig-a-000000000", a, raadzaal, 5),
        ("tok-fig-b-000000000", b, raadzaal, 2),
        ("tok-fig-c-000000000", c, anker, 4),
    ] {
        store.invite_to_evaluation(&evaluation(token, id, resource, Some("x@example.org")), day_after()).await.unwrap();
        if token.starts_with("tok-fig-c") {
            let d = NewDefect { description: "Kraan lekt".into(), photos: vec![] };
            let report = store.report_defect(token, &d, day_after()).await.unwrap();
            store.report_defect(token, &d, day_after()).await.unwrap();
            store.close_defect(report, "Kraan vervangen", staff, day_after(), &|_| Ok(None)).await.unwrap();
        }
        store.answer_evaluation(token, &EvaluationAnswer { score, comment: None }, day_after()).await.unwrap();
    }
    let (from, to) = (local(DAY, 0, 0), local(date(2026, 11, 26), 0, 0));
    let all = store.room_tallies(DAY, DAY, from, to).await.unwrap();
    let of = |id: i64| all.iter().find(|t| t.resource_id == id).unwrap().clone();
    assert_eq!((of(raadzaal).n, of(raadzaal).sum, of(raadzaal).defects_open), (2, 7, 0));
    assert_eq!((of(anker).n, of(anker).sum, of(anker).defects_open, of(anker).defects_closed), (1, 4, 1, 1));
    assert_eq!(all.len(), 2);
    // Outside the period: nothing.
    let next = date(2026, 11, 27);
    assert!(store.room_tallies(next, next, to, to + minutes(60)).await.unwrap().is_empty());
}

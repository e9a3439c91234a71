//! The store suite: every test runs on SQLite (a temporary file) and on PostgreSQL (a temporary
//! database on the server named by `BALIE_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`). The clock is fixed at `common::NOW`, Monday
//! 23 November 2026, 10:00 in Brussels, and passed to every store call.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use balie_booking::availability::{self, BusyReason};
use balie_booking::catalogue::{BookingWindow, CustomerType, ExtraService, ResourceKind, ServiceUnit};
use balie_booking::error::Clash;
use balie_booking::pricing::ServiceRequest;
use balie_booking::reservation::Status;
use balie_booking::series::{OccurrenceStatus, SeriesRequest};
use balie_booking::store::ReservationFilter;
use balie_booking::time::{self, Period};
use balie_booking::{demo, Error, Store};
use common::*;
use jiff::civil::{date, Date};
use jiff::{SignedDuration, ToSpan};
use tokio::sync::Barrier;

on_both_backends! {
    seeding_creates_the_demo_catalogue_once =>
        sqlite_seeding_creates_the_demo_catalogue_once, postgres_seeding_creates_the_demo_catalogue_once;
    a_hold_is_confirmed_then_cancelled =>
        sqlite_a_hold_is_confirmed_then_cancelled, postgres_a_hold_is_confirmed_then_cancelled;
    an_expired_hold_cannot_be_confirmed_and_no_longer_blocks =>
        sqlite_an_expired_hold_cannot_be_confirmed_and_no_longer_blocks,
        postgres_an_expired_hold_cannot_be_confirmed_and_no_longer_blocks;
    overlapping_holds_are_refused_and_touching_ones_accepted =>
        sqlite_overlapping_holds_are_refused_and_touching_ones_accepted,
        postgres_overlapping_holds_are_refused_and_touching_ones_accepted;
    set_up_and_clean_up_buffers_are_kept_free =>
        sqlite_set_up_and_clean_up_buffers_are_kept_free, postgres_set_up_and_clean_up_buffers_are_kept_free;
    the_whole_hall_and_its_zones_exclude_each_other =>
        sqlite_the_whole_hall_and_its_zones_exclude_each_other,
        postgres_the_whole_hall_and_its_zones_exclude_each_other;
    fifty_concurrent_overlapping_holds_let_exactly_one_win =>
        sqlite_fifty_concurrent_overlapping_holds_let_exactly_one_win,
        postgres_fifty_concurrent_overlapping_holds_let_exactly_one_win;
    concurrent_holds_on_a_hall_and_its_zones_never_double_book =>
        sqlite_concurrent_holds_on_a_hall_and_its_zones_never_double_book,
        postgres_concurrent_holds_on_a_hall_and_its_zones_never_double_book;
    maintenance_makes_time_busy_and_is_refused_over_bookings =>
        sqlite_maintenance_makes_time_busy_and_is_refused_over_bookings,
        postgres_maintenance_makes_time_busy_and_is_refused_over_bookings;
    booking_windows_depend_on_the_customer_type =>
        sqlite_booking_windows_depend_on_the_customer_type, postgres_booking_windows_depend_on_the_customer_type;
    closed_past_and_malformed_requests_are_refused_as_invalid =>
        sqlite_closed_past_and_malformed_requests_are_refused_as_invalid,
        postgres_closed_past_and_malformed_requests_are_refused_as_invalid;
    a_season_series_books_free_weeks_and_reports_taken_ones =>
        sqlite_a_season_series_books_free_weeks_and_reports_taken_ones,
        postgres_a_season_series_books_free_weeks_and_reports_taken_ones;
    a_series_beyond_the_booking_window_is_partly_refused =>
        sqlite_a_series_beyond_the_booking_window_is_partly_refused,
        postgres_a_series_beyond_the_booking_window_is_partly_refused;
    catalogue_admin_creates_updates_and_retires_resources =>
        sqlite_catalogue_admin_creates_updates_and_retires_resources,
        postgres_catalogue_admin_creates_updates_and_retires_resources;
    services_and_booking_windows_round_trip =>
        sqlite_services_and_booking_windows_round_trip, postgres_services_and_booking_windows_round_trip;
    a_reservation_keeps_its_quote_after_price_changes =>
        sqlite_a_reservation_keeps_its_quote_after_price_changes,
        postgres_a_reservation_keeps_its_quote_after_price_changes;
    call_links_are_hashed_windowed_revocable_and_end_with_the_call =>
        sqlite_call_links_are_hashed_windowed_revocable_and_end_with_the_call,
        postgres_call_links_are_hashed_windowed_revocable_and_end_with_the_call;
}

/// Tuesday 1 December 2026: a plain weekday a week after the suite's clock.
const TUESDAY: Date = date(2026, 12, 1);

fn later(minutes_after_now: i64) -> jiff::Timestamp {
    now().checked_add(SignedDuration::from_mins(minutes_after_now)).unwrap()
}

fn by_resource(id: i64) -> ReservationFilter {
    ReservationFilter { resource_id: Some(id), ..ReservationFilter::default() }
}

// ---------------------------------------------------------------------------------------------
// Migrations and seeding
// ---------------------------------------------------------------------------------------------

async fn seeding_creates_the_demo_catalogue_once(store: Store) {
    store.ping().await.unwrap();
    assert!(store.resources().await.unwrap().is_empty(), "migrations create an empty catalogue");
    assert!(store.services().await.unwrap().is_empty());
    assert!(store.booking_windows().await.unwrap().is_empty());
    assert_eq!(store.booking_window(CustomerType::Resident).await.unwrap(), 366, "no window configured: the maximum");

    assert!(store.seed_demo_catalogue(now()).await.unwrap());
    let all = store.resources().await.unwrap();
    let rooms = all.iter().filter(|r| r.spec.kind == ResourceKind::Room).count();
    let courts = all.iter().filter(|r| r.spec.kind == ResourceKind::Court).count();
    assert!(rooms >= 10, "{rooms} rooms");
    assert!(courts >= 6, "{courts} courts");
    assert_eq!(all.len(), demo::resources().len());
    assert!(all.iter().all(|r| !r.retired));

    // Every spec round-trips through the JSON column, with the hall link filled in.
    for (mut spec, hall) in demo::resources() {
        let stored = all.iter().find(|r| r.spec.code == spec.code).expect("seeded");
        spec.part_of = hall.map(|code| all.iter().find(|r| r.spec.code == code).unwrap().id);
        assert_eq!(stored.spec, spec);
    }

    let hall = resource_by_code(&store, "sporthal-de-vijver").await;
    assert_eq!(hall.parts.len(), 3, "the sports hall has three zones");
    assert_eq!(store.resource(hall.id).await.unwrap().parts, hall.parts);
    for part in &hall.parts {
        let zone = store.resource(*part).await.unwrap();
        assert_eq!(zone.spec.part_of, Some(hall.id));
        assert!(zone.spec.code.starts_with("sporthal-de-vijver-zone-"), "{}", zone.spec.code);
        assert!(zone.parts.is_empty());
    }

    let mut services = demo::services();
    services.sort_by(|a, b| a.code.cmp(&b.code));
    assert_eq!(store.services().await.unwrap(), services);
    let mut windows = demo::booking_windows();
    windows.sort_by_key(|w| w.customer_type);
    assert_eq!(store.booking_windows().await.unwrap(), windows);
    assert_eq!(store.booking_window(CustomerType::Resident).await.unwrap(), 182);

    // Seeding again changes nothing.
    assert!(!store.seed_demo_catalogue(later(60)).await.unwrap());
    assert_eq!(store.resources().await.unwrap(), all);
    assert_eq!(store.services().await.unwrap(), services);
    assert_eq!(store.booking_windows().await.unwrap(), windows);
}

// ---------------------------------------------------------------------------------------------
// The reservation lifecycle
// ---------------------------------------------------------------------------------------------

async fn a_hold_is_confirmed_then_cancelled(store: Store) {
    seeded(&store).await;
    let noot = resource_by_code(&store, "repetitielokaal-de-noot").await;
    let p = span(TUESDAY, (10, 0), (12, 0));
    let req = request(noot.id, p, CustomerType::Resident);

    let held = store.hold(&req, Some(7), now(), ttl()).await.unwrap();
    assert_eq!(held.status, Status::Hold);
    assert_eq!(held.hold_expires_at, Some(later(15)));
    assert_eq!((held.resource_id, held.period, held.created_at), (noot.id, p, now()));
    assert_eq!(held.customer, req.customer);
    assert_eq!((held.attendees, held.purpose.as_str(), held.series_id), (4, "test", None));
    assert_eq!(held.quote, store.quote(&req).await.unwrap().1);
    assert_eq!(held.quote.total_cents, 1600, "two weekday hours at €8");
    assert_eq!(store.reservation(held.id).await.unwrap(), held);

    let blockers = store.blockers(&noot, p, now()).await.unwrap();
    assert_eq!(blockers.len(), 1);
    assert_eq!((blockers[0].period, blockers[0].reason), (p, BusyReason::Hold));

    let confirmed = store.confirm(held.id, later(5)).await.unwrap();
    assert_eq!(confirmed.status, Status::Confirmed);
    assert_eq!(confirmed.hold_expires_at, None);
    assert_eq!(confirmed.quote, held.quote);
    // Confirming twice is harmless, and a confirmed reservation never expires.
    assert_eq!(store.confirm(held.id, later(6)).await.unwrap(), confirmed);
    assert_eq!(store.expire_holds(later(24 * 60)).await.unwrap(), 0);
    assert_eq!(store.reservation(held.id).await.unwrap().status, Status::Confirmed);
    let blockers = store.blockers(&noot, p, later(24 * 60)).await.unwrap();
    assert_eq!(blockers.iter().map(|b| b.reason).collect::<Vec<_>>(), [BusyReason::Reservation]);
    expect_conflict(hold(&store, noot.id, p).await);

    let cancelled = store.cancel(held.id, later(10)).await.unwrap();
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(
        store.cancel(held.id, later(11)).await.unwrap().status,
        Status::Cancelled,
        "cancelling twice is harmless"
    );
    expect_state(store.confirm(held.id, later(12)).await);
    assert!(store.blockers(&noot, p, later(12)).await.unwrap().is_empty(), "a cancelled booking frees the slot");
    let again = store.hold(&req, None, later(12), ttl()).await.unwrap();
    assert_ne!(again.id, held.id);

    assert!(matches!(store.confirm(9_999_999, now()).await, Err(Error::NotFound { .. })));
    assert!(matches!(store.cancel(9_999_999, now()).await, Err(Error::NotFound { .. })));
}

async fn an_expired_hold_cannot_be_confirmed_and_no_longer_blocks(store: Store) {
    seeded(&store).await;
    let noot = resource_by_code(&store, "repetitielokaal-de-noot").await;
    let p = span(TUESDAY, (14, 0), (16, 0));
    let req = request(noot.id, p, CustomerType::Resident);
    let held = store.hold(&req, None, now(), ttl()).await.unwrap();
    let expiry = held.hold_expires_at.unwrap();
    let just_before = expiry.checked_sub(SignedDuration::from_secs(1)).unwrap();

    // Until its expiry the hold blocks.
    let clashes = expect_conflict(store.hold(&req, None, just_before, ttl()).await);
    assert_eq!(clashes, [Clash { period: p, reason: BusyReason::Hold, resource_id: noot.id }]);

    // From its expiry instant on it is gone, even before the sweep has run.
    expect_state(store.confirm(held.id, expiry).await);
    expect_state(store.cancel(held.id, expiry).await);
    let stored = store.reservation(held.id).await.unwrap();
    assert_eq!(stored.status, Status::Hold, "refusing does not change the row");
    assert_eq!(stored.effective_status(expiry), Status::Expired);
    assert!(store.blockers(&noot, p, expiry).await.unwrap().is_empty());
    let limits = store.limits(CustomerType::Resident, expiry).await.unwrap();
    assert!(store.is_free(&noot, p, limits).await.unwrap());
    let second = store.hold(&req, None, expiry, ttl()).await.unwrap();

    // The sweep marks it expired, and only it.
    assert_eq!(store.expire_holds(expiry).await.unwrap(), 1);
    let swept = store.reservation(held.id).await.unwrap();
    assert_eq!((swept.status, swept.hold_expires_at), (Status::Expired, None));
    expect_state(store.confirm(held.id, expiry).await);
    assert_eq!(store.expire_holds(expiry).await.unwrap(), 0, "the sweep is idempotent");
    assert_eq!(store.reservation(second.id).await.unwrap().status, Status::Hold);
    assert_eq!(store.confirm(second.id, expiry).await.unwrap().status, Status::Confirmed);
}

// ---------------------------------------------------------------------------------------------
// No double booking
// ---------------------------------------------------------------------------------------------

async fn overlapping_holds_are_refused_and_touching_ones_accepted(store: Store) {
    seeded(&store).await;
    let court = id_of(&store, "badminton-1").await;
    let first = hold(&store, court, span(TUESDAY, (10, 0), (12, 0))).await.unwrap();
    let named = Clash { period: first.period, reason: BusyReason::Hold, resource_id: court };

    for (from, to) in
        [((10, 0), (12, 0)), ((11, 0), (13, 0)), ((9, 0), (10, 15)), ((9, 0), (13, 0)), ((10, 30), (11, 0))]
    {
        let clashes = expect_conflict(hold(&store, court, span(TUESDAY, from, to)).await);
        assert_eq!(clashes, std::slice::from_ref(&named), "{from:?}–{to:?}");
    }
    // Touching intervals do not overlap.
    hold(&store, court, span(TUESDAY, (12, 0), (13, 0))).await.unwrap();
    hold(&store, court, span(TUESDAY, (8, 0), (10, 0))).await.unwrap();
    // Another court at the same time is another resource.
    hold(&store, id_of(&store, "badminton-2").await, span(TUESDAY, (10, 0), (12, 0))).await.unwrap();

    // A confirmed booking is reported as a reservation.
    store.confirm(first.id, later(1)).await.unwrap();
    let clashes = expect_conflict(hold(&store, court, span(TUESDAY, (11, 0), (11, 15))).await);
    assert_eq!(clashes, [Clash { reason: BusyReason::Reservation, ..named }]);

    let stored = store.reservations(&by_resource(court)).await.unwrap();
    assert_eq!(stored.len(), 3, "refused holds write nothing");
    assert_no_double_booking(&store.resources().await.unwrap(), &stored, now());
}

async fn set_up_and_clean_up_buffers_are_kept_free(store: Store) {
    seeded(&store).await;
    let anker = resource_by_code(&store, "feestzaal-het-anker").await;
    assert_eq!((anker.spec.buffer_before_minutes, anker.spec.buffer_after_minutes), (60, 60));
    let party = hold(&store, anker.id, span(TUESDAY, (14, 0), (16, 0))).await.unwrap();
    let blocked = span(TUESDAY, (13, 0), (17, 0));
    let named = Clash { period: blocked, reason: BusyReason::Hold, resource_id: anker.id };
    assert_eq!(store.blockers(&anker, party.period, now()).await.unwrap()[0].blocked, blocked);

    // A new booking needs its own hour before and after clear of the party's blocked 13–17.
    for (from, to) in
        [((16, 0), (17, 0)), ((17, 0), (18, 0)), ((12, 0), (13, 0)), ((11, 0), (12, 15)), ((17, 45), (19, 0))]
    {
        let clashes = expect_conflict(hold(&store, anker.id, span(TUESDAY, from, to)).await);
        assert_eq!(clashes, std::slice::from_ref(&named), "{from:?}–{to:?}");
    }
    hold(&store, anker.id, span(TUESDAY, (11, 0), (12, 0))).await.unwrap();
    hold(&store, anker.id, span(TUESDAY, (18, 0), (19, 0))).await.unwrap();

    // What the availability view offers agrees: only 21:00–23:00 is left (blocked 10–13, 13–17
    // and 17–20, plus an hour either side for the next booking's own buffers).
    let day = availability::day_period(TUESDAY);
    let blockers = store.blockers(&anker, day, now()).await.unwrap();
    let limits = store.limits(CustomerType::Resident, now()).await.unwrap();
    let free = availability::free_periods(&anker, day, &blockers, limits);
    assert_eq!(free, [span(TUESDAY, (21, 0), (23, 0))]);
    hold(&store, anker.id, free[0]).await.unwrap();
}

async fn the_whole_hall_and_its_zones_exclude_each_other(store: Store) {
    seeded(&store).await;
    let hall = resource_by_code(&store, "sporthal-de-vijver").await;
    let [a, b, c] = [0, 1, 2].map(|i| hall.parts[i]);

    // The whole hall blocks every zone.
    let whole = hold(&store, hall.id, span(TUESDAY, (10, 0), (12, 0))).await.unwrap();
    for zone in [a, b, c] {
        let clashes = expect_conflict(hold(&store, zone, span(TUESDAY, (11, 0), (12, 0))).await);
        assert_eq!(clashes, [Clash { period: whole.period, reason: BusyReason::Hold, resource_id: hall.id }]);
    }
    hold(&store, b, span(TUESDAY, (12, 0), (13, 0))).await.unwrap();

    // Two (three) different zones can be booked at once; then the hall is taken.
    let wednesday = TUESDAY.tomorrow().unwrap();
    for zone in [a, b, c] {
        hold(&store, zone, span(wednesday, (10, 0), (12, 0))).await.unwrap();
    }
    let clashes = expect_conflict(hold(&store, hall.id, span(wednesday, (11, 0), (13, 0))).await);
    let mut named: Vec<i64> = clashes.iter().map(|c| c.resource_id).collect();
    named.sort();
    assert_eq!(named, [a, b, c]);
    // One zone is enough to take the hall.
    let thursday = wednesday.tomorrow().unwrap();
    let one = hold(&store, c, span(thursday, (18, 0), (19, 0))).await.unwrap();
    let clashes = expect_conflict(hold(&store, hall.id, span(thursday, (17, 0), (22, 0))).await);
    assert_eq!(clashes, [Clash { period: one.period, reason: BusyReason::Hold, resource_id: c }]);
    hold(&store, a, span(thursday, (17, 0), (22, 0))).await.unwrap();

    // The zone's availability shows the hall's booking as taken via the hall.
    let zone_a = store.resource(a).await.unwrap();
    let blockers = store.blockers(&zone_a, availability::day_period(TUESDAY), now()).await.unwrap();
    let limits = store.limits(CustomerType::Resident, now()).await.unwrap();
    let view = availability::availability(&zone_a, availability::day_period(TUESDAY), &blockers, limits);
    assert!(view.busy.iter().any(|b| b.via_resource_id == Some(hall.id) && b.period == whole.period));
    assert!(!view.free.iter().any(|f| f.overlaps(&whole.period)));

    let all = store.reservations(&ReservationFilter::default()).await.unwrap();
    assert_no_double_booking(&store.resources().await.unwrap(), &all, now());
}

/// Starts `n` holds at once (behind a barrier) and returns each target with its outcome.
async fn race(store: &Store, attempts: Vec<(i64, Period)>) -> Vec<(i64, Result<i64, Error>)> {
    let barrier = Arc::new(Barrier::new(attempts.len()));
    let tasks: Vec<_> = attempts
        .into_iter()
        .map(|(resource_id, period)| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                (resource_id, hold(&store, resource_id, period).await.map(|r| r.id))
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task did not panic"));
    }
    out
}

/// How the attempts of a race ended, for failure messages: "won #id", "conflict" or the error.
fn summary(outcomes: &[(i64, Result<i64, Error>)]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (target, outcome) in outcomes {
        let key = match outcome {
            Ok(id) => format!("resource {target}: won (#{id})"),
            Err(Error::Conflict(_)) => format!("resource {target}: conflict"),
            Err(e) => format!("resource {target}: {e}"),
        };
        *out.entry(key).or_default() += 1;
    }
    out
}

async fn fifty_concurrent_overlapping_holds_let_exactly_one_win(store: Store) {
    seeded(&store).await;
    let court = id_of(&store, "badminton-1").await;
    // Fifty different periods that all contain 10:45–12:00, so every two of them overlap.
    let attempts: Vec<(i64, Period)> = (0..50)
        .map(|i| {
            let start = (10, 15 * (i % 4) as i8);
            let end = (12 + (i % 3) as i8, 15 * (i % 2) as i8);
            (court, span(TUESDAY, start, end))
        })
        .collect();
    let outcomes = race(&store, attempts).await;

    let winners: Vec<i64> = outcomes.iter().filter_map(|(_, r)| r.as_ref().ok().copied()).collect();
    assert_eq!(winners.len(), 1, "exactly one of fifty overlapping holds wins: {:#?}", summary(&outcomes));
    let winner = store.reservation(winners[0]).await.unwrap();
    for (_, outcome) in outcomes.into_iter().filter(|(_, r)| r.is_err()) {
        let clashes = expect_conflict(outcome);
        assert_eq!(clashes, [Clash { period: winner.period, reason: BusyReason::Hold, resource_id: court }]);
    }
    let all = store.reservations(&ReservationFilter::default()).await.unwrap();
    assert_eq!(live(all.clone(), now()).len(), 1);
    assert_no_double_booking(&store.resources().await.unwrap(), &all, now());
}

async fn concurrent_holds_on_a_hall_and_its_zones_never_double_book(store: Store) {
    seeded(&store).await;
    let hall = resource_by_code(&store, "sporthal-de-vijver").await;
    let targets = [hall.id, hall.parts[0], hall.parts[1], hall.parts[2]];
    // Three rounds on three evenings, fifty attempts each: hall or zone, overlapping periods.
    for round in 0..3i64 {
        let day = TUESDAY.checked_add(round.days()).unwrap();
        let attempts: Vec<(i64, Period)> = (0..50usize)
            .map(|i| {
                let target = targets[(i + round as usize) % 4];
                (target, span(day, (18, 15 * (i % 3) as i8), (20 + (i % 2) as i8, 0)))
            })
            .collect();
        let outcomes = race(&store, attempts).await;

        let mut wins: BTreeMap<i64, usize> = targets.iter().map(|t| (*t, 0)).collect();
        for (target, outcome) in &outcomes {
            match outcome {
                Ok(_) => *wins.get_mut(target).unwrap() += 1,
                Err(Error::Conflict(clashes)) => assert!(!clashes.is_empty()),
                Err(e) => panic!("a losing hold must be refused with Conflict, got {e:?}: {:#?}", summary(&outcomes)),
            }
        }
        // The conflicting sets are {hall, zone} for each zone: either the hall won alone, or
        // each zone was won exactly once.
        let hall_wins = wins[&hall.id];
        if hall_wins == 1 {
            assert!(hall.parts.iter().all(|z| wins[z] == 0), "round {round}: {:#?}", summary(&outcomes));
        } else {
            assert_eq!(hall_wins, 0, "round {round}: {:#?}", summary(&outcomes));
            assert!(hall.parts.iter().all(|z| wins[z] == 1), "round {round}: {:#?}", summary(&outcomes));
        }
    }
    let all = store.reservations(&ReservationFilter::default()).await.unwrap();
    assert_no_double_booking(&store.resources().await.unwrap(), &all, now());
}

// ---------------------------------------------------------------------------------------------
// Maintenance, booking windows and refusals
// ---------------------------------------------------------------------------------------------

async fn maintenance_makes_time_busy_and_is_refused_over_bookings(store: Store) {
    seeded(&store).await;
    let noot = resource_by_code(&store, "repetitielokaal-de-noot").await;
    let limits = store.limits(CustomerType::Resident, now()).await.unwrap();
    let works = span(TUESDAY, (10, 0), (12, 0));
    let block = store.add_maintenance(noot.id, works, "Schilderwerken", Some(3), now()).await.unwrap();
    assert_eq!((block.resource_id, block.period, block.reason.as_str()), (noot.id, works, "Schilderwerken"));
    assert_eq!(store.maintenance(noot.id).await.unwrap(), std::slice::from_ref(&block));

    let blockers = store.blockers(&noot, works, now()).await.unwrap();
    assert_eq!(blockers.iter().map(|b| (b.period, b.reason)).collect::<Vec<_>>(), [(works, BusyReason::Maintenance)]);
    assert!(!store.is_free(&noot, span(TUESDAY, (11, 0), (11, 30)), limits).await.unwrap());
    assert!(store.is_free(&noot, span(TUESDAY, (12, 0), (13, 0)), limits).await.unwrap());
    let clashes = expect_conflict(hold(&store, noot.id, span(TUESDAY, (11, 0), (13, 0))).await);
    assert_eq!(clashes, [Clash { period: works, reason: BusyReason::Maintenance, resource_id: noot.id }]);

    // Maintenance is refused where a booking exists, named in the conflict.
    let held = hold(&store, noot.id, span(TUESDAY, (14, 0), (16, 0))).await.unwrap();
    let clashes = expect_conflict(
        store.add_maintenance(noot.id, span(TUESDAY, (15, 0), (17, 0)), "Stemmen piano", None, now()).await,
    );
    assert_eq!(clashes, [Clash { period: held.period, reason: BusyReason::Hold, resource_id: noot.id }]);
    store.confirm(held.id, now()).await.unwrap();
    let clashes = expect_conflict(
        store.add_maintenance(noot.id, span(TUESDAY, (13, 0), (14, 15)), "Stemmen piano", None, now()).await,
    );
    assert_eq!(clashes[0].reason, BusyReason::Reservation);
    assert_eq!(store.maintenance(noot.id).await.unwrap().len(), 1, "refused maintenance writes nothing");
    // Including a booking's clean-up time.
    let anker = id_of(&store, "feestzaal-het-anker").await;
    hold(&store, anker, span(TUESDAY, (14, 0), (16, 0))).await.unwrap();
    expect_conflict(store.add_maintenance(anker, span(TUESDAY, (16, 30), (18, 0)), "Ramen", None, now()).await);
    store.add_maintenance(anker, span(TUESDAY, (17, 0), (18, 0)), "Ramen", None, now()).await.unwrap();
    // Maintenance next to maintenance is fine.
    store.add_maintenance(noot.id, span(TUESDAY, (11, 0), (13, 0)), "Nog meer verf", None, now()).await.unwrap();

    // Maintenance of the hall closes its zones, and maintenance of a zone closes the hall.
    let hall = resource_by_code(&store, "sporthal-de-vijver").await;
    store.add_maintenance(hall.id, span(TUESDAY, (8, 0), (12, 0)), "Vloer", None, now()).await.unwrap();
    let clashes = expect_conflict(hold(&store, hall.parts[0], span(TUESDAY, (9, 0), (10, 0))).await);
    assert_eq!((clashes[0].resource_id, clashes[0].reason), (hall.id, BusyReason::Maintenance));
    let wednesday = TUESDAY.tomorrow().unwrap();
    store.add_maintenance(hall.parts[1], span(wednesday, (8, 0), (12, 0)), "Net", None, now()).await.unwrap();
    let clashes = expect_conflict(hold(&store, hall.id, span(wednesday, (9, 0), (10, 0))).await);
    assert_eq!((clashes[0].resource_id, clashes[0].reason), (hall.parts[1], BusyReason::Maintenance));
    hold(&store, hall.parts[0], span(wednesday, (9, 0), (10, 0))).await.unwrap();

    // Removing a block frees the time.
    store.remove_maintenance(block.id).await.unwrap();
    assert!(matches!(store.remove_maintenance(block.id).await, Err(Error::NotFound { .. })));
    hold(&store, noot.id, span(TUESDAY, (9, 0), (11, 0))).await.unwrap();

    expect_invalid(store.add_maintenance(noot.id, works, "  ", None, now()).await, "reason");
    assert!(matches!(store.add_maintenance(9_999_999, works, "x", None, now()).await, Err(Error::NotFound { .. })));
}

async fn booking_windows_depend_on_the_customer_type(store: Store) {
    seeded(&store).await;
    let court = id_of(&store, "badminton-1").await;
    let today = time::local(now()).date();
    let on = |days: i64| span(today.checked_add(days.days()).unwrap(), (10, 0), (12, 0));

    let limits = store.limits(CustomerType::Resident, now()).await.unwrap();
    assert_eq!(limits.horizon, Some((local(today.checked_add(183.days()).unwrap(), 0, 0), 182)));

    // A resident may book 182 days ahead, not 183 and certainly not 200.
    hold(&store, court, on(182)).await.unwrap();
    let fields = expect_invalid(hold(&store, court, on(183)).await, "period.end");
    assert!(fields[0].reason.contains("182"), "{fields:?}");
    expect_invalid(hold(&store, court, on(200)).await, "period.end");
    // A recognised association may book a year ahead.
    let association = request(court, on(200), CustomerType::RecognisedAssociation);
    store.hold(&association, None, now(), ttl()).await.unwrap();
    store.hold(&request(court, on(365), CustomerType::RecognisedAssociation), None, now(), ttl()).await.unwrap();
    let too_far = request(court, on(366), CustomerType::RecognisedAssociation);
    expect_invalid(store.hold(&too_far, None, now(), ttl()).await, "period.end");
    // A company only 90 days.
    expect_invalid(store.hold(&request(court, on(100), CustomerType::Company), None, now(), ttl()).await, "period.end");

    // Windows are configuration: widening the residents' window lets them book further ahead.
    store
        .put_booking_window(&BookingWindow { customer_type: CustomerType::Resident, max_days_ahead: 250 }, now())
        .await
        .unwrap();
    hold(&store, court, on(201)).await.unwrap();
}

async fn closed_past_and_malformed_requests_are_refused_as_invalid(store: Store) {
    seeded(&store).await;
    let court = id_of(&store, "badminton-1").await;
    let linde = id_of(&store, "vergaderzaal-de-linde").await;
    let noot = id_of(&store, "repetitielokaal-de-noot").await;
    let saturday = date(2026, 12, 5);
    let sunday = date(2026, 12, 6);

    // Outside opening hours (sports centre: 08–23 on weekdays, 08–22 at the weekend).
    expect_invalid(hold(&store, court, span(TUESDAY, (7, 0), (9, 0))).await, "period");
    expect_invalid(hold(&store, court, span(TUESDAY, (22, 30), (23, 30))).await, "period");
    expect_invalid(hold(&store, court, span(sunday, (21, 0), (22, 15))).await, "period");
    expect_invalid(hold(&store, linde, span(saturday, (10, 0), (12, 0))).await, "period");
    // In the past: yesterday, and this morning before 10:00.
    let yesterday = time::local(now()).date().yesterday().unwrap();
    expect_invalid(hold(&store, court, span(yesterday, (10, 0), (12, 0))).await, "period.start");
    expect_invalid(hold(&store, court, span(time::local(now()).date(), (9, 0), (11, 0))).await, "period.start");
    // Not on a quarter hour, or longer than 72 hours.
    expect_invalid(hold(&store, court, span(TUESDAY, (10, 5), (11, 0))).await, "period");
    let long = Period::new(local(TUESDAY, 8, 0), local(date(2026, 12, 4), 9, 0)).unwrap();
    expect_invalid(hold(&store, court, long).await, "period");

    // Malformed requests name every bad field.
    let mut req = request(noot, span(TUESDAY, (10, 0), (12, 0)), CustomerType::Company);
    expect_invalid(store.hold(&req, None, now(), ttl()).await, "customer_type");
    req.customer = customer(CustomerType::Resident);
    req.attendees = 26;
    expect_invalid(store.hold(&req, None, now(), ttl()).await, "attendees");
    req.attendees = 5;
    req.services = vec![ServiceRequest { code: "catering-koffie".into(), quantity: 1 }];
    expect_invalid(store.hold(&req, None, now(), ttl()).await, "services[0].code");
    req.services.clear();
    req.customer.email = "not-an-address".into();
    req.customer.name = " ".into();
    let fields = expect_invalid(store.hold(&req, None, now(), ttl()).await, "customer.email");
    assert!(fields.iter().any(|f| f.field == "customer.name"), "{fields:?}");
    req.customer = customer(CustomerType::OtherAssociation);
    req.customer.organisation = None;
    expect_invalid(store.hold(&req, None, now(), ttl()).await, "customer.organisation");
    req.resource_id = 9_999_999;
    req.customer = customer(CustomerType::Resident);
    assert!(matches!(store.hold(&req, None, now(), ttl()).await, Err(Error::NotFound { .. })));

    assert!(store.reservations(&ReservationFilter::default()).await.unwrap().is_empty(), "nothing was written");
}

// ---------------------------------------------------------------------------------------------
// Season series
// ---------------------------------------------------------------------------------------------

fn series(resource_id: i64, customer_type: CustomerType, first: Date, last: Date) -> SeriesRequest {
    SeriesRequest {
        resource_id,
        customer: customer(customer_type),
        attendees: 12,
        services: Vec::new(),
        purpose: "Koorrepetitie".into(),
        first_date: first,
        last_date: last,
        starts: jiff::civil::time(19, 0, 0, 0),
        ends: jiff::civil::time(21, 0, 0, 0),
    }
}

async fn a_season_series_books_free_weeks_and_reports_taken_ones(store: Store) {
    seeded(&store).await;
    let noot = id_of(&store, "repetitielokaal-de-noot").await;
    let taken_day = date(2027, 1, 12);
    let taken = hold(&store, noot, span(taken_day, (18, 0), (20, 0))).await.unwrap();

    let req = series(noot, CustomerType::RecognisedAssociation, TUESDAY, date(2027, 2, 23));
    let report = store.book_series(&req, Some(5), now()).await.unwrap();
    assert_eq!(report.occurrences.len(), 13, "every Tuesday from 1 December to 23 February");
    assert_eq!((report.booked, report.not_booked), (12, 1));
    for occ in &report.occurrences {
        assert_eq!(occ.period, span(occ.date, (19, 0), (21, 0)));
        if occ.date == taken_day {
            assert_eq!(occ.status, OccurrenceStatus::Conflict);
            assert_eq!(occ.reservation_id, None);
            assert_eq!(occ.clashes, [Clash { period: taken.period, reason: BusyReason::Hold, resource_id: noot }]);
        } else {
            assert_eq!(occ.status, OccurrenceStatus::Booked, "{}", occ.date);
            let r = store.reservation(occ.reservation_id.unwrap()).await.unwrap();
            assert_eq!(
                (r.status, r.series_id, r.period, r.resource_id),
                (Status::Confirmed, Some(report.series_id), occ.period, noot)
            );
            assert_eq!(r.customer, req.customer);
        }
    }
    let filter = ReservationFilter { series_id: Some(report.series_id), ..ReservationFilter::default() };
    assert_eq!(store.reservations(&filter).await.unwrap().len(), 12);
    // A second identical series finds every week taken.
    let again = store.book_series(&req, None, now()).await.unwrap();
    assert_eq!((again.booked, again.not_booked), (0, 13));
    assert!(again.occurrences.iter().all(|o| o.status == OccurrenceStatus::Conflict));

    // Cancelling from 19 January frees the rest of the season and keeps the weeks before.
    let from = local(date(2027, 1, 19), 0, 0);
    assert_eq!(store.cancel_series_from(report.series_id, from, later(30)).await.unwrap(), 6);
    for r in store.reservations(&filter).await.unwrap() {
        let expected = if r.period.start >= from { Status::Cancelled } else { Status::Confirmed };
        assert_eq!(r.status, expected, "{}", time::format_local(r.period.start));
    }
    assert_eq!(store.cancel_series_from(report.series_id, from, later(31)).await.unwrap(), 0);
    hold(&store, noot, span(date(2027, 1, 26), (19, 0), (21, 0))).await.unwrap();
    expect_conflict(hold(&store, noot, span(date(2027, 1, 5), (19, 0), (21, 0))).await);
    assert!(matches!(store.cancel_series_from(9_999_999, from, now()).await, Err(Error::NotFound { .. })));
}

async fn a_series_beyond_the_booking_window_is_partly_refused(store: Store) {
    seeded(&store).await;
    let noot = id_of(&store, "repetitielokaal-de-noot").await;
    // Residents book 182 days ahead: up to Monday 24 May 2027.
    let req = series(noot, CustomerType::Resident, date(2027, 4, 6), date(2027, 6, 29));
    let report = store.book_series(&req, None, now()).await.unwrap();
    assert_eq!(report.occurrences.len(), 13);
    assert_eq!((report.booked, report.not_booked), (7, 6));
    for occ in &report.occurrences {
        if occ.date <= date(2027, 5, 24) {
            assert_eq!(occ.status, OccurrenceStatus::Booked, "{}", occ.date);
        } else {
            assert_eq!(occ.status, OccurrenceStatus::Refused, "{}", occ.date);
            assert!(occ.reason.as_deref().unwrap_or("").contains("booking window"), "{occ:?}");
        }
    }
    // A customer type that may not book the room fails the request as a whole.
    let company = series(noot, CustomerType::Company, date(2026, 12, 1), date(2026, 12, 29));
    expect_invalid(store.book_series(&company, None, now()).await, "customer_type");
    let mut backwards = series(noot, CustomerType::Resident, date(2026, 12, 29), date(2026, 12, 1));
    expect_invalid(store.book_series(&backwards, None, now()).await, "last_date");
    backwards.last_date = date(2026, 12, 29);
    backwards.ends = jiff::civil::time(18, 0, 0, 0);
    expect_invalid(store.book_series(&backwards, None, now()).await, "ends");
}

// ---------------------------------------------------------------------------------------------
// Catalogue administration
// ---------------------------------------------------------------------------------------------

async fn catalogue_admin_creates_updates_and_retires_resources(store: Store) {
    seeded(&store).await;
    let (mut spec, _) = demo::resources().into_iter().find(|(s, _)| s.code == "vergaderzaal-de-linde").unwrap();
    spec.code = "vergaderzaal-de-beuk".into();
    spec.name = "Vergaderzaal De Beuk".into();

    let created = store.create_resource(&spec, now()).await.unwrap();
    assert_eq!(created.spec, spec);
    assert!(!created.retired && created.parts.is_empty());
    assert_eq!(store.resource(created.id).await.unwrap(), created);
    expect_invalid(store.create_resource(&spec, now()).await, "code");

    // Updating to a code that is taken is refused on field `code` and changes nothing.
    let mut clash = spec.clone();
    clash.code = "raadzaal".into();
    expect_invalid(store.update_resource(created.id, &clash, now()).await, "code");
    assert_eq!(store.resource(created.id).await.unwrap(), created);

    let mut changed = spec.clone();
    changed.capacity = 16;
    changed.name = "Vergaderzaal De Beuk (vernieuwd)".into();
    changed.code = "vergaderzaal-de-beuk-2".into();
    let updated = store.update_resource(created.id, &changed, later(1)).await.unwrap();
    assert_eq!((updated.id, &updated.spec), (created.id, &changed));
    assert_eq!(store.resource(created.id).await.unwrap().spec, changed);

    // Validation and links.
    let mut bad = changed.clone();
    bad.capacity = 0;
    expect_invalid(store.update_resource(created.id, &bad, now()).await, "capacity");
    let mut bad = changed.clone();
    bad.part_of = Some(9_999_999);
    expect_invalid(store.update_resource(created.id, &bad, now()).await, "part_of");
    let mut bad = changed.clone();
    bad.services = vec!["bestaat-niet".into()];
    expect_invalid(store.update_resource(created.id, &bad, now()).await, "services[0]");
    let zone = resource_by_code(&store, "sporthal-de-vijver-zone-a").await;
    let mut nested = changed.clone();
    nested.code = "sub-zone".into();
    nested.part_of = Some(zone.id);
    expect_invalid(store.create_resource(&nested, now()).await, "part_of");
    assert!(matches!(store.update_resource(9_999_999, &changed, now()).await, Err(Error::NotFound { .. })));

    // Retiring keeps the reservations readable and refuses new ones.
    let held = hold(&store, created.id, span(TUESDAY, (10, 0), (12, 0))).await.unwrap();
    let retired = store.retire_resource(created.id, later(2)).await.unwrap();
    assert!(retired.retired);
    assert!(store.retire_resource(created.id, later(3)).await.unwrap().retired, "retiring twice is harmless");
    expect_state(hold(&store, created.id, span(TUESDAY, (14, 0), (15, 0))).await);
    expect_state(store.update_resource(created.id, &changed, later(4)).await);
    assert_eq!(store.reservation(held.id).await.unwrap(), held);
    assert_eq!(store.reservations(&by_resource(created.id)).await.unwrap(), [held]);
    let listed = store.resources().await.unwrap();
    assert!(listed.iter().any(|r| r.id == created.id && r.retired), "the catalogue keeps retired resources");
    let limits = store.limits(CustomerType::Resident, now()).await.unwrap();
    assert!(!store.is_free(&retired, span(TUESDAY, (14, 0), (15, 0)), limits).await.unwrap());
}

async fn services_and_booking_windows_round_trip(store: Store) {
    let beamer = ExtraService {
        code: "beamer-huur".into(),
        name: "Beamer".into(),
        description: "Draagbare beamer met HDMI-kabel".into(),
        unit: ServiceUnit::PerBooking,
        price_cents: 1500,
        vat_basis_points: 2100,
        retired: false,
    };
    assert_eq!(store.put_service(&beamer, now()).await.unwrap(), beamer);
    assert_eq!(store.services().await.unwrap(), std::slice::from_ref(&beamer));
    let dearer = ExtraService { price_cents: 1750, unit: ServiceUnit::PerHour, ..beamer.clone() };
    store.put_service(&dearer, later(1)).await.unwrap();
    assert_eq!(store.services().await.unwrap(), std::slice::from_ref(&dearer), "put replaces by code");
    let retired = ExtraService { retired: true, ..dearer.clone() };
    store.put_service(&retired, later(2)).await.unwrap();
    assert_eq!(store.services().await.unwrap(), std::slice::from_ref(&retired));
    expect_invalid(store.put_service(&ExtraService { price_cents: -1, ..beamer.clone() }, now()).await, "price_cents");
    expect_invalid(
        store.put_service(&ExtraService { code: "Geen Code".into(), ..beamer.clone() }, now()).await,
        "code",
    );

    // A retired service can no longer be attached to a resource.
    assert!(store.seed_demo_catalogue(now()).await.unwrap());
    let (mut spec, _) = demo::resources().into_iter().find(|(s, _)| s.code == "raadzaal").unwrap();
    spec.code = "raadzaal-2".into();
    spec.services = vec!["beamer-huur".into()];
    expect_invalid(store.create_resource(&spec, now()).await, "services[0]");
    store.put_service(&dearer, later(3)).await.unwrap();
    store.create_resource(&spec, now()).await.unwrap();

    let company = BookingWindow { customer_type: CustomerType::Company, max_days_ahead: 30 };
    assert_eq!(store.put_booking_window(&company, now()).await.unwrap(), company);
    assert_eq!(store.booking_window(CustomerType::Company).await.unwrap(), 30);
    assert!(store.booking_windows().await.unwrap().contains(&company));
    assert_eq!(store.booking_windows().await.unwrap().len(), 5, "one window per customer type");
    expect_invalid(
        store.put_booking_window(&BookingWindow { max_days_ahead: 400, ..company }, now()).await,
        "max_days_ahead",
    );
    assert_eq!(store.booking_window(CustomerType::Company).await.unwrap(), 30);
}

async fn a_reservation_keeps_its_quote_after_price_changes(store: Store) {
    seeded(&store).await;
    let zaal = resource_by_code(&store, "polyvalente-zaal-ter-beke").await;
    let mut req = request(zaal.id, span(TUESDAY, (16, 0), (20, 0)), CustomerType::Resident);
    req.attendees = 40;
    req.services = vec![
        ServiceRequest { code: "catering-koffie".into(), quantity: 1 },
        ServiceRequest { code: "zaalopstelling".into(), quantity: 2 },
    ];
    let held = store.hold(&req, None, now(), ttl()).await.unwrap();
    let original = held.quote.clone();
    // Two day hours and two evening hours at €20/€25, coffee for 40 at €2.50, two set-ups at €35.
    assert_eq!(original.subtotal_cents, 2 * 2000 + 2 * 2500 + 40 * 250 + 2 * 3500);

    let mut spec = zaal.spec.clone();
    for p in &mut spec.prices {
        p.hourly_cents *= 2;
        p.evening_hourly_cents *= 2;
        p.weekend_hourly_cents *= 2;
    }
    store.update_resource(zaal.id, &spec, later(1)).await.unwrap();
    let coffee = demo::services().into_iter().find(|s| s.code == "catering-koffie").unwrap();
    store.put_service(&ExtraService { price_cents: 400, ..coffee }, later(1)).await.unwrap();

    let requote = store.quote(&req).await.unwrap().1;
    assert!(requote.total_cents > original.total_cents, "{} vs {}", requote.total_cents, original.total_cents);
    assert_eq!(store.reservation(held.id).await.unwrap().quote, original);
    let confirmed = store.confirm(held.id, later(2)).await.unwrap();
    assert_eq!(confirmed.quote, original);
    assert_eq!(store.reservations(&by_resource(zaal.id)).await.unwrap()[0].quote, original);
}

// ---------------------------------------------------------------------------------------------
// Calls and their links
// ---------------------------------------------------------------------------------------------

async fn call_links_are_hashed_windowed_revocable_and_end_with_the_call(store: Store) {
    use balie_booking::calls::{check_link, CallRequest, LinkWindow, NewParticipant, ParticipantRole, Refusal};
    let agent = store.create_staff("a@example.org", "An Peeters", "x", &["agent"], now()).await.unwrap();
    let period = span(TUESDAY, (10, 0), (10, 30));
    let request = CallRequest {
        title: "Bouwaanvraag".into(),
        period,
        participants: vec![
            NewParticipant {
                name: "Jan".into(),
                role: ParticipantRole::Citizen,
                email: Some("jan@example.org".into()),
            },
            NewParticipant { name: "Architect Els".into(), role: ParticipantRole::Guest, email: None },
        ],
    };
    let window = LinkWindow::default();
    let (call, tokens) = store.create_call(&request, (agent, "An Peeters"), window, now()).await.unwrap();
    assert_eq!(call.participants.len(), 3);
    assert_eq!(call.participants[0].role, ParticipantRole::Agent);
    assert_eq!(call.participants[0].name, "An Peeters");
    assert_eq!(tokens.len(), 3);
    assert!(tokens.iter().all(|t| t.len() == 40), "160 bits, hex");
    assert_ne!(tokens[1], tokens[2]);

    // Each token finds its own participant; the raw token is stored nowhere.
    for (p, t) in call.participants.iter().zip(&tokens) {
        let (found, ended) = store.participant_by_token(t).await.unwrap().expect("known token");
        assert_eq!(&found, p);
        assert_eq!(ended, None);
    }
    assert!(store.participant_by_token(&"0".repeat(40)).await.unwrap().is_none());
    let dump = format!("{:?}", store.call(call.id).await.unwrap());
    assert!(tokens.iter().all(|t| !dump.contains(t.as_str())));

    // The window: from 15 minutes before the start to an hour after the end.
    let citizen = &call.participants[1];
    assert_eq!(citizen.valid.start, period.start - minutes(15));
    assert_eq!(citizen.valid.end, period.end + minutes(60));
    assert_eq!(
        check_link(citizen, None, period.start - minutes(16)),
        Err(Refusal::NotYetValid { from: citizen.valid.start })
    );
    assert_eq!(check_link(citizen, None, period.start), Ok(()));

    // A third party added later gets a link of their own; revoking it works at once.
    let (interpreter, token) = store
        .add_participant(
            call.id,
            &NewParticipant { name: "Tolk".into(), role: ParticipantRole::Guest, email: None },
            window,
            now(),
        )
        .await
        .unwrap();
    let revoked = store.revoke_participant(call.id, interpreter.id, later(5)).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(later(5)));
    let (found, _) = store.participant_by_token(&token).await.unwrap().unwrap();
    assert_eq!(check_link(&found, None, period.start), Err(Refusal::Revoked));
    let bad = NewParticipant { name: " ".into(), role: ParticipantRole::Agent, email: Some("x".into()) };
    match store.add_participant(call.id, &bad, window, now()).await {
        Err(Error::Invalid(fields)) => assert_eq!(fields.len(), 3, "{fields:?}"),
        other => panic!("expected invalid, got {other:?}"),
    }

    // Ending the call ends every link.
    store.end_call(call.id, later(60)).await.unwrap();
    let (found, ended) = store.participant_by_token(&tokens[1]).await.unwrap().unwrap();
    assert_eq!(ended, Some(later(60)));
    assert_eq!(check_link(&found, ended, period.start), Err(Refusal::CallEnded));
    assert!(matches!(
        store.add_participant(call.id, &request.participants[1], window, now()).await,
        Err(Error::State(_))
    ));
    assert!(matches!(store.call(call.id + 1000).await, Err(Error::NotFound { .. })));
}

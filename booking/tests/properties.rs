//! Property tests of the pure booking domain: the availability rule, pricing and Brussels time.
//!
//! The availability properties build a resource with random opening hours and buffers, random
//! blockers (reservations and holds with their own buffers, maintenance) on the resource, its hall
//! or one of its parts, and random windows, clocks and booking horizons, and then check that what
//! `free_periods` shows and what `check_bookable` accepts are the same thing.

use balie_booking::availability::{self, check_bookable, free_periods, Blocker, BusyReason, Limits};
use balie_booking::catalogue::{CustomerType, OpeningSlot, Resource, ResourceSpec};
use balie_booking::error::Clash;
use balie_booking::pricing::{self, LineKind, ServiceRequest};
use balie_booking::reservation::Customer;
use balie_booking::series::SeriesRequest;
use balie_booking::time::{self, Period};
use balie_booking::{demo, Error};
use jiff::civil::{date, time as civil_time, Date, Time, Weekday};
use jiff::Timestamp;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const MINUTE: i64 = 60;
const QUARTER: i64 = 15 * MINUTE;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The resource under test, its hall and one of the hall's other parts.
const OWN_ID: i64 = 1;
const HALL_ID: i64 = 100;
const SIBLING_ID: i64 = 101;

fn at(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

fn secs(s: i64) -> Timestamp {
    Timestamp::from_second(s).expect("in range")
}

fn period(start: i64, end: i64) -> Period {
    Period::new(secs(start), secs(end)).expect("start before end")
}

fn quarter_time(index: u8) -> Time {
    let minutes = i32::from(index) * 15;
    civil_time((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Opening slots of one weekday: non-overlapping quarter-hour intervals within the day, some of
/// them split in two touching slots (which the availability rule must merge).
fn day_slots(weekday: i8) -> impl Strategy<Value = Vec<OpeningSlot>> {
    (prop::collection::btree_set(0u8..96, 0..=6), any::<[bool; 3]>()).prop_map(move |(cuts, split)| {
        let cuts: Vec<u8> = cuts.into_iter().collect();
        let mut out = Vec::new();
        for (i, pair) in cuts.chunks_exact(2).enumerate() {
            let (opens, closes) = (pair[0], pair[1]);
            if split[i] && closes - opens >= 2 {
                let mid = opens + (closes - opens) / 2;
                out.push(OpeningSlot { weekday, opens: quarter_time(opens), closes: quarter_time(mid) });
                out.push(OpeningSlot { weekday, opens: quarter_time(mid), closes: quarter_time(closes) });
            } else {
                out.push(OpeningSlot { weekday, opens: quarter_time(opens), closes: quarter_time(closes) });
            }
        }
        out
    })
}

fn opening_hours() -> impl Strategy<Value = Vec<OpeningSlot>> {
    (day_slots(1), day_slots(2), day_slots(3), day_slots(4), day_slots(5), day_slots(6), day_slots(7)).prop_map(
        |(a, b, c, d, e, f, g)| {
            let mut all = Vec::new();
            for day in [a, b, c, d, e, f, g] {
                all.extend(day);
            }
            all
        },
    )
}

fn buffer() -> impl Strategy<Value = i64> {
    (0i64..=16).prop_map(|q| q * 15)
}

/// A resource that is a part of hall `HALL_ID`, with random opening hours and buffers.
fn resource() -> impl Strategy<Value = Resource> {
    (opening_hours(), buffer(), buffer()).prop_map(|(hours, before, after)| {
        let (mut spec, _) = demo::resources().into_iter().find(|(s, _)| s.code == "sporthal-de-vijver-zone-a").unwrap();
        spec.part_of = Some(HALL_ID);
        spec.opening_hours = hours;
        spec.buffer_before_minutes = before;
        spec.buffer_after_minutes = after;
        spec.validate().expect("the generator makes valid specs");
        Resource { id: OWN_ID, spec, parts: Vec::new(), retired: false }
    })
}

/// Instants around the DST changes are drawn often: that is where local-time rules break.
fn base_instant() -> impl Strategy<Value = i64> {
    let start_2026 = at("2026-01-01T00:00:00Z").as_second();
    let dst = [
        at("2026-03-29T01:00:00Z").as_second(),
        at("2026-10-25T01:00:00Z").as_second(),
        at("2027-03-28T01:00:00Z").as_second(),
        at("2027-10-31T01:00:00Z").as_second(),
    ];
    prop_oneof![
        2 => (0i64..730 * 24 * 60).prop_map(move |m| start_2026 + m * MINUTE),
        1 => (prop::sample::select(dst.to_vec()), -3 * 24 * 60i64..3 * 24 * 60).prop_map(|(d, m)| d + m * MINUTE),
    ]
}

/// Something that blocks the resource, placed relative to `origin` (seconds).
fn blocker(origin: i64) -> impl Strategy<Value = Blocker> {
    let reason = prop_oneof![Just(BusyReason::Reservation), Just(BusyReason::Hold), Just(BusyReason::Maintenance)];
    let on = prop::sample::select(vec![OWN_ID, HALL_ID, SIBLING_ID]);
    (reason, on, -2 * 24 * 60i64..5 * 24 * 60, 1i64..=12 * 60, buffer(), buffer()).prop_map(
        move |(reason, resource_id, offset, length, before, after)| {
            if reason == BusyReason::Maintenance {
                // Maintenance is entered by staff to the minute and has no buffers.
                let start = origin + offset * MINUTE;
                let p = period(start, start + length * MINUTE);
                Blocker { resource_id, period: p, blocked: p, reason }
            } else {
                // Reservations are quarter-aligned and carry the buffers of the resource they
                // were made on, which need not be ours.
                let start = (origin + offset * MINUTE).div_euclid(QUARTER) * QUARTER;
                let p = period(start, start + (length / 15 + 1) * QUARTER);
                Blocker { resource_id, period: p, blocked: p.widen(before, after), reason }
            }
        },
    )
}

#[derive(Debug, Clone)]
struct Scenario {
    resource: Resource,
    window: Period,
    blockers: Vec<Blocker>,
    limits: Limits,
    /// Seed for sampling sub-intervals; drawn by proptest so that failures replay.
    seed: u64,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    base_instant().prop_flat_map(|origin| {
        (
            resource(),
            1i64..=4 * 24 * 60,
            prop::collection::vec(blocker(origin), 0..10),
            // `now` to the second, from a day before the window to two days into it.
            -DAY..2 * DAY,
            prop::option::of(0i64..=4),
            any::<u64>(),
        )
            .prop_map(move |(resource, length, blockers, now_offset, days, seed)| {
                let window = period(origin, origin + length * MINUTE);
                let now = secs(origin + now_offset);
                let horizon = days.map(|d| (availability::horizon(now, d), d));
                Scenario { resource, window, blockers, limits: Limits { now, horizon }, seed }
            })
    })
}

// ---------------------------------------------------------------------------------------------
// Oracles
// ---------------------------------------------------------------------------------------------

/// Every instance of an opening slot that could contain `t`: the slot on the civil day of `t`
/// (and the day before, to be safe), as instants.
fn open_at(slots: &[OpeningSlot], piece: Period) -> bool {
    let day = time::local(piece.start).date();
    [day.yesterday().unwrap(), day].into_iter().any(|d| {
        slots.iter().filter(|s| s.weekday() == d.weekday()).any(|s| {
            let (o, c) = (time::instant(d, s.opens), time::instant(d, s.closes));
            o <= piece.start && piece.end <= c
        })
    })
}

/// True when the whole of `p` lies within opening hours. Checked piece by piece at quarter-hour
/// boundaries, so that touching slots count as one opening interval.
fn within_opening_hours(slots: &[OpeningSlot], p: Period) -> bool {
    let mut t = p.start.as_second();
    let end = p.end.as_second();
    while t < end {
        let next = ((t.div_euclid(QUARTER) + 1) * QUARTER).min(end);
        if !open_at(slots, period(t, next)) {
            return false;
        }
        t = next;
    }
    true
}

/// Quarter-aligned sub-intervals of `p` of at most 72 hours: the extremes and a random sample.
fn aligned_subintervals(p: Period, rng: &mut StdRng, samples: usize) -> Vec<Period> {
    let first = time::ceil_to_quarter(p.start).as_second();
    let last = p.end.as_second().div_euclid(QUARTER) * QUARTER;
    if last <= first {
        return Vec::new();
    }
    let n = (last - first) / QUARTER;
    let max_len = 72 * 4;
    let mut out = vec![
        period(first, first + QUARTER),
        period(last - QUARTER, last),
        period(first, first + n.min(max_len) * QUARTER),
        period(last - n.min(max_len) * QUARTER, last),
    ];
    for _ in 0..samples {
        let a = rng.gen_range(0..n);
        let len = rng.gen_range(1..=(n - a).min(max_len));
        out.push(period(first + a * QUARTER, first + (a + len) * QUARTER));
    }
    out
}

/// The blockers a booking of `p` on `resource` must clash with: those whose blocked interval
/// overlaps `p` widened by the resource's own set-up and clean-up buffers.
fn expected_clashes(resource: &Resource, p: Period, blockers: &[Blocker]) -> Vec<Clash> {
    let wanted = p.widen(resource.spec.buffer_before_minutes, resource.spec.buffer_after_minutes);
    blockers
        .iter()
        .filter(|b| b.blocked.overlaps(&wanted))
        .map(|b| Clash { period: b.blocked, reason: b.reason, resource_id: b.resource_id })
        .collect()
}

fn sorted(clashes: Vec<Clash>) -> Vec<(Period, i64, String)> {
    let mut out: Vec<_> = clashes.into_iter().map(|c| (c.period, c.resource_id, format!("{:?}", c.reason))).collect();
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// Availability
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// What is shown as free never touches a blocker (including the resource's own buffers around
    /// any booking placed there), never leaves opening hours, the window or the booking window,
    /// and never starts before now.
    #[test]
    fn free_time_never_overlaps_a_blocker(s in scenario()) {
        let free = free_periods(&s.resource, s.window, &s.blockers, s.limits);
        let spec = &s.resource.spec;
        for pair in free.windows(2) {
            prop_assert!(pair[0].end < pair[1].start, "free periods are sorted, disjoint and not touching: {:?}", pair);
        }
        for f in &free {
            prop_assert!(f.start < f.end);
            prop_assert!(s.window.contains(f), "{f:?} outside window {:?}", s.window);
            prop_assert!(f.start >= s.limits.now, "{f:?} starts before now {}", s.limits.now);
            if let Some((h, _)) = s.limits.horizon {
                prop_assert!(f.end <= h, "{f:?} ends after the horizon {h}");
            }
            prop_assert!(within_opening_hours(&spec.opening_hours, *f), "{f:?} is outside opening hours");
            let with_buffers = f.widen(spec.buffer_before_minutes, spec.buffer_after_minutes);
            for b in &s.blockers {
                prop_assert!(!f.overlaps(&b.period), "{f:?} overlaps the period of {b:?}");
                prop_assert!(!f.overlaps(&b.blocked), "{f:?} overlaps the blocked time of {b:?}");
                prop_assert!(
                    !with_buffers.overlaps(&b.blocked),
                    "a booking at the edge of {f:?} would need its buffers inside {b:?}"
                );
            }
        }
    }

    /// Free means bookable: every quarter-aligned sub-interval of a free interval passes the very
    /// check the store runs before inserting a reservation.
    #[test]
    fn free_time_is_bookable(s in scenario()) {
        let mut rng = StdRng::seed_from_u64(s.seed);
        for f in free_periods(&s.resource, s.window, &s.blockers, s.limits) {
            for p in aligned_subintervals(f, &mut rng, 24) {
                let checked = check_bookable(&s.resource, p, &s.blockers, s.limits);
                prop_assert!(checked.is_ok(), "{p:?} lies in free {f:?} but is refused: {checked:?}");
            }
        }
    }

    /// Within opening hours and limits, an aligned period is refused with `Conflict` exactly when
    /// it (widened by the resource's buffers) overlaps a blocker's blocked time, and the conflict
    /// names every such blocker; otherwise it is accepted and shown as free.
    #[test]
    fn a_period_clashing_with_a_blocker_is_refused_with_conflict(s in scenario()) {
        let mut rng = StdRng::seed_from_u64(s.seed);
        let free = free_periods(&s.resource, s.window, &s.blockers, s.limits);
        for open in free_periods(&s.resource, s.window, &[], s.limits) {
            for p in aligned_subintervals(open, &mut rng, 24) {
                let expected = expected_clashes(&s.resource, p, &s.blockers);
                match check_bookable(&s.resource, p, &s.blockers, s.limits) {
                    Err(Error::Conflict(clashes)) => {
                        prop_assert!(!expected.is_empty(), "{p:?} refused with {clashes:?} but clashes with nothing");
                        prop_assert_eq!(sorted(clashes), sorted(expected));
                    }
                    Ok(()) => {
                        prop_assert!(expected.is_empty(), "{p:?} accepted although it clashes with {expected:?}");
                        prop_assert!(free.iter().any(|f| f.contains(&p)), "{p:?} is bookable but not shown as free in {free:?}");
                    }
                    Err(e) => prop_assert!(false, "{p:?} inside opening hours and limits refused with {e:?}"),
                }
            }
        }
    }

    /// Without blockers, an aligned period is accepted exactly when it lies within opening hours,
    /// not in the past and within the booking window; otherwise it is refused with `Invalid`.
    /// Candidates are random periods and periods just across the edges of the open time.
    #[test]
    fn closed_past_or_too_distant_periods_are_refused_as_invalid(
        s in scenario(),
        offset in -DAY / QUARTER..5 * DAY / QUARTER,
        quarters in 1i64..=48,
    ) {
        let mut rng = StdRng::seed_from_u64(s.seed);
        let start = s.window.start.as_second().div_euclid(QUARTER) * QUARTER + offset * QUARTER;
        let mut candidates = vec![period(start, start + quarters * QUARTER)];
        for open in free_periods(&s.resource, s.window, &[], s.limits) {
            for p in aligned_subintervals(open, &mut rng, 4) {
                let (a, b) = (p.start.as_second(), p.end.as_second());
                candidates.extend([
                    p,
                    period(a - QUARTER, b - QUARTER),
                    period(a + QUARTER, b + QUARTER),
                    period(a - QUARTER, b),
                    period(a, b + QUARTER),
                ]);
            }
        }
        for p in candidates {
            let allowed = free_periods(&s.resource, p.widen(24 * 60, 24 * 60), &[], s.limits);
            let inside = allowed.iter().any(|a| a.contains(&p));
            let oracle = within_opening_hours(&s.resource.spec.opening_hours, p)
                && p.start >= s.limits.now
                && s.limits.horizon.is_none_or(|(h, _)| p.end <= h);
            prop_assert_eq!(inside, oracle, "free_periods and the opening-hours oracle disagree on {:?}", p);
            match check_bookable(&s.resource, p, &[], s.limits) {
                Ok(()) => prop_assert!(inside, "{p:?} accepted outside {allowed:?}"),
                Err(Error::Invalid(fields)) => {
                    prop_assert!(!inside, "{p:?} refused ({fields:?}) though free in {allowed:?}");
                    prop_assert!(fields.iter().all(|f| f.field.starts_with("period")), "{fields:?}");
                }
                Err(e) => prop_assert!(false, "{p:?} refused with {e:?}, expected Invalid or Ok"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pricing
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct QuoteInput {
    resource: Resource,
    customer: CustomerType,
    period: Period,
    attendees: i64,
    requested: Vec<ServiceRequest>,
}

fn demo_resource(index: usize) -> Resource {
    let (spec, _): (ResourceSpec, _) = demo::resources().swap_remove(index);
    Resource { id: index as i64 + 1, spec, parts: Vec::new(), retired: false }
}

fn quote_input() -> impl Strategy<Value = QuoteInput> {
    let count = demo::resources().len();
    (0..count, base_instant(), 1i64..=72 * 4).prop_flat_map(|(index, start, quarters)| {
        let resource = demo_resource(index);
        let start = start.div_euclid(QUARTER) * QUARTER;
        let p = period(start, start + quarters * QUARTER);
        let customers: Vec<CustomerType> = resource.spec.prices.iter().map(|p| p.customer_type).collect();
        let offered = resource.spec.services.clone();
        let capacity = resource.spec.capacity;
        (
            Just(resource),
            prop::sample::select(customers),
            1..=capacity,
            prop::sample::subsequence(offered.clone(), 0..=offered.len()),
            prop::collection::vec(1i64..=100, offered.len()),
        )
            .prop_map(move |(resource, customer, attendees, chosen, quantities)| QuoteInput {
                resource,
                customer,
                period: p,
                attendees,
                requested: chosen
                    .into_iter()
                    .zip(quantities)
                    .map(|(code, quantity)| ServiceRequest { code, quantity })
                    .collect(),
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A quote depends on its input only, adds up, is never negative and charges rent for exactly
    /// the minutes of the period (also across DST changes).
    #[test]
    fn quotes_are_deterministic_and_add_up(q in quote_input()) {
        let services = demo::services();
        let quote = |q: &QuoteInput| {
            pricing::quote(&q.resource, &services, q.customer, q.period, q.attendees, &q.requested)
        };
        let first = quote(&q).expect("a valid request is priced");
        let second = quote(&q).expect("a valid request is priced");
        prop_assert_eq!(&first, &second);

        prop_assert_eq!(first.total_cents, first.subtotal_cents + first.vat_cents);
        prop_assert_eq!(first.subtotal_cents, first.lines.iter().map(|l| l.amount_cents).sum::<i64>());
        prop_assert_eq!(first.vat_cents, first.vat.iter().map(|v| v.vat_cents).sum::<i64>());
        prop_assert_eq!(first.subtotal_cents, first.vat.iter().map(|v| v.base_cents).sum::<i64>());
        prop_assert_eq!(first.customer_type, q.customer);
        prop_assert_eq!(first.currency.as_str(), "EUR");
        prop_assert!(first.subtotal_cents >= 0 && first.vat_cents >= 0 && first.total_cents >= 0);
        for l in &first.lines {
            prop_assert!(l.amount_cents >= 0 && l.unit_price_cents >= 0 && l.quantity >= 0, "{l:?}");
        }
        for v in &first.vat {
            prop_assert!(v.base_cents >= 0 && v.vat_cents >= 0, "{v:?}");
        }

        let rent_minutes: i64 = first.lines.iter().filter(|l| l.kind == LineKind::Rent).map(|l| l.quantity).sum();
        prop_assert_eq!(rent_minutes, q.period.minutes());
        let service_lines: Vec<&str> =
            first.lines.iter().filter(|l| l.kind == LineKind::Service).map(|l| l.code.as_str()).collect();
        let requested: Vec<&str> = q.requested.iter().map(|r| r.code.as_str()).collect();
        prop_assert_eq!(service_lines, requested);
    }
}

// ---------------------------------------------------------------------------------------------
// Daylight saving time
// ---------------------------------------------------------------------------------------------

fn brussels_booking(day: Date, from: Time, to: Time) -> Period {
    Period::new(time::instant(day, from), time::instant(day, to)).expect("from before to")
}

#[test]
fn a_morning_booking_on_dst_sundays_lasts_two_hours_at_the_right_instants() {
    let ten = civil_time(10, 0, 0, 0);
    let noon = civil_time(12, 0, 0, 0);

    // Spring forward (02:00 → 03:00): from then on Brussels is UTC+2.
    let spring = brussels_booking(date(2026, 3, 29), ten, noon);
    assert_eq!(spring.minutes(), 120);
    assert_eq!(spring.start, at("2026-03-29T08:00:00Z"));
    assert_eq!(spring.end, at("2026-03-29T10:00:00Z"));
    assert_eq!(time::format_local(spring.start), "2026-03-29T10:00:00+02:00");

    // Fall back (03:00 → 02:00): from then on Brussels is UTC+1.
    let autumn = brussels_booking(date(2026, 10, 25), ten, noon);
    assert_eq!(autumn.minutes(), 120);
    assert_eq!(autumn.start, at("2026-10-25T09:00:00Z"));
    assert_eq!(autumn.end, at("2026-10-25T11:00:00Z"));
    assert_eq!(time::format_local(autumn.end), "2026-10-25T12:00:00+01:00");

    // Both are Sundays: the rent is two hours at the weekend rate, and the booking is accepted.
    let zaal = demo_resource(0);
    for p in [spring, autumn] {
        let quote = pricing::quote(&zaal, &demo::services(), CustomerType::Resident, p, 10, &[]).unwrap();
        let rent: Vec<(&str, i64)> = quote.lines.iter().map(|l| (l.code.as_str(), l.quantity)).collect();
        assert_eq!(rent, [("weekend", 120)]);
        let theatre = demo::resources().into_iter().find(|(s, _)| s.code == "theaterzaal-de-schakel").unwrap().0;
        let theatre = Resource { id: 5, spec: theatre, parts: Vec::new(), retired: false };
        let limits = Limits { now: at("2026-01-01T00:00:00Z"), horizon: None };
        check_bookable(&theatre, p, &[], limits).expect("10:00–12:00 lies within 09:00–23:00 opening hours");
    }
}

#[test]
fn a_season_series_keeps_local_hours_across_both_dst_changes() {
    let request = SeriesRequest {
        resource_id: 1,
        customer: Customer {
            customer_type: CustomerType::RecognisedAssociation,
            name: "An Peeters".into(),
            email: "an@badmintonclub.example".into(),
            phone: None,
            organisation: Some("Badmintonclub Lindeveld".into()),
            address: None,
            identity_check: None,
            language: None,
        },
        attendees: 12,
        services: Vec::new(),
        purpose: "training".into(),
        first_date: date(2026, 9, 7),
        last_date: date(2027, 6, 28),
        starts: civil_time(19, 0, 0, 0),
        ends: civil_time(21, 0, 0, 0),
    };
    let occurrences = request.occurrences().expect("a valid series");
    assert_eq!(occurrences.len(), 43, "every Monday from 7 September 2026 to 28 June 2027");
    assert_eq!(occurrences.first().unwrap().0, date(2026, 9, 7));
    assert_eq!(occurrences.last().unwrap().0, date(2027, 6, 28));

    let mut offsets = Vec::new();
    for (i, (day, p)) in occurrences.iter().enumerate() {
        assert_eq!(day.weekday(), Weekday::Monday);
        if i > 0 {
            assert_eq!(occurrences[i - 1].0.checked_add(jiff::Span::new().days(7)).unwrap(), *day);
        }
        let (start, end) = (time::local(p.start), time::local(p.end));
        assert_eq!((start.date(), start.time()), (*day, civil_time(19, 0, 0, 0)), "start of {day}");
        assert_eq!((end.date(), end.time()), (*day, civil_time(21, 0, 0, 0)), "end of {day}");
        assert_eq!(p.minutes(), 120, "{day}");
        offsets.push(start.offset().seconds() / 3600);
    }
    // Summer time until October, winter time until the end of March, summer time again.
    let winter_from = occurrences.iter().position(|(d, _)| *d > date(2026, 10, 25)).unwrap();
    let summer_from = occurrences.iter().position(|(d, _)| *d > date(2027, 3, 28)).unwrap();
    assert!(offsets[..winter_from].iter().all(|&o| o == 2), "{offsets:?}");
    assert!(offsets[winter_from..summer_from].iter().all(|&o| o == 1), "{offsets:?}");
    assert!(offsets[summer_from..].iter().all(|&o| o == 2), "{offsets:?}");
    assert_eq!(occurrences[winter_from].1.start, at("2026-10-26T18:00:00Z"));
    assert_eq!(occurrences[summer_from].1.start, at("2027-03-29T17:00:00Z"));
}

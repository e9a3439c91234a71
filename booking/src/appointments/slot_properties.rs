//! Property tests of [`free_slots`] against [`check_agent_free`] and against independent checks,
//! on random pools, weekly hours, absences and appointments around both DST changes of 2026 and an
//! ordinary week.

use jiff::civil::Time;
use jiff::Timestamp;
use proptest::prelude::*;

use super::schedule::{AgentSchedule, Booked, DayHours, TimeRange, WeeklyHours};
use super::services::ServiceSpec;
use super::slots::*;
use crate::time::{self, Period};

/// Windows start up to 12 h after these instants and last 12–36 h, so they cover the Sunday nights
/// of the spring and autumn changes (and an ordinary Sunday).
const BASES: [&str; 3] = ["2026-03-28T12:00:00Z", "2026-10-24T12:00:00Z", "2026-05-09T12:00:00Z"];
/// Where absences and appointments may lie, in five-minute steps from the base: two days.
const WINDOW_STEPS: i64 = 2 * 288;

#[derive(Debug, Clone)]
struct Case {
    service: ServiceSpec,
    agents: Vec<AgentSchedule>,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    step: i64,
}

impl Case {
    fn slots(&self) -> Vec<Slot> {
        free_slots(&self.service, &self.agents, self.from, self.to, self.now, self.step)
    }
    fn agent(&self, id: i64) -> &AgentSchedule {
        self.agents.iter().find(|a| a.agent_id == id).expect("listed agent has a schedule")
    }
}

fn quarter(i: i64) -> Time {
    Time::new((i / 4) as i8, (i % 4 * 15) as i8, 0, 0).unwrap()
}

/// 0–3 ordered, disjoint ranges on quarter hours.
fn day_ranges() -> impl Strategy<Value = Vec<TimeRange>> {
    prop::collection::btree_set(0i64..96, 0..=6).prop_map(|set| {
        let v: Vec<i64> = set.into_iter().collect();
        v.chunks_exact(2).map(|c| TimeRange::new(quarter(c[0]), quarter(c[1])).unwrap()).collect()
    })
}

fn periods(base: i64, max: usize, max_len_steps: i64) -> impl Strategy<Value = Vec<Period>> {
    prop::collection::vec((-288i64..WINDOW_STEPS, 1..=max_len_steps), 0..=max).prop_map(move |v| {
        v.into_iter().map(|(o, n)| Period::from_seconds(base + o * 300, base + (o + n) * 300)).collect()
    })
}

fn schedule(id: i64, base: i64) -> impl Strategy<Value = AgentSchedule> {
    (prop::collection::vec(day_ranges(), 7), periods(base, 2, 144), periods(base, 6, 24)).prop_map(
        move |(days, absences, booked)| AgentSchedule {
            agent_id: id,
            hours: WeeklyHours(
                days.into_iter().enumerate().map(|(i, ranges)| DayHours { weekday: i as i8 + 1, ranges }).collect(),
            ),
            absences,
            booked: booked
                .into_iter()
                .zip(100..)
                .map(|(period, appointment_id)| Booked { appointment_id, period })
                .collect(),
        },
    )
}

fn case() -> impl Strategy<Value = Case> {
    prop::sample::select(BASES.to_vec()).prop_flat_map(|b| {
        let base = b.parse::<Timestamp>().unwrap().as_second();
        (
            (1i64..=36, 0i64..=1440, 1i64..=5, prop::sample::subsequence(vec![1i64, 2, 3], 1..=3)),
            (schedule(1, base), schedule(2, base), schedule(3, base)),
            (0i64..144, 144i64..=432, -864i64..144),
            prop::sample::select(vec![5i64, 10, 15, 30, 60, 7]),
        )
            .prop_map(move |((dur, notice, horizon, pool), (a, b, c), (from, len, now), step)| {
                let service = ServiceSpec {
                    duration_minutes: dur * 5,
                    min_notice_minutes: notice,
                    horizon_days: horizon,
                    agents: pool,
                    ..super::demo::services(&[1])[4].clone()
                };
                let at = |steps: i64| Timestamp::from_second(base + steps * 300).unwrap();
                Case { service, agents: vec![a, b, c], from: at(from), to: at(from + len), now: at(now), step }
            })
    })
}

/// Whether every minute of `period` falls, in Brussels civil time, in one of the agent's ranges
/// for that weekday: checked minute by minute, without `working_periods`.
fn within_local_hours(hours: &WeeklyHours, period: Period) -> bool {
    (period.start.as_second()..period.end.as_second()).step_by(60).all(|s| {
        let z = time::local(Timestamp::from_second(s).unwrap());
        hours.on(z.weekday()).iter().any(|r| r.contains(z.time()))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_slot_passes_the_rule_for_every_listed_agent(c in case()) {
        for slot in c.slots() {
            let period = Period::new(slot.start, slot.end).unwrap();
            prop_assert!(!slot.agents.is_empty());
            prop_assert!(slot.agents.windows(2).all(|w| w[0] < w[1]), "agents sorted and distinct");
            for id in &slot.agents {
                prop_assert!(c.service.agents.contains(id), "agent {id} is in the pool");
                prop_assert_eq!(check_agent_free(c.agent(*id), period, c.now, &c.service), Ok(()));
            }
        }
    }

    #[test]
    fn no_slot_overlaps_a_listed_agents_absence_or_appointment(c in case()) {
        for slot in c.slots() {
            let period = Period::new(slot.start, slot.end).unwrap();
            for id in &slot.agents {
                let a = c.agent(*id);
                prop_assert!(a.absences.iter().all(|x| !x.overlaps(&period)));
                prop_assert!(a.booked.iter().all(|b| !b.period.overlaps(&period)));
            }
        }
    }

    #[test]
    fn slots_lie_within_working_hours_in_brussels_local_time(c in case()) {
        for slot in c.slots() {
            let period = Period::new(slot.start, slot.end).unwrap();
            prop_assert_eq!(period.minutes(), c.service.duration_minutes);
            for id in &slot.agents {
                prop_assert!(within_local_hours(&c.agent(*id).hours, period), "{:?} for agent {}", period, id);
            }
        }
    }

    #[test]
    fn slots_start_once_on_the_grid_within_the_window_notice_and_horizon(c in case()) {
        let slots = c.slots();
        prop_assert!(slots.windows(2).all(|w| w[0].start < w[1].start), "sorted, no duplicate starts");
        let labels: std::collections::BTreeSet<String> = slots.iter().map(|s| time::format_local(s.start)[..16].to_string()).collect();
        prop_assert_eq!(labels.len(), slots.len(), "no clock time offered twice");
        for s in &slots {
            prop_assert!(on_grid(s.start, c.step));
            prop_assert!(c.from <= s.start && s.start < c.to);
            prop_assert!(s.start >= earliest_start(&c.service, c.now));
            prop_assert!(s.end <= latest_end(&c.service, c.now));
        }
    }

    #[test]
    fn every_grid_start_the_rule_accepts_is_offered_with_all_its_agents(c in case()) {
        let slots = c.slots();
        let mut t = c.from;
        while t < c.to {
            if on_grid(t, c.step) {
                let period = appointment_period(&c.service, t);
                let free = free_agents(&c.service, &c.agents, period, c.now);
                let offered = slots.iter().find(|s| s.start == t).map(|s| s.agents.clone()).unwrap_or_default();
                prop_assert_eq!(offered, free, "at {}", time::format_local(t));
            }
            t = Timestamp::from_second(t.as_second() + 300).unwrap();
        }
    }
}

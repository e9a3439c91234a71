//! The double-booking race, shared by the race test and the repeated race benchmark.

use crate::{local, reservation, TestApp};

/// One set of requests that all overlap each other: exactly one may win.
pub struct Set {
    pub resources: Vec<i64>,
    pub periods: Vec<(String, String)>,
}

/// Sends `n` requests spread over the sets at once; returns how many won per set.
pub async fn race(app: &TestApp, sets: &[Set], n: usize) -> Vec<usize> {
    let agent = app.login_as("agent").await;
    let jobs = (0..n).map(|i| {
        let set = i % sets.len();
        let s = &sets[set];
        let (start, end) = &s.periods[(i / sets.len()) % s.periods.len()];
        let resource = s.resources[(i / sets.len()) % s.resources.len()];
        let body = reservation(resource, start, end);
        let agent = &agent;
        async move { (set, agent.post("/api/v1/reservaties", &body).await) }
    });
    let results = futures::future::join_all(jobs).await;
    let mut wins = vec![0; sets.len()];
    for (set, r) in results {
        match r.status {
            201 => wins[set] += 1,
            409 => assert_eq!(r.body["type"], "/problems/conflict"),
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    wins
}

/// Four conflicting sets on `day`: the same slot, partial overlaps, a hall against its parts,
/// and set-up/clean-up buffers.
pub async fn standard_sets(app: &TestApp, day: &str) -> Vec<Set> {
    let l = |a: &str, b: &str| (local(day, a), local(day, b));
    vec![
        // The same slot, over and over.
        Set { resources: vec![app.resource_id("vergaderzaal-de-linde").await], periods: vec![l("10:00", "11:00")] },
        // Partial overlaps that all share 14:00–14:15.
        Set {
            resources: vec![app.resource_id("raadzaal").await],
            periods: vec![
                l("13:00", "14:15"),
                l("14:00", "15:00"),
                l("13:30", "14:30"),
                l("14:00", "14:15"),
                l("12:00", "16:00"),
            ],
        },
        // The whole hall against each of its parts, all at 19:00–20:00.
        Set {
            resources: vec![
                app.resource_id("sporthal-de-vijver").await,
                app.resource_id("sporthal-de-vijver-zone-a").await,
            ],
            periods: vec![l("19:00", "20:00"), l("19:30", "20:30")],
        },
        // Buffers: the party hall's 60-minute clean-up makes 17:00 clash with a booking to 16:30.
        Set {
            resources: vec![app.resource_id("feestzaal-het-anker").await],
            periods: vec![l("14:00", "16:30"), l("17:00", "19:00"), l("15:00", "18:00")],
        },
    ]
}

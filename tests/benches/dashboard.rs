//! Latency of the managers' survey dashboard over a realistic history of answers.
//!
//! Fills `survey_answers` with 100,000 answers spread over the last two years (weekdays, a few
//! Saturdays, quieter in July and August), 14 appointment services plus calls without an
//! appointment, 20 agents (staff rows made through the store; each service is handled by four of
//! them), both channels (¾ video), scores skewed towards 4 and 5 and lower after a bad call, ≈ 20 %
//! with a comment, round-trip time and loss mostly good; and `survey_invited` with the invitations
//! behind them (a response rate of ≈ 30–50 %). Rows go in with multi-row INSERTs over a direct
//! connection to the test database, in the order they would have arrived (ids follow the days).
//! PostgreSQL then gets the `VACUUM ANALYZE` autovacuum would soon run; SQLite gets no `ANALYZE`
//! (balie never runs one).
//!
//! Then, signed in as the demo manager, it requests each of a handful of realistic filter
//! combinations N times one after the other over HTTP (the real router, real JSON):
//! `GET /api/v1/dashboard/tevredenheid` (the default 90 days, a whole year, the whole two years,
//! one service, one agent, one channel), `GET /api/v1/dashboard/opmerkingen` (90 days, and a year
//! with a text filter) and `GET /api/v1/dashboard/antwoorden.csv` (90 days). The first response of
//! each is checked against the rows inserted (answers and invitations counted, averages, every
//! breakdown adding up, agents with fewer than five answers hidden, the comments and the CSV rows).
//!
//! Goal (issue 7): client-side p99 ≤ 200 ms for the figures and the comments on both backends.
//! The CSV export is reported but only has to complete.
//!
//! `cargo bench -p balie-tests --bench dashboard` (add `-- postgres` or `-- sqlite` for one).
//! `BALIE_BENCH_ANSWERS` (default 100,000) and `BALIE_BENCH_REQUESTS` (default 200) change the
//! load; `BALIE_BENCH_EXPLAIN=1` also prints the database's plans of the dashboard's queries, and
//! `BALIE_BENCH_DUMP=/tmp/fill` writes the fill as SQL (`/tmp/fill.sqlite.sql`, `….postgres.sql`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::Instant;

use balie_tests::{Backend, TestApp};
use common::*;
use jiff::civil::{Date, Time};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sqlx::{Connection, Executor, Row};

const GOAL_P99_MS: f64 = 200.0;
/// Days of history, ending today.
const HISTORY_DAYS: i64 = 730;
/// Rows per INSERT statement.
const BATCH: usize = 1000;

struct Params {
    answers: usize,
    requests: usize,
    warmup: usize,
}

impl Params {
    fn get() -> Params {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
        if full() {
            Params {
                answers: env("BALIE_BENCH_ANSWERS").unwrap_or(100_000),
                requests: env("BALIE_BENCH_REQUESTS").unwrap_or(200),
                warmup: 3,
            }
        } else {
            Params { answers: 5_000, requests: 5, warmup: 1 }
        }
    }
}

/// The services as the dashboard names them (`web/src/surveys.rs`: the appointment service's
/// Dutch name, or "Gesprek zonder afspraak" for a call without one), with their relative volume.
const SERVICES: &[(&str, u32)] = &[
    ("Identiteitskaart aanvragen", 22),
    ("Rijbewijs", 14),
    ("Reispas", 10),
    ("Adreswijziging", 12),
    ("Omgevingsvergunning (bouwen, verbouwen)", 6),
    ("Huwelijk en wettelijk samenwonen", 4),
    ("Geboorteaangifte", 3),
    ("Afval en recyclagepark", 7),
    ("Sociale dienst (OCMW)", 5),
    ("Belastingen en retributies", 4),
    ("Bewonerskaart parkeren", 5),
    ("Evenementen, \"Zomer in het park\"", 2),
    ("Kinderopvang en onthaal", 3),
    ("Vreemdelingenzaken", 2),
    ("Gesprek zonder afspraak", 1),
];
const WITHOUT_APPOINTMENT: usize = 14;

const AGENTS: &[&str] = &[
    "Sofie Claes",
    "Tom Wouters",
    "Lies Maes",
    "Pieter Jacobs",
    "Nathalie Mertens",
    "Koen Willems",
    "Ann Goossens",
    "Bart Peeters",
    "Katrien Dubois",
    "Wim Janssens",
    "Eline Hermans",
    "Jonas Lambrechts",
    "Inge Aerts",
    "Dries Vermeulen",
    "Hanne De Backer",
    "Stijn Michiels",
    "Marie Lemmens",
    "Youssef El Amrani",
    "Griet Van Damme",
    "Lukas Smets",
];

/// The four agents who handle service `s`.
fn agents_of(s: usize) -> [usize; 4] {
    [(s * 3) % 20, (s * 3 + 1) % 20, (s * 3 + 2) % 20, (s * 3 + 3) % 20]
}

const PRAISE: &[&str] = &[
    "Heel vlot geholpen, bedankt!",
    "Vriendelijke medewerker, alles was snel geregeld.",
    "Super dat dit van thuis uit kan.",
    "Duidelijke uitleg, ik weet nu wat ik moet meebrengen.",
    "Top service, geen wachttijd.",
    "Makkelijker dan naar het gemeentehuis gaan",
    "Goed, al was het beeld soms wat wazig.",
    "Very helpful, thank you.",
    "Service rapide et aimable, merci.",
];
const COMPLAINTS: &[&str] = &[
    "Lange wachttijd in de wachtkamer voor het gesprek begon.",
    "Het geluid viel voortdurend weg, ik moest alles herhalen.",
    "Wachttijd van een kwartier, en dan nog een tweede afspraak nodig.",
    "Beeld bevroor, verbinding slecht.",
    "Niet alle documenten konden online, toch nog naar het loket.",
    "De medewerker wist het antwoord niet; ik word \"teruggebeld\".",
    "= eerst had ik geen link gekregen",
    "The connection dropped twice.",
    "Impossible d'entendre l'agent, trop de coupures.",
];

/// One generated answer, as inserted.
struct Answer {
    day: Date,
    service: usize,
    agent: Option<usize>,
    hybrid: bool,
    overall: i64,
    ease: Option<i64>,
    quality: Option<i64>,
    again: Option<&'static str>,
    comment: Option<String>,
    language: &'static str,
    rtt_ms: Option<i64>,
    loss_permille: Option<i64>,
    created_at: i64,
}

impl Answer {
    fn grade(&self) -> &'static str {
        match (self.rtt_ms, self.loss_permille) {
            (None, None) => "unknown",
            (r, l) if r.unwrap_or(0) <= 150 && l.unwrap_or(0) <= 10 => "good",
            (r, l) if r.unwrap_or(0) <= 400 && l.unwrap_or(0) <= 50 => "fair",
            _ => "poor",
        }
    }
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut x = rng.gen_range(0..total);
    for &(v, w) in items {
        if x < w {
            return v;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

fn generate(n: usize, today: Date, seed: u64) -> Vec<Answer> {
    let mut rng = StdRng::seed_from_u64(seed);
    let services: Vec<(usize, u32)> = SERVICES.iter().enumerate().map(|(i, s)| (i, s.1)).collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let day = plus_days(today, -rng.gen_range(0..HISTORY_DAYS));
        let weekday = day.weekday().to_monday_one_offset();
        let keep = match (weekday, day.month()) {
            (7, _) => 0.0,
            (6, _) => 0.1,
            (_, 7 | 8) => 0.6,
            _ => 1.0,
        };
        if !rng.gen_bool(keep) {
            continue;
        }
        let service = weighted(&mut rng, &services);
        let agent = (service != WITHOUT_APPOINTMENT).then(|| agents_of(service)[rng.gen_range(0..4)]);
        let hybrid = agent.is_some() && rng.gen_bool(0.25);
        let (rtt_ms, loss_permille) = if rng.gen_bool(0.04) {
            (None, None)
        } else {
            let rtt = weighted(&mut rng, &[(0u8, 85), (1, 10), (2, 5)]);
            let loss = weighted(&mut rng, &[(0u8, 85), (1, 10), (2, 5)]);
            let rtt = match rtt {
                0 => rng.gen_range(15..=120),
                1 => rng.gen_range(150..=350),
                _ => rng.gen_range(400..=900),
            };
            let loss = match loss {
                0 => rng.gen_range(0..=8),
                1 => rng.gen_range(10..=40),
                _ => rng.gen_range(50..=150),
            };
            (Some(rtt), Some(loss))
        };
        let poor = rtt_ms.unwrap_or(0) > 400 || loss_permille.unwrap_or(0) > 50;
        let scores: &[(i64, u32)] = if poor {
            &[(1, 18), (2, 20), (3, 27), (4, 22), (5, 13)]
        } else {
            &[(1, 5), (2, 6), (3, 12), (4, 32), (5, 45)]
        };
        let overall = weighted(&mut rng, scores);
        let near = |rng: &mut StdRng| (overall + rng.gen_range(-1..=1)).clamp(1, 5);
        let ease = rng.gen_bool(0.85).then(|| near(&mut rng));
        let quality = rng.gen_bool(0.8).then(|| if poor { rng.gen_range(1..=3) } else { near(&mut rng) });
        let again = rng.gen_bool(0.85).then(|| {
            let w: &[(&str, u32)] = match overall {
                4 | 5 => &[("yes", 80), ("maybe", 15), ("no", 5)],
                3 => &[("yes", 30), ("maybe", 50), ("no", 20)],
                _ => &[("yes", 5), ("maybe", 25), ("no", 70)],
            };
            weighted(&mut rng, w)
        });
        let comment = rng.gen_bool(if overall <= 3 { 0.3 } else { 0.17 }).then(|| {
            let list = if overall <= 3 { COMPLAINTS } else { PRAISE };
            let base = list[rng.gen_range(0..list.len())];
            // Comments differ a little, as real ones do.
            match rng.gen_range(0..4) {
                0 => base.to_string(),
                1 => format!("{base} {}", ["Dank u.", "Mvg", ":)", "Groetjes, Lien"][rng.gen_range(0..4)]),
                2 => base.to_lowercase(),
                _ => format!("{base}\nNog een opmerking: de uitnodiging kwam pas laat aan, maar verder in orde."),
            }
        });
        let language = weighted(&mut rng, &[("nl", 82), ("fr", 9), ("en", 9)]);
        let time = Time::new(rng.gen_range(8..=18), rng.gen_range(0..60), rng.gen_range(0..60), 0).expect("time");
        let created_at = balie_booking::time::instant(day, time).as_second() + rng.gen_range(600..86_400);
        out.push(Answer {
            day,
            service,
            agent,
            hybrid,
            overall,
            ease,
            quality,
            again,
            comment,
            language,
            rtt_ms,
            loss_permille,
            created_at,
        });
    }
    // Answers arrive in time: ids follow the days, as in production ("newest first" is by id).
    out.sort_by_key(|a| (a.day, a.created_at));
    out
}

/// `survey_invited`: per day, service, agent (0: none) and channel, how many were asked.
fn invitations(answers: &[Answer], seed: u64) -> BTreeMap<(Date, usize, Option<usize>, bool), i64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut groups: BTreeMap<(Date, usize, Option<usize>, bool), i64> = BTreeMap::new();
    for a in answers {
        *groups.entry((a.day, a.service, a.agent, a.hybrid)).or_default() += 1;
    }
    for n in groups.values_mut() {
        *n += (*n as f64 * rng.gen_range(1.0..2.3)).round() as i64;
    }
    groups
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn sql_opt(v: Option<i64>) -> String {
    v.map_or("NULL".into(), |v| v.to_string())
}

/// Inserts the answers and invitations with multi-row INSERTs over one direct connection.
async fn fill(
    app: &TestApp,
    answers: &[Answer],
    invited: &BTreeMap<(Date, usize, Option<usize>, bool), i64>,
    agent_ids: &[i64],
) {
    let answer_rows: Vec<String> = answers
        .iter()
        .map(|a| {
            format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                sql_text(SERVICES[a.service].0),
                a.agent.map_or("NULL".into(), |i| agent_ids[i].to_string()),
                sql_text(if a.hybrid { "hybrid" } else { "video" }),
                sql_text(&a.day.to_string()),
                a.overall,
                sql_opt(a.ease),
                sql_opt(a.quality),
                a.again.map_or("NULL".into(), sql_text),
                a.comment.as_deref().map_or("NULL".into(), sql_text),
                sql_text(a.language),
                sql_opt(a.rtt_ms),
                sql_opt(a.loss_permille),
                a.created_at,
                a.comment.as_deref().map_or("NULL".into(), |c| sql_text(&c.to_lowercase())),
            )
        })
        .collect();
    let invited_rows: Vec<String> = invited
        .iter()
        .map(|(&(day, service, agent, hybrid), n)| {
            format!(
                "({}, {}, {}, {}, {n})",
                sql_text(&day.to_string()),
                sql_text(SERVICES[service].0),
                agent.map_or(0, |i| agent_ids[i]),
                sql_text(if hybrid { "hybrid" } else { "video" }),
            )
        })
        .collect();
    let mut statements = vec!["BEGIN".to_string()];
    for chunk in answer_rows.chunks(BATCH) {
        statements.push(format!(
            "INSERT INTO survey_answers (service, agent_id, channel, day, overall, ease, quality, again, comment, \
             language, rtt_ms, loss_permille, created_at, comment_folded) VALUES {}",
            chunk.join(", ")
        ));
    }
    for chunk in invited_rows.chunks(BATCH) {
        statements.push(format!(
            "INSERT INTO survey_invited (day, service, agent_id, channel, invited) VALUES {}",
            chunk.join(", ")
        ));
    }
    statements.push("COMMIT".into());
    if let Ok(path) = std::env::var("BALIE_BENCH_DUMP") {
        // The same rows as SQL, to load into a scratch database for EXPLAIN and experiments.
        let path = format!("{path}.{}.sql", if app.backend == Backend::Sqlite { "sqlite" } else { "postgres" });
        std::fs::write(&path, statements.join(";\n") + ";\n").expect("write the dump");
        println!("[{}] the fill is in {path}", backend_name(app.backend));
    }
    match app.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(app.database_url()).await.expect("connect to SQLite");
            for s in &statements {
                conn.execute(s.as_str()).await.expect("fill survey tables");
            }
            conn.close().await.expect("close");
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(app.database_url()).await.expect("connect to PostgreSQL");
            for s in &statements {
                conn.execute(s.as_str()).await.expect("fill survey tables");
            }
            // What autovacuum would do shortly after such a load anyway; done now so that it does
            // not run in the middle of the measurement.
            conn.execute("VACUUM ANALYZE survey_answers, survey_invited").await.expect("vacuum");
            conn.close().await.expect("close");
        }
    }
}

/// One filter combination, as the benchmark requests and checks it.
#[derive(Clone, Default)]
struct Filter {
    /// `None`: the endpoint's default (the last 90 days).
    van: Option<Date>,
    tot: Option<Date>,
    service: Option<usize>,
    agent: Option<usize>,
    hybrid: Option<bool>,
    q: Option<&'static str>,
}

impl Filter {
    fn range(&self, today: Date) -> (Date, Date) {
        let to = self.tot.unwrap_or(today);
        (self.van.unwrap_or_else(|| plus_days(to, -90)), to)
    }

    fn query(&self, agent_ids: &[i64]) -> String {
        let mut q = Vec::new();
        if let Some(d) = self.van {
            q.push(format!("van={d}"));
        }
        if let Some(d) = self.tot {
            q.push(format!("tot={d}"));
        }
        if let Some(s) = self.service {
            q.push(format!("dienst={}", percent(SERVICES[s].0)));
        }
        if let Some(a) = self.agent {
            q.push(format!("medewerker={}", agent_ids[a]));
        }
        if let Some(h) = self.hybrid {
            q.push(format!("kanaal={}", if h { "hybrid" } else { "video" }));
        }
        if let Some(text) = self.q {
            q.push(format!("q={}", percent(text)));
        }
        if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        }
    }

    /// Without service, agent and channel: what the dashboard lists in its filters.
    fn dates_only(&self) -> Filter {
        Filter { van: self.van, tot: self.tot, ..Default::default() }
    }

    fn keeps(&self, today: Date, day: Date, service: usize, agent: Option<usize>, hybrid: bool) -> bool {
        let (from, to) = self.range(today);
        from <= day
            && day <= to
            && self.service.is_none_or(|s| s == service)
            && self.agent.is_none_or(|a| agent == Some(a))
            && self.hybrid.is_none_or(|h| h == hybrid)
    }

    fn matching<'a>(&self, today: Date, answers: &'a [Answer]) -> Vec<&'a Answer> {
        answers.iter().filter(|a| self.keeps(today, a.day, a.service, a.agent, a.hybrid)).collect()
    }
}

fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Figures,
    Comments,
    Csv,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Figures => "/api/v1/dashboard/tevredenheid",
            Endpoint::Comments => "/api/v1/dashboard/opmerkingen",
            Endpoint::Csv => "/api/v1/dashboard/antwoorden.csv",
        }
    }
    fn has_goal(self) -> bool {
        self != Endpoint::Csv
    }
}

struct Case {
    label: &'static str,
    endpoint: Endpoint,
    filter: Filter,
}

fn cases(today: Date) -> Vec<Case> {
    let year = Filter { van: Some(plus_days(today, -365)), tot: Some(today), ..Default::default() };
    let all = Filter { van: Some(plus_days(today, -(HISTORY_DAYS - 1))), tot: Some(today), ..Default::default() };
    vec![
        Case { label: "tevredenheid, last 90 days (default)", endpoint: Endpoint::Figures, filter: Filter::default() },
        Case { label: "tevredenheid, last year", endpoint: Endpoint::Figures, filter: year.clone() },
        Case { label: "tevredenheid, whole history (2 years)", endpoint: Endpoint::Figures, filter: all },
        Case {
            label: "tevredenheid, one service, last year",
            endpoint: Endpoint::Figures,
            filter: Filter { service: Some(0), ..year.clone() },
        },
        Case {
            label: "tevredenheid, one agent, last year",
            endpoint: Endpoint::Figures,
            filter: Filter { agent: Some(1), ..year.clone() },
        },
        Case {
            label: "tevredenheid, hybrid only, 90 days",
            endpoint: Endpoint::Figures,
            filter: Filter { hybrid: Some(true), ..Default::default() },
        },
        Case { label: "opmerkingen, last 90 days", endpoint: Endpoint::Comments, filter: Filter::default() },
        Case {
            label: "opmerkingen, last year, q=wachttijd",
            endpoint: Endpoint::Comments,
            filter: Filter { q: Some("wachttijd"), ..year },
        },
        Case { label: "antwoorden.csv, last 90 days", endpoint: Endpoint::Csv, filter: Filter::default() },
    ]
}

/// Checks a response against the rows inserted; returns what it shows, for the table.
fn check(
    case: &Case,
    body: &[u8],
    today: Date,
    answers: &[Answer],
    invited: &BTreeMap<(Date, usize, Option<usize>, bool), i64>,
    agent_ids: &[i64],
) -> Result<String, String> {
    let f = &case.filter;
    let mut problems = Vec::new();
    let mut expect = |what: &str, got: String, want: String| {
        if got != want {
            problems.push(format!("{what}: got {got}, expected {want}"));
        }
    };
    let summary = match case.endpoint {
        Endpoint::Figures => {
            let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
            let rows = f.matching(today, answers);
            let n = rows.len() as i64;
            let sum: i64 = rows.iter().map(|a| a.overall).sum();
            let inv: i64 = invited.iter().filter(|(k, _)| f.keeps(today, k.0, k.1, k.2, k.3)).map(|(_, n)| n).sum();
            expect("answered", v["answered"].to_string(), n.to_string());
            expect("invited", v["invited"].to_string(), inv.to_string());
            if n > 0 {
                let avg = v["average"].as_f64().unwrap_or(f64::NAN);
                if (avg - sum as f64 / n as f64).abs() > 1e-9 {
                    expect("average", avg.to_string(), (sum as f64 / n as f64).to_string());
                }
            }
            for list in ["by_week", "by_service", "by_channel", "by_quality", "again"] {
                let total: i64 = v[list].as_array().into_iter().flatten().map(|b| b["n"].as_i64().unwrap_or(0)).sum();
                expect(&format!("sum of {list}"), total.to_string(), n.to_string());
            }
            let mut grades: BTreeMap<&str, i64> = BTreeMap::new();
            let mut per_agent: BTreeMap<i64, i64> = BTreeMap::new();
            for a in &rows {
                *grades.entry(a.grade()).or_default() += 1;
                if let Some(i) = a.agent {
                    *per_agent.entry(agent_ids[i]).or_default() += 1;
                }
            }
            let got_grades: BTreeMap<String, i64> = v["by_quality"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| (b["key"].as_str().unwrap_or("").to_string(), b["n"].as_i64().unwrap_or(0)))
                .collect();
            let want_grades: BTreeMap<String, i64> = grades.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            expect("by_quality", format!("{got_grades:?}"), format!("{want_grades:?}"));
            let got_agents: BTreeMap<i64, i64> = v["by_agent"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| (b["key"].as_str().and_then(|k| k.parse().ok()).unwrap_or(-1), b["n"].as_i64().unwrap_or(0)))
                .collect();
            let want_agents: BTreeMap<i64, i64> = per_agent.into_iter().filter(|&(_, n)| n >= 5).collect();
            expect("by_agent", format!("{got_agents:?}"), format!("{want_agents:?}"));
            let unnamed =
                v["by_agent"].as_array().into_iter().flatten().filter(|b| b["label"].as_str().unwrap_or("").is_empty());
            expect("agents without a name", unnamed.count().to_string(), "0".into());
            let in_range = f.dates_only().matching(today, answers);
            let services: BTreeSet<&str> = in_range.iter().map(|a| SERVICES[a.service].0).collect();
            let got_services: BTreeSet<&str> =
                v["services"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            expect("services", format!("{got_services:?}"), format!("{services:?}"));
            let agents: BTreeSet<i64> = in_range.iter().filter_map(|a| a.agent.map(|i| agent_ids[i])).collect();
            let got: BTreeSet<i64> =
                v["agents"].as_array().into_iter().flatten().filter_map(|a| a["id"].as_i64()).collect();
            expect("agents", format!("{got:?}"), format!("{agents:?}"));
            format!("{n} answers, {inv} invited, {} weeks", v["by_week"].as_array().map_or(0, Vec::len))
        }
        Endpoint::Comments => {
            let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
            let got = v.as_array().cloned().unwrap_or_default();
            // What the store returns: the newest 2,000 comments under the filter; the route then
            // applies `q` to those and keeps 200.
            let with_comment: Vec<&Answer> =
                f.matching(today, answers).into_iter().filter(|a| a.comment.is_some()).rev().collect();
            let contains = |a: &Answer| {
                f.q.is_none_or(|q| a.comment.as_deref().unwrap_or("").to_lowercase().contains(&q.to_lowercase()))
            };
            let want: Vec<&Answer> =
                with_comment.iter().take(2000).filter(|a| contains(a)).take(200).copied().collect();
            let all_matching = with_comment.iter().filter(|a| contains(a)).count();
            expect("comments", got.len().to_string(), want.len().to_string());
            let got_texts: Vec<&str> = got.iter().map(|r| r["comment"].as_str().unwrap_or("")).collect();
            let want_texts: Vec<&str> = want.iter().map(|a| a.comment.as_deref().unwrap_or("")).collect();
            if got_texts != want_texts {
                problems.push("the comments are not the newest ones matching, newest first".into());
            }
            format!("{} comments shown ({all_matching} match in the period)", got.len())
        }
        Endpoint::Csv => {
            let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
            let want = f.matching(today, answers).len().min(100_000);
            // Records, not lines: some comments hold a line break inside quotes.
            let records = text.split("\r\n").filter(|l| !l.is_empty()).count();
            expect("CSV records", records.to_string(), (want + 1).to_string());
            expect(
                "CSV header",
                text.lines().next().unwrap_or("").to_string(),
                "day,service,channel,overall,ease,quality,again,comment,rtt_ms,loss_permille".into(),
            );
            format!("{want} rows")
        }
    };
    if problems.is_empty() {
        Ok(summary)
    } else {
        Err(problems.join("; "))
    }
}

/// Prints the plans the database chooses for the dashboard's queries (`BALIE_BENCH_EXPLAIN=1`).
async fn explain(app: &TestApp, today: Date, agent_ids: &[i64]) {
    let from = plus_days(today, -90).to_string();
    let year = plus_days(today, -365).to_string();
    let to = today.to_string();
    let filter = "($1 IS NULL OR day >= $1) AND ($2 IS NULL OR day <= $2) AND ($3 IS NULL OR service = $3) \
                  AND ($4 IS NULL OR agent_id = $4) AND ($5 IS NULL OR channel = $5)";
    let groups = format!(
        "SELECT day, service, agent_id, channel, again, \
           CASE WHEN rtt_ms IS NULL AND loss_permille IS NULL THEN 'unknown' \
                WHEN COALESCE(rtt_ms, 0) <= 150 AND COALESCE(loss_permille, 0) <= 10 THEN 'good' \
                WHEN COALESCE(rtt_ms, 0) <= 400 AND COALESCE(loss_permille, 0) <= 50 THEN 'fair' \
                ELSE 'poor' END AS grade, \
           COUNT(*) AS n, CAST(SUM(overall) AS BIGINT) AS total \
         FROM survey_answers WHERE {filter} GROUP BY day, service, agent_id, channel, again, grade"
    );
    let comments = format!(
        "SELECT day, service, channel, overall, ease, quality, again, comment, rtt_ms, loss_permille \
         FROM survey_answers WHERE {filter} AND comment IS NOT NULL ORDER BY id DESC LIMIT 2000"
    );
    let agent = agent_ids[1].to_string();
    let service = SERVICES[0].0.to_string();
    let null = None::<String>;
    let cases: Vec<(&str, &str, [Option<String>; 5])> = vec![
        (
            "answer_groups, 90 days",
            &groups,
            [Some(from.clone()), Some(to.clone()), null.clone(), null.clone(), null.clone()],
        ),
        (
            "answer_groups, a year",
            &groups,
            [Some(year.clone()), Some(to.clone()), null.clone(), null.clone(), null.clone()],
        ),
        (
            "answer_groups, a year, one agent",
            &groups,
            [Some(year.clone()), Some(to.clone()), null.clone(), Some(agent), null.clone()],
        ),
        (
            "answer_groups, a year, one service",
            &groups,
            [Some(year.clone()), Some(to.clone()), Some(service), null.clone(), null.clone()],
        ),
        ("answers(comments), a year", &comments, [Some(year), Some(to), null.clone(), null.clone(), null]),
    ];
    match app.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(app.database_url()).await.expect("connect");
            for (label, sql, _) in &cases {
                let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(&mut conn).await.expect("plan");
                println!("[SQLite] plan of {label}:");
                for r in rows {
                    println!("    {}", r.get::<String, _>(3));
                }
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(app.database_url()).await.expect("connect");
            for (label, sql, args) in &cases {
                // A prepared statement with the same parameters as the store's, executed like the
                // store executes it (after five runs PostgreSQL may switch to a generic plan).
                let typed = sql
                    .replace("$1", "$1::text")
                    .replace("$2", "$2::text")
                    .replace("$3", "$3::text")
                    .replace("$4", "$4::bigint")
                    .replace("$5", "$5::text");
                let sql = format!("EXPLAIN (ANALYZE, BUFFERS) {typed}");
                let mut q = sqlx::query(&sql);
                for (i, a) in args.iter().enumerate() {
                    q = if i == 3 {
                        q.bind(a.as_deref().map(|s| s.parse::<i64>().expect("id")))
                    } else {
                        q.bind(a.clone())
                    };
                }
                let rows = q.fetch_all(&mut conn).await.expect("plan");
                println!("[PostgreSQL] plan of {label}:");
                for r in rows {
                    println!("    {}", r.get::<String, _>(0));
                }
            }
        }
    }
}

#[derive(Default)]
struct Measured {
    errors: usize,
    server: Samples,
    client: Samples,
    bytes: usize,
}

async fn run(backend: Backend, p: &Params, rows: &mut Vec<Vec<String>>) -> bool {
    let name = backend_name(backend);
    let app = spawn(backend).await;
    let today = today();
    let now = jiff::Timestamp::now();
    let mut agent_ids = Vec::new();
    for (i, agent) in AGENTS.iter().enumerate() {
        let email = format!("agent{i:02}@lindeveld.example");
        // Never signs in: any string will do as the password hash.
        agent_ids.push(app.store().create_staff(&email, agent, "-", &["agent"], now).await.expect("staff"));
    }
    let t = Instant::now();
    let answers = generate(p.answers, today, 7);
    let invited = invitations(&answers, 8);
    fill(&app, &answers, &invited, &agent_ids).await;
    // Loaded behind the store's back: build the daily marginals the dashboard reads, as an import
    // would (answering through the store keeps them in step).
    app.store().rebuild_survey_marginals().await.expect("the daily marginals");
    let comments = answers.iter().filter(|a| a.comment.is_some()).count();
    println!(
        "[{name}] {} answers ({comments} with a comment, {} … {}) and {} survey_invited rows ({} invited) loaded in {:.1} s",
        answers.len(),
        answers.first().map(|a| a.day.to_string()).unwrap_or_default(),
        answers.last().map(|a| a.day.to_string()).unwrap_or_default(),
        invited.len(),
        invited.values().sum::<i64>(),
        t.elapsed().as_secs_f64()
    );
    if std::env::var("BALIE_BENCH_EXPLAIN").is_ok_and(|v| v == "1") {
        explain(&app, today, &agent_ids).await;
    }

    let manager = app.login_as("manager").await;
    let cookie = manager.cookie.clone();
    let mut ok = true;
    let mut goal = (Samples::default(), Samples::default());
    for case in cases(today) {
        let path = format!("{}{}", case.endpoint.path(), case.filter.query(&agent_ids));
        let mut m = Measured::default();
        let mut summary = String::new();
        for i in 0..p.warmup + p.requests {
            let h = hit(&app, reqwest::Method::GET, &path, Some(&cookie), None).await;
            if h.status != 200 {
                if m.errors < 3 {
                    eprintln!("[{name}] GET {path}: {} {}", h.status, String::from_utf8_lossy(&h.body));
                }
                m.errors += 1;
                continue;
            }
            if i == 0 {
                match check(&case, &h.body, today, &answers, &invited, &agent_ids) {
                    Ok(s) => summary = s,
                    Err(e) => {
                        eprintln!("[{name}] {}: WRONG: {e}", case.label);
                        summary = "WRONG".into();
                        ok = false;
                    }
                }
            }
            if i >= p.warmup {
                m.client.push(h.client_ms);
                m.server.push(h.server_ms.unwrap_or(f64::NAN));
                m.bytes = h.body.len();
            }
        }
        ok &= m.errors == 0;
        let met = m.client.pct(99.0) <= GOAL_P99_MS;
        if case.endpoint.has_goal() {
            goal.0.extend(m.server.clone());
            goal.1.extend(m.client.clone());
            ok &= !full() || met;
        }
        println!(
            "[{name}] {}: {summary}; client p50 {} p99 {} ms",
            case.label,
            ms(m.client.pct(50.0)),
            ms(m.client.pct(99.0))
        );
        let verdict = match (case.endpoint.has_goal(), full()) {
            (false, _) | (_, false) => "-".into(),
            (true, true) => (if met { "met" } else { "MISSED" }).to_string(),
        };
        rows.push(row(name, case.label, &summary, &m, verdict));
    }
    let all = Measured { errors: 0, server: goal.0, client: goal.1, bytes: 0 };
    let met = all.client.pct(99.0) <= GOAL_P99_MS;
    let verdict = if full() { (if met { "met" } else { "MISSED" }).to_string() } else { "-".into() };
    rows.push(row(name, "all figures and comments", "-", &all, verdict));
    app.stop().await;
    ok
}

fn row(backend: &str, label: &str, summary: &str, m: &Measured, verdict: String) -> Vec<String> {
    vec![
        backend.into(),
        label.into(),
        summary.into(),
        m.client.len().to_string(),
        m.errors.to_string(),
        if m.bytes > 0 { format!("{:.0}", m.bytes as f64 / 1024.0) } else { "-".into() },
        ms(m.server.pct(50.0)),
        ms(m.server.pct(99.0)),
        ms(m.client.pct(50.0)),
        ms(m.client.pct(95.0)),
        ms(m.client.pct(99.0)),
        ms(m.client.max()),
        verdict,
    ]
}

fn main() -> ExitCode {
    mode_banner("dashboard");
    let p = Params::get();
    let rt = runtime();
    let mut rows = Vec::new();
    let mut ok = true;
    for backend in backends() {
        ok &= rt.block_on(run(backend, &p, &mut rows));
    }
    print_table(
        &format!(
            "Survey dashboard: {} answers over {HISTORY_DAYS} days, {} sequential requests per query, goal client p99 ≤ {GOAL_P99_MS} ms (times in ms)",
            p.answers, p.requests
        ),
        &[
            "backend",
            "query",
            "result",
            "requests",
            "errors",
            "KiB",
            "server p50",
            "server p99",
            "client p50",
            "p95",
            "p99",
            "max",
            "p99 goal",
        ],
        &rows,
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("FAILED: wrong answers, errors, or a missed p99 goal (see above)");
        ExitCode::FAILURE
    }
}

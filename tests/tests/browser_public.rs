//! The public pages in headless Chromium.
//!
//! - tests/e2e/pages.mjs: every page in Dutch and English loads without errors, shows translated
//!   texts, and passes axe-core's WCAG 2.1 A/AA rules, also in its interesting states.
//! - tests/e2e/public.mjs: a citizen books an appointment by keyboard, sees the errors of an empty
//!   form and a moment taken meanwhile, filters rooms and reads a court's calendar; this file
//!   checks the server's side of each.

use balie_tests::browser::{self, run_script};
use balie_tests::{local, reservation, weekday_ahead};
use serde_json::{json, Value};

#[test]
fn every_public_page_is_translated_and_accessible() {
    browser::run(|| async {
        let app = browser::spawn_app(|_| {}).await;
        let summary = run_script("pages.mjs", &json!({ "base": app.base }).to_string()).await.summary("pages.mjs");
        assert_eq!(summary["ok"], true);
        assert_eq!(summary["pages"]["index-nl"]["h1"], "Digitale balie");
        assert_eq!(summary["pages"]["index-en"]["h1"], "Digital counter");
        for state in ["afspraak-maken", "afspraak-maken-moments", "afspraak-maken-errors"] {
            assert_eq!(summary["pages"][format!("{state}-nl")]["h1"], "Een afspraak maken");
            assert_eq!(summary["pages"][format!("{state}-en")]["h1"], "Make an appointment");
        }
        for state in ["zalen", "zalen-calendar"] {
            assert_eq!(summary["pages"][format!("{state}-nl")]["h1"], "Zalen en sportvelden");
            assert_eq!(summary["pages"][format!("{state}-en")]["h1"], "Rooms and sports courts");
        }
        app.stop().await;
    });
}

fn ids(page: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> =
        page["items"].as_array().expect("a page of resources").iter().map(|r| r["id"].as_i64().expect("id")).collect();
    ids.sort_unstable();
    ids
}

fn instant(v: &Value) -> jiff::Timestamp {
    v.as_str().expect("an instant").parse().expect("RFC 3339")
}

#[test]
fn a_citizen_books_by_keyboard_sees_errors_and_reads_a_court_calendar() {
    browser::run(|| async {
        let app = browser::spawn_app(|_| {}).await;
        let agent = app.login_as("agent").await;

        // A reservation on zone A of the sports hall, 10:00–12:00 on a weekday ten days ahead; the
        // calendar must show that day as partly busy with those hours.
        let court = app.resource_id("sporthal-de-vijver-zone-a").await;
        let day = weekday_ahead(10);
        let r =
            agent.post("/api/v1/reservaties", &reservation(court, &local(&day, "10:00"), &local(&day, "12:00"))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let next_day = {
            let d: jiff::civil::Date = day.parse().expect("date");
            d.tomorrow().expect("in range").to_string()
        };
        let all = app.get("/api/v1/infrastructuur?per_page=100").await.body;
        let filtered =
            app.get("/api/v1/infrastructuur?per_page=100&wheelchair_accessible=true&min_capacity=50").await.body;
        let expected = ids(&filtered);
        assert!(expected.contains(&court) && expected.len() < ids(&all).len(), "the filter narrows: {expected:?}");
        let input = json!({
            "base": app.base,
            "rooms": {
                "all_total": all["total"],
                "min_capacity": 50,
                "filtered_ids": expected,
                "reserved": { "id": court, "date": day, "month": &day[..7] },
                "free_date": next_day,
            },
        });
        let summary = run_script("public.mjs", &input.to_string()).await.summary("public.mjs");
        assert_eq!(summary["ok"], true);

        // (a) The appointment booked by keyboard is on the agents' agenda, with the details typed.
        let booked = &summary["booked"];
        let start = instant(&booked["start"]);
        let agenda =
            agent.get(&format!("/api/v1/afspraken?van={}&dagen=1", &booked["start"].as_str().unwrap()[..10])).await;
        assert_eq!(agenda.status, 200, "{}", agenda.body);
        let mine: Vec<&Value> = agenda
            .body
            .as_array()
            .expect("the agenda")
            .iter()
            .filter(|a| a["citizen"]["email"] == "an.vermeulen@example.org")
            .collect();
        assert_eq!(mine.len(), 1, "exactly one appointment of the citizen: {}", agenda.body);
        let a = mine[0];
        assert_eq!(a["service"], "afval-en-milieu");
        assert_eq!(a["mode"], "video");
        assert_eq!(instant(&a["period"]["start"]), start);
        assert_eq!(a["citizen"]["name"], "An Vermeulen");
        assert_eq!(a["citizen"]["language"], "en", "the e-mail language chosen in the form");
        let third: Vec<&Value> = a["third_parties"].as_array().expect("third parties").iter().collect();
        assert_eq!(third.len(), 1, "{a}");
        assert_eq!(third[0]["email"], "karel.vermeulen@example.org");
        assert!(booked["manage_url"].as_str().is_some_and(|u| u.starts_with(&format!("{}/afspraak#", app.base))));

        // (b) Empty details: the three bad fields; then the moment taken from outside gave a 409
        // in the page, and the page's own booking was not made.
        let errors = &summary["errors"];
        assert_eq!(errors["invalid"], json!(["consent", "email", "name"]));
        let taken_start = instant(&errors["start"]);
        let agenda =
            agent.get(&format!("/api/v1/afspraken?van={}&dagen=1", &errors["start"].as_str().unwrap()[..10])).await;
        let at_moment: Vec<&Value> = agenda
            .body
            .as_array()
            .expect("the agenda")
            .iter()
            .filter(|a| instant(&a["period"]["start"]) == taken_start)
            .collect();
        assert_eq!(at_moment.len() as u64, errors["taken"].as_u64().expect("taken"), "{}", agenda.body);
        assert!(at_moment.iter().all(|a| a["citizen"]["email"] != "jan.peeters@example.org"), "{}", agenda.body);

        // (c) The filter shows exactly what the API finds; the reserved day is partly busy 10–12.
        let zalen = &summary["zalen"];
        assert_eq!(zalen["all"], json!(ids(&all)));
        assert_eq!(zalen["filtered"], json!(expected));
        assert_eq!(zalen["cell"]["status"], "partial", "{}", zalen["cell"]);
        assert_eq!(zalen["cell"]["busy"], json!(["10:00–12:00"]), "{}", zalen["cell"]);
        assert!(
            zalen["cell"]["text"].as_str().unwrap().contains("Deels bezet"),
            "not by colour alone: {}",
            zalen["cell"]
        );
        assert_eq!(zalen["other"], json!({ "status": "free", "busy": 0 }));
        assert_eq!(zalen["headers"], 8, "a week column and seven weekdays");
        app.stop().await;
    });
}

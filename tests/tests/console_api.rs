//! What the staff console adds to the appointments API, on SQLite and PostgreSQL: the agent's own
//! call link, resending an invitation with a fresh link (the old one refused), and follow-up
//! notes that only staff see.

use balie_tests::{both, TestApp};
use serde_json::{json, Value};

const SERVICE: &str = "afval-en-milieu";

/// Books a `mode` appointment three days ahead as a citizen, with one third party; returns the
/// answer's body.
async fn book(app: &TestApp, service: &str, mode: &str) -> Value {
    let day = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(3)).unwrap();
    let r = app.get(&format!("/api/v1/afspraken/diensten/{service}/momenten?van={day}&dagen=7")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let start = r.body[0]["start"].as_str().unwrap();
    let body = json!({"service": service, "mode": mode, "start": start, "name": "Jan Janssens",
        "email": "jan@example.org", "language": "nl", "consent": true,
        "third_parties": [{"name": "Els Maes", "email": "els@example.org", "relation": "caregiver"}]});
    let booked = app.post("/api/v1/afspraken", &body).await;
    assert_eq!(booked.status, 201, "{}", booked.body);
    booked.body
}

fn token_of(url: &str) -> String {
    // The token is hex; in an e-mail's HTML part a quote or bracket may follow it.
    url.rsplit_once('#').expect("a link with a token").1.chars().take_while(char::is_ascii_hexdigit).collect()
}

both!(the_agent_gets_a_fresh_link_to_the_call_and_the_old_one_dies, async |app: &TestApp| {
    let id = book(app, SERVICE, "video").await["appointment"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/afspraken/{id}/gesprek");
    app.post(&path, &json!({})).await.problem(401);
    app.login_as("manager").await.post(&path, &json!({})).await.problem(403);
    let agent = app.login_as("agent").await;
    let first = agent.post(&path, &json!({})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let url = first.body["url"].as_str().unwrap();
    assert!(url.contains("/gesprek#"), "{url}");
    // Three days early the link is known but not yet open.
    assert_eq!(app.join_outcome(&token_of(url)).await, "token_not_yet_valid");
    let second = agent.post(&path, &json!({})).await;
    let again = token_of(second.body["url"].as_str().unwrap());
    assert_ne!(again, token_of(url));
    assert_eq!(app.join_outcome(&token_of(url)).await, "token_unknown", "the previous link is replaced");
    assert_eq!(app.join_outcome(&again).await, "token_not_yet_valid");
    let call = agent.get(&format!("/api/v1/afspraken/{id}")).await.body["call_id"].clone();
    let roles = agent.get(&format!("/api/v1/gesprekken/{call}")).await.body["participants"].clone();
    assert_eq!(roles.as_array().unwrap().iter().filter(|p| p["role"] == "agent").count(), 1, "{roles}");

    // A physical appointment has no call; an unknown one is not found; a cancelled one has none.
    let physical = book(app, "bouwen-en-verbouwen", "physical").await["appointment"]["id"].as_i64().unwrap();
    agent.post(&format!("/api/v1/afspraken/{physical}/gesprek"), &json!({})).await.problem(409);
    agent.post("/api/v1/afspraken/999999/gesprek", &json!({})).await.problem(404);
    assert_eq!(agent.post(&format!("/api/v1/afspraken/{id}/annuleren"), &json!({})).await.status, 200);
    agent.post(&path, &json!({})).await.problem(409);
});

both!(a_resent_invitation_carries_a_new_link_and_the_old_one_is_refused, async |app: &TestApp| {
    let booked = book(app, SERVICE, "video").await;
    let id = booked["appointment"]["id"].as_i64().unwrap();
    let party = booked["appointment"]["third_parties"][0]["id"].as_i64().unwrap();
    let old_manage = token_of(booked["manage_url"].as_str().unwrap());
    let path = format!("/api/v1/afspraken/{id}/opnieuw-sturen");
    app.post(&path, &json!({})).await.problem(401);
    let agent = app.login_as("agent").await;
    let old_join = app.wait_links_mailed_to("jan@example.org", "/gesprek#", 1).await;
    let old_party = app.wait_links_mailed_to("els@example.org", "/gesprek#", 1).await;
    let reminders = |msgs: &Value, rcpt: &str| {
        msgs.as_array().unwrap().iter().filter(|m| m["recipient"] == rcpt && m["kind"] == "reminder").count()
    };
    let pending = agent.get("/api/v1/berichten?status=pending").await.body;
    let (jan_reminders, els_reminders) =
        (reminders(&pending, "jan@example.org"), reminders(&pending, "els@example.org"));
    assert!(jan_reminders > 0, "{pending}");

    // The citizen: a new confirmation with new call and manage links; the old ones are refused.
    let r = agent.post(&path, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["recipient"], "jan@example.org");
    let joins = app.wait_links_mailed_to("jan@example.org", "/gesprek#", 2).await;
    let new_join = joins.difference(&old_join).next().unwrap_or_else(|| panic!("{joins:?} {old_join:?}")).clone();
    assert_eq!(app.join_outcome(old_join.first().unwrap()).await, "token_unknown");
    assert_eq!(app.join_outcome(&new_join).await, "token_not_yet_valid");
    app.post("/api/v1/afspraak-link", &json!({"token": old_manage})).await.problem(404);
    let manages = app.wait_links_mailed_to("jan@example.org", "/afspraak#", 2).await;
    let new_manage = manages.iter().find(|t| **t != old_manage).unwrap();
    assert_eq!(app.post("/api/v1/afspraak-link", &json!({"token": new_manage})).await.status, 200);
    // Their reminders were replaced, not doubled; the third party's are untouched.
    let pending = agent.get("/api/v1/berichten?status=pending").await.body;
    assert_eq!(reminders(&pending, "jan@example.org"), jan_reminders, "{pending}");
    assert_eq!(reminders(&pending, "els@example.org"), els_reminders, "{pending}");

    // A third party: a new invitation; their old link is refused, the citizen's new one still works.
    let r = agent.post(&path, &json!({"third_party": party})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["recipient"], "els@example.org");
    let party_links = app.wait_links_mailed_to("els@example.org", "/gesprek#", 2).await;
    let new_party = party_links.difference(&old_party).next().unwrap().clone();
    assert_eq!(app.join_outcome(old_party.first().unwrap()).await, "token_unknown");
    assert_eq!(app.join_outcome(&new_party).await, "token_not_yet_valid");
    assert_eq!(app.join_outcome(&new_join).await, "token_not_yet_valid");

    // Unknown people, unknown fields, cancelled appointments.
    agent.post(&path, &json!({"third_party": 424242})).await.problem(404);
    agent.post(&path, &json!({"who": "jan"})).await.problem(400);
    assert_eq!(agent.post(&format!("/api/v1/afspraken/{id}/annuleren"), &json!({})).await.status, 200);
    agent.post(&path, &json!({})).await.problem(409);
});

both!(follow_up_notes_are_kept_for_staff_only, async |app: &TestApp| {
    let booked = book(app, SERVICE, "video").await;
    let id = booked["appointment"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/afspraken/{id}/notities");
    assert_eq!(app.request("PUT", &path, None, Some(&json!({"text": "x"}))).await.status, 401);
    let agent = app.login_as("agent").await;
    let empty = agent.get(&path).await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(empty.body, json!({"text": "", "updated_at": null, "updated_by": null}));

    let text = "Bouwplan nakijken.\nBurger belt terug na advies — €, é, ç.";
    let saved = agent.put(&path, &json!({"text": text})).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["text"], text);
    assert_eq!(saved.body["updated_by"], "An Peeters");
    assert!(saved.body["updated_at"].as_str().is_some());
    assert_eq!(agent.get(&path).await.body["text"], text);
    let replaced = agent.put(&path, &json!({"text": "Opgevolgd."})).await;
    assert_eq!(replaced.body["text"], "Opgevolgd.");

    // 4000 characters (not bytes) are fine, 4001 are not; the field is named.
    let long = "é".repeat(4000);
    assert_eq!(agent.put(&path, &json!({"text": long})).await.status, 200);
    let too_long = agent.put(&path, &json!({"text": "é".repeat(4001)})).await;
    too_long.problem(422);
    assert_eq!(too_long.fields(), ["text"]);
    let control = agent.put(&path, &json!({"text": "a\u{0007}b"})).await;
    control.problem(422);
    agent.put(&path, &json!({"text": "x", "extra": 1})).await.problem(400);
    agent.put("/api/v1/afspraken/999999/notities", &json!({"text": "x"})).await.problem(404);
    agent.get("/api/v1/afspraken/999999/notities").await.problem(404);

    // The citizen's view of the appointment never shows them.
    let manage = token_of(booked["manage_url"].as_str().unwrap());
    let seen = app.post("/api/v1/afspraak-link", &json!({"token": manage})).await;
    assert_eq!(seen.status, 200);
    assert!(!seen.body.to_string().contains("éééé"), "{}", seen.body);
});

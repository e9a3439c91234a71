//! After the call, through the running server on SQLite and PostgreSQL: the end of a video
//! appointment's call invites its citizen and guest to the survey, the call page claims its survey
//! with its (now dead) link, answers once and anonymously, the e-mail invitation of whoever
//! answered is withdrawn, the manager's dashboard and CSV show the answer; and the retention purge
//! leaves no link hash, chat line or personal field behind.

use std::time::Duration;

use balie_tests::{both, TestApp};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CHAT_MARKER: &str = "GEHEIM-chatbericht-7731";

async fn ws(app: &TestApp, token: &str) -> Ws {
    let url = format!("{}/api/v1/signalisatie", app.base.replacen("http", "ws", 1));
    let mut ws = tokio_tungstenite::connect_async(url).await.expect("WebSocket opens").0;
    ws.send(Message::text(json!({"type": "join", "v": 1, "token": token}).to_string())).await.unwrap();
    ws
}

async fn until(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a message").expect("open");
        if let Message::Text(t) = m.expect("a frame") {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == kind {
                return v;
            }
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// Books a video appointment (citizen Jan, guest Els), holds a call with a chat line, ends it;
/// returns the citizen's and the guest's call-link tokens.
async fn a_finished_call(app: &TestApp) -> (i64, String, String) {
    let day = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(3)).unwrap();
    let r = app.get(&format!("/api/v1/afspraken/diensten/afval-en-milieu/momenten?van={day}&dagen=7")).await;
    let start = r.body[0]["start"].as_str().unwrap();
    let body = json!({"service": "afval-en-milieu", "mode": "video", "start": start, "name": "Jan Janssens",
        "email": "jan@example.org", "language": "nl", "consent": true,
        "third_parties": [{"name": "Els Maes", "email": "els@example.org", "relation": "caregiver"}]});
    let booked = app.post("/api/v1/afspraken", &body).await;
    assert_eq!(booked.status, 201, "{}", booked.body);
    let id = booked.body["appointment"]["id"].as_i64().unwrap();
    let citizen = app.wait_links_mailed_to("jan@example.org", "/gesprek#", 1).await.into_iter().next().unwrap();
    let guest = app.wait_links_mailed_to("els@example.org", "/gesprek#", 1).await.into_iter().next().unwrap();
    let agent = app.login_as("agent").await;
    let link = agent.post(&format!("/api/v1/afspraken/{id}/gesprek"), &json!({})).await;
    let agent_token = link.body["url"].as_str().unwrap().rsplit_once('#').unwrap().1.to_string();

    let mut a = ws(app, &agent_token).await;
    until(&mut a, "welcome").await;
    let mut c = ws(app, &citizen).await;
    until(&mut c, "welcome").await;
    let lobby = loop {
        let l = until(&mut a, "lobby").await;
        if l["waiting"].as_array().is_some_and(|w| !w.is_empty()) {
            break l;
        }
    };
    send(&mut a, json!({"type": "admit", "participant": lobby["waiting"][0]["id"]})).await;
    until(&mut c, "admitted").await;
    send(&mut c, json!({"type": "chat", "text": CHAT_MARKER})).await;
    until(&mut a, "chat").await;
    // The claim before the end is refused: the survey comes after the call.
    app.post("/api/v1/enquete/na-gesprek", &json!({"token": citizen})).await.problem(409);
    send(&mut a, json!({"type": "end_call"})).await;
    until(&mut c, "ended").await;
    (id, citizen, guest)
}

/// The call page's claim, retried while the end is being recorded (it is asynchronous).
async fn claim(app: &TestApp, link: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = app.post("/api/v1/enquete/na-gesprek", &json!({"token": link})).await;
        if r.status == 200 {
            return r.body;
        }
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(std::time::Instant::now() < deadline, "no survey after the call: {}", r.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn spawn_config(c: &mut balie_web::Config) {
    c.link_open_before_minutes = 60 * 24 * 7;
}

async fn pending_survey_mails(app: &TestApp) -> Vec<String> {
    let pending = app.store().mails(balie_booking::outbox::DeliveryStatus::Pending, 100).await.unwrap();
    pending.into_iter().filter(|m| m.kind == "survey_invitation").map(|m| m.recipient).collect()
}

async fn a_call_ends_and_its_survey_is_answered_once_and_shown_to_managers(app: &TestApp) {
    let (_id, citizen, guest) = a_finished_call(app).await;
    let claimed = claim(app, &citizen).await;
    assert_eq!(claimed["service"], "Afval en milieu");
    assert_eq!(claimed["channel"], "video");
    let token = claimed["survey_token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 32, "128 bits");
    // Both invited by e-mail later; the call link itself is dead.
    let mut mails = pending_survey_mails(app).await;
    mails.sort();
    assert_eq!(mails, ["els@example.org", "jan@example.org"]);
    assert_eq!(app.post("/api/v1/gesprek-link", &json!({"token": citizen})).await.status, 410);
    let opened = app.post("/api/v1/enquete", &json!({"token": token})).await;
    assert_eq!((opened.status, opened.body["status"].as_str()), (200, Some("open")), "{}", opened.body);
    let bad = app.post("/api/v1/enquete/antwoord", &json!({"token": token, "overall": 7, "ease": 0})).await;
    bad.problem(422);
    assert_eq!(bad.fields(), ["overall", "ease"]);
    let answer = json!({"token": token, "overall": 4, "ease": 5, "quality": 3, "again": "yes",
                        "comment": "Vlot geholpen, het geluid haperde even."});
    assert_eq!(app.post("/api/v1/enquete/antwoord", &answer).await.status, 201);
    app.post("/api/v1/enquete/antwoord", &answer).await.problem(410);
    app.post("/api/v1/enquete", &json!({"token": token})).await.problem(410);
    app.post("/api/v1/enquete/na-gesprek", &json!({"token": citizen})).await.problem(410);
    app.post("/api/v1/enquete", &json!({"token": "00000000000000000000000000000000"})).await.problem(404);
    assert_eq!(pending_survey_mails(app).await, ["els@example.org"], "Jan answered: his invitation is withdrawn");
    // Els skips: no e-mail follows, and her link stays open should she change her mind.
    let skipped = claim(app, &guest).await["survey_token"].as_str().unwrap().to_string();
    assert_eq!(app.post("/api/v1/enquete/overslaan", &json!({"token": skipped})).await.status, 204);
    assert_eq!(
        app.post("/api/v1/enquete/overslaan", &json!({"token": skipped})).await.status,
        204,
        "twice is harmless"
    );
    assert!(pending_survey_mails(app).await.is_empty(), "Els skipped: her invitation is withdrawn");
    assert_eq!(app.post("/api/v1/enquete", &json!({"token": skipped})).await.status, 200);
    app.post("/api/v1/enquete/overslaan", &json!({"token": token})).await.problem(410);
    app.post("/api/v1/enquete/overslaan", &json!({"token": "00000000000000000000000000000000"})).await.problem(404);
    app.post("/api/v1/enquete/overslaan", &json!({"token": "not a token"})).await.problem(404);

    // The manager's view.
    app.login_as("agent").await.get("/api/v1/dashboard/tevredenheid").await.problem(403);
    let manager = app.login_as("manager").await;
    let d = manager.get("/api/v1/dashboard/tevredenheid").await;
    assert_eq!(d.status, 200, "{}", d.body);
    assert_eq!((d.body["invited"].as_i64(), d.body["answered"].as_i64()), (Some(2), Some(1)), "{}", d.body);
    assert_eq!(d.body["response_rate"], 0.5);
    assert_eq!(d.body["average"], 4.0);
    assert_eq!(d.body["by_service"][0]["key"], "Afval en milieu");
    assert_eq!(d.body["by_agent"].as_array().unwrap().len(), 0, "one answer: the agent is not shown");
    let comments = manager.get("/api/v1/dashboard/opmerkingen?q=GELUID").await;
    assert_eq!(comments.body.as_array().unwrap().len(), 1, "{}", comments.body);
    assert!(manager.get("/api/v1/dashboard/opmerkingen?q=nergens").await.body.as_array().unwrap().is_empty());
    let csv = app
        .http
        .get(format!("{}/api/v1/dashboard/antwoorden.csv", app.base))
        .header("cookie", &manager.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].contains(",Afval en milieu,video,4,5,3,yes,\"Vlot geholpen, het geluid haperde even.\""),
        "{text}"
    );
    assert!(!text.contains("Jan") && !text.contains("jan@"), "nothing about the person");
    manager.get("/api/v1/dashboard/tevredenheid?van=2026-12-01&tot=2026-11-01").await.problem(422);
    // Filtering on one agent with fewer than five answers would single out this citizen.
    let agent_id = app.store().staff_by_email("agent@lindeveld.example").await.unwrap().unwrap().id;
    for path in ["tevredenheid", "opmerkingen", "antwoorden.csv"] {
        let r = manager.get(&format!("/api/v1/dashboard/{path}?medewerker={agent_id}")).await;
        assert_eq!(r.problem(422)["errors"][0]["field"], "medewerker");
    }
}

async fn the_retention_purge_leaves_no_link_hash_chat_or_personal_field(app: &TestApp) {
    let (id, citizen, _guest) = a_finished_call(app).await;
    let token = claim(app, &citizen).await["survey_token"].as_str().unwrap().to_string();
    let answer = json!({"token": token, "overall": 5});
    assert_eq!(app.post("/api/v1/enquete/antwoord", &answer).await.status, 201);
    app.login_as("agent")
        .await
        .put(&format!("/api/v1/afspraken/{id}/notities"), &json!({"text": "Jan belt terug"}))
        .await;
    let now = jiff::Timestamp::now();
    // Everything above is "older than the retention" for a cutoff a year ahead.
    let purged = app.store().purge_before(now + jiff::SignedDuration::from_hours(24 * 365), now).await.unwrap();
    assert!(purged.call_participants >= 3 && purged.appointments == 1 && purged.third_parties == 1, "{purged:?}");
    let pool = sqlx::AnyPool::connect(app.database_url()).await.unwrap();
    let texts = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
            rows.iter()
                .map(|r| sqlx::Row::try_get::<Option<String>, _>(r, 0).unwrap().unwrap_or_default())
                .collect::<Vec<_>>()
        }
    };
    let mut everything = Vec::new();
    for sql in [
        "SELECT name FROM call_participants",
        "SELECT COALESCE(email, '') FROM call_participants",
        "SELECT token_hash FROM call_participants",
        "SELECT citizen_name FROM appointments",
        "SELECT citizen_email FROM appointments",
        "SELECT COALESCE(citizen_phone, '') FROM appointments",
        "SELECT manage_token_hash FROM appointments",
        "SELECT name FROM appointment_third_parties",
        "SELECT email FROM appointment_third_parties",
        "SELECT text FROM appointment_notes",
        "SELECT recipient FROM outbox WHERE status <> 'pending'",
        "SELECT COALESCE(body, '') FROM outbox WHERE status <> 'pending'",
        "SELECT COALESCE(email, '') FROM survey_invitations",
        "SELECT token_hash FROM survey_invitations",
        "SELECT detail FROM purge_log",
        "SELECT COALESCE(comment, '') FROM survey_answers",
    ] {
        everything.extend(texts(sql).await);
    }
    let all = everything.join("\n");
    for secret in ["Jan", "jan@example.org", "Els", "els@example.org", "Jan belt terug", CHAT_MARKER] {
        assert!(!all.contains(secret), "{secret:?} survived the purge");
    }
    let hashes = texts("SELECT token_hash FROM call_participants").await;
    assert!(hashes.iter().all(|h| h.starts_with("purged-")), "{hashes:?}");
    // No purged link opens anything, and the anonymous answer stays for the dashboard.
    assert_eq!(app.post("/api/v1/gesprek-link", &json!({"token": citizen})).await.status, 404);
    let answers = texts("SELECT CAST(overall AS TEXT) FROM survey_answers").await;
    assert_eq!(answers, ["5"]);
    let log = texts("SELECT subject FROM purge_log ORDER BY id").await;
    assert_eq!(log, ["call", "retention"], "an audit record of each purge");
    pool.close().await;
}

both!(a_call_ends_and_its_survey_is_answered_once, async |app: &TestApp| {
    let app = TestApp::spawn_with(app.backend, spawn_config).await;
    a_call_ends_and_its_survey_is_answered_once_and_shown_to_managers(&app).await;
    app.stop().await;
});

both!(the_retention_purge, async |app: &TestApp| {
    let app = TestApp::spawn_with(app.backend, spawn_config).await;
    the_retention_purge_leaves_no_link_hash_chat_or_personal_field(&app).await;
    app.stop().await;
});

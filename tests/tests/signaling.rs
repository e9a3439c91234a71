//! Calls over the real server: the REST API that creates them and the signalling WebSocket, with an
//! independent WebSocket client (tokio-tungstenite), on SQLite and PostgreSQL. Media is not
//! negotiated here (no browser); media/tests and the browser test cover it.

use std::time::Duration;

use balie_tests::{both, TestApp};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Call {
    id: i64,
    /// Tokens by role: agent, citizen, guest.
    agent: String,
    citizen: String,
    guest: String,
    citizen_id: i64,
    guest_id: i64,
}

fn token_of(link: &Value) -> String {
    let url = link["url"].as_str().expect("url");
    url.split_once("/gesprek#").expect("link to the call page with the token in the fragment").1.to_string()
}

/// A call that started a minute ago, with a citizen and a guest.
async fn create_call(app: &TestApp, start_offset_minutes: i64) -> Call {
    let agent = app.login_as("agent").await;
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(start_offset_minutes);
    let end = start + jiff::SignedDuration::from_hours(1);
    let r = agent
        .post(
            "/api/v1/gesprekken",
            &json!({
                "title": "Vraag over een zaalreservatie",
                "period": {"start": balie_booking::time::format_local(start), "end": balie_booking::time::format_local(end)},
                "participants": [{"name": "Jan Janssens", "role": "citizen", "email": "jan@example.org"},
                                 {"name": "Els Maes", "role": "guest"}],
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"), "links are shown once and never cached");
    let links = r.body["links"].as_array().expect("links");
    assert_eq!(links.len(), 3);
    assert_eq!(links[0]["role"], "agent");
    for l in links {
        let t = token_of(l);
        assert!(t.len() >= 32 && t.chars().all(|c| c.is_ascii_hexdigit()), "≥ 128 bits of hex: {t}");
    }
    Call {
        id: r.body["call"]["id"].as_i64().expect("id"),
        agent: token_of(&links[0]),
        citizen: token_of(&links[1]),
        guest: token_of(&links[2]),
        citizen_id: links[1]["participant_id"].as_i64().unwrap(),
        guest_id: links[2]["participant_id"].as_i64().unwrap(),
    }
}

async fn open(app: &TestApp) -> Ws {
    let url = format!("{}/api/v1/signalisatie", app.base.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url).await.expect("WebSocket opens").0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.expect("send");
}

/// The next JSON message; `None` when the socket closed.
async fn recv(ws: &mut Ws) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a message within 10 s") {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).expect("JSON")),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// Reads until a message of `kind` arrives, returning it and what came before.
async fn until(ws: &mut Ws, kind: &str) -> (Value, Vec<Value>) {
    until_where(ws, kind, |_| true).await
}

/// Reads until a message of `kind` for which `wanted` holds.
async fn until_where(ws: &mut Ws, kind: &str, wanted: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    loop {
        let m = recv(ws).await.unwrap_or_else(|| panic!("socket closed waiting for {kind}; got {before:?}"));
        if m["type"] == kind && wanted(&m) {
            return (m, before);
        }
        before.push(m);
    }
}

/// The agent's next lobby list with someone in it.
async fn someone_waits(ws: &mut Ws) -> Value {
    until_where(ws, "lobby", |m| m["waiting"].as_array().is_some_and(|w| !w.is_empty())).await.0
}

async fn join(app: &TestApp, token: &str) -> (Ws, Value) {
    let mut ws = open(app).await;
    send(&mut ws, json!({"type": "join", "v": 1, "token": token})).await;
    let first = recv(&mut ws).await.expect("an answer to join");
    (ws, first)
}

/// A join that is refused: one error with `code`, then the socket closes.
async fn refused(app: &TestApp, token: &str, code: &str) {
    let (mut ws, first) = join(app, token).await;
    assert_eq!(first["type"], "error", "{first}");
    assert_eq!(first["code"], code, "{first}");
    assert!(recv(&mut ws).await.is_none(), "the socket closes after a refused join");
}

both!(lobby_admission_and_chat, async |app: &TestApp| {
    let call = create_call(app, -1).await;
    let (mut agent, welcome) = join(app, &call.agent).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(welcome["you"]["role"], "agent");
    assert_eq!(welcome["you"]["presence"], "in_call");
    assert_eq!(welcome["call"], call.id);
    until(&mut agent, "admitted").await;

    let (mut citizen, welcome) = join(app, &call.citizen).await;
    assert_eq!(welcome["you"]["presence"], "lobby");
    assert_eq!(welcome["you"]["name"], "Jan Janssens");
    assert_eq!(recv(&mut citizen).await.unwrap(), json!({"type": "waiting", "position": 1}));
    let lobby = someone_waits(&mut agent).await;
    assert_eq!(lobby["waiting"][0]["id"], call.citizen_id);

    // In the lobby: nothing goes in.
    send(&mut citizen, json!({"type": "chat", "text": "hallo?"})).await;
    let e = recv(&mut citizen).await.unwrap();
    assert_eq!(
        (e["type"].as_str(), e["code"].as_str(), e["re"].as_str()),
        (Some("error"), Some("not_admitted"), Some("chat"))
    );
    send(&mut citizen, json!({"type": "admit", "participant": call.citizen_id})).await;
    assert_eq!(recv(&mut citizen).await.unwrap()["code"], "not_allowed");

    // The agent chats before admitting; the citizen gets it only as history on admission.
    send(&mut agent, json!({"type": "chat", "text": "Ik laat u zo binnen."})).await;
    until(&mut agent, "chat").await;
    send(&mut agent, json!({"type": "admit", "participant": call.citizen_id})).await;
    let (_, before) = until(&mut citizen, "admitted").await;
    assert!(before.is_empty(), "nothing reached the citizen in the lobby: {before:?}");
    let (history, _) = until(&mut citizen, "chat_history").await;
    assert_eq!(history["lines"][0]["text"], "Ik laat u zo binnen.");
    let (roster, _) = until(&mut citizen, "roster").await;
    assert_eq!(roster["participants"].as_array().unwrap().len(), 2);

    send(&mut citizen, json!({"type": "chat", "text": "Goedemiddag!"})).await;
    let (line, _) = until(&mut agent, "chat").await;
    assert_eq!(line["line"]["text"], "Goedemiddag!");
    assert_eq!(line["line"]["name"], "Jan Janssens");

    // The guest waits; the agent denies; the guest cannot come back.
    let (mut guest, _) = join(app, &call.guest).await;
    someone_waits(&mut agent).await;
    send(&mut agent, json!({"type": "deny", "participant": call.guest_id})).await;
    let (ended, _) = until(&mut guest, "ended").await;
    assert_eq!(ended["reason"], "denied");
    assert!(recv(&mut guest).await.is_none());
    let (mut again, first) = join(app, &call.guest).await;
    assert_eq!((first["type"].as_str(), first["reason"].as_str()), (Some("ended"), Some("denied")), "{first}");
    assert!(recv(&mut again).await.is_none());

    // End for all: everyone is told, and the links stop working.
    send(&mut agent, json!({"type": "end_call"})).await;
    assert_eq!(until(&mut citizen, "ended").await.0["reason"], "ended_by_agent");
    assert_eq!(until(&mut agent, "ended").await.0["reason"], "ended_by_agent");
    refused(app, &call.citizen, "call_ended").await;
    // …also after the end is recorded in the database (the hub forgets nothing, but a restart would).
    for _ in 0..50 {
        if app.store().call(call.id).await.unwrap().ended_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(app.store().call(call.id).await.unwrap().ended_at.is_some(), "the end is recorded");
});

both!(links_are_refused_with_a_clear_code, async |app: &TestApp| {
    refused(app, "00112233445566778899aabbccddeeff00112233", "token_unknown").await;
    let early = create_call(app, 120).await;
    refused(app, &early.citizen, "token_not_yet_valid").await;
    let late = create_call(app, -1).await;
    let agent = app.login_as("agent").await;
    let r = agent.delete(&format!("/api/v1/gesprekken/{}/deelnemers/{}", late.id, late.guest_id)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["revoked_at"].is_string());
    refused(app, &late.guest, "token_revoked").await;

    // The wrong protocol version, and anything but join first.
    let mut ws = open(app).await;
    send(&mut ws, json!({"type": "join", "v": 2, "token": late.citizen})).await;
    assert_eq!(recv(&mut ws).await.unwrap()["code"], "unsupported_version");
    let mut ws = open(app).await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await.unwrap()["code"], "join_first");
});

both!(revoking_a_link_takes_the_participant_out_of_the_call, async |app: &TestApp| {
    let call = create_call(app, -1).await;
    let (mut agent, _) = join(app, &call.agent).await;
    let (mut guest, _) = join(app, &call.guest).await;
    someone_waits(&mut agent).await;
    send(&mut agent, json!({"type": "admit", "participant": call.guest_id})).await;
    until(&mut guest, "admitted").await;
    let staff = app.login_as("agent").await;
    let r = staff.delete(&format!("/api/v1/gesprekken/{}/deelnemers/{}", call.id, call.guest_id)).await;
    assert_eq!(r.status, 200);
    assert_eq!(until(&mut guest, "ended").await.0["reason"], "removed");
});

both!(bad_frames_get_errors_and_the_socket_survives, async |app: &TestApp| {
    let call = create_call(app, -1).await;
    let (mut ws, _) = join(app, &call.agent).await;
    until(&mut ws, "admitted").await;
    for (frame, code) in [
        ("not json".to_string(), "malformed"),
        (r#"{"type":"teleport"}"#.to_string(), "malformed"),
        (r#"{"type":"admit","participant":"x"}"#.to_string(), "malformed"),
        (format!(r#"{{"type":"chat","text":"{}"}}"#, "x".repeat(70 * 1024)), "too_large"),
        (r#"{"type":"admit","participant":424242}"#.to_string(), "unknown_participant"),
    ] {
        ws.send(Message::text(frame.clone())).await.unwrap();
        let (e, _) = until(&mut ws, "error").await;
        assert_eq!(e["code"], code, "{}", &frame[..frame.len().min(60)]);
    }
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(until(&mut ws, "error").await.0["code"], "malformed");
    send(&mut ws, json!({"type": "ping"})).await;
    until(&mut ws, "pong").await;

    // A flood: the burst passes, then messages are refused, and the socket stays usable.
    for _ in 0..100 {
        send(&mut ws, json!({"type": "ping"})).await;
    }
    let mut limited = 0;
    let mut pongs = 0;
    while pongs + limited < 100 {
        let m = recv(&mut ws).await.expect("still open");
        match m["type"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") if m["code"] == "rate_limited" => limited += 1,
            _ => {}
        }
    }
    // The burst is 60 and a few tokens went on the frames above.
    assert!(limited > 0 && pongs >= 50, "pongs {pongs}, rate_limited {limited}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    send(&mut ws, json!({"type": "ping"})).await;
    until(&mut ws, "pong").await;
});

both!(the_call_api_checks_roles_and_input, async |app: &TestApp| {
    let body =
        json!({"title": "x", "period": {"start": "2030-01-01T10:00:00+01:00", "end": "2030-01-01T11:00:00+01:00"}});
    assert_eq!(app.post("/api/v1/gesprekken", &body).await.status, 401);
    let manager = app.login_as("manager").await;
    assert_eq!(manager.post("/api/v1/gesprekken", &body).await.status, 403);
    let agent = app.login_as("agent").await;
    let bad = json!({
        "title": "",
        "period": {"start": "2030-01-01T10:00:00+01:00", "end": "2030-01-02T10:00:00+01:00"},
        "participants": [{"name": "", "role": "agent", "email": "nope"}],
    });
    let r = agent.post("/api/v1/gesprekken", &bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["title", "period", "participants[0].name", "participants[0].role", "participants[0].email"] {
        assert!(fields.contains(&f), "{f} not named in {fields:?}");
    }
    assert_eq!(agent.get("/api/v1/gesprekken/999999").await.status, 404);
});

both!(metrics_count_live_calls_and_media_peers, async |app: &TestApp| {
    let metric = |text: &str, name: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(name) && !l.starts_with('#'))
            .unwrap_or_else(|| panic!("{name} in {text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let text = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(metric(&text, "balie_calls_live"), 0.0);
    let call = create_call(app, -1).await;
    let (mut agent, _) = join(app, &call.agent).await;
    until(&mut agent, "admitted").await;
    let r = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = r.text().await.unwrap();
    assert_eq!(metric(&text, "balie_calls_live"), 1.0);
    assert_eq!(metric(&text, "balie_media_peers"), 1.0, "the agent's peer connection");
    // Everyone gone: the call's task retires and its peer connection closes.
    send(&mut agent, json!({"type": "leave"})).await;
    until(&mut agent, "ended").await;
    let mut last = String::new();
    for _ in 0..100 {
        last = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
        if metric(&last, "balie_calls_live") == 0.0 && metric(&last, "balie_media_peers") == 0.0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the call and its peer stayed: {last}");
});

both!(joins_are_rate_limited_per_address, async |app: &TestApp| {
    let url = format!("{}/api/v1/signalisatie", app.base.replacen("http", "ws", 1));
    let mut open = Vec::new();
    for _ in 0..30 {
        open.push(tokio_tungstenite::connect_async(&url).await.expect("within the burst").0);
    }
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 429);
            assert!(resp.headers().contains_key("retry-after"));
        }
        other => panic!("the 31st upgrade in a row should be refused, got {:?}", other.map(|_| ())),
    }
});

both!(a_dropped_socket_rejoins_without_the_lobby_and_the_agent_reads_stats, async |app: &TestApp| {
    let call = create_call(app, -1).await;
    let (mut agent, _) = join(app, &call.agent).await;
    let (mut citizen, _) = join(app, &call.citizen).await;
    someone_waits(&mut agent).await;
    send(&mut agent, json!({"type": "admit", "participant": call.citizen_id})).await;
    until(&mut citizen, "admitted").await;

    // The citizen's network drops: the others see them reconnecting…
    drop(citizen);
    let (roster, _) = until_where(&mut agent, "roster", |m| {
        m["participants"].as_array().unwrap().iter().any(|p| p["presence"] == "reconnecting")
    })
    .await;
    assert_eq!(roster["participants"].as_array().unwrap().len(), 2);
    // …and the same link within the grace period goes straight back in.
    let mut back = open(app).await;
    send(&mut back, json!({"type": "join", "v": 1, "token": call.citizen, "resume": true})).await;
    let (welcome, _) = until(&mut back, "welcome").await;
    assert_eq!(welcome["you"]["presence"], "in_call");
    let (_, before) = until(&mut back, "admitted").await;
    assert!(before.iter().all(|m| m["type"] != "waiting"), "no lobby on the way back: {before:?}");
    until_where(&mut agent, "roster", |m| {
        m["participants"].as_array().unwrap().iter().all(|p| p["presence"] == "in_call")
    })
    .await;

    // Only the agent reads the media statistics: one entry per participant's peer connection.
    send(&mut back, json!({"type": "get_stats"})).await;
    assert_eq!(until(&mut back, "error").await.0["code"], "not_allowed");
    send(&mut agent, json!({"type": "get_stats"})).await;
    let (stats, _) = until(&mut agent, "stats").await;
    let peers = stats["peers"].as_array().expect("a list");
    let ids: Vec<i64> = peers.iter().map(|p| p["peer"]["participant"].as_i64().unwrap()).collect();
    assert_eq!(peers.len(), 2, "{stats}");
    assert!(ids.contains(&call.citizen_id), "{stats}");
    for p in peers {
        for field in ["bitrate_in_bps", "bitrate_out_bps", "packets_lost", "fraction_lost"] {
            assert!(p[field].is_number(), "{field} in {p}");
        }
    }
});

both!(the_welcome_page_learns_who_and_when_from_the_link_and_nothing_more, async |app: &TestApp| {
    let info = |token: &str| {
        let body = json!({ "token": token });
        async move { app.post("/api/v1/gesprek-link", &body).await }
    };
    let call = create_call(app, 1).await;
    let r = info(&call.citizen).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.body["status"], "open");
    assert_eq!(r.body["title"], "Vraag over een zaalreservatie");
    assert_eq!(r.body["you"], json!({"name": "Jan Janssens", "role": "citizen"}));
    assert_eq!(r.body["host"], "An Peeters", "the agent who created the call hosts it");
    assert!(r.body["period"]["start"].is_string() && r.body["valid"]["end"].is_string(), "{}", r.body);
    assert!(r.body.get("participants").is_none(), "no one else's name or link: {}", r.body);
    // Too early: the page counts down to the opening.
    let later = create_call(app, 120).await;
    let r = info(&later.guest).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "not_yet_open");
    assert_eq!(r.body["you"]["role"], "guest");
    // Unknown, withdrawn: clear problems.
    let r = info(&"0".repeat(40)).await;
    assert_eq!(r.problem(404)["type"], "/problems/link-unknown");
    let agent = app.login_as("agent").await;
    agent.delete(&format!("/api/v1/gesprekken/{}/deelnemers/{}", call.id, call.guest_id)).await;
    let r = info(&call.guest).await;
    assert_eq!(r.problem(410)["detail"], "This link has been withdrawn.");
    // The token belongs in the body, nowhere else.
    let r = app.post("/api/v1/gesprek-link", &json!({ "token": call.citizen, "extra": 1 })).await;
    assert_eq!(r.status, 400, "{}", r.body);
});

/// The panel's business side over a real socket (the browser test does the whole flow): a slot
/// chosen in the panel is held and priced, choosing another releases the first hold, a hold that
/// lapses unpaid is announced (`hold_expired`), and ending the call releases the hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_panel_holds_replaces_announces_and_releases_slots() {
    for backend in [balie_tests::Backend::Sqlite, balie_tests::Backend::Postgres] {
        let app = TestApp::spawn_with(backend, |c| c.hold_ttl_seconds = 3).await;
        let call = create_call(&app, -1).await;
        let (mut agent, welcome) = join(&app, &call.agent).await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        send(&mut agent, json!({"type": "panel_edit", "base": 0, "set": {"open": true}})).await;
        // The server fills in the citizen's details from the call.
        let (prefilled, _) = until_where(&mut agent, "panel", |m| m["state"]["identity"].is_object()).await;
        assert_eq!(prefilled["state"]["identity"]["email"], "jan@example.org");
        assert!(prefilled["by"].is_null(), "written by the server");
        let court = app.resource_id("tennis-1").await;
        let day = balie_tests::weekday_ahead(10);
        let slot = |from: &str, to: &str| json!({"start": balie_tests::local(&day, from), "end": balie_tests::local(&day, to)});
        let base = prefilled["version"].as_u64().unwrap();
        send(
            &mut agent,
            json!({"type": "panel_edit", "base": base, "set": {"resource_id": court, "slot": slot("10:00", "11:00")}}),
        )
        .await;
        let (held, _) = until_where(&mut agent, "panel", |m| m["state"]["hold"].is_object()).await;
        let first = held["state"]["hold"]["reservation_id"].as_i64().unwrap();
        assert!(held["state"]["quote"]["total_cents"].as_i64().unwrap() > 0);
        // Another slot: a new hold, and the first is released at once.
        let base = held["version"].as_u64().unwrap();
        send(&mut agent, json!({"type": "panel_edit", "base": base, "set": {"slot": slot("14:00", "15:00")}})).await;
        let (moved, _) = until_where(&mut agent, "panel", |m| {
            m["state"]["hold"]["reservation_id"].as_i64().is_some_and(|id| id != first)
        })
        .await;
        let second = moved["state"]["hold"]["reservation_id"].as_i64().unwrap();
        let status = |id| {
            let store = app.store().clone();
            async move { store.reservation(id).await.unwrap().effective_status(jiff::Timestamp::now()) }
        };
        assert_eq!(status(first).await, balie_booking::reservation::Status::Cancelled);
        assert_eq!(status(second).await, balie_booking::reservation::Status::Hold);
        // Nobody pays: the hold lapses after 3 s and the panel says so.
        let (lapsed, _) = until_where(&mut agent, "panel", |m| m["state"]["notice"]["code"] == "hold_expired").await;
        assert!(lapsed["state"]["hold"].is_null() && lapsed["state"]["quote"].is_null(), "{lapsed}");
        // Choose again, then end the call: the hold is released.
        let base = lapsed["version"].as_u64().unwrap();
        send(&mut agent, json!({"type": "panel_edit", "base": base, "set": {"slot": slot("16:00", "17:00")}})).await;
        let (again, _) = until_where(&mut agent, "panel", |m| m["state"]["hold"].is_object()).await;
        let third = again["state"]["hold"]["reservation_id"].as_i64().unwrap();
        send(&mut agent, json!({"type": "end_call"})).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while status(third).await != balie_booking::reservation::Status::Cancelled {
            assert!(std::time::Instant::now() < deadline, "ending the call releases the panel's hold");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        app.stop().await;
    }
}

/// A payment whose provider answers after the agent pressed "reset" stays out of the panel: the
/// panel moved on, so the late checkout is not shown (it lapses unseen). Mollie (the fake)
/// answers every API call after 1.5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_the_provider_answers_after_a_reset_stays_out_of_the_panel() {
    let fake = balie_tests::fake_mollie::FakeMollie::start("test_balie_key").await;
    let (key, base) = (fake.api_key().to_string(), fake.base_url());
    let app = TestApp::spawn_with(balie_tests::Backend::Sqlite, move |c| {
        c.payment_provider = balie_web::config::PaymentProviderKind::Mollie;
        c.mollie_api_key = key.parse().unwrap();
        c.mollie_api_url = base;
    })
    .await;
    let call = create_call(&app, -1).await;
    let (mut agent, _) = join(&app, &call.agent).await;
    send(&mut agent, json!({"type": "panel_edit", "base": 0, "set": {"open": true}})).await;
    let (prefilled, _) = until_where(&mut agent, "panel", |m| m["state"]["identity"].is_object()).await;
    let court = app.resource_id("tennis-1").await;
    let day = balie_tests::weekday_ahead(10);
    let slot = json!({"start": balie_tests::local(&day, "10:00"), "end": balie_tests::local(&day, "11:00")});
    let base = prefilled["version"].as_u64().unwrap();
    send(&mut agent, json!({"type": "panel_edit", "base": base, "set": {"resource_id": court, "slot": slot}})).await;
    let (held, _) = until_where(&mut agent, "panel", |m| m["state"]["hold"].is_object()).await;
    let base = held["version"].as_u64().unwrap();
    let checked = json!({"identity_confirmed": true, "identity_check": "eid_shown"});
    send(&mut agent, json!({"type": "panel_edit", "base": base, "set": checked})).await;
    until_where(&mut agent, "panel", |m| m["state"]["identity_check"] == "eid_shown").await;

    fake.set_delay(Duration::from_millis(1500));
    send(&mut agent, json!({"type": "panel_action", "action": "pay", "method": "online"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&mut agent, json!({"type": "panel_action", "action": "reset"})).await;
    let (reset, _) = until_where(&mut agent, "panel", |m| m["state"]["hold"].is_null()).await;
    assert!(reset["state"]["payment"].is_null(), "{reset}");
    // Mollie answers a second later; the panel must not show that payment.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(3500);
    let mut last = reset;
    while let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout_at(deadline, agent.next()).await {
        let m: Value = serde_json::from_str(&t).unwrap();
        if m["type"] == "panel" {
            assert!(m["state"]["payment"].is_null(), "a late payment reached the reset panel: {m}");
            last = m;
        }
    }
    assert!(last["state"]["payment"].is_null() && last["state"]["hold"].is_null(), "{last}");
    assert_eq!(fake.payment_ids().len(), 1, "the provider did create it");
    app.stop().await;
}

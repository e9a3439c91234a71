//! The shared booking panel (docs/panel.md) as the call state machine runs it: who may change
//! what, what shape values must have, how concurrent edits merge, who hears of it. Driven
//! directly, no sockets, no clock; the last test drives it through the hub.

use balie_signaling::call::{Admission, Call, ConnId, Effect, Settings};
use balie_signaling::panel::{PanelEvent, MAX_EDIT_BYTES, MAX_STATE_BYTES};
use balie_signaling::protocol::{ClientMessage, ErrorCode, PanelAction, PayMethod, Role, ServerMessage};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Map, Value};

const AGENT: i64 = 1;
const CITIZEN: i64 = 2;
const GUEST: i64 = 3;
const WAITING: i64 = 4;
const A: ConnId = 101;
const C: ConnId = 102;
const G: ConnId = 103;
const W: ConnId = 104;

fn t0() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn who(id: i64) -> Admission {
    let (name, role) = match id {
        AGENT => ("An Peeters", Role::Agent),
        CITIZEN => ("Jan Janssens", Role::Citizen),
        WAITING => ("Mia Claes", Role::Citizen),
        _ => ("Els Maes", Role::Guest),
    };
    Admission { id, name: name.into(), role, device_check: None }
}

fn set(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn edit(base: u64, v: Value) -> ClientMessage {
    ClientMessage::PanelEdit { base, set: set(v) }
}

fn sent_to(fx: &[Effect], conn: ConnId) -> Vec<ServerMessage> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(c, m) if *c == conn => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// The `panel` messages sent to `conn`: (version, controller, by, state).
type PanelMsg = (u64, Option<i64>, Option<i64>, Map<String, Value>);

fn panels_to(fx: &[Effect], conn: ConnId) -> Vec<PanelMsg> {
    sent_to(fx, conn)
        .into_iter()
        .filter_map(|m| match m {
            ServerMessage::Panel { version, controller, by, state } => Some((version, controller, by, state)),
            _ => None,
        })
        .collect()
}

fn error_of(fx: &[Effect], conn: ConnId) -> Option<(ErrorCode, Option<String>)> {
    sent_to(fx, conn).into_iter().find_map(|m| match m {
        ServerMessage::Error { code, context, .. } => Some((code, context)),
        _ => None,
    })
}

fn events(fx: &[Effect]) -> Vec<PanelEvent> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Panel(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

/// Agent, citizen and guest in the call; another citizen waiting in the lobby.
fn full_call() -> Call {
    let mut call = Call::new(7, Settings::default());
    call.connect(A, who(AGENT), false, vec![]);
    for (conn, id) in [(C, CITIZEN), (G, GUEST)] {
        call.connect(conn, who(id), false, vec![]);
        call.receive(A, ClientMessage::Admit { participant: id }, t0());
    }
    call.connect(W, who(WAITING), false, vec![]);
    call
}

/// The agent opens the panel (version 1).
fn opened() -> Call {
    let mut call = full_call();
    let fx = call.receive(A, edit(0, json!({"open": true})), t0());
    assert_eq!(panels_to(&fx, A).len(), 1, "{fx:?}");
    call
}

#[test]
fn the_agent_controls_an_untouched_panel_silently() {
    let mut call = Call::new(7, Settings::default());
    let fx = call.connect(A, who(AGENT), false, vec![]);
    assert!(panels_to(&fx, A).is_empty(), "no panel message before the first change");
    assert_eq!(call.panel().controller(), Some(AGENT));
    assert_eq!(call.panel().version(), 0);
    let fx = call.receive(A, edit(0, json!({"open": true})), t0());
    assert_eq!(panels_to(&fx, A), [(1, Some(AGENT), Some(AGENT), set(json!({"open": true})))]);
}

#[test]
fn changes_go_to_everyone_admitted_and_never_to_the_lobby() {
    let mut call = full_call();
    let fx = call.receive(A, edit(0, json!({"open": true, "kind": "room"})), t0());
    let expected = (1, Some(AGENT), Some(AGENT), set(json!({"open": true, "kind": "room"})));
    for conn in [A, C, G] {
        assert_eq!(panels_to(&fx, conn), std::slice::from_ref(&expected), "{conn}");
    }
    assert!(sent_to(&fx, W).is_empty(), "the lobby hears nothing of the panel");
    let fx = call.receive(A, edit(1, json!({"step": "search"})), t0());
    assert_eq!(panels_to(&fx, C)[0].0, 2, "one version per accepted edit");
    assert!(sent_to(&fx, W).is_empty());
    let fx = call.server_panel(set(json!({"notice": {"code": "slot_taken", "detail": null}})));
    assert_eq!(panels_to(&fx, G)[0].0, 3);
    assert!(sent_to(&fx, W).is_empty());
    // Someone in the lobby cannot write into it either.
    let fx = call.receive(W, edit(3, json!({"step": "slot"})), t0());
    assert_eq!(error_of(&fx, W).map(|e| e.0), Some(ErrorCode::NotAdmitted));
    assert!(panels_to(&fx, A).is_empty());
    for msg in [ClientMessage::PanelControl { to: WAITING }, ClientMessage::PanelAction(PanelAction::Reset)] {
        let fx = call.receive(W, msg, t0());
        assert_eq!(error_of(&fx, W).map(|e| e.0), Some(ErrorCode::NotAllowed));
        assert!(events(&fx).is_empty());
    }
}

#[test]
fn who_may_edit() {
    let mut call = opened();
    // A guest never edits.
    let fx = call.receive(G, edit(1, json!({"step": "search"})), t0());
    assert_eq!(error_of(&fx, G), Some((ErrorCode::NotAllowed, None)));
    assert!(panels_to(&fx, A).is_empty() && events(&fx).is_empty());
    // A citizen without control neither.
    let fx = call.receive(C, edit(1, json!({"step": "search"})), t0());
    assert_eq!(error_of(&fx, C), Some((ErrorCode::NotAllowed, None)));
    assert_eq!(call.panel().version(), 1);
    // Handed the panel, the citizen edits the booking keys…
    call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    let fx = call.receive(C, edit(2, json!({"step": "search", "kind": "court"})), t0());
    assert_eq!(error_of(&fx, C), None);
    assert_eq!(panels_to(&fx, A)[0].2, Some(CITIZEN), "by the citizen");
    // …but not the agent's keys, and then nothing of the edit applies.
    for key in ["open", "identity_check"] {
        let value = if key == "open" { json!(false) } else { json!("eid_shown") };
        let fx = call.receive(C, edit(3, json!({key: value, "step": "slot"})), t0());
        assert_eq!(error_of(&fx, C), Some((ErrorCode::NotAllowed, Some(key.to_string()))));
        assert!(panels_to(&fx, A).is_empty(), "{key}");
    }
    // The agent always may, control handed out or not.
    let fx = call.receive(A, edit(3, json!({"identity_check": "known_person", "step": "details"})), t0());
    assert_eq!(error_of(&fx, A), None);
    assert_eq!(call.panel().version(), 4);
    assert_eq!(call.panel().state()["step"], "details");
    // Control and actions are the agent's.
    let fx = call.receive(C, ClientMessage::PanelControl { to: CITIZEN }, t0());
    assert_eq!(error_of(&fx, C).map(|e| e.0), Some(ErrorCode::NotAllowed));
    let fx = call.receive(C, ClientMessage::PanelAction(PanelAction::Pay { method: PayMethod::Online }), t0());
    assert_eq!(error_of(&fx, C).map(|e| e.0), Some(ErrorCode::NotAllowed));
    assert!(events(&fx).is_empty());
}

#[test]
fn every_key_is_validated_and_a_bad_one_spoils_the_whole_edit() {
    let mut call = opened();
    let bad = [
        ("open", json!("yes")),
        ("step", json!("betalen")),
        ("kind", json!("hall")),
        ("filters", json!({"min_capacity": -1})),
        ("resource_id", json!(0)),
        ("date", json!("05-12-2026")),
        ("slot", json!({"start": "2026-12-05T12:00:00Z", "end": "2026-12-05T10:00:00Z"})),
        ("attendees", json!(10_001)),
        ("extras", json!([{"code": "catering", "quantity": 0}])),
        ("customer_type", json!("private")),
        ("organisation", json!("x".repeat(501))),
        ("purpose", json!(["not", "text"])),
        ("identity", json!({"name": "Jan", "phone": "0470"})),
        ("identity_confirmed", json!(1)),
        ("identity_check", json!("looked_trustworthy")),
        ("colour", json!("blue")),
    ];
    for (key, value) in bad {
        // With a good key beside it, which must not apply either.
        let (good_key, good_value) = if key == "purpose" { ("step", json!("search")) } else { ("purpose", json!("x")) };
        let fx = call.receive(A, edit(1, json!({key: value, good_key: good_value})), t0());
        assert_eq!(error_of(&fx, A), Some((ErrorCode::Malformed, Some(key.to_string()))), "{key}");
        assert!(panels_to(&fx, C).is_empty() && events(&fx).is_empty(), "{key}");
    }
    assert_eq!(call.panel().version(), 1, "nothing applied");
    assert!(!call.panel().state().contains_key("purpose") && !call.panel().state().contains_key("step"));
    // A version the server never had, and an edit naming nothing.
    let fx = call.receive(A, edit(9, json!({"step": "search"})), t0());
    assert_eq!(error_of(&fx, A), Some((ErrorCode::Malformed, Some("base".into()))));
    let fx = call.receive(A, edit(1, json!({})), t0());
    assert_eq!(error_of(&fx, A), Some((ErrorCode::Malformed, Some("set".into()))));
    // Good values of every key pass, and null removes.
    let good = json!({
        "step": "identify", "kind": "room", "resource_id": 12, "date": "2026-12-05",
        "filters": {"min_capacity": 30, "wheelchair_accessible": true, "type": "meeting_room", "equipment": ["projector", "wifi"]},
        "slot": {"start": "2026-12-05T10:00:00+01:00[Europe/Brussels]", "end": "2026-12-05T12:00:00+01:00[Europe/Brussels]"},
        "attendees": 25, "extras": [{"code": "catering", "quantity": 25}], "customer_type": "recognised_association",
        "organisation": "Chiro Sint-Jan", "purpose": "Leidingsvergadering",
        "identity": {"name": "Jan Janssens", "address": "Markt 1, 9000 Gent", "email": "jan@example.be"},
    });
    let fx = call.receive(A, ClientMessage::PanelEdit { base: 1, set: set(good) }, t0());
    assert_eq!(error_of(&fx, A), None);
    // Confirmed and checked after the details (with them, a change of details clears both).
    let checked = json!({"identity_confirmed": true, "identity_check": "eid_shown"});
    let fx = call.receive(A, ClientMessage::PanelEdit { base: 2, set: set(checked) }, t0());
    assert_eq!(error_of(&fx, A), None);
    assert_eq!(call.panel().state().len(), 15);
    let fx = call.receive(A, edit(3, json!({"slot": null, "extras": null, "organisation": null})), t0());
    let (_, _, _, state) = panels_to(&fx, C).pop().unwrap();
    assert!(!state.contains_key("slot") && !state.contains_key("extras") && state.len() == 12);
}

#[test]
fn sizes_are_limited() {
    let mut call = opened();
    // One edit: at most 8 KiB, even if every value is valid in itself (500 characters of four
    // bytes each are 2 KB).
    let long = "😀".repeat(500);
    let extras: Vec<Value> =
        (0..20).map(|i| json!({"code": format!("{i:0>2}{}", "x".repeat(62)), "quantity": 100})).collect();
    let equipment: Vec<String> = (0..32).map(|i| format!("{i:0>2}{}", "y".repeat(62))).collect();
    let too_big =
        set(json!({"purpose": long, "organisation": long, "extras": extras, "filters": {"equipment": equipment},
        "identity": {"name": "😀".repeat(200), "address": "😀".repeat(200), "email": "😀".repeat(200)}}));
    assert!(serde_json::to_vec(&too_big).unwrap().len() > MAX_EDIT_BYTES);
    let fx = call.receive(A, ClientMessage::PanelEdit { base: 1, set: too_big.clone() }, t0());
    assert_eq!(error_of(&fx, A), Some((ErrorCode::TooLarge, Some("set".into()))));
    assert_eq!(call.panel().version(), 1);
    // The same values in two edits are fine.
    let (first, second): (Map<String, Value>, Map<String, Value>) =
        too_big.into_iter().partition(|(k, _)| k == "purpose" || k == "organisation");
    for part in [first, second] {
        let fx = call.receive(A, ClientMessage::PanelEdit { base: call.panel().version(), set: part }, t0());
        assert_eq!(error_of(&fx, A), None);
    }
    let mut call = opened();
    let purpose = "é".repeat(500);
    // The whole state: at most 32 KiB. A large quote from the server leaves little room.
    let quote = json!({"lines": [{"text": "q".repeat(MAX_STATE_BYTES - 600)}], "total_cents": 12000});
    call.server_panel(set(json!({"quote": quote})));
    let fx = call.receive(A, edit(2, json!({"purpose": purpose})), t0());
    assert_eq!(error_of(&fx, A), Some((ErrorCode::TooLarge, Some("state".into()))));
    assert_eq!(call.panel().version(), 2);
    let fx = call.receive(A, edit(2, json!({"purpose": "kort"})), t0());
    assert_eq!(error_of(&fx, A), None, "a small edit still fits");
}

#[test]
fn clients_cannot_write_server_keys_and_the_server_writes_any() {
    let mut call = opened();
    for key in ["quote", "hold", "payment", "reservation", "notice"] {
        let fx = call.receive(A, edit(1, json!({key: {"id": 1}})), t0());
        assert_eq!(error_of(&fx, A), Some((ErrorCode::NotAllowed, Some(key.to_string()))), "{key}");
        let fx = call.receive(A, edit(1, json!({key: null})), t0());
        assert_eq!(error_of(&fx, A), Some((ErrorCode::NotAllowed, Some(key.to_string()))), "{key}: not even removing");
    }
    assert_eq!(call.panel().version(), 1);

    let hold = json!({"reservation_id": 88, "expires_at": "2026-12-01T10:15:00Z"});
    let fx = call.server_panel(set(json!({"hold": hold, "quote": {"total_cents": 4500}, "step": "details"})));
    for conn in [A, C, G] {
        let (version, controller, by, state) = panels_to(&fx, conn).pop().expect("a panel");
        assert_eq!((version, controller, by), (2, Some(AGENT), None), "by the server");
        assert_eq!(state["hold"], hold);
    }
    assert!(sent_to(&fx, W).is_empty());
    assert!(events(&fx).is_empty(), "the web layer wrote it; it hears nothing back");
    // Unchanged values change nothing; null removes.
    assert!(call.server_panel(set(json!({"step": "details"}))).is_empty());
    assert_eq!(call.panel().version(), 2);
    call.server_panel(set(json!({"hold": null})));
    assert!(!call.panel().state().contains_key("hold"));
    assert_eq!(call.panel().version(), 3);
    // A client edit based on a version before the server's change loses that key.
    let fx = call.receive(A, edit(1, json!({"step": "slot"})), t0());
    assert_eq!(error_of(&fx, A), Some((ErrorCode::PanelConflict, Some("step".into()))));
    assert_eq!(call.panel().state()["step"], "details");
}

#[test]
fn changed_details_need_a_new_confirmation_and_a_new_identity_check() {
    let mut call = opened();
    let jan = json!({"name": "Jan Peeters", "address": "Markt 1, 3000 Leuven", "email": "jan@example.org"});
    let v = call.panel().version();
    call.receive(A, edit(v, json!({"identity": jan})), t0());
    let v = call.panel().version();
    call.receive(A, edit(v, json!({"identity_confirmed": true, "identity_check": "eid_shown"})), t0());
    assert_eq!(call.panel().state()["identity_check"], "eid_shown");
    // The details change after the check: both are gone, in the same version as the change.
    let v = call.panel().version();
    let mut piet = jan.clone();
    piet["name"] = json!("Piet Peeters");
    let fx = call.receive(A, edit(v, json!({"identity": piet, "identity_confirmed": true})), t0());
    assert_eq!(call.panel().version(), v + 1);
    let state = call.panel().state();
    assert_eq!(state["identity"]["name"], "Piet Peeters");
    assert!(!state.contains_key("identity_confirmed"), "not even when the same edit says so");
    assert!(!state.contains_key("identity_check"));
    let keys = events(&fx)
        .into_iter()
        .find_map(|e| match e {
            PanelEvent::Edited { keys, .. } => Some(keys),
            _ => None,
        })
        .expect("the web layer hears of it");
    assert!(keys.contains(&"identity_check".to_string()) && keys.contains(&"identity_confirmed".to_string()));
    // An edit that leaves the details as they were keeps a new confirmation.
    let v = call.panel().version();
    call.receive(A, edit(v, json!({"identity_confirmed": true})), t0());
    let v = call.panel().version();
    call.receive(A, edit(v, json!({"identity": piet})), t0());
    assert_eq!(call.panel().state()["identity_confirmed"], true, "unchanged details");
}

#[test]
fn a_guarded_server_write_applies_only_while_the_panel_is_about_it() {
    let mut call = opened();
    let hold = json!({"reservation_id": 88, "expires_at": "2026-12-01T10:15:00Z"});
    call.server_panel(set(json!({"hold": hold, "step": "pay"})));
    let version = call.panel().version();
    let about = |payment: &str, reservation: i64| {
        vec![("/payment/id".to_string(), json!(payment)), ("/hold/reservation_id".to_string(), json!(reservation))]
    };
    // The payment's first news: the panel holds its reservation.
    let fx = call.server_panel_if(set(json!({"payment": {"id": "pay_1", "status": "open"}})), &about("pay_1", 88));
    assert!(!panels_to(&fx, A).is_empty());
    assert_eq!(call.panel().state()["payment"]["status"], "open");
    // Confirmed: the hold is gone, the payment's id still matches.
    call.server_panel_if(set(json!({"payment": {"id": "pay_1", "status": "paid"}, "hold": null})), &about("pay_1", 88));
    assert_eq!(call.panel().state()["payment"]["status"], "paid");
    // The agent resets for another booking; a late report about pay_1 changes nothing.
    call.server_panel(set(json!({"payment": null, "step": "search"})));
    let reset = call.panel().version();
    assert!(reset > version);
    let late = call.server_panel_if(set(json!({"payment": {"id": "pay_1", "status": "paid"}})), &about("pay_1", 88));
    assert!(late.is_empty(), "nothing sent");
    assert_eq!(call.panel().version(), reset);
    assert!(!call.panel().state().contains_key("payment"));
    // Nor when another booking is under way.
    call.server_panel(set(json!({"hold": {"reservation_id": 90, "expires_at": "2026-12-01T11:15:00Z"}})));
    call.server_panel_if(set(json!({"payment": {"id": "pay_1", "status": "failed"}})), &about("pay_1", 88));
    assert!(!call.panel().state().contains_key("payment"));
    // Pointers: a missing key, a nested miss and a malformed pointer never match.
    assert!(call.panel().has("/hold/reservation_id", &json!(90)));
    assert!(!call.panel().has("/hold/nothing", &json!(90)));
    assert!(!call.panel().has("/payment/id", &json!("pay_1")));
    assert!(!call.panel().has("hold", &json!(null)));
}

#[test]
fn late_admission_and_reconnection_bring_the_current_panel() {
    let mut call = opened();
    call.receive(A, edit(1, json!({"step": "search"})), t0());
    let fx = call.receive(A, ClientMessage::Admit { participant: WAITING }, t0());
    let to_newcomer = sent_to(&fx, W);
    assert!(matches!(
        &to_newcomer[..],
        [ServerMessage::Admitted, ServerMessage::ChatHistory { .. }, ServerMessage::Panel { version: 2, .. }, ..]
    ));
    assert!(panels_to(&fx, A).is_empty(), "the others already have it");
    // Back within the grace: the panel as it is now, no version bump.
    call.disconnect(C, t0());
    call.receive(A, edit(2, json!({"kind": "court"})), t0());
    let fx = call.connect(105, who(CITIZEN), true, vec![]);
    let (version, _, _, state) = panels_to(&fx, 105).pop().expect("the panel on reconnection");
    assert_eq!((version, state["kind"].clone()), (3, json!("court")));
    assert_eq!(call.panel().version(), 3);
}

#[test]
fn no_panel_message_before_the_first_change() {
    let mut call = Call::new(7, Settings::default());
    call.connect(A, who(AGENT), false, vec![]);
    call.connect(C, who(CITIZEN), false, vec![]);
    let fx = call.receive(A, ClientMessage::Admit { participant: CITIZEN }, t0());
    assert!(panels_to(&fx, C).is_empty() && panels_to(&fx, A).is_empty());
}

#[test]
fn control_is_handed_over_and_comes_back_when_the_citizen_goes() {
    let mut call = opened();
    let fx = call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    for conn in [A, C, G] {
        let seen: Vec<_> = panels_to(&fx, conn).into_iter().map(|p| (p.0, p.1, p.2)).collect();
        assert_eq!(seen, [(2, Some(CITIZEN), Some(AGENT))], "{conn}");
    }
    assert!(sent_to(&fx, W).is_empty());
    // Again to the same citizen: nothing changes.
    assert!(call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0()).is_empty());
    // Not to a guest, not to someone in the lobby, not to nobody.
    let fx = call.receive(A, ClientMessage::PanelControl { to: GUEST }, t0());
    assert_eq!(error_of(&fx, A).map(|e| e.0), Some(ErrorCode::NotAllowed));
    let fx = call.receive(A, ClientMessage::PanelControl { to: WAITING }, t0());
    assert_eq!(error_of(&fx, A).map(|e| e.0), Some(ErrorCode::UnknownParticipant));
    let fx = call.receive(A, ClientMessage::PanelControl { to: 999 }, t0());
    assert_eq!(error_of(&fx, A).map(|e| e.0), Some(ErrorCode::UnknownParticipant));
    assert_eq!(call.panel().controller(), Some(CITIZEN));

    // Reconnecting, the citizen keeps it; the grace over, it returns to the agent.
    call.disconnect(C, t0());
    assert_eq!(call.panel().controller(), Some(CITIZEN));
    let fx = call.tick(t0() + SignedDuration::from_secs(30));
    assert_eq!(call.panel().controller(), Some(AGENT));
    let (version, controller, by, _) = panels_to(&fx, A).pop().expect("everyone hears of it");
    assert_eq!((version, controller, by), (3, Some(AGENT), None));
    assert_eq!(panels_to(&fx, G).len(), 1);

    // Leaving, being removed or revoked: the same.
    let mut call = opened();
    call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    let fx = call.receive(C, ClientMessage::Leave, t0());
    assert_eq!(panels_to(&fx, A).pop().map(|p| p.1), Some(Some(AGENT)));
    let mut call = opened();
    call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    let fx = call.receive(A, ClientMessage::Remove { participant: CITIZEN }, t0());
    assert_eq!(panels_to(&fx, G).pop().map(|p| p.1), Some(Some(AGENT)));
    assert!(panels_to(&fx, C).is_empty(), "not to the one removed");
    let mut call = opened();
    call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    call.revoke(CITIZEN);
    assert_eq!(call.panel().controller(), Some(AGENT));

    // A citizen who had control and comes back through the lobby does not get it back.
    let mut call = opened();
    call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    call.receive(C, ClientMessage::Leave, t0());
    call.connect(106, who(CITIZEN), false, vec![]);
    call.receive(A, ClientMessage::Admit { participant: CITIZEN }, t0());
    let fx = call.receive(106, edit(call.panel().version(), json!({"step": "search"})), t0());
    assert_eq!(error_of(&fx, 106).map(|e| e.0), Some(ErrorCode::NotAllowed));

    // The agent may take it back.
    let mut call = opened();
    call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    let fx = call.receive(A, ClientMessage::PanelControl { to: AGENT }, t0());
    assert_eq!(panels_to(&fx, C).pop().map(|p| (p.1, p.2)), Some((Some(AGENT), Some(AGENT))));
    let fx = call.receive(C, edit(call.panel().version(), json!({"step": "search"})), t0());
    assert_eq!(error_of(&fx, C).map(|e| e.0), Some(ErrorCode::NotAllowed));
}

#[test]
fn without_an_agent_nobody_controls_and_a_returning_agent_takes_over() {
    let mut call = opened();
    call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    call.disconnect(A, t0());
    call.receive(C, ClientMessage::Leave, t0());
    let fx = call.tick(t0() + SignedDuration::from_secs(30));
    assert_eq!(call.panel().controller(), None, "nobody may edit while no agent is in");
    assert_eq!(panels_to(&fx, G).pop().map(|p| p.1), Some(None));
    let fx = call.connect(107, who(AGENT), false, vec![]);
    assert_eq!(call.panel().controller(), Some(AGENT));
    let to_agent = panels_to(&fx, 107);
    assert_eq!(to_agent.len(), 1, "the change, once");
    assert_eq!(to_agent[0].1, Some(AGENT));
    assert_eq!(panels_to(&fx, G).len(), 1);
}

/// What a page shows: the state of the newest `panel` it received.
fn latest(fx: &[Effect], conn: ConnId, before: PanelMsg) -> PanelMsg {
    panels_to(fx, conn).into_iter().fold(before, |shown, p| if p.0 >= shown.0 { p } else { shown })
}

#[test]
fn concurrent_edits_of_one_key_first_writer_wins_and_all_end_equal() {
    let mut call = opened();
    let fx = call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    let base = call.panel().version();
    let (mut seen_a, mut seen_c) = (latest(&fx, A, Default::default()), latest(&fx, C, Default::default()));
    // Both pick a room from the same version; the agent's edit reaches the server first.
    let first = call.receive(A, edit(base, json!({"resource_id": 12})), t0());
    let second = call.receive(C, edit(base, json!({"resource_id": 14})), t0());
    assert_eq!(error_of(&first, A), None);
    let to_citizen = sent_to(&second, C);
    assert!(
        matches!(&to_citizen[..], [ServerMessage::Error { code: ErrorCode::PanelConflict, context: Some(k), .. }, ServerMessage::Panel { .. }] if k == "resource_id"),
        "{to_citizen:?}"
    );
    assert!(panels_to(&second, A).is_empty(), "a lost edit is news to nobody else");
    assert!(events(&second).is_empty());
    for fx in [&first, &second] {
        seen_a = latest(fx, A, seen_a);
        seen_c = latest(fx, C, seen_c);
    }
    assert_eq!(seen_a, seen_c, "everyone ends with the same state and version");
    assert_eq!(seen_a.3["resource_id"], 12);
    assert_eq!(seen_a.0, base + 1);
}

#[test]
fn concurrent_edits_of_different_keys_both_apply() {
    let mut call = opened();
    call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    let base = call.panel().version();
    let first = call.receive(A, edit(base, json!({"date": "2026-12-05"})), t0());
    let second = call.receive(C, edit(base, json!({"attendees": 12})), t0());
    assert_eq!((error_of(&first, A), error_of(&second, C)), (None, None));
    let a = latest(&second, A, Default::default());
    assert_eq!(a, latest(&second, C, Default::default()));
    assert_eq!((a.0, a.3["date"].clone(), a.3["attendees"].clone()), (base + 2, json!("2026-12-05"), json!(12)));
    // Mixed: the lost key is reported, the other applies and goes to everyone.
    let third = call.receive(C, edit(base, json!({"date": "2026-12-06", "purpose": "Repetitie"})), t0());
    assert_eq!(error_of(&third, C), Some((ErrorCode::PanelConflict, Some("date".into()))));
    let a = latest(&third, A, Default::default());
    assert_eq!(a, latest(&third, C, Default::default()));
    assert_eq!((a.0, a.3["date"].clone(), a.3["purpose"].clone()), (base + 3, json!("2026-12-05"), json!("Repetitie")));
    // One's own earlier change never makes one's own edit stale.
    let fx = call.receive(C, edit(base, json!({"attendees": 14})), t0());
    assert_eq!(error_of(&fx, C), None);
    assert_eq!(call.panel().state()["attendees"], 14);
}

#[test]
fn an_edit_that_changes_nothing_keeps_the_version() {
    let mut call = opened();
    call.receive(A, edit(1, json!({"step": "search"})), t0());
    let fx = call.receive(A, edit(2, json!({"step": "search", "kind": null})), t0());
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(call.panel().version(), 2);
}

#[test]
fn the_web_layer_hears_of_edits_and_actions() {
    let mut call = opened();
    call.receive(A, ClientMessage::PanelControl { to: CITIZEN }, t0());
    let fx = call.receive(C, edit(2, json!({"resource_id": 12, "date": "2026-12-05", "step": "slot"})), t0());
    let [PanelEvent::Edited { by, role, keys, version, state }] = &events(&fx)[..] else { panic!("{fx:?}") };
    let mut keys = keys.clone();
    keys.sort();
    assert_eq!(
        (*by, *role, keys, *version),
        (CITIZEN, Role::Citizen, vec!["date".into(), "resource_id".into(), "step".into()], 3)
    );
    assert_eq!(state, call.panel().state());
    // Only the keys that changed.
    let fx = call.receive(C, edit(3, json!({"resource_id": 12, "step": "details"})), t0());
    assert!(matches!(&events(&fx)[..], [PanelEvent::Edited { keys, .. }] if keys == &["step".to_string()]));

    for action in [PanelAction::Pay { method: PayMethod::Invoice }, PanelAction::Reset] {
        let fx = call.receive(A, ClientMessage::PanelAction(action.clone()), t0());
        assert_eq!(
            events(&fx),
            [PanelEvent::Action { by: AGENT, action, version: 4, state: call.panel().state().clone() }]
        );
        assert!(sent_to(&fx, C).is_empty(), "signalling does not apply actions itself");
    }
    assert_eq!(call.panel().version(), 4);
}

#[test]
fn ending_the_call_closes_the_panel_with_its_last_state() {
    let mut call = opened();
    call.server_panel(set(json!({"hold": {"reservation_id": 88, "expires_at": "2026-12-01T10:15:00Z"}})));
    let fx = call.receive(A, ClientMessage::EndCall, t0());
    let closed = events(&fx);
    assert_eq!(closed.len(), 1);
    let PanelEvent::Closed { state } = &closed[0] else { panic!("{closed:?}") };
    assert_eq!(state["hold"]["reservation_id"], 88);
    assert_eq!(fx.last(), Some(&Effect::Ended), "closed before the call's end");
    assert!(
        call.server_panel(set(json!({"notice": null, "step": "done"}))).is_empty(),
        "an ended call takes no writes"
    );

    // An empty panel has nothing to release.
    let mut call = full_call();
    let fx = call.receive(A, ClientMessage::EndCall, t0());
    assert!(events(&fx).is_empty());

    // A vacant call the driver drops closes its panel too, once.
    let mut call = opened();
    assert!(matches!(call.close_panel(), Some(PanelEvent::Closed { state }) if state["open"] == true));
    assert_eq!(call.close_panel(), None);
    assert_eq!(call.panel().version(), 0);
}

/// Through the hub: the subscriber hears edits and the panel's end; server writes reach sockets.
#[tokio::test]
async fn the_hub_forwards_panel_events_and_server_writes() {
    use balie_media::{MediaConfig, Sfu};
    use balie_signaling::{Hub, Outbound};
    use std::time::Duration;
    use tokio::sync::mpsc;

    async fn next_panel(rx: &mut mpsc::Receiver<Outbound>) -> PanelMsg {
        loop {
            let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("a frame in time");
            match got.expect("socket open") {
                Outbound::Message(ServerMessage::Panel { version, controller, by, state }) => {
                    return (version, controller, by, state)
                }
                _ => continue,
            }
        }
    }
    async fn next_event(rx: &mut mpsc::UnboundedReceiver<(i64, PanelEvent)>) -> (i64, PanelEvent) {
        tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("an event in time").expect("subscribed")
    }

    let (sfu, events) = Sfu::start(MediaConfig::loopback()).await.expect("media server");
    let (hub, _ended) = Hub::start(sfu, events, Settings::default());
    let mut replaced = hub.subscribe_panel();
    let mut panel_events = hub.subscribe_panel();
    assert!(replaced.recv().await.is_none(), "a later subscriber replaces the earlier one");

    let call = 41;
    let (conn, mut out) = hub.connect(call, who(AGENT), false, vec![]);
    hub.receive(call, conn, edit(0, json!({"open": true})));
    assert_eq!(next_panel(&mut out).await.0, 1);
    let (id, event) = next_event(&mut panel_events).await;
    assert_eq!(id, call);
    assert!(matches!(event, PanelEvent::Edited { by: AGENT, version: 1, .. }));

    hub.panel_update(call, set(json!({"hold": {"reservation_id": 5, "expires_at": "2026-12-01T10:15:00Z"}})));
    let (version, _, by, state) = next_panel(&mut out).await;
    assert_eq!((version, by, state["hold"]["reservation_id"].clone()), (2, None, json!(5)));
    hub.panel_update(999, set(json!({"step": "done"})));
    // A guarded write that no longer fits is dropped; one that fits goes out.
    hub.panel_update_if(call, set(json!({"step": "done"})), vec![("/hold/reservation_id".into(), json!(6))]);
    hub.panel_update_if(call, set(json!({"step": "pay"})), vec![("/hold/reservation_id".into(), json!(5))]);
    let (version, _, _, state) = next_panel(&mut out).await;
    assert_eq!((version, state["step"].clone()), (3, json!("pay")), "the first, unfitting write was dropped");

    // Everyone gone: the call is dropped and its hold must be released.
    hub.receive(call, conn, ClientMessage::Leave);
    let (id, event) = next_event(&mut panel_events).await;
    assert_eq!(id, call);
    assert!(matches!(event, PanelEvent::Closed { state } if state["hold"]["reservation_id"] == 5));
    for _ in 0..100 {
        if hub.live_call_ids().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(hub.live_call_ids().is_empty());
    // An update for a call that is no longer live does nothing (and does not start it).
    hub.panel_update(call, set(json!({"step": "done"})));
    assert!(hub.live_call_ids().is_empty());
}

//! The call state machine, driven directly: no sockets, no clock.

use balie_signaling::call::{Admission, Call, ConnId, Effect, MediaCommand, Settings};
use balie_signaling::protocol::{ClientMessage, EndReason, ErrorCode, Presence, Role, ServerMessage};
use jiff::{SignedDuration, Timestamp};

const AGENT: i64 = 1;
const CITIZEN: i64 = 2;
const GUEST: i64 = 3;
// Connection ids, distinct from participant ids to catch mix-ups.
const A: ConnId = 101;
const C: ConnId = 102;
const G: ConnId = 103;

fn t0() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn who(id: i64) -> Admission {
    let (name, role) = match id {
        AGENT => ("An Peeters", Role::Agent),
        CITIZEN => ("Jan Janssens", Role::Citizen),
        _ => ("Els Maes", Role::Guest),
    };
    Admission { id, name: name.into(), role, device_check: None }
}

fn sent_to(fx: &[Effect], conn: ConnId) -> Vec<ServerMessage> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(c, m) if *c == conn => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn media(fx: &[Effect]) -> Vec<MediaCommand> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Media(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn error_code(msgs: &[ServerMessage]) -> Option<ErrorCode> {
    msgs.iter().find_map(|m| match m {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    })
}

/// Anything that reveals the call: roster, chat, lobby list, media, the booking panel.
fn reveals_the_call(m: &ServerMessage) -> bool {
    matches!(
        m,
        ServerMessage::Roster { .. }
            | ServerMessage::Panel { .. }
            | ServerMessage::Chat { .. }
            | ServerMessage::ChatHistory { .. }
            | ServerMessage::Lobby { .. }
            | ServerMessage::Offer { .. }
            | ServerMessage::Answer { .. }
            | ServerMessage::Candidate { .. }
            | ServerMessage::Admitted
    )
}

/// An agent in the call and a citizen in the lobby.
fn agent_and_waiting_citizen() -> Call {
    let mut call = Call::new(7, Settings::default());
    call.connect(A, who(AGENT), false, vec![]);
    call.connect(C, who(CITIZEN), false, vec![]);
    call
}

#[test]
fn the_agent_goes_straight_in_and_a_citizen_waits_in_the_lobby() {
    let mut call = Call::new(7, Settings::default());
    let fx = call.connect(A, who(AGENT), false, vec![]);
    let to_agent = sent_to(&fx, A);
    assert!(matches!(&to_agent[0], ServerMessage::Welcome { you, .. } if you.presence == Presence::InCall));
    assert!(to_agent.contains(&ServerMessage::Admitted));
    assert_eq!(media(&fx), [MediaCommand::Join(AGENT)]);

    let fx = call.connect(C, who(CITIZEN), false, vec![]);
    let to_citizen = sent_to(&fx, C);
    assert!(matches!(&to_citizen[0], ServerMessage::Welcome { you, .. } if you.presence == Presence::Lobby));
    assert_eq!(to_citizen[1], ServerMessage::Waiting { position: 1 });
    assert!(!to_citizen.iter().any(reveals_the_call), "{to_citizen:?}");
    assert!(media(&fx).is_empty(), "no media before admission");
    let lobby = sent_to(&fx, A);
    assert!(matches!(&lobby[..], [ServerMessage::Lobby { waiting }] if waiting.len() == 1 && waiting[0].id == CITIZEN));
}

#[test]
fn before_admission_nothing_goes_in_or_out() {
    let mut call = agent_and_waiting_citizen();
    call.connect(G, who(GUEST), false, vec![]);
    let now = t0();
    // The waiting citizen may not send media or chat into the call…
    for msg in [
        ClientMessage::Offer { sdp: "v=0".into() },
        ClientMessage::Answer { sdp: "v=0".into() },
        ClientMessage::IceRestart,
        ClientMessage::Chat { text: "hallo?".into() },
        ClientMessage::MediaState { audio: false, video: false },
        ClientMessage::ScreenShare { active: true },
    ] {
        let fx = call.receive(C, msg.clone(), now);
        assert_eq!(error_code(&sent_to(&fx, C)), Some(ErrorCode::NotAdmitted), "{msg:?}");
        assert!(media(&fx).is_empty(), "{msg:?} reached the media server");
        assert!(sent_to(&fx, A).is_empty(), "{msg:?} reached the agent");
    }
    // …nor admit themselves or others.
    let fx = call.receive(C, ClientMessage::Admit { participant: GUEST }, now);
    assert_eq!(error_code(&sent_to(&fx, C)), Some(ErrorCode::NotAllowed));
    // And receives nothing of what happens in the call.
    let fx = call.receive(A, ClientMessage::Chat { text: "Goedemorgen".into() }, now);
    assert!(sent_to(&fx, C).is_empty() && sent_to(&fx, G).is_empty());
    let fx = call.receive(A, ClientMessage::MediaState { audio: false, video: true }, now);
    assert!(sent_to(&fx, C).is_empty() && sent_to(&fx, G).is_empty());
}

#[test]
fn admission_brings_the_roster_the_chat_so_far_and_media() {
    let mut call = agent_and_waiting_citizen();
    call.connect(G, who(GUEST), false, vec![]);
    call.receive(A, ClientMessage::Chat { text: "Ik kom zo bij u.".into() }, t0());
    let fx = call.receive(A, ClientMessage::Admit { participant: CITIZEN }, t0());
    let to_citizen = sent_to(&fx, C);
    assert_eq!(to_citizen[0], ServerMessage::Admitted);
    assert!(
        matches!(&to_citizen[1], ServerMessage::ChatHistory { lines } if lines.len() == 1 && lines[0].text == "Ik kom zo bij u.")
    );
    assert!(to_citizen.iter().any(|m| matches!(m, ServerMessage::Roster { participants } if participants.len() == 2)));
    assert_eq!(media(&fx), [MediaCommand::Join(CITIZEN)]);
    // The guest moves up to first in the lobby and still sees nothing of the call.
    let to_guest = sent_to(&fx, G);
    assert_eq!(to_guest, [ServerMessage::Waiting { position: 1 }]);
    // Now the citizen's offer goes to the media server with its connection for the answer.
    let fx = call.receive(C, ClientMessage::Offer { sdp: "v=0".into() }, t0());
    assert_eq!(media(&fx), [MediaCommand::Offer { participant: CITIZEN, conn: C, sdp: "v=0".into() }]);
    // Chat reaches both admitted participants, not the guest in the lobby.
    let fx = call.receive(C, ClientMessage::Chat { text: "  Dag!  ".into() }, t0());
    for conn in [A, C] {
        assert!(
            matches!(&sent_to(&fx, conn)[..], [ServerMessage::Chat { line }] if line.text == "Dag!" && line.from == CITIZEN)
        );
    }
    assert!(sent_to(&fx, G).is_empty());
}

#[test]
fn only_the_agent_admits_denies_removes_ends_and_reads_stats() {
    let mut call = agent_and_waiting_citizen();
    call.receive(A, ClientMessage::Admit { participant: CITIZEN }, t0());
    call.connect(G, who(GUEST), false, vec![]);
    for msg in [
        ClientMessage::Admit { participant: GUEST },
        ClientMessage::Deny { participant: GUEST },
        ClientMessage::Remove { participant: AGENT },
        ClientMessage::EndCall,
        ClientMessage::GetStats,
    ] {
        let fx = call.receive(C, msg.clone(), t0());
        assert_eq!(error_code(&sent_to(&fx, C)), Some(ErrorCode::NotAllowed), "{msg:?}");
        assert!(media(&fx).is_empty());
    }
    let fx = call.receive(A, ClientMessage::Admit { participant: 999 }, t0());
    assert_eq!(error_code(&sent_to(&fx, A)), Some(ErrorCode::UnknownParticipant));
    let fx = call.receive(A, ClientMessage::GetStats, t0());
    assert_eq!(media(&fx), [MediaCommand::Stats { conn: A }]);
}

#[test]
fn a_denied_participant_is_told_and_cannot_come_back() {
    let mut call = agent_and_waiting_citizen();
    let fx = call.receive(A, ClientMessage::Deny { participant: CITIZEN }, t0());
    assert_eq!(sent_to(&fx, C), [ServerMessage::Ended { reason: EndReason::Denied }]);
    assert!(fx.contains(&Effect::Close(C)));
    assert!(matches!(&sent_to(&fx, A)[..], [ServerMessage::Lobby { waiting }] if waiting.is_empty()));
    let fx = call.connect(104, who(CITIZEN), false, vec![]);
    assert_eq!(sent_to(&fx, 104), [ServerMessage::Ended { reason: EndReason::Denied }]);
    assert!(sent_to(&fx, A).is_empty(), "the agent is not bothered again");
}

#[test]
fn removal_closes_the_socket_and_the_media() {
    let mut call = agent_and_waiting_citizen();
    call.receive(A, ClientMessage::Admit { participant: CITIZEN }, t0());
    let fx = call.receive(A, ClientMessage::Remove { participant: CITIZEN }, t0());
    assert_eq!(sent_to(&fx, C), [ServerMessage::Ended { reason: EndReason::Removed }]);
    assert_eq!(media(&fx), [MediaCommand::Leave(CITIZEN)]);
    assert!(matches!(&sent_to(&fx, A)[..], [ServerMessage::Roster { participants }] if participants.len() == 1));
}

#[test]
fn a_dropped_socket_rejoins_within_the_grace_without_the_lobby() {
    let mut call = agent_and_waiting_citizen();
    call.receive(A, ClientMessage::Admit { participant: CITIZEN }, t0());
    let fx = call.disconnect(C, t0());
    assert!(matches!(&sent_to(&fx, A)[..], [ServerMessage::Roster { participants }]
        if participants.iter().any(|p| p.id == CITIZEN && p.presence == Presence::Reconnecting)));
    assert_eq!(call.next_deadline(), Some(t0() + SignedDuration::from_secs(30)));
    assert!(call.tick(t0() + SignedDuration::from_secs(29)).is_empty());

    // Same page, peer connection still alive: straight back in, media untouched.
    let fx = call.connect(105, who(CITIZEN), true, vec![]);
    let to_citizen = sent_to(&fx, 105);
    assert!(to_citizen.contains(&ServerMessage::Admitted));
    assert!(!to_citizen.iter().any(|m| matches!(m, ServerMessage::Waiting { .. })));
    assert!(media(&fx).is_empty());
    assert_eq!(call.next_deadline(), None);

    // A new page (new peer connection): straight in too, with a fresh media peer.
    call.disconnect(105, t0());
    let fx = call.connect(106, who(CITIZEN), false, vec![]);
    assert_eq!(media(&fx), [MediaCommand::Leave(CITIZEN), MediaCommand::Join(CITIZEN)]);
}

#[test]
fn after_the_grace_a_dropped_participant_is_gone_and_queues_again() {
    let mut call = agent_and_waiting_citizen();
    call.receive(A, ClientMessage::Admit { participant: CITIZEN }, t0());
    call.disconnect(C, t0());
    let fx = call.tick(t0() + SignedDuration::from_secs(30));
    assert_eq!(media(&fx), [MediaCommand::Leave(CITIZEN)]);
    assert!(matches!(&sent_to(&fx, A)[..], [ServerMessage::Roster { participants }] if participants.len() == 1));
    let fx = call.connect(107, who(CITIZEN), false, vec![]);
    assert!(sent_to(&fx, 107).contains(&ServerMessage::Waiting { position: 1 }));
    assert!(media(&fx).is_empty());
    assert!(!call.is_vacant());
    call.disconnect(107, t0());
    call.receive(A, ClientMessage::Leave, t0());
    assert!(call.is_vacant(), "everyone left");
}

#[test]
fn leaving_the_lobby_takes_you_off_the_list() {
    let mut call = agent_and_waiting_citizen();
    call.connect(G, who(GUEST), false, vec![]);
    let fx = call.disconnect(C, t0());
    assert_eq!(sent_to(&fx, G), [ServerMessage::Waiting { position: 1 }]);
    assert!(
        matches!(&sent_to(&fx, A)[..], [ServerMessage::Lobby { waiting }] if waiting.len() == 1 && waiting[0].id == GUEST)
    );
}

#[test]
fn a_second_tab_replaces_the_first() {
    let mut call = agent_and_waiting_citizen();
    let fx = call.connect(108, who(CITIZEN), false, vec![]);
    assert_eq!(sent_to(&fx, C), [ServerMessage::Ended { reason: EndReason::Replaced }]);
    assert!(fx.contains(&Effect::Close(C)));
    assert!(sent_to(&fx, 108).contains(&ServerMessage::Waiting { position: 1 }));
    // The old socket's later close does not take the participant out.
    assert!(call.disconnect(C, t0()).is_empty());
}

#[test]
fn end_for_all_closes_everything_and_refuses_later_joins() {
    let mut call = agent_and_waiting_citizen();
    call.receive(A, ClientMessage::Chat { text: "tot ziens".into() }, t0());
    call.connect(G, who(GUEST), false, vec![]);
    call.receive(A, ClientMessage::Admit { participant: GUEST }, t0());
    let fx = call.receive(A, ClientMessage::EndCall, t0());
    for conn in [A, C, G] {
        assert_eq!(sent_to(&fx, conn), [ServerMessage::Ended { reason: EndReason::EndedByAgent }], "{conn}");
        assert!(fx.contains(&Effect::Close(conn)));
    }
    assert!(media(&fx).contains(&MediaCommand::EndCall));
    assert_eq!(fx.last(), Some(&Effect::Ended));
    assert!(call.is_ended());
    let fx = call.connect(109, who(AGENT), false, vec![]);
    assert_eq!(error_code(&sent_to(&fx, 109)), Some(ErrorCode::CallEnded));
}

#[test]
fn a_full_call_refuses_one_more() {
    let mut call = Call::new(7, Settings { max_participants: 2, ..Settings::default() });
    call.connect(A, who(AGENT), false, vec![]);
    call.connect(C, who(CITIZEN), false, vec![]);
    let fx = call.connect(G, who(GUEST), false, vec![]);
    assert_eq!(error_code(&sent_to(&fx, G)), Some(ErrorCode::CallFull));
    assert!(fx.contains(&Effect::Close(G)));
    assert!(sent_to(&fx, A).is_empty());
}

#[test]
fn chat_limits_and_unknown_sockets() {
    let mut call = agent_and_waiting_citizen();
    let fx = call.receive(A, ClientMessage::Chat { text: "   ".into() }, t0());
    assert_eq!(error_code(&sent_to(&fx, A)), Some(ErrorCode::Malformed));
    let fx = call.receive(A, ClientMessage::Chat { text: "x".repeat(2001) }, t0());
    assert_eq!(error_code(&sent_to(&fx, A)), Some(ErrorCode::TooLarge));
    let fx = call.receive(A, ClientMessage::Join { v: 1, token: "t".into(), resume: false, device_check: None }, t0());
    assert_eq!(error_code(&sent_to(&fx, A)), Some(ErrorCode::JoinFirst));
    assert!(call.receive(999, ClientMessage::Ping, t0()).is_empty(), "a socket the call does not know gets nothing");
    assert_eq!(sent_to(&call.receive(A, ClientMessage::Ping, t0()), A), [ServerMessage::Pong]);
}

#[test]
fn a_revoked_link_takes_the_participant_out_and_keeps_them_out() {
    let mut call = agent_and_waiting_citizen();
    call.receive(A, ClientMessage::Admit { participant: CITIZEN }, t0());
    let fx = call.revoke(CITIZEN);
    assert_eq!(sent_to(&fx, C), [ServerMessage::Ended { reason: EndReason::Removed }]);
    assert_eq!(media(&fx), [MediaCommand::Leave(CITIZEN)]);
    let fx = call.revoke(GUEST);
    assert!(fx.is_empty(), "the guest never joined");
    let fx = call.connect(G, who(GUEST), false, vec![]);
    assert_eq!(sent_to(&fx, G), [ServerMessage::Ended { reason: EndReason::Removed }]);
}

#[test]
fn the_agent_sees_a_waiting_citizens_device_check_in_the_lobby() {
    use balie_signaling::protocol::{DeviceCheck, DeviceStatus};
    let check =
        DeviceCheck { camera: DeviceStatus::Denied, microphone: DeviceStatus::Ok, speaker: DeviceStatus::Untested };
    let mut call = Call::new(7, Settings::default());
    call.connect(A, who(AGENT), false, vec![]);
    let fx = call.connect(C, Admission { device_check: Some(check), ..who(CITIZEN) }, false, vec![]);
    let lobby = sent_to(&fx, A)
        .into_iter()
        .find_map(|m| match m {
            ServerMessage::Lobby { waiting } => Some(waiting),
            _ => None,
        })
        .expect("the agent gets the lobby");
    assert_eq!(lobby.len(), 1);
    assert_eq!(lobby[0].device_check, Some(check), "what the citizen's check found");
    // On the wire, in the JSON the agent's page reads.
    let json = serde_json::to_value(ServerMessage::Lobby { waiting: lobby }).unwrap();
    assert_eq!(json["waiting"][0]["device_check"]["camera"], "denied");
    // A join without a check (an older page) still parses, and shows none.
    let join: ClientMessage = serde_json::from_str(r#"{"type":"join","v":1,"token":"t"}"#).unwrap();
    assert!(matches!(join, ClientMessage::Join { device_check: None, .. }));
    let join: ClientMessage = serde_json::from_str(
        r#"{"type":"join","v":1,"token":"t","device_check":{"camera":"ok","microphone":"in_use","speaker":"ok"}}"#,
    )
    .unwrap();
    assert!(matches!(
        join,
        ClientMessage::Join { device_check: Some(DeviceCheck { microphone: DeviceStatus::InUse, .. }), .. }
    ));
}

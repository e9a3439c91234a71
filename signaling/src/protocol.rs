//! The WebSocket protocol, version 1: JSON text frames, one message per frame, tagged by `type`.
//! docs/signaling.md describes every message with examples; this file is the source of truth.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The protocol version a client names in `join`. A breaking change gets a new number; the server
/// refuses versions it does not speak with `unsupported_version`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;

pub type ParticipantId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The civil servant who hosts the call.
    Agent,
    Citizen,
    /// A third party: family member, caregiver, interpreter, professional.
    Guest,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Citizen => "citizen",
            Role::Guest => "guest",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "agent" => Some(Role::Agent),
            "citizen" => Some(Role::Citizen),
            "guest" => Some(Role::Guest),
            _ => None,
        }
    }
}

/// An ICE candidate as the browser's `RTCIceCandidate.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub candidate: String,
    #[serde(rename = "sdpMid", default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(rename = "sdpMLineIndex", default, skip_serializing_if = "Option::is_none")]
    pub sdp_m_line_index: Option<u16>,
}

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// First message on a socket: the participant's personal token from their link. `resume`:
    /// this page still has its peer connection from before the socket dropped.
    Join {
        v: u32,
        token: String,
        #[serde(default)]
        resume: bool,
        /// What the page's camera/microphone/speaker check found, shown to the agent in the
        /// lobby so they know before admitting whether they will see and hear this person.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_check: Option<DeviceCheck>,
    },
    /// Agent only: let a participant in from the lobby.
    Admit {
        participant: ParticipantId,
    },
    /// Agent only: refuse a participant waiting in the lobby.
    Deny {
        participant: ParticipantId,
    },
    /// Agent only: take an admitted participant out of the call.
    Remove {
        participant: ParticipantId,
    },
    /// SDP offer from the client (publishing, or its own renegotiation).
    Offer {
        sdp: String,
    },
    /// SDP answer to a server offer.
    Answer {
        sdp: String,
    },
    /// Trickle ICE.
    Candidate {
        candidate: Candidate,
    },
    /// The client's network changed: the server sends an offer with new ICE credentials.
    IceRestart,
    /// Microphone and camera state, for the other participants' tiles.
    MediaState {
        audio: bool,
        video: bool,
    },
    ScreenShare {
        active: bool,
    },
    Chat {
        text: String,
    },
    /// Agent only: the SFU's per-participant statistics.
    GetStats,
    Leave,
    /// Agent only: end the call for everyone.
    EndCall,
    /// Keep-alive; answered with `pong`.
    Ping,
    /// Change keys of the shared booking panel (docs/panel.md). `base`: the panel version the
    /// page's state was at; `set`: key → new value, `null` removes the key.
    PanelEdit {
        base: u64,
        set: Map<String, Value>,
    },
    /// Agent only: who may edit the panel besides the agent (the agent, or an admitted citizen).
    PanelControl {
        to: ParticipantId,
    },
    /// Agent only: a panel action the web layer carries out (payment, reset).
    PanelAction(PanelAction),
}

/// What the agent asks of the panel; signalling passes it on to the web layer, which answers by
/// writing server keys (`payment`, `hold`, …) into the panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum PanelAction {
    /// Start the payment of the held slot (needs a hold and a confirmed identity).
    Pay { method: PayMethod },
    /// Release the hold and empty the panel, keeping it open.
    Reset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayMethod {
    /// The payment provider's checkout page (a QR code for a phone).
    Online,
    /// An invoice with a structured communication; the reservation is confirmed at once.
    Invoice,
}

impl ClientMessage {
    /// The `type` tag, for error messages that say which request failed.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMessage::Join { .. } => "join",
            ClientMessage::Admit { .. } => "admit",
            ClientMessage::Deny { .. } => "deny",
            ClientMessage::Remove { .. } => "remove",
            ClientMessage::Offer { .. } => "offer",
            ClientMessage::Answer { .. } => "answer",
            ClientMessage::Candidate { .. } => "candidate",
            ClientMessage::IceRestart => "ice_restart",
            ClientMessage::MediaState { .. } => "media_state",
            ClientMessage::ScreenShare { .. } => "screen_share",
            ClientMessage::Chat { .. } => "chat",
            ClientMessage::GetStats => "get_stats",
            ClientMessage::Leave => "leave",
            ClientMessage::EndCall => "end_call",
            ClientMessage::Ping => "ping",
            ClientMessage::PanelEdit { .. } => "panel_edit",
            ClientMessage::PanelControl { .. } => "panel_control",
            ClientMessage::PanelAction(_) => "panel_action",
        }
    }
}

/// The outcome of the device check a participant did before joining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCheck {
    pub camera: DeviceStatus,
    pub microphone: DeviceStatus,
    pub speaker: DeviceStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Works (a picture, a moving level meter, or the person heard the test sound).
    Ok,
    /// The browser or the person refused access.
    Denied,
    /// No such device found.
    Missing,
    /// Another application holds the device.
    InUse,
    /// The browser cannot do it (old browser, page not on https).
    Unsupported,
    /// The person chose to join without it.
    Skipped,
    /// Not tested (e.g. the speaker test was not played).
    Untested,
    /// Some other failure.
    Failed,
}

/// A participant as others see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantView {
    pub id: ParticipantId,
    pub name: String,
    pub role: Role,
    /// `lobby`, `in_call` or `reconnecting`.
    pub presence: Presence,
    pub audio: bool,
    pub video: bool,
    pub screen_share: bool,
    /// The participant's device check, if their page did one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_check: Option<DeviceCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Lobby,
    InCall,
    Reconnecting,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatLine {
    pub from: ParticipantId,
    pub name: String,
    pub text: String,
    /// RFC 3339 instant (UTC).
    pub at: String,
}

/// STUN/TURN servers as `RTCIceServer` takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Why a call ended for this participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The agent ended the call for everyone.
    EndedByAgent,
    /// The agent refused entry from the lobby.
    Denied,
    /// The agent took the participant out of the call.
    Removed,
    /// The participant left.
    Left,
    /// The same participant joined from another tab or device.
    Replaced,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Answer to `join`: who you are, and whether you wait in the lobby or are in.
    Welcome {
        v: u32,
        call: i64,
        you: ParticipantView,
        ice_servers: Vec<IceServer>,
    },
    /// To a participant in the lobby: wait; `position` counts from 1.
    Waiting {
        position: usize,
    },
    /// To agents: who waits in the lobby.
    Lobby {
        waiting: Vec<ParticipantView>,
    },
    /// You are in: start publishing (send an offer).
    Admitted,
    /// Everyone in the call; sent to admitted participants on every change.
    Roster {
        participants: Vec<ParticipantView>,
    },
    Offer {
        sdp: String,
    },
    Answer {
        sdp: String,
    },
    Candidate {
        candidate: Candidate,
    },
    Chat {
        line: ChatLine,
    },
    /// The chat so far, on admission.
    ChatHistory {
        lines: Vec<ChatLine>,
    },
    Stats {
        peers: serde_json::Value,
    },
    /// The call is over for you; the socket closes after this.
    Ended {
        reason: EndReason,
    },
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        re: Option<String>,
        /// What in the request was wrong, for the page to point at: the panel key(s) of a refused
        /// or lost `panel_edit`, comma-separated.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<String>,
    },
    Pong,
    /// The shared booking panel, whole, to every admitted participant on every change and on
    /// admission (docs/panel.md). `by`: who made the change, `null` for the server.
    Panel {
        version: u64,
        controller: Option<ParticipantId>,
        by: Option<ParticipantId>,
        state: Map<String, Value>,
    },
}

/// Machine-readable error codes. Clients switch on these; `message` is for people and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not a protocol message (bad JSON, unknown type, missing field).
    Malformed,
    /// The frame is larger than the limit.
    TooLarge,
    /// More messages than the per-connection rate allows; this one was dropped.
    RateLimited,
    UnsupportedVersion,
    /// The first message must be `join`; or `join` sent twice.
    JoinFirst,
    TokenUnknown,
    TokenRevoked,
    /// The link is valid from a later time (it opens shortly before the appointment).
    TokenNotYetValid,
    TokenExpired,
    CallEnded,
    CallFull,
    /// Only the agent may do this.
    NotAllowed,
    /// Only admitted participants may do this (media, chat, roster).
    NotAdmitted,
    UnknownParticipant,
    /// The media server refused the SDP or candidate.
    Media,
    /// Some keys of a `panel_edit` lost to a change made since its `base` (`context` names them);
    /// the current `panel` follows.
    PanelConflict,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::JoinFirst => "join_first",
            ErrorCode::TokenUnknown => "token_unknown",
            ErrorCode::TokenRevoked => "token_revoked",
            ErrorCode::TokenNotYetValid => "token_not_yet_valid",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::CallEnded => "call_ended",
            ErrorCode::CallFull => "call_full",
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::NotAdmitted => "not_admitted",
            ErrorCode::UnknownParticipant => "unknown_participant",
            ErrorCode::Media => "media",
            ErrorCode::PanelConflict => "panel_conflict",
            ErrorCode::Internal => "internal",
        }
    }
}

impl ServerMessage {
    pub fn error(code: ErrorCode, message: impl Into<String>, re: Option<&str>) -> ServerMessage {
        ServerMessage::Error { code, message: message.into(), re: re.map(str::to_string), context: None }
    }

    /// An error that also names what in the request was wrong (e.g. a panel key).
    pub fn error_in(
        code: ErrorCode,
        message: impl Into<String>,
        re: Option<&str>,
        context: impl Into<String>,
    ) -> ServerMessage {
        ServerMessage::Error {
            code,
            message: message.into(),
            re: re.map(str::to_string),
            context: Some(context.into()),
        }
    }
}

/// Parses one text frame. The error text names what is wrong, for the `malformed` reply.
pub fn parse(frame: &str) -> Result<ClientMessage, String> {
    serde_json::from_str(frame).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_tagged_snake_case() {
        let m = parse(r#"{"type":"join","v":1,"token":"abc"}"#).unwrap();
        assert_eq!(m, ClientMessage::Join { v: 1, token: "abc".into(), resume: false, device_check: None });
        assert_eq!(parse(r#"{"type":"ice_restart"}"#).unwrap(), ClientMessage::IceRestart);
        let out = serde_json::to_string(&ServerMessage::Waiting { position: 2 }).unwrap();
        assert_eq!(out, r#"{"type":"waiting","position":2}"#);
        let err = serde_json::to_value(ServerMessage::error(ErrorCode::NotAdmitted, "wait", Some("chat"))).unwrap();
        assert_eq!(err["code"], "not_admitted");
        assert_eq!(err["re"], "chat");
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        for bad in [
            "",
            "{",
            "[]",
            "null",
            r#"{"type":"nope"}"#,
            r#"{"type":"admit"}"#,
            r#"{"type":"admit","participant":"x"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad} parsed");
        }
        // (serde cannot refuse extra fields on the field-less messages such as `ping`.)
        assert!(parse(r#"{"type":"chat","text":"hi","extra":1}"#).is_err(), "unknown fields are refused");
    }

    #[test]
    fn candidate_uses_the_browser_field_names() {
        let m = parse(r#"{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}"#)
            .unwrap();
        let ClientMessage::Candidate { candidate } = m else { panic!("not a candidate") };
        assert_eq!(candidate.sdp_mid.as_deref(), Some("0"));
        assert_eq!(candidate.sdp_m_line_index, Some(0));
    }

    #[test]
    fn error_codes_match_their_wire_names() {
        for code in [
            ErrorCode::Malformed,
            ErrorCode::TokenNotYetValid,
            ErrorCode::CallFull,
            ErrorCode::PanelConflict,
            ErrorCode::Internal,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn panel_messages_on_the_wire() {
        let m = parse(r#"{"type":"panel_edit","base":7,"set":{"resource_id":12,"slot":null}}"#).unwrap();
        let ClientMessage::PanelEdit { base, set } = m else { panic!("not a panel_edit") };
        assert_eq!(base, 7);
        assert_eq!(set.get("slot"), Some(&Value::Null), "null is kept: it removes the key");
        assert_eq!(parse(r#"{"type":"panel_control","to":31}"#).unwrap(), ClientMessage::PanelControl { to: 31 });
        assert_eq!(
            parse(r#"{"type":"panel_action","action":"pay","method":"invoice"}"#).unwrap(),
            ClientMessage::PanelAction(PanelAction::Pay { method: PayMethod::Invoice })
        );
        assert_eq!(
            parse(r#"{"type":"panel_action","action":"reset"}"#).unwrap(),
            ClientMessage::PanelAction(PanelAction::Reset)
        );
        for bad in [
            r#"{"type":"panel_edit","base":-1,"set":{}}"#,
            r#"{"type":"panel_edit","set":{}}"#,
            r#"{"type":"panel_edit","base":1,"set":[]}"#,
            r#"{"type":"panel_edit","base":1,"set":{},"extra":1}"#,
            r#"{"type":"panel_control","to":"31"}"#,
            r#"{"type":"panel_action","action":"pay"}"#,
            r#"{"type":"panel_action","action":"pay","method":"cash"}"#,
            r#"{"type":"panel_action","action":"pay","method":"online","amount":1}"#,
            r#"{"type":"panel_action","action":"refund"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad} parsed");
        }
        let out = serde_json::to_value(ServerMessage::Panel {
            version: 3,
            controller: Some(31),
            by: None,
            state: Map::from_iter([("open".to_string(), Value::Bool(true))]),
        })
        .unwrap();
        assert_eq!(
            out,
            serde_json::json!({"type": "panel", "version": 3, "controller": 31, "by": null, "state": {"open": true}})
        );
        let err = serde_json::to_value(ServerMessage::error_in(
            ErrorCode::PanelConflict,
            "lost",
            Some("panel_edit"),
            "step,date",
        ))
        .unwrap();
        assert_eq!(err["code"], "panel_conflict");
        assert_eq!(err["context"], "step,date");
        let plain = serde_json::to_value(ServerMessage::error(ErrorCode::Malformed, "x", None)).unwrap();
        assert!(plain.get("context").is_none(), "no context, no field");
    }
}

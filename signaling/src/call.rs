//! The call state machine: who is in the lobby, who is in the call, who may do what. Pure: no IO,
//! no clock (every input carries `now`); it returns [`Effect`]s that the driver carries out.
//!
//! The rule that matters most for privacy: a participant who has not been admitted receives
//! nothing about the call (no roster, no chat, no media, no panel) and may send nothing into it.
//!
//! The call also holds the shared booking panel ([`Panel`], docs/panel.md): it routes
//! `panel_*` messages, keeps the controller in the call and tells the web layer what happened
//! through [`Effect::Panel`].

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use crate::panel::{Panel, PanelEvent};
use crate::protocol::{
    Candidate, ChatLine, ClientMessage, DeviceCheck, EndReason, ErrorCode, IceServer, ParticipantId, ParticipantView,
    Presence, Role, ServerMessage, MAX_CHAT_CHARS, PROTOCOL_VERSION,
};

/// One WebSocket connection, numbered by the driver.
pub type ConnId = u64;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Most participants in one call, lobby included.
    pub max_participants: usize,
    /// How long an admitted participant whose socket dropped keeps their place.
    pub reconnect_grace: SignedDuration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { max_participants: 8, reconnect_grace: SignedDuration::from_secs(30) }
    }
}

/// A participant whose token the web layer has verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub id: ParticipantId,
    pub name: String,
    pub role: Role,
    pub device_check: Option<DeviceCheck>,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(ConnId, ServerMessage),
    /// Close the socket once what was sent before has gone out.
    Close(ConnId),
    Media(MediaCommand),
    /// The call is over: the driver records it and drops the call's state.
    Ended,
    /// For the web layer: a panel edit, an agent's panel action, or the panel's end.
    Panel(PanelEvent),
}

/// Work for the media server. Replies (an SDP answer, or an error) go to `conn`.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaCommand {
    Join(ParticipantId),
    Offer { participant: ParticipantId, conn: ConnId, sdp: String },
    Answer { participant: ParticipantId, conn: ConnId, sdp: String },
    Candidate { participant: ParticipantId, conn: ConnId, candidate: Candidate },
    RestartIce { participant: ParticipantId, conn: ConnId },
    Leave(ParticipantId),
    EndCall,
    Stats { conn: ConnId },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting to be admitted; `seq` orders the queue.
    Lobby {
        seq: u64,
    },
    InCall,
    /// Admitted, socket gone since `since`; back in without the lobby until the grace ends.
    Reconnecting {
        since: Timestamp,
    },
    Gone(EndReason),
}

#[derive(Debug, Clone)]
struct Member {
    who: Admission,
    conn: Option<ConnId>,
    state: State,
    audio: bool,
    video: bool,
    screen_share: bool,
}

impl Member {
    fn admitted(&self) -> bool {
        matches!(self.state, State::InCall | State::Reconnecting { .. })
    }

    fn view(&self) -> ParticipantView {
        ParticipantView {
            id: self.who.id,
            name: self.who.name.clone(),
            role: self.who.role,
            presence: match self.state {
                State::Lobby { .. } => Presence::Lobby,
                State::Reconnecting { .. } => Presence::Reconnecting,
                State::InCall | State::Gone(_) => Presence::InCall,
            },
            audio: self.audio,
            video: self.video,
            screen_share: self.screen_share,
            device_check: self.who.device_check,
        }
    }
}

#[derive(Debug)]
pub struct Call {
    id: i64,
    settings: Settings,
    members: BTreeMap<ParticipantId, Member>,
    conns: HashMap<ConnId, ParticipantId>,
    chat: Vec<ChatLine>,
    panel: Panel,
    next_seq: u64,
    ended: bool,
}

impl Call {
    pub fn new(id: i64, settings: Settings) -> Call {
        Call {
            id,
            settings,
            members: BTreeMap::new(),
            conns: HashMap::new(),
            chat: Vec::new(),
            panel: Panel::new(),
            next_seq: 0,
            ended: false,
        }
    }

    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Nobody is connected, waiting or reconnecting: the driver may drop the call's state (chat
    /// included) and start afresh if someone joins again.
    pub fn is_vacant(&self) -> bool {
        self.conns.is_empty() && self.members.values().all(|m| matches!(m.state, State::Gone(_)))
    }

    /// When [`Call::tick`] next has something to do: the earliest end of a reconnect grace.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.members
            .values()
            .filter_map(|m| match m.state {
                State::Reconnecting { since } => Some(since + self.settings.reconnect_grace),
                _ => None,
            })
            .min()
    }

    /// A socket whose `join` the web layer verified. `resume` means the client still has its
    /// peer connection from before the socket dropped, so the media server keeps its side too.
    pub fn connect(&mut self, conn: ConnId, who: Admission, resume: bool, ice_servers: Vec<IceServer>) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.ended {
            fx.push(Effect::Send(
                conn,
                ServerMessage::error(ErrorCode::CallEnded, "this call has ended", Some("join")),
            ));
            fx.push(Effect::Close(conn));
            return fx;
        }
        let id = who.id;
        let previous = self.members.get(&id).map(|m| (m.state, m.conn));
        match previous {
            Some((State::Gone(reason @ (EndReason::Denied | EndReason::Removed)), _)) => {
                fx.push(Effect::Send(conn, ServerMessage::Ended { reason }));
                fx.push(Effect::Close(conn));
                return fx;
            }
            Some((state, old_conn)) if !matches!(state, State::Gone(_)) => {
                if let Some(old) = old_conn {
                    self.conns.remove(&old);
                    fx.push(Effect::Send(old, ServerMessage::Ended { reason: EndReason::Replaced }));
                    fx.push(Effect::Close(old));
                }
                let member = self.members.get_mut(&id).expect("present");
                member.conn = Some(conn);
                member.who = who;
                self.conns.insert(conn, id);
                if member.admitted() {
                    member.state = State::InCall;
                    fx.push(self.welcome(id, ice_servers));
                    fx.push(Effect::Send(conn, ServerMessage::Admitted));
                    fx.push(Effect::Send(conn, ServerMessage::ChatHistory { lines: self.chat.clone() }));
                    // Still admitted, so the controller did not change: just the panel as it is.
                    if self.panel.version() > 0 {
                        fx.push(Effect::Send(conn, self.panel.message()));
                    }
                    if !resume {
                        // A new page has a new peer connection: give it a fresh one server-side.
                        fx.push(Effect::Media(MediaCommand::Leave(id)));
                        fx.push(Effect::Media(MediaCommand::Join(id)));
                    }
                    self.roster(&mut fx);
                    self.lobby_to_agents(&mut fx);
                } else {
                    fx.push(self.welcome(id, ice_servers));
                    self.positions(&mut fx);
                }
                return fx;
            }
            _ => {}
        }
        let present = self.members.values().filter(|m| !matches!(m.state, State::Gone(_))).count();
        if present >= self.settings.max_participants {
            let msg = format!("this call already has {present} participants, the most it allows");
            fx.push(Effect::Send(conn, ServerMessage::error(ErrorCode::CallFull, msg, Some("join"))));
            fx.push(Effect::Close(conn));
            return fx;
        }
        let state = if who.role == Role::Agent {
            State::InCall
        } else {
            self.next_seq += 1;
            State::Lobby { seq: self.next_seq }
        };
        self.members.insert(id, Member { who, conn: Some(conn), state, audio: true, video: true, screen_share: false });
        self.conns.insert(conn, id);
        fx.push(self.welcome(id, ice_servers));
        if state == State::InCall {
            self.admit_effects(id, &mut fx);
        } else {
            self.positions(&mut fx);
            self.lobby_to_agents(&mut fx);
        }
        fx
    }

    /// A message from a connected socket.
    pub fn receive(&mut self, conn: ConnId, msg: ClientMessage, now: Timestamp) -> Vec<Effect> {
        let mut fx = Vec::new();
        let Some(&me) = self.conns.get(&conn) else { return fx };
        let kind = msg.kind();
        let refuse = |fx: &mut Vec<Effect>, code: ErrorCode, text: &str| {
            fx.push(Effect::Send(conn, ServerMessage::error(code, text, Some(kind))));
        };
        let member = &self.members[&me];
        let is_agent = member.who.role == Role::Agent && member.admitted();
        let admitted = member.admitted();
        match msg {
            ClientMessage::Join { .. } => refuse(&mut fx, ErrorCode::JoinFirst, "this socket has already joined"),
            ClientMessage::Ping => fx.push(Effect::Send(conn, ServerMessage::Pong)),
            ClientMessage::Leave => self.leave(me, EndReason::Left, &mut fx),
            ClientMessage::Admit { .. }
            | ClientMessage::Deny { .. }
            | ClientMessage::Remove { .. }
            | ClientMessage::GetStats
            | ClientMessage::EndCall
            | ClientMessage::PanelControl { .. }
            | ClientMessage::PanelAction(_)
                if !is_agent =>
            {
                refuse(&mut fx, ErrorCode::NotAllowed, "only the civil servant hosting the call may do this")
            }
            _ if !admitted => refuse(&mut fx, ErrorCode::NotAdmitted, "wait until the civil servant lets you in"),
            ClientMessage::Admit { participant } => match self.members.get(&participant).map(|m| m.state) {
                Some(State::Lobby { .. }) => {
                    self.admit_effects(participant, &mut fx);
                    self.positions(&mut fx);
                }
                _ => refuse(&mut fx, ErrorCode::UnknownParticipant, "nobody with that id waits in the lobby"),
            },
            ClientMessage::Deny { participant } => match self.members.get(&participant).map(|m| m.state) {
                Some(State::Lobby { .. }) => self.leave(participant, EndReason::Denied, &mut fx),
                _ => refuse(&mut fx, ErrorCode::UnknownParticipant, "nobody with that id waits in the lobby"),
            },
            ClientMessage::Remove { participant } => match self.members.get(&participant) {
                Some(m) if m.admitted() && participant != me => self.leave(participant, EndReason::Removed, &mut fx),
                _ => refuse(&mut fx, ErrorCode::UnknownParticipant, "nobody else with that id is in the call"),
            },
            ClientMessage::Offer { sdp } => {
                fx.push(Effect::Media(MediaCommand::Offer { participant: me, conn, sdp }));
            }
            ClientMessage::Answer { sdp } => {
                fx.push(Effect::Media(MediaCommand::Answer { participant: me, conn, sdp }));
            }
            ClientMessage::Candidate { candidate } => {
                fx.push(Effect::Media(MediaCommand::Candidate { participant: me, conn, candidate }));
            }
            ClientMessage::IceRestart => fx.push(Effect::Media(MediaCommand::RestartIce { participant: me, conn })),
            ClientMessage::MediaState { audio, video } => {
                let m = self.members.get_mut(&me).expect("present");
                (m.audio, m.video) = (audio, video);
                self.roster(&mut fx);
            }
            ClientMessage::ScreenShare { active } => {
                self.members.get_mut(&me).expect("present").screen_share = active;
                self.roster(&mut fx);
            }
            ClientMessage::Chat { text } => {
                let text = text.trim();
                if text.is_empty() {
                    refuse(&mut fx, ErrorCode::Malformed, "a chat message cannot be empty");
                } else if text.chars().count() > MAX_CHAT_CHARS {
                    refuse(
                        &mut fx,
                        ErrorCode::TooLarge,
                        &format!("a chat message has at most {MAX_CHAT_CHARS} characters"),
                    );
                } else {
                    let line = ChatLine {
                        from: me,
                        name: self.members[&me].who.name.clone(),
                        text: text.to_string(),
                        at: now.to_string(),
                    };
                    self.chat.push(line.clone());
                    self.to_admitted(&mut fx, ServerMessage::Chat { line });
                }
            }
            ClientMessage::GetStats => fx.push(Effect::Media(MediaCommand::Stats { conn })),
            ClientMessage::PanelEdit { base, set } => self.panel_edit(me, conn, base, set, &mut fx),
            ClientMessage::PanelControl { to } => {
                let target = self.members.get(&to).filter(|m| m.admitted()).map(|m| m.who.role);
                match target {
                    _ if to == me => self.hand_panel(to, me, &mut fx),
                    Some(Role::Citizen) => self.hand_panel(to, me, &mut fx),
                    Some(_) => {
                        refuse(&mut fx, ErrorCode::NotAllowed, "the panel goes to yourself or a citizen in the call")
                    }
                    None => refuse(&mut fx, ErrorCode::UnknownParticipant, "nobody with that id is in the call"),
                }
            }
            ClientMessage::PanelAction(action) => {
                let (version, state) = (self.panel.version(), self.panel.state().clone());
                fx.push(Effect::Panel(PanelEvent::Action { by: me, action, version, state }));
            }
            ClientMessage::EndCall => {
                for m in self.members.values_mut() {
                    if let Some(c) = m.conn.take() {
                        fx.push(Effect::Send(c, ServerMessage::Ended { reason: EndReason::EndedByAgent }));
                        fx.push(Effect::Close(c));
                    }
                    m.state = State::Gone(EndReason::EndedByAgent);
                }
                self.conns.clear();
                self.chat.clear();
                self.ended = true;
                if let Some(closed) = self.panel.close() {
                    fx.push(Effect::Panel(closed));
                }
                fx.push(Effect::Media(MediaCommand::EndCall));
                fx.push(Effect::Ended);
            }
        }
        fx
    }

    /// A socket closed (network, tab closed). Admitted participants keep their place for the
    /// grace period; someone waiting in the lobby leaves it.
    pub fn disconnect(&mut self, conn: ConnId, now: Timestamp) -> Vec<Effect> {
        let mut fx = Vec::new();
        let Some(id) = self.conns.remove(&conn) else { return fx };
        let member = self.members.get_mut(&id).expect("present");
        member.conn = None;
        match member.state {
            State::InCall => {
                member.state = State::Reconnecting { since: now };
                self.roster(&mut fx);
            }
            State::Lobby { .. } => {
                member.state = State::Gone(EndReason::Left);
                self.positions(&mut fx);
                self.lobby_to_agents(&mut fx);
            }
            State::Reconnecting { .. } | State::Gone(_) => {}
        }
        fx
    }

    /// The participant's link was revoked: out of the lobby or the call, and kept out.
    pub fn revoke(&mut self, participant: ParticipantId) -> Vec<Effect> {
        let mut fx = Vec::new();
        match self.members.get(&participant).map(|m| m.state) {
            Some(State::Gone(_)) => {}
            Some(_) => self.leave(participant, EndReason::Removed, &mut fx),
            None => {
                // Never joined: remember, so a join racing the revocation is refused too.
                let who = Admission { id: participant, name: String::new(), role: Role::Guest, device_check: None };
                let gone = State::Gone(EndReason::Removed);
                self.members.insert(
                    participant,
                    Member { who, conn: None, state: gone, audio: false, video: false, screen_share: false },
                );
            }
        }
        fx
    }

    /// Ends the reconnect grace of those whose time is up.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Effect> {
        let mut fx = Vec::new();
        let grace = self.settings.reconnect_grace;
        let lapsed: Vec<ParticipantId> = self
            .members
            .values()
            .filter(|m| matches!(m.state, State::Reconnecting { since } if since + grace <= now))
            .map(|m| m.who.id)
            .collect();
        for id in lapsed {
            self.members.get_mut(&id).expect("present").state = State::Gone(EndReason::Left);
            fx.push(Effect::Media(MediaCommand::Leave(id)));
        }
        if !fx.is_empty() {
            self.roster(&mut fx);
            self.settle_panel(&mut fx);
        }
        fx
    }

    /// Server-written panel keys (the web layer's hold, quote, payment, …; any key, `null`
    /// removes), by nobody. Everyone admitted hears of a change; the web layer, which wrote it,
    /// gets no [`PanelEvent`] back.
    pub fn server_panel(&mut self, set: Map<String, Value>) -> Vec<Effect> {
        self.server_panel_if(set, &[])
    }

    /// A server write that applies only when the panel still shows what it is about: when
    /// `any_of` is empty, or at least one of its (JSON pointer, value) pairs holds. A result
    /// that arrives late (a payment's outcome after the panel was reset for another booking)
    /// must not overwrite what the panel moved on to.
    pub fn server_panel_if(&mut self, set: Map<String, Value>, any_of: &[(String, Value)]) -> Vec<Effect> {
        let mut fx = Vec::new();
        if !any_of.is_empty() && !any_of.iter().any(|(pointer, value)| self.panel.has(pointer, value)) {
            return fx;
        }
        if !self.ended && self.panel.server_write(set) {
            self.to_admitted(&mut fx, self.panel.message());
        }
        fx
    }

    /// The panel as the call holds it (for the driver and tests).
    pub fn panel(&self) -> &Panel {
        &self.panel
    }

    /// The driver is dropping this vacant call: empties the panel and returns its last state (if
    /// any) so the web layer can release a hold nobody can finish any more. Everyone having left,
    /// a later join starts a fresh call with an empty panel, so whatever this panel held would
    /// otherwise stay held until it lapsed.
    pub fn close_panel(&mut self) -> Option<PanelEvent> {
        self.panel.close()
    }

    /// The participant's connection, if any: for replies to media commands and media events.
    pub fn conn_of(&self, participant: ParticipantId) -> Option<ConnId> {
        self.members.get(&participant).filter(|m| m.admitted()).and_then(|m| m.conn)
    }

    /// Whether the participant is admitted (media events for others are dropped).
    pub fn is_admitted(&self, participant: ParticipantId) -> bool {
        self.members.get(&participant).is_some_and(Member::admitted)
    }

    fn welcome(&self, id: ParticipantId, ice_servers: Vec<IceServer>) -> Effect {
        let m = &self.members[&id];
        Effect::Send(
            m.conn.expect("connected"),
            ServerMessage::Welcome { v: PROTOCOL_VERSION, call: self.id, you: m.view(), ice_servers },
        )
    }

    fn admit_effects(&mut self, id: ParticipantId, fx: &mut Vec<Effect>) {
        let m = self.members.get_mut(&id).expect("present");
        m.state = State::InCall;
        let conn = m.conn;
        if let Some(c) = conn {
            fx.push(Effect::Send(c, ServerMessage::Admitted));
            fx.push(Effect::Send(c, ServerMessage::ChatHistory { lines: self.chat.clone() }));
        }
        // An arriving agent may take the panel back; that change goes to everyone, the newcomer
        // included, so they need no copy of their own.
        if !self.settle_panel(fx) && self.panel.version() > 0 {
            if let Some(c) = conn {
                fx.push(Effect::Send(c, self.panel.message()));
            }
        }
        fx.push(Effect::Media(MediaCommand::Join(id)));
        self.roster(fx);
        self.lobby_to_agents(fx);
    }

    fn leave(&mut self, id: ParticipantId, reason: EndReason, fx: &mut Vec<Effect>) {
        let m = self.members.get_mut(&id).expect("present");
        let was_admitted = m.admitted();
        m.state = State::Gone(reason);
        if let Some(c) = m.conn.take() {
            self.conns.remove(&c);
            fx.push(Effect::Send(c, ServerMessage::Ended { reason }));
            fx.push(Effect::Close(c));
        }
        if was_admitted {
            fx.push(Effect::Media(MediaCommand::Leave(id)));
            self.roster(fx);
            self.settle_panel(fx);
        } else {
            self.positions(fx);
            self.lobby_to_agents(fx);
        }
    }

    fn panel_edit(
        &mut self,
        me: ParticipantId,
        conn: ConnId,
        base: u64,
        set: Map<String, Value>,
        fx: &mut Vec<Effect>,
    ) {
        let role = self.members[&me].who.role;
        let outcome = match self.panel.edit(me, role, base, set) {
            Ok(outcome) => outcome,
            Err(refusal) => return fx.push(Effect::Send(conn, refusal.to_message("panel_edit"))),
        };
        if !outcome.lost.is_empty() {
            let msg = "someone else changed these since your version; the current panel follows";
            let lost = outcome.lost.join(",");
            fx.push(Effect::Send(
                conn,
                ServerMessage::error_in(ErrorCode::PanelConflict, msg, Some("panel_edit"), lost),
            ));
        }
        if outcome.applied.is_empty() {
            if !outcome.lost.is_empty() {
                fx.push(Effect::Send(conn, self.panel.message()));
            }
            return;
        }
        self.to_admitted(fx, self.panel.message());
        let (version, state) = (self.panel.version(), self.panel.state().clone());
        fx.push(Effect::Panel(PanelEvent::Edited { by: me, role, keys: outcome.applied, version, state }));
    }

    fn hand_panel(&mut self, to: ParticipantId, by: ParticipantId, fx: &mut Vec<Effect>) {
        if self.panel.hand_to(to, by) {
            self.to_admitted(fx, self.panel.message());
        }
    }

    /// Keeps the panel's controller in the call (see [`Panel::settle`]); whether everyone was
    /// sent the change.
    fn settle_panel(&mut self, fx: &mut Vec<Effect>) -> bool {
        let members = &self.members;
        let agent = members.values().find(|m| m.who.role == Role::Agent && m.admitted()).map(|m| m.who.id);
        let changed = self.panel.settle(|p| members.get(&p).is_some_and(Member::admitted), agent);
        if changed {
            self.to_admitted(fx, self.panel.message());
        }
        changed
    }

    fn to_admitted(&self, fx: &mut Vec<Effect>, msg: ServerMessage) {
        for m in self.members.values().filter(|m| m.state == State::InCall) {
            if let Some(c) = m.conn {
                fx.push(Effect::Send(c, msg.clone()));
            }
        }
    }

    fn roster(&self, fx: &mut Vec<Effect>) {
        let participants = self.members.values().filter(|m| m.admitted()).map(Member::view).collect();
        self.to_admitted(fx, ServerMessage::Roster { participants });
    }

    fn lobby(&self) -> Vec<&Member> {
        let mut waiting: Vec<&Member> =
            self.members.values().filter(|m| matches!(m.state, State::Lobby { .. })).collect();
        waiting.sort_by_key(|m| match m.state {
            State::Lobby { seq } => seq,
            _ => u64::MAX,
        });
        waiting
    }

    fn lobby_to_agents(&self, fx: &mut Vec<Effect>) {
        let waiting: Vec<ParticipantView> = self.lobby().into_iter().map(Member::view).collect();
        for m in self.members.values().filter(|m| m.who.role == Role::Agent && m.state == State::InCall) {
            if let Some(c) = m.conn {
                fx.push(Effect::Send(c, ServerMessage::Lobby { waiting: waiting.clone() }));
            }
        }
    }

    fn positions(&self, fx: &mut Vec<Effect>) {
        for (i, m) in self.lobby().into_iter().enumerate() {
            if let Some(c) = m.conn {
                fx.push(Effect::Send(c, ServerMessage::Waiting { position: i + 1 }));
            }
        }
    }
}

//! The thin tokio driver: one task per call owns its [`Call`] state machine, feeds it socket
//! messages, media events and timer ticks, and carries out its effects (queueing frames for the
//! sockets, calling the media server). Sockets themselves live in the web layer, which talks to
//! the hub through [`Hub::connect`], [`Hub::receive`] and [`Hub::disconnect`]; the web layer's
//! booking logic hears of the shared panel through [`Hub::subscribe_panel`] and writes to it with
//! [`Hub::panel_update`].

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use balie_media::{IceCandidate, MediaEvent, PeerKey, Sfu};
use jiff::Timestamp;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::call::{Admission, Call, ConnId, Effect, MediaCommand, Settings};
use crate::panel::PanelEvent;
use crate::protocol::{Candidate, ClientMessage, ErrorCode, IceServer, ServerMessage};

/// Frames waiting for one slow socket; a client this far behind is disconnected rather than
/// letting the server's memory grow.
const OUTBOUND_QUEUE: usize = 256;

/// What the web layer writes to a socket.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    Message(ServerMessage),
    /// Close the socket (after the messages queued before this).
    Close,
}

enum Input {
    Connect { conn: ConnId, who: Admission, resume: bool, ice: Vec<IceServer>, out: mpsc::Sender<Outbound> },
    Message { conn: ConnId, msg: ClientMessage },
    Disconnect { conn: ConnId },
    Revoke { participant: i64 },
    Media(MediaEvent),
    Panel { set: Map<String, Value>, any_of: Vec<(String, Value)> },
}

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    sfu: Sfu,
    settings: Settings,
    calls: Mutex<Calls>,
    next_conn: AtomicU64,
    ended_tx: mpsc::UnboundedSender<i64>,
    /// Where panel events go ([`Hub::subscribe_panel`]); none: dropped. When both locks are
    /// held, this one is taken after `calls`, never the other way round.
    panel_tx: Mutex<Option<mpsc::UnboundedSender<(i64, PanelEvent)>>>,
}

#[derive(Default)]
struct Calls {
    live: HashMap<i64, mpsc::UnboundedSender<Input>>,
    /// Calls that ended in this process: a late join must not start them afresh.
    ended: HashSet<i64>,
}

impl Hub {
    /// Starts the hub on the current runtime. The receiver yields the id of every call that ends
    /// (the web layer records it and invalidates the call's links).
    pub fn start(
        sfu: Sfu,
        mut events: mpsc::UnboundedReceiver<MediaEvent>,
        settings: Settings,
    ) -> (Hub, mpsc::UnboundedReceiver<i64>) {
        let (ended_tx, ended_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            sfu,
            settings,
            calls: Mutex::new(Calls::default()),
            next_conn: AtomicU64::new(1),
            ended_tx,
            panel_tx: Mutex::new(None),
        });
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let Some(inner) = weak.upgrade() else { break };
                let call = match &event {
                    MediaEvent::Offer { peer, .. }
                    | MediaEvent::Candidate { peer, .. }
                    | MediaEvent::State { peer, .. } => peer.call,
                };
                let calls = inner.lock();
                if let Some(tx) = calls.live.get(&call) {
                    let _ = tx.send(Input::Media(event));
                }
            }
        });
        (Hub { inner }, ended_rx)
    }

    /// A verified participant's socket. Returns its id and the frames to write to it.
    pub fn connect(
        &self,
        call: i64,
        who: Admission,
        resume: bool,
        ice: Vec<IceServer>,
    ) -> (ConnId, mpsc::Receiver<Outbound>) {
        let conn = self.inner.next_conn.fetch_add(1, Ordering::Relaxed);
        let (out, rx) = mpsc::channel(OUTBOUND_QUEUE);
        let mut calls = self.inner.lock();
        if calls.ended.contains(&call) {
            let _ = out.try_send(Outbound::Message(ServerMessage::error(
                ErrorCode::CallEnded,
                "this call has ended",
                Some("join"),
            )));
            let _ = out.try_send(Outbound::Close);
            return (conn, rx);
        }
        let tx = calls.live.entry(call).or_insert_with(|| {
            let (tx, inbox) = mpsc::unbounded_channel();
            tokio::spawn(run_call(
                call,
                Arc::downgrade(&self.inner),
                self.inner.sfu.clone(),
                self.inner.settings.clone(),
                inbox,
            ));
            tx
        });
        let _ = tx.send(Input::Connect { conn, who, resume, ice, out });
        (conn, rx)
    }

    pub fn receive(&self, call: i64, conn: ConnId, msg: ClientMessage) {
        self.send(call, Input::Message { conn, msg });
    }

    pub fn disconnect(&self, call: i64, conn: ConnId) {
        self.send(call, Input::Disconnect { conn });
    }

    /// A participant's link was revoked: take them out of the call if they are in it.
    pub fn revoke(&self, call: i64, participant: i64) {
        self.send(call, Input::Revoke { participant });
    }

    /// Panel events of every call, with the call's id: edits, agents' actions, and the panel's
    /// end (release its hold). One subscriber: a later call replaces the earlier receiver, which
    /// then ends. Events while nobody subscribes are dropped.
    pub fn subscribe_panel(&self) -> mpsc::UnboundedReceiver<(i64, PanelEvent)> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.inner.panel_tx.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        rx
    }

    /// Writes server keys into a live call's panel (`null` removes a key); everyone admitted
    /// gets the new `panel`. Nothing happens if the call has no live task (ended, or everyone
    /// left, in which case its panel was closed).
    pub fn panel_update(&self, call: i64, set: Map<String, Value>) {
        self.send(call, Input::Panel { set, any_of: Vec::new() });
    }

    /// Like [`Hub::panel_update`], but only while the panel still shows one of `any_of`
    /// (JSON pointer, value) — see [`crate::call::Call::server_panel_if`].
    pub fn panel_update_if(&self, call: i64, set: Map<String, Value>, any_of: Vec<(String, Value)>) {
        self.send(call, Input::Panel { set, any_of });
    }

    /// Ids of the calls with a live task.
    pub fn live_call_ids(&self) -> Vec<i64> {
        self.inner.lock().live.keys().copied().collect()
    }

    /// Sends under the hub's lock: a call task that finds its inbox empty under the same lock
    /// may then retire without losing a message.
    fn send(&self, call: i64, input: Input) {
        let calls = self.inner.lock();
        if let Some(tx) = calls.live.get(&call) {
            let _ = tx.send(input);
        }
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn panel_event(&self, call: i64, event: PanelEvent) {
        let subscriber = self.panel_tx.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = subscriber.as_ref() {
            let _ = tx.send((call, event));
        }
    }
}

/// The task of one call. It holds the hub weakly so that dropping the hub ends it.
async fn run_call(id: i64, hub: Weak<Inner>, sfu: Sfu, settings: Settings, mut inbox: mpsc::UnboundedReceiver<Input>) {
    let mut call = Call::new(id, settings);
    let mut driver = Driver { id, sfu, hub: hub.clone(), outs: HashMap::new(), held_offers: HashMap::new() };
    loop {
        let wait = call.next_deadline().map(|d| {
            let left = d.duration_since(Timestamp::now());
            Duration::try_from(left).unwrap_or(Duration::ZERO)
        });
        let effects = tokio::select! {
            input = inbox.recv() => match input {
                None => break,
                Some(Input::Connect { conn, who, resume, ice, out }) => {
                    driver.outs.insert(conn, out);
                    call.connect(conn, who, resume, ice)
                }
                Some(Input::Message { conn, msg }) => call.receive(conn, msg, Timestamp::now()),
                Some(Input::Disconnect { conn }) => {
                    driver.outs.remove(&conn);
                    call.disconnect(conn, Timestamp::now())
                }
                Some(Input::Revoke { participant }) => call.revoke(participant),
                Some(Input::Media(event)) => {
                    driver.media_event(&call, event);
                    Vec::new()
                }
                Some(Input::Panel { set, any_of }) => call.server_panel_if(set, &any_of),
            },
            () = tokio::time::sleep(wait.unwrap_or(Duration::ZERO)), if wait.is_some() => call.tick(Timestamp::now()),
        };
        let mut ended = false;
        for effect in effects {
            ended |= effect == Effect::Ended;
            driver.apply(effect).await;
        }
        driver.deliver_held_offers(&call);
        if call.is_vacant() && !ended {
            // Everyone has gone: retire, unless a message is on its way (senders hold the lock).
            let Some(hub) = hub.upgrade() else { break };
            let mut calls = hub.lock();
            if inbox.is_empty() {
                calls.live.remove(&id);
                // The call's state goes, its panel with it: a hold it had is of no use to anyone.
                // Sent under the lock, so it precedes any event of a fresh task for this call.
                if let Some(closed) = call.close_panel() {
                    hub.panel_event(id, closed);
                }
                break;
            }
            continue;
        }
        if ended {
            if let Some(hub) = hub.upgrade() {
                let mut calls = hub.lock();
                calls.live.remove(&id);
                calls.ended.insert(id);
                let _ = hub.ended_tx.send(id);
            }
            // Joins that arrived while the call was ending (queued before it left `live`, which
            // the lock above closed) get the same answer as later ones, not a silent close.
            while let Ok(input) = inbox.try_recv() {
                if let Input::Connect { out, .. } = input {
                    let _ = out.try_send(Outbound::Message(ServerMessage::error(
                        ErrorCode::CallEnded,
                        "this call has ended",
                        Some("join"),
                    )));
                    let _ = out.try_send(Outbound::Close);
                }
            }
            break;
        }
    }
}

struct Driver {
    id: i64,
    sfu: Sfu,
    hub: Weak<Inner>,
    outs: HashMap<ConnId, mpsc::Sender<Outbound>>,
    /// The media server's latest offer to a participant whose socket is down: it still waits
    /// for the answer, so it goes out when they are back.
    held_offers: HashMap<i64, String>,
}

impl Driver {
    fn peer(&self, participant: i64) -> PeerKey {
        PeerKey { call: self.id, participant }
    }

    fn send(&mut self, conn: ConnId, msg: ServerMessage) {
        if let Some(out) = self.outs.get(&conn) {
            if out.try_send(Outbound::Message(msg)).is_err() {
                // Too slow (or gone): dropping the sender makes the web layer close the socket;
                // the state machine then hears of it as a disconnect.
                tracing::warn!(call = self.id, conn, "socket too slow, disconnecting it");
                self.outs.remove(&conn);
            }
        }
    }

    fn media_error(&mut self, conn: ConnId, re: &str, e: balie_media::Error) {
        self.send(conn, ServerMessage::error(ErrorCode::Media, e.to_string(), Some(re)));
    }

    async fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::Send(conn, msg) => self.send(conn, msg),
            Effect::Close(conn) => {
                if let Some(out) = self.outs.remove(&conn) {
                    let _ = out.try_send(Outbound::Close);
                }
            }
            Effect::Ended => {}
            Effect::Media(cmd) => self.media(cmd).await,
            Effect::Panel(event) => {
                if let Some(hub) = self.hub.upgrade() {
                    hub.panel_event(self.id, event);
                }
            }
        }
    }

    async fn media(&mut self, cmd: MediaCommand) {
        match cmd {
            MediaCommand::Join(p) => {
                if let Err(e) = self.sfu.join(self.peer(p)).await {
                    tracing::warn!(call = self.id, participant = p, error = %e, "media join failed");
                }
            }
            MediaCommand::Offer { participant, conn, sdp } => match self.sfu.offer(self.peer(participant), sdp).await {
                Ok(sdp) => self.send(conn, ServerMessage::Answer { sdp }),
                Err(e) => self.media_error(conn, "offer", e),
            },
            MediaCommand::Answer { participant, conn, sdp } => {
                if let Err(e) = self.sfu.answer(self.peer(participant), sdp).await {
                    self.media_error(conn, "answer", e);
                }
            }
            MediaCommand::Candidate { participant, conn, candidate } => {
                let c = IceCandidate {
                    candidate: candidate.candidate,
                    sdp_mid: candidate.sdp_mid,
                    sdp_m_line_index: candidate.sdp_m_line_index,
                };
                if let Err(e) = self.sfu.candidate(self.peer(participant), c).await {
                    self.media_error(conn, "candidate", e);
                }
            }
            MediaCommand::RestartIce { participant, conn } => {
                if let Err(e) = self.sfu.restart_ice(self.peer(participant)).await {
                    self.media_error(conn, "ice_restart", e);
                }
            }
            MediaCommand::Leave(p) => self.sfu.leave(self.peer(p)).await,
            MediaCommand::EndCall => self.sfu.end_call(self.id).await,
            MediaCommand::Stats { conn } => {
                let peers = self.sfu.stats(self.id).await;
                let peers = serde_json::to_value(peers).unwrap_or_default();
                self.send(conn, ServerMessage::Stats { peers });
            }
        }
    }

    fn deliver_held_offers(&mut self, call: &Call) {
        let ready: Vec<(i64, ConnId)> =
            self.held_offers.keys().filter_map(|p| call.conn_of(*p).map(|c| (*p, c))).collect();
        for (participant, conn) in ready {
            let sdp = self.held_offers.remove(&participant).expect("present");
            self.send(conn, ServerMessage::Offer { sdp });
        }
        self.held_offers.retain(|p, _| call.is_admitted(*p));
    }

    /// Media events go only to admitted participants' sockets.
    fn media_event(&mut self, call: &Call, event: MediaEvent) {
        match event {
            MediaEvent::Offer { peer, sdp } => match call.conn_of(peer.participant) {
                Some(conn) => self.send(conn, ServerMessage::Offer { sdp }),
                None if call.is_admitted(peer.participant) => {
                    self.held_offers.insert(peer.participant, sdp);
                }
                None => {}
            },
            MediaEvent::Candidate { peer, candidate } => {
                if let Some(conn) = call.conn_of(peer.participant) {
                    let candidate = Candidate {
                        candidate: candidate.candidate,
                        sdp_mid: candidate.sdp_mid,
                        sdp_m_line_index: candidate.sdp_m_line_index,
                    };
                    self.send(conn, ServerMessage::Candidate { candidate });
                }
            }
            MediaEvent::State { peer, state } => {
                tracing::debug!(call = peer.call, participant = peer.participant, ?state, "peer connection state");
            }
        }
    }
}

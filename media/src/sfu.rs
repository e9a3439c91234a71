//! The SFU handle: who is in which call, and the routing between publishers and subscribers.

use crate::engine::build_peer_connection;
use crate::handler::PeerHandler;
use crate::peer::Peer;
use crate::ports::PortPool;
use crate::source::Source;
use crate::{stats, Error, IceCandidate, MediaConfig, MediaEvent, PeerKey, PeerStats};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use webrtc::peer_connection::{PeerConnection, RTCIceCandidateInit};

/// The selective forwarding unit. Cheap to clone: all clones share one state.
#[derive(Clone)]
pub struct Sfu {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: MediaConfig,
    events: UnboundedSender<MediaEvent>,
    /// call → participant → peer. Held only for map operations, never across an await.
    calls: Mutex<HashMap<i64, HashMap<i64, Arc<Peer>>>>,
    ports: Arc<PortPool>,
    /// Every peer connection ever built, weakly: counting the live ones is how the leak soak (and
    /// the metrics) see connections the engine failed to free.
    connections: Mutex<Vec<Weak<dyn PeerConnection>>>,
    closed: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sfu {
    /// Validates the configuration and starts an SFU with no calls. Events for the signalling
    /// layer arrive on the returned receiver.
    pub async fn start(config: MediaConfig) -> Result<(Sfu, UnboundedReceiver<MediaEvent>), Error> {
        config.validate()?;
        let (events, receiver) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            ports: Arc::new(PortPool::new(config.udp)),
            config,
            events,
            calls: Mutex::new(HashMap::new()),
            connections: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        });
        Ok((Sfu { inner }, receiver))
    }

    /// Creates the participant's peer connection. Only called for participants admitted to the
    /// call. It receives everything the other joined participants of the same `call` publish
    /// (now and later) and may publish its own. Joining again replaces the previous connection
    /// (a reloaded page).
    pub async fn join(&self, peer: PeerKey) -> Result<(), Error> {
        let inner = &self.inner;
        if inner.closed.load(Ordering::Acquire) {
            return Err(Error::Engine("the media server is shutting down".into()));
        }
        if inner.find(peer).is_ok() {
            self.leave(peer).await;
        }
        let lease = inner.ports.lease(&inner.config.bind_ips).await?;
        let connected = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(PeerHandler {
            connected: Arc::clone(&connected),
            key: peer,
            config: inner.config.clone(),
            events: inner.events.clone(),
            sfu: Arc::downgrade(inner),
        });
        let pc = match build_peer_connection(&inner.config, lease, handler).await {
            Ok(pc) => pc,
            Err(err) => {
                inner.ports.release(lease);
                return Err(err);
            }
        };
        lock(&inner.connections).push(Arc::downgrade(&pc));
        let joined = Arc::new(Peer::new(peer, pc, lease, connected, inner.config.clone(), inner.events.clone()));

        // Insert and snapshot the published tracks under one lock, so a track published
        // concurrently is either in the snapshot or sees this peer (see `publish`).
        let (existing, participants) = {
            let mut calls = lock(&inner.calls);
            let members = calls.entry(peer.call).or_default();
            members.insert(peer.participant, Arc::clone(&joined));
            let existing: Vec<Arc<Source>> = members
                .values()
                .filter(|other| other.key != peer)
                .flat_map(|other| lock(&other.sources).clone())
                .collect();
            (existing, members.len())
        };
        joined.subscribe(&existing, participants).await;
        inner.retarget(peer.call);
        Ok(())
    }

    /// The participant's offer (publishing, or its own renegotiation); returns the SDP answer.
    pub async fn offer(&self, peer: PeerKey, sdp: String) -> Result<String, Error> {
        self.inner.find(peer)?.offer(sdp).await
    }

    /// The participant's answer to a server offer.
    pub async fn answer(&self, peer: PeerKey, sdp: String) -> Result<(), Error> {
        self.inner.find(peer)?.answer(sdp).await
    }

    pub async fn candidate(&self, peer: PeerKey, candidate: IceCandidate) -> Result<(), Error> {
        let found = self.inner.find(peer)?;
        found
            .candidate(RTCIceCandidateInit {
                candidate: candidate.candidate,
                sdp_mid: candidate.sdp_mid,
                sdp_mline_index: candidate.sdp_m_line_index,
                ..Default::default()
            })
            .await
    }

    /// ICE restart (network change): emits a MediaEvent::Offer with new ICE credentials.
    pub async fn restart_ice(&self, peer: PeerKey) -> Result<(), Error> {
        self.inner.find(peer)?.restart_ice().await
    }

    /// Closes the participant's peer connection; others stop receiving its tracks (server offers
    /// to them).
    pub async fn leave(&self, peer: PeerKey) {
        let removed = {
            let mut calls = lock(&self.inner.calls);
            let removed = calls.get_mut(&peer.call).and_then(|members| members.remove(&peer.participant));
            if calls.get(&peer.call).is_some_and(|members| members.is_empty()) {
                calls.remove(&peer.call);
            }
            removed
        };
        let Some(removed) = removed else { return };
        let published = self.inner.close_peer(&removed).await;
        for source in published {
            self.inner.unpublish(&source).await;
        }
        self.inner.retarget(peer.call);
    }

    /// Closes every peer connection of a call and drops its state.
    pub async fn end_call(&self, call: i64) {
        let members = lock(&self.inner.calls).remove(&call).unwrap_or_default();
        for peer in members.into_values() {
            // Nobody is left to renegotiate with, so what they published needs no unpublishing.
            self.inner.close_peer(&peer).await;
        }
    }

    pub async fn stats(&self, call: i64) -> Vec<PeerStats> {
        let mut members: Vec<Arc<Peer>> = self.inner.members(call);
        members.sort_by_key(|peer| peer.key);
        let mut all = Vec::with_capacity(members.len());
        for peer in members {
            all.push(stats::collect(&peer).await);
        }
        all
    }

    /// Number of live peer connections (for the leak soak and metrics).
    pub fn peer_count(&self) -> usize {
        let mut connections = lock(&self.inner.connections);
        connections.retain(|pc| pc.strong_count() > 0);
        connections.len()
    }

    pub async fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        let calls: Vec<i64> = lock(&self.inner.calls).keys().copied().collect();
        for call in calls {
            self.end_call(call).await;
        }
    }
}

impl Inner {
    pub(crate) fn find(&self, peer: PeerKey) -> Result<Arc<Peer>, Error> {
        lock(&self.calls)
            .get(&peer.call)
            .and_then(|members| members.get(&peer.participant))
            .cloned()
            .ok_or(Error::UnknownPeer(peer))
    }

    fn members(&self, call: i64) -> Vec<Arc<Peer>> {
        lock(&self.calls).get(&call).map(|members| members.values().cloned().collect()).unwrap_or_default()
    }

    async fn close_peer(&self, peer: &Peer) -> Vec<Arc<Source>> {
        let published = peer.shutdown().await;
        self.ports.release_when_unbound(peer.lease, &self.config.bind_ips);
        published
    }

    /// Makes a newly opened track of a joined participant available to the rest of the call.
    pub(crate) async fn publish(&self, source: Arc<Source>) {
        let (subscribers, participants) = {
            let calls = lock(&self.calls);
            let Some(members) = calls.get(&source.publisher.call) else { return };
            let Some(publisher) = members.get(&source.publisher.participant) else { return };
            if publisher.is_closed() {
                return;
            }
            lock(&publisher.sources).push(Arc::clone(&source));
            let others: Vec<Arc<Peer>> =
                members.values().filter(|peer| peer.key != source.publisher).cloned().collect();
            (others, members.len())
        };
        let sources = [source];
        for subscriber in subscribers {
            subscriber.subscribe(&sources, participants).await;
        }
    }

    /// Removes a track that ended (or whose publisher left) from every subscriber.
    pub(crate) async fn unpublish(&self, source: &Arc<Source>) {
        let members = self.members(source.publisher.call);
        if let Some(publisher) = members.iter().find(|peer| peer.key == source.publisher) {
            lock(&publisher.sources).retain(|s| s.id != source.id);
        }
        for sink in source.sinks() {
            if let Some(subscriber) = members.iter().find(|peer| peer.key == sink.subscriber) {
                subscriber.unsubscribe(source.id).await;
            }
        }
    }

    /// Re-chooses the simulcast layer of every subscription in `call` (membership or layers
    /// changed). A switch takes effect at the next keyframe, which the forwarder requests.
    pub(crate) fn retarget(&self, call: i64) {
        let members = self.members(call);
        let participants = members.len();
        for peer in &members {
            for (source, sink) in peer.received() {
                if let Some(layer) = source.pick_layer(participants) {
                    sink.set_target(layer);
                }
            }
        }
    }
}

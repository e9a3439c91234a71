//! One participant's server-side peer connection and its negotiation ("perfect negotiation" with
//! the server as the impolite peer).
//!
//! Every change to the connection's descriptions or transceivers happens under `negotiation`, so
//! a client offer, a client answer and the server's own renegotiations never interleave. The
//! server offers only from `stable`: a change made while a client offer is being handled or while
//! a server offer is unanswered only sets `pending`, and the next opportunity sends one offer that
//! covers everything pending.

use crate::nat;
use crate::ports::Lease;
use crate::sink::Sink;
use crate::source::Source;
use crate::{Error, MediaConfig, MediaEvent, PeerKey};
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodingParameters, RTCRtpEncodingParameters};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc::UnboundedSender;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::peer_connection::{PeerConnection, RTCIceCandidateInit, RTCSessionDescription};

pub(crate) struct Peer {
    pub(crate) key: PeerKey,
    pub(crate) pc: Arc<dyn PeerConnection>,
    pub(crate) lease: Lease,
    connected: Arc<AtomicBool>,
    config: MediaConfig,
    events: UnboundedSender<MediaEvent>,
    negotiation: tokio::sync::Mutex<Negotiation>,
    /// Tracks this participant publishes.
    pub(crate) sources: Mutex<Vec<Arc<Source>>>,
    /// What this participant receives, by source id. Changed only under `negotiation`.
    received: Mutex<HashMap<u64, Subscription>>,
    closed: AtomicBool,
    pub(crate) traffic: Mutex<Option<crate::stats::Sample>>,
    pub(crate) joined: std::time::Instant,
}

/// A source this participant receives and its copy of it. The peer holds both so the sink need
/// not point back at its source (the source already holds the sink).
struct Subscription {
    source: Arc<Source>,
    sink: Arc<Sink>,
}

#[derive(Debug, Default)]
struct Negotiation {
    /// A server offer was sent and its answer has not been applied (have-local-offer).
    server_offer_outstanding: bool,
    /// The transceivers changed (or an ICE restart was asked for) since the last server offer.
    pending: bool,
    /// Sources whose tracks the outstanding server offer carries for the first time: the answer
    /// starts exactly these. A track added after that offer was sent is not negotiated yet, and
    /// what is written to it is dropped by the engine, which would swallow the keyframe the
    /// subscriber starts with.
    offered: Vec<u64>,
    /// Client candidates that arrived before any remote description: the engine refuses them then.
    early_candidates: Vec<RTCIceCandidateInit>,
    /// The participant's first offer has been answered. The server holds its own offers until
    /// then: a server offer crossing the page's first offer makes Chromium roll back, and its next
    /// offer then clashes with the header-extension ids of ours ("BUNDLE group contains a codec
    /// collision for header extension id"), seen in about one browser test in four.
    client_offered: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Peer {
    pub(crate) fn new(
        key: PeerKey,
        pc: Arc<dyn PeerConnection>,
        lease: Lease,
        connected: Arc<AtomicBool>,
        config: MediaConfig,
        events: UnboundedSender<MediaEvent>,
    ) -> Self {
        Peer {
            key,
            pc,
            lease,
            connected,
            config,
            events,
            negotiation: tokio::sync::Mutex::new(Negotiation::default()),
            sources: Mutex::new(Vec::new()),
            received: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
            traffic: Mutex::new(None),
            joined: std::time::Instant::now(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn announce(&self, sdp: &str) -> String {
        nat::rewrite_sdp(sdp, |ip| self.config.announced(ip))
    }

    /// The participant's offer; returns the answer.
    pub(crate) async fn offer(self: &Arc<Self>, sdp: String) -> Result<String, Error> {
        let mut negotiation = self.negotiation.lock().await;
        if negotiation.server_offer_outstanding {
            return Err(Error::glare());
        }
        let offer = RTCSessionDescription::offer(sdp).map_err(Error::sdp)?;
        self.pc.set_remote_description(offer).await.map_err(Error::sdp)?;
        self.add_early_candidates(&mut negotiation).await;
        let answer = self.pc.create_answer(None).await.map_err(Error::sdp)?;
        self.pc.set_local_description(answer.clone()).await.map_err(Error::sdp)?;
        negotiation.client_offered = true;
        let sdp = match self.pc.local_description().await {
            Some(local) => local.sdp,
            None => answer.sdp,
        };
        if negotiation.pending {
            // Offering from here would put our offer on the wire before the caller has even seen
            // this answer. The task gets the lock only once this function has returned; should
            // the offer still overtake the answer on its way, the polite client rolls back and
            // the exchange recovers through the glare path.
            let peer = Arc::clone(self);
            tokio::spawn(async move {
                let mut negotiation = peer.negotiation.lock().await;
                peer.offer_if_stable(&mut negotiation).await;
            });
        }
        Ok(self.announce(&sdp))
    }

    /// The participant's answer to the outstanding server offer.
    pub(crate) async fn answer(self: &Arc<Self>, sdp: String) -> Result<(), Error> {
        let mut negotiation = self.negotiation.lock().await;
        if !negotiation.server_offer_outstanding {
            return Err(Error::Sdp("no server offer is waiting for an answer".into()));
        }
        let answer = RTCSessionDescription::answer(sdp).map_err(Error::sdp)?;
        self.pc.set_remote_description(answer).await.map_err(Error::sdp)?;
        negotiation.server_offer_outstanding = false;
        self.add_early_candidates(&mut negotiation).await;
        let offered = std::mem::take(&mut negotiation.offered);
        self.activate_sinks(&offered).await;
        self.offer_if_stable(&mut negotiation).await;
        Ok(())
    }

    pub(crate) async fn candidate(&self, candidate: RTCIceCandidateInit) -> Result<(), Error> {
        let mut negotiation = self.negotiation.lock().await;
        if self.pc.remote_description().await.is_none() {
            negotiation.early_candidates.push(candidate);
            return Ok(());
        }
        self.pc.add_ice_candidate(candidate).await.map_err(Error::sdp)
    }

    async fn add_early_candidates(&self, negotiation: &mut Negotiation) {
        for candidate in std::mem::take(&mut negotiation.early_candidates) {
            if let Err(err) = self.pc.add_ice_candidate(candidate).await {
                tracing::debug!(%err, peer = ?self.key, "early candidate refused");
            }
        }
    }

    pub(crate) async fn restart_ice(self: &Arc<Self>) -> Result<(), Error> {
        let mut negotiation = self.negotiation.lock().await;
        self.pc.restart_ice().await.map_err(Error::engine)?;
        negotiation.pending = true;
        self.offer_if_stable(&mut negotiation).await;
        Ok(())
    }

    /// Adds sendonly tracks for `sources` (those not already received) and offers them.
    pub(crate) async fn subscribe(self: &Arc<Self>, sources: &[Arc<Source>], participants: usize) {
        let mut negotiation = self.negotiation.lock().await;
        for source in sources {
            if self.is_closed() || lock(&self.received).contains_key(&source.id) {
                continue;
            }
            match self.add_sink(source, participants).await {
                Ok(sink) => {
                    source.attach(Arc::clone(&sink));
                    let subscription = Subscription { source: Arc::clone(source), sink };
                    lock(&self.received).insert(source.id, subscription);
                    negotiation.pending = true;
                }
                Err(err) => tracing::warn!(%err, peer = ?self.key, "could not subscribe"),
            }
        }
        self.offer_if_stable(&mut negotiation).await;
    }

    async fn add_sink(&self, source: &Arc<Source>, participants: usize) -> Result<Arc<Sink>, Error> {
        let ssrc: u32 = rand::random();
        let publisher = source.publisher.participant;
        // One stream per publisher, so the client groups that participant's audio and video.
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            format!("participant-{publisher}"),
            format!("participant-{publisher}-{}", source.id),
            format!("participant-{publisher}-{}", source.id),
            source.kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(ssrc), ..Default::default() },
                codec: source.codec.clone(),
                ..Default::default()
            }],
        )));
        let sender = self.pc.add_track(track.clone()).await.map_err(Error::engine)?;
        let sink = Sink::new(self.key, source, track, sender, ssrc, Arc::clone(&self.connected));
        if let Some(layer) = source.pick_layer(participants) {
            sink.set_target(layer);
        }
        Ok(sink)
    }

    /// Removes what this participant received from `source_id` and offers the change.
    pub(crate) async fn unsubscribe(self: &Arc<Self>, source_id: u64) {
        let mut negotiation = self.negotiation.lock().await;
        let Some(Subscription { source, sink }) = lock(&self.received).remove(&source_id) else {
            return;
        };
        sink.close();
        source.detach(self.key);
        if self.is_closed() {
            return;
        }
        if let Err(err) = self.pc.remove_track(&sink.sender).await {
            tracing::debug!(%err, peer = ?self.key, "remove_track failed");
        }
        negotiation.pending = true;
        self.offer_if_stable(&mut negotiation).await;
    }

    /// What this participant receives, as (source, sink) pairs.
    pub(crate) fn received(&self) -> Vec<(Arc<Source>, Arc<Sink>)> {
        lock(&self.received).values().map(|s| (Arc::clone(&s.source), Arc::clone(&s.sink))).collect()
    }

    /// After an answer: the sinks that offer carried learn their payload type and start.
    async fn activate_sinks(&self, offered: &[u64]) {
        for (source, sink) in self.received() {
            if sink.is_active() || !offered.contains(&source.id) {
                continue;
            }
            let Ok(parameters) = sink.sender.get_parameters().await else {
                continue;
            };
            let source_codec = &source.codec;
            let codecs = &parameters.rtp_parameters.codecs;
            let same_mime = |c: &&rtc::rtp_transceiver::rtp_sender::RTCRtpCodecParameters| {
                c.rtp_codec.mime_type.eq_ignore_ascii_case(&source_codec.mime_type)
            };
            // Prefer the exact format (H.264 profiles differ in fmtp), else the same codec.
            let chosen = codecs
                .iter()
                .filter(same_mime)
                .find(|c| c.rtp_codec.sdp_fmtp_line == source_codec.sdp_fmtp_line)
                .or_else(|| codecs.iter().find(same_mime));
            match chosen {
                Some(codec) => sink.activate(codec.payload_type),
                None => {
                    tracing::warn!(peer = ?self.key, mime = %source_codec.mime_type, "subscriber does not accept the codec")
                }
            }
        }
    }

    /// Sends one server offer covering every pending change, if the connection is in `stable`.
    ///
    /// If the engine fails to produce or apply the offer, the change stays pending and another
    /// attempt is scheduled: nothing else might come along to retry it, and a subscriber would
    /// silently never get the new track.
    async fn offer_if_stable(self: &Arc<Self>, negotiation: &mut Negotiation) {
        if !negotiation.pending
            || negotiation.server_offer_outstanding
            || !negotiation.client_offered
            || self.is_closed()
        {
            return;
        }
        if self.pc.get_transceivers().await.is_empty() {
            // Nothing to negotiate yet; the client's own offer will set the session up.
            negotiation.pending = false;
            return;
        }
        let offer = match self.pc.create_offer(None).await {
            Ok(offer) => offer,
            Err(err) => {
                tracing::warn!(%err, peer = ?self.key, "server offer failed");
                self.retry_offer_later();
                return;
            }
        };
        if let Err(err) = self.pc.set_local_description(offer.clone()).await {
            tracing::warn!(%err, peer = ?self.key, "server offer not applied");
            self.retry_offer_later();
            return;
        }
        negotiation.pending = false;
        negotiation.server_offer_outstanding = true;
        negotiation.offered =
            self.received().into_iter().filter(|(_, sink)| !sink.is_active()).map(|(source, _)| source.id).collect();
        let sdp = match self.pc.local_description().await {
            Some(local) => local.sdp,
            None => offer.sdp,
        };
        let _ = self.events.send(MediaEvent::Offer { peer: self.key, sdp: self.announce(&sdp) });
    }

    fn retry_offer_later(self: &Arc<Self>) {
        let peer = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let mut negotiation = peer.negotiation.lock().await;
            peer.offer_if_stable(&mut negotiation).await;
        });
    }

    /// Closes the connection and stops everything it receives. The caller unpublishes what it
    /// published.
    pub(crate) async fn shutdown(&self) -> Vec<Arc<Source>> {
        self.closed.store(true, Ordering::Release);
        // Wait for a negotiation in flight, so it cannot add a sink after the sweep below.
        let _negotiation = self.negotiation.lock().await;
        let received: Vec<Subscription> = lock(&self.received).drain().map(|(_, s)| s).collect();
        for Subscription { source, sink } in received {
            sink.close();
            source.detach(self.key);
        }
        if let Err(err) = self.pc.close().await {
            tracing::debug!(%err, peer = ?self.key, "close failed");
        }
        std::mem::take(&mut *lock(&self.sources))
    }
}

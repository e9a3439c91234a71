//! Turns one peer connection's engine callbacks into [`MediaEvent`]s and track readers.

use crate::sfu::Inner;
use crate::{nat, source, IceCandidate, MediaConfig, MediaEvent, PeerKey, PeerState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use tokio::sync::mpsc::UnboundedSender;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{PeerConnectionEventHandler, RTCPeerConnectionIceEvent, RTCPeerConnectionState};

/// Owned by the engine's connection; holds only a weak reference to the SFU so that a closed
/// connection is not kept alive through its own handler.
pub(crate) struct PeerHandler {
    pub(crate) key: PeerKey,
    pub(crate) config: MediaConfig,
    pub(crate) events: UnboundedSender<MediaEvent>,
    pub(crate) sfu: Weak<Inner>,
    /// Shared with the peer's sinks: nothing is forwarded to a connection that cannot carry it
    /// yet, or the keyframe a subscriber starts with would be lost before DTLS is up.
    pub(crate) connected: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for PeerHandler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        let Ok(init) = event.candidate.to_json() else {
            return;
        };
        let candidate = IceCandidate {
            candidate: nat::rewrite_candidate(&init.candidate, |ip| self.config.announced(ip)),
            sdp_mid: init.sdp_mid,
            sdp_m_line_index: init.sdp_mline_index,
        };
        let _ = self.events.send(MediaEvent::Candidate { peer: self.key, candidate });
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let state = match state {
            RTCPeerConnectionState::New => PeerState::New,
            RTCPeerConnectionState::Connecting => PeerState::Connecting,
            RTCPeerConnectionState::Connected => PeerState::Connected,
            RTCPeerConnectionState::Disconnected => PeerState::Disconnected,
            RTCPeerConnectionState::Failed => PeerState::Failed,
            RTCPeerConnectionState::Closed => PeerState::Closed,
            _ => return,
        };
        self.connected.store(state == PeerState::Connected, Ordering::Release);
        let _ = self.events.send(MediaEvent::State { peer: self.key, state });
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        // Callbacks run on the connection's driver; the reader lives as long as the track.
        tokio::spawn(source::read_track(self.sfu.clone(), self.key, track));
    }
}

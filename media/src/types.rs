//! The plain data the signalling layer exchanges with the SFU.

use serde::{Deserialize, Serialize};

/// Identifies one participant's peer connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PeerKey {
    pub call: i64,
    pub participant: i64,
}

/// A trickled ICE candidate, in the browser's `RTCIceCandidateInit` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceCandidate {
    pub candidate: String,
    pub sdp_mid: Option<String>,
    pub sdp_m_line_index: Option<u16>,
}

/// The connection state of a participant's server-side peer connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerState {
    New,
    Connecting,
    Connected,
    Disconnected,
    Failed,
    Closed,
}

/// What the SFU tells the signalling layer. Delivered on the receiver returned by
/// [`Sfu::start`](crate::Sfu::start).
#[derive(Debug, Clone)]
pub enum MediaEvent {
    /// Send this server offer to the participant (new subscriptions after another participant
    /// published, a track ended, or an ICE restart). The participant answers via
    /// [`Sfu::answer`](crate::Sfu::answer).
    Offer {
        peer: PeerKey,
        sdp: String,
    },
    /// Trickle ICE: a local candidate of the participant's server-side peer connection.
    Candidate {
        peer: PeerKey,
        candidate: IceCandidate,
    },
    State {
        peer: PeerKey,
        state: PeerState,
    },
}

/// Per-participant stats for the agent's screen and for metrics.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PeerStats {
    pub peer: Option<PeerKey>,
    pub bitrate_in_bps: u64,
    pub bitrate_out_bps: u64,
    pub packets_in: u64,
    pub packets_out: u64,
    pub packets_lost: u64,
    pub fraction_lost: f64,
    pub rtt_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
}

//! A synthetic WebRTC participant for balie's SFU: publishes Opus-like audio and VP8-like video,
//! receives what the SFU forwards, and records what arrived. It runs the same `webrtc` crate as
//! an independent client, so everything crosses real ICE, DTLS and SRTP on loopback.
//!
//! # Layout
//! - [`payload`]: what the packets carry (publisher, counter, send time, checkable filler) and
//!   how a receiver reads it back. Pure.
//! - [`record`]: what a participant saw, per packet (tests) and per measurement window (loss,
//!   corruption, latency percentiles for the load generator).
//! - [`participant`]: the peer connection; negotiation steps that any signalling can carry
//!   (the SFU's API in media's tests, the WebSocket protocol in `loadgen`).
//! - `keyframe_tap`: lets a publisher see PLI/FIR.

mod keyframe_tap;
pub mod participant;
pub mod payload;
pub mod record;

pub use participant::{Candidate, Error, Participant, Settings};
pub use payload::{FramePart, Kind, Received};
pub use record::{Record, Summary, Window};
pub use webrtc::peer_connection::RTCPeerConnectionState;

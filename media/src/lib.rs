//! balie's media server: a selective forwarding unit (SFU) on the `webrtc` crate (0.21, the async
//! API over the sans-IO `rtc` core), behind a narrow interface so the engine can be replaced.
//!
//! Each participant has one peer connection to the SFU. What it publishes (audio, camera, screen,
//! possibly VP8 simulcast) is forwarded packet by packet, without transcoding, to every other
//! participant of the same call on sendonly tracks the server adds to their connections.
//!
//! # Layout
//!
//! - [`sfu`]: the [`Sfu`] handle; calls, membership and the publish/subscribe routing.
//! - `peer`: one participant's connection and its negotiation (the server is the impolite peer).
//! - `source` / `sink`: a published track with its reader task, and one subscriber's copy of it.
//! - `forwarder`, `layers`, `keyframe`: the pure forwarding rules (layer choice, renumbering,
//!   keyframe detection), unit-tested without sockets.
//! - `engine`: builds webrtc peer connections (codecs, interceptors, addresses).
//! - `handler`: engine callbacks → [`MediaEvent`]s.
//! - `nat`, `ports`, [`config`]: what is bound and what is announced.
//! - `stats`: [`PeerStats`] from the engine's stats report.
//! - [`error`]: the crate's [`Error`].

pub mod config;
mod engine;
pub mod error;
mod forwarder;
mod handler;
mod keyframe;
mod layers;
mod nat;
mod peer;
mod ports;
pub mod sfu;
mod sink;
mod source;
mod stats;
mod types;

pub use config::{MediaConfig, UdpPorts};
pub use error::Error;
pub use sfu::Sfu;
pub use types::{IceCandidate, MediaEvent, PeerKey, PeerState, PeerStats};

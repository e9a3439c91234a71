//! The load generator behind the `loadgen` binary, as a library so a test can drive it against
//! an in-process server.
//!
//! # Layout
//! - [`server`]: the balie server under load (spawned and pinned, or external) and its CPU time
//!   and memory from /proc.
//! - [`api`]: sign in as the agent, create calls with personal links.
//! - [`session`]: one participant's WebSocket signalling session (join, lobby, offer/answer, ICE).
//! - [`traffic`]: camera- and microphone-like packet rhythm and sizes.
//! - [`run`]: steps of load and their measurement.
//! - [`report`]: the Markdown table.

pub mod api;
pub mod report;
pub mod run;
pub mod server;
pub mod session;
pub mod traffic;

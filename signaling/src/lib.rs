//! balie's signalling: the versioned WebSocket protocol ([`protocol`]), the pure call state
//! machine ([`call`]: lobby, admit/deny/remove, SDP and ICE relay, chat, reconnect grace),
//! per-connection limits ([`limits`]), and the thin tokio driver ([`hub`]) that runs one task per
//! call and connects the state machine to the sockets and the media server.

pub mod call;
pub mod hub;
pub mod limits;
pub mod protocol;

pub use call::{Admission, Call, ConnId, Effect, MediaCommand, Settings};
pub use hub::{Hub, Outbound};
pub use protocol::{ClientMessage, ErrorCode, ParticipantId, Role, ServerMessage, PROTOCOL_VERSION};

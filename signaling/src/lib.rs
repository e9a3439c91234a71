//! balie's signalling: the versioned WebSocket protocol ([`protocol`]), the pure call state
//! machine ([`call`]: lobby, admit/deny/remove, SDP and ICE relay, chat, reconnect grace),
//! per-connection limits ([`limits`]), the shared booking panel ([`panel`], docs/panel.md), and
//! the thin tokio driver ([`hub`]) that runs one task per call and connects the state machine to
//! the sockets, the media server and the web layer's panel logic.

pub mod call;
pub mod hub;
pub mod limits;
pub mod panel;
pub mod protocol;

pub use call::{Admission, Call, ConnId, Effect, MediaCommand, Settings};
pub use hub::{Hub, Outbound};
pub use panel::{Panel, PanelEvent, PanelState};
pub use protocol::{
    ClientMessage, ErrorCode, PanelAction, ParticipantId, PayMethod, Role, ServerMessage, PROTOCOL_VERSION,
};

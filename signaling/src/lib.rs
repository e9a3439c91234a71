//! balie's signalling: the versioned WebSocket protocol and the pure call state machine (lobby,
//! admit/deny, SDP and ICE relay, chat, shared-panel sync). Arrives with the real-time calls issue;
//! the crate exists now so the workspace has the shape of the design from the first commit.

//! balie's media server: an SFU on the `webrtc` crate, behind a narrow interface so the engine can
//! be replaced. Arrives with the real-time calls issue.

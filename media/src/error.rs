//! The crate's one error type.

use crate::PeerKey;

/// What can go wrong when the signalling layer drives the SFU.
///
/// The `Display` texts are written for people: the signalling layer puts them into a client-facing
/// error next to [`Error::code`], so they name the problem without leaking engine internals.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The participant has no peer connection: never joined, already left, or the call ended.
    #[error("no media session for participant {} in call {}", .0.participant, .0.call)]
    UnknownPeer(PeerKey),
    /// The session description was malformed, arrived in the wrong negotiation state, or collided
    /// with a server offer (glare).
    #[error("session description refused: {0}")]
    Sdp(String),
    /// The configuration asks for something the media engine cannot do.
    #[error("not supported by the media server: {0}")]
    Unsupported(String),
    /// The media engine failed (sockets, ICE, DTLS); the cause is in the text.
    #[error("media engine error: {0}")]
    Engine(String),
}

impl Error {
    /// A stable machine-readable code for the client-facing error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnknownPeer(_) => "media_unknown_peer",
            Error::Sdp(_) => "media_sdp",
            Error::Unsupported(_) => "media_unsupported",
            Error::Engine(_) => "media_engine",
        }
    }

    /// The one glare refusal, so callers (and tests) can recognise it with [`Error::is_glare`].
    pub(crate) fn glare() -> Self {
        Error::Sdp(GLARE.to_owned())
    }

    /// Whether this is the refusal of a client offer made while a server offer was outstanding.
    /// The polite client rolls its offer back, answers the server's, and offers again.
    pub fn is_glare(&self) -> bool {
        matches!(self, Error::Sdp(text) if text == GLARE)
    }

    pub(crate) fn engine(err: impl std::fmt::Display) -> Self {
        Error::Engine(err.to_string())
    }

    pub(crate) fn sdp(err: impl std::fmt::Display) -> Self {
        Error::Sdp(err.to_string())
    }
}

const GLARE: &str = "glare: answer the server offer first, then offer again";

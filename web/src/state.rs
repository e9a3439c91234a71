//! What every handler shares.

use std::sync::Arc;

use balie_booking::Store;
use jiff::SignedDuration;

use crate::auth::Sessions;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub sessions: Arc<Sessions>,
    pub hold_ttl: SignedDuration,
    /// Verified against for unknown e-mail addresses (see `auth::decoy_hash`).
    pub decoy_hash: Arc<str>,
}

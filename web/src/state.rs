//! What every handler shares.

use std::sync::Arc;

use balie_booking::calls::LinkWindow;
use balie_booking::Store;
use balie_media::Sfu;
use balie_signaling::Hub;
use jiff::SignedDuration;

use crate::auth::Sessions;
use crate::media::IceConfig;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub sessions: Arc<Sessions>,
    pub hold_ttl: SignedDuration,
    /// Verified against for unknown e-mail addresses (see `auth::decoy_hash`).
    pub decoy_hash: Arc<str>,
    /// The calls: one task per live call, and the media server under them.
    pub hub: Hub,
    pub sfu: Sfu,
    pub ice: Arc<IceConfig>,
    pub link_window: LinkWindow,
    /// Where people reach balie; links in e-mails and API answers start with it.
    pub public_url: Arc<str>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Lets a remote scraper read `/metrics`; unset, only this machine may.
    pub metrics_token: Option<Arc<str>>,
    /// Renders e-mails and wakes the outbox sender.
    pub mailer: Arc<crate::mailer::Mailer>,
    /// When reminders go out: this many minutes before an appointment (whole days keep the clock
    /// time, see `balie_booking::appointments::reminders`).
    pub reminders: Arc<[i64]>,
    /// Payment provider, invoice and door-code settings.
    pub payments: Arc<crate::payments::service::Payments>,
    /// Survey tokens, and the quality of live calls for the survey answers.
    pub surveys: Arc<crate::surveys::Surveys>,
}

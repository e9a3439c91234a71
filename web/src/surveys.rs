//! After a call: the call's technical quality (sampled from the SFU while it runs), the survey
//! invitations made when it ends, and the record of what the end purged.
//!
//! A participant's survey token is derived from their call link: an HMAC, keyed with a key of its
//! own, over the link's stored hash. The server keeps no raw token, yet the call page (which holds
//! the link) can claim its survey after the call, and the e-mail sent later carries the same token.

use std::collections::HashMap;
use std::sync::Mutex;

use balie_booking::calls::ParticipantRole;
use balie_booking::store::{NewInvitation, SurveyContext};
use balie_booking::surveys::Channel;
use hmac::{Hmac, Mac};
use jiff::SignedDuration;

use crate::state::AppState;

/// How long a survey link works.
pub const SURVEY_VALID: SignedDuration = SignedDuration::from_hours(14 * 24);
/// The service of a call without an appointment.
pub const STANDALONE: &str = "Gesprek zonder afspraak";

#[derive(Debug)]
pub struct Surveys {
    key: Vec<u8>,
    /// When the e-mail invitation goes to someone who did not answer on the call's end page.
    pub mail_after: SignedDuration,
    /// Round-trip time and loss of each live call, sampled every few seconds.
    quality: Mutex<HashMap<i64, Quality>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Quality {
    rtt_sum: f64,
    rtt_samples: u64,
    packets: u64,
    lost: u64,
}

impl Surveys {
    pub fn new(secret: &[u8], mail_after: SignedDuration) -> Surveys {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(b"balie survey tokens v1");
        Surveys { key: mac.finalize().into_bytes().to_vec(), mail_after, quality: Mutex::new(HashMap::new()) }
    }

    /// The survey token of the participant whose call link hashes to `link_hash`.
    pub fn token_for(&self, link_hash: &str) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(link_hash.as_bytes());
        crate::auth::hex(&mac.finalize().into_bytes()[..16])
    }

    /// Adds one sample of a live call's media statistics.
    pub fn sample(&self, call: i64, stats: &[balie_media::PeerStats]) {
        let mut all = self.quality.lock().expect("quality lock");
        let q = all.entry(call).or_default();
        for s in stats {
            if let Some(rtt) = s.rtt_ms {
                q.rtt_sum += rtt;
                q.rtt_samples += 1;
            }
        }
        // Counters are cumulative per peer: the latest sample is the call's total so far.
        q.packets = stats.iter().map(|s| s.packets_in).sum();
        q.lost = stats.iter().map(|s| s.packets_lost).sum();
    }

    /// The call's average round-trip time (ms) and loss (‰), forgetting the call.
    fn take(&self, call: i64) -> (Option<i64>, Option<i64>) {
        let q = self.quality.lock().expect("quality lock").remove(&call).unwrap_or_default();
        let rtt = (q.rtt_samples > 0).then(|| (q.rtt_sum / q.rtt_samples as f64).round() as i64);
        let loss = (q.packets + q.lost > 0).then(|| (q.lost * 1000 / (q.packets + q.lost)) as i64);
        (rtt, loss)
    }
}

/// Samples the media statistics of every live call (a background job).
pub async fn sample_quality(state: &AppState) {
    for call in state.hub.live_call_ids() {
        let stats = state.sfu.stats(call).await;
        if !stats.is_empty() {
            state.surveys.sample(call, &stats);
        }
    }
}

/// A call ended: invite its citizens and guests to the survey (the page shows it at once; an
/// e-mail follows later for whoever has an address and has not answered), and log the purge.
pub async fn call_ended(state: &AppState, call_id: i64) -> anyhow::Result<()> {
    let now = crate::routes::now();
    let (rtt_ms, loss_permille) = state.surveys.take(call_id);
    let call = state.store.call(call_id).await?;
    let appointment = state.store.appointment_of_call(call_id).await?;
    let (service, agent_id, channel, language) = match &appointment {
        Some(a) => {
            let name = match state.store.appointment_service(&a.service).await {
                Ok(s) => s.name.get(balie_booking::appointments::Language::Nl).to_string(),
                Err(_) => a.service.clone(),
            };
            let channel =
                if a.mode == balie_booking::appointments::Mode::Hybrid { Channel::Hybrid } else { Channel::Video };
            (name, Some(a.agent_id), channel, a.citizen.language)
        }
        None => (STANDALONE.to_string(), None, Channel::Video, Default::default()),
    };
    // The day it took place (a call may be joined before its planned start).
    let day = balie_booking::time::local(now).date();
    let context =
        SurveyContext { service, agent_id, channel, day, language: language.code().to_string(), rtt_ms, loss_permille };
    let hashes = state.store.participant_token_hashes(call_id).await?;
    let mut invitations = Vec::new();
    for p in call.participants.iter().filter(|p| p.role != ParticipantRole::Agent) {
        let Some(hash) = hashes.get(&p.id) else { continue };
        let token = state.surveys.token_for(hash);
        let mail = match &p.email {
            Some(email) => Some(crate::confirmations::survey_mail(state, &p.name, email, &token, &context, now)?),
            None => None,
        };
        invitations.push(NewInvitation {
            token,
            call_id,
            email: p.email.clone(),
            context: context.clone(),
            expires_at: now + SURVEY_VALID,
            mail: mail
                .map(|m| balie_booking::outbox::NewMail { not_before: Some(now + state.surveys.mail_after), ..m }),
        });
    }
    let invited = state.store.invite_to_survey(&invitations, now).await?;
    let detail = format!(
        "call {call_id} ended: {} personal links invalidated (410 from now on), signalling and media state \
         dropped, chat (kept in memory only) dropped; {invited} survey invitations",
        call.participants.len()
    );
    state.store.log_purge("call", &detail, now).await?;
    tracing::info!(call = call_id, invited, "call purged; survey invitations made");
    Ok(())
}

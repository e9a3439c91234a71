//! Room and court evaluations: the hourly job that invites yesterday's used reservations (one
//! personal link each, by e-mail), and the e-mails rendered for it and for closed defect reports.
//! The routes are in `routes/evaluations.rs`; the storage in `balie_booking::store`.

use balie_booking::evaluations::{is_placeholder_email, VALID_DAYS};
use balie_booking::outbox::NewMail;
use balie_booking::reservation::Reservation;
use balie_booking::store::{ClosedDefect, NewEvaluation};
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;

use crate::mailer::Mailer;
use crate::state::AppState;

/// Most reservations invited per run (the rest follow an hour later).
const BATCH: i64 = 500;

fn mail_language(code: &str) -> balie_mail::Language {
    balie_mail::Language::parse(code).unwrap_or_default()
}

/// Invites the confirmed reservations that ended yesterday (Brussels) and have no evaluation
/// link yet; also erases the addresses of links that expired unanswered. Safe to run any number of
/// times: a reservation gets one link and one e-mail. Returns how many were invited.
pub async fn invite_due(state: &AppState, now: Timestamp) -> anyhow::Result<usize> {
    state.store.expire_evaluations(now).await?;
    let today = balie_booking::time::local(now).date();
    let yesterday = today.yesterday()?;
    let midnight = |d: jiff::civil::Date| balie_booking::time::instant(d, jiff::civil::Time::midnight());
    let candidates = state.store.evaluation_candidates(midnight(yesterday), midnight(today), BATCH).await?;
    let mut invited = 0;
    for r in candidates {
        let invitation = invitation(state, &r, now).await?;
        if state.store.invite_to_evaluation(&invitation, now).await? && invitation.mail.is_some() {
            invited += 1;
        }
    }
    if invited > 0 {
        state.mailer.wake();
    }
    Ok(invited)
}

async fn invitation(state: &AppState, r: &Reservation, now: Timestamp) -> anyhow::Result<NewEvaluation> {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = crate::auth::hex(&bytes);
    let day = balie_booking::time::local(r.period.start).date();
    let language = r.customer.language.unwrap_or_default().code().to_string();
    let email = r.customer.email.trim();
    let email = (!is_placeholder_email(email)).then(|| email.to_string());
    let mail = match &email {
        Some(email) => {
            let resource = state.store.resource(r.resource_id).await?;
            let mail = balie_mail::EvaluationMail {
                language: mail_language(&language),
                municipality: state.payments.municipality.clone(),
                recipient: balie_mail::Person::new(r.customer.name.clone(), email.clone()),
                resource_name: resource.spec.name.clone(),
                day,
                evaluation_url: format!("{}/evaluatie#{token}", state.public_url),
            };
            match state.mailer.renderer.render_evaluation(&mail, now) {
                Ok(rendered) => Some(NewMail { reservation_id: Some(r.id), ..Mailer::to_row(&rendered, None)? }),
                // An address the mail crate refuses: recorded without an e-mail, not retried.
                Err(e) => {
                    tracing::warn!(reservation = r.id, error = %e, "no evaluation e-mail");
                    None
                }
            }
        }
        None => None,
    };
    Ok(NewEvaluation {
        token,
        reservation_id: r.id,
        resource_id: r.resource_id,
        email: mail.as_ref().and(email),
        language,
        day,
        expires_at: now + SignedDuration::from_hours(24 * VALID_DAYS),
        mail,
    })
}

/// The "what we did" e-mail to whoever reported a defect (inside the closing transaction).
pub fn defect_closed_mail(
    state: &AppState,
    resource_name: &str,
    closed: &ClosedDefect,
    now: Timestamp,
) -> balie_booking::Result<Option<NewMail>> {
    let Some(email) = &closed.reporter_email else { return Ok(None) };
    let mail = balie_mail::DefectClosedMail {
        language: mail_language(&closed.language),
        municipality: state.payments.municipality.clone(),
        recipient_email: email.clone(),
        resource_name: resource_name.to_string(),
        reported_day: closed.reported_day,
        description: closed.description.clone(),
        resolution: closed.resolution.clone(),
    };
    let rendered = state
        .mailer
        .renderer
        .render_defect_closed(&mail, now)
        .map_err(|e| balie_booking::Error::invalid("resolution", e.to_string()))?;
    Mailer::to_row(&rendered, None).map(Some).map_err(|e| balie_booking::Error::Corrupt(e.to_string()))
}

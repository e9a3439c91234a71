//! Background work: lapse expired holds, settle lapsed payments, forget stale session
//! revocations, trim rate-limiter state. Each loop stops when the shutdown signal flips.

use std::time::Duration;

use balie_booking::Store;
use tokio::sync::watch;

use crate::http::Limiter;

async fn every(period: Duration, mut shutdown: watch::Receiver<bool>, mut work: impl AsyncFnMut()) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => work().await,
            _ = shutdown.changed() => return,
        }
    }
}

pub fn spawn(
    store: Store,
    limiters: Vec<Limiter>,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let holds = {
        let store = store.clone();
        every(Duration::from_secs(15), shutdown.clone(), move || {
            let store = store.clone();
            async move {
                match store.expire_holds(crate::routes::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(expired = n, "lapsed holds released"),
                    Err(e) => tracing::warn!(error = %e, "expiring holds failed"),
                }
            }
        })
    };
    let sessions = {
        let store = store.clone();
        every(Duration::from_secs(3600), shutdown.clone(), move || {
            let store = store.clone();
            async move {
                if let Err(e) = store.purge_revoked_sessions(crate::routes::now()).await {
                    tracing::warn!(error = %e, "purging session revocations failed");
                }
            }
        })
    };
    let limits = every(Duration::from_secs(60), shutdown, move || {
        for l in &limiters {
            l.limiter().retain_recent();
        }
        async {}
    });
    vec![tokio::spawn(holds), tokio::spawn(sessions), tokio::spawn(limits)]
}

/// Open payments past their expiry: asks the provider (or expires a simulated one), so a hold
/// kept for a payment is released and the panel shows the outcome even without a webhook.
pub fn spawn_payments(state: crate::state::AppState, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(every(Duration::from_secs(20), shutdown, move || {
        let state = state.clone();
        async move { crate::payments::service::sweep(&state, crate::routes::now()).await }
    }))
}

/// Samples the media statistics of live calls, for the quality kept with survey answers.
pub fn spawn_quality(state: crate::state::AppState, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    // Every 15 s: often enough for a quality summary, rare enough that reading the engine's
    // stats never competes with forwarding media (a call shorter than that has none).
    tokio::spawn(every(Duration::from_secs(15), shutdown, move || {
        let state = state.clone();
        async move { crate::surveys::sample_quality(&state).await }
    }))
}

/// The retention purge, hourly: personal data older than `days` is erased (see
/// `Store::purge_before`), and the customers of reservations that ended more than
/// `reservation_days` ago (`Store::purge_reservation_customers_before`).
pub fn spawn_retention(
    store: Store,
    days: i64,
    reservation_days: i64,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(every(Duration::from_secs(3600), shutdown, move || {
        let store = store.clone();
        async move {
            let now = crate::routes::now();
            let cutoff = now - jiff::SignedDuration::from_hours(24 * days);
            match store.purge_before(cutoff, now).await {
                Ok(p) => tracing::info!(?p, "retention purge"),
                Err(e) => tracing::warn!(error = %e, "retention purge failed"),
            }
            let cutoff = now - jiff::SignedDuration::from_hours(24 * reservation_days);
            match store.purge_reservation_customers_before(cutoff, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reservations = n, "reservation customers erased"),
                Err(e) => tracing::warn!(error = %e, "reservation retention purge failed"),
            }
        }
    }))
}

/// Room and court evaluations, hourly: invites yesterday's used reservations (one link and one
/// e-mail each, however often it runs) and erases the addresses of expired links.
pub fn spawn_evaluations(
    state: crate::state::AppState,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(every(Duration::from_secs(3600), shutdown, move || {
        let state = state.clone();
        async move {
            match crate::evaluations::invite_due(&state, crate::routes::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(invited = n, "room evaluations invited"),
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "inviting to room evaluations failed"),
            }
        }
    }))
}

//! Background work: lapse expired holds, forget stale session revocations, trim rate-limiter
//! state. Each loop stops when the shutdown signal flips.

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

//! Group commit for holds: concurrent holds share one transaction.
//!
//! A hold is a short write transaction whose cost is dominated by its fixed part (BEGIN with the
//! hall lock, the commit's fsync, the round trips) rather than by its rows. Under load, holds
//! queue up anyway, behind the hall lock or the database's single writer; here they queue in
//! memory instead, and one task takes everything waiting (up to [`MAX_BATCH`]) into a single
//! transaction: lock every hall involved (in id order, so two batches cannot deadlock), read the
//! blockers of all of them in one query, decide each hold in arrival order with the same pure
//! [`check_bookable`] (each accepted hold becomes a blocker for the ones after it), insert the
//! accepted ones in one statement, commit, answer each caller. A lone hold is a batch of one, so
//! an idle server answers as fast as before.
//!
//! The guarantee is unchanged: every decision is made under the locks of the halls it touches,
//! against every committed booking plus the ones accepted earlier in the same transaction.
//! If the batch transaction fails (a dropped connection, a serialisation error), each hold is
//! retried alone so that one failure does not fail its neighbours.

use std::sync::Arc;

use jiff::Timestamp;
use sqlx::AnyPool;
use tokio::sync::oneshot;

use super::reservations::{begin_locking, blockers_around, hall_of, insert_reservations, Around, NewRow};
use super::{secs, Backend};
use crate::availability::{check_bookable, Blocker, BusyReason, Limits};
use crate::catalogue::Resource;
use crate::error::{Error, Result};
use crate::pricing::Quote;
use crate::reservation::{ReservationRequest, Status};

/// Most holds decided in one transaction; bounds the statement size (17 parameters per row).
pub(crate) const MAX_BATCH: usize = 64;

/// Batches in flight at once. With two, one batch can be collecting or reading while the other
/// commits; batches on the same hall still serialise on its lock. Measured in docs/benchmarks.md.
const DECIDERS: usize = 2;

/// A hold that passed validation and pricing, waiting for its transaction.
pub(crate) struct PendingHold {
    pub resource: Resource,
    pub request: ReservationRequest,
    pub quote: Quote,
    pub limits: Limits,
    pub now: Timestamp,
    pub expires: Timestamp,
    pub created_by: Option<i64>,
}

struct Job {
    hold: PendingHold,
    reply: oneshot::Sender<Result<i64>>,
}

/// Holds waiting for a transaction, and the tasks deciding them. Deciders are spawned on demand
/// and end when nothing waits, so an idle store runs no task, and a request that goes away (a
/// client hanging up drops its handler) cannot take a half-decided batch with it.
#[derive(Clone)]
pub(crate) struct HoldQueue {
    inner: Arc<Inner>,
}

struct Inner {
    pool: AnyPool,
    backend: Backend,
    state: std::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    waiting: Vec<Job>,
    deciders: usize,
}

const STOPPED: &str = "the hold queue stopped before deciding this hold";

impl HoldQueue {
    pub fn new(pool: AnyPool, backend: Backend) -> HoldQueue {
        HoldQueue { inner: Arc::new(Inner { pool, backend, state: Default::default() }) }
    }

    /// Decides `hold` in the next batch; returns the new reservation's id.
    pub async fn submit(&self, hold: PendingHold) -> Result<i64> {
        let (reply, answer) = oneshot::channel();
        let spawn = {
            let mut state = self.inner.lock();
            state.waiting.push(Job { hold, reply });
            let spawn = state.deciders < DECIDERS;
            state.deciders += usize::from(spawn);
            spawn
        };
        if spawn {
            tokio::spawn(decider(self.inner.clone()));
        }
        answer.await.map_err(|_| Error::State(STOPPED.into()))?
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing panics while holding this lock; recover the data if something ever did.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counts a decider out if it ends by panicking, and answers the holds still waiting with an
/// error (their senders dropped) instead of leaving them to a decider that may never come.
struct Leaving {
    inner: Arc<Inner>,
    counted_out: bool,
}

impl Drop for Leaving {
    fn drop(&mut self) {
        if !self.counted_out {
            let mut state = self.inner.lock();
            state.deciders -= 1;
            state.waiting.clear();
        }
    }
}

async fn decider(inner: Arc<Inner>) {
    let mut leaving = Leaving { inner, counted_out: false };
    loop {
        let batch: Vec<Job> = {
            let mut state = leaving.inner.lock();
            if state.waiting.is_empty() {
                // Counted out under the same lock that saw the queue empty: a hold pushed after
                // this sees one decider fewer and spawns one.
                state.deciders -= 1;
                leaving.counted_out = true;
                return;
            }
            let n = state.waiting.len().min(MAX_BATCH);
            state.waiting.drain(..n).collect()
        };
        settle(&leaving.inner.pool, leaving.inner.backend, batch).await;
    }
}

/// Decides a batch and answers each caller; a failed batch is retried one hold at a time.
async fn settle(pool: &AnyPool, backend: Backend, mut batch: Vec<Job>) {
    let holds: Vec<&PendingHold> = batch.iter().map(|j| &j.hold).collect();
    match decide(pool, backend, &holds).await {
        Ok(answers) => {
            for (job, answer) in batch.into_iter().zip(answers) {
                // The caller may have gone away (request cancelled); its hold simply lapses.
                let _ = job.reply.send(answer);
            }
        }
        Err(e) if batch.len() == 1 => {
            let _ = batch.pop().expect("one job").reply.send(Err(e));
        }
        Err(e) => {
            tracing::warn!(error = %e, holds = batch.len(), "hold batch failed; retrying each hold alone");
            for job in batch {
                let answer = match decide(pool, backend, &[&job.hold]).await {
                    Ok(mut answers) => answers.pop().expect("one answer"),
                    Err(e) => Err(e),
                };
                let _ = job.reply.send(answer);
            }
        }
    }
}

/// One transaction for `holds`: the outer error fails the whole batch (nothing written), the inner
/// results are each hold's own answer (its id, or why it cannot be booked).
async fn decide(pool: &AnyPool, backend: Backend, holds: &[&PendingHold]) -> Result<Vec<Result<i64>>> {
    let mut halls: Vec<i64> = holds.iter().map(|h| hall_of(&h.resource)).collect();
    halls.sort_unstable();
    halls.dedup();
    let mut tx = begin_locking(pool, backend, &halls).await?;

    let arounds: Vec<Around> = holds.iter().map(|h| Around::of(&h.resource, h.request.period)).collect();
    let mut questions = arounds.clone();
    questions.sort();
    questions.dedup();
    let earliest_now = holds.iter().map(|h| h.now).min().expect("a batch is never empty");
    let stored = blockers_around(&mut tx, &questions, earliest_now).await?;

    let mut answers: Vec<Result<()>> = Vec::with_capacity(holds.len());
    let mut accepted: Vec<Blocker> = Vec::new();
    for (hold, around) in holds.iter().zip(&arounds) {
        let now = secs(hold.now);
        let mut blockers: Vec<Blocker> = stored
            .iter()
            .filter(|(b, expires)| around.wants(b) && expires.is_none_or(|e| e > now))
            .map(|(b, _)| *b)
            .chain(accepted.iter().filter(|b| around.wants(b)).copied())
            .collect();
        blockers.sort_by_key(|b| b.blocked);
        let answer = check_bookable(&hold.resource, hold.request.period, &blockers, hold.limits);
        if answer.is_ok() {
            let spec = &hold.resource.spec;
            accepted.push(Blocker {
                resource_id: hold.resource.id,
                period: hold.request.period,
                blocked: hold.request.period.widen(spec.buffer_before_minutes, spec.buffer_after_minutes),
                reason: BusyReason::Hold,
            });
        }
        answers.push(answer);
    }

    let rows: Vec<_> = holds
        .iter()
        .zip(&answers)
        .filter(|(_, a)| a.is_ok())
        .map(|(h, _)| {
            let row = NewRow {
                request: &h.request,
                status: Status::Hold,
                hold_expires_at: Some(h.expires),
                quote: &h.quote,
                series_id: None,
                created_by: h.created_by,
            };
            (&h.resource, h.request.period, row, h.now)
        })
        .collect();
    let ids = if rows.is_empty() { Vec::new() } else { insert_reservations(&mut tx, &rows).await? };
    tx.commit().await?;

    let mut ids = ids.into_iter();
    Ok(answers.into_iter().map(|a| a.map(|()| ids.next().expect("one id per accepted hold"))).collect())
}

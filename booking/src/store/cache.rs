//! An in-memory snapshot of the catalogue (resources, services, booking windows).
//!
//! Every hold, quote and availability request needs the resource, its hall and parts, the
//! services and the customer's booking window; reading them from the database each time cost four
//! of a hold's twelve round trips. The catalogue changes a few times a day, so a snapshot is kept
//! and dropped on every catalogue write through this store, and reloaded at most
//! [`CATALOGUE_TTL`] after a write made by *another* node. Double booking does not depend on it:
//! the blocked interval of each reservation is stored with the reservation and checked under the
//! hall's lock.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::catalogue::{BookingWindow, ExtraService, Resource};
use crate::error::Result;

use super::Store;

/// How stale another node's catalogue change may be seen here.
pub const CATALOGUE_TTL: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Catalogue {
    pub resources: Vec<Resource>,
    pub services: Vec<ExtraService>,
    pub windows: Vec<BookingWindow>,
}

/// A value loaded from the database, reused for [`CATALOGUE_TTL`] unless cleared by a write.
pub(crate) struct Snapshot<T>(Mutex<Slot<T>>);

struct Slot<T> {
    value: Option<(Instant, Arc<T>)>,
    cleared: Option<Instant>,
}

impl<T> Default for Snapshot<T> {
    fn default() -> Self {
        Snapshot(Mutex::new(Slot { value: None, cleared: None }))
    }
}

impl<T> Snapshot<T> {
    pub(crate) fn fresh(&self) -> Option<Arc<T>> {
        let slot = self.0.lock().expect("snapshot lock");
        slot.value.as_ref().filter(|(at, _)| at.elapsed() < CATALOGUE_TTL).map(|(_, v)| v.clone())
    }

    /// Stores a value whose load started at `started`, unless a write cleared the slot or a
    /// newer load filled it since: a load that may have read data older than a write must not
    /// be kept.
    pub(crate) fn put(&self, started: Instant, value: Arc<T>) {
        let mut slot = self.0.lock().expect("snapshot lock");
        let newer_than_clear = slot.cleared.is_none_or(|c| started > c);
        let newer_than_value = slot.value.as_ref().is_none_or(|(at, _)| started > *at);
        if newer_than_clear && newer_than_value {
            slot.value = Some((started, value));
        }
    }

    pub(crate) fn clear(&self) {
        let mut slot = self.0.lock().expect("snapshot lock");
        slot.value = None;
        slot.cleared = Some(Instant::now());
    }
}

impl Store {
    /// The current catalogue snapshot, loading it when absent or older than the TTL.
    pub async fn catalogue(&self) -> Result<Arc<Catalogue>> {
        if let Some(c) = self.catalogue_cache.fresh() {
            return Ok(c);
        }
        let started = Instant::now();
        let catalogue = Arc::new(Catalogue {
            resources: self.load_resources().await?,
            services: self.load_services().await?,
            windows: self.load_booking_windows().await?,
        });
        self.catalogue_cache.put(started, catalogue.clone());
        Ok(catalogue)
    }

    /// Drops the snapshot after a catalogue write.
    pub(crate) fn invalidate_catalogue(&self) {
        self.catalogue_cache.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_that_started_before_a_write_is_not_kept() {
        let s = Snapshot::<u32>::default();
        let before = Instant::now();
        s.clear();
        s.put(before, Arc::new(1));
        assert!(s.fresh().is_none(), "stale load discarded");
        s.put(Instant::now(), Arc::new(2));
        assert_eq!(s.fresh().as_deref(), Some(&2));
        s.put(before, Arc::new(3));
        assert_eq!(s.fresh().as_deref(), Some(&2), "an older load never replaces a newer one");
    }
}

//! Seeds the demo municipality into an empty catalogue.

use jiff::Timestamp;
use sqlx::Row;

use super::Store;
use crate::demo;
use crate::error::Result;

impl Store {
    /// Seeds services, booking windows and resources when the catalogue is empty; returns whether
    /// it did. Safe to call on every start.
    pub async fn seed_demo_catalogue(&self, now: Timestamp) -> Result<bool> {
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM resources").fetch_one(&self.pool).await?.try_get(0)?;
        if count > 0 {
            return Ok(false);
        }
        for s in demo::services() {
            self.put_service(&s, now).await?;
        }
        for w in demo::booking_windows() {
            self.put_booking_window(&w, now).await?;
        }
        let mut ids: Vec<(String, i64)> = Vec::new();
        for (mut spec, hall) in demo::resources() {
            spec.part_of = hall.and_then(|code| ids.iter().find(|(c, _)| c == code).map(|(_, id)| *id));
            let r = self.create_resource(&spec, now).await?;
            // Every building has one keypad door; a hall's parts share the hall's.
            if spec.part_of.is_none() {
                self.ensure_door(r.id, &format!("Ingang {}", spec.name), now).await?;
            }
            ids.push((spec.code, r.id));
        }
        Ok(true)
    }
}

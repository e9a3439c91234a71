//! Catalogue storage: resources, extra services, booking windows and maintenance blocks.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{is_unique_violation, json, secs, to_json, ts, Store};
use crate::availability::{check_bookable, BusyReason, Limits};
use crate::catalogue::{BookingWindow, CustomerType, ExtraService, Resource, ResourceSpec};
use crate::error::{Error, FieldError, Result};
use crate::time::Period;

/// A maintenance block as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MaintenanceBlock {
    pub id: i64,
    pub resource_id: i64,
    pub period: Period,
    pub reason: String,
}

fn resource_from_row(row: &AnyRow) -> Result<Resource> {
    let mut spec: ResourceSpec = json(row, "spec")?;
    spec.part_of = row.try_get("parent_id")?;
    Ok(Resource {
        id: row.try_get("id")?,
        spec,
        parts: Vec::new(),
        retired: row.try_get::<Option<i64>, _>("retired_at")?.is_some(),
    })
}

impl Store {
    /// The whole catalogue, retired resources included, with each hall's parts filled in.
    pub async fn resources(&self) -> Result<Vec<Resource>> {
        Ok(self.catalogue().await?.resources.clone())
    }

    pub async fn resource(&self, id: i64) -> Result<Resource> {
        self.catalogue()
            .await?
            .resources
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("resource", id))
    }

    pub async fn services(&self) -> Result<Vec<ExtraService>> {
        Ok(self.catalogue().await?.services.clone())
    }

    pub async fn booking_windows(&self) -> Result<Vec<BookingWindow>> {
        Ok(self.catalogue().await?.windows.clone())
    }

    /// Days ahead this customer type may book; without a configured window, the 366-day maximum.
    pub async fn booking_window(&self, customer: CustomerType) -> Result<i64> {
        let catalogue = self.catalogue().await?;
        Ok(catalogue.windows.iter().find(|w| w.customer_type == customer).map(|w| w.max_days_ahead).unwrap_or(366))
    }

    pub(crate) async fn load_resources(&self) -> Result<Vec<Resource>> {
        let rows = sqlx::query("SELECT id, parent_id, spec, retired_at FROM resources ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut all = rows.iter().map(resource_from_row).collect::<Result<Vec<_>>>()?;
        let links: Vec<(i64, i64)> = all.iter().filter_map(|r| r.spec.part_of.map(|p| (p, r.id))).collect();
        for r in &mut all {
            r.parts = links.iter().filter(|(p, _)| *p == r.id).map(|(_, c)| *c).collect();
        }
        Ok(all)
    }

    /// Checks the rules that need the rest of the catalogue: the hall exists and is not itself a
    /// part, and every listed service exists.
    async fn check_links(&self, spec: &ResourceSpec, own_id: Option<i64>) -> Result<()> {
        let mut problems = Vec::new();
        if let Some(parent) = spec.part_of {
            match self.resource(parent).await {
                Ok(hall) if hall.spec.part_of.is_some() => {
                    problems.push(FieldError::new("part_of", "is itself part of a hall; halls have one level of parts"))
                }
                Ok(hall) if hall.retired => problems.push(FieldError::new("part_of", "is retired")),
                Ok(_) if Some(parent) == own_id => {
                    problems.push(FieldError::new("part_of", "cannot be the resource itself"))
                }
                Ok(_) => {}
                Err(Error::NotFound { .. }) => problems.push(FieldError::new("part_of", "no such resource")),
                Err(e) => return Err(e),
            }
            if let Some(id) = own_id {
                if !self.resource(id).await?.parts.is_empty() {
                    problems.push(FieldError::new("part_of", "a hall with parts cannot itself become a part"));
                }
            }
        }
        let known: Vec<String> = self.services().await?.into_iter().filter(|s| !s.retired).map(|s| s.code).collect();
        for (i, code) in spec.services.iter().enumerate() {
            if !known.contains(code) {
                problems.push(FieldError::new(format!("services[{i}]"), "no such service"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(problems))
        }
    }

    pub async fn create_resource(&self, spec: &ResourceSpec, now: Timestamp) -> Result<Resource> {
        spec.validate()?;
        self.check_links(spec, None).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO resources (code, parent_id, spec, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(&spec.code)
        .bind(spec.part_of)
        .bind(to_json(spec))
        .bind(secs(now))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { Error::invalid("code", "is already used") } else { e.into() })?
        .try_get(0)?;
        self.invalidate_catalogue();
        self.resource(id).await
    }

    /// Replaces a resource's description. Existing reservations keep their quotes and buffers.
    pub async fn update_resource(&self, id: i64, spec: &ResourceSpec, now: Timestamp) -> Result<Resource> {
        spec.validate()?;
        let current = self.resource(id).await?;
        if current.retired {
            return Err(Error::State(format!("resource {id} is retired")));
        }
        self.check_links(spec, Some(id)).await?;
        sqlx::query("UPDATE resources SET code = $1, parent_id = $2, spec = $3, updated_at = $4 WHERE id = $5")
            .bind(&spec.code)
            .bind(spec.part_of)
            .bind(to_json(spec))
            .bind(secs(now))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| if is_unique_violation(&e) { Error::invalid("code", "is already used") } else { e.into() })?;
        self.invalidate_catalogue();
        self.resource(id).await
    }

    /// Takes a resource out of the catalogue; its reservations and history stay.
    pub async fn retire_resource(&self, id: i64, now: Timestamp) -> Result<Resource> {
        self.resource(id).await?;
        sqlx::query("UPDATE resources SET retired_at = COALESCE(retired_at, $1), updated_at = $1 WHERE id = $2")
            .bind(secs(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.invalidate_catalogue();
        self.resource(id).await
    }

    pub(crate) async fn load_services(&self) -> Result<Vec<ExtraService>> {
        let rows =
            sqlx::query("SELECT spec, retired_at FROM extra_services ORDER BY code").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let mut s: ExtraService = json(row, "spec")?;
                s.retired = row.try_get::<Option<i64>, _>("retired_at")?.is_some();
                Ok(s)
            })
            .collect()
    }

    /// Creates or replaces an extra service by code. Quotes already made keep their prices.
    pub async fn put_service(&self, service: &ExtraService, now: Timestamp) -> Result<ExtraService> {
        service.validate()?;
        let retired = service.retired.then_some(secs(now));
        sqlx::query(
            "INSERT INTO extra_services (code, spec, retired_at, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (code) DO UPDATE SET spec = excluded.spec, retired_at = excluded.retired_at, updated_at = excluded.updated_at",
        )
        .bind(&service.code)
        .bind(to_json(service))
        .bind(retired)
        .bind(secs(now))
        .execute(&self.pool)
        .await?;
        self.invalidate_catalogue();
        Ok(service.clone())
    }

    pub(crate) async fn load_booking_windows(&self) -> Result<Vec<BookingWindow>> {
        let rows =
            sqlx::query("SELECT customer_type, max_days_ahead FROM booking_windows").fetch_all(&self.pool).await?;
        let mut out: Vec<BookingWindow> = rows
            .iter()
            .map(|row| {
                let ct: String = row.try_get(0)?;
                Ok(BookingWindow {
                    customer_type: CustomerType::parse(&ct)
                        .ok_or_else(|| Error::Corrupt(format!("customer type {ct}")))?,
                    max_days_ahead: row.try_get(1)?,
                })
            })
            .collect::<Result<_>>()?;
        out.sort_by_key(|w| w.customer_type);
        Ok(out)
    }

    pub async fn put_booking_window(&self, w: &BookingWindow, now: Timestamp) -> Result<BookingWindow> {
        w.validate()?;
        sqlx::query(
            "INSERT INTO booking_windows (customer_type, max_days_ahead, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (customer_type) DO UPDATE SET max_days_ahead = excluded.max_days_ahead, updated_at = excluded.updated_at",
        )
        .bind(w.customer_type.as_str())
        .bind(w.max_days_ahead)
        .bind(secs(now))
        .execute(&self.pool)
        .await?;
        self.invalidate_catalogue();
        Ok(*w)
    }

    /// Blocks a resource for maintenance. Refused with the clashes when bookings exist in that
    /// time: staff must move or cancel them first, so nobody is turned away at the door.
    pub async fn add_maintenance(
        &self,
        resource_id: i64,
        period: Period,
        reason: &str,
        by: Option<i64>,
        now: Timestamp,
    ) -> Result<MaintenanceBlock> {
        if reason.trim().is_empty() || reason.len() > 500 {
            return Err(Error::invalid("reason", "must be 1–500 characters"));
        }
        let resource = self.resource(resource_id).await?;
        let mut tx = self.begin_locked(&resource).await?;
        let blockers = self.blockers_in(&mut tx, &resource, period, now).await?;
        let clashes: Vec<_> = blockers
            .iter()
            .filter(|b| b.blocked.overlaps(&period) && b.reason != BusyReason::Maintenance)
            .map(|b| crate::error::Clash { period: b.blocked, reason: b.reason, resource_id: b.resource_id })
            .collect();
        if !clashes.is_empty() {
            return Err(Error::Conflict(clashes));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO maintenance_blocks (resource_id, starts_at, ends_at, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(resource_id)
        .bind(secs(period.start))
        .bind(secs(period.end))
        .bind(reason)
        .bind(by)
        .bind(secs(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(MaintenanceBlock { id, resource_id, period, reason: reason.to_string() })
    }

    pub async fn maintenance(&self, resource_id: i64) -> Result<Vec<MaintenanceBlock>> {
        let rows = sqlx::query(
            "SELECT id, resource_id, starts_at, ends_at, reason FROM maintenance_blocks WHERE resource_id = $1 ORDER BY starts_at",
        )
        .bind(resource_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MaintenanceBlock {
                    id: r.try_get(0)?,
                    resource_id: r.try_get(1)?,
                    period: Period::from_seconds(r.try_get(2)?, r.try_get(3)?),
                    reason: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub async fn remove_maintenance(&self, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM maintenance_blocks WHERE id = $1").bind(id).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found("maintenance block", id));
        }
        Ok(())
    }

    /// Whether `period` could be booked on `resource` now (used by search), without locking.
    pub async fn is_free(&self, resource: &Resource, period: Period, limits: Limits) -> Result<bool> {
        let blockers = self.blockers(resource, period, limits.now).await?;
        Ok(check_bookable(resource, period, &blockers, limits).is_ok())
    }

    /// Ids of the resources whose bookings exclude each other with `resource`: itself, its hall
    /// and its parts.
    pub(crate) fn related_ids(resource: &Resource) -> Vec<i64> {
        let mut ids = vec![resource.id];
        ids.extend(resource.spec.part_of);
        ids.extend(&resource.parts);
        ids
    }

    pub(crate) fn row_period(row: &AnyRow, start: &str, end: &str) -> Result<Period> {
        Ok(Period { start: ts(row.try_get(start)?), end: ts(row.try_get(end)?) })
    }
}

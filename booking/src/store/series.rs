//! Season series: one transaction books every free occurrence and reports the rest.

use jiff::Timestamp;
use sqlx::Row;

use super::reservations::NewRow;
use super::{secs, to_json, Store};
use crate::availability::check_bookable;
use crate::error::{Error, Result};
use crate::pricing;
use crate::reservation::{ReservationRequest, Status};
use crate::series::{Occurrence, OccurrenceStatus, SeriesReport, SeriesRequest};
use crate::time::Period;

impl Store {
    /// Books a weekly series as confirmed reservations (associations are invoiced per season).
    pub async fn book_series(
        &self,
        req: &SeriesRequest,
        created_by: Option<i64>,
        now: Timestamp,
    ) -> Result<SeriesReport> {
        let occurrences = req.occurrences()?;
        let resource = self.resource(req.resource_id).await?;
        let services = self.services().await?;
        let limits = self.limits(req.customer.customer_type, now).await?;
        let span = Period {
            start: occurrences.first().map(|o| o.1.start).expect("at least one occurrence"),
            end: occurrences.last().map(|o| o.1.end).expect("at least one occurrence"),
        };
        // Price the first occurrence up front so a bad customer type or service fails the request
        // as a whole instead of every occurrence one by one.
        pricing::quote(
            &resource,
            &services,
            req.customer.customer_type,
            occurrences[0].1,
            req.attendees,
            &req.services,
        )?;

        let mut tx = self.begin_locked(&resource).await?;
        let blockers = self.blockers_in(&mut tx, &resource, span, now).await?;
        let series_id: i64 = sqlx::query(
            "INSERT INTO series (resource_id, request, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(resource.id)
        .bind(to_json(req))
        .bind(created_by)
        .bind(secs(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let mut report = Vec::with_capacity(occurrences.len());
        for (date, period) in occurrences {
            let mut occ = Occurrence {
                date,
                period,
                status: OccurrenceStatus::Booked,
                reservation_id: None,
                clashes: vec![],
                reason: None,
            };
            let checked = check_bookable(&resource, period, &blockers, limits).and_then(|()| {
                pricing::quote(&resource, &services, req.customer.customer_type, period, req.attendees, &req.services)
            });
            match checked {
                Ok(quote) => {
                    let request = ReservationRequest {
                        resource_id: resource.id,
                        period,
                        customer: req.customer.clone(),
                        attendees: req.attendees,
                        services: req.services.clone(),
                        purpose: req.purpose.clone(),
                    };
                    let row = NewRow {
                        request: &request,
                        status: Status::Confirmed,
                        hold_expires_at: None,
                        quote: &quote,
                        series_id: Some(series_id),
                        created_by,
                    };
                    occ.reservation_id = Some(self.insert_reservation(&mut tx, &resource, period, row, now).await?);
                }
                Err(Error::Conflict(clashes)) => {
                    occ.status = OccurrenceStatus::Conflict;
                    occ.clashes = clashes;
                }
                Err(Error::Invalid(problems)) => {
                    occ.status = OccurrenceStatus::Refused;
                    occ.reason = Some(problems.iter().map(|p| p.reason.clone()).collect::<Vec<_>>().join("; "));
                }
                Err(Error::State(reason)) => {
                    occ.status = OccurrenceStatus::Refused;
                    occ.reason = Some(reason);
                }
                Err(e) => return Err(e),
            }
            report.push(occ);
        }
        tx.commit().await?;
        let booked = report.iter().filter(|o| o.status == OccurrenceStatus::Booked).count();
        Ok(SeriesReport { series_id, booked, not_booked: report.len() - booked, occurrences: report })
    }

    /// Cancels the occurrences of a series that start at or after `from` (the rest of a season).
    pub async fn cancel_series_from(&self, series_id: i64, from: Timestamp, now: Timestamp) -> Result<u64> {
        let exists =
            sqlx::query("SELECT id FROM series WHERE id = $1").bind(series_id).fetch_optional(&self.pool).await?;
        if exists.is_none() {
            return Err(Error::not_found("series", series_id));
        }
        let done = sqlx::query(
            "UPDATE reservations SET status = 'cancelled', hold_expires_at = NULL, cancelled_at = $1, updated_at = $1 \
             WHERE series_id = $2 AND starts_at >= $3 AND status IN ('hold', 'confirmed')",
        )
        .bind(secs(now))
        .bind(series_id)
        .bind(secs(from))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

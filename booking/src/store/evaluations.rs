//! Room and court evaluations (one personal, single-use link per used reservation, mailed the
//! day after), their anonymous answers, defect reports with photos, and the managers' figures.
//!
//! As for surveys, the token is not stored, only its SHA-256. The e-mails (the invitation, and the
//! "what we did" message when staff close a defect) are queued in the transaction that records
//! what they report; the closing one erases the reporter's address in that same transaction.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use super::outbox::enqueue;
use super::{secs, ts, Store};
use crate::calls::token_hash;
use crate::error::{Error, Result};
use crate::evaluations::{
    validate_resolution, DefectStatus, EvaluationAnswer, NewDefect, PhotoType, MAX_REPORTS_PER_EVALUATION,
};
use crate::outbox::NewMail;
use crate::reservation::Reservation;

/// A new evaluation link for one reservation. `email: None` records that the reservation was
/// looked at but not mailed (no usable address); `mail` is the invitation to queue with it.
#[derive(Debug, Clone)]
pub struct NewEvaluation {
    pub token: String,
    pub reservation_id: i64,
    pub resource_id: i64,
    pub email: Option<String>,
    /// `nl`, `en` or `fr`.
    pub language: String,
    /// The day the reservation took place (Brussels).
    pub day: Date,
    pub expires_at: Timestamp,
    pub mail: Option<NewMail>,
}

/// What the evaluation page shows before the questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EvaluationView {
    pub resource_id: i64,
    pub resource_name: String,
    #[schema(value_type = String)]
    pub day: Date,
    pub language: String,
}

/// A defect report as staff see it (never the reporter's address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DefectReport {
    pub id: i64,
    pub resource_id: i64,
    pub reservation_id: Option<i64>,
    pub description: String,
    pub status: DefectStatus,
    pub resolution: Option<String>,
    /// Whether the reporter will be told what was done (an address is on file).
    pub reporter_notified_on_close: bool,
    pub language: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<i64>,
    /// Ids of the photos (`GET /api/v1/defecten/{id}/fotos/{photo}`).
    pub photos: Vec<i64>,
}

/// A defect being closed: what the "what we did" e-mail is made from, inside the closing
/// transaction.
#[derive(Debug, Clone)]
pub struct ClosedDefect {
    pub id: i64,
    pub resource_id: i64,
    pub description: String,
    pub resolution: String,
    /// `None` when there is nobody to tell.
    pub reporter_email: Option<String>,
    pub language: String,
    /// The day it was reported (Brussels).
    pub reported_day: Date,
}

/// Renders the e-mail telling the reporter what was done (`None`: no e-mail).
pub type DefectClosedMail<'a> = dyn Fn(&ClosedDefect) -> Result<Option<NewMail>> + Sync + 'a;

/// A stored photo.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    pub content_type: PhotoType,
    pub bytes: Vec<u8>,
    pub width: i64,
    pub height: i64,
}

impl std::fmt::Debug for StoredPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredPhoto")
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// Per room or court: answers and the sum of their scores, defects open and closed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoomTally {
    pub resource_id: i64,
    pub n: i64,
    pub sum: i64,
    pub defects_open: i64,
    pub defects_closed: i64,
}

/// One answered evaluation as the managers' export shows it: no person, no reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationRow {
    pub day: Date,
    pub resource_id: i64,
    pub score: i64,
    pub comment: Option<String>,
}

/// One defect report as the managers' export shows it (never the reporter's address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefectRow {
    pub id: i64,
    pub resource_id: i64,
    pub created_at: Timestamp,
    pub status: DefectStatus,
    pub description: String,
    pub resolution: Option<String>,
    pub closed_at: Option<Timestamp>,
    pub photos: i64,
}

fn parse_day(s: &str) -> Result<Date> {
    s.parse().map_err(|_| Error::Corrupt(format!("evaluation day {s}")))
}

const ANSWERED: &str = "this evaluation was answered already: thank you";
const CLOSED: &str = "this evaluation has closed";

/// The open evaluation row behind a token, on `conn`: [`Error::NotFound`] for an unknown token,
/// [`Error::State`] when answered or expired.
async fn open_evaluation(conn: &mut sqlx::AnyConnection, token: &str, now: Timestamp) -> Result<AnyRow> {
    let row = sqlx::query(
        "SELECT id, reservation_id, resource_id, email, language, day, answered_at, expires_at \
         FROM room_evaluations WHERE token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::not_found("evaluation", "that link"))?;
    if row.try_get::<Option<i64>, _>("answered_at")?.is_some() {
        return Err(Error::State(ANSWERED.into()));
    }
    if ts(row.try_get("expires_at")?) <= now {
        return Err(Error::State(CLOSED.into()));
    }
    Ok(row)
}

impl Store {
    /// Used reservations that ended in `[from, to)` and have no evaluation link yet, oldest
    /// first, at most `limit` (the job's candidates: "yesterday's" reservations). Used: confirmed,
    /// and when its code is for a door with a registered device, that door let the code in at
    /// least once; without a device nothing says the room stayed empty, so it counts as used.
    pub async fn evaluation_candidates(&self, from: Timestamp, to: Timestamp, limit: i64) -> Result<Vec<Reservation>> {
        let ids: Vec<i64> = sqlx::query(
            "SELECT r.id FROM reservations r WHERE r.status = 'confirmed' AND r.ends_at >= $1 AND r.ends_at < $2 \
             AND NOT EXISTS (SELECT 1 FROM room_evaluations e WHERE e.reservation_id = r.id) \
             AND NOT EXISTS (SELECT 1 FROM access_codes c JOIN doors d ON d.id = c.door_id \
                 WHERE c.reservation_id = r.id AND d.api_key_hash IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM door_events ev WHERE ev.door_id = c.door_id \
                     AND ev.at >= c.valid_from AND ev.at <= c.valid_until \
                     AND ev.access_code_id = c.id AND ev.outcome = 'open')) \
             ORDER BY r.ends_at, r.id LIMIT $3",
        )
        .bind(secs(from))
        .bind(secs(to))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.reservation(id).await?);
        }
        Ok(out)
    }

    /// Records an evaluation link and queues its invitation, once per reservation: a second
    /// call for the same reservation changes nothing and queues nothing. Returns whether it was new.
    pub async fn invite_to_evaluation(&self, e: &NewEvaluation, now: Timestamp) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query(
            "INSERT INTO room_evaluations (token_hash, reservation_id, resource_id, email, language, day, expires_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(token_hash(&e.token))
        .bind(e.reservation_id)
        .bind(e.resource_id)
        .bind(&e.email)
        .bind(&e.language)
        .bind(e.day.to_string())
        .bind(secs(e.expires_at))
        .bind(secs(now))
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        if id.is_none() {
            return Ok(false);
        }
        if let Some(mail) = &e.mail {
            enqueue(&mut tx, mail, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The evaluation behind `token`: [`Error::NotFound`] for an unknown token, [`Error::State`]
    /// when answered or expired (the web layer answers 410).
    pub async fn evaluation(&self, token: &str, now: Timestamp) -> Result<EvaluationView> {
        let mut conn = self.pool.acquire().await?;
        let row = open_evaluation(&mut conn, token, now).await?;
        drop(conn);
        let resource_id: i64 = row.try_get("resource_id")?;
        let resource = self.resource(resource_id).await?;
        Ok(EvaluationView {
            resource_id,
            resource_name: resource.spec.name,
            day: parse_day(&row.try_get::<String, _>("day")?)?,
            language: row.try_get("language")?,
        })
    }

    /// Stores an answer without the person and uses the link up (its address is erased).
    /// Answering twice is refused with [`Error::State`].
    pub async fn answer_evaluation(&self, token: &str, answer: &EvaluationAnswer, now: Timestamp) -> Result<()> {
        answer.validate()?;
        let mut tx = self.begin_write().await?;
        open_evaluation(&mut tx, token, now).await?;
        let row = sqlx::query(
            "UPDATE room_evaluations SET answered_at = $1, email = NULL \
             WHERE token_hash = $2 AND answered_at IS NULL AND expires_at > $1 RETURNING resource_id, day",
        )
        .bind(secs(now))
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::State(ANSWERED.into()))?;
        sqlx::query(
            "INSERT INTO room_evaluation_answers (resource_id, day, score, comment, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(row.try_get::<i64, _>("resource_id")?)
        .bind(row.try_get::<String, _>("day")?)
        .bind(answer.score)
        .bind(answer.comment())
        .bind(secs(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Erases the addresses of evaluation links that expired unanswered. Returns how many.
    pub async fn expire_evaluations(&self, now: Timestamp) -> Result<u64> {
        let done = sqlx::query("UPDATE room_evaluations SET email = NULL WHERE email IS NOT NULL AND expires_at <= $1")
            .bind(secs(now))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Records a defect reported through an open evaluation link, with its (re-encoded) photos.
    /// The reporter's address is copied from the link, to tell them later what was done.
    pub async fn report_defect(&self, token: &str, defect: &NewDefect, now: Timestamp) -> Result<i64> {
        defect.validate()?;
        let mut tx = self.begin_write().await?;
        let evaluation = open_evaluation(&mut tx, token, now).await?;
        let evaluation_id: i64 = evaluation.try_get("id")?;
        let made: i64 = sqlx::query("SELECT COUNT(*) FROM defect_reports WHERE evaluation_id = $1")
            .bind(evaluation_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if made >= MAX_REPORTS_PER_EVALUATION {
            return Err(Error::State("this link has reported the most defects it may: call us instead".into()));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO defect_reports (resource_id, reservation_id, evaluation_id, description, status, \
             reporter_email, language, created_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7) RETURNING id",
        )
        .bind(evaluation.try_get::<i64, _>("resource_id")?)
        .bind(evaluation.try_get::<i64, _>("reservation_id")?)
        .bind(evaluation_id)
        .bind(defect.description.trim())
        .bind(evaluation.try_get::<Option<String>, _>("email")?)
        .bind(evaluation.try_get::<String, _>("language")?)
        .bind(secs(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        for photo in &defect.photos {
            sqlx::query(
                "INSERT INTO defect_photos (report_id, content_type, bytes, width, height, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(photo.content_type.as_str())
            .bind(photo.bytes.clone())
            .bind(i64::from(photo.width))
            .bind(i64::from(photo.height))
            .bind(secs(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Defect reports with this status, newest first, at most `limit`.
    pub async fn defects(&self, status: DefectStatus, limit: i64) -> Result<Vec<DefectReport>> {
        let rows = sqlx::query(&format!(
            "SELECT {DEFECT_COLUMNS} FROM defect_reports WHERE status = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(status.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.defect_from_row(r).await?);
        }
        Ok(out)
    }

    pub async fn defect(&self, id: i64) -> Result<DefectReport> {
        let row = sqlx::query(&format!("SELECT {DEFECT_COLUMNS} FROM defect_reports WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("defect report", id))?;
        self.defect_from_row(&row).await
    }

    async fn defect_from_row(&self, r: &AnyRow) -> Result<DefectReport> {
        let id: i64 = r.try_get("id")?;
        let status: String = r.try_get("status")?;
        let photos = sqlx::query("SELECT id FROM defect_photos WHERE report_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|p| p.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        Ok(DefectReport {
            id,
            resource_id: r.try_get("resource_id")?,
            reservation_id: r.try_get("reservation_id")?,
            description: r.try_get("description")?,
            status: DefectStatus::parse(&status).ok_or_else(|| Error::Corrupt(format!("defect status {status}")))?,
            resolution: r.try_get("resolution")?,
            reporter_notified_on_close: r.try_get::<Option<String>, _>("reporter_email")?.is_some(),
            language: r.try_get("language")?,
            created_at: ts(r.try_get("created_at")?),
            closed_at: r.try_get::<Option<i64>, _>("closed_at")?.map(ts),
            closed_by: r.try_get("closed_by")?,
            photos,
        })
    }

    /// One photo of report `report_id` ([`Error::NotFound`] when it is not that report's).
    pub async fn defect_photo(&self, report_id: i64, photo_id: i64) -> Result<StoredPhoto> {
        let row = sqlx::query(
            "SELECT content_type, bytes, width, height FROM defect_photos WHERE id = $1 AND report_id = $2",
        )
        .bind(photo_id)
        .bind(report_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::not_found("photo", photo_id))?;
        let content_type: String = row.try_get("content_type")?;
        Ok(StoredPhoto {
            content_type: PhotoType::parse(&content_type)
                .ok_or_else(|| Error::Corrupt(format!("photo type {content_type}")))?,
            bytes: row.try_get("bytes")?,
            width: row.try_get("width")?,
            height: row.try_get("height")?,
        })
    }

    /// Closes an open report with what was done: in one transaction the report is closed, the
    /// e-mail `mail` renders is queued for the reporter, and the reporter's address is erased.
    /// [`Error::State`] when it was closed already.
    pub async fn close_defect(
        &self,
        id: i64,
        resolution: &str,
        staff_id: i64,
        now: Timestamp,
        mail: &DefectClosedMail<'_>,
    ) -> Result<DefectReport> {
        validate_resolution(resolution)?;
        let resolution = resolution.trim();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE defect_reports SET status = 'closed', resolution = $1, closed_at = $2, closed_by = $3 \
             WHERE id = $4 AND status = 'open' \
             RETURNING resource_id, description, reporter_email, language, created_at",
        )
        .bind(resolution)
        .bind(secs(now))
        .bind(staff_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            self.defect(id).await?;
            return Err(Error::State("this defect report is closed already".into()));
        };
        let closed = ClosedDefect {
            id,
            resource_id: row.try_get("resource_id")?,
            description: row.try_get("description")?,
            resolution: resolution.to_string(),
            reporter_email: row.try_get("reporter_email")?,
            language: row.try_get("language")?,
            reported_day: crate::time::local(ts(row.try_get("created_at")?)).date(),
        };
        if closed.reporter_email.is_some() {
            if let Some(m) = mail(&closed)? {
                enqueue(&mut tx, &m, now).await?;
            }
            sqlx::query("UPDATE defect_reports SET reporter_email = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.defect(id).await
    }

    /// The evaluations of days `from..=to`, by day, at most `limit` (the export).
    pub async fn evaluation_answers(&self, from: Date, to: Date, limit: i64) -> Result<Vec<EvaluationRow>> {
        let rows = sqlx::query(
            "SELECT day, resource_id, score, comment FROM room_evaluation_answers \
             WHERE day >= $1 AND day <= $2 ORDER BY day, id LIMIT $3",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EvaluationRow {
                    day: parse_day(&r.try_get::<String, _>("day")?)?,
                    resource_id: r.try_get("resource_id")?,
                    score: r.try_get("score")?,
                    comment: r.try_get("comment")?,
                })
            })
            .collect()
    }

    /// The defects reported in `[from, to)`, oldest first, at most `limit` (the export); one
    /// query, the photos counted in it.
    pub async fn defects_reported(&self, from: Timestamp, to: Timestamp, limit: i64) -> Result<Vec<DefectRow>> {
        let rows = sqlx::query(
            "SELECT d.id, d.resource_id, d.created_at, d.status, d.description, d.resolution, d.closed_at, \
               (SELECT COUNT(*) FROM defect_photos p WHERE p.report_id = d.id) AS photos \
             FROM defect_reports d WHERE d.created_at >= $1 AND d.created_at < $2 ORDER BY d.id LIMIT $3",
        )
        .bind(secs(from))
        .bind(secs(to))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(DefectRow {
                    id: r.try_get("id")?,
                    resource_id: r.try_get("resource_id")?,
                    created_at: ts(r.try_get("created_at")?),
                    status: DefectStatus::parse(&status)
                        .ok_or_else(|| Error::Corrupt(format!("defect status {status}")))?,
                    description: r.try_get("description")?,
                    resolution: r.try_get("resolution")?,
                    closed_at: r.try_get::<Option<i64>, _>("closed_at")?.map(ts),
                    photos: r.try_get("photos")?,
                })
            })
            .collect()
    }

    /// Per room or court: evaluations answered on days `from..=to` and defects reported in
    /// `[reported_from, reported_to)`, for the managers' dashboard. Rooms with neither are left out.
    pub async fn room_tallies(
        &self,
        from: Date,
        to: Date,
        reported_from: Timestamp,
        reported_to: Timestamp,
    ) -> Result<Vec<RoomTally>> {
        let mut all: std::collections::BTreeMap<i64, RoomTally> = Default::default();
        let answers = sqlx::query(
            "SELECT resource_id, COUNT(*) AS n, CAST(SUM(score) AS BIGINT) AS total FROM room_evaluation_answers \
             WHERE day >= $1 AND day <= $2 GROUP BY resource_id",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await?;
        for r in &answers {
            let id: i64 = r.try_get("resource_id")?;
            let t = all.entry(id).or_insert_with(|| RoomTally { resource_id: id, ..Default::default() });
            t.n = r.try_get("n")?;
            t.sum = r.try_get("total")?;
        }
        let defects = sqlx::query(
            "SELECT resource_id, status, COUNT(*) AS n FROM defect_reports \
             WHERE created_at >= $1 AND created_at < $2 GROUP BY resource_id, status",
        )
        .bind(secs(reported_from))
        .bind(secs(reported_to))
        .fetch_all(&self.pool)
        .await?;
        for r in &defects {
            let id: i64 = r.try_get("resource_id")?;
            let t = all.entry(id).or_insert_with(|| RoomTally { resource_id: id, ..Default::default() });
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("status")?.as_str() {
                "open" => t.defects_open = n,
                _ => t.defects_closed = n,
            }
        }
        Ok(all.into_values().collect())
    }
}

const DEFECT_COLUMNS: &str = "id, resource_id, reservation_id, description, status, resolution, reporter_email, \
                              language, created_at, closed_at, closed_by";

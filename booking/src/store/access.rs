//! Doors, their API keys and brute-force locks, the access codes of confirmed reservations, and
//! the log of every attempt. The decisions are the pure ones of [`crate::access`].

use jiff::Timestamp;
use serde::Serialize;
use sqlx::{AnyConnection, Row};
use utoipa::ToSchema;

use super::payments::CodeIssuer;
use super::{secs, ts, Store};
use crate::access::{self, DoorLock, NewCode, Refusal, StoredCode};
use crate::catalogue::Resource;
use crate::error::{Error, Result};
use crate::reservation::Reservation;
use crate::time::Period;

/// A door with a keypad or a kiosk tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Door {
    pub id: i64,
    /// The room or hall behind it; a reservation of a hall's part uses the hall's door.
    pub resource_id: i64,
    pub name: String,
    /// Whether a device key was issued (the key itself is shown once, when issued).
    pub has_key: bool,
    #[schema(value_type = Option<String>)]
    pub locked_until: Option<Timestamp>,
}

/// A code just issued: the PIN and QR text exist only here and in the e-mail.
#[derive(Clone)]
pub struct IssuedCode {
    pub id: i64,
    pub door_id: i64,
    pub door_name: String,
    pub pin: String,
    pub qr: String,
    pub valid: Period,
}

// By hand: the PIN and QR open a door and must not reach the logs.
impl std::fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCode")
            .field("id", &self.id)
            .field("door_id", &self.door_id)
            .field("valid", &self.valid)
            .finish_non_exhaustive()
    }
}

/// A reservation's code as staff and the panel may see it: never the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccessInfo {
    pub door: String,
    pub valid: Period,
    pub revoked: bool,
}

/// What was presented at a door, already digested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// A PIN (the raw digits: the digest depends on the door, which the store knows).
    Pin(String),
    /// The text of a QR code.
    Qr(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// A door's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoorDecision {
    Open { reservation_id: i64, valid: Period },
    Refused { reason: Refusal, valid: Option<Period> },
    Locked { until: Timestamp },
}

/// One logged attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DoorEvent {
    #[schema(value_type = String)]
    pub at: Timestamp,
    pub direction: Direction,
    /// `open`, `refused` or `locked`.
    pub outcome: String,
    pub reason: Option<String>,
    pub reservation_id: Option<i64>,
}

/// Most attempts to find a PIN not used at the same time on the same door; with a million PINs
/// and a handful of overlapping codes per door, the first almost always is.
const PIN_TRIES: usize = 50;

/// Issues the door code of `reservation` inside the confirming transaction, if its room (or its
/// hall) has a door. The door's row lock makes concurrent issues for one door take turns, so the
/// uniqueness check sees every committed code.
pub(crate) async fn issue_code(
    tx: &mut AnyConnection,
    resource: &Resource,
    reservation: &Reservation,
    issuer: &CodeIssuer<'_>,
    now: Timestamp,
) -> Result<Option<IssuedCode>> {
    let ids = [Some(resource.id), resource.spec.part_of];
    let door = sqlx::query(
        "SELECT id, name FROM doors WHERE resource_id = $1 OR resource_id = $2 \
         ORDER BY CASE WHEN resource_id = $1 THEN 0 ELSE 1 END LIMIT 1",
    )
    .bind(ids[0])
    .bind(ids[1])
    .fetch_optional(&mut *tx)
    .await?;
    let Some(door) = door else { return Ok(None) };
    let (door_id, door_name): (i64, String) = (door.try_get("id")?, door.try_get("name")?);
    sqlx::query("UPDATE doors SET lock_version = lock_version + 1 WHERE id = $1")
        .bind(door_id)
        .execute(&mut *tx)
        .await?;
    let valid = access::validity(reservation.period, issuer.margin);
    for _ in 0..PIN_TRIES {
        let code = NewCode::generate(&mut rand::thread_rng());
        let pin_digest = access::pin_digest(issuer.pin_key, door_id, &code.pin);
        let clash = sqlx::query(
            "SELECT 1 FROM access_codes WHERE door_id = $1 AND pin_digest = $2 AND revoked_at IS NULL \
             AND valid_from < $3 AND valid_until > $4",
        )
        .bind(door_id)
        .bind(&pin_digest)
        .bind(secs(valid.end))
        .bind(secs(valid.start))
        .fetch_optional(&mut *tx)
        .await?;
        if clash.is_some() {
            continue;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO access_codes (reservation_id, door_id, pin_digest, qr_digest, valid_from, valid_until, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(reservation.id)
        .bind(door_id)
        .bind(&pin_digest)
        .bind(access::qr_digest(&code.qr))
        .bind(secs(valid.start))
        .bind(secs(valid.end))
        .bind(secs(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        return Ok(Some(IssuedCode { id, door_id, door_name, pin: code.pin, qr: code.qr, valid }));
    }
    Err(Error::State("no free PIN for this door at this time; try again".into()))
}

fn door_from_row(r: &sqlx::any::AnyRow) -> Result<Door> {
    Ok(Door {
        id: r.try_get("id")?,
        resource_id: r.try_get("resource_id")?,
        name: r.try_get("name")?,
        has_key: r.try_get::<Option<String>, _>("api_key_hash")?.is_some(),
        locked_until: r.try_get::<Option<i64>, _>("locked_until")?.map(ts),
    })
}

const DOOR_COLUMNS: &str = "id, resource_id, name, api_key_hash, locked_until";

impl Store {
    pub async fn doors(&self) -> Result<Vec<Door>> {
        let rows = sqlx::query(&format!("SELECT {DOOR_COLUMNS} FROM doors ORDER BY id")).fetch_all(&self.pool).await?;
        rows.iter().map(door_from_row).collect()
    }

    pub async fn door(&self, id: i64) -> Result<Door> {
        let row = sqlx::query(&format!("SELECT {DOOR_COLUMNS} FROM doors WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("door", id))?;
        door_from_row(&row)
    }

    /// The door of `resource_id`, made if it has none.
    pub async fn ensure_door(&self, resource_id: i64, name: &str, now: Timestamp) -> Result<Door> {
        self.resource(resource_id).await?;
        sqlx::query(
            "INSERT INTO doors (resource_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (resource_id) DO NOTHING",
        )
        .bind(resource_id)
        .bind(name)
        .bind(secs(now))
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(&format!("SELECT {DOOR_COLUMNS} FROM doors WHERE resource_id = $1"))
            .bind(resource_id)
            .fetch_one(&self.pool)
            .await?;
        door_from_row(&row)
    }

    /// Replaces the door's device key (its SHA-256): the old key stops working at once.
    pub async fn set_door_key(&self, door_id: i64, key_hash: &str) -> Result<Door> {
        let done = sqlx::query("UPDATE doors SET api_key_hash = $1 WHERE id = $2")
            .bind(key_hash)
            .bind(door_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::not_found("door", door_id));
        }
        self.door(door_id).await
    }

    pub async fn door_by_key(&self, key_hash: &str) -> Result<Option<Door>> {
        let row = sqlx::query(&format!("SELECT {DOOR_COLUMNS} FROM doors WHERE api_key_hash = $1"))
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(door_from_row).transpose()
    }

    /// The code of a reservation, as staff and the panel may see it.
    pub async fn access_of(&self, reservation_id: i64) -> Result<Option<AccessInfo>> {
        let row = sqlx::query(
            "SELECT d.name, c.valid_from, c.valid_until, c.revoked_at FROM access_codes c \
             JOIN doors d ON d.id = c.door_id WHERE c.reservation_id = $1",
        )
        .bind(reservation_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(AccessInfo {
                door: r.try_get("name")?,
                valid: Store::row_period(&r, "valid_from", "valid_until")?,
                revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            })
        })
        .transpose()
    }

    /// Decides an attempt at `door_id` and logs it; counts failures and locks the door after
    /// [`access::MAX_FAILURES`]. One transaction holding the door's row lock, so two attempts at
    /// once cannot both slip under the limit.
    pub async fn door_attempt(
        &self,
        door_id: i64,
        presented: &Presented,
        direction: Direction,
        pin_key: &[u8],
        now: Timestamp,
    ) -> Result<DoorDecision> {
        let mut tx = super::begin_with_row_locks(&self.pool, self.backend, "doors", "id", &[door_id]).await?;
        let row = sqlx::query("SELECT failed_attempts, failures_since, locked_until FROM doors WHERE id = $1")
            .bind(door_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::not_found("door", door_id))?;
        let lock = DoorLock {
            failures: row.try_get("failed_attempts")?,
            since: row.try_get::<Option<i64>, _>("failures_since")?.map(ts),
            locked_until: row.try_get::<Option<i64>, _>("locked_until")?.map(ts),
        };
        let log = |outcome: &'static str, reason: Option<&'static str>, code: Option<i64>| {
            sqlx::query(
                "INSERT INTO door_events (door_id, at, direction, outcome, reason, access_code_id) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(door_id)
            .bind(secs(now))
            .bind(direction.as_str())
            .bind(outcome)
            .bind(reason)
            .bind(code)
        };
        if let Some(until) = lock.locked(now) {
            log("locked", None, None).execute(&mut *tx).await?;
            tx.commit().await?;
            return Ok(DoorDecision::Locked { until });
        }
        let is_pin = matches!(presented, Presented::Pin(_));
        let (column, digest) = match presented {
            Presented::Pin(pin) if access::is_pin(pin) => ("pin_digest", access::pin_digest(pin_key, door_id, pin)),
            Presented::Pin(_) => ("pin_digest", String::new()),
            Presented::Qr(qr) => ("qr_digest", access::qr_digest(qr)),
        };
        let rows = sqlx::query(&format!(
            "SELECT c.id, c.reservation_id, c.valid_from, c.valid_until, c.revoked_at, r.status FROM access_codes c \
             JOIN reservations r ON r.id = c.reservation_id WHERE c.door_id = $1 AND c.{column} = $2"
        ))
        .bind(door_id)
        .bind(&digest)
        .fetch_all(&mut *tx)
        .await?;
        let mut candidates = Vec::with_capacity(rows.len());
        let mut reservations = std::collections::HashMap::new();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            reservations.insert(id, r.try_get::<i64, _>("reservation_id")?);
            candidates.push(StoredCode {
                id,
                valid: Store::row_period(r, "valid_from", "valid_until")?,
                // A code whose reservation is no longer confirmed never opens, even if revoking it
                // failed.
                revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some()
                    || r.try_get::<String, _>("status")? != "confirmed",
            });
        }
        let verdict = if is_pin { access::decide_pin(&candidates, now) } else { access::decide(&candidates, now) };
        let after = lock.after(verdict.is_ok(), now);
        sqlx::query("UPDATE doors SET failed_attempts = $1, failures_since = $2, locked_until = $3 WHERE id = $4")
            .bind(after.failures)
            .bind(after.since.map(secs))
            .bind(after.locked_until.map(secs))
            .bind(door_id)
            .execute(&mut *tx)
            .await?;
        let decision = match verdict {
            Ok(code) => {
                log("open", None, Some(code.id)).execute(&mut *tx).await?;
                DoorDecision::Open { reservation_id: reservations[&code.id], valid: code.valid }
            }
            Err((reason, code)) => {
                log("refused", Some(reason.as_str()), code.map(|c| c.id)).execute(&mut *tx).await?;
                DoorDecision::Refused { reason, valid: code.map(|c| c.valid) }
            }
        };
        tx.commit().await?;
        Ok(decision)
    }

    /// The latest `limit` attempts at a door, newest first.
    pub async fn door_events(&self, door_id: i64, limit: i64) -> Result<Vec<DoorEvent>> {
        let rows = sqlx::query(
            "SELECT e.at, e.direction, e.outcome, e.reason, c.reservation_id FROM door_events e \
             LEFT JOIN access_codes c ON c.id = e.access_code_id WHERE e.door_id = $1 ORDER BY e.id DESC LIMIT $2",
        )
        .bind(door_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let direction: String = r.try_get("direction")?;
                Ok(DoorEvent {
                    at: ts(r.try_get("at")?),
                    direction: if direction == "out" { Direction::Out } else { Direction::In },
                    outcome: r.try_get("outcome")?,
                    reason: r.try_get("reason")?,
                    reservation_id: r.try_get("reservation_id")?,
                })
            })
            .collect()
    }
}

//! Staff accounts (agents, managers, resource admins) and revoked session ids. Password hashing
//! and session tokens belong to the web layer; this module only stores what it is given.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{is_unique_violation, secs, ts, Store};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct StaffRecord {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    /// Role names, e.g. `agent`, `manager`, `resource-admin`.
    pub roles: Vec<String>,
    pub failed_logins: i64,
    pub locked_until: Option<Timestamp>,
}

fn staff_from_row(r: &AnyRow) -> Result<StaffRecord> {
    let roles: String = r.try_get("roles")?;
    Ok(StaffRecord {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        password_hash: r.try_get("password_hash")?,
        roles: roles.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get::<Option<i64>, _>("locked_until")?.map(ts),
    })
}

const COLUMNS: &str = "id, email, name, password_hash, roles, failed_logins, locked_until";

impl Store {
    pub async fn create_staff(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        roles: &[&str],
        now: Timestamp,
    ) -> Result<i64> {
        let id = sqlx::query("INSERT INTO staff (email, name, password_hash, roles, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(email.to_lowercase())
            .bind(name)
            .bind(password_hash)
            .bind(roles.join(","))
            .bind(secs(now))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| if is_unique_violation(&e) { Error::invalid("email", "is already used") } else { e.into() })?
            .try_get(0)?;
        Ok(id)
    }

    /// Every staff member's name, by id (for labels on the dashboard).
    pub async fn staff_names(&self) -> Result<std::collections::HashMap<i64, String>> {
        let rows = sqlx::query("SELECT id, name FROM staff").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect()
    }

    pub async fn staff_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM staff").fetch_one(&self.pool).await?.try_get(0)?)
    }

    pub async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM staff WHERE email = $1"))
            .bind(email.to_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(staff_from_row).transpose()
    }

    pub async fn staff_by_id(&self, id: i64) -> Result<Option<StaffRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM staff WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(staff_from_row).transpose()
    }

    /// Counts a failed sign-in; from `max_failures` on the account is locked until `lock_until`.
    pub async fn record_failed_login(&self, id: i64, max_failures: i64, lock_until: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE staff SET failed_logins = failed_logins + 1, \
             locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END WHERE id = $3",
        )
        .bind(max_failures)
        .bind(secs(lock_until))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn record_login(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn revoke_session(&self, jti: &str, expires_at: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO revoked_sessions (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
            .bind(jti)
            .bind(secs(expires_at))
            .execute(&self.pool)
            .await?;
        // Effective on this node at once, on the others within CATALOGUE_TTL (see below).
        self.revoked_cache.clear();
        Ok(())
    }

    /// Whether a session token was revoked. Every staff request asks, so the (small) set of
    /// revocations of unexpired tokens is kept in memory and reloaded after the same TTL as the
    /// catalogue: a logout on another node takes effect here within two seconds.
    pub async fn is_session_revoked(&self, jti: &str) -> Result<bool> {
        if let Some(set) = self.revoked_cache.fresh() {
            return Ok(set.contains(jti));
        }
        let started = std::time::Instant::now();
        let rows = sqlx::query("SELECT jti FROM revoked_sessions").fetch_all(&self.pool).await?;
        let set: std::collections::HashSet<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
        let revoked = set.contains(jti);
        self.revoked_cache.put(started, std::sync::Arc::new(set));
        Ok(revoked)
    }

    /// Forgets revocations of tokens that have expired anyway.
    pub async fn purge_revoked_sessions(&self, now: Timestamp) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM revoked_sessions WHERE expires_at <= $1")
            .bind(secs(now))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

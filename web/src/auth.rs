//! Staff sign-in: argon2 password hashes, signed session tokens (JWT, HS256) in an HttpOnly,
//! SameSite=Strict cookie with an idle and an absolute expiry, server-side revocation on logout,
//! and role checks. Citizens never sign in here: they come with capability links.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Role {
    #[serde(rename = "agent")]
    Agent,
    #[serde(rename = "manager")]
    Manager,
    #[serde(rename = "resource-admin")]
    ResourceAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Manager => "manager",
            Role::ResourceAdmin => "resource-admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Agent, Role::Manager, Role::ResourceAdmin].into_iter().find(|r| r.as_str() == s)
    }
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash of a random password, verified against when the e-mail is unknown so that a wrong
/// address takes as long as a wrong password.
pub fn decoy_hash() -> String {
    let mut pw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut pw);
    hash_password(&hex(&pw)).expect("argon2 with default parameters")
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Claims of a staff session token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Staff id.
    pub sub: i64,
    pub name: String,
    pub roles: Vec<Role>,
    /// Token id, for revocation at logout.
    pub jti: String,
    /// Sign-in time (absolute expiry counts from here).
    pub iat: i64,
    /// When the token was last renewed (idle expiry counts from here).
    pub rat: i64,
    pub exp: i64,
}

/// Session policy and signing keys.
#[derive(Clone)]
pub struct Sessions {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub idle: SignedDuration,
    pub absolute: SignedDuration,
    pub secure: bool,
}

/// Renew a token when it is used this long after its last renewal, so an active user's idle
/// timer keeps moving without a new cookie on every request.
const RENEW_AFTER_SECONDS: i64 = 60;

impl Sessions {
    pub fn new(secret: &[u8], idle: SignedDuration, absolute: SignedDuration, secure: bool) -> Self {
        Sessions {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            idle,
            absolute,
            secure,
        }
    }

    pub fn cookie_name(&self) -> &'static str {
        // The __Host- prefix pins the cookie to this host and path /, but browsers only accept
        // it with Secure, i.e. over https.
        if self.secure {
            "__Host-balie_session"
        } else {
            "balie_session"
        }
    }

    fn expiry(&self, iat: i64, now: i64) -> i64 {
        (iat + self.absolute.as_secs()).min(now + self.idle.as_secs())
    }

    pub fn issue(&self, staff_id: i64, name: &str, roles: Vec<Role>, now: Timestamp) -> Claims {
        let mut jti = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut jti);
        let now = now.as_second();
        Claims {
            sub: staff_id,
            name: name.into(),
            roles,
            jti: hex(&jti),
            iat: now,
            rat: now,
            exp: self.expiry(now, now),
        }
    }

    /// The renewed claims if `claims` is due for renewal at `now`.
    pub fn renew(&self, claims: &Claims, now: Timestamp) -> Option<Claims> {
        let now = now.as_second();
        (now - claims.rat >= RENEW_AFTER_SECONDS).then(|| Claims {
            rat: now,
            exp: self.expiry(claims.iat, now),
            ..claims.clone()
        })
    }

    pub fn encode(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 encoding cannot fail")
    }

    pub fn decode(&self, token: &str) -> Option<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.validate_exp = true;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v).ok().map(|d| d.claims)
    }

    pub fn set_cookie(&self, claims: &Claims) -> HeaderValue {
        let max_age = (claims.exp - claims.rat).max(0);
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
            self.cookie_name(),
            self.encode(claims)
        ))
        .expect("token is ASCII")
    }

    pub fn clear_cookie(&self) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}", self.cookie_name()))
            .expect("ASCII")
    }

    pub fn token_from(&self, headers: &HeaderMap) -> Option<String> {
        let name = self.cookie_name();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// A signed-in staff member. As an extractor it answers 401 when there is no valid session.
#[derive(Debug, Clone)]
pub struct Staff {
    pub claims: Claims,
}

impl Staff {
    pub fn id(&self) -> i64 {
        self.claims.sub
    }

    /// 403 unless the staff member has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.claims.roles.contains(r)) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(roles.first().map(|r| r.as_str()).unwrap_or("staff")))
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(staff) = parts.extensions.get::<Staff>() {
            return Ok(staff.clone());
        }
        let sessions = &state.sessions;
        let claims =
            sessions.token_from(&parts.headers).and_then(|t| sessions.decode(&t)).ok_or(ApiError::Unauthorized)?;
        if state.store.is_session_revoked(&claims.jti).await? {
            return Err(ApiError::Unauthorized);
        }
        let staff = Staff { claims };
        parts.extensions.insert(staff.clone());
        Ok(staff)
    }
}

/// A set of roles that may use an endpoint.
pub trait Roles: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Agents and resource admins: make and manage reservations.
pub struct Bookers;
impl Roles for Bookers {
    const ROLES: &'static [Role] = &[Role::Agent, Role::ResourceAdmin];
}

/// Agents: host video calls.
pub struct Agents;
impl Roles for Agents {
    const ROLES: &'static [Role] = &[Role::Agent];
}

/// Resource admins: keep the catalogue.
pub struct Admins;
impl Roles for Admins {
    const ROLES: &'static [Role] = &[Role::ResourceAdmin];
}

/// Managers: read the survey dashboard.
pub struct Managers;
impl Roles for Managers {
    const ROLES: &'static [Role] = &[Role::Manager];
}

/// A signed-in staff member with one of `R`'s roles. As an extractor it answers 401 or 403
/// before the request body is read, so a refused caller learns nothing about validation.
pub struct Authorized<R: Roles>(pub Staff, std::marker::PhantomData<R>);

impl<R: Roles> std::ops::Deref for Authorized<R> {
    type Target = Staff;
    fn deref(&self) -> &Staff {
        &self.0
    }
}

impl<R: Roles> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let staff = Staff::from_request_parts(parts, state).await?;
        staff.require(R::ROLES)?;
        Ok(Authorized(staff, std::marker::PhantomData))
    }
}

/// Middleware: renews a valid session cookie that is due, so the idle timeout slides.
pub async fn renew_session(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let renewed = state
        .sessions
        .token_from(req.headers())
        .and_then(|t| state.sessions.decode(&t))
        .and_then(|c| state.sessions.renew(&c, Timestamp::now()));
    let mut resp = next.run(req).await;
    if let Some(claims) = renewed {
        // A logout in this very request clears the cookie; do not resurrect it.
        if !resp.headers().contains_key(header::SET_COOKIE) && resp.status().is_success() {
            resp.headers_mut().append(header::SET_COOKIE, state.sessions.set_cookie(&claims));
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions() -> Sessions {
        Sessions::new(
            b"0123456789abcdef0123456789abcdef",
            SignedDuration::from_mins(30),
            SignedDuration::from_hours(10),
            false,
        )
    }

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn idle_expiry_slides_but_never_past_absolute() {
        let s = sessions();
        let t0: Timestamp = "2026-11-23T08:00:00Z".parse().unwrap();
        let c = s.issue(1, "An", vec![Role::Agent], t0);
        assert_eq!(c.exp - c.iat, 30 * 60);
        assert!(s.renew(&c, t0 + SignedDuration::from_secs(30)).is_none());
        let later = t0 + SignedDuration::from_hours(9) + SignedDuration::from_mins(50);
        let r = s.renew(&c, later).unwrap();
        assert_eq!(r.exp, c.iat + 10 * 3600, "absolute expiry caps the sliding one");
    }

    #[test]
    fn tampered_or_foreign_tokens_are_rejected() {
        let s = sessions();
        let claims = s.issue(1, "An", vec![Role::Agent], Timestamp::now());
        let token = s.encode(&claims);
        assert!(s.decode(&token).is_some());
        let other = Sessions::new(b"another-secret-another-secret-xx", s.idle, s.absolute, false);
        assert!(other.decode(&token).is_none());
        let mut bad = token.clone();
        bad.pop();
        assert!(s.decode(&bad).is_none());
    }
}

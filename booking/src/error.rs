//! The booking layer's one error type. The web layer maps each variant to an RFC 9457 problem.

use serde::Serialize;
use utoipa::ToSchema;

use crate::time::Period;

/// One invalid input: which field (a JSON path such as `period.end`) and why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError { field: field.into(), reason: reason.into() }
    }
}

/// What a new reservation clashes with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Clash {
    /// The interval that is taken (for reservations: including set-up and clean-up time).
    pub period: Period,
    pub reason: crate::availability::BusyReason,
    /// The resource that holds the clashing booking (the hall, one of its parts, or itself).
    pub resource_id: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("the period clashes with {} booking(s)", .0.len())]
    Conflict(Vec<Clash>),
    /// The request is well-formed but the thing is in the wrong state (an expired hold, a
    /// cancelled reservation, a code already taken).
    #[error("{0}")]
    State(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, reason)])
    }
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Error::NotFound { entity, id: id.to_string() }
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Invalid(vec![e])
    }
}

/// Collects field errors so a client learns about every bad field at once, not one per round trip.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn check(&mut self, ok: bool, field: &str, reason: &str) {
        if !ok {
            self.0.push(FieldError::new(field, reason));
        }
    }
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

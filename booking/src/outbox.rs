//! E-mails waiting to be delivered (the transactional outbox): what a row holds and the retry
//! policy. The rendering lives in `balie-mail`; here a message is opaque JSON with enough beside
//! it (kind, recipient, subject) for an agent's list of failed deliveries.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// A message to write into the outbox, in the same transaction as the change it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// What kind of message (`confirmation`, `reminder`, …), for people reading the list.
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    /// The rendered message, serialised; erased once delivered.
    pub body: String,
    pub appointment_id: Option<i64>,
    /// The reservation it is about: cancelling it withdraws what was not sent yet.
    pub reservation_id: Option<i64>,
    /// Not to be sent before this (a reminder); `None`: at once.
    pub not_before: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        match s {
            "pending" => Some(DeliveryStatus::Pending),
            "sent" => Some(DeliveryStatus::Sent),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// A row claimed for sending.
#[derive(Debug, Clone)]
pub struct ClaimedMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub body: String,
    /// Including this one.
    pub attempt: u32,
    /// The claim (epoch seconds of `claimed_until`): settling checks it, so a sender whose lease
    /// lapsed (and whose row another sender took) cannot overwrite that sender's outcome.
    pub lease: i64,
}

/// An outbox row as staff see it (never the body: it holds a personal link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MailRecord {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub next_attempt_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub appointment_id: Option<i64>,
}

/// How often and how long a transient failure (mail server down, 4xx) is retried: 30 s, 1 min,
/// 2 min, … doubling up to an hour between attempts, 12 attempts in all (about 5 hours), which
/// rides out a mail server's maintenance window but still tells an agent the same working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_delay: SignedDuration,
    pub max_delay: SignedDuration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay: SignedDuration::from_secs(30),
            max_delay: SignedDuration::from_hours(1),
            max_attempts: 12,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(Timestamp),
    GiveUp,
}

impl RetryPolicy {
    /// After attempt number `attempt` (1 = the first) failed at `now`.
    pub fn after_failure(&self, attempt: u32, permanent: bool, now: Timestamp) -> AfterFailure {
        if permanent || attempt >= self.max_attempts {
            return AfterFailure::GiveUp;
        }
        let doublings = attempt.saturating_sub(1).min(20);
        let delay = self.first_delay.checked_mul(1 << doublings).unwrap_or(self.max_delay).min(self.max_delay);
        AfterFailure::RetryAt(now + delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_then_the_policy_gives_up() {
        let policy = RetryPolicy::default();
        let now = Timestamp::UNIX_EPOCH;
        let delay = |attempt| match policy.after_failure(attempt, false, now) {
            AfterFailure::RetryAt(at) => at.duration_since(now).as_secs(),
            AfterFailure::GiveUp => -1,
        };
        assert_eq!([delay(1), delay(2), delay(3), delay(4)], [30, 60, 120, 240]);
        assert_eq!(delay(8), 3600, "capped at an hour");
        assert_eq!(delay(11), 3600);
        assert_eq!(delay(12), -1, "the 12th failure is the last");
    }

    #[test]
    fn a_permanent_failure_is_not_retried() {
        let now = Timestamp::UNIX_EPOCH;
        assert_eq!(RetryPolicy::default().after_failure(1, true, now), AfterFailure::GiveUp);
    }

    #[test]
    fn statuses_round_trip() {
        for s in [DeliveryStatus::Pending, DeliveryStatus::Sent, DeliveryStatus::Failed] {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DeliveryStatus::parse("bounced"), None);
    }
}

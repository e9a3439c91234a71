//! Door access codes: a 6-digit PIN and a QR token per confirmed reservation, valid from a margin
//! before the start to a margin after the end; what a door decides for an attempt; and the
//! brute-force lock of a door. Pure: no IO, the clock and the randomness come in.
//!
//! NIST SP 800-63B treats a 6-digit PIN as a memorised secret only with throttling: one million
//! codes against five tries per five minutes gives an attacker at a door about 1 440 tries a day,
//! and any one PIN is valid only for one reservation's hours. The QR token carries 128 random bits.

use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::time::Period;

pub const PIN_DIGITS: usize = 6;
/// Wrong codes in a row after which a door stops listening.
pub const MAX_FAILURES: i64 = 5;
/// How long a door stops listening after [`MAX_FAILURES`].
pub const LOCK: SignedDuration = SignedDuration::from_mins(5);
/// The prefix of the text a reservation's QR code holds, so a door can tell our codes from others.
pub const QR_PREFIX: &str = "BALIE1:";

/// A new code before it is stored: the PIN and QR text go into the e-mail; the store keeps only
/// their digests.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCode {
    pub pin: String,
    pub qr: String,
}

// By hand: the PIN and the QR token open a door and must not reach the logs.
impl std::fmt::Debug for NewCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewCode { .. }")
    }
}

impl NewCode {
    pub fn generate(rng: &mut impl Rng) -> NewCode {
        let pin = format!("{:06}", rng.gen_range(0..1_000_000u32));
        let token: [u8; 16] = rng.gen();
        let qr = format!("{QR_PREFIX}{}", token.iter().map(|b| format!("{b:02x}")).collect::<String>());
        NewCode { pin, qr }
    }
}

/// Whether `s` looks like a PIN (exactly six ASCII digits).
pub fn is_pin(s: &str) -> bool {
    s.len() == PIN_DIGITS && s.bytes().all(|b| b.is_ascii_digit())
}

/// The stored form of a PIN: HMAC-SHA256 keyed with the server's secret over the door and the PIN,
/// so equal PINs at different doors differ and a copy of the table alone does not reveal them.
pub fn pin_digest(key: &[u8], door_id: i64, pin: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&door_id.to_be_bytes());
    mac.update(pin.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The stored form of a QR token (128 random bits need no key).
pub fn qr_digest(qr: &str) -> String {
    hex(&Sha256::digest(qr.trim().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// When a reservation's code opens the door: `margin` before its start to `margin` after its end.
pub fn validity(period: Period, margin: SignedDuration) -> Period {
    Period { start: period.start - margin, end: period.end + margin }
}

/// Why a door stays shut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    UnknownCode,
    TooEarly,
    TooLate,
    Revoked,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::UnknownCode => "unknown_code",
            Refusal::TooEarly => "too_early",
            Refusal::TooLate => "too_late",
            Refusal::Revoked => "revoked",
        }
    }
}

/// A stored code as the door decision needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredCode {
    pub id: i64,
    pub valid: Period,
    pub revoked: bool,
}

/// What a door does with an attempt that matched `candidates` (the codes of this door with this
/// PIN or QR; a PIN may recur at times that do not overlap): open for the one valid now, or
/// refuse with the most helpful reason — a code that is valid later says when.
pub fn decide(candidates: &[StoredCode], now: Timestamp) -> Result<StoredCode, (Refusal, Option<StoredCode>)> {
    let live = candidates.iter().filter(|c| !c.revoked);
    if let Some(c) = live.clone().find(|c| c.valid.start <= now && now < c.valid.end) {
        return Ok(*c);
    }
    if let Some(c) = live.clone().filter(|c| c.valid.start > now).min_by_key(|c| c.valid.start) {
        return Err((Refusal::TooEarly, Some(*c)));
    }
    if let Some(c) = live.filter(|c| c.valid.end <= now).max_by_key(|c| c.valid.end) {
        return Err((Refusal::TooLate, Some(*c)));
    }
    match candidates.first() {
        Some(c) => Err((Refusal::Revoked, Some(*c))),
        None => Err((Refusal::UnknownCode, None)),
    }
}

/// How near its window a PIN must be for the door to say "too early" or "too late" rather than
/// "unknown code". Without this bound every refusal would tell a guesser that the PIN belongs to
/// some reservation, months ahead included, and when.
pub const PIN_HINT: SignedDuration = SignedDuration::from_hours(2);

/// [`decide`] for a typed PIN: the reason for a refusal is only told about a code whose window is
/// within [`PIN_HINT`] of now (someone a bit early or late); any other refusal is `unknown_code`.
/// A QR code (128 bits, nothing to guess) gets [`decide`]'s full answer.
pub fn decide_pin(candidates: &[StoredCode], now: Timestamp) -> Result<StoredCode, (Refusal, Option<StoredCode>)> {
    match decide(candidates, now) {
        Err((reason, Some(c)))
            if reason != Refusal::UnknownCode
                && (now.duration_until(c.valid.start) > PIN_HINT || c.valid.end.duration_until(now) > PIN_HINT) =>
        {
            Err((Refusal::UnknownCode, None))
        }
        other => other,
    }
}

/// Refusals within this window count towards the lock.
pub const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// A door's brute-force state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DoorLock {
    /// Refused attempts since `since`.
    pub failures: i64,
    /// The first refusal counted; counting starts again [`FAILURE_WINDOW`] after it.
    pub since: Option<Timestamp>,
    pub locked_until: Option<Timestamp>,
}

impl DoorLock {
    pub fn locked(&self, now: Timestamp) -> Option<Timestamp> {
        self.locked_until.filter(|until| *until > now)
    }

    /// After an attempt: every refusal counts (a valid code at the wrong hour too), and the fifth
    /// within [`FAILURE_WINDOW`] locks the door. An opening does not clear the count: otherwise
    /// anyone holding one valid code could guess four times, open, and guess again without end.
    pub fn after(self, opened: bool, now: Timestamp) -> DoorLock {
        if opened {
            return DoorLock { locked_until: self.locked(now), ..self };
        }
        let (failures, since) = match self.since {
            Some(since) if since.duration_until(now) < FAILURE_WINDOW => (self.failures + 1, since),
            _ => (1, now),
        };
        if failures >= MAX_FAILURES {
            DoorLock { failures: 0, since: None, locked_until: Some(now + LOCK) }
        } else {
            DoorLock { failures, since: Some(since), locked_until: self.locked(now) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn code(id: i64, from: &str, until: &str, revoked: bool) -> StoredCode {
        StoredCode { id, valid: Period { start: t(from), end: t(until) }, revoked }
    }

    #[test]
    fn generated_codes_have_the_right_shape() {
        let mut rng = rand::thread_rng();
        for _ in 0..1000 {
            let c = NewCode::generate(&mut rng);
            assert!(is_pin(&c.pin), "{}", c.pin);
            assert_eq!(c.qr.len(), QR_PREFIX.len() + 32);
        }
        assert!(!is_pin("12345"));
        assert!(!is_pin("12345a"));
        assert!(!is_pin("1234567"));
        assert!(!format!("{:?}", NewCode { pin: "123456".into(), qr: "x".into() }).contains("123456"));
    }

    #[test]
    fn digests_depend_on_key_and_door() {
        assert_eq!(pin_digest(b"k", 1, "123456"), pin_digest(b"k", 1, "123456"));
        assert_ne!(pin_digest(b"k", 1, "123456"), pin_digest(b"k", 2, "123456"));
        assert_ne!(pin_digest(b"k", 1, "123456"), pin_digest(b"l", 1, "123456"));
        assert_eq!(qr_digest(" BALIE1:ab \n"), qr_digest("BALIE1:ab"));
    }

    #[test]
    fn validity_adds_the_margin() {
        let p = Period { start: t("2027-01-10T09:00:00Z"), end: t("2027-01-10T11:00:00Z") };
        let v = validity(p, SignedDuration::from_mins(15));
        assert_eq!(v.start, t("2027-01-10T08:45:00Z"));
        assert_eq!(v.end, t("2027-01-10T11:15:00Z"));
    }

    #[test]
    fn decisions() {
        let a = code(1, "2027-01-10T08:45:00Z", "2027-01-10T11:15:00Z", false);
        let b = code(2, "2027-01-12T08:45:00Z", "2027-01-12T11:15:00Z", false);
        let r = code(3, "2027-01-10T08:45:00Z", "2027-01-10T11:15:00Z", true);
        assert_eq!(decide(&[a, b], t("2027-01-10T08:45:00Z")), Ok(a));
        assert_eq!(decide(&[a, b], t("2027-01-10T08:44:59Z")), Err((Refusal::TooEarly, Some(a))));
        assert_eq!(decide(&[a, b], t("2027-01-10T11:15:00Z")), Err((Refusal::TooEarly, Some(b))));
        assert_eq!(decide(&[a], t("2027-01-10T11:15:00Z")), Err((Refusal::TooLate, Some(a))));
        assert_eq!(decide(&[r], t("2027-01-10T09:00:00Z")), Err((Refusal::Revoked, Some(r))));
        assert_eq!(decide(&[], t("2027-01-10T09:00:00Z")), Err((Refusal::UnknownCode, None)));
    }

    #[test]
    fn fifth_failure_locks_for_five_minutes() {
        let now = t("2027-01-10T09:00:00Z");
        let mut lock = DoorLock::default();
        for i in 1..MAX_FAILURES {
            lock = lock.after(false, now);
            assert_eq!(lock.failures, i);
            assert_eq!(lock.locked(now), None);
        }
        lock = lock.after(false, now);
        assert_eq!(lock.locked(now), Some(now + LOCK));
        assert_eq!(lock.locked(now + LOCK), None);
        // Opening in between does not start the count again: four wrong, one right, one wrong locks.
        let mut lock = DoorLock::default();
        for _ in 0..4 {
            lock = lock.after(false, now);
        }
        lock = lock.after(true, now);
        assert_eq!(lock.failures, 4);
        assert!(lock.after(false, now).locked(now).is_some());
        // Refusals further apart than the window start a new count.
        let mut lock = DoorLock::default();
        for i in 0..10 {
            lock = lock.after(false, now + FAILURE_WINDOW * i);
            assert_eq!(lock.failures, 1);
        }
    }

    #[test]
    fn a_pin_tells_no_more_than_a_guess_needs() {
        let now = t("2027-01-10T09:00:00Z");
        let soon = code(1, "2027-01-10T10:30:00Z", "2027-01-10T12:00:00Z", false);
        let later = code(2, "2027-03-01T10:00:00Z", "2027-03-01T12:00:00Z", false);
        let past = code(3, "2027-01-09T10:00:00Z", "2027-01-09T12:00:00Z", false);
        assert_eq!(decide_pin(&[soon], now), Err((Refusal::TooEarly, Some(soon))));
        assert_eq!(decide_pin(&[later], now), Err((Refusal::UnknownCode, None)));
        assert_eq!(decide_pin(&[past], now), Err((Refusal::UnknownCode, None)));
        assert_eq!(decide(&[later], now), Err((Refusal::TooEarly, Some(later))), "a QR code says when");
    }
}

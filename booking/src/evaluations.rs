//! Room and court evaluations the day after a reservation, and defect reports: what an answer,
//! a report and a resolution hold, which are valid, and the few rules around them. Pure: no IO.
//!
//! An evaluation answer is anonymous by construction: it keeps the room, the day, the score and
//! the comment, never the reservation or who answered. A defect report keeps the reporter's
//! address only until the e-mail saying what was done is queued.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Problems, Result};

/// Longest comment, defect description or resolution, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Photos per defect report.
pub const MAX_PHOTOS: usize = 3;
/// Largest photo as uploaded, in bytes (before re-encoding).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Defect reports one evaluation link may make (a few things can be broken; not a spam channel).
pub const MAX_REPORTS_PER_EVALUATION: i64 = 3;
/// How long an evaluation link works, in days.
pub const VALID_DAYS: i64 = 14;

/// The evaluation of a used room or court: a score and, optionally, a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationAnswer {
    /// How did it go, 1 (badly) to 5 (very well).
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

fn check_text(p: &mut Problems, field: &str, text: &str) {
    p.check(text.chars().count() <= MAX_TEXT_CHARS, field, "must be at most 2000 characters");
    p.check(
        !text.chars().any(|ch| ch.is_control() && ch != '\n' && ch != '\r' && ch != '\t'),
        field,
        "must not contain control characters",
    );
}

/// `text` trimmed, `None` when empty.
fn trimmed(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(String::from)
}

impl EvaluationAnswer {
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        p.check((1..=5).contains(&self.score), "score", "must be 1 to 5");
        if let Some(c) = &self.comment {
            check_text(&mut p, "comment", c);
        }
        p.into_result()
    }

    /// The comment as stored: trimmed, `None` when empty.
    pub fn comment(&self) -> Option<String> {
        trimmed(self.comment.as_deref())
    }
}

/// The stored form of a photo (after the web layer re-encoded it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum PhotoType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
}

impl PhotoType {
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoType::Jpeg => "image/jpeg",
            PhotoType::Png => "image/png",
        }
    }
    pub fn parse(s: &str) -> Option<PhotoType> {
        [PhotoType::Jpeg, PhotoType::Png].into_iter().find(|t| t.as_str() == s)
    }
}

/// A photo ready to store: re-encoded, without metadata.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo {
    pub content_type: PhotoType,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Photo")
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// Something broken, as reported from an evaluation link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDefect {
    pub description: String,
    pub photos: Vec<Photo>,
}

impl NewDefect {
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        p.check(!self.description.trim().is_empty(), "description", "must not be empty");
        check_text(&mut p, "description", &self.description);
        p.check(self.photos.len() <= MAX_PHOTOS, "photo", "at most 3 photos");
        p.into_result()
    }
}

/// What staff did about a defect, as the reporter will read it.
pub fn validate_resolution(resolution: &str) -> Result<()> {
    let mut p = Problems::default();
    p.check(!resolution.trim().is_empty(), "resolution", "must not be empty");
    check_text(&mut p, "resolution", resolution);
    p.into_result()
}

/// A defect report's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DefectStatus {
    Open,
    Closed,
}

impl DefectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DefectStatus::Open => "open",
            DefectStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<DefectStatus> {
        [DefectStatus::Open, DefectStatus::Closed].into_iter().find(|t| t.as_str() == s)
    }
}

/// Addresses that reach nobody: placeholders for customers without e-mail (`…@….invalid`,
/// `…@invalid.example`, RFC 2606), and anything that is not an address at all.
pub fn is_placeholder_email(email: &str) -> bool {
    let email = email.trim().to_ascii_lowercase();
    let Some((local, domain)) = email.rsplit_once('@') else { return true };
    local.is_empty()
        || domain.is_empty()
        || domain == "invalid"
        || domain.ends_with(".invalid")
        || domain == "invalid.example"
        || domain.ends_with(".invalid.example")
}

/// Evaluations and defects of one room or court on the managers' dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RoomFigures {
    pub resource_id: i64,
    pub resource_name: String,
    /// Evaluations answered.
    pub n: i64,
    /// Average score, 1–5 (`None` without answers).
    pub average: Option<f64>,
    pub defects_open: i64,
    pub defects_closed: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn fields(r: Result<()>) -> Vec<String> {
        match r {
            Err(Error::Invalid(f)) => f.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_answer_needs_a_score_from_1_to_5_and_a_reasonable_comment() {
        for score in 1..=5 {
            EvaluationAnswer { score, comment: None }.validate().unwrap();
        }
        assert_eq!(fields(EvaluationAnswer { score: 0, comment: None }.validate()), ["score"]);
        assert_eq!(
            fields(EvaluationAnswer { score: 6, comment: Some("x".repeat(2001)) }.validate()),
            ["score", "comment"]
        );
        assert_eq!(fields(EvaluationAnswer { score: 3, comment: Some("a\u{0}b".into()) }.validate()), ["comment"]);
        let a = EvaluationAnswer { score: 4, comment: Some("  \n ".into()) };
        assert_eq!(a.comment(), None);
        let a = EvaluationAnswer { score: 4, comment: Some(" Proper!\nThanks ".into()) };
        assert_eq!(a.comment().as_deref(), Some("Proper!\nThanks"));
    }

    #[test]
    fn a_defect_needs_a_description_and_at_most_three_photos() {
        let photo = Photo { content_type: PhotoType::Jpeg, bytes: vec![0xff, 0xd8], width: 1, height: 1 };
        NewDefect { description: "Kapotte lamp".into(), photos: vec![photo.clone(); 3] }.validate().unwrap();
        assert_eq!(
            fields(NewDefect { description: "  ".into(), photos: vec![photo.clone(); 4] }.validate()),
            ["description", "photo"]
        );
        assert_eq!(fields(validate_resolution("")), ["resolution"]);
        validate_resolution("De lamp is vervangen.").unwrap();
        assert!(!format!("{photo:?}").contains("255"), "no bytes in logs");
    }

    #[test]
    fn placeholder_addresses_are_recognised() {
        for a in ["geen@balie.invalid", "x@invalid.example", "X@FOO.INVALID", "no-at-sign", "@x.be", "a@"] {
            assert!(is_placeholder_email(a), "{a}");
        }
        for a in ["an@example.org", "els@invalidexample.be", "jan@invalid.example.org"] {
            assert!(!is_placeholder_email(a), "{a}");
        }
        assert_eq!(PhotoType::parse("image/png"), Some(PhotoType::Png));
        assert_eq!(DefectStatus::parse("closed"), Some(DefectStatus::Closed));
        assert_eq!(DefectStatus::parse("x"), None);
    }
}

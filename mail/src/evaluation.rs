//! The e-mails about a used room or court: the evaluation invitation the day after a
//! reservation ([`EvaluationMail`], rendered by [`crate::Renderer::render_evaluation`]) and the
//! message telling whoever reported a defect what was done about it ([`DefectClosedMail`],
//! [`crate::Renderer::render_defect_closed`]). Plain serde data, like [`crate::SurveyMail`].
//!
//! No calendar object and no attachments.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::appointment::Person;
use crate::error::MailError;
use crate::lang::Language;

/// How long the evaluation link works, as the message says (the booking crate's
/// `evaluations::VALID_DAYS`).
pub const VALID_DAYS: u32 = 14;

/// The path the link's token follows: `https://HOST/evaluatie#TOKEN` (in the fragment, which a
/// browser neither sends to the server nor puts in a `Referer`).
pub const EVALUATION_PATH: &str = "/evaluatie#";

/// The invitation to evaluate a room or court the day after it was used.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationMail {
    #[serde(default)]
    pub language: Language,
    pub municipality: String,
    pub recipient: Person,
    /// The room or court ("Raadzaal").
    pub resource_name: String,
    /// The day of the reservation (Brussels).
    pub day: Date,
    /// The personal single-use link `https://HOST/evaluatie#TOKEN` (kept out of `{:?}`).
    pub evaluation_url: String,
}

impl fmt::Debug for EvaluationMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvaluationMail")
            .field("language", &self.language)
            .field("recipient", &self.recipient)
            .field("resource_name", &self.resource_name)
            .field("day", &self.day)
            .field("evaluation_url", &"***")
            .finish_non_exhaustive()
    }
}

impl EvaluationMail {
    /// The rules the invitation needs; the first broken one as [`MailError::Invalid`].
    pub fn check(&self) -> Result<(), MailError> {
        crate::error::none_blank(&[
            ("municipality", &self.municipality),
            ("recipient name", &self.recipient.name),
            ("resource name", &self.resource_name),
            ("evaluation url", &self.evaluation_url),
        ])?;
        check_link(&self.evaluation_url, EVALUATION_PATH)
    }
}

/// What was done about a defect someone reported: to that person, once, when staff close it.
/// The recipient has no name on file (only the address the evaluation link was sent to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefectClosedMail {
    #[serde(default)]
    pub language: Language,
    pub municipality: String,
    pub recipient_email: String,
    pub resource_name: String,
    /// The day it was reported (Brussels).
    pub reported_day: Date,
    /// What they reported, quoted back.
    pub description: String,
    /// What was done, in the staff member's words.
    pub resolution: String,
}

impl DefectClosedMail {
    pub fn check(&self) -> Result<(), MailError> {
        crate::error::none_blank(&[
            ("municipality", &self.municipality),
            ("resource name", &self.resource_name),
            ("description", &self.description),
            ("resolution", &self.resolution),
        ])?;
        Ok(())
    }
}

/// `http(s)://host[/prefix]{path}token`: a host, one `#`, a token of letters, digits, `-` and
/// `_`, and nothing that would need escaping or could end an `href` early.
fn check_link(url: &str, path: &str) -> Result<(), MailError> {
    let invalid = |why: &str| Err(MailError::Invalid(format!("evaluation url: {why}")));
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return invalid("not an https or http URL");
    };
    if !url.chars().all(|c| c.is_ascii_graphic() && !"\"'<>\\^`{|}".contains(c)) {
        return invalid("spaces, quotes, control or non-ASCII characters");
    }
    let Some((base, token)) = rest.split_once('#') else {
        return invalid("no #token");
    };
    if !base.ends_with(path.trim_end_matches('#')) || token.contains('#') {
        return invalid("not a link of the form https://HOST/evaluatie#TOKEN");
    }
    if base.split('/').next().is_none_or(str::is_empty) {
        return invalid("no host");
    }
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)) {
        return invalid("the token is empty or not letters, digits, '-' and '_'");
    }
    Ok(())
}

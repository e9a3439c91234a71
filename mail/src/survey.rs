//! The invitation to the satisfaction survey after a video call: the input to
//! [`crate::Renderer::render_survey`]. Sent once, about an hour after the call, to a citizen or
//! guest who did not answer on the call's end page (docs/survey.md). Plain serde data, like
//! [`crate::AppointmentMail`], so the web crate fills it from the survey invitation and stores
//! the rendered message in the outbox, where answering first withdraws it.
//!
//! No calendar object and no attachments: just a short, voluntary question and one link.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::appointment::Person;
use crate::error::MailError;
use crate::lang::Language;

/// How long the link works after the call, as the message says (the web crate's
/// `SURVEY_VALID`: the token expires 14 days after the call ends).
pub const VALID_DAYS: u32 = 14;

/// The path the link's token follows: `https://HOST/enquete#TOKEN`. The token is in the
/// fragment, which a browser does not send to the server or put in a `Referer`.
pub const SURVEY_PATH: &str = "/enquete#";

/// Everything the survey invitation needs, for one participant of one call.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyMail {
    #[serde(default)]
    pub language: Language,
    pub municipality: String,
    pub recipient: Person,
    /// The service the conversation was about ("Afval en milieu"), or a generic phrase.
    pub service: String,
    /// The day of the call (Brussels).
    pub day: Date,
    /// The personal single-use link `https://HOST/enquete#TOKEN` (a capability: kept out of
    /// `{:?}` and so out of the logs).
    pub survey_url: String,
}

// By hand so that the single-use link never reaches a log line through `{:?}`.
impl fmt::Debug for SurveyMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SurveyMail")
            .field("language", &self.language)
            .field("recipient", &self.recipient)
            .field("service", &self.service)
            .field("day", &self.day)
            .field("survey_url", &"***")
            .finish_non_exhaustive()
    }
}

impl SurveyMail {
    /// The rules the invitation needs; returns the first broken one as [`MailError::Invalid`]
    /// (permanent: retrying the same input cannot help). The recipient's address is checked by
    /// [`crate::Renderer::render_survey`], as for the other messages.
    pub fn check(&self) -> Result<(), MailError> {
        crate::error::none_blank(&[
            ("municipality", &self.municipality),
            ("recipient name", &self.recipient.name),
            ("service", &self.service),
            ("survey url", &self.survey_url),
        ])?;
        check_survey_url(&self.survey_url)
    }
}

/// `http(s)://host[/prefix]/enquete#token`: a host, exactly one `#`, a token of letters, digits,
/// `-` and `_`, and nothing that would need escaping or could end an `href` early (spaces,
/// quotes, angle brackets, braces, non-ASCII). `http` is for a development server.
fn check_survey_url(url: &str) -> Result<(), MailError> {
    let invalid = |why: &str| Err(MailError::Invalid(format!("survey url: {why}")));
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return invalid("not an https or http URL");
    };
    if !url.chars().all(|c| c.is_ascii_graphic() && !"\"'<>\\^`{|}".contains(c)) {
        return invalid("spaces, quotes, control or non-ASCII characters");
    }
    let Some((base, token)) = rest.split_once('#') else {
        return invalid("no #token");
    };
    if !base.ends_with(SURVEY_PATH.trim_end_matches('#')) || token.contains('#') {
        return invalid("not a link of the form https://HOST/enquete#TOKEN");
    }
    if base.split('/').next().is_none_or(str::is_empty) {
        return invalid("no host");
    }
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)) {
        return invalid("the token is empty or not letters, digits, '-' and '_'");
    }
    Ok(())
}

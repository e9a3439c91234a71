//! Survey invitation data → [`OutgoingMail`]: the same templates as the other messages, without
//! a calendar object or attachments. The link is the recipient's single-use survey token; the
//! message says it is voluntary, short and anonymous, and how long the link works.

use jiff::Timestamp;
use minijinja::context;

use super::{check_address, message_id, normalise_text, Renderer};
use crate::error::MailError;
use crate::message::{MailKind, OutgoingMail};
use crate::survey::{SurveyMail, VALID_DAYS};

impl Renderer {
    /// Makes the survey invitation. `now` is not written into the message (it has no calendar
    /// object); it is taken for the same signature as the other messages. Errors are permanent:
    /// bad input ([`MailError::Invalid`], [`MailError::Address`]) or a template bug.
    pub fn render_survey(&self, mail: &SurveyMail, now: Timestamp) -> Result<OutgoingMail, MailError> {
        let _ = now;
        mail.check()?;
        check_address(&mail.recipient.email)?;
        let lang = mail.language;
        let kind = MailKind::Survey;
        let base = format!("{}/{}", lang.code(), kind.name());
        let mut ctx = context! {
            lang => lang.code(),
            kind => kind.name(),
            municipality => mail.municipality.trim(),
            recipient_name => mail.recipient.name.trim(),
            service => mail.service.trim(),
            date => lang.civil_date(mail.day),
            survey_url => mail.survey_url.as_str(),
            valid_days => VALID_DAYS,
        };
        let subject = self.env.get_template(&format!("{base}.subject.txt"))?.render(&ctx)?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        ctx = context! { subject => subject.clone(), ..ctx };
        let text = self.env.get_template(&format!("{base}.txt"))?.render(&ctx)?;
        let html = self.env.get_template(&format!("{base}.html"))?.render(&ctx)?;

        Ok(OutgoingMail {
            kind,
            language: lang,
            message_id: message_id(&self.from.email),
            from: self.from.clone(),
            to: mail.recipient.clone(),
            subject,
            text: normalise_text(&text),
            html,
            calendar: None,
            attachments: Vec::new(),
        })
    }
}

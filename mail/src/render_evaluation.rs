//! Room evaluation and defect messages → [`OutgoingMail`]: the same templates and layout as the
//! other messages, without a calendar object or attachments.

use jiff::Timestamp;
use minijinja::context;

use super::{check_address, message_id, normalise_text, Renderer};
use crate::appointment::Person;
use crate::error::MailError;
use crate::evaluation::{DefectClosedMail, EvaluationMail, VALID_DAYS};
use crate::lang::Language;
use crate::message::{MailKind, OutgoingMail};

impl Renderer {
    /// Makes the evaluation invitation for a room or court used the day before. `now` is not
    /// written into the message; errors are permanent (bad input or a template bug).
    pub fn render_evaluation(&self, mail: &EvaluationMail, now: Timestamp) -> Result<OutgoingMail, MailError> {
        let _ = now;
        mail.check()?;
        check_address(&mail.recipient.email)?;
        let lang = mail.language;
        let ctx = context! {
            lang => lang.code(),
            kind => MailKind::Evaluation.name(),
            municipality => mail.municipality.trim(),
            recipient_name => mail.recipient.name.trim(),
            resource_name => mail.resource_name.trim(),
            date => lang.civil_date(mail.day),
            evaluation_url => mail.evaluation_url.as_str(),
            valid_days => VALID_DAYS,
        };
        self.finish(MailKind::Evaluation, lang, mail.recipient.clone(), ctx)
    }

    /// Makes the message telling the reporter of a defect what was done.
    pub fn render_defect_closed(&self, mail: &DefectClosedMail, now: Timestamp) -> Result<OutgoingMail, MailError> {
        let _ = now;
        mail.check()?;
        check_address(&mail.recipient_email)?;
        let lang = mail.language;
        let ctx = context! {
            lang => lang.code(),
            kind => MailKind::DefectClosed.name(),
            municipality => mail.municipality.trim(),
            resource_name => mail.resource_name.trim(),
            date => lang.civil_date(mail.reported_day),
            description => mail.description.trim(),
            resolution => mail.resolution.trim(),
        };
        self.finish(MailKind::DefectClosed, lang, Person::new("", mail.recipient_email.trim()), ctx)
    }

    fn finish(
        &self,
        kind: MailKind,
        lang: Language,
        to: Person,
        ctx: minijinja::Value,
    ) -> Result<OutgoingMail, MailError> {
        let base = format!("{}/{}", lang.code(), kind.name());
        let subject = self.env.get_template(&format!("{base}.subject.txt"))?.render(&ctx)?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let ctx = context! { subject => subject.clone(), ..ctx };
        let text = self.env.get_template(&format!("{base}.txt"))?.render(&ctx)?;
        let html = self.env.get_template(&format!("{base}.html"))?.render(&ctx)?;
        Ok(OutgoingMail {
            kind,
            language: lang,
            message_id: message_id(&self.from.email),
            from: self.from.clone(),
            to,
            subject,
            text: normalise_text(&text),
            html,
            calendar: None,
            attachments: Vec::new(),
        })
    }
}

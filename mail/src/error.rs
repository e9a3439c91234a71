//! The crate's one error type, and the one question the outbox sender asks of it: is trying the
//! same message again later worth it ([`MailError::is_transient`]) or not.

use lettre::transport::smtp;

/// Everything that can go wrong making or sending a message.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The appointment data cannot make this message (a bug or bad data in the caller).
    #[error("invalid message input: {0}")]
    Invalid(String),
    #[error("invalid e-mail address {address:?}: {source}")]
    Address {
        address: String,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("template error: {0}")]
    Template(#[from] minijinja::Error),
    #[error("could not build the MIME message: {0}")]
    Build(#[from] lettre::error::Error),
    /// The transport's settings are unusable (e.g. a TLS host name that is no DNS name).
    #[error("mail transport configuration: {0}")]
    Config(String),
    /// Anything the SMTP client reports: connection, TLS, timeout or a 4xx/5xx reply.
    #[error("SMTP: {0}")]
    Smtp(#[from] smtp::Error),
    /// The SMTP server did not finish the exchange in time.
    #[error("SMTP: no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// Writing an `.eml` file (file transport).
    #[error("writing the message file: {0}")]
    Io(#[from] std::io::Error),
    /// A failure the memory transport was told to report, for tests of retry logic.
    #[error("simulated {} failure", if *permanent { "permanent" } else { "transient" })]
    Simulated { permanent: bool },
}

impl MailError {
    /// True when the same message will fail the same way however often it is retried: bad
    /// input, or the server refused this message or recipient with a 5xx reply. The outbox
    /// marks such a message failed at once and shows it to the agent.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Invalid(_) | MailError::Address { .. } | MailError::Template(_) | MailError::Build(_) => true,
            MailError::Smtp(e) => e.is_permanent() && !self.is_server_problem(),
            MailError::Simulated { permanent } => *permanent,
            MailError::Config(_) | MailError::Timeout(_) | MailError::Io(_) => false,
        }
    }

    /// True when a later try may succeed: connection refused or reset, timeout, TLS trouble,
    /// a 4xx reply, a full disk, or a configuration that an operator can fix. The outbox retries
    /// these with backoff (and gives up after its own limit).
    pub fn is_transient(&self) -> bool {
        !self.is_permanent()
    }

    /// The SMTP reply code, when the server answered with an error (`550`, `451`, …).
    pub fn smtp_code(&self) -> Option<u16> {
        match self {
            MailError::Smtp(e) => e.status().map(u16::from),
            _ => None,
        }
    }

    /// A 5xx reply that is about our account at the server, not about this message: with a
    /// wrong password every message would otherwise be marked permanently failed at once,
    /// while the fix (new credentials) makes them all deliverable.
    fn is_server_problem(&self) -> bool {
        // RFC 4954: 530 authentication required, 534 mechanism too weak, 535 credentials
        // invalid, 538 encryption required for the mechanism.
        matches!(self.smtp_code(), Some(530 | 534 | 535 | 538))
    }
}

/// The first of `fields` (its name, its value) that is blank, as [`MailError::Invalid`]
/// "`name` is empty": the rule every message's input check starts with.
pub(crate) fn none_blank<S: AsRef<str>>(fields: &[(&str, S)]) -> Result<(), MailError> {
    match fields.iter().find(|(_, value)| value.as_ref().trim().is_empty()) {
        Some((field, _)) => Err(MailError::Invalid(format!("{field} is empty"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_permanent_and_io_is_transient() {
        assert!(MailError::Invalid("x".into()).is_permanent());
        assert!(MailError::Io(std::io::Error::other("disk full")).is_transient());
        assert!(MailError::Config("x".into()).is_transient());
        assert!(MailError::Simulated { permanent: true }.is_permanent());
        assert!(MailError::Simulated { permanent: false }.is_transient());
    }
}

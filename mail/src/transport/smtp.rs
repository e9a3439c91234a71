//! SMTP with lettre's async client over rustls.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::error::MailError;
use crate::message::OutgoingMail;
use crate::mime;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text. Only for a relay on the same machine or a test server on loopback.
    None,
    /// Plain connect, then STARTTLS, which is required: a server that does not offer it (or a
    /// man in the middle who strips it) gets no credentials and no mail.
    StartTls,
    /// TLS from the first byte ("implicit TLS", RFC 8314), usually port 465.
    Tls,
}

impl TlsMode {
    /// The usual port: 25, 587 (submission) or 465 (submissions).
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::StartTls => "starttls",
            TlsMode::Tls => "tls",
        }
    }
}

impl FromStr for TlsMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(TlsMode::None),
            "starttls" => Ok(TlsMode::StartTls),
            "tls" | "smtps" | "implicit" => Ok(TlsMode::Tls),
            other => Err(format!("unknown SMTP TLS mode {other:?}: use none, starttls or tls")),
        }
    }
}

/// SMTP user name and password. `Debug` never shows the password.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    password: String,
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials { username: username.into(), password: password.into() }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"***").finish()
    }
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<Credentials>,
    /// Deadline for one whole send: connect, TLS, dialogue and data. Passing it is a transient
    /// failure ([`MailError::Timeout`]).
    pub timeout: Duration,
    /// The EHLO name; `None`: this machine's host name.
    pub hello_name: Option<String>,
}

impl SmtpConfig {
    /// `host` on the mode's usual port, no credentials, a 30 s timeout.
    pub fn new(host: impl Into<String>, tls: TlsMode) -> SmtpConfig {
        SmtpConfig {
            host: host.into(),
            port: tls.default_port(),
            tls,
            credentials: None,
            timeout: Duration::from_secs(30),
            hello_name: None,
        }
    }
}

#[derive(Clone)]
pub struct SmtpTransport {
    config: SmtpConfig,
    client: AsyncSmtpTransport<Tokio1Executor>,
}

// By hand: lettre's client prints its whole state; the config says what matters and hides the
// password.
impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport").field("config", &self.config).finish_non_exhaustive()
    }
}

impl SmtpTransport {
    pub fn new(config: SmtpConfig) -> Result<SmtpTransport, MailError> {
        let host = config.host.trim();
        if host.is_empty() {
            return Err(MailError::Config("SMTP host is empty".into()));
        }
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(tls_parameters(host)?),
            TlsMode::Tls => Tls::Wrapper(tls_parameters(host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some(name) = config.hello_name.as_deref() {
            builder = builder.hello_name(ClientId::Domain(name.to_string()));
        }
        if let Some(creds) = &config.credentials {
            builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
                creds.username.clone(),
                creds.password.clone(),
            ));
        }
        Ok(SmtpTransport { client: builder.build(), config })
    }

    pub(crate) async fn send(&self, mail: &OutgoingMail, now: SystemTime) -> Result<(), MailError> {
        let message = mime::build(mail, now)?;
        // lettre's async client applies its own timeout to the TCP connect only, not to reads:
        // a server that accepts and then never answers would hang the sender forever (seen
        // with lettre 0.11.23). So the whole exchange gets one deadline here.
        match tokio::time::timeout(self.config.timeout, self.client.send(message)).await {
            Ok(result) => result.map(|_| ()).map_err(MailError::from),
            Err(_) => Err(MailError::Timeout(self.config.timeout)),
        }
    }

    pub(crate) fn describe(&self) -> String {
        let user = self.config.credentials.as_ref().map(|c| format!("{}@", c.username)).unwrap_or_default();
        format!("smtp://{user}{}:{} (tls: {})", self.config.host, self.config.port, self.config.tls.as_str())
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, MailError> {
    TlsParameters::new(host.to_string()).map_err(|e| MailError::Config(format!("TLS for {host:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_password() {
        let mut config = SmtpConfig::new("smtp.example.org", TlsMode::StartTls);
        config.credentials = Some(Credentials::new("balie", "hunter2-secret"));
        let transport = SmtpTransport::new(config).unwrap();
        let printed = format!("{transport:?} {}", transport.describe());
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("balie") && printed.contains("587"), "{printed}");
    }

    #[test]
    fn tls_modes_parse_with_their_usual_ports() {
        assert_eq!("STARTTLS".parse::<TlsMode>().unwrap().default_port(), 587);
        assert_eq!("tls".parse::<TlsMode>().unwrap().default_port(), 465);
        assert_eq!("none".parse::<TlsMode>().unwrap().default_port(), 25);
        assert!("ssl3".parse::<TlsMode>().is_err());
    }
}

//! Where messages go: an SMTP server (production), `.eml` files in a folder (the embedded
//! default: nothing leaves the machine, an operator can open the files), or memory (tests).
//! One enum rather than a trait object: the set is closed and a config value picks one, as in
//! crates.io's `EmailBackend`.

mod file;
mod memory;
mod smtp;

use std::path::PathBuf;
use std::time::SystemTime;

pub use file::FileTransport;
pub use memory::{MemoryTransport, SentMail};
pub use smtp::{Credentials, SmtpConfig, SmtpTransport, TlsMode};

use crate::error::MailError;
use crate::message::OutgoingMail;

#[derive(Debug, Clone)]
pub enum Transport {
    /// Boxed: lettre's client is some 300 bytes, the others a pointer or two.
    Smtp(Box<SmtpTransport>),
    File(FileTransport),
    Memory(MemoryTransport),
}

impl Transport {
    /// Checks the settings now (TLS host name, EHLO name); connects only when sending.
    pub fn smtp(config: SmtpConfig) -> Result<Transport, MailError> {
        Ok(Transport::Smtp(Box::new(SmtpTransport::new(config)?)))
    }

    /// Writes each message as `<dir>/<time>-<id>.eml`; the folder is made when needed.
    pub fn file(dir: impl Into<PathBuf>) -> Transport {
        Transport::File(FileTransport::new(dir))
    }

    /// Keeps messages in memory; clones share them, see [`Transport::as_memory`].
    pub fn memory() -> Transport {
        Transport::Memory(MemoryTransport::default())
    }

    pub fn as_memory(&self) -> Option<&MemoryTransport> {
        match self {
            Transport::Memory(memory) => Some(memory),
            _ => None,
        }
    }

    /// Sends one message. On error, [`MailError::is_transient`] tells whether to retry.
    /// Sending the same [`OutgoingMail`] twice sends it twice (with the same `Message-ID`):
    /// exactly-once is the outbox's job.
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let now = SystemTime::now();
        match self {
            Transport::Smtp(smtp) => smtp.send(mail, now).await,
            Transport::File(file) => file.send(mail, now).await.map(|_| ()),
            Transport::Memory(memory) => memory.send(mail, now),
        }
    }

    /// For the start-up log line: where mail goes, without secrets.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(smtp) => smtp.describe(),
            Transport::File(file) => format!("files in {}", file.dir().display()),
            Transport::Memory(_) => "memory (messages are not sent)".to_string(),
        }
    }
}

//! `.eml` files in a folder. Each file appears whole or not at all (written under a temporary
//! name, then renamed), so a person or a script watching the folder never reads half a message.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::MailError;
use crate::message::OutgoingMail;
use crate::mime;

#[derive(Debug, Clone)]
pub struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    pub fn new(dir: impl Into<PathBuf>) -> FileTransport {
        FileTransport { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the message and returns the file's path. Names sort by time of sending:
    /// `<unix millis>-<Message-ID local part>.eml`.
    pub async fn send(&self, mail: &OutgoingMail, now: SystemTime) -> Result<PathBuf, MailError> {
        let bytes = mime::to_bytes(mail, now)?;
        tokio::fs::create_dir_all(&self.dir).await?;
        let millis = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let name = format!("{millis:013}-{}.eml", file_safe_id(&mail.message_id));
        let path = self.dir.join(&name);
        // Dot-prefixed: hidden from `ls` and from globs like `*.eml` until complete.
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, &bytes).await?;
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e.into());
        }
        Ok(path)
    }
}

/// The Message-ID's local part (random hex for ours), limited to characters safe in a file
/// name everywhere.
fn file_safe_id(message_id: &str) -> String {
    let local = message_id.trim_matches(['<', '>']).split('@').next().unwrap_or_default();
    let safe: String = local.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect();
    if safe.is_empty() {
        "message".to_string()
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_message_id_without_path_tricks() {
        assert_eq!(file_safe_id("<0badc0de@gemeente.example>"), "0badc0de");
        assert_eq!(file_safe_id("<../../etc/passwd@x>"), "etcpasswd");
        assert_eq!(file_safe_id("<>"), "message");
    }
}

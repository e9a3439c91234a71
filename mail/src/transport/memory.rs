//! Messages kept in memory, for tests of the code that sends them (the outbox, reminders).
//! It builds the MIME message like the other transports, so a message that SMTP would refuse to
//! build fails here too; and it can be told to fail, to test retries.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::error::MailError;
use crate::message::OutgoingMail;
use crate::mime;

/// One message "sent" to memory: the message and its MIME bytes.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub mail: OutgoingMail,
    pub eml: Vec<u8>,
}

/// Clones share one mailbox.
#[derive(Debug, Clone, Default)]
pub struct MemoryTransport {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    sent: Vec<SentMail>,
    /// Failures to report on the next sends, oldest first: `true` = permanent.
    failures: VecDeque<bool>,
}

impl MemoryTransport {
    pub(crate) fn send(&self, mail: &OutgoingMail, now: SystemTime) -> Result<(), MailError> {
        let eml = mime::to_bytes(mail, now)?;
        let mut state = self.lock();
        if let Some(permanent) = state.failures.pop_front() {
            return Err(MailError::Simulated { permanent });
        }
        state.sent.push(SentMail { mail: mail.clone(), eml });
        Ok(())
    }

    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentMail> {
        self.lock().sent.clone()
    }

    /// The sent messages, oldest first.
    pub fn messages(&self) -> Vec<OutgoingMail> {
        self.lock().sent.iter().map(|s| s.mail.clone()).collect()
    }

    /// Empties the mailbox and returns what was in it.
    pub fn take(&self) -> Vec<SentMail> {
        std::mem::take(&mut self.lock().sent)
    }

    /// The next send fails with [`MailError::Simulated`]; calls queue up.
    pub fn fail_next(&self, permanent: bool) {
        self.lock().failures.push_back(permanent);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use crate::appointment::{MessageKind, Mode};
    use crate::lang::Language;
    use crate::transport::Transport;
    use crate::{sample, Renderer};

    #[tokio::test]
    async fn clones_share_the_mailbox_and_injected_failures_come_first() {
        let renderer = Renderer::new(sample::sender()).unwrap();
        let mail = sample::appointment(Language::Nl, MessageKind::Reminder, Mode::Video);
        let out = renderer.render(MessageKind::Reminder, &mail, jiff::Timestamp::now()).unwrap();

        let transport = Transport::memory();
        let memory = transport.as_memory().unwrap().clone();
        memory.fail_next(false);
        memory.fail_next(true);
        assert!(transport.send(&out).await.unwrap_err().is_transient());
        assert!(transport.send(&out).await.unwrap_err().is_permanent());
        transport.send(&out).await.unwrap();

        let sent = memory.take();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].mail, out);
        assert!(String::from_utf8_lossy(&sent[0].eml).contains("Auto-Submitted: auto-generated"));
        assert!(memory.messages().is_empty());
    }
}

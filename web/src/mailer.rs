//! E-mail: rendering (balie-mail), and the sender that delivers the outbox.
//!
//! A business change writes its messages into the outbox in its own transaction and then calls
//! [`Mailer::wake`]. The sender claims due rows (a lease, so two nodes never send one row at
//! once and a crashed sender's rows come back), sends each, and settles it: delivered (body
//! erased), retried later with backoff (transient failure), or failed (permanent, or out of
//! attempts) for agents to see. Delivery is at least once: a crash between sending and settling
//! sends that message again, with the same Message-ID.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use balie_booking::outbox::{AfterFailure, ClaimedMail, NewMail, RetryPolicy};
use balie_booking::Store;
use balie_mail::transport::{Credentials, SmtpConfig, TlsMode};
use balie_mail::{OutgoingMail, Person, Renderer, Transport};

use tokio::sync::{watch, Notify};

use crate::config::{Config, MailTransport};

/// A claimed row is the claimer's for this long: longer than a whole batch of sends at the SMTP
/// deadline (4 × 30 s), so a slow round never outlives its own claims.
const LEASE_SECONDS: i64 = 300;
/// Rows claimed per round.
const BATCH: u32 = 4;
/// The sender looks at the outbox at least this often, even without a wake-up.
const IDLE_CHECK: Duration = Duration::from_secs(30);

pub struct Mailer {
    pub renderer: Renderer,
    transport: Transport,
    policy: RetryPolicy,
    wake: Notify,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("transport", &self.transport.describe()).finish()
    }
}

impl Mailer {
    pub fn new(renderer: Renderer, transport: Transport, policy: RetryPolicy) -> Mailer {
        Mailer { renderer, transport, policy, wake: Notify::new() }
    }

    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        let from = Person::new(config.mail_from_name.clone(), config.mail_from.clone());
        let renderer = Renderer::new(from).context("loading the e-mail templates")?;
        let transport = match config.mail_transport {
            MailTransport::File => Transport::file(&config.mail_dir),
            MailTransport::Smtp => {
                anyhow::ensure!(!config.smtp_host.is_empty(), "BALIE_MAIL_TRANSPORT=smtp needs BALIE_SMTP_HOST");
                let tls: TlsMode = config.smtp_tls.parse().map_err(|e| anyhow::anyhow!("BALIE_SMTP_TLS: {e}"))?;
                let mut smtp = SmtpConfig::new(config.smtp_host.clone(), tls);
                if let Some(port) = config.smtp_port {
                    smtp.port = port;
                }
                if !config.smtp_user.is_empty() {
                    smtp.credentials =
                        Some(Credentials::new(config.smtp_user.clone(), config.smtp_password.expose().to_string()));
                }
                Transport::smtp(smtp).context("SMTP settings")?
            }
        };
        anyhow::ensure!(config.mail_retry_seconds > 0, "BALIE_MAIL_RETRY_SECONDS must be positive");
        let policy = RetryPolicy {
            first_delay: jiff::SignedDuration::from_secs(config.mail_retry_seconds),
            ..RetryPolicy::default()
        };
        Ok(Mailer::new(renderer, transport, policy))
    }

    pub fn describe(&self) -> String {
        self.transport.describe()
    }

    /// The transport, for tests that use the memory one.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// An outbox row for `mail`.
    pub fn to_row(mail: &OutgoingMail, appointment_id: Option<i64>) -> anyhow::Result<NewMail> {
        Ok(NewMail {
            kind: mail.kind.name().to_string(),
            recipient: mail.to.email.clone(),
            subject: mail.subject.clone(),
            body: serde_json::to_string(mail)?,
            appointment_id,
            reservation_id: None,
            not_before: None,
        })
    }

    /// Tells the sender that rows were queued (call after the transaction commits).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The sender: runs until `shutdown` flips.
    pub async fn run(self: Arc<Self>, store: Store, mut shutdown: watch::Receiver<bool>) {
        loop {
            let sent = self.deliver_due(&store).await;
            if sent > 0 {
                // A full batch may mean more are due: look again at once.
                continue;
            }
            let pause = match store.next_mail_due().await {
                Ok(Some(due)) => {
                    let wait = due.duration_since(crate::routes::now());
                    Duration::try_from(wait).unwrap_or(Duration::ZERO).clamp(Duration::from_millis(200), IDLE_CHECK)
                }
                Ok(None) => IDLE_CHECK,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the outbox");
                    IDLE_CHECK
                }
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// One round: claims due rows and settles each. Returns how many it handled.
    pub async fn deliver_due(&self, store: &Store) -> usize {
        let claimed = match store.claim_due_mail(crate::routes::now(), LEASE_SECONDS, BATCH).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "claiming outbox rows");
                return 0;
            }
        };
        let count = claimed.len();
        for mail in claimed {
            self.deliver(store, mail).await;
        }
        count
    }

    async fn deliver(&self, store: &Store, mail: ClaimedMail) {
        let outcome = match serde_json::from_str::<OutgoingMail>(&mail.body) {
            Ok(message) => self.transport.send(&message).await.map_err(|e| (e.is_permanent(), e.to_string())),
            Err(e) => Err((true, format!("unreadable outbox row: {e}"))),
        };
        let now = crate::routes::now();
        // The recipient is personal data: logs name the row, not the address.
        // The error text (an SMTP reply often quotes the address) goes into the row, which only
        // agents see, not into the log.
        let settled = match outcome {
            Ok(()) => {
                tracing::info!(mail = mail.id, kind = %mail.kind, attempt = mail.attempt, "e-mail delivered");
                store.mail_sent(&mail, now).await
            }
            Err((permanent, error)) => match self.policy.after_failure(mail.attempt, permanent, now) {
                AfterFailure::RetryAt(at) => {
                    tracing::warn!(mail = mail.id, attempt = mail.attempt, retry_at = %at, "e-mail not delivered; will retry");
                    store.mail_retry(&mail, at, &error).await
                }
                AfterFailure::GiveUp => {
                    tracing::error!(mail = mail.id, attempt = mail.attempt, "e-mail failed; shown to agents");
                    store.mail_failed(&mail, &error).await
                }
            },
        };
        match settled {
            Ok(true) => {}
            Ok(false) => tracing::warn!(mail = mail.id, "claim lapsed before the outcome was recorded"),
            // The lease lapses and the row is tried again: at least once.
            Err(e) => tracing::error!(mail = mail.id, error = %e, "recording an e-mail's outcome"),
        }
    }
}

/// Starts the sender; it stops with the server.
pub fn spawn(mailer: Arc<Mailer>, store: Store, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(mailer.run(store, shutdown))
}

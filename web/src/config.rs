//! The one configuration struct, from command-line flags and `BALIE_…` environment variables.
//! Secrets are wrapped in [`Secret`] so that printing the config never prints them.

use std::fmt;
use std::net::SocketAddr;

use clap::{Parser, ValueEnum};

/// Where e-mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MailTransport {
    File,
    Smtp,
}

/// A value that must not appear in logs: `Debug` and `Display` print `***`.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "(unset)" } else { "***" })
    }
}

/// Hides the password in a database URL such as `postgres://user:pw@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Parser)]
#[command(name = "balie", version, about = "balie: a municipal video counter with embedded room and court booking")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "BALIE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Database: `sqlite://FILE?mode=rwc` (embedded default) or `postgres://…` (production).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://balie.db?mode=rwc")]
    pub database_url: String,

    /// Maximum database connections in the pool. More is not faster: past a few per database
    /// core, connections queue on the hall locks and the CPU (see docs/benchmarks.md).
    #[arg(long, env = "BALIE_DB_CONNECTIONS", default_value_t = 8)]
    pub db_connections: u32,

    /// The URL people use to reach balie; `https://` turns on Secure, `__Host-` session cookies.
    #[arg(long, env = "BALIE_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    pub public_url: String,

    /// Key that signs staff session tokens (at least 32 characters). Unset: a random key is
    /// generated once and kept in the database, which suits one node; set it for several nodes.
    #[arg(long, env = "BALIE_SESSION_SECRET", default_value = "", hide_default_value = true)]
    pub session_secret: Secret,

    /// A staff session ends after this many minutes without activity.
    #[arg(long, env = "BALIE_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: i64,

    /// A staff session ends this many hours after sign-in, active or not.
    #[arg(long, env = "BALIE_SESSION_ABSOLUTE_HOURS", default_value_t = 10)]
    pub session_absolute_hours: i64,

    /// How long a hold keeps a slot before it lapses, seconds.
    #[arg(long, env = "BALIE_HOLD_TTL_SECONDS", default_value_t = 600)]
    pub hold_ttl_seconds: i64,

    /// Seed the demo municipality (catalogue and staff accounts) into an empty database.
    #[arg(long, env = "BALIE_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,

    /// API requests allowed per second per client address (sustained).
    #[arg(long, env = "BALIE_RATE_PER_SECOND", default_value_t = 50)]
    pub rate_per_second: u64,

    /// API requests a client may burst above the sustained rate.
    #[arg(long, env = "BALIE_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,

    /// Sign-in attempts allowed per minute per client address.
    #[arg(long, env = "BALIE_LOGIN_PER_MINUTE", default_value_t = 10)]
    pub login_per_minute: u64,

    /// Call joins (WebSocket upgrades) one address may burst before being held to one per 2 s.
    /// Raise it where many participants share one address (a town-hall network behind one NAT,
    /// or the load generator).
    #[arg(long, env = "BALIE_JOIN_BURST", default_value_t = 30)]
    pub join_burst: u32,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "BALIE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Addresses the media server (SFU) binds and announces, comma-separated. The default keeps
    /// calls on this machine; in production give the server's address.
    #[arg(long, env = "BALIE_MEDIA_IPS", default_value = "127.0.0.1", value_delimiter = ',')]
    pub media_ips: Vec<std::net::IpAddr>,

    /// 0: any free UDP port per participant. (One shared port needs a UDP mux, which webrtc
    /// 0.21.1 lacks; the media server refuses it at start.) Or use the range below.
    #[arg(long, env = "BALIE_MEDIA_UDP_PORT", default_value_t = 0)]
    pub media_udp_port: u16,

    /// A UDP port range for media, `MIN-MAX`, instead of one muxed port.
    #[arg(long, env = "BALIE_MEDIA_UDP_RANGE")]
    pub media_udp_range: Option<String>,

    /// Passive ICE-TCP for clients whose UDP is blocked: 0 = a free port per participant
    /// (unset = off; a fixed port is refused, see the README).
    #[arg(long, env = "BALIE_MEDIA_TCP_PORT")]
    pub media_tcp_port: Option<u16>,

    /// NAT 1:1: the public addresses to announce instead of BALIE_MEDIA_IPS, comma-separated.
    #[arg(long, env = "BALIE_MEDIA_PUBLIC_IPS", value_delimiter = ',')]
    pub media_public_ips: Vec<std::net::IpAddr>,

    /// STUN/TURN server URLs handed to browsers, comma-separated (`stun:…`, `turn:…`, `turns:…`).
    #[arg(long, env = "BALIE_ICE_URLS", value_delimiter = ',')]
    pub ice_urls: Vec<String>,

    /// Shared secret of the TURN server (coturn `static-auth-secret`): browsers get time-limited
    /// TURN REST credentials derived from it, never the secret.
    #[arg(long, env = "BALIE_TURN_SECRET", default_value = "", hide_default_value = true)]
    pub turn_secret: Secret,

    /// How long TURN credentials stay valid, in minutes.
    #[arg(long, env = "BALIE_TURN_TTL_MINUTES", default_value_t = 720)]
    pub turn_ttl_minutes: i64,

    /// A participant's link opens the call this many minutes before its start…
    #[arg(long, env = "BALIE_LINK_OPEN_BEFORE_MINUTES", default_value_t = 15)]
    pub link_open_before_minutes: i64,

    /// …and closes this many minutes after its end.
    #[arg(long, env = "BALIE_LINK_CLOSE_AFTER_MINUTES", default_value_t = 60)]
    pub link_close_after_minutes: i64,

    /// How long a participant whose connection dropped keeps their place in the call.
    #[arg(long, env = "BALIE_RECONNECT_GRACE_SECONDS", default_value_t = 30)]
    pub reconnect_grace_seconds: i64,

    /// Most participants in one call, the agent and the lobby included.
    #[arg(long, env = "BALIE_MAX_PARTICIPANTS", default_value_t = 8)]
    pub max_participants: usize,

    /// Bearer token for scraping `/metrics` from another machine (unset: this machine only).
    #[arg(long, env = "BALIE_METRICS_TOKEN", default_value = "", hide_default_value = true)]
    pub metrics_token: Secret,

    /// Where e-mail goes: `file` (`.eml` files in BALIE_MAIL_DIR: the embedded default, nothing
    /// leaves the machine) or `smtp` (BALIE_SMTP_*).
    #[arg(long, env = "BALIE_MAIL_TRANSPORT", value_enum, default_value = "file")]
    pub mail_transport: MailTransport,

    /// The folder for `.eml` files (file transport).
    #[arg(long, env = "BALIE_MAIL_DIR", default_value = "mail-out")]
    pub mail_dir: std::path::PathBuf,

    /// Sender address of every e-mail, also the calendar organiser.
    #[arg(long, env = "BALIE_MAIL_FROM", default_value = "balie@lindeveld.example")]
    pub mail_from: String,

    /// Sender name of every e-mail.
    #[arg(long, env = "BALIE_MAIL_FROM_NAME", default_value = "Gemeente Lindeveld")]
    pub mail_from_name: String,

    /// Seconds before the first retry of a temporarily failed e-mail; each next wait doubles, up
    /// to an hour, 12 attempts in all.
    #[arg(long, env = "BALIE_MAIL_RETRY_SECONDS", default_value_t = 30)]
    pub mail_retry_seconds: i64,

    /// Reminders before an appointment, in minutes, comma-separated (default a day and an hour).
    /// A reminder whose moment has passed when the appointment is booked is not sent.
    #[arg(long, env = "BALIE_REMINDERS_MINUTES", value_delimiter = ',', default_value = "1440,60")]
    pub reminders_minutes: Vec<i64>,

    /// SMTP relay host (smtp transport).
    #[arg(long, env = "BALIE_SMTP_HOST", default_value = "")]
    pub smtp_host: String,

    /// SMTP port; unset: 25, 587 or 465 by BALIE_SMTP_TLS.
    #[arg(long, env = "BALIE_SMTP_PORT")]
    pub smtp_port: Option<u16>,

    /// `none`, `starttls` (required, no downgrade) or `tls`.
    #[arg(long, env = "BALIE_SMTP_TLS", default_value = "starttls")]
    pub smtp_tls: String,

    /// SMTP user name; unset: no authentication.
    #[arg(long, env = "BALIE_SMTP_USER", default_value = "")]
    pub smtp_user: String,

    #[arg(long, env = "BALIE_SMTP_PASSWORD", default_value = "", hide_default_value = true)]
    pub smtp_password: Secret,

    /// Who takes online payments: `simulated` (the embedded default: a test checkout page with
    /// paid / failed / cancelled buttons, no money moves) or `mollie` (BALIE_MOLLIE_*).
    #[arg(long, env = "BALIE_PAYMENT_PROVIDER", value_enum, default_value = "simulated")]
    pub payment_provider: PaymentProviderKind,

    /// Allow the simulated provider on an https address (a public test server). Without it,
    /// balie refuses to start there with the simulated bank.
    #[arg(long, env = "BALIE_ALLOW_SIMULATED_PAYMENTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_simulated_payments: bool,

    /// Mollie API key (`live_…` or `test_…`).
    #[arg(long, env = "BALIE_MOLLIE_API_KEY", default_value = "", hide_default_value = true)]
    pub mollie_api_key: Secret,

    /// Mollie API base URL; another value points the adapter at a compatible provider or a test
    /// server.
    #[arg(long, env = "BALIE_MOLLIE_API_URL", default_value = "https://api.mollie.com/v2")]
    pub mollie_api_url: String,

    /// An online payment not finished within this many minutes expires (simulated provider; a
    /// real provider sets its own expiry, which balie follows).
    #[arg(long, env = "BALIE_PAYMENT_EXPIRY_MINUTES", default_value_t = 15)]
    pub payment_expiry_minutes: i64,

    /// An invoice is due this many days after it is issued (at the latest the day before the
    /// reservation).
    #[arg(long, env = "BALIE_INVOICE_DUE_DAYS", default_value_t = 30)]
    pub invoice_due_days: i64,

    /// The municipality's bank account, printed on invoices.
    #[arg(long, env = "BALIE_IBAN", default_value = "BE68 5390 0754 7034")]
    pub iban: String,

    /// Refund policy: cancelled at least this many days ahead, everything is refunded …
    #[arg(long, env = "BALIE_REFUND_FULL_DAYS", default_value_t = 14)]
    pub refund_full_days: i64,

    /// … at least this many days ahead, half; later, nothing (unless the municipality cancels).
    #[arg(long, env = "BALIE_REFUND_HALF_DAYS", default_value_t = 2)]
    pub refund_half_days: i64,

    /// A door code opens this many minutes before the reservation and closes as long after it.
    #[arg(long, env = "BALIE_ACCESS_MARGIN_MINUTES", default_value_t = 15)]
    pub access_margin_minutes: i64,

    /// A reminder with the door code goes out this many days before the reservation (0: none).
    #[arg(long, env = "BALIE_ACCESS_REMINDER_DAYS", default_value_t = 2)]
    pub access_reminder_days: i64,

    /// Minutes after a call ends before the one e-mail invitation to the survey goes to whoever
    /// has not answered on the call's end page.
    #[arg(long, env = "BALIE_SURVEY_MAIL_AFTER_MINUTES", default_value_t = 60)]
    pub survey_mail_after_minutes: i64,

    /// Personal data of calls, appointments, e-mails and door logs is erased this many days after
    /// they are over (reservations and invoices are kept: accounting; survey answers carry no
    /// person).
    #[arg(long, env = "BALIE_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: i64,

    /// Reservations are kept for accounting; this many days after one ended its customer (name,
    /// e-mail, phone, address, organisation) and stated purpose are erased. The default, ten
    /// years, is how long Belgian law asks accounting documents to be kept.
    #[arg(long, env = "BALIE_RESERVATION_RETENTION_DAYS", default_value_t = 3653)]
    pub reservation_retention_days: i64,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Which online payment provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PaymentProviderKind {
    Simulated,
    Mollie,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Add a staff account and exit. The password is read from BALIE_NEW_STAFF_PASSWORD or,
    /// when that is unset, from the first line of standard input (never from a flag, which
    /// would show in the process list and shell history).
    AddStaff {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: agent, manager, resource-admin.
        #[arg(long)]
        roles: String,
    },
}

impl Config {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("db_connections", &self.db_connections)
            .field("public_url", &self.public_url)
            .field("session_secret", &self.session_secret)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_absolute_hours", &self.session_absolute_hours)
            .field("hold_ttl_seconds", &self.hold_ttl_seconds)
            .field("seed_demo", &self.seed_demo)
            .field("rate_per_second", &self.rate_per_second)
            .field("media_ips", &self.media_ips)
            .field("media_udp_port", &self.media_udp_port)
            .field("media_udp_range", &self.media_udp_range)
            .field("media_tcp_port", &self.media_tcp_port)
            .field("media_public_ips", &self.media_public_ips)
            .field("ice_urls", &self.ice_urls)
            .field("turn_secret", &self.turn_secret)
            .field("turn_ttl_minutes", &self.turn_ttl_minutes)
            .field("link_open_before_minutes", &self.link_open_before_minutes)
            .field("link_close_after_minutes", &self.link_close_after_minutes)
            .field("reconnect_grace_seconds", &self.reconnect_grace_seconds)
            .field("max_participants", &self.max_participants)
            .field("metrics_token", &self.metrics_token)
            .field("mail_transport", &self.mail_transport)
            .field("mail_dir", &self.mail_dir)
            .field("mail_from", &self.mail_from)
            .field("mail_from_name", &self.mail_from_name)
            .field("mail_retry_seconds", &self.mail_retry_seconds)
            .field("reminders_minutes", &self.reminders_minutes)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_tls", &self.smtp_tls)
            .field("smtp_user", &self.smtp_user)
            .field("smtp_password", &self.smtp_password)
            .field("rate_burst", &self.rate_burst)
            .field("login_per_minute", &self.login_per_minute)
            .field("join_burst", &self.join_burst)
            .field("log_format", &self.log_format)
            .field("payment_provider", &self.payment_provider)
            .field("allow_simulated_payments", &self.allow_simulated_payments)
            .field("mollie_api_key", &self.mollie_api_key)
            .field("mollie_api_url", &self.mollie_api_url)
            .field("payment_expiry_minutes", &self.payment_expiry_minutes)
            .field("invoice_due_days", &self.invoice_due_days)
            .field("iban", &self.iban)
            .field("refund_full_days", &self.refund_full_days)
            .field("refund_half_days", &self.refund_half_days)
            .field("access_margin_minutes", &self.access_margin_minutes)
            .field("access_reminder_days", &self.access_reminder_days)
            .field("survey_mail_after_minutes", &self.survey_mail_after_minutes)
            .field("retention_days", &self.retention_days)
            .field("reservation_retention_days", &self.reservation_retention_days)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_the_config_hides_secrets() {
        let c = Config::parse_from([
            "balie",
            "--database-url",
            "postgres://balie:hunter2@db/balie",
            "--session-secret",
            "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t",
        ]);
        let printed = format!("{c:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("postgres://balie:***@db/balie"), "{printed}");
    }
}

//! The sections of the configuration and their defaults.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use super::{Secret, human_duration};

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// True when clients reach the server over HTTPS (directly or through a proxy): the
    /// session cookie then takes the `__Host-` prefix and the `Secure` flag.
    pub tls: bool,
    /// Cap on any request body other than uploads (JSON, forms).
    pub max_body_bytes: usize,
    /// Sign-up, sign-in and reset requests one IP address may make per minute (0: no limit).
    pub auth_requests_per_minute: u32,
    /// Requests one API key may make per minute (0: no limit); beyond it, 429 with
    /// `Retry-After`.
    pub api_key_requests_per_minute: u32,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed: the
    /// client is the rightmost address in it that is not one of them. Empty (the default):
    /// the header is ignored and the client is the TCP peer. A list in the file, a
    /// comma-separated string in `ATELIER__SERVER__TRUSTED_PROXIES`.
    #[serde(deserialize_with = "super::net_list")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The address people reach the site at (`https://atelier.example`), used for every link
    /// in mail. Default: `http://` and the listen address (see [`super::Config::public_url`]).
    pub public_url: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls: false,
            max_body_bytes: 64 * 1024,
            auth_requests_per_minute: 30,
            api_key_requests_per_minute: 600,
            trusted_proxies: Vec::new(),
            public_url: None,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path` (default: `sqlite://{data_dir}/atelier.db`) or
    /// `postgres://owner@host/db`. On PostgreSQL the URL's user owns the schema: it runs the
    /// migrations and creates the two roles below, then every query runs as one of them.
    pub url: Option<Secret>,
    /// PostgreSQL: the role web requests use, under Row Level Security (default `{db}_app`).
    pub app_role: Option<String>,
    /// Its password (default: the URL's password; none when the URL has none).
    pub app_password: Option<Secret>,
    /// PostgreSQL: the role of workers, the sweeper, sign-in and sessions (default
    /// `{db}_system`).
    pub system_role: Option<String>,
    /// Its password (default: the URL's password; none when the URL has none).
    pub system_password: Option<Secret>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `file:///path` (default: `{data_dir}/blobs`), `s3://bucket[/prefix]` or `memory://`.
    pub url: Option<String>,
    /// S3 only: the endpoint of an S3-compatible server (MinIO, Garage, R2, ...); unset
    /// means AWS. Credentials and region also come from the usual `AWS_*` variables.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<Secret>,
    pub secret_access_key: Option<Secret>,
    /// S3 only: allow a plain-HTTP endpoint (a server on a private network or loopback).
    pub allow_http: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    #[serde(deserialize_with = "human_duration")]
    pub upload_ttl: Duration,
    #[serde(deserialize_with = "human_duration")]
    pub result_ttl: Duration,
    #[serde(deserialize_with = "human_duration")]
    pub sweep_interval: Duration,
    /// Access-log rows older than this are purged (C8: two years).
    #[serde(deserialize_with = "human_duration")]
    pub access_log_ttl: Duration,
    /// Outbox mail sent (or given up on) longer ago than this is deleted: addresses and
    /// bodies are personal data and serve no purpose once delivered.
    #[serde(deserialize_with = "human_duration")]
    pub mail_ttl: Duration,
    /// How long after a token lot expires its details are purged: the lot's source (which
    /// purchase or grant) and its ledger entries' job ids and notes. Amounts, kinds and dates
    /// stay. Zero: at the first sweep after expiry.
    #[serde(deserialize_with = "human_duration")]
    pub expired_lot_ttl: Duration,
    /// Usage analytics older than this are deleted (C8: two years).
    #[serde(deserialize_with = "human_duration")]
    pub analytics_ttl: Duration,
    /// Accounts whose address is still unverified this long after sign-up are erased.
    #[serde(deserialize_with = "human_duration")]
    pub unconfirmed_ttl: Duration,
    /// Whether users may save a result past `result_ttl` (default: no).
    pub allow_save: bool,
    /// How long a saved result is kept after it is saved; `none`: until its owner deletes it.
    /// Never shorter than the unsaved rule. Uploads are never saved.
    #[serde(deserialize_with = "super::optional_duration")]
    pub saved_ttl: Option<Duration>,
    /// A visitor's support ticket (sent without an account) is deleted this long after it
    /// was closed; a user's tickets go with their account.
    #[serde(deserialize_with = "human_duration")]
    pub visitor_ticket_ttl: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            upload_ttl: Duration::from_secs(24 * 3600),
            result_ttl: Duration::from_secs(24 * 3600),
            sweep_interval: Duration::from_secs(60),
            access_log_ttl: Duration::from_secs(730 * 24 * 3600),
            mail_ttl: Duration::from_secs(30 * 24 * 3600),
            expired_lot_ttl: Duration::ZERO,
            analytics_ttl: Duration::from_secs(730 * 24 * 3600),
            unconfirmed_ttl: Duration::from_secs(30 * 24 * 3600),
            allow_save: false,
            saved_ttl: Some(Duration::from_secs(30 * 24 * 3600)),
            visitor_ticket_ttl: Duration::from_secs(90 * 24 * 3600),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokensConfig {
    /// Tokens granted to every new account, so a fresh install works without Stripe.
    pub welcome: u32,
    /// How long a lot stays spendable after it is granted.
    #[serde(deserialize_with = "human_duration")]
    pub lot_validity: Duration,
    /// What a generation costs unless its style says otherwise.
    pub default_cost: u32,
}

impl Default for TokensConfig {
    fn default() -> Self {
        TokensConfig {
            welcome: 3,
            lot_validity: Duration::from_secs(182 * 24 * 3600),
            default_cost: 1,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountsConfig {
    #[serde(deserialize_with = "human_duration")]
    pub session_idle: Duration,
    #[serde(deserialize_with = "human_duration")]
    pub session_absolute: Duration,
    /// Failed password re-entries (before erasure and other grave acts, signed in) in a row
    /// before those acts are locked for `lockout`. Sign-in itself is throttled per address
    /// instead (`[limits]`, `crate::throttle`), so a stranger cannot lock the owner out.
    pub max_failed_logins: u32,
    #[serde(deserialize_with = "human_duration")]
    pub lockout: Duration,
    /// How long an e-mailed password-reset or e-mail-change link works.
    #[serde(deserialize_with = "human_duration")]
    pub email_token_ttl: Duration,
    /// Argon2id cost (OWASP: 19 MiB, 2 passes, 1 lane). Tests lower it; production must not.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            session_idle: Duration::from_secs(7 * 24 * 3600),
            session_absolute: Duration::from_secs(30 * 24 * 3600),
            max_failed_logins: 5,
            lockout: Duration::from_secs(15 * 60),
            email_token_ttl: Duration::from_secs(3600),
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// In-process workers; 0 means one per CPU core.
    pub workers: usize,
    /// Jobs of one user that may run at once.
    pub per_user_concurrency: u32,
    pub max_attempts: u32,
    /// How long a claimed job stays leased without a heartbeat.
    #[serde(deserialize_with = "human_duration")]
    pub lease: Duration,
    /// Delay before the first retry; doubled on each further attempt.
    #[serde(deserialize_with = "human_duration")]
    pub retry_backoff: Duration,
    /// How often an idle worker looks for work.
    #[serde(deserialize_with = "human_duration")]
    pub poll_interval: Duration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            workers: 0,
            per_user_concurrency: 2,
            max_attempts: 3,
            lease: Duration::from_secs(60),
            retry_backoff: Duration::from_secs(5),
            poll_interval: Duration::from_millis(500),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadsConfig {
    pub max_bytes: usize,
    pub max_pixels: u64,
}

impl Default for UploadsConfig {
    fn default() -> Self {
        UploadsConfig {
            max_bytes: 20_000_000,
            max_pixels: 40_000_000,
        }
    }
}

/// The support center: the response times the contact form and its mails promise.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportConfig {
    /// Hours within which a ticket is answered.
    pub response_hours: u32,
    /// Hours within which a ticket marked urgent is answered.
    pub urgent_response_hours: u32,
}

impl SupportConfig {
    /// The hours promised for a ticket.
    pub fn response_hours_for(&self, urgent: bool) -> u32 {
        if urgent {
            self.urgent_response_hours
        } else {
            self.response_hours
        }
    }
}

impl Default for SupportConfig {
    fn default() -> Self {
        SupportConfig {
            response_hours: 48,
            urgent_response_hours: 8,
        }
    }
}

/// Stripe Checkout (C6). Without `secret_key` payments are off: the buy page says so.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StripeConfig {
    /// `sk_live_…` / `sk_test_…`: authenticates our calls to Stripe.
    pub secret_key: Option<Secret>,
    /// `whsec_…`: the signing secret of the webhook endpoint `/stripe/webhook`.
    pub webhook_secret: Option<Secret>,
    /// Stripe's API root; tests point it at a local fake.
    pub api_base: String,
    /// The site's public root (e.g. `https://atelier.example`), for the URLs Checkout sends
    /// the buyer back to; unset: taken from the request's `Host` and `server.tls`.
    pub public_url: Option<String>,
    /// Time limit of one call to Stripe.
    #[serde(deserialize_with = "human_duration")]
    pub timeout: Duration,
    /// The token packs on sale.
    pub packs: Vec<PackConfig>,
    /// The monthly (or yearly) plans on sale; none by default (`[[stripe.plans]]`).
    pub plans: Vec<PlanConfig>,
}

impl Default for StripeConfig {
    fn default() -> Self {
        StripeConfig {
            secret_key: None,
            webhook_secret: None,
            api_base: "https://api.stripe.com".into(),
            public_url: None,
            timeout: Duration::from_secs(15),
            packs: default_packs(),
            plans: Vec::new(),
        }
    }
}

/// One pack: `tokens` for `amount` minor units of `currency`, valid `valid_days` after payment.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PackConfig {
    pub id: String,
    pub tokens: u32,
    pub amount: i64,
    pub currency: String,
    #[serde(default = "half_a_year")]
    pub valid_days: u32,
}

/// One plan: `tokens` every period for `amount` minor units of `currency`, renewed each
/// `interval` until canceled. Each period's tokens stay spendable until the next one ends.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    pub id: String,
    /// Shown to buyers (and by Stripe on the Checkout page and invoices).
    pub name: String,
    pub tokens: u32,
    pub amount: i64,
    pub currency: String,
    #[serde(default = "monthly")]
    pub interval: PlanInterval,
}

#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlanInterval {
    Month,
    Year,
}

fn monthly() -> PlanInterval {
    PlanInterval::Month
}

fn half_a_year() -> u32 {
    182
}

fn default_packs() -> Vec<PackConfig> {
    [
        ("5-tokens", 5, 500),
        ("15-tokens", 15, 1200),
        ("45-tokens", 45, 3000),
    ]
    .into_iter()
    .map(|(id, tokens, amount)| PackConfig {
        id: id.into(),
        tokens,
        amount,
        currency: "eur".into(),
        valid_days: half_a_year(),
    })
    .collect()
}

/// An id for packs and plans: 1 to 40 URL-safe characters.
fn id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl StripeConfig {
    /// Pack and plan ids unique and URL-safe, positive sizes and prices, lowercase ISO
    /// currencies.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for pack in &self.packs {
            if !id_ok(&pack.id) || !seen.insert(pack.id.as_str()) {
                return Err(format!("stripe.packs: bad or repeated id `{}`", pack.id));
            }
            if pack.tokens == 0 || pack.amount <= 0 || pack.valid_days == 0 {
                return Err(format!(
                    "stripe.packs `{}`: tokens, amount and valid_days must be positive",
                    pack.id
                ));
            }
            if pack.currency.len() != 3 || !pack.currency.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(format!(
                    "stripe.packs `{}`: currency must be three lowercase letters (ISO 4217)",
                    pack.id
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for plan in &self.plans {
            if !id_ok(&plan.id) || !seen.insert(plan.id.as_str()) {
                return Err(format!("stripe.plans: bad or repeated id `{}`", plan.id));
            }
            let name = plan.name.trim();
            if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
                return Err(format!(
                    "stripe.plans `{}`: name must have 1 to 80 characters",
                    plan.id
                ));
            }
            if plan.tokens == 0 || plan.amount <= 0 {
                return Err(format!(
                    "stripe.plans `{}`: tokens and amount must be positive",
                    plan.id
                ));
            }
            if plan.currency.len() != 3 || !plan.currency.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(format!(
                    "stripe.plans `{}`: currency must be three lowercase letters (ISO 4217)",
                    plan.id
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// `smtp://user:pass@host:port` (plain), `?tls=required` (STARTTLS) or `smtps://`
    /// (implicit TLS). Without it the outbox is written to the log instead of sent.
    pub url: Option<Secret>,
    /// The sender of every mail, `Name <address>` or a bare address.
    pub from: String,
    /// Delivery attempts before a mail is given up on (a permanent refusal stops at once).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled on each further attempt.
    #[serde(deserialize_with = "human_duration")]
    pub retry_backoff: Duration,
    /// Time allowed for one SMTP conversation.
    #[serde(deserialize_with = "human_duration")]
    pub timeout: Duration,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            url: None,
            from: "Atelier <no-reply@localhost>".into(),
            max_attempts: 8,
            retry_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
        }
    }
}

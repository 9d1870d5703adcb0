//! Configuration: defaults → `atelier.toml` → `ATELIER__SECTION__KEY` env → command-line flags.
//!
//! Owns the names of every setting (DESIGN §5) and their defaults (DESIGN §4). It must not
//! open files other than the config file or keep a global: callers pass what a component needs.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl ConfigError {
    /// A stable kebab-case code for logs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::Read { .. } => "config-unreadable",
            ConfigError::Invalid(_) => "config-invalid",
        }
    }
}

/// A value that must never reach a log: `Debug` prints `[redacted]`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Every setting of the service.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite file, the blob folder and the master key live by default.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub storage: StorageConfig,
    pub retention: RetentionConfig,
    pub tokens: TokensConfig,
    pub accounts: AccountsConfig,
    pub jobs: JobsConfig,
    pub uploads: UploadsConfig,
    pub stripe: StripeConfig,
    pub smtp: SmtpConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("atelier-data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            storage: StorageConfig::default(),
            retention: RetentionConfig::default(),
            tokens: TokensConfig::default(),
            accounts: AccountsConfig::default(),
            jobs: JobsConfig::default(),
            uploads: UploadsConfig::default(),
            stripe: StripeConfig::default(),
            smtp: SmtpConfig::default(),
        }
    }
}

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls: false,
            max_body_bytes: 64 * 1024,
            auth_requests_per_minute: 30,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path` (default: `sqlite://{data_dir}/atelier.db`); `postgres://` comes later.
    pub url: Option<Secret>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `file:///path` (default: `{data_dir}/blobs`) or `memory://`.
    pub url: Option<String>,
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
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            upload_ttl: Duration::from_secs(24 * 3600),
            result_ttl: Duration::from_secs(24 * 3600),
            sweep_interval: Duration::from_secs(60),
            access_log_ttl: Duration::from_secs(730 * 24 * 3600),
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
    /// Failed sign-ins in a row before the account is locked for `lockout`.
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

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StripeConfig {
    pub secret_key: Option<Secret>,
    pub webhook_secret: Option<Secret>,
    pub api_base: String,
}

impl Default for StripeConfig {
    fn default() -> Self {
        StripeConfig {
            secret_key: None,
            webhook_secret: None,
            api_base: "https://api.stripe.com".into(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Without it the outbox is written to the log instead of sent.
    pub url: Option<Secret>,
}

/// Values given on the command line; they win over every other layer.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Loads the layers in order: defaults, the file (if given, or `atelier.toml` if present),
    /// the `ATELIER__…` variables of `env`, then `overrides`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => read_table(path)?,
            None if Path::new("atelier.toml").exists() => read_table(Path::new("atelier.toml"))?,
            None => toml::Table::new(),
        };
        merge_env(&mut table, env)?;
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        if let Some(listen) = overrides.listen {
            config.server.listen = listen;
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir.clone_from(dir);
        }
        Ok(config)
    }

    /// The database URL, defaulting to a SQLite file in the data folder.
    pub fn database_url(&self) -> Secret {
        self.database.url.clone().unwrap_or_else(|| {
            Secret::new(format!(
                "sqlite://{}",
                self.data_dir.join("atelier.db").display()
            ))
        })
    }

    /// The storage URL, defaulting to the blob folder in the data folder.
    pub fn storage_url(&self) -> String {
        self.storage
            .url
            .clone()
            .unwrap_or_else(|| format!("file://{}", self.data_dir.join("blobs").display()))
    }
}

fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))
}

/// `ATELIER__RETENTION__UPLOAD_TTL=30s` becomes `retention.upload_ttl = "30s"`. Numbers and
/// booleans are typed so `ATELIER__TOKENS__WELCOME=5` reads as an integer.
fn merge_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let vars: BTreeMap<String, String> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("ATELIER__"))
        .collect();
    for (key, raw) in vars {
        let path: Vec<String> = key["ATELIER__".len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect();
        let Some((leaf, sections)) = path.split_last() else {
            continue;
        };
        let mut node = &mut *table;
        for section in sections {
            let entry = node
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry.as_table_mut().ok_or_else(|| {
                ConfigError::Invalid(format!("{key}: `{section}` is not a section"))
            })?;
        }
        node.insert(leaf.clone(), env_value(leaf, &raw));
    }
    Ok(())
}

fn env_value(leaf: &str, raw: &str) -> toml::Value {
    // Secrets and URLs stay strings even when they look like numbers.
    let always_string = matches!(
        leaf,
        "url" | "secret_key" | "webhook_secret" | "api_base" | "listen"
    );
    if !always_string {
        if let Ok(n) = raw.parse::<i64>() {
            return toml::Value::Integer(n);
        }
        if let Ok(b) = raw.parse::<bool>() {
            return toml::Value::Boolean(b);
        }
    }
    toml::Value::String(raw.to_owned())
}

fn human_duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;

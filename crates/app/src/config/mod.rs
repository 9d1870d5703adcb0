//! Configuration: defaults → `atelier.toml` → `ATELIER__SECTION__KEY` env → command-line flags.
//!
//! Owns the names of every setting (part of the interface contract, see docs/architecture.md) and
//! their defaults. It must not open files other than the config file or keep a global: callers pass
//! what a component needs.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

mod backends;
mod limits;
mod policies;
mod sections;

pub use backends::*;
pub use limits::LimitsConfig;
pub use policies::PoliciesConfig;
pub use sections::*;

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
    pub policies: PoliciesConfig,
    /// Generation back-ends by name (`[backends.NAME]`).
    pub backends: BTreeMap<String, BackendConfig>,
    /// Styles beyond the six built-in ones (`[[styles]]`).
    pub styles: Vec<StyleConfig>,
    pub prompts: PromptsConfig,
    pub support: SupportConfig,
    /// Requests per minute per address and per account (`[limits]`).
    pub limits: LimitsConfig,
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
            policies: PoliciesConfig::default(),
            backends: BTreeMap::new(),
            styles: Vec::new(),
            prompts: PromptsConfig::default(),
            support: SupportConfig::default(),
            limits: LimitsConfig::default(),
        }
    }
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
        config.stripe.validate().map_err(ConfigError::Invalid)?;
        if let Some(url) = &config.server.public_url {
            check_public_url(url).map_err(ConfigError::Invalid)?;
        }
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

    /// The root of every link in mail, without a trailing slash: `server.public_url`, else
    /// `http://` and the listen address (right for a single machine; set it behind a proxy).
    pub fn public_url(&self) -> String {
        match &self.server.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.server.listen),
        }
    }

    /// The storage URL, defaulting to the blob folder in the data folder.
    pub fn storage_url(&self) -> String {
        self.storage
            .url
            .clone()
            .unwrap_or_else(|| format!("file://{}", self.data_dir.join("blobs").display()))
    }
}

/// A public URL is an absolute `http(s)://` address of a host, with no query or fragment.
fn check_public_url(text: &str) -> Result<(), String> {
    let parsed = url::Url::parse(text)
        .map_err(|e| format!("server.public_url `{text}` is not a URL: {e}"))?;
    let usable = matches!(parsed.scheme(), "http" | "https")
        && parsed.host().is_some()
        && parsed.query().is_none()
        && parsed.fragment().is_none();
    if usable {
        Ok(())
    } else {
        Err(format!(
            "server.public_url `{text}` must be an http:// or https:// address without query"
        ))
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
        "url"
            | "secret_key"
            | "webhook_secret"
            | "api_base"
            | "listen"
            | "trusted_proxies"
            | "endpoint"
            | "region"
            | "access_key_id"
            | "secret_access_key"
            | "public_url"
            | "app_role"
            | "app_password"
            | "system_role"
            | "system_password"
            | "api_key"
            | "password"
            | "username"
            | "model"
            | "size"
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

/// A list of networks: a TOML array or one comma-separated string; a bare address is a
/// network of one (`10.0.0.7` means `10.0.0.7/32`).
pub(crate) fn net_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ipnet::IpNet>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        One(String),
        Many(Vec<String>),
    }
    let items = match Given::deserialize(deserializer)? {
        Given::One(text) => text.split(',').map(str::to_owned).collect(),
        Given::Many(items) => items,
    };
    items
        .iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!("`{item}` is not an address or CIDR range"))
                })
        })
        .collect()
}

/// A humantime duration, or `none` for no limit.
pub(crate) fn optional_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    humantime::parse_duration(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

pub(crate) fn human_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests;

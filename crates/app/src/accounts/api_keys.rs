//! API keys: long-lived bearer secrets for scripts, per user, named, revocable.
//! The secret (`atl_` + 256 random bits in hex) is shown once; only its SHA-256 is stored,
//! as for sessions, so a copy of the database authenticates no one.

use super::{AccountError, Accounts, hex, token_hash};
use crate::domain::{ApiKeyId, Timestamp, UserScope};
use crate::store::{ApiKey, NewApiKey, StoreError};

/// Every API key starts with this, so a bearer token says which kind it is.
pub const API_KEY_PREFIX: &str = "atl_";
/// How many live keys one account may hold.
pub const MAX_API_KEYS: u32 = 100;
const SECRET_BYTES: usize = 32;
const NAME_MAX_CHARS: usize = 80;

/// A new key's secret, handed to its owner once. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeySecret([redacted])")
    }
}

/// Whether a bearer token is shaped like an API key (it may still be unknown).
pub fn looks_like_api_key(token: &str) -> bool {
    token.strip_prefix(API_KEY_PREFIX).is_some_and(|rest| {
        rest.len() == SECRET_BYTES * 2 && rest.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// 1 to 80 characters once trimmed, no control characters.
fn parse_name(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(AccountError::InvalidApiKeyName);
    }
    Ok(name.to_owned())
}

impl Accounts {
    /// Creates a key for the caller; the secret is in the answer and nowhere else.
    pub async fn create_api_key(
        &self,
        scope: UserScope,
        name: &str,
    ) -> Result<(ApiKey, ApiKeySecret), AccountError> {
        let name = parse_name(name)?;
        let mut raw = [0u8; SECRET_BYTES];
        getrandom::fill(&mut raw).map_err(|e| AccountError::Hashing(e.to_string()))?;
        let secret = ApiKeySecret(format!("{API_KEY_PREFIX}{}", hex(&raw)));
        let key = NewApiKey {
            id: ApiKeyId::new(),
            name,
            token_hash: token_hash(secret.expose()),
            prefix: secret
                .expose()
                .chars()
                .take(API_KEY_PREFIX.len() + 6)
                .collect(),
            created_at: Timestamp::now(),
        };
        match self.store.create_api_key(scope, &key, MAX_API_KEYS).await {
            Ok(stored) => Ok((stored, secret)),
            Err(StoreError::WrongState) => Err(AccountError::TooManyApiKeys),
            Err(other) => Err(other.into()),
        }
    }

    /// The scope (and key) behind an API key's secret, or `Unauthenticated`: unknown,
    /// revoked, or its account may not sign in.
    pub async fn authenticate_api_key(
        &self,
        secret: &str,
    ) -> Result<(UserScope, ApiKeyId), AccountError> {
        if !looks_like_api_key(secret) {
            return Err(AccountError::Unauthenticated);
        }
        self.store
            .api_key_scope(&token_hash(secret), Timestamp::now())
            .await?
            .ok_or(AccountError::Unauthenticated)
    }

    /// Revokes one of the caller's keys at once; `false` when they have no such key.
    pub async fn revoke_api_key(
        &self,
        scope: UserScope,
        id: ApiKeyId,
    ) -> Result<bool, AccountError> {
        Ok(self.store.delete_api_key(scope, id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_prefix_and_64_hex_digits_look_like_a_key() {
        let good = format!("atl_{}", "a1".repeat(32));

        assert!(looks_like_api_key(&good));
        assert!(!looks_like_api_key(&good[..good.len() - 1]));
        assert!(!looks_like_api_key(&good.replace("atl_", "atx_")));
        assert!(!looks_like_api_key(&format!("atl_{}", "zz".repeat(32))));
        assert!(!looks_like_api_key("0123456789abcdef0123456789abcdef"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  ci  ").ok().as_deref(), Some("ci"));
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(81)).is_err());
        assert!(parse_name("a\nb").is_err());
    }
}

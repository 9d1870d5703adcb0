//! Accounts (C4): sign-up with the age gate, sign-in with per-account throttling, sessions,
//! sign-out, password-reset mail through the outbox.
//!
//! Owns password hashing (argon2id, off the async runtime) and session tokens (128 random
//! bits, only their SHA-256 stored). It must not know about HTTP: cookies live in `http`.

use std::net::IpAddr;
use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

mod api_keys;
mod recovery;

pub use api_keys::{API_KEY_PREFIX, ApiKeySecret, MAX_API_KEYS, looks_like_api_key};

use crate::blobs::{BlobError, Blobs};
use crate::config::{AccountsConfig, TokensConfig};
use crate::domain::{Email, LotId, Password, PasswordError, Timestamp, UserId, UserScope};
use crate::mail_compose::{Composer, Message};
use crate::store::{NewLot, NewSession, NewUser, Store, StoreError, UsageKind, User};
use crate::throttle::SignInThrottle;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("not a valid e-mail address")]
    InvalidEmail,
    #[error("{0}")]
    Password(PasswordError),
    #[error("users under 14 need the consent of a parent or guardian")]
    GuardianConsentRequired,
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    #[error("wrong e-mail address or password")]
    InvalidCredentials,
    #[error("too many failed sign-ins; try again later")]
    Locked,
    /// Sign-in from this address (or, under a distributed attack, from anywhere) must wait.
    #[error("too many failed sign-ins; try again later")]
    Throttled(std::time::Duration),
    #[error("sign in first")]
    Unauthenticated,
    #[error("this link is invalid, expired or already used")]
    InvalidToken,
    #[error("this e-mail address is already confirmed")]
    AlreadyVerified,
    #[error("name the key with 1 to 80 characters, without control characters")]
    InvalidApiKeyName,
    #[error("this account already has the most API keys allowed (100); revoke one first")]
    TooManyApiKeys,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl AccountError {
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::InvalidEmail => "invalid-email",
            AccountError::Password(e) => e.code(),
            AccountError::GuardianConsentRequired => "guardian-consent-required",
            AccountError::EmailTaken => "email-taken",
            AccountError::InvalidCredentials => "invalid-credentials",
            AccountError::Locked | AccountError::Throttled(_) => "too-many-attempts",
            AccountError::Unauthenticated => "unauthenticated",
            AccountError::InvalidToken => "invalid-token",
            AccountError::AlreadyVerified => "already-verified",
            AccountError::InvalidApiKeyName => "invalid-api-key-name",
            AccountError::TooManyApiKeys => "too-many-api-keys",
            AccountError::Store(e) => e.code(),
            AccountError::Blob(e) => e.code(),
            AccountError::Hashing(_) => "internal",
        }
    }
}

/// What a person fills in to sign up.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"email": "ada@example.org", "password": "a sturdy passphrase",
    "age_over_14": true, "guardian_consent": false}))]
pub struct SignUp {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub age_over_14: bool,
    #[serde(default)]
    pub guardian_consent: bool,
}

/// A session token as handed to the client, once. Only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// 128 random bits as 32 hex digits: session and e-mailed tokens.
fn random_token() -> Result<String, AccountError> {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|e| AccountError::Hashing(e.to_string()))?;
    Ok(hex(&raw))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored form of a session token.
fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn Store>,
    blobs: Blobs,
    config: AccountsConfig,
    tokens: TokensConfig,
    composer: Composer,
    /// Failed sign-ins per (account, address) and per account.
    throttle: Arc<SignInThrottle>,
}

impl Accounts {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Blobs,
        config: AccountsConfig,
        tokens: TokensConfig,
        composer: Composer,
    ) -> Accounts {
        Accounts {
            store,
            blobs,
            config,
            tokens,
            composer,
            throttle: Arc::new(SignInThrottle::new(
                &crate::config::LimitsConfig::default(),
                crate::throttle::Counters::in_memory(),
            )),
        }
    }

    /// The same service with sign-ins throttled by `throttle` (the deployment's limits and
    /// counters; the default is the default limits, counted in memory).
    #[must_use]
    pub fn with_sign_in_throttle(mut self, throttle: SignInThrottle) -> Accounts {
        self.throttle = Arc::new(throttle);
        self
    }

    /// The mail writer, shared with the other services.
    pub fn composer(&self) -> &Composer {
        &self.composer
    }

    fn argon2(&self) -> Result<Argon2<'static>, AccountError> {
        let params = Params::new(
            self.config.argon2_memory_kib,
            self.config.argon2_iterations,
            self.config.argon2_parallelism,
            None,
        )
        .map_err(|e| AccountError::Hashing(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes a new password off the async runtime.
    async fn hash_password(&self, password: Password) -> Result<String, AccountError> {
        let argon2 = self.argon2()?;
        tokio::task::spawn_blocking(move || {
            argon2
                .hash_password(password.expose().as_bytes())
                .map(|h| h.to_string())
        })
        .await
        .map_err(|e| AccountError::Hashing(e.to_string()))?
        .map_err(|e| AccountError::Hashing(e.to_string()))
    }

    /// Checks `password` against `stored` off the runtime; with no stored hash it still does
    /// the work of one, so the caller's timing says nothing.
    async fn verify_password(
        &self,
        stored: Option<String>,
        password: Password,
    ) -> Result<bool, AccountError> {
        let argon2 = self.argon2()?;
        tokio::task::spawn_blocking(move || match stored {
            Some(hash) => argon2
                .verify_password(password.expose().as_bytes(), hash.as_str())
                .is_ok(),
            None => {
                let _ = argon2.hash_password(password.expose().as_bytes());
                false
            }
        })
        .await
        .map_err(|e| AccountError::Hashing(e.to_string()))
    }

    /// Creates an account with its welcome tokens, in English; see [`Accounts::sign_up_in`].
    pub async fn sign_up(&self, form: SignUp) -> Result<User, AccountError> {
        self.sign_up_in(form, None).await
    }

    /// Creates an account with its welcome tokens and mails it a link to confirm the address;
    /// `locale` is the language its mail is written in. Parsing comes first so bad input
    /// never costs a hash.
    pub async fn sign_up_in(
        &self,
        form: SignUp,
        locale: Option<&str>,
    ) -> Result<User, AccountError> {
        let email = Email::parse(&form.email).map_err(|_| AccountError::InvalidEmail)?;
        let password = Password::parse(&form.password).map_err(AccountError::Password)?;
        if !form.age_over_14 && !form.guardian_consent {
            return Err(AccountError::GuardianConsentRequired);
        }
        if self.store.find_user_by_email(&email).await?.is_some() {
            return Err(AccountError::EmailTaken);
        }
        let password_hash = self.hash_password(password).await?;
        let id = UserId::new();
        let now = Timestamp::now();
        let user = NewUser {
            id,
            email,
            password_hash,
            guardian_consent: !form.age_over_14 && form.guardian_consent,
            wrapped_key: self.blobs.new_wrapped_key(id)?,
            locale: locale.map(str::to_owned),
            created_at: now,
        };
        let welcome = (self.tokens.welcome > 0).then(|| NewLot {
            id: LotId::new(),
            quantity: self.tokens.welcome,
            source: "welcome".into(),
            created_at: now,
            expires_at: now.plus(self.tokens.lot_validity),
        });
        let user = match self.store.create_user(user, welcome).await {
            Err(StoreError::Conflict) => return Err(AccountError::EmailTaken),
            other => other?,
        };
        // Signing up is accepting the privacy policy and terms in force (the form says so).
        self.store.accept_current_policies(user.id, now).await?;
        crate::analytics::record(self.store.as_ref(), id, UsageKind::SignedUp, None).await;
        // The account works without it; a failure here is logged and the user can ask again
        // from the account page.
        if let Err(error) = self.send_verification(&user).await {
            tracing::warn!(%error, user = %user.id, "verification mail not queued");
        }
        Ok(user)
    }

    /// Checks the password and opens a new session, for a caller whose address is unknown
    /// (in-process use); see [`Accounts::sign_in_from`].
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<(User, SessionToken), AccountError> {
        self.sign_in_from(email, password, None).await
    }

    /// Checks the password and opens a new session. Unknown addresses cost the same hash
    /// as known ones, and are throttled alike, so neither timing nor refusals reveal who has
    /// an account. Failures slow down the (account, `from`) pair and count toward the
    /// account's cap (`crate::throttle`); while either holds, `Throttled` with the wait and
    /// no password check. Failures never lock the account itself, so a stranger cannot
    /// keep its owner out.
    pub async fn sign_in_from(
        &self,
        email: &str,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<(User, SessionToken), AccountError> {
        let tried = email.trim().to_lowercase();
        let now_ms = crate::throttle::now_ms();
        // Checks the throttle and counts this attempt in one step (see `SignInThrottle`).
        if let Err(wait) = self.throttle.begin(&tried, from, now_ms).await {
            return Err(AccountError::Throttled(wait));
        }
        let password = Password::for_sign_in(password).ok_or(AccountError::InvalidCredentials)?;
        let mut found = None;
        for email in Email::lookup(email) {
            found = self.store.find_user_by_email(&email).await?;
            if found.is_some() {
                break;
            }
        }
        let now = Timestamp::now();
        let verified = self
            .verify_password(found.as_ref().map(|f| f.password_hash.clone()), password)
            .await?;
        let found = match found {
            Some(found) if verified => found,
            _ => {
                self.throttle.failed(&tried, now_ms).await;
                return Err(AccountError::InvalidCredentials);
            }
        };
        if !matches!(found.user.status.as_str(), "active" | "restricted") {
            return Err(AccountError::InvalidCredentials);
        }
        self.throttle.succeeded(&tried, from).await;
        self.store.clear_failed_logins(found.user.id).await?;
        let token = self.open_session(found.user.id, now).await?;
        Ok((found.user, token))
    }

    /// Opens a new session for `user`; the token is returned once and stored only hashed.
    pub async fn open_session(
        &self,
        user: UserId,
        now: Timestamp,
    ) -> Result<SessionToken, AccountError> {
        let token = SessionToken(random_token()?);
        self.store
            .create_session(NewSession {
                token_hash: token_hash(token.as_str()),
                user_id: user,
                created_at: now,
                expires_at: now.plus(self.config.session_absolute),
            })
            .await?;
        Ok(token)
    }

    /// The scope of a session token, or `Unauthenticated`.
    pub async fn authenticate(&self, token: &str) -> Result<UserScope, AccountError> {
        if token.len() != 32 {
            return Err(AccountError::Unauthenticated);
        }
        self.store
            .session_scope(
                &token_hash(token),
                Timestamp::now(),
                self.config.session_idle,
            )
            .await?
            .ok_or(AccountError::Unauthenticated)
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), AccountError> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }
}

#[cfg(test)]
mod tests;

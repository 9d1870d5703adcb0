//! The privacy center: the user's choices (restriction and objection),
//! rectification of the display name, the data export and erasure.
//!
//! Owns the order of erasure: end subscriptions at Stripe, pause and cancel jobs, blobs, rows
//! with the data key, blobs again (and the user's folder), then the database files scrubbed
//! of the deleted rows, before the erasure is reported done.
//! It must not know about HTTP; the store owns the SQL.

mod background;
mod export;

use std::sync::Arc;

pub use background::{EXPORT_TTL, export_key};
pub use export::{EXPORT_README, ExportLimits};

use crate::accounts::{AccountError, Accounts};
use crate::billing::{Billing, BillingError};
use crate::blobs::{BlobError, Blobs};
use crate::domain::{Role, Timestamp, UserId, UserScope};
use crate::mail_compose::Message;
use crate::store::{
    ConsentSource, ErasureCounts, PrivacyChange, PrivacySettings, Store, StoreError,
};

/// The longest a request about one's data may take; most are served at once. Shown on the
/// privacy page and in the API.
pub const REQUEST_DEADLINE_DAYS: u32 = 30;

/// The longest display name accepted, in characters.
pub const DISPLAY_NAME_MAX: usize = 80;

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("the password is wrong")]
    WrongPassword,
    #[error("a display name has 1 to {DISPLAY_NAME_MAX} characters and no control characters")]
    InvalidDisplayName,
    #[error(transparent)]
    Account(AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("building the archive failed: {0}")]
    Archive(String),
    #[error("an export is already being prepared; wait until it is ready")]
    ExportPending,
    /// A subscription could not be canceled at Stripe: the account stays, so nothing is
    /// charged to an account that no longer exists. Asking again retries.
    #[error(transparent)]
    Billing(BillingError),
}

impl PrivacyError {
    pub fn code(&self) -> &'static str {
        match self {
            PrivacyError::WrongPassword => "wrong-password",
            PrivacyError::InvalidDisplayName => "invalid-display-name",
            PrivacyError::Account(e) => e.code(),
            PrivacyError::Store(e) => e.code(),
            PrivacyError::Blob(e) => e.code(),
            PrivacyError::Archive(_) => "internal",
            PrivacyError::ExportPending => "export-pending",
            PrivacyError::Billing(e) => e.code(),
        }
    }
}

impl From<AccountError> for PrivacyError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::InvalidCredentials => PrivacyError::WrongPassword,
            other => PrivacyError::Account(other),
        }
    }
}

/// Trims a display name; an empty one clears it. Control characters are refused so the name
/// cannot forge lines in mail or logs.
pub fn parse_display_name(text: &str) -> Result<Option<String>, PrivacyError> {
    let name = text.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > DISPLAY_NAME_MAX || name.chars().any(char::is_control) {
        return Err(PrivacyError::InvalidDisplayName);
    }
    Ok(Some(name.to_owned()))
}

#[derive(Clone)]
pub struct Privacy {
    store: Arc<dyn Store>,
    blobs: Blobs,
    accounts: Accounts,
    billing: Billing,
    limits: ExportLimits,
}

impl Privacy {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Blobs,
        accounts: Accounts,
        billing: Billing,
    ) -> Privacy {
        Privacy {
            store,
            blobs,
            accounts,
            billing,
            limits: ExportLimits::default(),
        }
    }

    pub async fn settings(&self, scope: UserScope) -> Result<PrivacySettings, PrivacyError> {
        Ok(self.store.privacy(scope).await?)
    }

    /// Changes the choices named in `change`; each real change is recorded in `consents`.
    pub async fn change(
        &self,
        scope: UserScope,
        change: &PrivacyChange,
        source: ConsentSource,
    ) -> Result<PrivacySettings, PrivacyError> {
        Ok(self
            .store
            .set_privacy(scope, change, source, Timestamp::now())
            .await?)
    }

    /// Sets (or, with an empty name, clears) the display name.
    pub async fn rename(&self, scope: UserScope, name: &str) -> Result<(), PrivacyError> {
        let name = parse_display_name(name)?;
        Ok(self.store.set_display_name(scope, name.as_deref()).await?)
    }

    /// Erases the account at once after checking the password. Blobs go before the rows that
    /// name them; the rows go with the wrapped data key in one transaction, so a blob that
    /// escaped (a copy, a worker racing us) can never be decrypted again; then the user's
    /// folder is cleared once more for anything a running job wrote meanwhile; last, the
    /// database files are scrubbed of the deleted rows ([`Store::scrub`]).
    pub async fn erase(
        &self,
        scope: UserScope,
        password: &str,
    ) -> Result<ErasureCounts, PrivacyError> {
        self.accounts.check_password(scope, password).await?;
        self.erase_now(scope).await
    }

    /// Erasure without the password check (operators, and the checked path above).
    pub(crate) async fn erase_now(&self, scope: UserScope) -> Result<ErasureCounts, PrivacyError> {
        self.erase_with(scope, true).await
    }

    /// Erases an account whose address was never confirmed (the sweeper, after
    /// `retention.unconfirmed_ttl`), the same way as on request but without a farewell: the
    /// address never proved to be its owner's. `None` when the account is gone or was
    /// verified meanwhile.
    pub(crate) async fn erase_unconfirmed(
        &self,
        user: UserId,
    ) -> Result<Option<ErasureCounts>, PrivacyError> {
        let scope = UserScope::trusted(user, Role::User);
        match self.store.user(scope).await {
            Ok(found) if found.email_verified_at.is_none() => {}
            Ok(_) | Err(StoreError::NotFound) => return Ok(None),
            Err(error) => return Err(error.into()),
        }
        match self.erase_with(scope, false).await {
            Ok(counts) => Ok(Some(counts)),
            Err(PrivacyError::Store(StoreError::NotFound)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn erase_with(
        &self,
        scope: UserScope,
        farewell: bool,
    ) -> Result<ErasureCounts, PrivacyError> {
        let user = self.store.user(scope).await?;
        // First, before anything is deleted: a plan that still bills ends at Stripe now. If
        // Stripe cannot be reached the erasure stops here and can simply be asked again.
        let subscriptions = self
            .billing
            .cancel_all_now(scope)
            .await
            .map_err(PrivacyError::Billing)?;
        let now = Timestamp::now();
        let canceled = self.store.begin_erasure(scope, now).await?;
        let blobs = self.blobs.delete_all_of(scope.user_id()).await?;
        let farewell = farewell.then(|| {
            self.accounts.composer().compose(
                &user.email,
                user.locale.as_deref(),
                &Message::AccountDeleted { deleted_at: now },
            )
        });
        let counts = self.store.erase_user(scope, farewell.as_ref(), now).await?;
        let late = self.blobs.delete_all_of(scope.user_id()).await?;
        // The rows are gone from the tables, but on SQLite the pages from before the delete
        // are still in the WAL: the erasure is done once they are checkpointed away. The
        // farewell, queued above, is scrubbed the same way once delivered.
        self.store.scrub().await?;
        tracing::info!(
            user = %scope.user_id(),
            canceled,
            subscriptions,
            blobs = blobs + late,
            rows = counts.rows,
            purchases_detached = counts.purchases_detached,
            "account erased"
        );
        metrics::counter!("atelier_accounts_erased_total").increment(1);
        Ok(counts)
    }
}

#[cfg(test)]
mod tests;

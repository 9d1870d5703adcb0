//! Exports built in the background: the request is recorded at once (its status shows on the
//! privacy page and in the API), the ZIP is built off the request path, stored encrypted in
//! the owner's folder (so erasure removes it with the rest), and downloadable by its owner
//! only, until it expires; the sweeper then deletes blob and row.

use std::time::Duration;

use super::{Privacy, PrivacyError};
use crate::blobs::BlobError;
use crate::domain::{ExportId, Timestamp, UserId, UserScope};
use crate::mail_compose::Message;
use crate::store::{ExportOutcome, ExportRequest, ExportStatus, StoreError};

/// How long a prepared export stays downloadable.
pub const EXPORT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where an export's ZIP lives: in the owner's folder, so erasure and scans attribute it.
pub fn export_key(user: UserId, id: ExportId) -> String {
    format!("users/{user}/exports/{id}.zip")
}

impl Privacy {
    /// Records an export request and starts building it in the background.
    pub async fn request_export(&self, scope: UserScope) -> Result<ExportRequest, PrivacyError> {
        let now = Timestamp::now();
        let id = ExportId::new();
        let request = match self
            .store
            .create_export(scope, id, now, now.plus(EXPORT_TTL))
            .await
        {
            Err(StoreError::Conflict) => return Err(PrivacyError::ExportPending),
            other => other?,
        };
        let this = self.clone();
        tokio::spawn(async move { this.build_export(scope, id).await });
        Ok(request)
    }

    /// Builds, stores and records one export; on success mails its owner.
    pub(crate) async fn build_export(&self, scope: UserScope, id: ExportId) {
        let outcome = match self.export_to_blob(scope, id).await {
            Ok((blob_key, bytes)) => ExportOutcome::Ready { blob_key, bytes },
            Err(error) => {
                tracing::warn!(%error, export = %id, "building an export failed");
                ExportOutcome::Failed {
                    error: "the export could not be built; please ask again".into(),
                }
            }
        };
        let now = Timestamp::now();
        match self.store.finish_export(scope, id, &outcome, now).await {
            Ok(request) if request.status == ExportStatus::Ready => {
                if let Err(error) = self.mail_export_ready(scope, &request).await {
                    tracing::warn!(%error, export = %id, "export-ready mail not queued");
                }
            }
            Ok(_) => {}
            Err(error) => {
                // The account was erased meanwhile (or the row swept): leave nothing behind.
                tracing::info!(%error, export = %id, "export finished for a request that is gone");
                if let ExportOutcome::Ready { blob_key, .. } = &outcome {
                    let _ = self.blobs.delete(blob_key).await;
                }
            }
        }
    }

    async fn export_to_blob(
        &self,
        scope: UserScope,
        id: ExportId,
    ) -> Result<(String, i64), PrivacyError> {
        let zip = self.export(scope).await?;
        let user = scope.user_id();
        let key = export_key(user, id);
        let wrapped = self.store.wrapped_key(user).await?;
        self.blobs.put(user, wrapped.as_deref(), &key, &zip).await?;
        Ok((key, i64::try_from(zip.len()).unwrap_or(i64::MAX)))
    }

    async fn mail_export_ready(
        &self,
        scope: UserScope,
        request: &ExportRequest,
    ) -> Result<(), StoreError> {
        let user = self.store.user(scope).await?;
        let mail = self.accounts.composer().compose(
            &user.email,
            user.locale.as_deref(),
            &Message::ExportReady {
                expires_at: request.expires_at,
            },
        );
        self.store.enqueue_mail(&mail, Timestamp::now()).await
    }

    pub async fn export_requests(
        &self,
        scope: UserScope,
    ) -> Result<Vec<ExportRequest>, PrivacyError> {
        Ok(self.store.export_requests_of(scope, 20).await?)
    }

    pub async fn export_request(
        &self,
        scope: UserScope,
        id: ExportId,
    ) -> Result<Option<ExportRequest>, PrivacyError> {
        Ok(self.store.export_request(scope, id).await?)
    }

    /// The ZIP of the caller's ready export; `None` when unknown, not ready or expired.
    pub async fn prepared_export(
        &self,
        scope: UserScope,
        id: ExportId,
    ) -> Result<Option<Vec<u8>>, PrivacyError> {
        let Some(request) = self.store.export_request(scope, id).await? else {
            return Ok(None);
        };
        let live = request.status == ExportStatus::Ready && request.expires_at > Timestamp::now();
        let Some(key) = request.blob_key.filter(|_| live) else {
            return Ok(None);
        };
        let user = scope.user_id();
        let wrapped = self.store.wrapped_key(user).await?;
        match self.blobs.get(user, wrapped.as_deref(), &key).await {
            Ok(zip) => Ok(Some(zip)),
            Err(BlobError::NotFound) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

//! "Download my data" (access and portability): one ZIP with the account's rows as JSON, the
//! images still held (decrypted) and a README explaining every file and field.
//!
//! Built synchronously, in memory, with caps ([`ExportLimits`]): uploads and results live
//! 24 hours by default, so an account holds few; the caps keep a request bounded anyway.

use std::io::Write;

use serde::Serialize;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::{Privacy, PrivacyError};
use crate::domain::{Timestamp, UserScope};

/// How much one synchronous export holds at most; what lies past a cap is left out, and the
/// manifest says so.
#[derive(Clone, Copy, Debug)]
pub struct ExportLimits {
    pub images: u32,
    pub rows: u32,
}

impl Default for ExportLimits {
    fn default() -> Self {
        ExportLimits {
            images: 200,
            rows: 10_000,
        }
    }
}

/// What `README.txt` in every export says. The field names here are a contract.
pub const EXPORT_README: &str = include_str!("export_readme.txt");

#[derive(Serialize)]
struct Tokens<T, U> {
    balance: i64,
    lots: T,
    ledger: U,
}

#[derive(Serialize)]
struct Subscriptions {
    subscriptions: Vec<crate::store::Subscription>,
    grants: Vec<crate::store::SubscriptionGrant>,
}

#[derive(Serialize)]
struct Manifest {
    format: u32,
    created_at: Timestamp,
    user_id: String,
    files: Vec<String>,
    truncated: Vec<&'static str>,
}

struct Archive {
    zip: zip::ZipWriter<std::io::Cursor<Vec<u8>>>,
    files: Vec<String>,
}

impl Archive {
    fn new() -> Archive {
        Archive {
            zip: zip::ZipWriter::new(std::io::Cursor::new(Vec::new())),
            files: Vec::new(),
        }
    }

    fn add(&mut self, name: &str, bytes: &[u8], compress: bool) -> Result<(), PrivacyError> {
        let method = if compress {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o644);
        self.zip.start_file(name, options).map_err(archive)?;
        self.zip.write_all(bytes).map_err(archive)?;
        self.files.push(name.to_owned());
        Ok(())
    }

    fn json(&mut self, name: &str, value: &impl Serialize) -> Result<(), PrivacyError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(archive)?;
        self.add(name, &bytes, true)
    }

    fn finish(self) -> Result<Vec<u8>, PrivacyError> {
        Ok(self.zip.finish().map_err(archive)?.into_inner())
    }
}

fn archive(error: impl std::fmt::Display) -> PrivacyError {
    PrivacyError::Archive(error.to_string())
}

impl Privacy {
    /// The caller's data as a ZIP (see `export_readme.txt` for its layout).
    pub async fn export(&self, scope: UserScope) -> Result<Vec<u8>, PrivacyError> {
        let store = &self.store;
        let rows = self.limits.rows;
        let now = Timestamp::now();
        let account = store.account_record(scope).await?;
        let tokens = Tokens {
            balance: store.balance(scope, now).await?,
            lots: store.lots(scope).await?,
            ledger: store.ledger(scope, rows).await?,
        };
        let purchases = store.purchases_of(scope, rows).await?;
        let subscriptions = Subscriptions {
            subscriptions: store.subscriptions_of(scope, rows).await?,
            grants: store.subscription_grants_of(scope, rows).await?,
        };
        let jobs = store.jobs_of(scope, rows).await?;
        let access = store.access_log_of(scope, rows).await?;
        let consents = store.consents_of(scope, rows).await?;
        let analytics = store.usage_of(scope, rows).await?;
        let reports = store.reports_of(scope, rows).await?;
        let policies = store.policy_acceptances_of(scope).await?;
        let api_keys = store
            .api_keys_of(scope, &crate::store::PageRequest::first(rows))
            .await?
            .items;
        let mut tickets = Vec::new();
        for ticket in store.tickets_of(scope, rows).await? {
            tickets.extend(store.ticket_thread(scope, ticket.id).await?);
        }
        let uploads = store.uploads_of(scope, self.limits.images).await?;
        let results = store.results_of(scope, self.limits.images).await?;
        let wrapped = store.wrapped_key(scope.user_id()).await?;

        let mut truncated = Vec::new();
        let row_cap = usize::try_from(rows).unwrap_or(usize::MAX);
        let image_cap = usize::try_from(self.limits.images).unwrap_or(usize::MAX);
        for (name, len, cap) in [
            ("tokens.json ledger", tokens.ledger.len(), row_cap),
            ("purchases.json", purchases.len(), row_cap),
            (
                "subscriptions.json",
                subscriptions
                    .subscriptions
                    .len()
                    .max(subscriptions.grants.len()),
                row_cap,
            ),
            ("jobs.json", jobs.len(), row_cap),
            ("access-log.json", access.len(), row_cap),
            ("consents.json", consents.len(), row_cap),
            ("analytics.json", analytics.len(), row_cap),
            ("tickets.json", tickets.len(), row_cap),
            ("reports.json", reports.len(), row_cap),
            ("uploads/", uploads.len(), image_cap),
            ("results/", results.len(), image_cap),
        ] {
            if len >= cap {
                truncated.push(name);
            }
        }

        let mut zip = Archive::new();
        zip.add("README.txt", EXPORT_README.as_bytes(), true)?;
        zip.json("account.json", &account)?;
        zip.json("tokens.json", &tokens)?;
        zip.json("purchases.json", &purchases)?;
        zip.json("subscriptions.json", &subscriptions)?;
        zip.json("jobs.json", &jobs)?;
        zip.json("access-log.json", &access)?;
        zip.json("consents.json", &consents)?;
        zip.json("analytics.json", &analytics)?;
        zip.json("reports.json", &reports)?;
        zip.json("policies.json", &policies)?;
        zip.json("api-keys.json", &api_keys)?;
        zip.json("tickets.json", &tickets)?;
        zip.json("uploads/index.json", &uploads)?;
        zip.json("results/index.json", &results)?;
        let user = scope.user_id();
        for upload in &uploads {
            match self
                .blobs
                .get(user, wrapped.as_deref(), &upload.blob_key)
                .await
            {
                Ok(png) => zip.add(&format!("uploads/{}.png", upload.id), &png, false)?,
                // Swept between the listing and now: it is no longer held.
                Err(crate::blobs::BlobError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        for result in &results {
            match self
                .blobs
                .get(user, wrapped.as_deref(), &result.blob_key)
                .await
            {
                Ok(png) => zip.add(&format!("results/{}.png", result.id), &png, false)?,
                Err(crate::blobs::BlobError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let manifest = Manifest {
            format: 1,
            created_at: now,
            user_id: user.to_string(),
            files: zip.files.clone(),
            truncated,
        };
        zip.json("manifest.json", &manifest)?;
        metrics::counter!("atelier_exports_total").increment(1);
        zip.finish()
    }
}

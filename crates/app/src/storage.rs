//! Where blobs physically live: the object store behind a storage URL.
//!
//! `file:///dir` (the default, a folder created if missing), `s3://bucket[/prefix]` (AWS or
//! any S3-compatible server, settings from `storage.*` over the `AWS_*` variables) and
//! `memory://` (tests). Encryption stays above this layer, in `blobs`: what is stored here
//! is already sealed, so copying objects between back-ends needs no key.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::memory::InMemory;
use object_store::prefix::PrefixStore;

use crate::config::StorageConfig;

/// Why a storage URL could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported storage URL `{0}` (use file:///dir, s3://bucket/prefix or memory://)")]
    Unsupported(String),
    #[error("cannot create the blob folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("storage: {0}")]
    Store(#[from] object_store::Error),
}

/// Opens the object store that `url` names; `settings` supply the S3 endpoint and keys.
pub fn open_store(
    url: &str,
    settings: &StorageConfig,
) -> Result<Arc<dyn ObjectStore>, StorageError> {
    if url == "memory://" {
        return Ok(Arc::new(InMemory::new()));
    }
    if let Some(dir) = url.strip_prefix("file://") {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Folder(dir.to_owned(), e))?;
        let local = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        return Ok(Arc::new(local));
    }
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StorageError::Unsupported(url.to_owned()));
        }
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_allow_http(settings.allow_http);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &settings.region {
            builder = builder.with_region(region);
        }
        if let Some(key) = &settings.access_key_id {
            builder = builder.with_access_key_id(key.expose());
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        let s3 = builder.build()?;
        let prefix = prefix.trim_matches('/');
        return Ok(if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, prefix))
        });
    }
    Err(StorageError::Unsupported(url.to_owned()))
}

/// What [`copy_live_blobs`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Objects written to the destination.
    pub copied: u64,
    /// Objects the destination already held with the same size (a re-run after a stop).
    pub already_there: u64,
    /// Objects no upload or result points at any more; the sweeper removes those.
    pub orphans: u64,
    pub bytes: u64,
}

/// Copies every blob under `users/` that a row still points at from `from` to `to`, as
/// stored (sealed): a copy needs no key and stays readable only with the master key.
/// Safe to repeat; each copy is checked by size on the destination. `progress` is called
/// with (done, total) after each object.
pub async fn copy_live_blobs(
    from: &dyn ObjectStore,
    to: &dyn ObjectStore,
    rows: &dyn crate::store::RetentionStore,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<CopyReport> {
    use futures::{StreamExt, TryStreamExt};
    use object_store::ObjectStoreExt;
    use object_store::path::Path;

    let objects: Vec<_> = from.list(Some(&Path::from("users"))).try_collect().await?;
    let total = objects.len() as u64;
    let mut report = CopyReport::default();
    let mut outcomes = futures::stream::iter(objects)
        .map(|meta| async move {
            let key = meta.location.to_string();
            if !rows.blob_key_in_use(&key).await? {
                return Ok::<_, anyhow::Error>((Outcome::Orphan, 0));
            }
            if let Ok(there) = to.head(&meta.location).await
                && there.size == meta.size
            {
                return Ok((Outcome::AlreadyThere, 0));
            }
            let bytes = from.get(&meta.location).await?.bytes().await?;
            let size = bytes.len() as u64;
            to.put(&meta.location, bytes.into()).await?;
            let written = to.head(&meta.location).await?;
            anyhow::ensure!(
                written.size == size,
                "{key}: the destination holds {} bytes, not {size}",
                written.size
            );
            Ok((Outcome::Copied, size))
        })
        .buffer_unordered(8);
    let mut done = 0;
    while let Some(outcome) = outcomes.next().await {
        let (outcome, size) = outcome?;
        match outcome {
            Outcome::Copied => report.copied += 1,
            Outcome::AlreadyThere => report.already_there += 1,
            Outcome::Orphan => report.orphans += 1,
        }
        report.bytes += size;
        done += 1;
        progress(done, total);
    }
    Ok(report)
}

enum Outcome {
    Copied,
    AlreadyThere,
    Orphan,
}

#[cfg(test)]
#[path = "storage_tests.rs"]
mod tests;

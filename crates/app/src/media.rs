//! Uploads and results (C7, C9): safe ingest through the engine, encrypted storage, reads and
//! deletes that cascade through storage at once.
//!
//! Owns the order "blob first, then row" on delete and "blob first, then row" on insert (a
//! blob without a row is an orphan the sweeper removes; a row without a blob would be a lie).

use std::sync::Arc;
use std::time::Duration;

use atelier_engine::{DecodeError, Limits, RgbImage};

use crate::blobs::{BlobError, Blobs, upload_key};
use crate::domain::{ResultId, Timestamp, UploadId, UserScope};
use crate::store::{ResultRecord, Store, StoreError, Upload, UsageKind};

#[path = "media_inspect.rs"]
mod inspect;
pub use inspect::Inspection;
#[path = "media_budget.rs"]
pub mod budget;
pub use budget::DecodeBudget;

/// Decoding a hostile file must not hold a request forever.
const DECODE_TIME_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{0}")]
    Decode(DecodeError),
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("decoding took too long")]
    DecodeTimeout,
    /// The decode budget had no room in time: 503 with `Retry-After`.
    #[error("the server is busy decoding other photos; try again in a few seconds")]
    Busy { retry_after: Duration },
    #[error("not found")]
    NotFound,
    #[error("processing of your data is paused; resume it on the privacy page to upload")]
    ProcessingPaused,
    #[error("saving portraits is not enabled on this server; results are deleted on schedule")]
    SavingDisabled,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl MediaError {
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::Decode(e) => e.code(),
            MediaError::TooLarge { .. } => "too-large",
            MediaError::DecodeTimeout => "decode-timeout",
            MediaError::Busy { .. } => "busy",
            MediaError::NotFound => "not-found",
            MediaError::ProcessingPaused => "processing-paused",
            MediaError::SavingDisabled => "saving-disabled",
            MediaError::Store(e) => e.code(),
            MediaError::Blob(e) => e.code(),
            MediaError::Internal(_) => "internal",
        }
    }
}

/// A small JPEG of `image` for lists and previews, carrying no metadata.
fn encode_thumbnail(image: &RgbImage, max_edge: u32) -> Result<Vec<u8>, MediaError> {
    use image::ImageEncoder;
    let small = atelier_engine::fit_max_edge(image, max_edge);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .write_image(
            small.as_raw(),
            small.width(),
            small.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| MediaError::Internal(e.to_string()))?;
    Ok(out)
}

/// Which stored image a thumbnail is made from.
#[derive(Clone, Copy, Debug)]
pub enum MediaRef {
    Upload(UploadId),
    Result(ResultId),
}

/// Re-encodes decoded pixels as a plain PNG: no metadata of the original survives.
pub(crate) fn encode_png(image: &RgbImage) -> Result<Vec<u8>, MediaError> {
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| MediaError::Internal(e.to_string()))?;
    Ok(out.into_inner())
}

/// Whether results may be saved past their 24-hour rule, and for how long (C8).
#[derive(Clone, Copy, Debug, Default)]
pub struct SaveRule {
    pub allowed: bool,
    /// Counted from saving; `None`: until the owner deletes it.
    pub ttl: Option<Duration>,
}

#[derive(Clone)]
pub struct Media {
    store: Arc<dyn Store>,
    blobs: Blobs,
    limits: Limits,
    upload_ttl: Duration,
    save: SaveRule,
    /// Room for decodes, shared by every photo this process turns into pixels.
    budget: Arc<DecodeBudget>,
}

impl Media {
    pub fn new(store: Arc<dyn Store>, blobs: Blobs, limits: Limits, upload_ttl: Duration) -> Media {
        let budget = Arc::new(DecodeBudget::from_config(
            0,
            Duration::from_secs(10),
            limits.max_pixels,
            limits.max_bytes,
        ));
        Media {
            store,
            blobs,
            limits,
            upload_ttl,
            save: SaveRule::default(),
            budget,
        }
    }

    /// The same service decoding within `budget` (the process's one budget).
    #[must_use]
    pub fn with_budget(mut self, budget: Arc<DecodeBudget>) -> Media {
        self.budget = budget;
        self
    }

    /// Room in the decode budget for decoding `bytes`, weighed from its header; a file the
    /// header already refuses is refused here, before any wait.
    async fn room_for(
        &self,
        bytes: &[u8],
        limits: &Limits,
    ) -> Result<budget::DecodePermit, MediaError> {
        let header = atelier_engine::probe(bytes, limits).map_err(MediaError::Decode)?;
        let cost = DecodeBudget::cost(&header, bytes.len());
        self.budget
            .acquire(cost)
            .await
            .map_err(|busy| MediaError::Busy {
                retry_after: busy.retry_after,
            })
    }

    /// The same service with results savable under `rule`.
    #[must_use]
    pub fn with_save_rule(mut self, rule: SaveRule) -> Media {
        self.save = rule;
        self
    }

    pub fn save_rule(&self) -> SaveRule {
        self.save
    }

    /// Keeps one of the caller's results past its 24-hour rule: until `saved_ttl` after now
    /// (never earlier than it would have gone unsaved), or until deleted. Saving again changes
    /// nothing. Uploads are never saved: only the portrait is kept.
    pub async fn save_result(
        &self,
        scope: UserScope,
        id: ResultId,
    ) -> Result<ResultRecord, MediaError> {
        if !self.save.allowed {
            return Err(MediaError::SavingDisabled);
        }
        let current = self.result(scope, id).await?;
        let now = Timestamp::now();
        let until = self
            .save
            .ttl
            .map(|ttl| now.plus(ttl).max(current.expires_at));
        self.store
            .save_result(scope, id, now, until)
            .await?
            .ok_or(MediaError::NotFound)
    }

    /// Back to the 24-hour rule counted from the result's creation; one already past it goes
    /// at the next sweep. Allowed even when saving is off, so nothing is kept against a wish.
    pub async fn unsave_result(
        &self,
        scope: UserScope,
        id: ResultId,
    ) -> Result<ResultRecord, MediaError> {
        self.store
            .unsave_result(scope, id)
            .await?
            .ok_or(MediaError::NotFound)
    }

    pub fn max_bytes(&self) -> usize {
        self.limits.max_bytes
    }

    /// What every photo goes through, upload or live check: refused while the caller has
    /// paused processing or over the byte cap, weighed by its header and given room in the
    /// decode budget, then decoded off the runtime (sniffing, caps, orientation, sRGB)
    /// within the time limit and its faces counted; `finish` runs on the same blocking
    /// thread with the decoded photo and the face count. The room is given back with the
    /// returned permit (the blocking thread keeps it should the time limit strike first).
    async fn decode_photo<T: Send + 'static>(
        &self,
        scope: UserScope,
        bytes: Vec<u8>,
        finish: impl FnOnce(atelier_engine::Decoded, usize) -> Result<T, MediaError> + Send + 'static,
    ) -> Result<(T, budget::DecodePermit), MediaError> {
        if self.store.privacy(scope).await?.processing_paused {
            return Err(MediaError::ProcessingPaused);
        }
        if bytes.len() > self.limits.max_bytes {
            return Err(MediaError::TooLarge {
                max: self.limits.max_bytes,
            });
        }
        let permit = self.room_for(&bytes, &self.limits).await?;
        let limits = self.limits.clone();
        let work = tokio::task::spawn_blocking(move || {
            let decoded = atelier_engine::decode(&bytes, &limits).map_err(MediaError::Decode)?;
            let faces = atelier_engine::detect_faces(&decoded.image).len();
            finish(decoded, faces).map(|done| (done, permit))
        });
        tokio::time::timeout(DECODE_TIME_LIMIT, work)
            .await
            .map_err(|_| MediaError::DecodeTimeout)?
            .map_err(|e| MediaError::Internal(e.to_string()))?
    }

    /// Decodes `bytes` off the runtime (sniffing, caps, orientation, sRGB), counts faces,
    /// re-encodes as PNG and stores it encrypted.
    pub async fn ingest_upload(
        &self,
        scope: UserScope,
        bytes: Vec<u8>,
    ) -> Result<Upload, MediaError> {
        // The permit stays held until the PNG is stored: it and its encrypted copy are part
        // of what this decode costs.
        let ((width, height, faces, png), _room) = self
            .decode_photo(scope, bytes, |decoded, faces| {
                let png = encode_png(&decoded.image)?;
                Ok((decoded.image.width(), decoded.image.height(), faces, png))
            })
            .await?;
        let now = Timestamp::now();
        let id = UploadId::new();
        let upload = Upload {
            id,
            user_id: scope.user_id(),
            blob_key: upload_key(scope.user_id(), id),
            width,
            height,
            faces: u32::try_from(faces).unwrap_or(u32::MAX),
            created_at: now,
            expires_at: now.plus(self.upload_ttl),
        };
        let wrapped = self.store.wrapped_key(scope.user_id()).await?;
        self.blobs
            .put(scope.user_id(), wrapped.as_deref(), &upload.blob_key, &png)
            .await?;
        if let Err(e) = self.store.insert_upload(scope, &upload).await {
            // Best effort: the orphan scan removes the blob if this fails too.
            let _ = self.blobs.delete(&upload.blob_key).await;
            return Err(e.into());
        }
        let user = scope.user_id();
        crate::analytics::record(self.store.as_ref(), user, UsageKind::Upload, None).await;
        Ok(upload)
    }

    pub async fn upload(&self, scope: UserScope, id: UploadId) -> Result<Upload, MediaError> {
        self.store
            .upload(scope, id)
            .await?
            .ok_or(MediaError::NotFound)
    }

    /// The decrypted PNG of an upload.
    pub async fn upload_bytes(
        &self,
        scope: UserScope,
        id: UploadId,
    ) -> Result<(Upload, Vec<u8>), MediaError> {
        let upload = self.upload(scope, id).await?;
        let wrapped = self.store.wrapped_key(scope.user_id()).await?;
        let bytes = self
            .blobs
            .get(scope.user_id(), wrapped.as_deref(), &upload.blob_key)
            .await?;
        Ok((upload, bytes))
    }

    /// Removes the blob, then the row.
    pub async fn delete_upload(&self, scope: UserScope, id: UploadId) -> Result<(), MediaError> {
        let upload = self.upload(scope, id).await?;
        self.blobs.delete(&upload.blob_key).await?;
        self.store.delete_upload(scope, id).await?;
        Ok(())
    }

    pub async fn result(&self, scope: UserScope, id: ResultId) -> Result<ResultRecord, MediaError> {
        self.store
            .result(scope, id)
            .await?
            .ok_or(MediaError::NotFound)
    }

    /// The decrypted image of a result (PNG).
    pub async fn result_bytes(
        &self,
        scope: UserScope,
        id: ResultId,
    ) -> Result<(ResultRecord, Vec<u8>), MediaError> {
        let result = self.result(scope, id).await?;
        let wrapped = self.store.wrapped_key(scope.user_id()).await?;
        let bytes = self
            .blobs
            .get(scope.user_id(), wrapped.as_deref(), &result.blob_key)
            .await?;
        Ok((result, bytes))
    }

    /// A JPEG of at most `max_edge` pixels a side of one of the caller's images, made on
    /// request from the decrypted blob and never stored.
    pub async fn thumbnail(
        &self,
        scope: UserScope,
        what: MediaRef,
        max_edge: u32,
    ) -> Result<Vec<u8>, MediaError> {
        let bytes = match what {
            MediaRef::Upload(id) => self.upload_bytes(scope, id).await?.1,
            MediaRef::Result(id) => self.result_bytes(scope, id).await?.1,
        };
        // Stored copies are the service's own PNGs, which may be larger than an upload may be.
        let limits = self.limits.for_own_files();
        let room = self.room_for(&bytes, &limits).await?;
        tokio::task::spawn_blocking(move || {
            let decoded = atelier_engine::decode(&bytes, &limits).map_err(MediaError::Decode)?;
            let thumbnail = encode_thumbnail(&decoded.image, max_edge);
            drop(room);
            thumbnail
        })
        .await
        .map_err(|e| MediaError::Internal(e.to_string()))?
    }

    pub async fn delete_result(&self, scope: UserScope, id: ResultId) -> Result<(), MediaError> {
        let result = self.result(scope, id).await?;
        self.blobs.delete(&result.blob_key).await?;
        self.store.delete_result(scope, id).await?;
        Ok(())
    }
}

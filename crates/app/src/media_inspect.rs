//! A look at a photo before anything is kept or spent (issue 8's live upload check): the
//! same safe decode as an upload (sniffing, byte and pixel caps, EXIF orientation, time
//! limit) and the same face count, off the async runtime. It stores nothing: no row, no
//! blob, no analytics event.

use atelier_engine::Limits;

use super::{DECODE_TIME_LIMIT, Media, MediaError};
use crate::domain::UserScope;

/// What the check learned about a photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inspection {
    pub width: u32,
    pub height: u32,
    pub faces: usize,
}

impl Media {
    /// Decodes `bytes` as an upload would and counts the faces, keeping nothing. Refused
    /// like an upload while the caller has paused processing of their data.
    pub async fn inspect(
        &self,
        scope: UserScope,
        bytes: Vec<u8>,
    ) -> Result<Inspection, MediaError> {
        if self.store.privacy(scope).await?.processing_paused {
            return Err(MediaError::ProcessingPaused);
        }
        if bytes.len() > self.limits.max_bytes {
            return Err(MediaError::TooLarge {
                max: self.limits.max_bytes,
            });
        }
        let limits = self.limits.clone();
        let work = tokio::task::spawn_blocking(move || inspect_blocking(&bytes, &limits));
        tokio::time::timeout(DECODE_TIME_LIMIT, work)
            .await
            .map_err(|_| MediaError::DecodeTimeout)?
            .map_err(|e| MediaError::Internal(e.to_string()))?
    }

    /// The caps a photo must fit, for the page to state them.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

fn inspect_blocking(bytes: &[u8], limits: &Limits) -> Result<Inspection, MediaError> {
    let decoded = atelier_engine::decode(bytes, limits).map_err(MediaError::Decode)?;
    Ok(Inspection {
        width: decoded.image.width(),
        height: decoded.image.height(),
        faces: atelier_engine::detect_faces(&decoded.image).len(),
    })
}

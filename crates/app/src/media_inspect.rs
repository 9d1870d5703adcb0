//! A look at a photo before anything is kept or spent (the live upload check): the same safe decode
//! as an upload (sniffing, byte and pixel caps, EXIF orientation, time limit, room in the decode
//! budget) and the same face count, off the async runtime. It stores nothing: no row, no blob, no
//! analytics event.

use atelier_engine::Limits;

use super::{Media, MediaError};
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
        let (inspection, _room) = self
            .decode_photo(scope, bytes, |decoded, faces| {
                Ok(Inspection {
                    width: decoded.image.width(),
                    height: decoded.image.height(),
                    faces,
                })
            })
            .await?;
        Ok(inspection)
    }

    /// The caps a photo must fit, for the page to state them.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

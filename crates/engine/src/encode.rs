//! Encoding with provenance. Placeholder: the real implementation replaces this file.
use crate::{EncodeError, Format, RgbImage, Style};

#[derive(Clone, Debug)]
pub struct EncodeOptions { pub format: Format, pub quality: u8, pub style: Style }

impl EncodeOptions {
    pub fn new(format: Format, style: Style) -> Self { EncodeOptions { format, quality: 90, style } }
}

pub fn encode(image: &RgbImage, _opts: &EncodeOptions) -> Result<Vec<u8>, EncodeError> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).map_err(|_| EncodeError::EmptyImage)?;
    Ok(out.into_inner())
}

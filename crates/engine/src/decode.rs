//! Safe decoding (C9). Placeholder: the real implementation replaces this file.
use crate::{DecodeError, RgbImage};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format { Png, Jpeg, WebP }

#[derive(Clone, Debug)]
pub struct Limits { pub max_bytes: usize, pub max_pixels: u64, pub max_alloc: u64 }

impl Default for Limits {
    fn default() -> Self { Limits { max_bytes: 20_000_000, max_pixels: 40_000_000, max_alloc: 512 << 20 } }
}

#[derive(Debug)]
pub struct Decoded { pub image: RgbImage, pub format: Format }

pub fn sniff(_bytes: &[u8]) -> Option<Format> { None }

pub fn decode(bytes: &[u8], _limits: &Limits) -> Result<Decoded, DecodeError> {
    let image = image::load_from_memory(bytes).map_err(|_| DecodeError::Empty)?.to_rgb8();
    Ok(Decoded { image, format: Format::Png })
}

//! Error types of the engine: one per direction, each variant with a stable kebab-case code.
//!
//! `Display` is one line a user can act on; details meant for logs (the decoder's own words)
//! live in fields and show only through `Debug`, never in the message sent to a user.

use crate::Format;

/// Why bytes could not be turned into an image. Every variant is the caller's input at fault.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Zero bytes were handed in.
    #[error("the file is empty")]
    Empty,
    /// More bytes than `Limits::max_bytes`; refused before looking inside.
    #[error("the file is {}; the limit is {}", bytes_text(*.bytes), bytes_text(*.max))]
    TooLarge { bytes: usize, max: usize },
    /// The header announces more pixels than `Limits::max_pixels`; refused before decoding.
    #[error("the image is {width}×{height} pixels; the limit is {}", pixels_text(*.max))]
    TooManyPixels { width: u32, height: u32, max: u64 },
    /// The header announces a width or height of zero.
    #[error("the image has no pixels (zero width or height)")]
    NoPixels,
    /// A format we recognise but do not accept (GIF, BMP, HEIC, …).
    #[error("{name} images are not accepted; use JPEG, PNG or WebP")]
    UnsupportedFormat { name: &'static str },
    /// Bytes that do not start like any image format we know.
    #[error("this file is not an image we accept; use JPEG, PNG or WebP")]
    UnknownFormat,
    /// The file starts like an image but its data is damaged or cut short.
    #[error("the {format} file is damaged or incomplete")]
    Corrupt { format: Format, detail: String },
    /// A valid file using a variant of its format the decoder does not implement.
    #[error("this {format} file uses a feature that cannot be decoded; re-save it and try again")]
    UnsupportedFeature { format: Format, detail: String },
    /// Decoding would need more memory than `Limits::max_alloc` allows.
    #[error("the image needs more memory to decode than is allowed")]
    DecoderLimit { format: Format, detail: String },
}

impl DecodeError {
    /// A stable kebab-case code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Empty => "empty-file",
            DecodeError::TooLarge { .. } => "too-large",
            DecodeError::TooManyPixels { .. } => "too-many-pixels",
            DecodeError::NoPixels => "no-pixels",
            DecodeError::UnsupportedFormat { .. } | DecodeError::UnknownFormat => {
                "unsupported-format"
            }
            DecodeError::Corrupt { .. } => "corrupt-image",
            DecodeError::UnsupportedFeature { .. } => "unsupported-feature",
            DecodeError::DecoderLimit { .. } => "decoder-limit",
        }
    }
}

/// Why an image could not be encoded. These are programming or capacity errors, not input.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The image has zero width or height: no format can hold it.
    #[error("the image has no pixels")]
    EmptyImage,
    /// The image is larger than the output format can store.
    #[error("{format} images can be at most {max} pixels on a side; this one is {width}×{height}")]
    TooLargeForFormat {
        format: Format,
        width: u32,
        height: u32,
        max: u32,
    },
    /// The encoder itself failed; `detail` is its message, for logs.
    #[error("the {format} encoder failed")]
    Encoder { format: Format, detail: String },
}

impl EncodeError {
    /// A stable kebab-case code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            EncodeError::EmptyImage => "empty-image",
            EncodeError::TooLargeForFormat { .. } => "too-large-for-format",
            EncodeError::Encoder { .. } => "encoder-failed",
        }
    }
}

/// "20 MB", "512 kB", "900 bytes": sizes as people read them (decimal units).
fn bytes_text(bytes: usize) -> String {
    match bytes as u64 {
        n if n >= 1_000_000 => format!("{} MB", one_decimal(n, 1_000_000)),
        n if n >= 1_000 => format!("{} kB", one_decimal(n, 1_000)),
        n => format!("{n} bytes"),
    }
}

/// "40 megapixels" or "9999 pixels".
fn pixels_text(pixels: u64) -> String {
    if pixels >= 1_000_000 {
        format!("{} megapixels", one_decimal(pixels, 1_000_000))
    } else {
        format!("{pixels} pixels")
    }
}

/// `n / unit` rounded to one decimal, without a trailing ".0".
fn one_decimal(n: u64, unit: u64) -> String {
    let tenths = (n.saturating_mul(10) + unit / 2) / unit;
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

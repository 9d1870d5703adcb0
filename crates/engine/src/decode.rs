//! Safe decoding of untrusted uploads (C9): bytes in, 8-bit sRGB pixels out.
//!
//! This module owns format sniffing, the byte/pixel/memory caps, the refusal of files cut
//! short (`complete`), EXIF orientation and the conversion to sRGB without alpha. It keeps
//! nothing of the input but pixels: EXIF, GPS, XMP and ICC data are read only to orient and
//! colour-correct, then dropped with the decoder.
//! It must never panic, hang or allocate beyond `Limits` on any input.

use std::fmt;
use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};

use crate::{DecodeError, RgbImage};

mod color;
mod complete;

/// An image format the engine reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Png,
    Jpeg,
    WebP,
}

impl Format {
    /// Every format, in the order the UI offers them.
    pub const ALL: [Format; 3] = [Format::Png, Format::Jpeg, Format::WebP];

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
            Format::WebP => "webp",
        }
    }

    /// The media type for `Content-Type` headers.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::WebP => "image/webp",
        }
    }

    /// Parses a file extension or format name (`png`, `jpg`, `jpeg`, `webp`), any case.
    /// For choosing an output format only: input is always sniffed, never named.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.trim_start_matches('.').to_ascii_lowercase().as_str() {
            "png" => Some(Format::Png),
            "jpg" | "jpeg" => Some(Format::Jpeg),
            "webp" => Some(Format::WebP),
            _ => None,
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Png => ImageFormat::Png,
            Format::Jpeg => ImageFormat::Jpeg,
            Format::WebP => ImageFormat::WebP,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
            Format::WebP => "WebP",
        })
    }
}

/// Caps applied to every decode, all checked before the pixel buffer is allocated.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest accepted file, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width × height, read from the header.
    pub max_pixels: u64,
    /// Most memory the decoder may allocate, in bytes (pixel buffer and decoder state).
    pub max_alloc: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20_000_000,
            max_pixels: 40_000_000,
            // 40 MP of 16-bit RGBA is 320 MB; leave room for the decoder's own buffers.
            max_alloc: 512 << 20,
        }
    }
}

impl Limits {
    /// The caps for a file the service encoded itself (a stored upload or result): the same
    /// pixel and memory caps, and a byte cap raised to what a lossless copy of the largest
    /// accepted picture can take (3 bytes a pixel, plus PNG's per-row filter bytes and
    /// block headers, with room to spare). A 2 MB JPEG inside the upload caps can become a
    /// PNG far above them once re-encoded; it must still be read back.
    pub fn for_own_files(&self) -> Limits {
        let lossless = self
            .max_pixels
            .saturating_mul(3)
            .saturating_add(self.max_pixels / 32)
            .saturating_add(1 << 20);
        Limits {
            max_bytes: self
                .max_bytes
                .max(usize::try_from(lossless).unwrap_or(usize::MAX)),
            ..self.clone()
        }
    }
}

/// A decoded upload: upright, 8-bit sRGB, no alpha, no metadata.
pub struct Decoded {
    /// The pixels, rotated upright per EXIF.
    pub image: RgbImage,
    /// The format sniffed from the bytes.
    pub format: Format,
    /// Width and height as stored in the file, before EXIF orientation.
    pub stored_size: (u32, u32),
    /// Whether an EXIF orientation other than "upright" was applied.
    pub reoriented: bool,
    /// Whether an embedded ICC profile was used to convert the colours to sRGB.
    pub color_converted: bool,
}

impl fmt::Debug for Decoded {
    /// Shows the size, not megabytes of pixel values (what the derived `Debug` would print).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoded")
            .field(
                "image",
                &format_args!("{}x{}", self.image.width(), self.image.height()),
            )
            .field("format", &self.format)
            .field("stored_size", &self.stored_size)
            .field("reoriented", &self.reoriented)
            .field("color_converted", &self.color_converted)
            .finish()
    }
}

/// Names the format from the first bytes alone; `None` for anything but JPEG, PNG or WebP.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(Format::WebP)
    } else {
        None
    }
}

/// What a file's header says, read without decoding any pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    /// Width and height as stored, before EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// Bytes of the decoder's own pixel buffer (e.g. 16-bit RGBA PNG: 8 a pixel), before
    /// the conversion to 8-bit RGB.
    pub decoded_bytes: u64,
}

impl Header {
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// Reads only the header of an upload: its format, size and the decoder's buffer size,
/// refusing what [`decode`] would refuse before decoding (empty, over the byte or pixel
/// cap, unknown format, a header the decoder rejects). Cheap, so a server can weigh a
/// photo before it spends the memory to decode it.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Header, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let format = sniff(bytes).ok_or_else(|| match recognise_refused(bytes) {
        Some(name) => DecodeError::UnsupportedFormat { name },
        None => DecodeError::UnknownFormat,
    })?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(image_limits(limits));
    let decoder = reader
        .into_decoder()
        .map_err(|e| from_image_error(format, e))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(DecodeError::NoPixels);
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(DecodeError::TooManyPixels {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    Ok(Header {
        format,
        width,
        height,
        decoded_bytes: decoder.total_bytes(),
    })
}

/// Names formats people commonly try to upload, so the refusal can say what the file is.
fn recognise_refused(bytes: &[u8]) -> Option<&'static str> {
    let brand = bytes.get(4..12);
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("GIF")
    } else if bytes.starts_with(b"BM") && bytes.len() >= 26 {
        Some("BMP")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("TIFF")
    } else if let Some(b) = brand.filter(|b| b.starts_with(b"ftyp")) {
        match &b[4..8] {
            b"avif" | b"avis" => Some("AVIF"),
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" => Some("HEIC"),
            // Videos and other ISO media files: "not an image we accept" says it best.
            _ => None,
        }
    } else if bytes.starts_with(&[0xFF, 0x0A]) || bytes.starts_with(b"\0\0\0\x0CJXL \r\n\x87\n") {
        Some("JPEG XL")
    } else if bytes.starts_with(b"%PDF") {
        Some("PDF")
    } else if bytes.starts_with(b"8BPS") {
        Some("Photoshop")
    } else if bytes.starts_with(b"qoif") {
        Some("QOI")
    } else if bytes.starts_with(&[0, 0, 1, 0]) {
        Some("ICO")
    } else {
        let head = &bytes[..bytes.len().min(256)];
        let text = String::from_utf8_lossy(head).to_ascii_lowercase();
        text.contains("<svg").then_some("SVG")
    }
}

/// Decodes an upload within `limits`: sniff, check caps, orient, convert to sRGB RGB8.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let format = sniff(bytes).ok_or_else(|| match recognise_refused(bytes) {
        Some(name) => DecodeError::UnsupportedFormat { name },
        None => DecodeError::UnknownFormat,
    })?;

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(image_limits(limits));
    // Building the decoder reads only the header; its limits check refuses absurd edges.
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| from_image_error(format, e))?;

    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(DecodeError::NoPixels);
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(DecodeError::TooManyPixels {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    if decoder.total_bytes() > limits.max_alloc {
        return Err(DecodeError::DecoderLimit {
            format,
            detail: format!("{} bytes of pixels", decoder.total_bytes()),
        });
    }

    // A file cut short would decode into a partly grey picture; refuse it before decoding.
    let whole = match format {
        Format::Jpeg => complete::jpeg(bytes),
        Format::Png => complete::png(bytes),
        Format::WebP => complete::webp(bytes),
    };
    whole.map_err(|detail| DecodeError::Corrupt { format, detail })?;

    // Broken EXIF or ICC data must not cost the user their upload: fall back to defaults.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();

    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| from_image_error(format, e))?;
    let reoriented = orientation != image::metadata::Orientation::NoTransforms;
    image.apply_orientation(orientation);

    let (image, color_converted) = color::into_srgb_rgb8(image, icc.as_deref());
    Ok(Decoded {
        image,
        format,
        stored_size: (width, height),
        reoriented,
        color_converted,
    })
}

fn image_limits(limits: &Limits) -> image::Limits {
    // No single edge can exceed the pixel budget (a 1-pixel-high strip is the extreme case).
    let max_edge = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
    let mut out = image::Limits::default();
    out.max_image_width = Some(max_edge);
    out.max_image_height = Some(max_edge);
    out.max_alloc = Some(limits.max_alloc);
    out
}

fn from_image_error(format: Format, error: ImageError) -> DecodeError {
    let detail = error.to_string();
    match error {
        ImageError::Limits(_) => DecodeError::DecoderLimit { format, detail },
        ImageError::Unsupported(_) => DecodeError::UnsupportedFeature { format, detail },
        // I/O errors on an in-memory cursor only mean "ran out of bytes": a truncated file.
        ImageError::Decoding(_)
        | ImageError::IoError(_)
        | ImageError::Parameter(_)
        | ImageError::Encoding(_) => DecodeError::Corrupt { format, detail },
    }
}

//! Encoding of finished images, each carrying the XMP provenance packet (`crate::xmp`).
//!
//! Only pixels and that packet go out: no EXIF, no ICC (pixels are sRGB, the web default),
//! no timestamps, so the same pixels and options always give the same bytes.
//! JPEG uses `jpeg-encoder` (several times faster than image's own) on strips in parallel
//! (`jpeg`), PNG image's encoder with
//! the packet spliced in as an `iTXt` chunk, WebP image-webp's lossless encoder, which writes
//! the extended (`VP8X`) container with an `XMP ` chunk itself.

use std::io::Cursor;

use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};

use crate::{EncodeError, Format, RgbImage, Style, xmp};

mod jpeg;

/// How to encode an output.
#[derive(Clone, Debug)]
pub struct EncodeOptions {
    pub format: Format,
    /// JPEG quality, 1–100 (other formats are lossless and ignore it).
    pub quality: u8,
    /// The style the image was rendered in, recorded in the provenance packet.
    pub style: Style,
    /// Recorded instead of `style`'s id when set: the service's model-backed styles (ONNX or
    /// remote generators) are not engine styles but their output is marked all the same.
    pub style_id: Option<String>,
}

impl EncodeOptions {
    /// Options for `format` at the default JPEG quality of 90.
    pub fn new(format: Format, style: Style) -> Self {
        EncodeOptions {
            format,
            quality: 90,
            style,
            style_id: None,
        }
    }

    /// Records `id` as the style in the provenance packet (see [`EncodeOptions::style_id`]).
    pub fn with_style_id(mut self, id: impl Into<String>) -> Self {
        self.style_id = Some(id.into());
        self
    }
}

/// JPEG stores each edge in 16 bits.
const JPEG_MAX_EDGE: u32 = u16::MAX as u32;
/// WebP (VP8L) stores each edge minus one in 14 bits.
const WEBP_MAX_EDGE: u32 = 1 << 14;

/// Encodes `image` as `opts.format` with the provenance packet embedded.
pub fn encode(image: &RgbImage, opts: &EncodeOptions) -> Result<Vec<u8>, EncodeError> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Err(EncodeError::EmptyImage);
    }
    let max = match opts.format {
        Format::Jpeg => JPEG_MAX_EDGE,
        Format::WebP => WEBP_MAX_EDGE,
        Format::Png => u32::MAX,
    };
    if width > max || height > max {
        return Err(EncodeError::TooLargeForFormat {
            format: opts.format,
            width,
            height,
            max,
        });
    }
    let packet = xmp::provenance_packet(opts.style_id.as_deref().unwrap_or(opts.style.id()));
    match opts.format {
        Format::Png => encode_png(image, &packet),
        Format::Jpeg => encode_jpeg(image, opts.quality, &packet),
        Format::WebP => encode_webp(image, &packet),
    }
}

fn encode_png(image: &RgbImage, packet: &str) -> Result<Vec<u8>, EncodeError> {
    let failed = |detail: String| EncodeError::Encoder {
        format: Format::Png,
        detail,
    };
    let mut png = Vec::new();
    // Fast deflate: outputs are photos-turned-paintings that compress poorly anyway, and the
    // time saved matters more than a few percent of size.
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| failed(e.to_string()))?;

    // The signature (8 bytes) is followed by IHDR (4 length + 4 type + 13 data + 4 CRC);
    // readers look for XMP before the image data, so the chunk goes right after IHDR.
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    if png.get(12..16) != Some(b"IHDR") || png.len() < AFTER_IHDR {
        return Err(failed("the PNG encoder did not start with IHDR".into()));
    }
    let chunk = png_chunk(b"iTXt", &itxt_xmp_payload(packet));
    png.splice(AFTER_IHDR..AFTER_IHDR, chunk);
    Ok(png)
}

/// The `iTXt` body that Adobe's XMP specification prescribes: keyword `XML:com.adobe.xmp`,
/// uncompressed, empty language and translated keyword.
fn itxt_xmp_payload(packet: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(packet.len() + 22);
    data.extend_from_slice(b"XML:com.adobe.xmp\0");
    data.extend_from_slice(&[0, 0]); // compression flag, compression method
    data.extend_from_slice(b"\0\0"); // language tag, translated keyword: both empty
    data.extend_from_slice(packet.as_bytes());
    data
}

/// A PNG chunk: big-endian length, type, data, CRC-32 of type and data.
fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = Vec::with_capacity(data.len() + 12);
    // Our payloads are a few kilobytes, far below PNG's 2^31 − 1 chunk limit.
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    chunk.extend_from_slice(&crc.finalize().to_be_bytes());
    chunk
}

fn encode_jpeg(image: &RgbImage, quality: u8, packet: &str) -> Result<Vec<u8>, EncodeError> {
    let mut app1 = Vec::with_capacity(packet.len() + 29);
    app1.extend_from_slice(b"http://ns.adobe.com/xap/1.0/\0");
    app1.extend_from_slice(packet.as_bytes());
    jpeg::encode(image, quality, app1)
}

fn encode_webp(image: &RgbImage, packet: &str) -> Result<Vec<u8>, EncodeError> {
    let mut webp = Cursor::new(Vec::new());
    let mut encoder = image_webp::WebPEncoder::new(&mut webp);
    encoder.set_xmp_metadata(packet.as_bytes().to_vec());
    encoder
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            image_webp::ColorType::Rgb8,
        )
        .map_err(|e| EncodeError::Encoder {
            format: Format::WebP,
            detail: e.to_string(),
        })?;
    Ok(webp.into_inner())
}

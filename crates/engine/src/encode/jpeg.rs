//! Baseline JPEG, encoded on all cores: the image is cut into horizontal strips whose height
//! is a whole number of MCU rows, each strip is encoded on its own with `jpeg-encoder`, and
//! the strips' entropy-coded data are joined with restart markers under one set of headers.
//!
//! This is exactly what a restart interval means to a decoder: at each RSTn marker the DC
//! predictions start again from zero, as they do at the start of each strip's own encoding,
//! and the MCUs are cut at the same places, so the result decodes to the same pixels as a
//! single-threaded encoding (a test holds it to that). The strip height depends only on the
//! image size, never on the thread count, so the bytes are deterministic.

use rayon::prelude::*;

use crate::{EncodeError, Format, RgbImage};

/// Height of an MCU with 4:2:0 sampling.
const MCU: u32 = 16;
/// MCU rows per strip when the restart interval allows (256 pixel rows: a few strips per
/// megapixel, enough to keep several cores busy, few enough that markers cost nothing).
const MCU_ROWS_PER_STRIP: u32 = 16;

const SOF0: u8 = 0xC0;
const DHT: u8 = 0xC4;
const SOS: u8 = 0xDA;
const DQT: u8 = 0xDB;
const DRI: u8 = 0xDD;
const EOI: u8 = 0xD9;
const RST0: u8 = 0xD0;

/// Encodes `image` at `quality` with `app1` (the XMP packet) as its APP1 segment.
pub fn encode(image: &RgbImage, quality: u8, app1: Vec<u8>) -> Result<Vec<u8>, EncodeError> {
    let (width, height) = image.dimensions();
    let mcus_per_row = width.div_ceil(MCU);
    // The restart interval (MCUs per strip) is a 16-bit field.
    let rows_per_strip = (u32::from(u16::MAX) / mcus_per_row).clamp(1, MCU_ROWS_PER_STRIP);
    let strip_height = rows_per_strip * MCU;
    let strips: Vec<(u32, u32)> = (0..height)
        .step_by(strip_height as usize)
        .map(|y| (y, strip_height.min(height - y)))
        .collect();
    if strips.len() == 1 {
        return encode_strip(image, 0, height, quality, Some(app1));
    }

    let mut app1 = Some(app1);
    let jobs: Vec<(u32, u32, Option<Vec<u8>>)> = strips
        .iter()
        .map(|&(y, h)| (y, h, if y == 0 { app1.take() } else { None }))
        .collect();
    let encoded: Vec<Vec<u8>> = jobs
        .into_par_iter()
        .map(|(y, h, app1)| encode_strip(image, y, h, quality, app1))
        .collect::<Result<_, _>>()?;

    let interval =
        u16::try_from(mcus_per_row * rows_per_strip).map_err(|_| malformed("restart interval"))?;
    join(&encoded, height, interval)
}

fn encode_strip(
    image: &RgbImage,
    y: u32,
    h: u32,
    quality: u8,
    app1: Option<Vec<u8>>,
) -> Result<Vec<u8>, EncodeError> {
    let failed = |e: jpeg_encoder::EncodingError| EncodeError::Encoder {
        format: Format::Jpeg,
        detail: e.to_string(),
    };
    let width = image.width();
    let row = width as usize * 3;
    let pixels = &image.as_raw()[y as usize * row..(y + h) as usize * row];
    let (Ok(w16), Ok(h16)) = (u16::try_from(width), u16::try_from(h)) else {
        return Err(malformed("strip size"));
    };
    let mut out = Vec::with_capacity(pixels.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
    // 4:2:0, as cameras and libjpeg do by default. Measured at 1 MP, q90: 172 kB and 7 ms
    // (single strip) against 225 kB and 11 ms for 4:4:4. Ink lines are dark (luma, kept at
    // full resolution); only colour edges lose a half pixel, which q90 hides. PNG and WebP
    // are lossless for anyone who wants every edge.
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    if let Some(app1) = app1 {
        encoder.add_app_segment(1, app1).map_err(failed)?;
    }
    encoder
        .encode(pixels, w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(failed)?;
    Ok(out)
}

/// One JPEG from strip encodings: the first strip's headers with the full height and a
/// restart interval, then every strip's scan data separated by RST0..RST7 in turn.
fn join(strips: &[Vec<u8>], height: u32, interval: u16) -> Result<Vec<u8>, EncodeError> {
    let first = strips.first().ok_or_else(|| malformed("no strips"))?;
    let (header_end, sos_end) = scan_start(first)?;
    let mut out =
        Vec::with_capacity(strips.iter().map(Vec::len).sum::<usize>() + strips.len() * 2 + 6);
    out.extend_from_slice(&first[..header_end]);
    set_frame_height(&mut out, height)?;
    out.extend_from_slice(&[0xFF, DRI, 0x00, 0x04]);
    out.extend_from_slice(&interval.to_be_bytes());
    out.extend_from_slice(&first[header_end..sos_end]);
    for (i, strip) in strips.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&[0xFF, RST0 + ((i - 1) % 8) as u8]);
        }
        out.extend_from_slice(scan_data(strip)?);
    }
    out.extend_from_slice(&[0xFF, EOI]);
    Ok(out)
}

/// Offsets of the SOS segment's start and end (where the entropy-coded data begins).
fn scan_start(jpeg: &[u8]) -> Result<(usize, usize), EncodeError> {
    let mut at = 2; // after SOI
    while at + 4 <= jpeg.len() {
        if jpeg[at] != 0xFF {
            return Err(malformed("segment marker"));
        }
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if marker == SOS {
            return Ok((at, at + 2 + len));
        }
        if !matches!(marker, 0xE0..=0xEF | SOF0 | DHT | DQT) {
            return Err(malformed("unexpected segment before the scan"));
        }
        at += 2 + len;
    }
    Err(malformed("no scan"))
}

/// A strip's entropy-coded data: from the end of its SOS segment to its EOI.
fn scan_data(jpeg: &[u8]) -> Result<&[u8], EncodeError> {
    let (_, start) = scan_start(jpeg)?;
    let end = jpeg
        .len()
        .checked_sub(2)
        .filter(|&e| e >= start && jpeg[e..] == [0xFF, EOI]);
    end.map(|e| &jpeg[start..e])
        .ok_or_else(|| malformed("scan without EOI"))
}

/// Rewrites the frame height in the SOF0 segment of `header`.
fn set_frame_height(header: &mut [u8], height: u32) -> Result<(), EncodeError> {
    let height = u16::try_from(height).map_err(|_| malformed("height"))?;
    let mut at = 2;
    while at + 9 <= header.len() {
        let len = usize::from(u16::from_be_bytes([header[at + 2], header[at + 3]]));
        if header[at + 1] == SOF0 {
            header[at + 5..at + 7].copy_from_slice(&height.to_be_bytes());
            return Ok(());
        }
        at += 2 + len;
    }
    Err(malformed("no SOF0"))
}

fn malformed(what: &str) -> EncodeError {
    EncodeError::Encoder {
        format: Format::Jpeg,
        detail: format!("joining strips: {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 7 + y * 3) as u8,
                ((x ^ y) * 5) as u8,
                (x * y / 31) as u8,
            ])
        })
    }

    fn decoded(jpeg: &[u8]) -> image::RgbImage {
        image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
            .expect("the joined JPEG decodes")
            .to_rgb8()
    }

    #[test]
    fn strips_joined_with_restart_markers_decode_like_one_encoding() {
        for (w, h) in [(300, 1000), (1024, 517), (33, 700)] {
            let img = photo(w, h);
            let joined = encode(&img, 90, b"test".to_vec()).expect("encodes");
            let whole = encode_strip(&img, 0, h, 90, Some(b"test".to_vec())).expect("encodes");
            assert!(
                joined.windows(2).any(|m| m == [0xFF, DRI]),
                "{w}x{h} has no DRI"
            );
            let (a, b) = (decoded(&joined), decoded(&whole));
            assert_eq!(a.dimensions(), (w, h));
            assert!(a == b, "{w}x{h}: the joined file decodes to other pixels");
        }
    }

    #[test]
    fn the_same_image_gives_the_same_bytes_on_any_thread_count() {
        let img = photo(640, 900);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a pool");
        let a = one
            .install(|| encode(&img, 85, Vec::new()))
            .expect("encodes");
        let b = encode(&img, 85, Vec::new()).expect("encodes");
        assert_eq!(a, b);
    }
}

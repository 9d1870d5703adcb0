//! Conversion of any decoded image to 8-bit sRGB without alpha.
//!
//! Embedded ICC profiles are honoured with moxcms so that Display P3 or Adobe RGB photos keep
//! their colours. A profile that cannot be parsed or used is ignored (the pixels are then taken
//! as sRGB, like browsers do): a bad profile must never cost the user their upload.

use image::{DynamicImage, RgbImage, RgbaImage};
use moxcms::{ColorProfile, DataColorSpace, Layout, ProfileText, TransformOptions};
use rayon::prelude::*;

/// Rows transformed per parallel task: large enough to amortise, small enough to share.
const ROWS_PER_TASK: usize = 64;

/// Turns `image` into sRGB RGB8, compositing any alpha over white.
/// Returns whether an ICC conversion was applied.
pub(super) fn into_srgb_rgb8(image: DynamicImage, icc: Option<&[u8]>) -> (RgbImage, bool) {
    let Some(profile) = icc.and_then(usable_profile) else {
        return (flatten(image), false);
    };
    match convert(image, &profile) {
        Ok(converted) => (flatten(converted), true),
        Err(unconverted) => (flatten(unconverted), false),
    }
}

/// Parses a profile worth applying: `None` for garbage, for sRGB itself (a costly no-op)
/// and for colour spaces we cannot map from (CMYK: the JPEG decoder already made it RGB).
fn usable_profile(icc: &[u8]) -> Option<ColorProfile> {
    let profile = ColorProfile::new_from_slice(icc).ok()?;
    if !matches!(
        profile.color_space,
        DataColorSpace::Rgb | DataColorSpace::Gray
    ) {
        return None;
    }
    let says_srgb = profile.description.as_ref().is_some_and(|text| {
        let name = match text {
            ProfileText::PlainString(s) => s.clone(),
            ProfileText::Localizable(strings) => {
                strings.first().map(|s| s.value.clone()).unwrap_or_default()
            }
            ProfileText::Description(d) => d.ascii_string.clone(),
        };
        name.to_ascii_lowercase().contains("srgb")
    });
    (!says_srgb).then_some(profile)
}

/// Applies `profile` → sRGB. On any failure hands the image back untouched (as 8-bit).
fn convert(image: DynamicImage, profile: &ColorProfile) -> Result<DynamicImage, DynamicImage> {
    let (width, height) = (image.width(), image.height());
    let has_alpha = image.color().has_alpha();
    // A grey profile only describes grey pixels; an RGB profile also fits grey pixels once
    // they are expanded to RGB.
    let gray_source = profile.color_space == DataColorSpace::Gray;
    if gray_source && image.color().has_color() {
        return Err(image);
    }
    let (src_layout, dst_layout) = match (gray_source, has_alpha) {
        (true, false) => (Layout::Gray, Layout::Rgb),
        (true, true) => (Layout::GrayAlpha, Layout::Rgba),
        (false, false) => (Layout::Rgb, Layout::Rgb),
        (false, true) => (Layout::Rgba, Layout::Rgba),
    };
    let srgb = ColorProfile::new_srgb();
    let Ok(transform) =
        profile.create_transform_8bit(src_layout, &srgb, dst_layout, TransformOptions::default())
    else {
        return Err(image);
    };

    let src: Vec<u8> = match src_layout {
        Layout::Gray => image.into_luma8().into_raw(),
        Layout::GrayAlpha => image.into_luma_alpha8().into_raw(),
        Layout::Rgba => image.into_rgba8().into_raw(),
        _ => image.into_rgb8().into_raw(),
    };
    let src_row = width as usize * channels(src_layout);
    let dst_row = width as usize * channels(dst_layout);
    let mut dst = vec![0u8; dst_row * height as usize];
    let transformed = src
        .par_chunks(src_row * ROWS_PER_TASK)
        .zip(dst.par_chunks_mut(dst_row * ROWS_PER_TASK))
        .try_for_each(|(s, d)| transform.transform(s, d));

    let rebuilt = match (transformed, dst_layout) {
        (Ok(()), Layout::Rgba) => RgbaImage::from_raw(width, height, dst).map(DynamicImage::from),
        (Ok(()), _) => RgbImage::from_raw(width, height, dst).map(DynamicImage::from),
        (Err(_), _) => None,
    };
    rebuilt.ok_or_else(|| restore(src, src_layout, width, height))
}

/// Rebuilds the unconverted image from its 8-bit buffer after a failed transform.
fn restore(raw: Vec<u8>, layout: Layout, width: u32, height: u32) -> DynamicImage {
    let rebuilt = match layout {
        Layout::Gray => image::GrayImage::from_raw(width, height, raw).map(DynamicImage::from),
        Layout::GrayAlpha => {
            image::GrayAlphaImage::from_raw(width, height, raw).map(DynamicImage::from)
        }
        Layout::Rgba => RgbaImage::from_raw(width, height, raw).map(DynamicImage::from),
        _ => RgbImage::from_raw(width, height, raw).map(DynamicImage::from),
    };
    // The buffer came from an image of exactly this size, so `from_raw` cannot fail; a blank
    // image of the right size is still a safe answer if it somehow did.
    rebuilt.unwrap_or_else(|| DynamicImage::new_rgb8(width, height))
}

fn channels(layout: Layout) -> usize {
    match layout {
        Layout::Gray => 1,
        Layout::GrayAlpha => 2,
        Layout::Rgba => 4,
        _ => 3,
    }
}

/// Drops bit depth and alpha: 16-bit and float become 8-bit, grey becomes RGB and
/// transparent pixels are composited over white (what a viewer shows on a white page).
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    let mut out = RgbImage::new(width, height);
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let alpha = u32::from(src[3]);
        for c in 0..3 {
            let over_white = u32::from(src[c]) * alpha + 255 * (255 - alpha);
            dst[c] = ((over_white + 127) / 255) as u8;
        }
    }
    out
}

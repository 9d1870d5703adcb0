//! Size and framing: downscaling to a working size and the portrait crop around a face.
//!
//! Resampling uses fast_image_resize (SIMD Lanczos3), applied to the sRGB-encoded values as
//! most tools do; the styles that follow are far coarser than that difference.
//! These functions never upscale and never panic, whatever sizes they are given.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::{FaceBox, RgbImage};

/// Portrait crop aspect, width over height (4:5, the usual portrait print and feed format).
const CROP_ASPECT: f64 = 4.0 / 5.0;
/// Share of the crop's height the face box takes.
const FACE_SHARE: f64 = 0.45;
/// Share of the crop's height above the face box (hair and headroom); the rest of the
/// non-face height (0.25) goes below the chin.
const HEADROOM_SHARE: f64 = 0.30;

/// Downscales `image` so its longer edge is at most `max_edge` (at least 1), keeping the
/// aspect ratio. Images already small enough come back unchanged (as a copy).
pub fn fit_max_edge(image: &RgbImage, max_edge: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    let Some((new_width, new_height)) = fitted_size(width, height, max_edge) else {
        return image.clone();
    };
    resize_u8(image.as_raw(), (width, height), (new_width, new_height), 3)
        .and_then(|raw| RgbImage::from_raw(new_width, new_height, raw))
        // fast_image_resize only fails on mismatched buffers, which we never build; keep a
        // correct (if slower) answer rather than a panic should that ever change.
        .unwrap_or_else(|| {
            image::imageops::resize(
                image,
                new_width,
                new_height,
                image::imageops::FilterType::Triangle,
            )
        })
}

/// The downscaled size, or `None` when no downscaling is needed (or possible).
fn fitted_size(width: u32, height: u32, max_edge: u32) -> Option<(u32, u32)> {
    let max_edge = max_edge.max(1);
    let longer = width.max(height);
    if longer <= max_edge || width == 0 || height == 0 {
        return None;
    }
    let scale = f64::from(max_edge) / f64::from(longer);
    let fit = |edge: u32| ((f64::from(edge) * scale).round() as u32).clamp(1, max_edge);
    Some((fit(width), fit(height)))
}

fn resize_u8(
    raw: &[u8],
    (width, height): (u32, u32),
    (new_width, new_height): (u32, u32),
    channels: usize,
) -> Option<Vec<u8>> {
    let pixel_type = if channels == 1 {
        PixelType::U8
    } else {
        PixelType::U8x3
    };
    let src = ImageRef::new(width, height, raw, pixel_type).ok()?;
    let mut dst = Image::new(new_width, new_height, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new().resize(&src, &mut dst, &options).ok()?;
    Some(dst.into_vec())
}

/// A 4:5 portrait crop around `face`: the face takes about 45% of the height, with a little
/// more room above it (hair) than below (chin and neck). The crop shrinks to fit inside the
/// image and slides to stay within it, so it may be off-centre near the image's edges.
pub fn crop_to_face(image: &RgbImage, face: &FaceBox) -> RgbImage {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return image.clone();
    }
    let (img_w, img_h) = (f64::from(width), f64::from(height));

    let face_h = f64::from(face.height.max(1));
    let mut crop_h = face_h / FACE_SHARE;
    let mut crop_w = crop_h * CROP_ASPECT;
    let fit = (img_w / crop_w).min(img_h / crop_h).min(1.0);
    crop_w *= fit;
    crop_h *= fit;

    let centre_x = f64::from(face.x) + f64::from(face.width) / 2.0;
    let face_top = f64::from(face.y) + (face_h - crop_h * FACE_SHARE) / 2.0;
    let left = centre_x - crop_w / 2.0;
    let top = face_top - crop_h * HEADROOM_SHARE;

    let crop_w = (crop_w.round() as u32).clamp(1, width);
    let crop_h = (crop_h.round() as u32).clamp(1, height);
    let left = (left.round().max(0.0) as u32).min(width - crop_w);
    let top = (top.round().max(0.0) as u32).min(height - crop_h);
    image::imageops::crop_imm(image, left, top, crop_w, crop_h).to_image()
}

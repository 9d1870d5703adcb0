//! The person mask (C2): mediapipe's selfie segmentation (general model) run by `nn`.
//!
//! As mediapipe does: the whole photo squeezed into 256×256 (aspect not kept; the network was
//! trained that way), values in [0, 1]; the network's output is already a probability; it is
//! stretched back to the photo's size with bilinear interpolation (OpenCV's `resize`
//! convention, pixel centres at half-integers), which undoes the squeeze.

use crate::RgbImage;
use crate::nn::{Affine, Border, Net, warp_input};
use crate::portrait::Mask;

/// The probability that each pixel belongs to a person, at the photo's size; `None` when the
/// network could not run (a build defect) or the photo is empty.
pub(crate) fn person_mask(image: &RgbImage) -> Option<Mask> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return None;
    }
    let size = Net::Segmentation.input_size();
    let map = Affine {
        origin: [0.0, 0.0],
        du: [width as f32 / size as f32, 0.0],
        dv: [0.0, height as f32 / size as f32],
    };
    let input = warp_input(image, Net::Segmentation, map, Border::Zero, (0.0, 1.0));
    let outputs = Net::Segmentation.run(&input).ok()?;
    let small = outputs.into_iter().next()?;
    if small.len() != size * size {
        return None;
    }
    Some(upsample(&small, size, width, height))
}

/// Bilinear resize of a `size`×`size` plane to `width`×`height`, values clamped to 0..1.
fn upsample(small: &[f32], size: usize, width: u32, height: u32) -> Mask {
    let axis = |n: u32| -> Vec<(usize, usize, f32)> {
        let scale = size as f32 / n as f32;
        (0..n)
            .map(|i| {
                let s = ((i as f32 + 0.5) * scale - 0.5).clamp(0.0, (size - 1) as f32);
                let i0 = s.floor() as usize;
                (i0, (i0 + 1).min(size - 1), s - i0 as f32)
            })
            .collect()
    };
    let (xs, ys) = (axis(width), axis(height));
    let mut data = Vec::with_capacity(width as usize * height as usize);
    for &(y0, y1, fy) in &ys {
        let (top, bottom) = (&small[y0 * size..][..size], &small[y1 * size..][..size]);
        for &(x0, x1, fx) in &xs {
            let t = top[x0] + (top[x1] - top[x0]) * fx;
            let b = bottom[x0] + (bottom[x1] - bottom[x0]) * fx;
            data.push((t + (b - t) * fy).clamp(0.0, 1.0));
        }
    }
    Mask {
        width,
        height,
        data,
    }
}

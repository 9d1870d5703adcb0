//! `light-color`: a soft watercolor wash after Bousseau et al. 2006, "Interactive watercolor
//! rendering with temporal coherence and abstraction".
//!
//! The photo is abstracted with the domain transform at half resolution (washes do not carry
//! fine detail), lightened into a washed-out palette, then the pigment density model
//! `C′ = C − (C − C²)(d − 1)` varies the darkness of each wash with low-frequency turbulence,
//! paper grain and edge darkening (pigment pooling where washes meet). A faint pencil
//! under-drawing keeps the features of the face readable.

use crate::RgbImage;
use crate::filter::domain::domain_transform;
use crate::filter::noise::{fbm, paper, seed32, value_noise};
use crate::raster::{Raster, downsample2, from_rgb8, gaussian_blur, luma, smoothstep};
use crate::style::{Params, feature_scale};

pub fn render(image: &RgbImage, params: &Params) -> Raster {
    let s = feature_scale(image);
    let strength = params.intensity();
    let full = from_rgb8(image);
    let (w, h) = (full.w, full.h);

    let mut wash = downsample2(&full);
    let guide = wash.clone();
    domain_transform(&mut wash, &guide, 30.0 * s, 0.45, 3);
    let edges = edge_strength(&luma(&wash));

    // Washes are laid by hand: their borders wander a little from the photo's edges.
    let wobble = (2.5 + 2.0 * strength) * s.max(0.5);
    let warp_x = value_noise(w, h, 40.0 * s, seed32(params.seed, 33));
    let warp_y = value_noise(w, h, 40.0 * s, seed32(params.seed, 34));
    let turbulence = fbm(w, h, 90.0 * s, 3, seed32(params.seed, 31));
    let paper = paper(w, h, 0.22, seed32(params.seed, 32));
    let gray = luma(&full);
    let sketch = gaussian_blur(&gray, 0.9 * s.max(0.7));
    let sketch_wide = gaussian_blur(&gray, 0.9 * s.max(0.7) * 1.6);

    let (sx, sy) = (wash.w as f32 / w as f32, wash.h as f32 / h as f32);
    let lighten = 0.28 + 0.14 * strength;
    Raster::from_rows(w, h, 3, |y, out| {
        for x in 0..w {
            let i = y * w + x;
            let hx = (x as f32 + 0.5 + (warp_x.data[i] - 0.5) * wobble) * sx - 0.5;
            let hy = (y as f32 + 0.5 + (warp_y.data[i] - 0.5) * wobble) * sy - 0.5;
            // Density: >1 darkens, <1 lightens. Turbulence makes uneven washes, paper grain
            // makes pigment settle in the tooth, edges collect pigment.
            let d = 1.0
                + (0.5 + 0.4 * strength) * (turbulence.data[i] - 0.5)
                + 1.6 * (1.0 - paper.data[i]) * (0.5 + strength)
                + (0.9 + 0.6 * strength) * edges.sample(hx, hy, 0);
            let line = (sketch_wide.data[i] - sketch.data[i]).max(0.0);
            let pencil = 1.0 - smoothstep(0.015, 0.09, line) * (0.28 + 0.15 * strength);
            for ch in 0..3 {
                let c = wash.sample(hx, hy, ch);
                let c = c + (1.0 - c) * lighten;
                let c = c - (c - c * c) * (d - 1.0);
                out[x * 3 + ch] = (c * pencil * (0.94 + 0.06 * paper.data[i])).clamp(0.0, 1.0);
            }
        }
    })
}

/// Gradient magnitude of the abstracted luma, soft-thresholded to 0..1.
fn edge_strength(l: &Raster) -> Raster {
    let (w, h) = (l.w, l.h);
    Raster::from_rows(w, h, 1, |y, out| {
        let row = l.row(y);
        let up = l.row(y.saturating_sub(1));
        let down = l.row((y + 1).min(h - 1));
        for x in 0..w {
            let gx = row[(x + 1).min(w - 1)] - row[x.saturating_sub(1)];
            let gy = down[x] - up[x];
            out[x] = smoothstep(0.015, 0.15, (gx * gx + gy * gy).sqrt());
        }
    })
}

//! `artistic`: painterly brush strokes with the anisotropic Kuwahara filter (Kyprianidis,
//! Kang & Döllner 2009), using the polynomial sector weights of Kyprianidis 2011 so that the
//! eight sector weights of a sample are a few multiplications instead of texture lookups.
//!
//! Each pixel's neighbourhood is an ellipse stretched along the local edge direction
//! (structure tensor, σt = 2; a = r·clamp((α+A)/α, .1, 2), b = r·clamp(α/(α+A), .1, 2), α = 1)
//! and cut into N = 8 overlapping sectors; the output blends the sector means, each weighted by
//! 1/(1 + ‖255·σ_k‖^q) with q = 8, so the flattest sector wins and edges stay sharp while
//! regions turn into strokes. The filter runs at half resolution on large photos (brush
//! strokes are wider than a pixel anyway); streaks of noise smeared along the flow and a
//! canvas grain give the strokes their texture at full size.

use crate::RgbImage;
use crate::filter::directional::smooth_along_orientation;
use crate::filter::flow::tangent_field;
use crate::filter::noise::{paper, seed32, white_plane};
use crate::raster::{Raster, downsample2, from_rgb8, luma, resize_bilinear};
use crate::style::{Params, feature_scale};

const SECTORS: usize = 8;
const SHARPNESS_Q: i32 = 8;
const ALPHA: f32 = 1.0;

/// One sample point of the unit-disk kernel with its non-zero sector weights.
struct Tap {
    u: f32,
    v: f32,
    sectors: Vec<(usize, f32)>,
}

pub fn render(image: &RgbImage, params: &Params) -> Raster {
    let strength = params.intensity();
    let full = from_rgb8(image);
    let (w, h) = (full.w, full.h);
    let half = w * h > 600_000;
    let work = if half { downsample2(&full) } else { full };

    let s = feature_scale(image) * if half { 0.5 } else { 1.0 };
    let radius = (5.0 * s * (0.7 + 0.6 * strength)).clamp(2.0, 8.0);
    let field = tangent_field(&luma(&work), 2.0);
    let taps = kernel_taps((radius.round() as usize).clamp(2, 5));
    let painted = kuwahara(&work, &field, &taps, radius);

    // Brush texture: white noise streaked along the strokes' direction.
    let streaks = smooth_along_orientation(
        &white_plane(work.w, work.h, seed32(params.seed, 41)),
        &field,
        1.25 * radius.max(2.0),
    );
    let painted = resize_bilinear(&painted, w, h);
    let streaks = resize_bilinear(&streaks, w, h);
    let canvas = paper(w, h, 0.07, seed32(params.seed, 42));
    let depth = 0.5 + 0.6 * strength;

    Raster::from_rows(w, h, 3, |y, out| {
        for x in 0..w {
            let i = y * w + x;
            let texture = 1.0 + depth * 1.6 * (streaks.data[i] - 0.5);
            let px = &painted.data[i * 3..i * 3 + 3];
            let mean = (px[0] + px[1] + px[2]) / 3.0;
            for ch in 0..3 {
                // A touch more saturation and contrast reads as oil paint rather than blur.
                let c = mean + (px[ch] - mean) * 1.18;
                let c = 0.5 + (c - 0.5) * 1.06;
                out[x * 3 + ch] = (c * texture * canvas.data[i]).clamp(0.0, 1.0);
            }
        }
    })
}

/// Sample points on a grid over the unit disk (`m` steps per radius) with their sector
/// weights: sector k's weight is `max(0, x_k + ζ − η·y_k²)²` in coordinates rotated by
/// `k·2π/N`, times a Gaussian fall-off, then normalised across sectors.
fn kernel_taps(m: usize) -> Vec<Tap> {
    let zeta = 2.0 / SECTORS as f32;
    let half_angle = std::f32::consts::PI / SECTORS as f32;
    let eta = (zeta + half_angle.cos()) / half_angle.sin().powi(2);
    let mut taps = Vec::new();
    let m = m as isize;
    for j in -m..=m {
        for i in -m..=m {
            let (u, v) = (i as f32 / m as f32, j as f32 / m as f32);
            let r2 = u * u + v * v;
            if r2 > 1.0 {
                continue;
            }
            let falloff = (-3.0 * r2).exp();
            let mut weights = [0f32; SECTORS];
            for (k, wk) in weights.iter_mut().enumerate() {
                let angle = k as f32 * 2.0 * std::f32::consts::PI / SECTORS as f32;
                let (sin, cos) = angle.sin_cos();
                let x = u * cos + v * sin;
                let y = -u * sin + v * cos;
                *wk = (x + zeta - eta * y * y).max(0.0).powi(2);
            }
            let total: f32 = weights.iter().sum();
            let sectors = if total > 0.0 {
                weights
                    .iter()
                    .enumerate()
                    .filter(|&(_, &wk)| wk > 1e-3 * total)
                    .map(|(k, &wk)| (k, falloff * wk / total))
                    .collect()
            } else {
                // The centre belongs to every sector equally.
                (0..SECTORS)
                    .map(|k| (k, falloff / SECTORS as f32))
                    .collect()
            };
            taps.push(Tap { u, v, sectors });
        }
    }
    taps
}

fn kuwahara(src: &Raster, field: &Raster, taps: &[Tap], radius: f32) -> Raster {
    let (w, h) = (src.w, src.h);
    let (wi, hi) = (w as isize, h as isize);
    Raster::from_rows(w, h, 3, |y, out| {
        let frow = field.row(y);
        for x in 0..w {
            let (tx, ty, anisotropy) = (frow[x * 3], frow[x * 3 + 1], frow[x * 3 + 2]);
            let a = radius * ((ALPHA + anisotropy) / ALPHA).clamp(0.1, 2.0);
            let b = radius * (ALPHA / (ALPHA + anisotropy)).clamp(0.1, 2.0);
            // Ellipse axes: `a` along the tangent, `b` across it.
            let (ax, ay, bx, by) = (a * tx, a * ty, -b * ty, b * tx);
            let mut acc = [[0f32; 7]; SECTORS];
            for tap in taps {
                let sx = (x as f32 + tap.u * ax + tap.v * bx + 0.5) as isize;
                let sy = (y as f32 + tap.u * ay + tap.v * by + 0.5) as isize;
                let (sx, sy) = (sx.clamp(0, wi - 1) as usize, sy.clamp(0, hi - 1) as usize);
                let p = (sy * w + sx) * 3;
                let (r, g, bl) = (src.data[p], src.data[p + 1], src.data[p + 2]);
                let (r2, g2, b2) = (r * r, g * g, bl * bl);
                for &(k, wt) in &tap.sectors {
                    let s = &mut acc[k];
                    s[0] += wt;
                    s[1] += wt * r;
                    s[2] += wt * g;
                    s[3] += wt * bl;
                    s[4] += wt * r2;
                    s[5] += wt * g2;
                    s[6] += wt * b2;
                }
            }
            let (mut sum_w, mut sum) = (0f32, [0f32; 3]);
            for s in &acc {
                if s[0] <= 0.0 {
                    continue;
                }
                let inv = 1.0 / s[0];
                let mean = [s[1] * inv, s[2] * inv, s[3] * inv];
                let var = (s[4] * inv - mean[0] * mean[0]).max(0.0)
                    + (s[5] * inv - mean[1] * mean[1]).max(0.0)
                    + (s[6] * inv - mean[2] * mean[2]).max(0.0);
                // ‖255·σ‖^q with q = 8, computed from the variance without a square root.
                let wk = 1.0 / (1.0 + (255.0 * 255.0 * var).powi(SHARPNESS_Q / 2));
                sum_w += wk;
                for ch in 0..3 {
                    sum[ch] += wk * mean[ch];
                }
            }
            let p = (y * w + x) * 3;
            for ch in 0..3 {
                out[x * 3 + ch] = if sum_w > 0.0 {
                    sum[ch] / sum_w
                } else {
                    src.data[p + ch]
                };
            }
        }
    })
}

//! `artistic`: painterly brush strokes with the anisotropic Kuwahara filter (Kyprianidis,
//! Kang & Döllner 2009), using the polynomial sector weights of Kyprianidis 2011 so that the
//! eight sector weights of a sample are a few multiplications instead of texture lookups.
//!
//! Each pixel's neighbourhood is an ellipse stretched along the local edge direction
//! (structure tensor, σt = 2; a = r·clamp((α+A)/α, .1, 2), b = r·clamp(α/(α+A), .1, 2), α = 1)
//! and cut into N = 8 overlapping sectors; the output blends the sector means, each weighted by
//! 1/(1 + ‖255·σ_k‖^q) with q = 8, so the flattest sector wins and edges stay sharp while
//! regions turn into strokes. The filter runs on the reduced copy (`WorkScale`: brush
//! strokes are wider than a pixel anyway); streaks of noise smeared along the flow and a
//! canvas grain give the strokes their texture at full size.

use crate::RgbImage;
use crate::filter::directional::smooth_along_orientation;
use crate::filter::flow::tangent_field;
use crate::filter::noise::{Paper, seed32, white_plane};
use crate::portrait::Portrait;
use crate::raster::{Raster, Upsampler, luma, rows_to_rgb8};
use crate::style::{Params, StageClock, WorkScale};

const SECTORS: usize = 8;
const SHARPNESS_Q: i32 = 8;
const ALPHA: f32 = 1.0;

/// One sample point of the unit-disk kernel with its non-zero sector weights.
struct Tap {
    u: f32,
    v: f32,
    sectors: Vec<(usize, f32)>,
}

pub fn render(image: &RgbImage, _portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let work = WorkScale::of(image);
    let src = work.colours(image);
    clock.mark("src");

    let radius = (5.0 * work.s * (0.7 + 0.6 * strength)).clamp(2.0, 8.0);
    let field = tangent_field(&luma(&src), 2.0);
    clock.mark("field");
    let taps = kernel_taps(3);
    let painted = kuwahara(&src, &field, &taps, radius);
    clock.mark("painted");
    // Brush texture: white noise streaked along the strokes' direction.
    let streaks = smooth_along_orientation(
        &white_plane(src.w, src.h, seed32(params.seed, 41)),
        &field,
        1.25 * radius.max(2.0),
    );

    let (w, h) = (image.width() as usize, image.height() as usize);
    let canvas = Paper::new(w, h, 0.07, seed32(params.seed, 42));
    let (painted, streaks) = (
        Upsampler::new(&painted, w, h),
        Upsampler::new(&streaks, w, h),
    );
    let depth = 1.6 * (0.5 + 0.6 * strength);
    rows_to_rgb8(
        w,
        h,
        3,
        || {
            [
                vec![0f32; w],
                vec![0f32; w],
                vec![0f32; w],
                vec![0f32; w * 3],
            ]
        },
        |[grain, scratch, streak, paint], y, out| {
            canvas.fill_row(y, grain, scratch);
            streaks.row(y, streak);
            painted.row(y, paint);
            for x in 0..w {
                let texture = (1.0 + depth * (streak[x] - 0.5)) * grain[x];
                let px = &paint[x * 3..x * 3 + 3];
                let mean = (px[0] + px[1] + px[2]) / 3.0;
                for ch in 0..3 {
                    // A touch more saturation and contrast reads as oil paint, not as blur.
                    let c = mean + (px[ch] - mean) * 1.18;
                    let c = 0.5 + (c - 0.5) * 1.06;
                    out[x * 3 + ch] = (c * texture).clamp(0.0, 1.0);
                }
            }
        },
    )
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

/// Pixels filtered together: the tap loop runs once per group, and the sector sums of all
/// lanes are updated with the same weight, which the compiler vectorises.
const LANES: usize = 8;

fn kuwahara(src: &Raster, field: &Raster, taps: &[Tap], radius: f32) -> Raster {
    let (w, h) = (src.w, src.h);
    let (wmax, hmax) = ((w - 1) as f32, (h - 1) as f32);
    // Every tap lands somewhere (borders clamp), so a sector's total weight is the same for
    // every pixel: sum it once instead of accumulating it per pixel.
    let mut inv_weight = [0f32; SECTORS];
    for tap in taps {
        for &(k, wt) in &tap.sectors {
            inv_weight[k] += wt;
        }
    }
    inv_weight
        .iter_mut()
        .for_each(|v| *v = if *v > 0.0 { 1.0 / *v } else { 0.0 });

    Raster::from_rows(w, h, 3, |y, out| {
        let frow = field.row(y);
        for x0 in (0..w).step_by(LANES) {
            let n = LANES.min(w - x0);
            // Ellipse axes per lane: `a` along the tangent, `b` across it.
            let mut axes = [[0f32; LANES]; 4];
            for l in 0..n {
                let f = &frow[(x0 + l) * 3..(x0 + l) * 3 + 3];
                let a = radius * ((ALPHA + f[2]) / ALPHA).clamp(0.1, 2.0);
                let b = radius * (ALPHA / (ALPHA + f[2])).clamp(0.1, 2.0);
                axes[0][l] = a * f[0];
                axes[1][l] = a * f[1];
                axes[2][l] = -b * f[1];
                axes[3][l] = b * f[0];
            }
            // Per sector: Σw·r, Σw·g, Σw·b, Σw·r², Σw·g², Σw·b², for each lane.
            let mut acc = [[[0f32; LANES]; 6]; SECTORS];
            let mut px = [[0f32; LANES]; 3];
            for tap in taps {
                for l in 0..LANES {
                    let lx = (x0 + l.min(n - 1)) as f32;
                    let sx = (lx + tap.u * axes[0][l] + tap.v * axes[2][l]).clamp(0.0, wmax);
                    let sy = (y as f32 + tap.u * axes[1][l] + tap.v * axes[3][l]).clamp(0.0, hmax);
                    let p = ((sy + 0.5) as usize * w + (sx + 0.5) as usize) * 3;
                    px[0][l] = src.data[p];
                    px[1][l] = src.data[p + 1];
                    px[2][l] = src.data[p + 2];
                }
                for &(k, wt) in &tap.sectors {
                    let sums = &mut acc[k];
                    for ch in 0..3 {
                        for l in 0..LANES {
                            let v = px[ch][l];
                            sums[ch][l] += wt * v;
                            sums[ch + 3][l] += wt * v * v;
                        }
                    }
                }
            }
            for l in 0..n {
                let (mut sum_w, mut sum) = (0f32, [0f32; 3]);
                for (sums, &inv) in acc.iter().zip(&inv_weight) {
                    let mean = [sums[0][l] * inv, sums[1][l] * inv, sums[2][l] * inv];
                    let var = (sums[3][l] * inv - mean[0] * mean[0]).max(0.0)
                        + (sums[4][l] * inv - mean[1] * mean[1]).max(0.0)
                        + (sums[5][l] * inv - mean[2] * mean[2]).max(0.0);
                    // ‖255·σ‖^q with q = 8, from the variance without a square root.
                    let wk = 1.0 / (1.0 + (255.0 * 255.0 * var).powi(SHARPNESS_Q / 2));
                    sum_w += wk;
                    for ch in 0..3 {
                        sum[ch] += wk * mean[ch];
                    }
                }
                let x = x0 + l;
                for ch in 0..3 {
                    out[x * 3 + ch] = if sum_w > 0.0 {
                        sum[ch] / sum_w
                    } else {
                        src.row(y)[x * 3 + ch]
                    };
                }
            }
        }
    })
}

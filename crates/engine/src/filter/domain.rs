//! The domain transform's recursive filter (Gastal & Oliveira 2011): edge-aware smoothing
//! that is separable and linear in the number of pixels. Several styles use it for their
//! abstraction step.
//!
//! Each iteration runs a first-order recursive filter left→right and right→left along rows,
//! then the same along columns (done as rows of the transposed image, so every pass walks
//! memory in order). The feedback weight between two neighbours is `a^d`, where `d` is the
//! distance between them in the transformed domain: 1 plus the colour step scaled by σs/σr.

use rayon::prelude::*;

use crate::raster::{Raster, transpose};

/// Distances are tabulated for the weight lookup up to this value; steeper edges (which stop
/// the filter anyway) share the last entry.
const MAX_DISTANCE: f32 = 64.0;
const TABLE_SIZE: usize = 2048;

/// Smooths `img` in place, preserving the edges of `guide` (same size; any channel count).
pub fn domain_transform(
    img: &mut Raster,
    guide: &Raster,
    sigma_s: f32,
    sigma_r: f32,
    iterations: u32,
) {
    debug_assert_eq!((img.w, img.h), (guide.w, guide.h));
    if img.w < 2 || img.h < 2 || iterations == 0 {
        return;
    }
    let ratio = sigma_s / sigma_r.max(1e-4);
    let horizontal = distances(guide, ratio);
    let vertical = distances(&transpose(guide), ratio);

    let n = iterations as i32;
    let norm = (4f32.powi(n) - 1.0).sqrt();
    let mut transposed;
    for i in 0..n {
        let sigma_h = sigma_s * 3f32.sqrt() * 2f32.powi(n - i - 1) / norm;
        let table = weight_table((-(2f32.sqrt()) / sigma_h).exp());
        filter_rows(img, &horizontal, &table);
        transposed = transpose(img);
        filter_rows(&mut transposed, &vertical, &table);
        *img = transpose(&transposed);
    }
}

/// `d[x]` = distance from pixel x−1 to pixel x along each row (`d[0]` unused).
fn distances(guide: &Raster, ratio: f32) -> Raster {
    let c = guide.c;
    Raster::from_rows(guide.w, guide.h, 1, |y, out| {
        let row = guide.row(y);
        out[0] = 1.0;
        for x in 1..guide.w {
            let mut step = 0.0;
            for ch in 0..c {
                step += (row[x * c + ch] - row[(x - 1) * c + ch]).abs();
            }
            out[x] = 1.0 + ratio * step;
        }
    })
}

/// `a^d` tabulated over `d ∈ [0, MAX_DISTANCE]`.
fn weight_table(a: f32) -> Vec<f32> {
    (0..=TABLE_SIZE)
        .map(|i| a.powf(i as f32 * MAX_DISTANCE / TABLE_SIZE as f32))
        .collect()
}

#[inline]
fn weight(table: &[f32], d: f32) -> f32 {
    let i = (d * (TABLE_SIZE as f32 / MAX_DISTANCE)) as usize;
    table[i.min(TABLE_SIZE)]
}

fn filter_rows(img: &mut Raster, dist: &Raster, table: &[f32]) {
    let (w, c) = (img.w, img.c);
    let stride = img.stride();
    img.data
        .par_chunks_mut(stride)
        .zip(dist.data.par_chunks(w))
        .with_min_len(8)
        .for_each_init(
            || vec![0f32; w],
            |weights, (row, d)| {
                for (wt, &dx) in weights.iter_mut().zip(d) {
                    *wt = weight(table, dx);
                }
                match c {
                    1 => recurse::<1>(row, weights),
                    2 => recurse::<2>(row, weights),
                    3 => recurse::<3>(row, weights),
                    _ => recurse_dyn(row, weights, c),
                }
            },
        );
}

/// Causal then anti-causal pass over one row of `C`-channel pixels.
#[inline]
fn recurse<const C: usize>(row: &mut [f32], weights: &[f32]) {
    let w = weights.len();
    let mut prev = [0f32; C];
    prev.copy_from_slice(&row[..C]);
    for x in 1..w {
        let a = weights[x];
        let px = &mut row[x * C..x * C + C];
        for ch in 0..C {
            px[ch] += a * (prev[ch] - px[ch]);
            prev[ch] = px[ch];
        }
    }
    prev.copy_from_slice(&row[(w - 1) * C..w * C]);
    for x in (0..w - 1).rev() {
        let a = weights[x + 1];
        let px = &mut row[x * C..x * C + C];
        for ch in 0..C {
            px[ch] += a * (prev[ch] - px[ch]);
            prev[ch] = px[ch];
        }
    }
}

fn recurse_dyn(row: &mut [f32], weights: &[f32], c: usize) {
    let w = weights.len();
    for x in 1..w {
        for ch in 0..c {
            let p = row[(x - 1) * c + ch];
            row[x * c + ch] += weights[x] * (p - row[x * c + ch]);
        }
    }
    for x in (0..w - 1).rev() {
        for ch in 0..c {
            let p = row[(x + 1) * c + ch];
            row[x * c + ch] += weights[x + 1] * (p - row[x * c + ch]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_flattens_noise_but_keeps_a_hard_edge() {
        let (w, h) = (64, 32);
        let mut img = Raster::new(w, h, 1);
        for y in 0..h {
            for x in 0..w {
                let base = if x < w / 2 { 0.2 } else { 0.8 };
                let noise = (((x * 7 + y * 13) % 5) as f32 - 2.0) * 0.01;
                img.data[y * w + x] = base + noise;
            }
        }
        let guide = img.clone();
        domain_transform(&mut img, &guide, 20.0, 0.2, 3);
        let left = img.data[16 * w + 10];
        let right = img.data[16 * w + 50];
        assert!((left - 0.2).abs() < 0.01, "left side {left}");
        assert!((right - 0.8).abs() < 0.01, "right side {right}");
        // The edge stays sharp: neighbours across it still differ by most of the step.
        let across = img.data[16 * w + w / 2] - img.data[16 * w + w / 2 - 1];
        assert!(across > 0.5, "edge step {across}");
    }
}

//! The domain transform's recursive filter (Gastal & Oliveira 2011): edge-aware smoothing
//! that is separable and linear in the number of pixels. Several styles use it for their
//! abstraction step.
//!
//! Each iteration runs a first-order recursive filter left→right and right→left along rows,
//! then top→bottom and bottom→top along columns. The feedback weight between two neighbours
//! is `a^d`, where `d` is their distance in the transformed domain: 1 plus the colour step
//! scaled by σs/σr. The row pass is a scalar recurrence (channels interleaved for ILP); the
//! column pass walks whole rows at once, so it vectorises across x, and runs in parallel on
//! vertical strips of the image: no transposes, no copies.

use rayon::prelude::*;

use crate::raster::Raster;

/// Distances are tabulated for the weight lookup up to this value; steeper edges (which stop
/// the filter anyway) share the last entry.
const MAX_DISTANCE: f32 = 64.0;
const TABLE_SIZE: usize = 2048;
/// Narrowest vertical strip (in f32 values) handed to one task in the column pass.
const MIN_STRIP: usize = 96;

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
    let vertical = vertical_distances(guide, ratio);
    let mut weights = Raster::new(img.w, img.h, 1);

    let n = iterations as i32;
    let norm = (4f32.powi(n) - 1.0).sqrt();
    for i in 0..n {
        let sigma_h = sigma_s * 3f32.sqrt() * 2f32.powi(n - i - 1) / norm;
        let table = weight_table((-(2f32.sqrt()) / sigma_h).exp());
        filter_rows(img, &horizontal, &table);
        weights.par_rows_mut(|y, out| {
            for (o, &d) in out.iter_mut().zip(vertical.row(y)) {
                *o = weight(&table, d);
            }
        });
        filter_columns(img, &weights);
    }
}

/// `d[y][x]` = distance from pixel (x, y−1) to (x, y) (row 0 unused).
fn vertical_distances(guide: &Raster, ratio: f32) -> Raster {
    let c = guide.c;
    Raster::from_rows(guide.w, guide.h, 1, |y, out| {
        if y == 0 {
            out.fill(1.0);
            return;
        }
        let (up, row) = (guide.row(y - 1), guide.row(y));
        for (x, o) in out.iter_mut().enumerate() {
            let mut step = 0.0;
            for ch in 0..c {
                step += (row[x * c + ch] - up[x * c + ch]).abs();
            }
            *o = 1.0 + ratio * step;
        }
    })
}

/// The column recurrence, top→bottom then bottom→top, on vertical strips in parallel.
fn filter_columns(img: &mut Raster, weights: &Raster) {
    let (w, c) = (img.w, img.c);
    let stride = img.stride();
    let strips = (rayon::current_num_threads() * 2).clamp(1, (stride / MIN_STRIP).max(1));
    let strip_px = w.div_ceil(strips);
    // Cut every row into the same pixel ranges; strip k collects piece k of each row.
    let mut pieces: Vec<Vec<&mut [f32]>> = (0..strips).map(|_| Vec::with_capacity(img.h)).collect();
    for row in img.data.chunks_exact_mut(stride) {
        let mut rest = row;
        for strip in pieces.iter_mut() {
            let take = (strip_px * c).min(rest.len());
            let (piece, tail) = rest.split_at_mut(take);
            strip.push(piece);
            rest = tail;
        }
    }
    pieces
        .into_par_iter()
        .enumerate()
        .for_each(|(k, mut rows)| {
            let x0 = k * strip_px;
            let weight_row = |y: usize, len: usize| &weights.row(y)[x0..x0 + len / c];
            for y in 1..rows.len() {
                let (done, todo) = rows.split_at_mut(y);
                let (prev, cur) = (&done[y - 1], &mut todo[0]);
                blend_towards(cur, prev, weight_row(y, prev.len()), c);
            }
            for y in (0..rows.len().saturating_sub(1)).rev() {
                let (head, tail) = rows.split_at_mut(y + 1);
                let (cur, next) = (&mut head[y], &tail[0]);
                blend_towards(cur, next, weight_row(y + 1, next.len()), c);
            }
        });
}

/// `cur += a · (other − cur)` for every value, with one weight per pixel of `c` channels.
#[inline]
fn blend_towards(cur: &mut [f32], other: &[f32], weights: &[f32], c: usize) {
    for ((px, o), &a) in cur
        .chunks_exact_mut(c)
        .zip(other.chunks_exact(c))
        .zip(weights)
    {
        for ch in 0..c {
            px[ch] += a * (o[ch] - px[ch]);
        }
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

/// Rows filtered together by one task: their recurrences are independent, so interleaving
/// them keeps the multiply-add units busy instead of waiting on one row's dependency chain.
const ROWS_TOGETHER: usize = 4;

fn filter_rows(img: &mut Raster, dist: &Raster, table: &[f32]) {
    let (w, c) = (img.w, img.c);
    let stride = img.stride();
    img.data
        .par_chunks_mut(stride * ROWS_TOGETHER)
        .zip(dist.data.par_chunks(w * ROWS_TOGETHER))
        .for_each_init(
            || vec![0f32; w * ROWS_TOGETHER],
            |weights, (rows, d)| {
                for (wt, &dx) in weights.iter_mut().zip(d) {
                    *wt = weight(table, dx);
                }
                let mut rows: Vec<&mut [f32]> = rows.chunks_exact_mut(stride).collect();
                let weights: Vec<&[f32]> = weights.chunks_exact(w).take(rows.len()).collect();
                match c {
                    1 => recurse::<1>(&mut rows, &weights),
                    2 => recurse::<2>(&mut rows, &weights),
                    3 => recurse::<3>(&mut rows, &weights),
                    _ => {
                        for (row, wt) in rows.iter_mut().zip(&weights) {
                            recurse_dyn(row, wt, c);
                        }
                    }
                }
            },
        );
}

/// Causal then anti-causal pass over a few rows of `C`-channel pixels, interleaved.
/// `v + a·(p − v)` is written `(1 − a)·v + a·p` so only one multiply-add sits on the chain.
#[inline]
fn recurse<const C: usize>(rows: &mut [&mut [f32]], weights: &[&[f32]]) {
    let w = weights.first().map_or(0, |wt| wt.len());
    if w == 0 {
        return;
    }
    for x in 1..w {
        for (row, wt) in rows.iter_mut().zip(weights) {
            let a = wt[x];
            let (done, todo) = row.split_at_mut(x * C);
            let prev = &done[(x - 1) * C..];
            for ch in 0..C {
                todo[ch] = (1.0 - a) * todo[ch] + a * prev[ch];
            }
        }
    }
    for x in (0..w - 1).rev() {
        for (row, wt) in rows.iter_mut().zip(weights) {
            let a = wt[x + 1];
            let (head, tail) = row.split_at_mut((x + 1) * C);
            let cur = &mut head[x * C..];
            for ch in 0..C {
                cur[ch] = (1.0 - a) * cur[ch] + a * tail[ch];
            }
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

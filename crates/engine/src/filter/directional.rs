//! Filters along straight line segments: the weighted sum of shifted copies of a plane.
//! Because every tap is a whole-row shift, the inner loop is a plain multiply-add over
//! contiguous memory that the compiler vectorises; borders clamp.
//!
//! `smooth_along_orientation` uses it to approximate smoothing along an orientation field:
//! the plane is filtered along a fixed set of directions and each pixel blends the two
//! directions nearest its own orientation. Over the short segments the styles use, flow lines
//! are nearly straight, so this matches a traced line integral at a fraction of the cost.

use rayon::prelude::*;

use crate::raster::{Raster, floor};

/// One tap of a line filter: a pixel offset and its weight.
pub type Tap = (isize, isize, f32);

/// `out[x] = Σ weight · src(x + dx, y + dy)` for one row `y` of a single-channel plane.
pub fn filter_row(src: &Raster, taps: &[Tap], y: usize, out: &mut [f32]) {
    filter_row_of(|sy| src.row(sy), src.h, taps, y, out);
}

/// `filter_row` over any single-channel plane of `h` rows of `out.len()` values, given as a
/// function from row index to row.
pub fn filter_row_of<'a>(
    rows: impl Fn(usize) -> &'a [f32],
    h: usize,
    taps: &[Tap],
    y: usize,
    out: &mut [f32],
) {
    let (w, h) = (out.len() as isize, h as isize);
    out.fill(0.0);
    for &(dx, dy, weight) in taps {
        let row = rows((y as isize + dy).clamp(0, h - 1) as usize);
        // Interior run, where x + dx stays inside the row: a shifted multiply-add.
        let lo = (-dx).clamp(0, w) as usize;
        let hi = (w - dx).clamp(0, w) as usize;
        if lo < hi {
            let shifted = &row[(lo as isize + dx) as usize..(hi as isize + dx) as usize];
            for (o, &v) in out[lo..hi].iter_mut().zip(shifted) {
                *o += weight * v;
            }
        }
        for x in (0..lo).chain(hi..w as usize) {
            out[x] += weight * row[(x as isize + dx).clamp(0, w - 1) as usize];
        }
    }
}

/// Taps of a segment along unit direction `(dx, dy)`: `count` steps of `step` pixels each
/// side of the centre, with weights from `weight(distance)`, normalised to sum to 1.
pub fn segment(dir: (f32, f32), step: f32, count: usize, weight: impl Fn(f32) -> f32) -> Vec<Tap> {
    let n = count as isize;
    let mut taps: Vec<Tap> = (-n..=n)
        .map(|k| {
            let d = k as f32 * step;
            (
                (d * dir.0).round() as isize,
                (d * dir.1).round() as isize,
                weight(d),
            )
        })
        .collect();
    let sum: f32 = taps.iter().map(|t| t.2).sum();
    taps.iter_mut().for_each(|t| t.2 /= sum);
    taps
}

/// Number of directions the orientation field is quantised into (over 180°).
const BINS: usize = 8;

/// Smooths `signal` with a Gaussian of `sigma` pixels along the orientation of `field`
/// (channels `tx, ty, …`: unit tangents, sign ignored).
pub fn smooth_along_orientation(signal: &Raster, field: &Raster, sigma: f32) -> Raster {
    let step = (sigma / 3.0).max(1.0);
    let count = ((2.0 * sigma) / step).ceil() as usize;
    let filters: Vec<Vec<Tap>> = (0..BINS)
        .map(|b| {
            let angle = b as f32 * std::f32::consts::PI / BINS as f32;
            segment((angle.cos(), angle.sin()), step, count, |d| {
                (-(d * d) / (2.0 * sigma * sigma)).exp()
            })
        })
        .collect();
    let (w, h, fc) = (signal.w, signal.h, field.c);
    let mut out = Raster::new(w, h, 1);
    out.data.par_chunks_mut(w).enumerate().for_each_init(
        || vec![0f32; w * BINS],
        |responses, (y, row)| {
            for (b, taps) in filters.iter().enumerate() {
                filter_row(signal, taps, y, &mut responses[b * w..(b + 1) * w]);
            }
            let frow = field.row(y);
            for (x, o) in row.iter_mut().enumerate() {
                let pos = orientation_bin(frow[x * fc], frow[x * fc + 1]);
                let b0 = pos as usize % BINS;
                let b1 = (b0 + 1) % BINS;
                let t = pos - floor(pos);
                *o = responses[b0 * w + x] * (1.0 - t) + responses[b1 * w + x] * t;
            }
        },
    );
    out
}

/// The orientation of `(tx, ty)` in [0, BINS), folded to 180° (a tangent has no sign).
#[inline]
fn orientation_bin(tx: f32, ty: f32) -> f32 {
    let (tx, ty) = if ty < 0.0 { (-tx, -ty) } else { (tx, ty) };
    // atan2 on the upper half-plane, in [0, π].
    let angle = ty.atan2(tx);
    (angle * (BINS as f32 / std::f32::consts::PI)).clamp(0.0, BINS as f32 - 1e-3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_along_a_horizontal_flow_keeps_horizontal_stripes() {
        let (w, h) = (40, 40);
        let mut stripes = Raster::new(w, h, 1);
        for y in 0..h {
            for x in 0..w {
                stripes.data[y * w + x] = if (y / 4) % 2 == 0 { 1.0 } else { 0.0 };
            }
        }
        let mut field = Raster::new(w, h, 2);
        for px in field.data.chunks_exact_mut(2) {
            px[0] = 1.0;
        }
        let along = smooth_along_orientation(&stripes, &field, 3.0);
        assert_eq!(along.data[20 * w + 20], stripes.data[20 * w + 20]);
        assert_eq!(along.data[22 * w + 20], stripes.data[22 * w + 20]);
        // Across the stripes (vertical flow) they blur towards grey.
        for px in field.data.chunks_exact_mut(2) {
            px[0] = 0.0;
            px[1] = 1.0;
        }
        let across = smooth_along_orientation(&stripes, &field, 3.0);
        assert!((across.data[20 * w + 20] - 0.5).abs() < 0.3);
    }
}

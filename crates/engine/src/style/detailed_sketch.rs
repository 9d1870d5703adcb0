//! `detailed-sketch`: a precise, shaded graphite drawing after Lu, Xu & Jia 2012, "Combining
//! Sketch and Tone for Pencil Drawing Production".
//!
//! Strokes: the gradient magnitude is convolved with line segments in eight directions, each
//! pixel keeps only its strongest direction, and the classified maps are convolved with the
//! same lines again, so strokes extend along edges and cross at corners like real pencil.
//! Tone: the photo's histogram is matched to the mixture of a bright, a mid and a dark layer
//! that hand-drawn pencil images follow, then rendered with a pencil hatching texture whose
//! depth follows the tone (a per-pixel form of the paper's `H^β`).

use crate::portrait::Portrait;
use rayon::prelude::*;

use crate::RgbImage;
use crate::filter::directional::{Tap, filter_row, filter_row_of, segment};
use crate::filter::noise::{Paper, seed32, white_row};
use crate::raster::{Raster, fast_pow, gaussian_blur, reduce_pixels, reduce_raster, rows_to_rgb8};
use crate::style::{Params, StageClock, WorkScale, feature_scale};

/// Unit steps of the eight line directions: 0°, ±26.6°, ±45°, ±63.4°, 90°.
const DIRECTIONS: [(f32, f32); 8] = [
    (1.0, 0.0),
    (0.894, 0.447),
    (0.707, 0.707),
    (0.447, 0.894),
    (0.0, 1.0),
    (-0.447, 0.894),
    (-0.707, 0.707),
    (-0.894, 0.447),
];

pub fn render(image: &RgbImage, _portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let s = feature_scale(image);
    let strength = params.intensity();
    let gray = reduce_pixels(image, 0, 1, |px, out| {
        out[0] =
            (0.2126 * f32::from(px[0]) + 0.7152 * f32::from(px[1]) + 0.0722 * f32::from(px[2]))
                / 255.0;
    });
    clock.mark("gray");
    let (w, h) = (gray.w, gray.h);

    let half = ((4.0 * s).round() as isize).clamp(3, 14);
    let lines = line_offsets(half);
    let smooth = gaussian_blur(&gray, 0.7 * s.max(1.0));
    let grad = gradient_magnitude(&smooth);
    clock.mark("grad");
    // The strongest direction varies slowly: choose it on the reduced copy, with segments
    // scaled to match, and apply it to the full-size gradient.
    let work = WorkScale::of(image);
    let work_half = ((half as f32 / work.factor).round() as isize).max(2);
    let directions =
        strongest_directions(&reduce_raster(&grad, work.levels), &line_offsets(work_half));
    clock.mark("directions");
    let classified = split_by_direction(&grad, &directions, work.levels);
    clock.mark("classified");
    let strokes = stroke_map(&classified, &lines, w, h);
    clock.mark("strokes");

    let tone = match_tone(&gray);
    clock.mark("tone");
    let texture = pencil_texture(w, h, s, params.seed);
    clock.mark("texture");
    let paper = Paper::new(w, h, 0.06, seed32(params.seed, 21));
    let gain = 1.6 + 2.4 * strength;

    rows_to_rgb8(
        w,
        h,
        1,
        || vec![0f32; w],
        |scratch, y, out| {
            paper.fill_row(y, out, scratch);
            let row = (strokes.row(y), tone.row(y), texture.row(y));
            for (x, o) in out.iter_mut().enumerate() {
                let stroke = (1.0 - gain * row.0[x]).clamp(0.0, 1.0);
                let t = row.1[x].clamp(0.0, 1.0);
                // Texture deepens with tone: white paper stays white, shadows get dense hatching.
                let shaded = fast_pow(t, 0.45 + 1.1 * row.2[x]);
                *o = (stroke * shaded * *o).clamp(0.0, 1.0);
            }
        },
    )
}

/// Integer offsets along each direction's segment, `-half..=half` steps.
fn line_offsets(half: isize) -> Vec<Vec<Tap>> {
    DIRECTIONS
        .iter()
        .map(|&dir| segment(dir, 1.0, half as usize, |_| 1.0))
        .collect()
}

fn gradient_magnitude(gray: &Raster) -> Raster {
    let (w, h) = (gray.w, gray.h);
    Raster::from_rows(w, h, 1, |y, out| {
        let row = gray.row(y);
        let down = gray.row((y + 1).min(h - 1));
        for x in 0..w {
            let r = row[(x + 1).min(w - 1)];
            out[x] = ((r - row[x]).powi(2) + (down[x] - row[x]).powi(2)).sqrt();
        }
    })
}

/// For each pixel of `grad`, the direction whose line response is strongest (Lu et al.'s
/// classification), as an index into `lines`.
fn strongest_directions(grad: &Raster, lines: &[Vec<Tap>]) -> Raster {
    let w = grad.w;
    Raster::from_rows_with(
        w,
        grad.h,
        1,
        || (vec![0f32; w], vec![0f32; w]),
        |(resp, best), y, dir| {
            best.fill(-1.0);
            for (d, taps) in lines.iter().enumerate() {
                filter_row(grad, taps, y, resp);
                for x in 0..w {
                    if resp[x] > best[x] {
                        best[x] = resp[x];
                        dir[x] = d as f32;
                    }
                }
            }
        },
    )
}

/// The gradient split into eight maps, one per direction: each pixel's gradient goes to the
/// map of its (reduced) pixel's direction, the other seven get nothing. The maps are stored
/// row-interleaved (row `y` of map `d` is row `8y + d`), so one task writes all eight rows of
/// an image row.
fn split_by_direction(grad: &Raster, directions: &Raster, levels: u32) -> Raster {
    let (w, h) = (grad.w, grad.h);
    let mut out = Raster::new(w, h * 8, 1);
    out.data
        .par_chunks_mut(w * 8)
        .enumerate()
        .for_each(|(y, rows)| {
            rows.fill(0.0);
            let dir = directions.row(y >> levels);
            for (x, &g) in grad.row(y).iter().enumerate() {
                rows[dir[x >> levels] as usize * w + x] = g;
            }
        });
    out
}

/// Convolves each classified map with its own line and sums: the stroke darkness.
fn stroke_map(classified: &Raster, lines: &[Vec<Tap>], w: usize, h: usize) -> Raster {
    let mut out = Raster::new(w, h, 1);
    out.data.par_chunks_mut(w).enumerate().for_each_init(
        || vec![0f32; w],
        |tmp, (y, row)| {
            row.fill(0.0);
            for (d, taps) in lines.iter().enumerate() {
                filter_row_of(|sy| classified.row(sy * 8 + d), h, taps, y, tmp);
                for (o, &v) in row.iter_mut().zip(tmp.iter()) {
                    *o += v;
                }
            }
            // Lu et al. use the raw sum; the segment taps are length-normalised instead, and
            // lifted, so strokes keep their weight across image sizes.
            for o in row.iter_mut() {
                *o = (*o * 4.0).min(1.0);
            }
        },
    );
    out
}

/// Histogram-matches the gray image to the pencil tone model (bright : mid : dark = 76 : 22 : 2).
fn match_tone(gray: &Raster) -> Raster {
    let hist = gray
        .data
        .par_chunks(1 << 16)
        .map(|chunk| {
            let mut hist = [0u64; 256];
            for &v in chunk {
                hist[(v.clamp(0.0, 1.0) * 255.0 + 0.5) as usize] += 1;
            }
            hist
        })
        .reduce(
            || [0u64; 256],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let target: Vec<f64> = (0..256)
        .map(|v| {
            let v = v as f64;
            let bright = (-(255.0 - v) / 9.0).exp() / 9.0;
            let mid = if (105.0..=225.0).contains(&v) {
                1.0 / 120.0
            } else {
                0.0
            };
            let dark = (-(v - 90.0).powi(2) / (2.0 * 11.0 * 11.0)).exp()
                / (11.0 * (2.0 * std::f64::consts::PI).sqrt());
            0.76 * bright + 0.22 * mid + 0.02 * dark
        })
        .collect();
    let total_target: f64 = target.iter().sum();
    let total: u64 = hist.iter().sum::<u64>().max(1);

    let mut lut = [0f32; 256];
    let (mut cum_src, mut cum_dst, mut j) = (0u64, 0f64, 0usize);
    for (v, &count) in hist.iter().enumerate() {
        cum_src += count;
        let q = cum_src as f64 / total as f64;
        while j < 255 && (cum_dst + target[j]) / total_target < q {
            cum_dst += target[j];
            j += 1;
        }
        lut[v] = j as f32 / 255.0;
    }
    let matched = Raster::from_rows(gray.w, gray.h, 1, |y, out| {
        for (o, &v) in out.iter_mut().zip(gray.row(y)) {
            *o = lut[(v.clamp(0.0, 1.0) * 255.0 + 0.5) as usize];
        }
    });
    // The matched tone keeps the photo's gradations but not its noise.
    gaussian_blur(&matched, 1.0)
}

/// A pencil hatching texture in 0..1 (mean ≈ 0.5): white noise drawn out along a slanted
/// direction into short parallel strokes.
fn pencil_texture(w: usize, h: usize, s: f32, seed: u64) -> Raster {
    let noise = Raster::from_rows(w, h, 1, |y, out| white_row(out, y, seed32(seed, 22)));
    let half = ((6.0 * s).round() as isize).max(4);
    let offsets = segment((0.912, 0.41), 1.0, half as usize, |_| 1.0);
    let spread = (3.0 * (offsets.len() as f32).sqrt()).min(8.0);
    let mut out = Raster::new(w, h, 1);
    out.data.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        filter_row(&noise, &offsets, y, row);
        for o in row.iter_mut() {
            *o = (0.5 + (*o - 0.5) * spread).clamp(0.0, 1.0);
        }
    });
    out
}

//! `detailed-sketch`: a precise, shaded graphite drawing after Lu, Xu & Jia 2012, "Combining
//! Sketch and Tone for Pencil Drawing Production".
//!
//! Strokes: the gradient magnitude is convolved with line segments in eight directions, each
//! pixel keeps only its strongest direction, and the classified maps are convolved with the
//! same lines again, so strokes run only along edges and cross at corners like real pencil.
//! Weak gradients (skin texture, wrinkles, noise) are cut off before the classification, so
//! flat areas stay clean instead of filling with strokes at random angles.
//! Tone: a colour-dodge layer (the gray divided by its blurred copy: crisp graphite at edges)
//! times a soft ink wash (the photo's histogram matched to the bright/mid/dark mixture of
//! hand-drawn pencil, 76 : 22 : 2, then blurred), with hatching at one angle in the darks that
//! stops at contours. The portrait guides keep skin soft and un-hatched, draw eyelids and the
//! lips' parting as clean lines from the face mesh, and fade the background to paper.

use crate::portrait::Portrait;
use rayon::prelude::*;

use crate::RgbImage;
use crate::filter::directional::{Tap, filter_row, filter_row_of, segment};
use crate::filter::noise::{Paper, seed32, white_row};
use crate::filter::sketch::{FeatureLines, SketchGuides};
use crate::raster::{
    Raster, Upsampler, fast_pow, gaussian_blur, reduce_pixels, reduce_raster, rows_to_rgb8,
    smoothstep,
};
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

/// Gradient (of 0..1 gray, per pixel at 512 px scale) below which nothing is stroked: paper
/// grain, skin pores and JPEG noise.
const GRAD_FLOOR: f32 = 0.018;
/// Extra cut-off on the face's skin: wrinkles and pores stay soft tone, the nose and the
/// jaw's strong edges still draw.
const SKIN_FLOOR: f32 = 0.05;
/// The hatching direction (steep, top-left to bottom-right, as a right hand pulls strokes).
const HATCH_DIR: (f32, f32) = (0.5, 0.866);

pub fn render(image: &RgbImage, portrait: &Portrait, params: &Params) -> RgbImage {
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
    let work = WorkScale::of(image);
    let small = reduce_raster(&gray, work.levels);
    let guides = SketchGuides::new(portrait, work.levels, small.w, small.h);
    clock.mark("guides");

    // Per reduced cell: the gradient cut-off and the weight strokes keep there. Eyes get no
    // edge strokes (the lashes would burst into stars): their lines come from the mesh.
    let eye_lines = FeatureLines::new(portrait, 1.0);
    let eye_damp = if eye_lines.is_empty() { 0.5 } else { 0.9 };
    let stroke_guide = Raster::from_rows(small.w, small.h, 2, |y, out| {
        let (p, sk, ey, ft) = (
            guides.person.row(y),
            guides.skin.row(y),
            guides.eyes.row(y),
            guides.features.row(y),
        );
        for x in 0..small.w {
            out[2 * x] = GRAD_FLOOR + SKIN_FLOOR * sk[x];
            let fade = smoothstep(0.1, 0.6, p[x]);
            out[2 * x + 1] =
                (0.35 + 0.65 * fade) * (1.0 - eye_damp * ey[x]) * (1.0 - 0.35 * (ft[x] - ey[x]));
        }
    });

    let half = ((4.0 * s).round() as isize).clamp(3, 14);
    let lines = line_offsets(half);
    let smooth = gaussian_blur(&gray, 0.7 * s.max(1.0));
    let grad = cut_gradient(&smooth, &Upsampler::new(&stroke_guide, w, h), s.max(1.0));
    clock.mark("grad");
    // The strongest direction varies slowly: choose it on the reduced copy, with segments
    // scaled to match, and apply it to the full-size gradient.
    let work_half = ((half as f32 / work.factor).round() as isize).max(2);
    let directions =
        strongest_directions(&reduce_raster(&grad, work.levels), &line_offsets(work_half));
    clock.mark("directions");
    let classified = split_by_direction(&grad, &directions, work.levels);
    clock.mark("classified");
    let strokes = stroke_map(&classified, &lines, w, h);
    clock.mark("strokes");

    // Tone, on the reduced grid where it is smooth anyway: the local mean for the dodge and
    // the soft wash; the full-size gray supplies the detail in the final pass.
    let lut = tone_lut(&gray);
    let mean = gaussian_blur(&small, 3.0 * work.s);
    let wash_sigma = 1.5 * work.s;
    let matched = Raster::from_rows(small.w, small.h, 1, |y, out| {
        for (o, &v) in out.iter_mut().zip(small.row(y)) {
            // Lu et al.'s tone, mixed with the plain gray so faces keep their volumes.
            *o = 0.55 * lut[(v.clamp(0.0, 1.0) * 255.0 + 0.5) as usize] + 0.45 * v;
        }
    });
    let wash = gaussian_blur(&matched, wash_sigma);
    let softer = gaussian_blur(&wash, 2.0 * wash_sigma);
    // Channels: local mean, wash, how much of the dodge to keep, hatch allowance, person fade.
    let tone = Raster::from_rows(small.w, small.h, 5, |y, out| {
        let (m, wa, so) = (mean.row(y), wash.row(y), softer.row(y));
        let (p, sk, ey) = (guides.person.row(y), guides.skin.row(y), guides.eyes.row(y));
        for x in 0..small.w {
            let o = &mut out[5 * x..5 * x + 5];
            o[0] = m[x];
            // Skin takes a softer wash, half of it the plain local gray, so a bright face
            // keeps its volumes (cheeks, nose, temples) without its pores.
            o[1] = wa[x] + (0.5 * (so[x] + m[x]) - wa[x]) * sk[x];
            o[2] = 1.0 - 0.7 * sk[x];
            o[3] = (1.0 - sk[x]) * (1.0 - ey[x]);
            o[4] = smoothstep(0.1, 0.6, p[x]);
        }
    });
    let tone = Upsampler::new(&tone, w, h);
    clock.mark("tone");
    let texture = pencil_texture(w, h, s, params.seed);
    clock.mark("texture");
    let paper = Paper::new(w, h, 0.06, seed32(params.seed, 21));
    let gain = 1.5 + 2.5 * strength;
    let dodge_power = 0.8 + 1.4 * strength;
    let wash_depth = 0.6 + 0.3 * strength;
    let hatch_depth = 0.45 + 0.35 * strength;

    rows_to_rgb8(
        w,
        h,
        1,
        || (vec![0f32; w], vec![0f32; w * 5], vec![0f32; w]),
        |(scratch, t, cover), y, out| {
            paper.fill_row(y, out, scratch);
            tone.row(y, t);
            eye_lines.coverage_row(y, cover);
            let (st, g, tex) = (strokes.row(y), gray.row(y), texture.row(y));
            for (x, o) in out.iter_mut().enumerate() {
                let t = &t[5 * x..5 * x + 5];
                let ink = 0.9 * (1.0 - (-gain * st[x]).exp());
                // Colour dodge of the gray by its blurred inverse: g / blur(g), white where
                // the photo is flat, graphite where it is darker than its surroundings.
                let dodge = ((g[x] + 0.1) / (t[0] + 0.1)).min(1.0);
                let dodge = 1.0 - t[2] * (1.0 - fast_pow(dodge, dodge_power));
                let dark = 1.0 - t[1].clamp(0.0, 1.0);
                let wash = 1.0 - wash_depth * dark;
                // Hatching in the darks, lifted where a contour stroke runs, so it stops there.
                let hatch_weight =
                    smoothstep(0.25, 0.65, dark) * t[3] * (1.0 - (3.0 * ink).min(1.0));
                let hatch = 1.0 - hatch_depth * hatch_weight * smoothstep(0.3, 0.7, tex[x]);
                let drawn = dodge * wash * hatch * (1.0 - ink) * (1.0 - cover[x]);
                // The background fades to paper, keeping a ghost of its strongest lines.
                let ghost = 1.0 - 0.3 * ink * smoothstep(0.4, 0.8, ink);
                let v = ghost + (drawn - ghost) * t[4];
                *o = (v * *o).clamp(0.0, 1.0);
            }
        },
    )
}

/// The gradient magnitude of `gray` (scaled by `scale`, so strokes keep their weight across
/// sizes) minus a cut-off and times a weight, both from the two channels of `guide`: weak
/// gradients vanish instead of turning into strokes at random angles.
fn cut_gradient(gray: &Raster, guide: &Upsampler, scale: f32) -> Raster {
    let (w, h) = (gray.w, gray.h);
    Raster::from_rows_with(
        w,
        h,
        1,
        || vec![0f32; 2 * w],
        |g, y, out| {
            guide.row(y, g);
            let row = gray.row(y);
            let down = gray.row((y + 1).min(h - 1));
            for x in 0..w {
                let r = row[(x + 1).min(w - 1)];
                let m = ((r - row[x]).powi(2) + (down[x] - row[x]).powi(2)).sqrt() * scale;
                out[x] = (m - g[2 * x]).max(0.0) * g[2 * x + 1];
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

/// The lookup table that histogram-matches the gray image to the pencil tone model
/// (bright : mid : dark = 76 : 22 : 2).
fn tone_lut(gray: &Raster) -> [f32; 256] {
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
    lut
}

/// A pencil hatching texture in 0..1 (mean ≈ 0.5): white noise drawn out along a slanted
/// direction into short parallel strokes.
fn pencil_texture(w: usize, h: usize, s: f32, seed: u64) -> Raster {
    let noise = Raster::from_rows(w, h, 1, |y, out| white_row(out, y, seed32(seed, 22)));
    let half = ((6.0 * s).round() as isize).max(4);
    let offsets = segment(HATCH_DIR, 1.0, half as usize, |_| 1.0);
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

//! `rough-sketch`: loose, free-hand pencil lines (flow-based DoG, Kang 2007; Winnemöller,
//! Kyprianidis & Olsen 2012) whose darkness follows the edge's strength, drawn twice with a
//! wobble so strokes overshoot and break like a quick hand drawing, over hatching that follows
//! the form and the tone, on grainy paper.
//!
//! Orientation, DoG and hatching run on the reduced copy (`WorkScale`); the final pass
//! samples them at full size and shapes the lines there, so they stay thin and crisp.
//! With a portrait analysis, the eyes are drawn light from the mesh (no dark blobs), the
//! skin keeps only its strong lines, and the background fades to paper with a few loose lines.

use crate::RgbImage;
use crate::filter::directional::smooth_along_orientation;
use crate::filter::flow::{difference_of_gaussians, tangent_field};
use crate::filter::noise::{Paper, ValueNoise, hash, seed32};
use crate::filter::sketch::{FeatureLines, SketchGuides};
use crate::portrait::Portrait;
use crate::raster::{
    Raster, Upsampler, floor, fract, gaussian_blur, reduce_raster, rows_to_rgb8, smoothstep,
};
use crate::style::{Params, StageClock, WorkScale};

/// Peak-to-peak depth of the paper texture; its tooth also breaks up the graphite.
const PAPER_DEPTH: f32 = 0.10;
/// DoG response (L* units) where a line starts to show, and the span over which it reaches
/// full darkness: faint edges give faint lines, strong contours dark ones.
const LINE_START: f32 = 0.5;
const LINE_SPAN: f32 = 4.5;
/// Normals of the four hatching directions the form's flow is blended between (strokes at
/// 0°, 45°, 90° and 135°, in the order of the double-angle weights `cos 2θ, sin 2θ, −cos 2θ,
/// −sin 2θ`).
const HATCH_NORMALS: [(f32, f32); 4] = [(0.0, 1.0), (-0.707, 0.707), (1.0, 0.0), (0.707, 0.707)];
/// Normal of the crossing layer in the deep shadows (strokes rising to the right at 30°, as a
/// right hand pulls them).
const CROSS_NORMAL: (f32, f32) = (0.5, 0.866);

pub fn render(image: &RgbImage, portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let work = WorkScale::of(image);
    let s = work.s;
    let lum = work.lightness(image);
    let (lw, lh) = (lum.w, lum.h);
    let guides = SketchGuides::new(portrait, work.levels, lw, lh);
    clock.mark("lum");

    // Lines: a narrow DoG on L*, smoothed along the edge tangent flow into coherent strokes.
    let field = tangent_field(&lum, 2.3 * s);
    clock.mark("field");
    let dog = difference_of_gaussians(&lum, 1.0 * s, 1.6, [1.0, 1.0]);
    let dog = smooth_along_orientation(&dog, &field, 3.0 * s);
    clock.mark("dog");

    // Hatching follows the large-scale form: the flow of a coarser copy, so strokes wrap
    // round the head and shoulders instead of every crease. It is kept as a double angle
    // (cos 2θ, sin 2θ), which interpolates without the sign flips of a tangent.
    let coarse = reduce_raster(&lum, 1);
    let form = tangent_field(&coarse, 6.0 * s);
    let form_up = Upsampler::new(&form, lw, lh);
    // The tone is smooth: blurred on the coarse copy (σ = 2s on the reduced grid).
    let tone = gaussian_blur(&coarse, s);
    let tone_up = Upsampler::new(&tone, lw, lh);
    clock.mark("hatch");

    let smudge_depth = 0.16 + 0.12 * strength;
    // Everything that varies smoothly is settled on the reduced grid, so the full-size pass
    // only shapes lines and strokes. The line response is damped on skin (only the nose and
    // mouth's strong lines survive, never wrinkles) and in the eyes (their lines come from
    // the mesh). Channels: line response, darkness (0..1), cos 2θ and sin 2θ of the form,
    // person fade, hatch allowance, flat graphite (smudge and iris).
    let mut response = dog;
    let guide = Raster::from_rows_with(
        lw,
        lh,
        7,
        || (vec![0f32; 3 * lw], vec![0f32; lw]),
        |(f, t), y, out| {
            form_up.row(y, f);
            tone_up.row(y, t);
            let (d, l) = (response.row(y), lum.row(y));
            let (p, sk, ey) = (guides.person.row(y), guides.skin.row(y), guides.eyes.row(y));
            for x in 0..lw {
                let o = &mut out[7 * x..7 * x + 7];
                let (tx, ty) = (f[3 * x], f[3 * x + 1]);
                let (skin, eye) = (sk[x], ey[x]);
                let fade = smoothstep(0.1, 0.6, p[x]);
                let dark = 1.0 - t[x] * 0.01;
                o[0] = -d[x] * (1.0 - 0.45 * eye) / (1.0 + 0.9 * skin);
                o[1] = dark;
                o[2] = tx * tx - ty * ty;
                o[3] = 2.0 * tx * ty;
                o[4] = fade;
                o[5] = fade * (1.0 - eye) * (1.0 - 0.85 * skin);
                // A light smudge carries the broad shading; the iris and pupil are a mid
                // grey inside the eye, never a black blob.
                let smudge = (smudge_depth * smoothstep(0.1, 0.9, dark)
                    + 0.3 * smoothstep(0.65, 1.0, dark))
                    * (1.0 - 0.5 * eye);
                let iris = 0.5 * eye * smoothstep(0.5, 0.2, l[x] * 0.01);
                o[6] = fade * (1.0 - (1.0 - smudge) * (1.0 - iris));
            }
        },
    );
    response.par_rows_mut(|y, row| {
        for (v, g) in row.iter_mut().zip(guide.row(y).chunks_exact(7)) {
            *v = g[0];
        }
    });
    let (w, h) = (image.width() as usize, image.height() as usize);
    clock.mark("guide");

    let full_s = s * work.factor;
    let wobble = 1.6 * full_s;
    let warp_x = ValueNoise::new(w, h, 50.0 * full_s, seed32(params.seed, 11));
    let warp_y = ValueNoise::new(w, h, 50.0 * full_s, seed32(params.seed, 12));
    let breaks = ValueNoise::new(w, h, 7.0 * full_s, seed32(params.seed, 13));
    let paper = Paper::new(w, h, PAPER_DEPTH, seed32(params.seed, 15));
    let features = FeatureLines::new(portrait, 0.8);
    let line_start = LINE_START * (1.4 - 0.8 * strength);
    let line_span = LINE_SPAN * (1.3 - 0.6 * strength);
    // Cells where anything at all is drawn (a line, hatching, flat graphite), dilated by one
    // cell to cover the bilinear support and the wobble: elsewhere the pass leaves paper.
    let marked = Raster::from_rows(lw, lh, 1, |y, out| {
        for (o, g) in out.iter_mut().zip(guide.row(y).chunks_exact(7)) {
            let hatched = g[5] > 0.01 && g[1] > 0.3;
            *o = if g[0] > line_start || hatched || g[6] > 1e-3 {
                1.0
            } else {
                0.0
            };
        }
    });
    let busy = Raster::from_rows(lw, lh, 1, |y, out| {
        let rows = [y.saturating_sub(1), y, (y + 1).min(lh - 1)].map(|r| marked.row(r));
        for (x, o) in out.iter_mut().enumerate() {
            let (x0, x1) = (x.saturating_sub(1), (x + 1).min(lw - 1));
            *o = rows
                .iter()
                .map(|r| r[x0].max(r[x]).max(r[x1]))
                .fold(0.0, f32::max);
        }
    });
    let hatch_depth = 0.45 + 0.35 * strength;
    let inv_spacing = 1.0 / (4.0 * full_s.max(0.7));
    let inv_length = 1.0 / (28.0 * full_s.max(0.7));
    let hatch_seed = seed32(params.seed, 16);

    rows_to_rgb8(
        w,
        h,
        1,
        || ([(); 4].map(|_| vec![0f32; w]), vec![0f32; w]),
        |([wx, wy, lift, scratch], cover), y, out| {
            warp_x.fill_row(y, wx);
            warp_y.fill_row(y, wy);
            breaks.fill_row(y, lift);
            features.coverage_row(y, cover);
            paper.fill_row(y, out, scratch);
            for x in 0..w {
                let cell = (y >> work.levels) * lw + (x >> work.levels);
                if busy.data[cell] == 0.0 && cover[x] == 0.0 {
                    continue;
                }
                let (gx, gy) = work.to_work(x as f32, y as f32);
                let g = guide.sample_px::<7>(gx, gy);
                let line = |r: f32| smoothstep(line_start, line_start + line_span, r);
                // The same drawing twice, one traced and one displaced by a slow wobble: where
                // they part, strokes double up and overshoot like a hand.
                let (ox, oy) = ((wx[x] - 0.5) * wobble, (wy[x] - 0.5) * wobble);
                let (ax, ay) = work.to_work(x as f32 + ox, y as f32 + oy);
                let traced = line(g[0]);
                let loose = line(response.sample_px::<1>(ax, ay)[0]);
                let mut ink = 1.0 - (1.0 - 0.85 * traced) * (1.0 - 0.45 * loose);
                // Strokes lift off the paper in places: breaks lighten them.
                ink *= 1.0 - 0.6 * smoothstep(0.5, 0.8, lift[x]);

                // Hatching: strokes along the form, blended between the two nearest of four
                // directions; their weight grows with darkness, and the deep shadows get a
                // second, crossing layer. A slow wobble bends them like a hand.
                let (dark, allow) = (g[1], g[5]);
                let density = smoothstep(0.3, 0.95, dark);
                let hatch = if allow > 0.01 && density > 0.0 {
                    let (xf, yf) = (x as f32, y as f32);
                    let jitter = (wx[x] - 0.5) * 1.5;
                    // The dominant direction draws at the tone's density; where the form
                    // turns, the next one joins in, fainter, like a hand changing its angle.
                    let weights = [g[2], g[3], -g[2], -g[3]];
                    let (mut first, mut second) = (0usize, 1usize);
                    for k in 0..4 {
                        if weights[k] > weights[first] {
                            first = k;
                        }
                    }
                    for k in 0..4 {
                        if k != first && (second == first || weights[k] > weights[second]) {
                            second = k;
                        }
                    }
                    let share = (weights[second].max(0.0) / weights[first].max(1e-6)).powi(2);
                    let mut form = 0f32;
                    for (k, d) in [(first, density), (second, density * share)] {
                        if d > 0.02 {
                            form = form.max(hatch_stroke(
                                xf,
                                yf,
                                HATCH_NORMALS[k],
                                inv_spacing,
                                inv_length,
                                jitter,
                                d,
                                hatch_seed + k as u32,
                            ));
                        }
                    }
                    let deep = 0.85 * smoothstep(0.6, 0.95, dark);
                    let cross = if deep > 0.02 {
                        hatch_stroke(
                            xf,
                            yf,
                            CROSS_NORMAL,
                            inv_spacing * 0.9,
                            inv_length,
                            1.3 * jitter,
                            deep,
                            hatch_seed + 7,
                        )
                    } else {
                        0.0
                    };
                    hatch_depth * allow * form.max(0.85 * cross)
                } else {
                    0.0
                };

                // Background: paper and a few of its strongest lines, loosely; the hatching
                // and flat graphite are already faded there.
                let ghost = 0.45 * ink * smoothstep(0.5, 0.85, ink);
                let ink = ghost + (ink - ghost) * g[4];
                let mark = 1.0 - (1.0 - ink) * (1.0 - hatch) * (1.0 - cover[x]) * (1.0 - g[6]);
                // Graphite catches on the paper's tooth: darker marks show more of its grain.
                let tooth = (1.0 - out[x]) * (1.0 / PAPER_DEPTH);
                let textured = 1.0 - mark * (0.75 + 0.25 * tooth);
                out[x] = (textured * out[x]).clamp(0.0, 1.0);
            }
        },
    )
}

/// One layer of free-hand hatching at `(x, y)`: parallel strokes (normal `n`, one per
/// `1 / inv_spacing` pixels, each cut into dashes about `1 / inv_length` long), every dash
/// present with probability `density` and given its own pressure, with tapered ends. Returns
/// the graphite coverage, 0..1.
#[allow(clippy::too_many_arguments)]
#[inline]
fn hatch_stroke(
    x: f32,
    y: f32,
    n: (f32, f32),
    inv_spacing: f32,
    inv_length: f32,
    jitter: f32,
    density: f32,
    seed: u32,
) -> f32 {
    let across = (x * n.0 + y * n.1) * inv_spacing + jitter;
    let line = floor(across);
    // Each stroke's dashes start at their own offset, so neighbours do not line up.
    let offset = fract(line * 0.618_034);
    let along = (y * n.0 - x * n.1) * inv_length + offset;
    let dash = floor(along);
    let r = hash(line as i32 as u32, dash as i32 as u32, seed);
    let present = (r >> 8) as f32 * (1.0 / 16_777_216.0);
    if present >= density {
        return 0.0;
    }
    let pressure = 0.55 + 0.45 * ((r & 0xff) as f32 * (1.0 / 255.0));
    let t = fract(along);
    let ends = smoothstep(0.0, 0.2, t) * smoothstep(1.0, 0.75, t);
    let tri = (2.0 * (across - line) - 1.0).abs();
    pressure * ends * smoothstep(0.42, 0.22, tri)
}

//! `rough-sketch`: loose, free-hand pencil lines (XDoG with flow-guided smoothing,
//! Winnemöller, Kyprianidis & Olsen 2012; Kang 2007), drawn twice with a wobble so the strokes
//! overshoot and break like a quick hand drawing, a few hatches in the shadows, on paper.
//!
//! Orientation, DoG and its smoothing run on the reduced copy (`WorkScale`); the final pass
//! samples the smooth XDoG field at two wobbled positions per pixel and thresholds at full
//! size, so lines stay crisp.

use crate::RgbImage;
use crate::filter::directional::smooth_along_orientation;
use crate::filter::flow::{difference_of_gaussians, tangent_field};
use crate::filter::noise::{Paper, ValueNoise, seed32};
use crate::portrait::Portrait;
use crate::raster::{Raster, Upsampler, fract, gaussian_blur, rows_to_rgb8, smoothstep};
use crate::style::{Params, StageClock, WorkScale};

/// XDoG sharpening strength, threshold and ramp (Winnemöller et al. 2012, on L* 0..100).
const P: f32 = 21.7;
const EPSILON: f32 = 79.5;
const PHI: f32 = 0.017;
/// Peak-to-peak depth of the paper texture; its tooth also breaks up the graphite.
const PAPER_DEPTH: f32 = 0.10;

pub fn render(image: &RgbImage, _portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let work = WorkScale::of(image);
    let s = work.s;
    let lum = work.lightness(image);
    clock.mark("lum");

    // XDoG on L*, smoothed along the edge tangent flow. Only a hint of the photo's tone enters
    // the sharpened image (the rest is blank paper), so flat dark areas stay open and the
    // hatching below carries the shading.
    let field = tangent_field(&lum, 2.3 * s);
    clock.mark("field");
    let dog = difference_of_gaussians(&lum, 1.4 * s, 1.6, [1.0, 1.0]);
    clock.mark("dog");
    let dog = smooth_along_orientation(&dog, &field, 4.4 * s);
    clock.mark("dog");
    // Half the published p: lines stay pencil-thin instead of filling dark features.
    let line_gain = P * (0.4 + 0.3 * strength);
    let sharpened = Raster::from_rows(lum.w, lum.h, 1, |y, out| {
        for ((o, &d), &l) in out.iter_mut().zip(dog.row(y)).zip(lum.row(y)) {
            *o = 78.0 + 0.15 * l + line_gain * d;
        }
    });
    let shade = gaussian_blur(&lum, 3.0 * s);
    clock.mark("shade");
    let (w, h) = (image.width() as usize, image.height() as usize);
    let shade = Upsampler::new(&shade, w, h);
    let straight = Upsampler::new(&sharpened, w, h);
    clock.mark("shade");

    let full_s = s * work.factor;
    let phi = PHI * (3.0 + 2.0 * strength);
    let wobble = 2.0 * full_s;
    let warp_x = ValueNoise::new(w, h, 60.0 * full_s, seed32(params.seed, 11));
    let warp_y = ValueNoise::new(w, h, 60.0 * full_s, seed32(params.seed, 12));
    let breaks = ValueNoise::new(w, h, 9.0 * full_s, seed32(params.seed, 13));
    let paper = Paper::new(w, h, PAPER_DEPTH, seed32(params.seed, 15));
    let inv_spacing = 1.0 / (5.0 * full_s.max(0.8));
    let hatch_depth = 0.35 + 0.35 * strength;

    rows_to_rgb8(
        w,
        h,
        1,
        || [(); 6].map(|_| vec![0f32; w]),
        |[wx, wy, lift, scratch, shadow, traced], y, out| {
            shade.row(y, shadow);
            straight.row(y, traced);
            warp_x.fill_row(y, wx);
            warp_y.fill_row(y, wy);
            breaks.fill_row(y, lift);
            paper.fill_row(y, out, scratch);
            for x in 0..w {
                let (ox, oy) = ((wx[x] - 0.5) * wobble, (wy[x] - 0.5) * wobble);
                let (xf, yf) = (x as f32, y as f32);
                // Two passes of the same drawing, one traced and one displaced by a slow
                // wobble: where they part, strokes double up and overshoot like a hand.
                let (ax, ay) = work.to_work(xf + ox, yf + oy);
                let a = soft_threshold(sharpened.sample_px::<1>(ax, ay)[0], phi);
                let b = soft_threshold(traced[x], phi);
                // Strokes lift off the paper in places: breaks lighten them, never remove them.
                let stroke = a * b;
                let stroke = stroke + (1.0 - stroke) * smoothstep(0.45, 0.8, lift[x]) * 0.55;

                // Shadows get a loose diagonal hatch, faded in with their darkness; the
                // deepest ones a second, crossing layer. Strokes fade along their length.
                let darkness = 1.0 - smoothstep(25.0, 70.0, shadow[x]);
                let hatch = if darkness > 0.0 {
                    let deep = 1.0 - smoothstep(8.0, 35.0, shadow[x]);
                    let phase = fract((xf + yf + 3.0 * ox) * inv_spacing);
                    let cross = fract((xf - yf + 3.0 * oy) * (inv_spacing / 1.3));
                    let along = 0.6 + 0.4 * lift[x];
                    let bump = smoothstep(0.0, 0.25, phase) * smoothstep(0.55, 0.3, phase);
                    let cross_bump = smoothstep(0.0, 0.2, cross) * smoothstep(0.45, 0.25, cross);
                    (1.0 - darkness * hatch_depth * bump * along)
                        * (1.0 - deep * hatch_depth * cross_bump * along)
                } else {
                    1.0
                };

                // Graphite catches on the paper's tooth: darker marks show more of its grain.
                let ink = stroke.min(hatch);
                let tooth = (1.0 - out[x]) * (1.0 / PAPER_DEPTH);
                let textured = 1.0 - (1.0 - ink) * (0.75 + 0.25 * tooth);
                out[x] = (textured * out[x]).clamp(0.0, 1.0);
            }
        },
    )
}

/// XDoG's soft threshold: white above ε, a `1 + tanh(φ(u − ε))` ramp below it, here as the
/// cubic `(1 − t/3)³` with `t = φ(ε − u)` (within 0.06 of the tanh ramp, no division).
#[inline]
fn soft_threshold(u: f32, phi: f32) -> f32 {
    let c = (1.0 - phi * (EPSILON - u).max(0.0) * (1.0 / 3.0)).max(0.0);
    c * c * c
}

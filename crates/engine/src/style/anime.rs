//! `anime`: flat cel colours with clean ink lines, after the real-time abstraction of
//! Winnemöller, Olsen & Gooch 2006 and its flow-based refinement (Kyprianidis & Döllner 2008).
//!
//! Abstraction: edge-preserving smoothing (the domain transform, in place of the iterated
//! orientation-aligned bilateral filter: the same role at a fraction of the cost), then soft
//! luminance quantization into 8 bins with a tanh ramp (φq = 3.4) that turns gradients into
//! cel bands, and a saturation lift. Lines: flow-based DoG (σe = 1, k = 1.6, σm = 3,
//! τ = 0.99), thresholded into ink and multiplied over the colours. Smoothing, orientation and
//! DoG run on the reduced copy (`WorkScale`); quantization and ink happen per full-size pixel.

use crate::RgbImage;
use crate::filter::directional::smooth_along_orientation;
use crate::filter::domain::domain_transform;
use crate::filter::flow::{difference_of_gaussians, tangent_field};
use crate::portrait::Portrait;
use crate::raster::{Upsampler, fast_tanh, round, rows_to_rgb8, smoothstep};
use crate::style::{Params, StageClock, WorkScale};

const BINS: f32 = 8.0;
const PHI_Q: f32 = 3.4;
const TAU: f32 = 0.99;

pub fn render(image: &RgbImage, _portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let work = WorkScale::of(image);
    let s = work.s;

    // Two rounds of strong edge-aware smoothing flatten skin and hair into regions.
    let mut flat = work.colours(image);
    for _ in 0..2 {
        let guide = flat.clone();
        domain_transform(&mut flat, &guide, 40.0 * s, 0.22, 3);
    }
    clock.mark("abstraction");

    let lum = work.lightness(image);
    clock.mark("lum");
    let field = tangent_field(&lum, 2.0 * s);
    clock.mark("field");
    let dog = difference_of_gaussians(&lum, s.max(0.75), 1.6, [1.0, TAU]);
    clock.mark("dog");
    let dog = smooth_along_orientation(&dog, &field, 3.0 * s);
    clock.mark("dog");

    let (w, h) = (image.width() as usize, image.height() as usize);
    let ink_gain = 0.6 + 0.8 * strength;
    let saturation = 1.25 + 0.35 * strength;
    let step = 100.0 / BINS;
    let (flat, dog) = (Upsampler::new(&flat, w, h), Upsampler::new(&dog, w, h));
    rows_to_rgb8(
        w,
        h,
        3,
        || (vec![0f32; w * 3], vec![0f32; w]),
        |(colours, lines), y, out| {
            flat.row(y, colours);
            dog.row(y, lines);
            for x in 0..w {
                let px = &colours[x * 3..x * 3 + 3];
                let l = 100.0 * (0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2]);
                let nearest = round(l * (1.0 / step)) * step;
                let quantized = nearest + 0.5 * step * fast_tanh(PHI_Q * (l - nearest) / step);
                let ratio = if l > 0.5 { quantized / l } else { 1.0 };
                let mean = (px[0] + px[1] + px[2]) / 3.0;
                // Ink where the flow-smoothed DoG dips below zero: a dark, anti-aliased line.
                let ink = 1.0 - smoothstep(0.0, 2.0, -lines[x] * ink_gain) * 0.92;
                for ch in 0..3 {
                    let c = (mean + (px[ch] - mean) * saturation) * ratio;
                    out[x * 3 + ch] = (c * ink).clamp(0.0, 1.0);
                }
            }
        },
    )
}

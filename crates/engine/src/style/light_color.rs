//! `light-color`: a soft watercolor wash after Bousseau et al. 2006, "Interactive watercolor
//! rendering with temporal coherence and abstraction".
//!
//! The photo is abstracted with the domain transform on the reduced copy (washes carry no
//! fine detail), lightened into a washed-out palette, then the pigment density model
//! `C′ = C − (C − C²)(d − 1)` varies the darkness of each wash with low-frequency turbulence,
//! paper grain and edge darkening (pigment pooling where washes meet). Wash borders wander
//! a little, as a brush does, and a faint pencil under-drawing keeps the face readable.

use crate::RgbImage;
use crate::filter::domain::domain_transform;
use crate::filter::noise::{Fbm, Paper, ValueNoise, seed32};
use crate::portrait::Portrait;
use crate::raster::{
    Raster, Upsampler, fast_tanh, gaussian_blur, luma, round, rows_to_rgb8, smoothstep,
};
use crate::style::{Params, StageClock, WorkScale};

pub fn render(image: &RgbImage, _portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let work = WorkScale::of(image);
    let s = work.s;

    let mut wash = work.colours(image);
    let guide = wash.clone();
    domain_transform(&mut wash, &guide, 36.0 * s, 0.35, 3);
    clock.mark("wash");
    layer_washes(&mut wash);
    let edges = edge_strength(&luma(&wash));
    clock.mark("edges");
    let pencil = under_drawing(&luma(&guide), s);
    clock.mark("pencil");

    let (w, h) = (image.width() as usize, image.height() as usize);
    let full_s = s * work.factor;
    let pencil = Upsampler::new(&pencil, w, h);
    clock.mark("pencil");
    // Washes are laid by hand: their borders wander a little from the photo's edges.
    let wobble = (2.5 + 2.0 * strength) * full_s.max(0.5);
    let warp_x = ValueNoise::new(w, h, 40.0 * full_s, seed32(params.seed, 33));
    let warp_y = ValueNoise::new(w, h, 40.0 * full_s, seed32(params.seed, 34));
    let turbulence = Fbm::new(w, h, 90.0 * full_s, 3, seed32(params.seed, 31));
    let paper = Paper::new(w, h, 0.22, seed32(params.seed, 32));
    let lighten = 0.3 + 0.14 * strength;
    let pencil_depth = 0.28 + 0.15 * strength;

    rows_to_rgb8(
        w,
        h,
        3,
        || [(); 6].map(|_| vec![0f32; w]),
        |[wx, wy, turb, grain, scratch, lines], y, out| {
            pencil.row(y, lines);
            warp_x.fill_row(y, wx);
            warp_y.fill_row(y, wy);
            turbulence.fill_row(y, turb);
            paper.fill_row(y, grain, scratch);
            for x in 0..w {
                let (xf, yf) = (x as f32, y as f32);
                let (hx, hy) =
                    work.to_work(xf + (wx[x] - 0.5) * wobble, yf + (wy[x] - 0.5) * wobble);
                // Density: >1 darkens, <1 lightens. Turbulence makes uneven washes, paper
                // grain makes pigment settle in the tooth, edges collect pigment.
                let d = 1.0
                    + (0.5 + 0.4 * strength) * (turb[x] - 0.5)
                    + 1.6 * (1.0 - grain[x]) * (0.5 + strength)
                    + (0.6 + 0.4 * strength) * edges.sample_px::<1>(hx, hy)[0];
                let line = 1.0 - lines[x] * pencil_depth;
                let colour = wash.sample_px::<3>(hx, hy);
                for (ch, &c) in colour.iter().enumerate() {
                    let c = c + (1.0 - c) * lighten;
                    let c = c - (c - c * c) * (d - 1.0);
                    out[x * 3 + ch] = (c * line * (0.94 + 0.06 * grain[x])).clamp(0.0, 1.0);
                }
            }
        },
    )
}

/// Watercolor is laid in a few transparent layers: soft-quantize the luma into washes (five
/// levels with a gentle ramp), keeping each pixel's chroma, so washes get borders where the
/// edge darkening can pool pigment.
fn layer_washes(wash: &mut Raster) {
    const LEVELS: f32 = 5.0;
    wash.par_rows_mut(|_, row| {
        for px in row.chunks_exact_mut(3) {
            let l = 0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2];
            let scaled = l * LEVELS;
            let nearest = round(scaled);
            let q = (nearest + 0.5 * fast_tanh(2.2 * (scaled - nearest)) / fast_tanh(1.1)) / LEVELS;
            let ratio = if l > 1e-3 { q.max(0.0) / l } else { 1.0 };
            for v in px.iter_mut() {
                *v = (*v * ratio).min(1.0);
            }
        }
    });
}

/// Gradient magnitude of the abstracted luma, soft-thresholded to 0..1.
fn edge_strength(l: &Raster) -> Raster {
    let (w, h) = (l.w, l.h);
    Raster::from_rows(w, h, 1, |y, out| {
        let row = l.row(y);
        let up = l.row(y.saturating_sub(1));
        let down = l.row((y + 1).min(h - 1));
        for x in 0..w {
            let gx = row[(x + 1).min(w - 1)] - row[x.saturating_sub(1)];
            let gy = down[x] - up[x];
            out[x] = smoothstep(0.015, 0.15, (gx * gx + gy * gy).sqrt());
        }
    })
}

/// Where a light pencil line lies under the paint (0..1): the dark side of a small DoG.
fn under_drawing(gray: &Raster, s: f32) -> Raster {
    let sigma = 0.9 * s.max(0.7);
    let narrow = gaussian_blur(gray, sigma);
    let wide = gaussian_blur(gray, sigma * 1.6);
    Raster::from_rows(gray.w, gray.h, 1, |y, out| {
        for ((o, &n), &wd) in out.iter_mut().zip(narrow.row(y)).zip(wide.row(y)) {
            *o = smoothstep(0.015, 0.09, wd - n);
        }
    })
}

//! `light-color`: a watercolor after Bousseau et al. 2006, "Interactive watercolor rendering
//! with temporal coherence and abstraction".
//!
//! On the reduced copy (`WorkScale`; washes carry no fine detail): the photo is abstracted with
//! the domain transform and laid in a few transparent layers (soft luma quantisation), the
//! background (person mask below one half) is bled further into loose wet washes, and eyes,
//! brows and lips keep a lightly abstracted copy so they stay readable. A density plane then
//! gathers what moves pigment: low-frequency turbulence (uneven washes), back-runs (blooms:
//! a dark rim where a wet edge dried, lighter inside), and edge darkening where washes meet.
//! Highlights are left as white paper, as a painter reserves them, and the background wash is
//! laid round the sitter and thins into paper with the distance from them (a vignette with a
//! ragged edge; without a person, open patches of paper anywhere, more towards the borders).
//!
//! At full size every pixel applies Bousseau's density model `C′ = C − (C − C²)(d − 1)` with
//! the density above plus pigment granulation (high-frequency noise, stronger in dark pigment)
//! and paper grain, over a paper tint. Washes wander a little from the under-drawing, a soft
//! pencil line (a small DoG) that fades in the background. Hue is kept: the palette is lifted
//! towards paper and saturated around its own luma, both of which leave hue unchanged.

use crate::RgbImage;
use crate::filter::domain::domain_transform;
use crate::filter::noise::{Fbm, Paper, ValueNoise, seed32, white_plane};
use crate::filter::portrait_masks::WorkMasks;
use crate::filter::regions::distance_inside;
use crate::portrait::Portrait;
use crate::raster::{
    Raster, Upsampler, fast_tanh, gaussian_blur, luma, reduce_raster, round, rows_to_rgb8,
    smoothstep,
};
use crate::style::{Params, StageClock, WorkScale};

/// The paper: a warm white, as cold-pressed watercolor paper is.
const PAPER: [f32; 3] = [1.0, 0.99, 0.965];

pub fn render(image: &RgbImage, portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let work = WorkScale::of(image);
    let s = work.s;
    let src = work.colours(image);
    let masks = WorkMasks::new(portrait, src.w, src.h, work.factor);
    clock.mark("src");

    let mut wash = src.clone();
    domain_transform(&mut wash, &src, (26.0 + 24.0 * strength) * s, 0.4, 3);
    layer_washes(&mut wash);
    // The background bleeds: wet-in-wet washes lose their edges.
    let wet = gaussian_blur(&wash, (3.0 + 3.0 * strength) * s.max(0.5));
    let clear = if masks.has_face {
        let mut c = src.clone();
        domain_transform(&mut c, &src, 4.0 * s, 0.2, 2);
        Some(c)
    } else {
        None
    };
    let wash = Raster::from_rows(src.w, src.h, 3, |y, out| {
        let (wa, we, p, f, sk) = (
            wash.row(y),
            wet.row(y),
            masks.person.row(y),
            masks.features.row(y),
            masks.skin.row(y),
        );
        let cl = clear.as_ref().map(|c| c.row(y));
        for (x, o) in out.chunks_exact_mut(3).enumerate() {
            let person = smoothstep(0.3, 0.7, p[x]);
            let keep = cl.map_or(0.0, |_| f[x] * 0.8);
            for (ch, o) in o.iter_mut().enumerate() {
                let i = x * 3 + ch;
                // Skin is half wet-in-wet too: flatter washes with a few soft edges.
                let v = we[i] + (wa[i] - we[i]) * person * (1.0 - 0.45 * sk[x]);
                *o = cl.map_or(v, |c| v + (c[i] - v) * keep);
            }
        }
    });
    clock.mark("wash");

    // Where the background wash thins out into paper, on an 8× smaller copy of the mask.
    let openness = Openness::of(&reduce_raster(&masks.person, 3), s);
    let aux = pigment_plane(&wash, (&masks, &openness), s, strength, params.seed);
    let pencil = under_drawing(&luma(&src), &masks, s);
    // Granules sit in the wash (they move with it), one per reduced pixel.
    let granules = gaussian_blur(&white_plane(src.w, src.h, seed32(params.seed, 35)), 0.8);
    clock.mark("planes");

    let (w, h) = (image.width() as usize, image.height() as usize);
    let full_s = s * work.factor;
    let pencil = Upsampler::new(&pencil, w, h);
    // Washes are laid by hand: their borders wander a little from the drawing.
    let wobble = (2.5 + 2.0 * strength) * full_s.max(0.5);
    let warp_x = ValueNoise::new(w, h, 40.0 * full_s, seed32(params.seed, 33));
    let warp_y = ValueNoise::new(w, h, 40.0 * full_s, seed32(params.seed, 34));
    let paper = Paper::new(w, h, 0.2, seed32(params.seed, 32));
    let granulation = 1.4 + 1.0 * strength;
    let pencil_depth = 0.3 + 0.15 * strength;
    let lift = 0.86 - 0.06 * strength;

    let out = rows_to_rgb8(
        w,
        h,
        3,
        || [(); 5].map(|_| vec![0f32; w]),
        |[wx, wy, grain, scratch, lines], y, out| {
            pencil.row(y, lines);
            warp_x.fill_row(y, wx);
            warp_y.fill_row(y, wy);
            paper.fill_row(y, grain, scratch);
            for x in 0..w {
                let (xf, yf) = (x as f32, y as f32);
                let (hx, hy) =
                    work.to_work(xf + (wx[x] - 0.5) * wobble, yf + (wy[x] - 0.5) * wobble);
                let colour = wash.sample_px::<3>(hx, hy);
                let [density, reserve] = aux.sample_px::<2>(hx, hy);
                let lum = 0.2126 * colour[0] + 0.7152 * colour[1] + 0.0722 * colour[2];
                // Pigment settles in the paper's tooth and clumps into granules, more so
                // where there is more of it.
                let d = 1.0
                    + density
                    + (1.0 - lum) * lum * granulation * (granules.sample_px::<1>(hx, hy)[0] - 0.5)
                    + 1.2 * (1.0 - grain[x]);
                let line = 1.0 - lines[x] * pencil_depth;
                for ch in 0..3 {
                    // Saturate around the luma (hue unchanged), then the density model.
                    let c = (lum + (colour[ch] - lum) * 1.18).clamp(0.0, 1.0);
                    // Transparent pigment never reaches black: the paper glows through.
                    let c = PAPER[ch] - (PAPER[ch] - c) * lift;
                    let c = c - (c - c * c) * (d - 1.0);
                    // White paper where the painter reserved it.
                    let c = c + (PAPER[ch] - c) * reserve;
                    out[x * 3 + ch] = (c * line * (0.95 + 0.05 * grain[x])).clamp(0.0, 1.0);
                }
            }
        },
    );
    clock.mark("paint");
    out
}

/// Per reduced pixel: the pigment density offset (turbulence, back-runs, edge darkening) and
/// how much white paper is left (highlights, and loose patches in the background).
fn pigment_plane(
    wash: &Raster,
    (masks, openness): (&WorkMasks, &Openness),
    s: f32,
    strength: f32,
    seed: u64,
) -> Raster {
    let (w, h) = (wash.w, wash.h);
    let l = luma(wash);
    let turbulence = Fbm::new(w, h, 70.0 * s, 3, seed32(seed, 31));
    let blooms = Fbm::new(w, h, 38.0 * s, 2, seed32(seed, 36));
    let patches = Fbm::new(w, h, 55.0 * s, 2, seed32(seed, 37));
    let rim_width = 0.06;
    Raster::from_rows_with(
        w,
        h,
        2,
        || [(); 3].map(|_| vec![0f32; w]),
        |[turb, bloom, patch], y, out| {
            turbulence.fill_row(y, turb);
            blooms.fill_row(y, bloom);
            patches.fill_row(y, patch);
            let (up, row, down) = (
                l.row(y.saturating_sub(1)),
                l.row(y),
                l.row((y + 1).min(h - 1)),
            );
            let (p, sk, f) = (
                masks.person.row(y),
                masks.skin.row(y),
                masks.features.row(y),
            );
            for x in 0..w {
                let person = smoothstep(0.3, 0.7, p[x]);
                let gx = row[(x + 1).min(w - 1)] - row[x.saturating_sub(1)];
                let gy = down[x] - up[x];
                let edge = smoothstep(0.02, 0.16, (gx * gx + gy * gy).sqrt());
                // Back-runs: a thin dark rim along a level line of the noise, paler inside.
                // Calm on the face, free in the background.
                let b = bloom[x] - 0.5;
                let rim = 1.0 - smoothstep(0.0, rim_width, b.abs());
                let inside = smoothstep(0.0, 0.08, b);
                let freedom = (1.0 - 0.75 * sk[x]) * (1.0 - f[x]) * (1.3 - 0.5 * person);
                let density = (0.45 + 0.4 * strength) * (turb[x] - 0.5) * 2.0 * freedom.min(1.0)
                    + (0.55 + 0.35 * strength) * edge * (1.0 - 0.6 * f[x]) * (1.0 - 0.5 * sk[x])
                    + (0.12 * rim - 0.12 * inside) * freedom;
                // Reserved paper: the highlights, ragged by the noise, and in the background
                // open patches where the wash was never laid.
                let lum = row[x] + 0.12 * (turb[x] - 0.5);
                let highlight = smoothstep(0.7, 0.9, lum);
                // More paper towards the picture's borders, as a loose wash is laid from
                // the sitter outwards; soft, irregular edges (a wide ramp over the noise).
                let inset =
                    (x.min(w - 1 - x) as f32 / w as f32).min(y.min(h - 1 - y) as f32 / h as f32);
                let border = 1.0 - smoothstep(0.0, 0.22, inset);
                let (sx, sy) = ((x as f32 - 3.5) / 8.0, (y as f32 - 3.5) / 8.0);
                let open = match openness {
                    // A vignette, as a portrait is washed in: the wash is laid round the
                    // sitter and thins into paper with the distance from them, its edge made
                    // ragged by the noise, instead of open patches scattered anywhere (they
                    // left holes beside the face and took the flags away).
                    Openness::Reach(reach) => {
                        let d = reach.sample_px::<1>(sx, sy)[0];
                        smoothstep(0.4, 0.8, d + 0.6 * (patch[x] - 0.5) + 0.3 * border)
                    }
                    Openness::Near(near) => {
                        let far = 1.0 - near.sample_px::<1>(sx, sy)[0];
                        smoothstep(0.5, 0.85, patch[x] + 0.1 * far + 0.35 * border)
                    }
                } * (1.0 - person);
                // The dried edge of an open patch holds only a little more pigment.
                let boundary = 1.0 - (2.0 * open - 1.0).abs();
                let density = density + 0.1 * boundary;
                out[2 * x] = density;
                out[2 * x + 1] = highlight.max(open) * (1.0 - f[x]);
            }
        },
    )
}

/// What says where the background's paper opens, on the 8× reduced person mask.
enum Openness {
    /// The distance from the person, as a fraction of 0.4 × the shorter side (0 on the
    /// person, 1 and more far from them): with a person to measure from.
    Reach(Raster),
    /// The mask widely blurred (nearness to the person, 0..1): with (almost) no person, open
    /// patches anywhere, a little fewer near what person there is.
    Near(Raster),
}

impl Openness {
    fn of(small: &Raster, s: f32) -> Openness {
        let covered = small.data.iter().filter(|&&v| v >= 0.5).count();
        if covered * 200 < small.data.len() {
            // Blurred here: the wide Gaussian would cost more at full size than all else.
            return Openness::Near(gaussian_blur(small, 3.0 * s.max(0.25)));
        }
        let outside = Raster::from_rows(small.w, small.h, 1, |y, out| {
            for (o, &v) in out.iter_mut().zip(small.row(y)) {
                *o = 1.0 - v;
            }
        });
        let mut d = distance_inside(&outside, 0.5);
        let scale = 1.0 / (0.4 * small.w.min(small.h).max(1) as f32);
        d.data.iter_mut().for_each(|v| *v *= scale);
        Openness::Reach(gaussian_blur(&d, 1.0))
    }
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

/// Where a light pencil line lies under the paint (0..1): the dark side of a small DoG, faded
/// in the background and a little stronger on the face's features.
fn under_drawing(gray: &Raster, masks: &WorkMasks, s: f32) -> Raster {
    let sigma = 0.9 * s.max(0.7);
    let narrow = gaussian_blur(gray, sigma);
    let wide = gaussian_blur(gray, sigma * 1.6);
    Raster::from_rows(gray.w, gray.h, 1, |y, out| {
        let (n, wd, p, f) = (
            narrow.row(y),
            wide.row(y),
            masks.person.row(y),
            masks.features.row(y),
        );
        for x in 0..gray.w {
            let line = smoothstep(0.015, 0.09, wd[x] - n[x]);
            out[x] = line * (0.25 + 0.75 * p[x]) * (1.0 + 0.4 * f[x]);
        }
    })
}

//! `clay-3d`: a relit, sculpted clay look by image-based relighting (Khan et al. 2006,
//! "Image-based material editing"; Lopez-Moreno et al. 2010).
//!
//! Depth is guessed from luminance ("dark is deep"): edge-preserving-smoothed lightness,
//! sigmoid-compressed so highlights do not spike, plus a broad blurred component for the large
//! forms. Normals come from its finite differences; the surface is re-shaded with a Lambert key
//! light, a weak fill, a soft Blinn specular and a rim, over an albedo flattened by heavy
//! edge-preserving smoothing. All of it runs on the reduced copy (`WorkScale`): clay has no
//! pixel-fine detail, and the final upsampling is part of the look.

use crate::RgbImage;
use crate::filter::domain::domain_transform;
use crate::filter::noise::{Fbm, seed32};
use crate::portrait::Portrait;
use crate::raster::{Raster, Upsampler, gaussian_blur, luma, rows_to_rgb8};
use crate::style::{Params, StageClock, WorkScale};

pub fn render(image: &RgbImage, _portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let scale = WorkScale::of(image);
    let s = scale.s;
    let work = scale.colours(image);
    clock.mark("work");
    let (ww, wh) = (work.w, work.h);

    let mut albedo = work;
    for _ in 0..2 {
        let guide = albedo.clone();
        domain_transform(&mut albedo, &guide, 30.0 * s, 0.3, 3);
    }
    clock.mark("albedo");
    let depth = relief(&albedo, s, params.seed);
    clock.mark("depth");

    // Lights in image space: x right, y down, z towards the viewer.
    let key = normalize([-0.55, -0.65, 0.5]);
    let fill = normalize([0.7, 0.1, 0.7]);
    let half_vector = normalize([key[0], key[1], key[2] + 1.0]);
    let relief_depth = (30.0 + 30.0 * strength) * s.max(0.5);

    let lit = Raster::from_rows(ww, wh, 3, |y, out| {
        let up = depth.row(y.saturating_sub(1));
        let mid = depth.row(y);
        let down = depth.row((y + 1).min(wh - 1));
        for x in 0..ww {
            let dzdx = 0.5 * (mid[(x + 1).min(ww - 1)] - mid[x.saturating_sub(1)]);
            let dzdy = 0.5 * (down[x] - up[x]);
            let n = normalize([-relief_depth * dzdx, -relief_depth * dzdy, 1.0]);
            let diffuse = dot(n, key).max(0.0);
            let fill_light = dot(n, fill).max(0.0);
            let specular = dot(n, half_vector).max(0.0).powi(24);
            let rim = (1.0 - n[2]).powi(2);
            let px = &albedo.data[(y * ww + x) * 3..(y * ww + x) * 3 + 3];
            let gray = 0.3 * px[0] + 0.59 * px[1] + 0.11 * px[2];
            for ch in 0..3 {
                // Clay pigment: a little desaturated and warmed, lifted so shading reads.
                let warm = [1.04, 1.0, 0.94][ch];
                let base = ((gray + (px[ch] - gray) * 0.95) * warm * 0.82 + 0.17).min(1.0);
                let light = 0.3 + 0.85 * diffuse + 0.2 * fill_light;
                out[x * 3 + ch] = (base * light + 0.35 * specular + 0.12 * rim).clamp(0.0, 1.0);
            }
        }
    });
    let (w, h) = (image.width() as usize, image.height() as usize);
    let lit = Upsampler::new(&lit, w, h);
    rows_to_rgb8(w, h, 3, || (), |_, y, out| lit.row(y, out))
}

/// Height field in 0..1 from the smoothed image: sigmoid-compressed lightness for the
/// features, a broad blur for the large forms, and faint lumps so it reads as modelled clay.
fn relief(albedo: &Raster, s: f32, seed: u64) -> Raster {
    let l = luma(albedo);
    let broad = gaussian_blur(&l, 10.0 * s.max(0.5));
    let lumps = Fbm::new(l.w, l.h, 6.0 * s.max(0.5), 2, seed32(seed, 61));
    let mean = l.data.iter().sum::<f32>() / l.data.len().max(1) as f32;
    let height = Raster::from_rows(l.w, l.h, 1, |y, out| {
        lumps.fill_row(y, out);
        for ((o, &v), &b) in out.iter_mut().zip(l.row(y)).zip(broad.row(y)) {
            let features = 1.0 / (1.0 + (-6.0 * (v - mean)).exp());
            *o = 0.55 * features + 0.45 * b + 0.015 * (*o - 0.5);
        }
    });
    gaussian_blur(&height, 1.2 * s.max(0.5))
}

fn normalize(v: [f32; 3]) -> [f32; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-12);
    [v[0] / n, v[1] / n, v[2] / n]
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

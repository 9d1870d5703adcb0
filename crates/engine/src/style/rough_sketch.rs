//! `rough-sketch`: loose, free-hand pencil lines (XDoG with flow-guided smoothing,
//! Winnemöller, Kyprianidis & Olsen 2012; Kang 2007), drawn twice with a wobble so the strokes
//! overshoot and break like a quick hand drawing, a few hatches in the shadows, on paper.

use crate::RgbImage;
use crate::filter::directional::smooth_along_orientation;
use crate::filter::flow::{difference_of_gaussians, tangent_field};
use crate::filter::noise::{paper, seed32, value_noise, white_row};
use crate::raster::{Raster, gaussian_blur, gray_to_rgb, lightness, smoothstep};
use crate::style::{Params, feature_scale};

pub fn render(image: &RgbImage, params: &Params) -> Raster {
    let s = feature_scale(image);
    let strength = params.intensity();
    let lum = lightness(image);
    let (w, h) = (lum.w, lum.h);

    // XDoG on L* (0..100) with the published σe, k, p, ε and φ, smoothed along the edge
    // tangent flow. Only a hint of the photo's tone enters the sharpened image (the rest is
    // blank paper), so flat dark areas stay open and the hatching below carries the shading.
    let field = tangent_field(&lum, 2.3 * s);
    let p = 21.7;
    let dog = difference_of_gaussians(&lum, 1.4 * s, 1.6, [1.0, 1.0]);
    let dog = smooth_along_orientation(&dog, &field, 4.4 * s);
    let (epsilon, phi) = (79.5, 0.017 * (1.5 + 1.5 * strength));
    let lines = Raster::from_rows(w, h, 1, |y, out| {
        for ((o, &d), &l) in out.iter_mut().zip(dog.row(y)).zip(lum.row(y)) {
            let u = 72.0 + 0.3 * l + p * d;
            *o = if u >= epsilon {
                1.0
            } else {
                1.0 + (phi * (u - epsilon)).tanh()
            };
        }
    });

    // Two passes of the same drawing, each displaced by its own slow wobble: where they part,
    // strokes double up and overshoot like a hand that did not trace the photo.
    let wobble = 1.6 * s;
    let seeds = [
        seed32(params.seed, 11),
        seed32(params.seed, 12),
        seed32(params.seed, 13),
    ];
    let warp_x = value_noise(w, h, 60.0 * s, seeds[0]);
    let warp_y = value_noise(w, h, 60.0 * s, seeds[1]);
    let breaks = value_noise(w, h, 9.0 * s, seeds[2]);

    // Shadows get a loose diagonal hatch, faded in with the darkness of the smoothed photo.
    let shade = gaussian_blur(&lum, 3.0 * s);
    let spacing = 5.0 * s.max(0.8);
    let grain_seed = seed32(params.seed, 14);
    let paper = paper(w, h, 0.10, seed32(params.seed, 15));

    let sketch = Raster::from_rows(w, h, 1, |y, out| {
        white_row(out, y, grain_seed);
        for x in 0..w {
            let i = y * w + x;
            let (ox, oy) = (
                (warp_x.data[i] - 0.5) * wobble,
                (warp_y.data[i] - 0.5) * wobble,
            );
            let a = lines.sample(x as f32 + ox, y as f32 + oy, 0);
            let b = lines.sample(x as f32 - 0.7 * oy, y as f32 + 0.7 * ox, 0);
            // Strokes lift off the paper in places: breaks lighten them, never remove them.
            let lift = smoothstep(0.45, 0.8, breaks.data[i]) * 0.55;
            let stroke = (a * b).powf(0.8);
            let stroke = stroke + (1.0 - stroke) * lift;

            let darkness = 1.0 - smoothstep(25.0, 70.0, shade.data[i]);
            let phase = ((x as f32 + y as f32 + 3.0 * ox) / spacing).fract();
            let hatch_line = 1.0 - smoothstep(0.0, 0.25, phase) * smoothstep(0.55, 0.3, phase);
            let hatch = 1.0 - darkness * (0.35 + 0.35 * strength) * (1.0 - hatch_line);

            let grain = out[x];
            // Graphite catches on the paper's tooth: darker marks show more grain.
            let ink = stroke.min(hatch);
            let textured = 1.0 - (1.0 - ink) * (0.75 + 0.25 * grain);
            out[x] = (textured * paper.data[i]).clamp(0.0, 1.0);
        }
    });
    gray_to_rgb(&sketch)
}

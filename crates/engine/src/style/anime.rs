//! `anime`: cel-shaded flat colours with clean ink lines, after the real-time abstraction of
//! Winnemöller, Olsen & Gooch 2006 and its flow-based refinement (Kyprianidis & Döllner 2008),
//! made person-aware with the portrait analysis.
//!
//! Abstraction: edge-preserving smoothing (the domain transform, in place of the iterated
//! orientation-aligned bilateral filter), then a much wider pass that gives each region (skin,
//! hair, cloth, wall) one base colour. Shading is the ratio of the smoothed lightness to that
//! base, cut into two or three HARD cel tones (light, shadow, optional dark) per region, so
//! hair and skin read as flat shapes rather than photo texture. Tones scale the base colour, so
//! the hue of every region is the photo's; skin (the face oval and colours like it) keeps the
//! photo's chroma while cloth and background get saturated.
//!
//! Lines: flow-based DoG (σe = 1, k = 1.6, σm = 3, τ = 0.99) on the abstracted lightness (not
//! on the photo, whose texture would ink every hair and pore), multiplied over the colours. In
//! the face no ink falls on skin (wrinkles): only the outline, eyes, brows, lips and nose tip
//! are inked. The background (outside the person mask) is smoothed into broad flat shapes with
//! fewer, fainter lines. Eyes and mouth are drawn from the face mesh at full resolution: white
//! sclera, a dark flat iris with a catch-light, a tapered lash line, teeth kept white when the
//! mouth is open and a clean line between the lips.
//!
//! All smoothing and line detection run on the reduced copy (`WorkScale`); the tone cut, the
//! ink threshold and the features happen per full-size pixel, so edges stay crisp.

use crate::RgbImage;
use crate::filter::directional::smooth_along_orientation;
use crate::filter::domain::domain_transform;
use crate::filter::flow::{difference_of_gaussians, tangent_field};
use crate::filter::regions::{
    FaceMaps, Overlay, bounds, person_on_grid, polygon_area, polygon_coverage, stroke_coverage,
};
use crate::portrait::{Face, FaceRegion, Portrait};
use crate::raster::{Raster, Upsampler, gaussian_blur, luma, rows_to_rgb8, smoothstep};
use crate::style::{Params, StageClock, WorkScale};

const TAU: f32 = 0.99;
/// Values per work pixel handed to the full-size pass: base colour (3), tone ratio, ink.
const PACKED: usize = 5;

pub fn render(image: &RgbImage, portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let work = WorkScale::of(image);
    let s = work.s;
    let (w, h) = (image.width() as usize, image.height() as usize);

    let colours = work.colours(image);
    let (ww, wh) = (colours.w, colours.h);
    let mut person = person_on_grid(&portrait.person, ww, wh, work.factor as usize);
    // A mask with (almost) no person in it is a failed analysis: style it all as subject.
    let covered: f64 = person.data.iter().map(|&v| f64::from(v)).sum();
    if covered < 0.02 * person.data.len() as f64 {
        person.data.fill(1.0);
    }
    let maps = FaceMaps::new(&portrait.faces, ww, wh, work.factor);
    clock.mark("maps");

    // Regions: strong edge-aware smoothing flattens skin and hair, then a wide pass gives
    // each region its base colour, and a wider one still the background's flat shapes.
    let mut flat = colours;
    let rounds = if strength > 0.7 { 3 } else { 2 };
    for _ in 0..rounds {
        let guide = flat.clone();
        domain_transform(&mut flat, &guide, (30.0 + 20.0 * strength) * s, 0.22, 3);
    }
    let mut base = flat.clone();
    domain_transform(&mut base, &flat, 90.0 * s, 0.3, 2);
    clock.mark("abstraction");

    let shade = luma(&flat);
    let shade_fine = gaussian_blur(&shade, 1.5 * s.max(0.5));
    let shade_face = gaussian_blur(&shade, 5.0 * s.max(0.5));
    let base_luma = luma(&base);

    // Lines from the abstracted lightness, and from the photo's inside the features, where
    // the smoothing would blur what must stay drawn.
    let photo_l = work.lightness(image);
    let line_src = Raster::from_rows(ww, wh, 1, |y, out| {
        let (sh, pl, feat) = (shade.row(y), photo_l.row(y), maps.features.row(y));
        for x in 0..ww {
            let f = feat[x].min(1.0);
            out[x] = 100.0 * sh[x] * (1.0 - f) + pl[x] * f;
        }
    });
    let field = tangent_field(&line_src, 2.0 * s);
    let dog = difference_of_gaussians(&line_src, s.max(0.75), 1.6, [1.0, TAU]);
    let dog = smooth_along_orientation(&dog, &field, 3.0 * s);
    clock.mark("lines");

    let skin = skin_colour(&base, &maps.oval);
    let ink_gain = 0.8 + 0.8 * strength;
    let saturation = 1.2 + 0.3 * strength;
    let packed = Raster::from_rows(ww, wh, PACKED, |y, out| {
        let b = base.row(y);
        let (p, oval, inner, feat) = (
            person.row(y),
            maps.oval.row(y),
            maps.interior.row(y),
            maps.features.row(y),
        );
        let (fine, face, bl, d) = (
            shade_fine.row(y),
            shade_face.row(y),
            base_luma.row(y),
            dog.row(y),
        );
        for x in 0..ww {
            let pb = &b[x * 3..x * 3 + 3];
            let pv = p[x];
            // Skin keeps the photo's chroma; cloth, hair and the backdrop get saturated.
            let like_skin = skin.map_or(0.0, |sk| {
                let dist =
                    (pb[0] - sk[0]).powi(2) + (pb[1] - sk[1]).powi(2) + (pb[2] - sk[2]).powi(2);
                (-dist / (2.0 * 0.07 * 0.07)).exp()
            });
            let keep = oval[x].max(like_skin * pv).min(1.0);
            let sat_person = saturation + (1.0 - saturation) * keep;
            let person_c = saturate(pb, sat_person);
            let backdrop_c = saturate(pb, saturation + 0.1);
            let o = &mut out[x * PACKED..(x + 1) * PACKED];
            for ch in 0..3 {
                o[ch] = backdrop_c[ch] + (person_c[ch] - backdrop_c[ch]) * pv;
            }
            // Tone ratio: lightness over the region's base; the face uses a wider blur, so
            // shadows come as broad shapes and wrinkles make none.
            let inner_v = inner[x];
            let lit = fine[x] + (face[x] - fine[x]) * inner_v;
            o[3] = lit / bl[x].max(0.02);
            // Ink: none on the skin of the face (only outline and features), fainter behind.
            let skin_only = inner_v * (1.0 - (feat[x] * 2.0).min(1.0));
            let weight = (1.0 - skin_only) * (0.45 + 0.55 * pv);
            o[4] = -d[x] * ink_gain * weight;
        }
    });
    clock.mark("packed");

    let overlays: Vec<Overlay> = portrait
        .faces
        .iter()
        .filter_map(|f| draw_features(image, f, strength))
        .collect();
    clock.mark("features");

    let tones = Tones::new(strength);
    let up = Upsampler::new(&packed, w, h);
    let out = rows_to_rgb8(
        w,
        h,
        3,
        || vec![0f32; w * PACKED],
        |row, y, out| {
            up.row(y, row);
            for (o, px) in out.chunks_exact_mut(3).zip(row.chunks_exact(PACKED)) {
                let tone = tones.of(px[3]);
                // A dark, anti-aliased line where the flow-smoothed DoG dips below zero.
                let ink = 1.0 - smoothstep(0.0, 2.0, px[4]) * 0.92;
                for ch in 0..3 {
                    o[ch] = (px[ch] * tone * ink).clamp(0.0, 1.0);
                }
            }
            for overlay in &overlays {
                overlay.composite_row(y, out);
            }
        },
    );
    clock.mark("final");
    out
}

/// The cel tone cut: light, shadow and dark levels of the base colour, with hard (two-pixel,
/// anti-aliased) steps between them.
struct Tones {
    light: f32,
    shadow: f32,
    dark: f32,
}

impl Tones {
    /// Ratios of lightness to the region's base where light turns to shadow and to dark.
    const SHADOW_AT: f32 = 0.9;
    const DARK_AT: f32 = 0.68;
    const EDGE: f32 = 0.012;

    fn new(strength: f32) -> Tones {
        Tones {
            light: 1.03 + 0.04 * strength,
            shadow: 0.84 - 0.08 * strength,
            dark: 0.64 - 0.1 * strength,
        }
    }

    #[inline]
    fn of(&self, ratio: f32) -> f32 {
        let to_shadow = smoothstep(
            Self::SHADOW_AT + Self::EDGE,
            Self::SHADOW_AT - Self::EDGE,
            ratio,
        );
        let to_dark = smoothstep(
            Self::DARK_AT + Self::EDGE,
            Self::DARK_AT - Self::EDGE,
            ratio,
        );
        self.light + (self.shadow - self.light) * to_shadow + (self.dark - self.shadow) * to_dark
    }
}

/// Chroma scaled by `k` about the pixel's gray; the hue stays.
#[inline]
fn saturate(px: &[f32], k: f32) -> [f32; 3] {
    let mean = (px[0] + px[1] + px[2]) / 3.0;
    [0, 1, 2].map(|ch| (mean + (px[ch] - mean) * k).max(0.0))
}

/// The mean base colour inside the face ovals (summed in raster order: deterministic), or
/// `None` without a face.
fn skin_colour(base: &Raster, oval: &Raster) -> Option<[f32; 3]> {
    let mut sum = [0f64; 3];
    let mut n = 0f64;
    for (px, &m) in base.data.chunks_exact(3).zip(&oval.data) {
        if m > 0.5 {
            for ch in 0..3 {
                sum[ch] += f64::from(px[ch]);
            }
            n += 1.0;
        }
    }
    (n > 16.0).then(|| sum.map(|v| (v / n) as f32))
}

/// Photo luma (0..1) of pixel `(x, y)`, averaged over its 3×3 neighbourhood.
fn luma_at(image: &RgbImage, x: usize, y: usize) -> f32 {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let raw = image.as_raw();
    let mut sum = 0.0;
    for dy in [-1isize, 0, 1] {
        for dx in [-1isize, 0, 1] {
            let sx = (x as isize + dx).clamp(0, w as isize - 1) as usize;
            let sy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
            let p = &raw[(sy * w + sx) * 3..(sy * w + sx) * 3 + 3];
            sum += 0.2126 * f32::from(p[0]) + 0.7152 * f32::from(p[1]) + 0.0722 * f32::from(p[2]);
        }
    }
    sum / (9.0 * 255.0)
}

fn colour_at(image: &RgbImage, x: usize, y: usize) -> [f32; 3] {
    let w = image.width() as usize;
    let p = &image.as_raw()[(y * w + x) * 3..(y * w + x) * 3 + 3];
    [0, 1, 2].map(|ch| f32::from(p[ch]) / 255.0)
}

/// The photo pixels inside `polygon`, as (x, y, luma).
fn pixels_inside(image: &RgbImage, polygon: &[[f32; 2]]) -> Vec<(usize, usize, f32)> {
    let [x0, y0, x1, y1] = bounds(polygon, 0.0);
    let (w, h) = (image.width() as f32, image.height() as f32);
    let mut out = Vec::new();
    let (ya, yb) = (y0.max(0.0) as usize, (y1.min(h - 1.0)).max(0.0) as usize);
    let (xa, xb) = (x0.max(0.0) as usize, (x1.min(w - 1.0)).max(0.0) as usize);
    for y in ya..=yb {
        for x in xa..=xb {
            if polygon_coverage([x as f32, y as f32], polygon) >= 0.5 {
                out.push((x, y, luma_at(image, x, y)));
            }
        }
    }
    out
}

/// The values at the 20th and 80th percentiles.
fn spread(values: &mut [f32]) -> (f32, f32) {
    values.sort_by(f32::total_cmp);
    let at = |q: f32| values[((values.len() - 1) as f32 * q) as usize];
    (at(0.2), at(0.8))
}

fn mean_colour<'a>(
    image: &RgbImage,
    px: impl Iterator<Item = &'a (usize, usize, f32)>,
) -> Option<[f32; 3]> {
    let mut sum = [0f32; 3];
    let mut n = 0.0;
    for &(x, y, _) in px {
        let c = colour_at(image, x, y);
        for ch in 0..3 {
            sum[ch] += c[ch];
        }
        n += 1.0;
    }
    (n > 0.0).then(|| sum.map(|v| v / n))
}

/// Eyes, brows and mouth drawn clean from the mesh, at full size, on a layer over the face.
fn draw_features(image: &RgbImage, face: &Face, strength: f32) -> Option<Overlay> {
    let oval = face.outline(FaceRegion::Oval)?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let [x0, y0, x1, y1] = bounds(&oval, 4.0);
    let mut layer = Overlay::new(x0, y0, x1, y1, w, h);
    let ink = [0.09, 0.06, 0.06];

    for region in [FaceRegion::RightBrow, FaceRegion::LeftBrow] {
        let Some(brow) = face.outline(region) else {
            continue;
        };
        let mut px = pixels_inside(image, &brow);
        if px.len() < 6 {
            continue;
        }
        let mut l: Vec<f32> = px.iter().map(|p| p.2).collect();
        let (lo, hi) = spread(&mut l);
        let t = 0.5 * (lo + hi);
        px.retain(|p| p.2 <= t);
        let Some(c) = mean_colour(image, px.iter()) else {
            continue;
        };
        // A flat, slightly deepened brow; strength decides how much it covers the photo's.
        let colour = c.map(|v| v * 0.8);
        let alpha = 0.45 + 0.3 * strength;
        layer.paint(bounds(&brow, 1.0), |x, y| {
            let cov = polygon_coverage([x as f32, y as f32], &brow);
            (cov > 0.0).then_some((colour, cov * alpha))
        });
    }

    for region in [FaceRegion::RightEye, FaceRegion::LeftEye] {
        let Some(eye) = face.outline(region) else {
            continue;
        };
        // Outline order: outer corner first, upper lid to the inner corner (index 8), lower
        // lid back.
        let eye_w = (eye[0][0] - eye[8][0]).hypot(eye[0][1] - eye[8][1]);
        if eye_w < 3.0 {
            continue;
        }
        let px = pixels_inside(image, &eye);
        if px.len() >= 8 {
            let mut l: Vec<f32> = px.iter().map(|p| p.2).collect();
            let (lo, hi) = spread(&mut l);
            let open = hi - lo > 0.06;
            let t = 0.5 * (lo + hi);
            let iris_px: Vec<_> = px.iter().filter(|p| p.2 < t).copied().collect();
            let iris = mean_colour(image, iris_px.iter())
                .map(|c| saturate(&c.map(|v| v * 0.5), 1.3))
                .unwrap_or([0.15, 0.1, 0.08]);
            let white = [0.95, 0.94, 0.93];
            if open {
                layer.paint(bounds(&eye, 1.0), |x, y| {
                    let cov = polygon_coverage([x as f32, y as f32], &eye);
                    if cov <= 0.0 {
                        return None;
                    }
                    let k = smoothstep(t - 0.03, t + 0.03, luma_at(image, x, y));
                    let c = [0, 1, 2].map(|ch| iris[ch] + (white[ch] - iris[ch]) * k);
                    Some((c, cov))
                });
                // A catch-light up and outwards of the iris centre.
                let n = iris_px.len().max(1) as f32;
                let cx = iris_px.iter().map(|p| p.0 as f32).sum::<f32>() / n;
                let cy = iris_px.iter().map(|p| p.1 as f32).sum::<f32>() / n;
                let r = 0.075 * eye_w;
                if r >= 0.9 {
                    let (gx, gy) = (cx - 0.09 * eye_w, cy - 0.08 * eye_w);
                    layer.paint(
                        [gx - r - 1.0, gy - r - 1.0, gx + r + 1.0, gy + r + 1.0],
                        |x, y| {
                            let d = (x as f32 - gx).hypot(y as f32 - gy);
                            let cov = (r - d + 0.5).clamp(0.0, 1.0)
                                * polygon_coverage([x as f32, y as f32], &eye);
                            (cov > 0.0).then_some(([1.0, 1.0, 1.0], 0.9 * cov))
                        },
                    );
                }
            }
        }
        // The lash line along the upper lid, thick at the outer corner and tapering inwards;
        // a thin, lighter line under the eye.
        let upper: Vec<[f32; 2]> = eye[0..=8].to_vec();
        let mut lower: Vec<[f32; 2]> = eye[8..].to_vec();
        lower.push(eye[0]);
        let lash = (0.1 + 0.04 * strength) * eye_w;
        let lash = lash.max(1.2);
        layer.paint(bounds(&upper, lash + 1.0), |x, y| {
            let cov = stroke_coverage([x as f32, y as f32], &upper, lash, 0.45 * lash);
            (cov > 0.0).then_some((ink, cov))
        });
        layer.paint(bounds(&lower, lash + 1.0), |x, y| {
            let cov = stroke_coverage([x as f32, y as f32], &lower, 0.35 * lash, 0.3 * lash);
            (cov > 0.0).then_some((ink, 0.45 * cov))
        });
    }

    let mouth = face.outline(FaceRegion::Mouth)?;
    // Mouth outline: lower inner lip from corner 78 (index 0) to corner 308 (index 10), then
    // the upper inner lip back.
    let mouth_w = (mouth[0][0] - mouth[10][0]).hypot(mouth[0][1] - mouth[10][1]);
    if mouth_w >= 4.0 {
        if polygon_area(&mouth) > 0.035 * mouth_w * mouth_w {
            let px = pixels_inside(image, &mouth);
            if px.len() >= 8 {
                let mut l: Vec<f32> = px.iter().map(|p| p.2).collect();
                let (lo, hi) = spread(&mut l);
                let t = 0.5 * (lo + hi);
                let teeth = hi - lo > 0.08;
                let dark = mean_colour(image, px.iter().filter(|p| p.2 <= t))
                    .map(|c| c.map(|v| v * 0.6))
                    .unwrap_or([0.3, 0.1, 0.1]);
                let tooth = [0.97, 0.95, 0.91];
                layer.paint(bounds(&mouth, 1.0), |x, y| {
                    let cov = polygon_coverage([x as f32, y as f32], &mouth);
                    if cov <= 0.0 {
                        return None;
                    }
                    let k = if teeth {
                        smoothstep(t - 0.03, t + 0.03, luma_at(image, x, y))
                    } else {
                        0.0
                    };
                    Some((
                        [0, 1, 2].map(|ch| dark[ch] + (tooth[ch] - dark[ch]) * k),
                        cov,
                    ))
                });
            }
        }
        let mut lip_line: Vec<[f32; 2]> = mouth[10..].to_vec();
        lip_line.push(mouth[0]);
        let width = (0.035 * mouth_w).max(1.0);
        layer.paint(bounds(&lip_line, width + 1.0), |x, y| {
            let cov = stroke_coverage([x as f32, y as f32], &lip_line, width, width);
            (cov > 0.0).then_some(([0.32, 0.12, 0.1], 0.8 * cov))
        });
    }
    Some(layer)
}

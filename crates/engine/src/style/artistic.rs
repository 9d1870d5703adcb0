//! `artistic`: an oil painting in two steps, as a painter works: first the photo is abstracted
//! into flat, edge-respecting patches with the anisotropic Kuwahara filter (Kyprianidis, Kang &
//! Döllner 2009, with the polynomial sector weights of Kyprianidis 2011), then real brush
//! strokes are laid over it along the flow, in layers from large to small (Hertzmann 1998),
//! each stroke lit as a relief of its own bristles.
//!
//! Abstraction: each pixel's neighbourhood is an ellipse stretched along the local edge
//! direction (structure tensor, σt = 2; a = r·clamp((α+A)/α, .1, 2), b = r·clamp(α/(α+A), .1, 2),
//! α = 1) cut into N = 8 overlapping sectors; the output blends the sector means, each weighted
//! by 1/(1 + ‖255·σ_k‖^q) with q = 8, so the flattest sector wins and edges stay sharp. It runs
//! on the reduced copy (`WorkScale`), after the face's skin has been smoothed.
//!
//! Strokes: every layer is a grid of cells with one stroke each, centred at a random point of
//! its cell, turned along the smoothed edge tangent there, coloured with the abstraction at its
//! centre. A stroke exists only where the picture needs its size (`detail`: contours, the
//! person, the face's skin and features; the background keeps the largest brushes), and it is
//! clipped where the abstraction under a pixel differs from its colour (Litwinowicz 1997), so
//! strokes do not cross contours. A pixel shows the topmost stroke of the finest layer that
//! covers it, else the abstraction itself (the underpainting). The stroke's height (a rounded
//! profile, bristle grooves along it, lifted ends) is shaded by a light from the upper left;
//! the grooves come and go along the stroke, are left out where they would be narrower than
//! a few pixels and are shallow on the face's skin, where the paint is blended. A canvas weave
//! shows through thin paint, hardly on the face. Eyes, brows and lips keep a lightly smoothed copy
//! of the photo so they stay clear. Every stroke is a pure function of its cell and the seed,
//! so the output does not depend on how rows are split across threads.

use crate::RgbImage;
use crate::filter::domain::domain_transform;
use crate::filter::flow::tangent_field;
use crate::filter::noise::{Paper, hash, seed32};
use crate::filter::portrait_masks::WorkMasks;
use crate::portrait::Portrait;
use crate::raster::{
    Raster, Upsampler, fract, gaussian_blur, luma, round, rows_to_rgb8, smoothstep,
};
use crate::style::{Params, StageClock, WorkScale};

const SECTORS: usize = 8;
const SHARPNESS_Q: i32 = 8;
const ALPHA: f32 = 1.0;

/// Stroke layers, largest first: cell size (in units of the intensity-scaled feature size) and
/// the `detail` a cell's centre needs for its stroke to be painted. The largest brush paints
/// everywhere (the background keeps it); the person gets the second; contours, skin and
/// features the smaller ones.
const LAYERS: [(f32, f32); 5] = [
    (36.0, -1.0),
    (22.0, 0.25),
    (14.0, 0.45),
    (8.0, 0.7),
    (4.2, 0.9),
];

/// Light direction in the image plane (towards the light: upper left; y grows downwards).
const LIGHT: (f32, f32) = (-0.6, -0.8);

/// One sample point of the unit-disk kernel with its non-zero sector weights.
struct Tap {
    u: f32,
    v: f32,
    sectors: Vec<(usize, f32)>,
}

pub fn render(image: &RgbImage, portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let work = WorkScale::of(image);
    let s = work.s;
    // Stroke and smoothing sizes follow the intensity: 0.55× to 1.45× the default.
    let size = 0.55 + 0.9 * strength;
    let src = work.colours(image);
    let masks = WorkMasks::new(portrait, src.w, src.h, work.factor);
    clock.mark("src");

    // Skin first: wrinkles and pores would otherwise survive as little strokes of their own.
    let base = if masks.has_face {
        let mut smooth = src.clone();
        domain_transform(&mut smooth, &src, 22.0 * s * size, 0.35, 2);
        blend(&src, &smooth, &masks.skin, 1.0)
    } else {
        src
    };
    clock.mark("skin");

    let radius = (9.0 * s * size).clamp(1.5, 16.0);
    let field = tangent_field(&luma(&base), 2.0);
    let taps = kernel_taps(3);
    let painted = kuwahara(&base, &field, &taps, radius);
    clock.mark("kuwahara");
    // Strokes follow a smoother flow than the filter's, as a painter's hand does.
    let flow = tangent_field(&luma(&painted), 4.0 * s.max(0.5));
    let detail = detail_map(&painted, &masks, s);
    clock.mark("flow");

    let (w, h) = (image.width() as usize, image.height() as usize);
    let full_s = s * work.factor;
    let layers: Vec<Layer> = LAYERS
        .iter()
        .enumerate()
        .map(|(i, &(cell, need))| {
            let cell = (cell * full_s * size).max(2.5);
            Layer::new(
                w,
                h,
                cell,
                need,
                &work,
                (&painted, &flow, &detail, &masks.skin),
                seed32(params.seed, 50 + i as u32),
            )
        })
        .collect();
    clock.mark("layers");

    let canvas = Paper::new(w, h, 0.06, seed32(params.seed, 42));
    let weave_period = (3.0 * full_s).max(2.5);
    // The relief stays the same at every intensity: intensity sets sizes, not lighting.
    let relief = 0.15;
    let (under, clear, features, skin) = (
        Upsampler::new(&painted, w, h),
        Upsampler::new(&base, w, h),
        Upsampler::new(&masks.features, w, h),
        Upsampler::new(&masks.skin, w, h),
    );
    let out = rows_to_rgb8(
        w,
        h,
        3,
        || {
            [
                vec![0f32; w],
                vec![0f32; w],
                vec![0f32; w * 3],
                vec![0f32; w * 3],
                vec![0f32; w],
                vec![0f32; w],
            ]
        },
        |[grain, scratch, paint, photo, feature, on_skin], y, out| {
            canvas.fill_row(y, grain, scratch);
            under.row(y, paint);
            clear.row(y, photo);
            features.row(y, feature);
            skin.row(y, on_skin);
            let yf = y as f32 + 0.5;
            let weave_y = triangle(yf / weave_period);
            for x in 0..w {
                let xf = x as f32 + 0.5;
                let local = [paint[x * 3], paint[x * 3 + 1], paint[x * 3 + 2]];
                let hit = layers.iter().rev().find_map(|l| l.hit(xf, yf, &local));
                let weave = triangle(xf / weave_period) * weave_y;
                let (mut colour, thin) = match hit {
                    Some((stroke, u, v)) => {
                        // The relief adds and takes the same amount of light whatever the
                        // paint's value, so strokes read in dark coats and hair as well as in
                        // a bright sky (a relief that scaled the paint vanished in the darks
                        // and spread the lights over many shades); a sheen lifts the ridges
                        // facing the light, as light catches real oil.
                        let light = relief * stroke.lighting(u, v);
                        let sheen = 0.2 * light.max(0.0);
                        let mut c = [0f32; 3];
                        for ch in 0..3 {
                            let paint = stroke.colour[ch] + (local[ch] - stroke.colour[ch]) * 0.1;
                            c[ch] = paint + 0.35 * light + sheen;
                        }
                        (c, 0.35)
                    }
                    None => (local, 1.0),
                };
                let f = feature[x] * 0.75;
                if f > 0.0 {
                    for ch in 0..3 {
                        colour[ch] += (photo[x * 3 + ch] - colour[ch]) * f;
                    }
                }
                // Paint on the face is laid thick and blended: the canvas hardly shows.
                let texture = grain[x] * (1.0 - thin * 0.06 * weave);
                let texture = texture + (1.0 - texture) * 0.7 * on_skin[x].min(1.0);
                let mean = (colour[0] + colour[1] + colour[2]) / 3.0;
                for ch in 0..3 {
                    // A touch more saturation reads as oil paint, not as blur.
                    let c = mean + (colour[ch] - mean) * 1.15;
                    out[x * 3 + ch] = (c * texture).clamp(0.0, 1.0);
                }
            }
        },
    );
    clock.mark("strokes");
    out
}

/// `a + (b − a)·mask·amount`, per pixel.
fn blend(a: &Raster, b: &Raster, mask: &Raster, amount: f32) -> Raster {
    Raster::from_rows(a.w, a.h, a.c, |y, out| {
        let (ra, rb, m) = (a.row(y), b.row(y), mask.row(y));
        for (x, o) in out.chunks_exact_mut(a.c).enumerate() {
            let t = m[x] * amount;
            for (ch, o) in o.iter_mut().enumerate() {
                let i = x * a.c + ch;
                *o = ra[i] + (rb[i] - ra[i]) * t;
            }
        }
    })
}

/// How small the strokes must be around each reduced pixel, 0..1: contours of the abstraction
/// (weaker in the background), the person, the face's skin and its features.
fn detail_map(painted: &Raster, masks: &WorkMasks, s: f32) -> Raster {
    let l = luma(painted);
    let (w, h) = (l.w, l.h);
    let grad = Raster::from_rows(w, h, 1, |y, out| {
        let (up, row, down) = (
            l.row(y.saturating_sub(1)),
            l.row(y),
            l.row((y + 1).min(h - 1)),
        );
        for (x, o) in out.iter_mut().enumerate() {
            let gx = row[(x + 1).min(w - 1)] - row[x.saturating_sub(1)];
            let gy = down[x] - up[x];
            *o = (gx * gx + gy * gy).sqrt();
        }
    });
    // Widen the contours so small strokes cover both sides of them.
    let grad = gaussian_blur(&grad, 1.5 * s.max(0.5));
    Raster::from_rows(w, h, 1, |y, out| {
        let (g, p, sk, f) = (
            grad.row(y),
            masks.person.row(y),
            masks.skin.row(y),
            masks.features.row(y),
        );
        for x in 0..w {
            let person = smoothstep(0.3, 0.7, p[x]);
            let edge = smoothstep(0.03, 0.14, g[x]) * (0.3 + 0.7 * person);
            out[x] = edge.max(0.3 * person).max(0.5 * sk[x]).max(f[x]);
        }
    })
}

/// A symmetric triangle wave of period 1 in 0..1 (the canvas threads).
#[inline]
fn triangle(t: f32) -> f32 {
    (2.0 * fract(t) - 1.0).abs()
}

/// sin(x) by a refined parabola (error below 10⁻³): the bristle grooves need two per pixel.
#[inline]
fn fast_sin(x: f32) -> f32 {
    let t = x * (0.5 / std::f32::consts::PI);
    let t = t - round(t);
    let y = 8.0 * t - 16.0 * t * t.abs();
    0.225 * (y * y.abs() - y) + y
}

/// One brush stroke: where it lies, its colour, and its bristles.
#[derive(Clone, Copy, Default)]
struct Stroke {
    /// Centre in photo pixels.
    x: f32,
    y: f32,
    /// Unit tangent (along the stroke).
    tx: f32,
    ty: f32,
    inv_half_length: f32,
    inv_half_width: f32,
    /// Length over width: converts the along-stroke slope to the across-stroke scale.
    aspect: f32,
    colour: [f32; 3],
    /// Paint order: the highest covering a pixel is on top; 0 = no stroke.
    order: f32,
    /// Bristle groove frequencies and phases across the stroke.
    bristles: [f32; 4],
    /// The two groove sets' depths: none where a groove would be narrower than a few pixels
    /// (on small strokes they only made a regular stipple), shallow on the face's skin, which
    /// a painter blends.
    depths: [f32; 2],
}

impl Stroke {
    /// Stroke-local coordinates of a pixel (u along, v across, both −1..1 inside).
    #[inline]
    fn local(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = (x - self.x, y - self.y);
        (
            (dx * self.tx + dy * self.ty) * self.inv_half_length,
            (dy * self.tx - dx * self.ty) * self.inv_half_width,
        )
    }

    /// The slope of the paint's height towards the light at `(u, v)`: positive where it faces
    /// the light. Height = rounded profile × lifted ends × (1 + bristle grooves).
    #[inline]
    fn lighting(&self, u: f32, v: f32) -> f32 {
        let [f1, p1, f2, p2] = self.bristles;
        let [a1, a2] = self.depths;
        const GROOVES: f32 = 0.07;
        // The bristles' marks come and go along the stroke, as the paint on the brush runs
        // out and the pressure changes: no ruled, even lines.
        let along = 0.6 + 0.4 * fast_sin(2.3 * u + p1 + p2);
        let b = along * (a1 * fast_sin(f1 * v + p1) + a2 * fast_sin(f2 * v + p2));
        let db = along
            * (a1 * f1 * fast_sin(f1 * v + p1 + std::f32::consts::FRAC_PI_2)
                + a2 * f2 * fast_sin(f2 * v + p2 + std::f32::consts::FRAC_PI_2));
        let profile = 1.0 - 0.25 * v * v;
        let u2 = u * u;
        let u6 = u2 * u2 * u2;
        let ends = 1.0 - u6 * u2;
        let grooves = 1.0 + GROOVES * b;
        let dv = ends * (-0.5 * v * grooves + profile * GROOVES * db);
        let du = -0.3 * 8.0 * u6 * u * profile * grooves;
        // Image-plane gradient: du along the tangent (scaled to the width's units), dv across.
        let (nx, ny) = (-self.ty, self.tx);
        let gx = du / self.aspect * self.tx + dv * nx;
        let gy = du / self.aspect * self.ty + dv * ny;
        -(gx * LIGHT.0 + gy * LIGHT.1)
    }
}

/// A grid of strokes of one size, with, per bin of a finer grid, the strokes that may cover
/// it, topmost first: a pixel tests one to three strokes instead of a whole neighbourhood.
struct Layer {
    strokes: Vec<Stroke>,
    inv_bin: f32,
    bw: usize,
    bh: usize,
    /// `starts[b]..starts[b + 1]` indexes `members` for bin `b`.
    starts: Vec<u32>,
    members: Vec<u32>,
    /// How far (sum over channels) the abstraction under a pixel may differ from the stroke's
    /// colour before the stroke is clipped there.
    tolerance: f32,
}

impl Layer {
    fn new(
        w: usize,
        h: usize,
        cell: f32,
        need: f32,
        work: &WorkScale,
        (painted, flow, detail, skin): (&Raster, &Raster, &Raster, &Raster),
        seed: u32,
    ) -> Layer {
        let gw = (w as f32 / cell).ceil().max(1.0) as usize;
        let gh = (h as f32 / cell).ceil().max(1.0) as usize;
        let two_pi = 2.0 * std::f32::consts::PI;
        let mut strokes: Vec<Stroke> = (0..gw * gh)
            .filter_map(|i| {
                let (cx, cy) = ((i % gw) as u32, (i / gw) as u32);
                let r = |k: u32| (hash(cx, cy, seed.wrapping_add(k)) >> 8) as f32 / 16_777_216.0;
                let x = (cx as f32 + r(1)) * cell;
                let y = (cy as f32 + r(2)) * cell;
                let (wx, wy) = work.to_work(x, y);
                if need >= 0.0 && detail.sample_px::<1>(wx, wy)[0] < need {
                    return None;
                }
                let f = flow.sample_px::<3>(wx, wy);
                // A hand-laid stroke strays a little from the flow.
                let jitter = (r(3) - 0.5) * 0.3;
                let (sj, cj) = jitter.sin_cos();
                let n = (f[0] * f[0] + f[1] * f[1]).sqrt().max(1e-6);
                let (fx, fy) = (f[0] / n, f[1] / n);
                let (tx, ty) = (fx * cj - fy * sj, fx * sj + fy * cj);
                // Long strokes where the flow is coherent, shorter dabs where it is not.
                let half_length = cell * (0.9 + 0.6 * f[2] + 0.2 * r(4));
                let half_width = cell * (0.36 + 0.1 * r(5));
                let (f1, f2) = (9.0 + 5.0 * r(7), 21.0 + 9.0 * r(9));
                // A groove's period in pixels: 2π/f of the half width.
                let period = |f: f32| std::f32::consts::TAU / f * half_width;
                let on_skin = 1.0 - 0.8 * skin.sample_px::<1>(wx, wy)[0].clamp(0.0, 1.0);
                let depths = [
                    0.55 * smoothstep(1.5, 3.5, period(f1)) * on_skin,
                    0.45 * smoothstep(1.5, 3.5, period(f2)) * on_skin,
                ];
                Some(Stroke {
                    x,
                    y,
                    tx,
                    ty,
                    inv_half_length: 1.0 / half_length,
                    inv_half_width: 1.0 / half_width,
                    aspect: half_length / half_width,
                    colour: painted.sample_px::<3>(wx, wy),
                    order: 0.001 + r(6),
                    bristles: [f1, two_pi * r(8), f2, two_pi * r(10)],
                    depths,
                })
            })
            .collect();
        // Topmost first, so the first stroke that covers a pixel is the one it shows.
        strokes.sort_by(|a, b| b.order.total_cmp(&a.order));

        let bin = (cell / 3.0).max(4.0);
        let bw = (w as f32 / bin).ceil().max(1.0) as usize;
        let bh = (h as f32 / bin).ceil().max(1.0) as usize;
        // Half the bin's diagonal: a stroke may cover some pixel of a bin only if the bin's
        // centre lies within its rectangle grown by this much.
        let reach = bin * std::f32::consts::FRAC_1_SQRT_2;
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); bw * bh];
        for (i, s) in strokes.iter().enumerate() {
            let (hl, hw) = (1.0 / s.inv_half_length, 1.0 / s.inv_half_width);
            let ex = s.tx.abs() * hl + s.ty.abs() * hw + reach;
            let ey = s.ty.abs() * hl + s.tx.abs() * hw + reach;
            let bx0 = ((s.x - ex) / bin).floor().max(0.0) as usize;
            let by0 = ((s.y - ey) / bin).floor().max(0.0) as usize;
            let bx1 = (((s.x + ex) / bin) as usize).min(bw - 1);
            let by1 = (((s.y + ey) / bin) as usize).min(bh - 1);
            for by in by0..=by1 {
                for bx in bx0..=bx1 {
                    let (px, py) = ((bx as f32 + 0.5) * bin, (by as f32 + 0.5) * bin);
                    let (dx, dy) = (px - s.x, py - s.y);
                    let along = (dx * s.tx + dy * s.ty).abs();
                    let across = (dy * s.tx - dx * s.ty).abs();
                    if along <= hl + reach && across <= hw + reach {
                        lists[by * bw + bx].push(i as u32);
                    }
                }
            }
        }
        let mut starts = Vec::with_capacity(bw * bh + 1);
        let mut members = Vec::new();
        for list in &lists {
            starts.push(members.len() as u32);
            members.extend_from_slice(list);
        }
        starts.push(members.len() as u32);
        Layer {
            strokes,
            inv_bin: 1.0 / bin,
            bw,
            bh,
            starts,
            members,
            tolerance: 0.2 + 0.14 * (cell / 36.0).min(1.0),
        }
    }

    /// The topmost stroke of this layer covering `(x, y)` whose colour is close to `local`
    /// (the abstraction there), with the pixel's stroke-local coordinates.
    #[inline]
    fn hit(&self, x: f32, y: f32, local: &[f32; 3]) -> Option<(&Stroke, f32, f32)> {
        let bx = ((x * self.inv_bin) as usize).min(self.bw - 1);
        let by = ((y * self.inv_bin) as usize).min(self.bh - 1);
        let b = by * self.bw + bx;
        let (from, to) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        for &i in &self.members[from..to] {
            let s = &self.strokes[i as usize];
            let (u, v) = s.local(x, y);
            let u2 = u * u;
            if u2 * u2 + v * v >= 1.0 {
                continue;
            }
            let diff = (s.colour[0] - local[0]).abs()
                + (s.colour[1] - local[1]).abs()
                + (s.colour[2] - local[2]).abs();
            if diff <= self.tolerance {
                return Some((s, u, v));
            }
        }
        None
    }
}

/// Sample points on a grid over the unit disk (`m` steps per radius) with their sector
/// weights: sector k's weight is `max(0, x_k + ζ − η·y_k²)²` in coordinates rotated by
/// `k·2π/N`, times a Gaussian fall-off, then normalised across sectors.
fn kernel_taps(m: usize) -> Vec<Tap> {
    let zeta = 2.0 / SECTORS as f32;
    let half_angle = std::f32::consts::PI / SECTORS as f32;
    let eta = (zeta + half_angle.cos()) / half_angle.sin().powi(2);
    let mut taps = Vec::new();
    let m = m as isize;
    for j in -m..=m {
        for i in -m..=m {
            let (u, v) = (i as f32 / m as f32, j as f32 / m as f32);
            let r2 = u * u + v * v;
            if r2 > 1.0 {
                continue;
            }
            let falloff = (-3.0 * r2).exp();
            let mut weights = [0f32; SECTORS];
            for (k, wk) in weights.iter_mut().enumerate() {
                let angle = k as f32 * 2.0 * std::f32::consts::PI / SECTORS as f32;
                let (sin, cos) = angle.sin_cos();
                let x = u * cos + v * sin;
                let y = -u * sin + v * cos;
                *wk = (x + zeta - eta * y * y).max(0.0).powi(2);
            }
            let total: f32 = weights.iter().sum();
            let sectors = if total > 0.0 {
                weights
                    .iter()
                    .enumerate()
                    .filter(|&(_, &wk)| wk > 0.02 * total)
                    .map(|(k, &wk)| (k, falloff * wk / total))
                    .collect()
            } else {
                // The centre belongs to every sector equally.
                (0..SECTORS)
                    .map(|k| (k, falloff / SECTORS as f32))
                    .collect()
            };
            taps.push(Tap { u, v, sectors });
        }
    }
    taps
}

/// Pixels filtered together: the tap loop runs once per group, and the sector sums of all
/// lanes are updated with the same weight, which the compiler vectorises.
const LANES: usize = 8;

fn kuwahara(src: &Raster, field: &Raster, taps: &[Tap], radius: f32) -> Raster {
    let (w, h) = (src.w, src.h);
    let (wmax, hmax) = ((w - 1) as f32, (h - 1) as f32);
    // Every tap lands somewhere (borders clamp), so a sector's total weight is the same for
    // every pixel: sum it once instead of accumulating it per pixel.
    let mut inv_weight = [0f32; SECTORS];
    for tap in taps {
        for &(k, wt) in &tap.sectors {
            inv_weight[k] += wt;
        }
    }
    inv_weight
        .iter_mut()
        .for_each(|v| *v = if *v > 0.0 { 1.0 / *v } else { 0.0 });

    Raster::from_rows(w, h, 3, |y, out| {
        let frow = field.row(y);
        for x0 in (0..w).step_by(LANES) {
            let n = LANES.min(w - x0);
            // Ellipse axes per lane: `a` along the tangent, `b` across it.
            let mut axes = [[0f32; LANES]; 4];
            for l in 0..n {
                let f = &frow[(x0 + l) * 3..(x0 + l) * 3 + 3];
                let a = radius * ((ALPHA + f[2]) / ALPHA).clamp(0.1, 2.0);
                let b = radius * (ALPHA / (ALPHA + f[2])).clamp(0.1, 2.0);
                axes[0][l] = a * f[0];
                axes[1][l] = a * f[1];
                axes[2][l] = -b * f[1];
                axes[3][l] = b * f[0];
            }
            // Per sector: Σw·r, Σw·g, Σw·b, Σw·r², Σw·g², Σw·b², for each lane.
            let mut acc = [[[0f32; LANES]; 6]; SECTORS];
            let mut px = [[0f32; LANES]; 3];
            let lane_x: [f32; LANES] = std::array::from_fn(|l| (x0 + l.min(n - 1)) as f32);
            let yf = y as f32;
            for tap in taps {
                let mut index = [0usize; LANES];
                for l in 0..LANES {
                    let sx = (lane_x[l] + tap.u * axes[0][l] + tap.v * axes[2][l]).clamp(0.0, wmax);
                    let sy = (yf + tap.u * axes[1][l] + tap.v * axes[3][l]).clamp(0.0, hmax);
                    index[l] = ((sy + 0.5) as u32 * w as u32 + (sx + 0.5) as u32) as usize * 3;
                }
                for l in 0..LANES {
                    let p = index[l];
                    px[0][l] = src.data[p];
                    px[1][l] = src.data[p + 1];
                    px[2][l] = src.data[p + 2];
                }
                for &(k, wt) in &tap.sectors {
                    let sums = &mut acc[k];
                    for ch in 0..3 {
                        for l in 0..LANES {
                            let v = px[ch][l];
                            sums[ch][l] += wt * v;
                            sums[ch + 3][l] += wt * v * v;
                        }
                    }
                }
            }
            for l in 0..n {
                let (mut sum_w, mut sum) = (0f32, [0f32; 3]);
                for (sums, &inv) in acc.iter().zip(&inv_weight) {
                    let mean = [sums[0][l] * inv, sums[1][l] * inv, sums[2][l] * inv];
                    let var = (sums[3][l] * inv - mean[0] * mean[0]).max(0.0)
                        + (sums[4][l] * inv - mean[1] * mean[1]).max(0.0)
                        + (sums[5][l] * inv - mean[2] * mean[2]).max(0.0);
                    // ‖255·σ‖^q with q = 8, from the variance without a square root.
                    let wk = 1.0 / (1.0 + (255.0 * 255.0 * var).powi(SHARPNESS_Q / 2));
                    sum_w += wk;
                    for ch in 0..3 {
                        sum[ch] += wk * mean[ch];
                    }
                }
                let x = x0 + l;
                for ch in 0..3 {
                    out[x * 3 + ch] = if sum_w > 0.0 {
                        sum[ch] / sum_w
                    } else {
                        src.row(y)[x * 3 + ch]
                    };
                }
            }
        }
    })
}

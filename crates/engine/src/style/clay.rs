//! `clay-3d`: the portrait re-shaded as a matte clay sculpture, by image-based relighting (Khan et
//! al. 2006, "Image-based material editing"; Lopez-Moreno et al. 2010) with a shape that comes from
//! the portrait analysis instead of from the photo's luminance.
//!
//! Shape: the person mask is inflated into a rounded height field (Euclidean distance to the
//! silhouette through a quarter-circle profile, smoothed), and the face mesh's 468 depths are
//! interpolated over the face oval (normalised Gaussian splatting) and laid on top, so the nose,
//! cheeks, brows and chin stand out as volumes; inside the face outline the head's form is the
//! mesh's alone, on a level base, with the nod taken out. The features are modelled on top as a
//! sculptor adds them: full lips with the parting pressed in, raised brows, eyeballs under a
//! pressed lid line. Every patch of one palette colour outside the face rises as its own rounded
//! lump, so hair, collar and sleeves read as pieces of clay pressed together, and a faint
//! fractal-noise grain is the surface worked by hand. The hair is scored with strands: the photo's
//! own fine lightness detail there, drawn out along the hair's flow (structure tensor), so the
//! grooves follow how it is combed. Elsewhere no fine luminance detail enters the height: wrinkles
//! and pores dig no grooves. The eye sockets are filled towards their surroundings so eyes do not
//! sink. Without a mask or mesh (an unknown portrait), the height is heavily smoothed,
//! sigmoid-compressed luminance: broad forms only.
//!
//! Albedo: heavy edge-preserving smoothing (domain transform), colours pulled towards a small
//! palette (k-means, deterministic) and saturated, like painted clay, except the skin and the
//! features, which keep about their own saturation (a photo without colour becomes warm grey clay,
//! not grey stone); the face's skin is one colour, and so is every patch of the figure that looks
//! like the same skin (neck, ears, hands: same hue, in light or shadow). The hair is one colour
//! too: the palette colour covering most of the ring around the head, with the palette colours of
//! the same material in light and shadow, so its lit and shadowed locks do not become patches. The
//! eyes keep most of the lightly smoothed photo, brows and lips their colour and a trace of it, so
//! the face reads. Shading: normals from the height field, a soft key light (wrapped Lambert) over
//! a generous ambient, a weak fill, a broad low matte highlight tinted by the clay's own colour
//! (clay, not glossy plastic or metal) and ambient occlusion from the smoothed height in creases;
//! the figure is then exposed (on lightness, hue kept) so the face is about as light as in the
//! photo. The background becomes a softly lit studio backdrop tinted from the photo's background
//! colour, with the figure's soft contact shadow. Everything runs on the reduced copy
//! (`WorkScale`); the final bilinear upsampling is part of the soft look.

use crate::RgbImage;
use crate::filter::directional::smooth_along_orientation;
use crate::filter::domain::domain_transform;
use crate::filter::flow::tangent_field;
use crate::filter::noise::{Fbm, seed32};
use crate::filter::regions::{
    FaceMaps, bounds, distance_inside, person_on_grid, region_plane, splat, wide_blur,
};
use crate::portrait::{Face, FaceRegion, Portrait};
use crate::raster::{Raster, Upsampler, gaussian_blur, luma, rows_to_rgb8, smoothstep};
use crate::style::{Params, StageClock, WorkScale};

/// Palette size of the clustered albedo.
const PALETTE: usize = 10;
/// The saturation gain on skin and the face's features (the rest of the figure gets more).
const SKIN_SATURATION: f32 = 1.05;

pub fn render(image: &RgbImage, portrait: &Portrait, params: &Params) -> RgbImage {
    let clock = StageClock::start();
    let strength = params.intensity();
    let scale = WorkScale::of(image);
    let s = scale.s;
    let work = scale.colours(image);
    let (ww, wh) = (work.w, work.h);
    let person = person_on_grid(&portrait.person, ww, wh, scale.factor as usize);
    let maps = FaceMaps::new(&portrait.faces, ww, wh, scale.factor);
    let mean_person = mean(&person.data);
    // A mask that covers (almost) everything or nothing says nothing about the silhouette.
    let has_figure = mean_person > 0.02 && mean_person < 0.95;
    clock.mark("maps");

    let mut albedo = work.clone();
    for _ in 0..2 {
        let guide = albedo.clone();
        domain_transform(&mut albedo, &guide, (25.0 + 20.0 * strength) * s, 0.16, 3);
    }
    // One colour per region (skin, hair, cloth): the photo's own shading must not survive,
    // the relighting makes the shading.
    let mut regions = albedo.clone();
    domain_transform(&mut regions, &albedo, 80.0 * s, 0.3, 2);
    clock.mark("smooth");
    let (albedo, hair) = clay_albedo(
        &regions,
        &albedo,
        &work,
        &person,
        !has_figure,
        &maps,
        strength,
    );
    clock.mark("albedo");

    // The pieces are cut where the palette's colours meet, before those borders soften.
    let pieces = pieces(&albedo, &maps, 0.035 * (ww.min(wh) as f32), s);
    // Soften the palette's borders: clay colours meet without a pixel step.
    let albedo = gaussian_blur(&albedo, 1.0 * s.max(0.5));
    let mut height = height_field(&albedo, &person, &maps, has_figure, s, strength);
    let texture = Fbm::new(
        ww,
        wh,
        0.012 * ww.min(wh) as f32,
        2,
        seed32(params.seed, 0xc1a7),
    );
    let grain = (0.08 + 0.06 * strength) * 0.012 * ww.min(wh) as f32;
    height.par_rows_mut_with(
        || vec![0f32; ww],
        |row, y, out| {
            texture.fill_row(y, row);
            // The face is the smoothest-worked part of a clay head: a third of the grain there.
            let face = maps.interior.row(y);
            for (((o, &p), &n), &f) in out.iter_mut().zip(pieces.row(y)).zip(row.iter()).zip(face) {
                *o += (0.45 + 0.3 * strength) * p + grain * n * (1.0 - 0.65 * f.min(1.0));
            }
        },
    );
    if hair.data.iter().any(|&v| v > 0.05) {
        let strands = hair_strands(&work, &hair, s);
        let depth = (0.7 + 0.6 * strength) * 0.12 * ww.min(wh) as f32;
        for ((o, &g), &v) in height.data.iter_mut().zip(&strands.data).zip(&hair.data) {
            *o += depth * g * v;
        }
    }
    clock.mark("height");
    let crease = wide_blur(&height, 6.0 * s.max(0.5));
    let backdrop = Backdrop::new(&work, &person, has_figure, s);
    let trace = wide_blur(&regions, 6.0 * s.max(0.5));
    clock.mark("backdrop");

    let lights = Lights::new();
    let edge = if has_figure {
        gaussian_blur(&person, 0.8 * s.max(0.6))
    } else {
        let mut all = Raster::new(ww, wh, 1);
        all.data.fill(1.0);
        all
    };
    let fields = Fields {
        height: &height,
        crease: &crease,
        eyes: &maps.eyes,
        s,
    };
    let exposure = face_exposure(&fields, &lights, &albedo, &work, &maps);

    let lit = Raster::from_rows(ww, wh, 3, |y, out| {
        let p = edge.row(y);
        for x in 0..ww {
            let (light, sheen) = lights.at(&fields, x, y);
            let a = &albedo.data[(y * ww + x) * 3..(y * ww + x) * 3 + 3];
            let bg = backdrop.at(x, y, &trace.data[(y * ww + x) * 3..(y * ww + x) * 3 + 3]);
            let t = (1.0 - light).clamp(0.0, 1.0);
            let body = [0, 1, 2].map(|ch| {
                // Shadows of clay stay warm and saturated (light scatters in the surface).
                let shadow_tint = [1.04, 0.98, 0.94][ch];
                // The sheen takes some of the clay's own colour: matte, never a white glint.
                a[ch] * light * (1.0 + (shadow_tint - 1.0) * t) + 0.07 * sheen * (0.5 + a[ch])
            });
            // Exposed on the lightness, every channel by the same factor: the hue and the
            // relative chroma stay.
            let l = (0.2126 * body[0] + 0.7152 * body[1] + 0.0722 * body[2]).max(1e-4);
            let gain = expose(l, exposure) / l;
            for ch in 0..3 {
                let body = body[ch] * gain;
                out[x * 3 + ch] = (bg[ch] + (body - bg[ch]) * p[x]).clamp(0.0, 1.0);
            }
        }
    });
    clock.mark("light");
    let (w, h) = (image.width() as usize, image.height() as usize);
    let lit = Upsampler::new(&lit, w, h);
    rows_to_rgb8(w, h, 3, || (), |_, y, out| lit.row(y, out))
}

/// The planes the lighting reads, on the work grid.
struct Fields<'a> {
    height: &'a Raster,
    /// The height widely blurred: where the height is below it lies a crease.
    crease: &'a Raster,
    eyes: &'a Raster,
    s: f32,
}

/// Lights in image space (x right, y down, z towards the viewer): a soft key from the upper
/// left (wrapped Lambert), a weak fill from the right and a broad, low highlight.
struct Lights {
    key: [f32; 3],
    fill: [f32; 3],
    half_vector: [f32; 3],
    wrap: f32,
}

impl Lights {
    fn new() -> Lights {
        let key = normalize([-0.5, -0.55, 0.65]);
        Lights {
            key,
            fill: normalize([0.75, 0.15, 0.65]),
            half_vector: normalize([key[0], key[1], key[2] + 1.0]),
            wrap: 0.5,
        }
    }

    /// The light falling on the surface at `(x, y)` (about 0..1.2) and its sheen (0..1).
    #[inline]
    fn at(&self, f: &Fields, x: usize, y: usize) -> (f32, f32) {
        let (w, h) = (f.height.w, f.height.h);
        let up = f.height.row(y.saturating_sub(1));
        let mid = f.height.row(y);
        let down = f.height.row((y + 1).min(h - 1));
        let dzdx = 0.5 * (mid[(x + 1).min(w - 1)] - mid[x.saturating_sub(1)]);
        let dzdy = 0.5 * (down[x] - up[x]);
        let n = normalize([-dzdx, -dzdy, 1.0]);
        let diffuse = ((dot(n, self.key) + self.wrap) / (1.0 + self.wrap)).max(0.0);
        let fill_light = dot(n, self.fill).max(0.0);
        // Broad, low highlight: a matte sheen rather than a plastic glint.
        let sheen = dot(n, self.half_vector).max(0.0).powi(4);
        // Creases (height below its neighbourhood) get less ambient light; never the eyes.
        let eye = f.eyes.data[y * w + x].min(1.0);
        let cavity = ((f.crease.data[y * w + x] - mid[x]) / (3.0 * f.s.max(0.5))).clamp(0.0, 1.0);
        let occlusion = 1.0 - 0.35 * cavity * (1.0 - eye);
        let light = (0.4 * occlusion + 0.62 * diffuse + 0.18 * fill_light)
            .mul_add(1.0 - 0.35 * eye, 0.35 * eye);
        (light, sheen)
    }
}

/// The exposure that gives the lit clay face about the photo's own face lightness (the mean
/// over the faces' interiors, every other pixel of every other row), 1 to 1.6: relit skin
/// comes out darker than a portrait's bright, frontal studio light, and darker skin clay
/// reads as copper or mud. 1 without a meshed face.
fn face_exposure(
    f: &Fields,
    lights: &Lights,
    albedo: &Raster,
    photo: &Raster,
    maps: &FaceMaps,
) -> f32 {
    if maps.meshed.is_empty() {
        return 1.0;
    }
    let lum = |c: &[f32]| 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    let (mut lit, mut want, mut n) = (0f64, 0f64, 0f64);
    let w = albedo.w;
    for y in (0..albedo.h).step_by(2) {
        for x in (0..w).step_by(2) {
            let m = maps.interior.data[y * w + x];
            if m < 0.5 {
                continue;
            }
            let (light, _) = lights.at(f, x, y);
            let i = (y * w + x) * 3;
            lit += f64::from(m * lum(&albedo.data[i..i + 3]) * light);
            want += f64::from(m * lum(&photo.data[i..i + 3]));
            n += f64::from(m);
        }
    }
    if n < 1.0 {
        return 1.0;
    }
    // The gain that takes the lit mean `m` to the photo's `t` through `expose`'s shoulder.
    let (m, t) = ((lit / n).clamp(1e-3, 0.999), (want / n).clamp(1e-3, 0.999));
    ((t * (1.0 - m) / (m * (1.0 - t))) as f32).clamp(1.0, 1.6)
}

/// Exposure `g` with a soft shoulder: dark and middle tones scale by about `g`, white stays
/// white, so brightening the face does not clip the lights.
#[inline]
fn expose(v: f32, g: f32) -> f32 {
    v * g / (1.0 + (g - 1.0) * v.max(0.0))
}

/// Whether the photo has (almost) no colour: its mean distance from grey, on a subsample.
fn colourless(img: &Raster) -> bool {
    let (mut sum, mut n) = (0f64, 0f64);
    for px in img.data.chunks_exact(3).step_by(7) {
        let gray = (px[0] + px[1] + px[2]) / 3.0;
        sum += f64::from((px[0] - gray).abs() + (px[1] - gray).abs() + (px[2] - gray).abs());
        n += 1.0;
    }
    n > 0.0 && sum / n < 0.015
}

fn mean(values: &[f32]) -> f32 {
    // Summed in order in f64: deterministic and exact enough for a mean.
    let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
    (sum / values.len().max(1) as f64) as f32
}

/// The smoothed colours pulled towards a small palette and saturated; features keep more of
/// the lightly smoothed photo. Also returns where the hair is (`hair_map`), which gets one
/// colour here and sculpted strands in the height.
fn clay_albedo(
    regions: &Raster,
    smooth: &Raster,
    photo: &Raster,
    person: &Raster,
    everywhere: bool,
    maps: &FaceMaps,
    strength: f32,
) -> (Raster, Raster) {
    // Without a face mesh nothing says where the features are: keep the lighter smoothing
    // and a gentler palette pull, so eyes, nose and mouth survive the flattening.
    let known = !maps.meshed.is_empty();
    let regions = if known { regions } else { smooth };
    let palette = palette(regions, person, everywhere, PALETTE);
    let skin = face_skin(smooth, maps);
    let tone = skin.as_ref().map(SkinTone::new);
    let (hair, hair_colour) = hair_map(regions, person, &palette, tone.as_ref(), maps);
    let pull = if known {
        0.45 + 0.3 * strength
    } else {
        0.15 + 0.15 * strength
    };
    let saturation = 1.25 + 0.2 * strength;
    let warm = if colourless(photo) {
        [1.06, 1.0, 0.9]
    } else {
        [1.0; 3]
    };
    // The features' paint: the photo smoothed only a little and along its edges, so irises,
    // lids and the lips' line stay crisp.
    let mut detail = photo.clone();
    domain_transform(&mut detail, photo, 5.0, 0.12, 2);
    let albedo = Raster::from_rows(smooth.w, smooth.h, 3, |y, out| {
        let (rg, sm, det, feat) = (
            regions.row(y),
            smooth.row(y),
            detail.row(y),
            maps.features.row(y),
        );
        let inner = maps.interior.row(y);
        let pm = person.row(y);
        let eye = maps.eyes.row(y);
        let hr = hair.row(y);
        for x in 0..smooth.w {
            let px = &rg[x * 3..x * 3 + 3];
            let near = nearest(&palette, px);
            // Eyes, brows and lips: the smoothed photo and some of its detail back (painted
            // features), so the face keeps its expression.
            let f = (feat[x] * 1.5).min(1.0);
            // The eyes keep most of their drawing; lips, brows and the nose only their colour
            // and a trace of it, so wrinkles around them do not come back.
            let detail_weight = 0.2 + 0.65 * eye[x].min(1.0);
            // The face's skin is one colour: its photo shading must not come back.
            let mut on_skin = 0.85 * inner[x] * (1.0 - f);
            let on_hair = 0.85 * hr[x] * (1.0 - f);
            if let Some(tone) = &tone {
                // The neck, ears and hands are the same clay as the face: no mask's edge.
                let close = tone.likeness(px);
                on_skin = on_skin.max(0.75 * close * pm[x] * (1.0 - f));
            }
            let mut c = [0f32; 3];
            for ch in 0..3 {
                let mut flat = px[ch] + (near[ch] - px[ch]) * pull;
                if let Some(sk) = skin {
                    flat += (sk[ch] - flat) * on_skin;
                }
                // The hair is one piece of one colour: its light and dark locks in the
                // photo would become patches; the strands are sculpted instead.
                flat += (hair_colour[ch] - flat) * on_hair;
                let painted = sm[x * 3 + ch] + detail_weight * (det[x * 3 + ch] - sm[x * 3 + ch]);
                c[ch] = flat + (painted - flat) * f;
            }
            let gray = (c[0] + c[1] + c[2]) / 3.0;
            // Skin and the features keep about the photo's own saturation: pushed like the
            // clothes, skin turns orange and old faces look sunburnt.
            let sat =
                saturation + (SKIN_SATURATION - saturation) * on_skin.max(on_hair).max(f).min(1.0);
            for ch in 0..3 {
                // A slight lift: clay is never black. A photo without colour becomes a warm
                // grey clay rather than grey stone.
                let c = (gray + (c[ch] - gray) * sat) * 0.9 + 0.07;
                out[x * 3 + ch] = (c * warm[ch]).clamp(0.0, 1.0);
            }
        }
    });
    (albedo, hair)
}

/// Around and above each meshed face, inside the person and outside the face's outline:
/// an ellipse over the head, along the face's own up direction (chin to brow top, so a
/// tilted head's hair is found too), reaching about half a face above the brow line, a
/// third of a face beyond the cheeks and down to the chin. Feathered, 0..1.
fn head_ring(maps: &FaceMaps, person: &Raster) -> Raster {
    /// The ellipse over one head, in grid pixels: its centre, unit right and up, the
    /// semi-axes along them and the feather outside it.
    struct Head {
        centre: [f32; 2],
        right: [f32; 2],
        up: [f32; 2],
        radii: [f32; 2],
        feather: f32,
    }
    let (w, h) = (person.w, person.h);
    let heads: Vec<Head> = maps
        .meshed
        .iter()
        .filter_map(|face| {
            let oval = face.outline(FaceRegion::Oval)?;
            let [x0, _, x1, _] = bounds(&oval, 0.0);
            let fw = (x1 - x0).max(1.0);
            // Mesh points 10 (top of the brow, on the outline) and 152 (the chin).
            let (top, chin) = (face.mesh[10], face.mesh[152]);
            let up = [top[0] - chin[0], top[1] - chin[1]];
            let fh = up[0].hypot(up[1]).max(1.0);
            let up = [up[0] / fh, up[1] / fh];
            let right = [-up[1], up[0]];
            // A turned head's hair lies behind it: the ellipse moves away from where the nose
            // points (mesh point 1, the tip, against the outline's centre), so a camera or a
            // hand in front of a profile is not taken for hair.
            let mid = [0.5 * (top[0] + chin[0]), 0.5 * (top[1] + chin[1])];
            let nose = face.mesh[1];
            let turn = (nose[0] - mid[0]) * right[0] + (nose[1] - mid[1]) * right[1];
            let centre = [
                top[0] - 0.25 * fh * up[0] - 1.5 * turn * right[0],
                top[1] - 0.25 * fh * up[1] - 1.5 * turn * right[1],
            ];
            Some(Head {
                centre,
                right,
                up,
                radii: [0.8 * fw, 0.7 * fh],
                feather: 0.12 * fw,
            })
        })
        .collect();
    Raster::from_rows(w, h, 1, |y, out| {
        let (p, o) = (person.row(y), maps.oval.row(y));
        for (x, v) in out.iter_mut().enumerate() {
            let mut inside = 0f32;
            for head in &heads {
                let (c, r) = (head.centre, head.radii);
                let d = [x as f32 - c[0], y as f32 - c[1]];
                let u = (d[0] * head.right[0] + d[1] * head.right[1]) / r[0];
                let t = (d[0] * head.up[0] + d[1] * head.up[1]) / r[1];
                // Beyond the ellipse, (radius − 1) × the smaller semi-axis is about the
                // distance to it: a linear fall-off over the feather.
                let beyond = (u.hypot(t) - 1.0).max(0.0) * r[0].min(r[1]);
                inside = inside.max((1.0 - beyond / head.feather.max(1e-3)).max(0.0));
            }
            *v = inside * smoothstep(0.3, 0.7, p[x]) * (1.0 - o[x].min(1.0));
        }
    })
}

/// Where the hair is (0..1) and its one colour. The hair is the palette colour that covers
/// most of the ring around the head (`head_ring`), together with the palette colours of the
/// same material: the same hue (or, for greys, both grey) and a lightness within a factor of
/// about 2.5, so the lit and the shadowed locks are one piece while a black hat over white
/// hair stays two. Skin-like pixels (ears, a bare forehead) are not hair. The colour is the
/// ring's mean over those pixels, summed in raster order: deterministic.
fn hair_map(
    regions: &Raster,
    person: &Raster,
    palette: &[[f32; 3]],
    tone: Option<&SkinTone>,
    maps: &FaceMaps,
) -> (Raster, [f32; 3]) {
    let (w, h) = (regions.w, regions.h);
    if maps.meshed.is_empty() || palette.len() < 2 {
        return (Raster::new(w, h, 1), [0.0; 3]);
    }
    let ring = head_ring(maps, person);
    // Per ring pixel, once and in parallel: its palette colour and how much it can be hair
    // (the ring's weight, less where it looks like skin).
    let candidates = Raster::from_rows(w, h, 2, |y, out| {
        let (rg, rr) = (regions.row(y), ring.row(y));
        for x in 0..w {
            if rr[x] > 0.0 {
                let px = &rg[x * 3..x * 3 + 3];
                out[2 * x] = nearest_index(palette, px) as f32;
                out[2 * x + 1] = rr[x] * (1.0 - tone.map_or(0.0, |t| t.likeness(px)));
            }
        }
    });
    let mut cover = vec![0f64; palette.len()];
    for c in candidates.data.chunks_exact(2) {
        if c[1] > 0.0 {
            cover[c[0] as usize] += f64::from(c[1]);
        }
    }
    let mut dominant = 0;
    for (j, &c) in cover.iter().enumerate() {
        if c > cover[dominant] {
            dominant = j;
        }
    }
    if cover[dominant] < 16.0 {
        return (Raster::new(w, h, 1), [0.0; 3]);
    }
    let same: Vec<bool> = palette
        .iter()
        .map(|c| same_material(c, &palette[dominant]))
        .collect();
    let hair = Raster::from_rows(w, h, 1, |y, out| {
        for (o, c) in out.iter_mut().zip(candidates.row(y).chunks_exact(2)) {
            *o = if c[1] > 0.0 && same[c[0] as usize] {
                c[1]
            } else {
                0.0
            };
        }
    });
    let (mut sum, mut n) = ([0f64; 3], 0f64);
    for (px, &v) in regions.data.chunks_exact(3).zip(&hair.data) {
        for ch in 0..3 {
            sum[ch] += f64::from(px[ch] * v);
        }
        n += f64::from(v);
    }
    if n < 16.0 {
        return (Raster::new(w, h, 1), [0.0; 3]);
    }
    // A soft edge where the hair meets the face, the collar or the backdrop.
    (gaussian_blur(&hair, 1.0), sum.map(|v| (v / n) as f32))
}

/// Sculpted strands for the hair: the photo's own fine lightness detail (its strands and
/// locks) drawn out along the hair's flow (the edge tangents of its lightness), so the
/// grooves follow how the hair is combed, like locks scored into clay with a tool, and a
/// smooth hat or a bald crown gets none. In lightness units (about ±0.1 on strong strands),
/// clamped; computed on the hair's bounding box only, zero elsewhere.
fn hair_strands(photo: &Raster, hair: &Raster, s: f32) -> Raster {
    let (w, h) = (hair.w, hair.h);
    let mut out = Raster::new(w, h, 1);
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for (x, &v) in hair.row(y).iter().enumerate() {
            if v > 0.05 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    let pad = (12.0 * s.max(0.5)) as usize;
    let (x0, y0) = (x0.saturating_sub(pad), y0.saturating_sub(pad));
    let (x1, y1) = ((x1 + pad).min(w), (y1 + pad).min(h));
    if x1 <= x0 + 4 || y1 <= y0 + 4 {
        return out;
    }
    let (cw, ch) = (x1 - x0, y1 - y0);
    let crop = Raster::from_rows(cw, ch, 1, |y, row| {
        let src = photo.row(y0 + y);
        for (x, o) in row.iter_mut().enumerate() {
            let p = &src[(x0 + x) * 3..(x0 + x) * 3 + 3];
            *o = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
        }
    });
    let fine = gaussian_blur(&crop, 1.2 * s.max(0.5));
    let flow = tangent_field(&fine, 4.0 * s.max(0.5));
    // Locks a few pixels wide: the band between strand and lock size.
    let broad = gaussian_blur(&crop, 4.0 * s.max(0.5));
    let detail = Raster::from_rows(cw, ch, 1, |y, row| {
        for ((o, &f), &b) in row.iter_mut().zip(fine.row(y)).zip(broad.row(y)) {
            *o = f - b;
        }
    });
    let streaks = smooth_along_orientation(&detail, &flow, 6.0 * s.max(0.5));
    for y in 0..ch {
        let row = &mut out.data[(y0 + y) * w + x0..(y0 + y) * w + x1];
        for (o, &v) in row.iter_mut().zip(streaks.row(y)) {
            *o = v.clamp(-0.15, 0.15);
        }
    }
    out
}

/// Whether two palette colours look like one material in light and shadow: both nearly
/// grey with lightness within a factor of 1.8, or the same hue (within 25°), a chroma
/// within a factor of 2 and a lightness within a factor of 2.5.
fn same_material(a: &[f32], b: &[f32]) -> bool {
    let (a1, a2, sa) = opponent(a);
    let (b1, b2, sb) = opponent(b);
    let ratio = sa.max(sb) / sa.min(sb).max(1e-3);
    let (ca, cb) = (a1.hypot(a2), b1.hypot(b2));
    if ca < 0.04 && cb < 0.04 {
        return ratio < 1.8;
    }
    if ca < 0.04 || cb < 0.04 {
        return false;
    }
    let angle = (a2.atan2(a1) - b2.atan2(b1)).abs().to_degrees();
    let angle = angle.min(360.0 - angle);
    angle < 25.0 && ca.max(cb) / ca.min(cb) < 2.0 && ratio < 2.5
}

/// The skin's colour: the mean of the lightly smoothed photo inside the faces' interiors,
/// away from the features, over the middle half of those pixels by lightness (so glasses'
/// frames, stray hair and glints do not pull it towards grey), or `None` without a meshed
/// face. Samples in raster order and a stable sort: deterministic. Not the heavily smoothed
/// regions: at their 80-pixel reach the skin has mixed with hair and background.
fn face_skin(smooth: &Raster, maps: &FaceMaps) -> Option<[f32; 3]> {
    let mut samples: Vec<[f32; 3]> = smooth
        .data
        .chunks_exact(3)
        .zip(&maps.interior.data)
        .zip(&maps.features.data)
        .filter(|&((_, &m), &f)| m > 0.5 && f < 0.05)
        .map(|((px, _), _)| [px[0], px[1], px[2]])
        .collect();
    if samples.len() < 16 {
        return None;
    }
    samples.sort_by(|a, b| (a[0] + a[1] + a[2]).total_cmp(&(b[0] + b[1] + b[2])));
    let middle = &samples[samples.len() / 4..samples.len() * 3 / 4];
    let mut sum = [0f64; 3];
    for px in middle {
        for ch in 0..3 {
            sum[ch] += f64::from(px[ch]);
        }
    }
    Some(sum.map(|v| (v / middle.len() as f64) as f32))
}

/// The face's skin colour on the opponent axes of the colour over its sum, computed once, to
/// tell how much another colour looks like the same skin (`likeness`).
struct SkinTone {
    /// Lightness as the sum of the channels.
    sum: f32,
    /// Chroma: the length of the opponent vector.
    chroma: f32,
    /// Hue: the opponent vector's angle, radians.
    hue: f32,
}

impl SkinTone {
    fn new(skin: &[f32; 3]) -> SkinTone {
        let (o1, o2, sum) = opponent(skin);
        SkinTone {
            sum,
            chroma: o1.hypot(o2),
            hue: o2.atan2(o1),
        }
    }

    /// How much `px` looks like the same skin, 0..1: nearly the same hue, a chroma at most
    /// about 1.6 times the skin's (skin in shadow is deeper, hair of a like hue is deeper
    /// still) and a lightness from a third to 1.3 times the skin's. In a photo without colour
    /// every grey has the skin's hue; there lightness decides alone, within a narrow band.
    fn likeness(&self, px: &[f32]) -> f32 {
        let (a1, a2, sum) = opponent(px);
        let ratio = sum / self.sum;
        if self.chroma < 0.03 {
            return 1.0 - smoothstep(0.06, 0.15, (ratio - 1.0).abs());
        }
        let chroma = a1.hypot(a2) / self.chroma;
        let angle = (a2.atan2(a1) - self.hue).abs().to_degrees();
        let angle = angle.min(360.0 - angle);
        let hue = 1.0 - smoothstep(8.0, 16.0, angle);
        let depth = smoothstep(0.3, 0.5, chroma) * (1.0 - smoothstep(1.5, 1.8, chroma));
        let light = smoothstep(0.25, 0.4, ratio) * (1.0 - smoothstep(1.2, 1.4, ratio));
        hue * depth * light
    }
}

/// A colour's two opponent axes (red–green, yellow–blue) of the colour over its sum, and
/// that sum.
fn opponent(c: &[f32]) -> (f32, f32, f32) {
    let t = (c[0] + c[1] + c[2]).max(1e-3);
    let (r, g, b) = (c[0] / t, c[1] / t, c[2] / t);
    (r - g, 0.5 * (r + g) - b, t)
}

/// A `k`-colour palette of `img` (where `person` ≥ 0.5, or everywhere when `everywhere`) by
/// k-means on a regular subsample, initialised at lightness quantiles; sequential sums, so
/// the palette never depends on thread count. Distances weigh lightness less than hue and
/// chroma (`material_distance`), so a lit and a shadowed patch of one material share a colour.
fn palette(img: &Raster, person: &Raster, everywhere: bool, k: usize) -> Vec<[f32; 3]> {
    let step = ((img.w * img.h) as f32 / 20_000.0).sqrt().max(1.0) as usize;
    let mut samples: Vec<[f32; 3]> = Vec::new();
    for y in (0..img.h).step_by(step) {
        for x in (0..img.w).step_by(step) {
            if everywhere || person.data[y * img.w + x] >= 0.5 {
                let i = (y * img.w + x) * 3;
                samples.push([img.data[i], img.data[i + 1], img.data[i + 2]]);
            }
        }
    }
    if samples.len() < k {
        return vec![[0.5; 3]];
    }
    let lum = |c: &[f32; 3]| 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    let mut sorted = samples.clone();
    sorted.sort_by(|a, b| lum(a).total_cmp(&lum(b)));
    let mut centres: Vec<[f32; 3]> = (0..k)
        .map(|i| sorted[((2 * i + 1) * sorted.len() / (2 * k)).min(sorted.len() - 1)])
        .collect();
    for _ in 0..10 {
        let mut sums = vec![[0f64; 4]; k];
        for c in &samples {
            let j = nearest_index(&centres, c);
            for ch in 0..3 {
                sums[j][ch] += f64::from(c[ch]);
            }
            sums[j][3] += 1.0;
        }
        for (centre, sum) in centres.iter_mut().zip(&sums) {
            if sum[3] > 0.0 {
                *centre = [0, 1, 2].map(|ch| (sum[ch] / sum[3]) as f32);
            }
        }
    }
    centres
}

/// Squared distance between two colours as materials: lightness counts a third as much as
/// the two opponent chroma axes.
#[inline]
fn material_distance(a: &[f32], b: &[f32]) -> f32 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let l = (d[0] + d[1] + d[2]) / 3.0;
    let o1 = d[0] - d[1];
    let o2 = 0.5 * (d[0] + d[1]) - d[2];
    0.35 * l * l + o1 * o1 + o2 * o2
}

fn nearest_index(centres: &[[f32; 3]], c: &[f32]) -> usize {
    let mut best = (f32::MAX, 0);
    for (j, p) in centres.iter().enumerate() {
        let d = material_distance(p, c);
        if d < best.0 {
            best = (d, j);
        }
    }
    best.1
}

fn nearest(centres: &[[f32; 3]], c: &[f32]) -> [f32; 3] {
    centres[nearest_index(centres, c)]
}

/// Height in work pixels: the inflated silhouette plus the face mesh's relief, or smoothed
/// luminance when the portrait is unknown.
fn height_field(
    albedo: &Raster,
    person: &Raster,
    maps: &FaceMaps,
    has_figure: bool,
    s: f32,
    strength: f32,
) -> Raster {
    let (w, h) = (person.w, person.h);
    let size = (w.min(h) as f32).max(1.0);
    // Broad forms from lightness, never its fine detail: blurred well past pore and wrinkle
    // size before it enters the height.
    let l = wide_blur(&luma(albedo), 7.0 * s.max(0.5));
    let broad = wide_blur(&l, 25.0 * s.max(0.5));
    let relief = (0.8 + 0.6 * strength) * 0.12 * size;
    let mut height = if has_figure {
        let radius = 0.25 * size;
        // Smoothing the distance before the profile rounds off the ridges along the medial
        // axis (a hard terminator down the middle of the body) but keeps the outline steep.
        let d = distance_inside(person, 0.5);
        let d = wide_blur(&d, 0.03 * size);
        Raster::from_rows(w, h, 1, |y, out| {
            for ((o, &dv), (&lv, &bv)) in out
                .iter_mut()
                .zip(d.row(y))
                .zip(l.row(y).iter().zip(broad.row(y)))
            {
                // Square-root profile: steep at the outline, still curving deep inside, so
                // the whole figure reads as a rounded volume.
                let dome = (dv * radius).sqrt();
                *o = (0.7 + 0.5 * strength) * dome + 0.06 * relief * sigmoid(6.0 * (lv - bv));
            }
        })
    } else {
        Raster::from_rows(w, h, 1, |y, out| {
            for (o, (&lv, &bv)) in out.iter_mut().zip(l.row(y).iter().zip(broad.row(y))) {
                *o = relief * (0.5 * sigmoid(5.0 * (lv - bv)) + 0.5 * bv);
            }
        })
    };
    height = wide_blur(&height, 0.012 * size);

    for face in &maps.meshed {
        let Some(outline) = face.outline(FaceRegion::Oval) else {
            continue;
        };
        let [x0, _, x1, _] = bounds(&outline, 0.0);
        let face_w = (x1 - x0).max(1.0);
        // Depth relative to the outline's: smaller z is nearer, so the nose tip is highest.
        let ring: f32 = FaceRegion::Oval
            .outline()
            .iter()
            .map(|&i| face.mesh[i][2])
            .sum::<f32>()
            / FaceRegion::Oval.outline().len() as f32;
        let (slope, mean_y) = nod(&face.mesh);
        let samples: Vec<[f32; 3]> = face
            .mesh
            .iter()
            .map(|p| {
                let level = slope * (p[1] - mean_y);
                [p[0], p[1], (ring - p[2] + level).max(0.0)]
            })
            .collect();
        let sigma = 0.035 * face_w;
        let (z, _) = splat(&samples, w, h, sigma.max(0.8));
        let z = gaussian_blur(&z, 0.02 * face_w);
        // This face's own outline and interior (the maps hold every face's together: with
        // them, each face's pass would flatten the faces done before it to its base).
        let oval = FaceMaps::oval_of(face, w, h);
        let interior = FaceMaps::interior_of(face, face_w, w, h);
        let fade = wide_blur(&oval, 0.1 * face_w);
        let depth_gain = 0.9 + 0.4 * strength;
        // Inside the outline the head's form is the mesh's alone, on a level base: the
        // silhouette's dome tilts there (the head is a narrow top of the figure), and a tilted
        // face turns away from the light.
        let (mut sum, mut weight) = (0f64, 0f64);
        for (&hv, &f) in height.data.iter().zip(&interior.data) {
            sum += f64::from(hv) * f64::from(f);
            weight += f64::from(f);
        }
        let base = if weight > 1.0 {
            (sum / weight) as f32
        } else {
            0.0
        };
        height.par_rows_mut(|y, out| {
            for ((o, &zv), &f) in out.iter_mut().zip(z.row(y)).zip(fade.row(y)) {
                *o += (base + depth_gain * zv - *o) * f;
            }
        });
    }
    for face in &maps.meshed {
        sculpt_features(&mut height, face, strength);
    }
    // Fill the eye sockets towards their surroundings, so eyes sit in the face, not in holes.
    if !maps.meshed.is_empty() {
        let around = wide_blur(&height, 4.0 * s.max(0.5));
        height.par_rows_mut(|y, out| {
            for ((o, &a), &e) in out.iter_mut().zip(around.row(y)).zip(maps.eyes.row(y)) {
                if a > *o {
                    *o += (a - *o) * e.min(1.0);
                }
            }
        });
    }
    gaussian_blur(&height, 1.2 * s.max(0.5))
}

/// The clay pieces' own relief: every patch of one palette colour rises as a rounded lump
/// over the distance to its border (a quarter-circle profile of `radius` work pixels), so
/// neighbouring colours meet in a crease, like pieces of clay pressed together. Not inside
/// the face, whose form is the mesh's: there the pieces would read as grime.
fn pieces(albedo: &Raster, maps: &FaceMaps, radius: f32, s: f32) -> Raster {
    let (w, h) = (albedo.w, albedo.h);
    let steps = colour_steps(albedo);
    let solid = Raster::from_rows(w, h, 1, |y, out| {
        for (o, &e) in out.iter_mut().zip(steps.row(y)) {
            *o = if e > 0.09 { 0.0 } else { 1.0 };
        }
    });
    let d = distance_inside(&solid, 0.5);
    let radius = radius.max(2.0);
    let lumps = Raster::from_rows(w, h, 1, |y, out| {
        for ((o, &dv), &inner) in out.iter_mut().zip(d.row(y)).zip(maps.oval.row(y)) {
            let t = 1.0 - (dv / radius).min(1.0);
            *o = radius * (1.0 - t * t).sqrt() * (1.0 - inner.min(1.0));
        }
    });
    // A pixel-wide crease, not a cut: the lumps' rims round off.
    gaussian_blur(&lumps, 1.5 * s.max(0.5))
}

/// The nod of the least-squares plane through the mesh's depths, `(∂z/∂y, mean y)` (sums in
/// mesh order, in f64: deterministic). The clay face leaves the nod out, so it looks up into
/// the key light instead of down and away from it; the turn (∂z/∂x) stays, or a face in
/// profile would lose its shape. The plane is fitted in x and y together, so the nod is not
/// confused with a turn.
fn nod(mesh: &[[f32; 3]]) -> (f32, f32) {
    let n = mesh.len().max(1) as f64;
    let mean = |k: usize| mesh.iter().map(|p| f64::from(p[k])).sum::<f64>() / n;
    let (mx, my, mz) = (mean(0), mean(1), mean(2));
    let (mut sxx, mut sxy, mut syy, mut sxz, mut syz) = (0f64, 0f64, 0f64, 0f64, 0f64);
    for p in mesh {
        let (x, y, z) = (
            f64::from(p[0]) - mx,
            f64::from(p[1]) - my,
            f64::from(p[2]) - mz,
        );
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
        sxz += x * z;
        syz += y * z;
    }
    let det = sxx * syy - sxy * sxy;
    if det.abs() < 1e-9 {
        return (0.0, my as f32);
    }
    (((syz * sxx - sxz * sxy) / det) as f32, my as f32)
}

/// The face's features modelled as a sculptor adds them to a clay head: full lips with the
/// parting between them pressed in, brows as raised ridges, eyeballs that bulge slightly
/// under a lid line pressed around the opening. Sizes are fractions of the face's width, so
/// a small face gets small features; the work runs on a crop around the face.
fn sculpt_features(height: &mut Raster, face: &Face, strength: f32) {
    let Some(oval) = face.outline(FaceRegion::Oval) else {
        return;
    };
    let [x0, y0, x1, y1] = bounds(&oval, 0.0);
    let fw = (x1 - x0).max(1.0);
    let margin = 0.15 * fw;
    let cx0 = (x0 - margin).max(0.0) as usize;
    let cy0 = (y0 - margin).max(0.0) as usize;
    let cx1 = ((x1 + margin).ceil() as usize).min(height.w);
    let cy1 = ((y1 + margin).ceil() as usize).min(height.h);
    if cx1 <= cx0 + 2 || cy1 <= cy0 + 2 {
        return;
    }
    let (w, h) = (cx1 - cx0, cy1 - cy0);
    let local = Face {
        mesh: face
            .mesh
            .iter()
            .map(|p| [p[0] - cx0 as f32, p[1] - cy0 as f32, p[2]])
            .collect(),
        ..face.clone()
    };
    let gain = 0.8 + 0.4 * strength;
    // (region, blur as a fraction of the face width, height as a fraction of it)
    let shapes = [
        (FaceRegion::Lips, 0.035, 0.05),
        (FaceRegion::Mouth, 0.008, -0.04),
        (FaceRegion::RightBrow, 0.018, 0.03),
        (FaceRegion::LeftBrow, 0.018, 0.03),
        (FaceRegion::RightEye, 0.04, 0.03),
        (FaceRegion::LeftEye, 0.04, 0.03),
    ];
    let mut relief = Raster::new(w, h, 1);
    for (region, blur, amount) in shapes {
        let plane = region_plane(&local, region, w, h, 0.75, 1.0);
        let bump = gaussian_blur(&plane, (blur * fw).max(0.6));
        let lid = matches!(region, FaceRegion::RightEye | FaceRegion::LeftEye);
        // Just outside the opening: the lid's edge, a narrow groove.
        let ring = lid.then(|| gaussian_blur(&plane, (0.015 * fw).max(0.6)));
        for (i, r) in relief.data.iter_mut().enumerate() {
            *r += amount * fw * gain * bump.data[i];
            if let Some(near) = &ring {
                let outside = (near.data[i] - plane.data[i]).max(0.0);
                *r -= 0.05 * fw * gain * outside;
            }
        }
    }
    for y in 0..h {
        let row = &mut height.data[(cy0 + y) * height.w + cx0..(cy0 + y) * height.w + cx1];
        for (o, &r) in row.iter_mut().zip(relief.row(y)) {
            *o += r;
        }
    }
}

/// Sum over channels of the colour difference to the right and lower neighbours.
fn colour_steps(img: &Raster) -> Raster {
    let (w, h) = (img.w, img.h);
    Raster::from_rows(w, h, 1, |y, out| {
        let row = img.row(y);
        let down = img.row((y + 1).min(h - 1));
        for (x, o) in out.iter_mut().enumerate() {
            let r = (x + 1).min(w - 1);
            let mut step = 0.0;
            for ch in 0..3 {
                step += (row[r * 3 + ch] - row[x * 3 + ch]).abs()
                    + (down[x * 3 + ch] - row[x * 3 + ch]).abs();
            }
            *o = step;
        }
    })
}

#[inline]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// A plain studio backdrop behind the figure: the photo's background colour, softened,
/// lit from the upper left, darker towards the floor and the corners, with the figure's
/// soft shadow cast down and to the right.
struct Backdrop {
    colour: [f32; 3],
    shadow: Raster,
    w: usize,
    h: usize,
}

impl Backdrop {
    fn new(work: &Raster, person: &Raster, has_figure: bool, s: f32) -> Backdrop {
        let (w, h) = (work.w, work.h);
        let mut sum = [0f64; 3];
        let mut n = 0f64;
        for (px, &p) in work.data.chunks_exact(3).zip(&person.data) {
            let wgt = f64::from(1.0 - p);
            for ch in 0..3 {
                sum[ch] += f64::from(px[ch]) * wgt;
            }
            n += wgt;
        }
        let colour = if n > 1.0 {
            sum.map(|v| (v / n) as f32)
        } else {
            [0.6, 0.6, 0.6]
        };
        // Softened and lifted towards a light studio paper, hue kept.
        let gray = (colour[0] + colour[1] + colour[2]) / 3.0;
        let colour = [0, 1, 2].map(|ch| {
            let c = gray + (colour[ch] - gray) * 0.7;
            0.35 + 0.55 * c
        });
        let shadow = if has_figure {
            let blur = wide_blur(person, 10.0 * s.max(0.5));
            let (dx, dy) = ((0.03 * w as f32) as usize, (0.025 * h as f32) as usize);
            Raster::from_rows(w, h, 1, |y, out| {
                let row = blur.row(y.saturating_sub(dy));
                for (x, o) in out.iter_mut().enumerate() {
                    *o = row[x.saturating_sub(dx)];
                }
            })
        } else {
            Raster::new(w, h, 1)
        };
        Backdrop {
            colour,
            shadow,
            w,
            h,
        }
    }

    #[inline]
    fn at(&self, x: usize, y: usize, behind: &[f32]) -> [f32; 3] {
        let u = x as f32 / self.w.max(1) as f32;
        let v = y as f32 / self.h.max(1) as f32;
        // Key from the upper left: brightest there, falling off softly.
        let d2 = (u - 0.3).powi(2) + (v - 0.25).powi(2);
        let light = 1.08 - 0.45 * d2 - 0.12 * smoothstep(0.4, 1.0, v);
        let shade = 1.0 - 0.3 * self.shadow.data[y * self.w + x];
        // A faint, soft-focus trace of what stood behind, so the scene is not erased.
        [0, 1, 2].map(|ch| {
            let c = self.colour[ch] + (0.35 + 0.55 * behind[ch] - self.colour[ch]) * 0.3;
            (c * light * shade).clamp(0.0, 1.0)
        })
    }
}

fn normalize(v: [f32; 3]) -> [f32; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-12);
    [v[0] / n, v[1] / n, v[2] / n]
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

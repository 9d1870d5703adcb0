//! Portrait maps on a style's working grid, for the styles that treat the person, the face and
//! its features apart (anime, clay-3d): the person mask and face-region masks resampled to a
//! reduced grid, the Euclidean distance transform that inflates a silhouette into a height
//! field, the scattered-data interpolation that turns the face mesh's depths into a smooth
//! surface, and a small RGBA overlay on which features (eyes, lash lines, mouth) are drawn at
//! full resolution with anti-aliased polygons and strokes.

use rayon::prelude::*;

use crate::portrait::{Face, FaceRegion, Mask};
use crate::raster::{Raster, Upsampler, gaussian_blur, reduce_raster};

/// The person mask averaged over blocks of `factor × factor` photo pixels (the work grid of
/// `WorkScale`, sizes rounded up).
pub fn person_on_grid(mask: &Mask, w: usize, h: usize, factor: usize) -> Raster {
    let (mw, mh) = (mask.width as usize, mask.height as usize);
    Raster::from_rows(w, h, 1, |y, out| {
        if mask.data.is_empty() {
            out.fill(1.0);
            return;
        }
        let rows = (y * factor).min(mh.saturating_sub(1))..((y + 1) * factor).min(mh);
        for (x, o) in out.iter_mut().enumerate() {
            let cols = (x * factor).min(mw.saturating_sub(1))..((x + 1) * factor).min(mw);
            let (mut sum, mut n) = (0.0, 0usize);
            for sy in rows.clone() {
                for sx in cols.clone() {
                    sum += mask.data[sy * mw + sx];
                    n += 1;
                }
            }
            *o = if n > 0 { sum / n as f32 } else { 1.0 };
        }
    })
}

/// A crop of a grid round one face, for drawing its masks on a face-sized plane instead of
/// the whole grid: the crop's origin and size, and the face in the crop's coordinates.
pub struct FaceCrop {
    pub x0: usize,
    pub y0: usize,
    pub w: usize,
    pub h: usize,
    pub face: Face,
}

impl FaceCrop {
    /// The crop of a `w × h` grid round `face` (already on that grid): its mesh's bounds
    /// grown by `margin` grid pixels (at least the widest feather a mask is drawn with, plus
    /// one), clamped to the grid; `None` when nothing of it lies on the grid.
    pub fn new(face: &Face, margin: f32, w: usize, h: usize) -> Option<FaceCrop> {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in &face.mesh {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        let cx0 = (x0 - margin).floor().clamp(0.0, w as f32) as usize;
        let cy0 = (y0 - margin).floor().clamp(0.0, h as f32) as usize;
        let cx1 = ((x1 + margin).ceil().max(0.0) as usize + 1).min(w);
        let cy1 = ((y1 + margin).ceil().max(0.0) as usize + 1).min(h);
        if cx1 <= cx0 || cy1 <= cy0 {
            return None;
        }
        let (ox, oy) = (cx0 as f32, cy0 as f32);
        let face = Face {
            mesh: face
                .mesh
                .iter()
                .map(|p| [p[0] - ox, p[1] - oy, p[2]])
                .collect(),
            ..face.clone()
        };
        Some(FaceCrop {
            x0: cx0,
            y0: cy0,
            w: cx1 - cx0,
            h: cy1 - cy0,
            face,
        })
    }

    /// One region's mask on the crop (`Face::region_mask`).
    pub fn region_mask(&self, region: FaceRegion, feather: f32) -> Mask {
        self.face
            .region_mask(region, self.w as u32, self.h as u32, feather)
    }

    /// Raises the grid plane `dst` (rows of `grid_w`) to the crop plane `src` where it is
    /// higher.
    pub fn max_into(&self, dst: &mut [f32], grid_w: usize, src: &[f32]) {
        for y in 0..self.h {
            let at = (self.y0 + y) * grid_w + self.x0;
            for (d, &v) in dst[at..at + self.w]
                .iter_mut()
                .zip(&src[y * self.w..(y + 1) * self.w])
            {
                *d = d.max(v);
            }
        }
    }
}

/// A face's mesh mapped onto a grid `factor` times smaller (pixel centres aligned; depth scaled
/// like the positions, so heights stay in grid pixels).
pub fn face_on_grid(face: &Face, factor: f32) -> Face {
    let inv = 1.0 / factor;
    let mut f = face.clone();
    for p in &mut f.mesh {
        *p = [
            (p[0] + 0.5) * inv - 0.5,
            (p[1] + 0.5) * inv - 0.5,
            p[2] * inv,
        ];
    }
    for k in &mut f.keypoints {
        *k = [(k[0] + 0.5) * inv - 0.5, (k[1] + 0.5) * inv - 0.5];
    }
    f
}

/// `region` of `face` (already on the grid) as a `w × h` plane, feathered over `feather`
/// grid pixels outside the outline; `shrink` < 1 pulls the outline towards its centroid first
/// (an eroded region).
pub fn region_plane(
    face: &Face,
    region: FaceRegion,
    w: usize,
    h: usize,
    feather: f32,
    shrink: f32,
) -> Raster {
    let mut mask = Mask::filled(w as u32, h as u32, 0.0);
    if let Some(outline) = face.outline(region) {
        mask.fill_polygon(&shrink_polygon(&outline, shrink), feather);
    }
    Raster {
        w,
        h,
        c: 1,
        data: mask.data,
    }
}

/// The polygon scaled by `k` about its centroid.
pub fn shrink_polygon(polygon: &[[f32; 2]], k: f32) -> Vec<[f32; 2]> {
    let n = polygon.len().max(1) as f32;
    let cx = polygon.iter().map(|p| p[0]).sum::<f32>() / n;
    let cy = polygon.iter().map(|p| p[1]).sum::<f32>() / n;
    polygon
        .iter()
        .map(|p| [cx + (p[0] - cx) * k, cy + (p[1] - cy) * k])
        .collect()
}

/// Area of a polygon (shoelace), in square pixels.
pub fn polygon_area(polygon: &[[f32; 2]]) -> f32 {
    let mut a = 0.0;
    let mut j = polygon.len().wrapping_sub(1);
    for i in 0..polygon.len() {
        a += polygon[j][0] * polygon[i][1] - polygon[i][0] * polygon[j][1];
        j = i;
    }
    (0.5 * a).abs()
}

/// Where the faces and their features are on a work grid, each plane 0..1 and the maximum
/// over all faces.
pub struct FaceMaps {
    /// Inside the face outline (feathered by a grid pixel or two).
    pub oval: Raster,
    /// The oval shrunk to 88% about its centre, feathered: the skin away from the outline.
    pub interior: Raster,
    /// Eyes, brows, lips and the nose tip, widened by a margin: where the face's drawing is.
    pub features: Raster,
    /// The eyes alone, widened by about half an eye.
    pub eyes: Raster,
    /// The faces with a mesh, mapped onto the grid.
    pub meshed: Vec<Face>,
}

impl FaceMaps {
    /// Builds the maps on a `w × h` grid `factor` times smaller than the photo. A face without
    /// a mesh counts as an ellipse inside its box, with no features.
    pub fn new(faces: &[Face], w: usize, h: usize, factor: f32) -> FaceMaps {
        let mut maps = FaceMaps {
            oval: Raster::new(w, h, 1),
            interior: Raster::new(w, h, 1),
            features: Raster::new(w, h, 1),
            eyes: Raster::new(w, h, 1),
            meshed: Vec::new(),
        };
        for face in faces {
            let f = face_on_grid(face, factor);
            if f.mesh.len() < 468 {
                let b = &face.bbox;
                let inv = 1.0 / factor;
                let (cx, cy) = (
                    (b.x as f32 + 0.5 * b.width as f32) * inv,
                    (b.y as f32 + 0.55 * b.height as f32) * inv,
                );
                let (rx, ry) = (0.5 * b.width as f32 * inv, 0.62 * b.height as f32 * inv);
                let ellipse: Vec<[f32; 2]> = (0..32)
                    .map(|i| {
                        let t = i as f32 * std::f32::consts::TAU / 32.0;
                        [cx + rx * t.cos(), cy + ry * t.sin()]
                    })
                    .collect();
                let mut m = Mask::filled(w as u32, h as u32, 0.0);
                m.fill_polygon(&ellipse, 0.15 * rx);
                max_into(&mut maps.oval, &m.data);
                continue;
            }
            let Some(oval) = f.outline(FaceRegion::Oval) else {
                continue;
            };
            let [x0, _, x1, _] = bounds(&oval, 0.0);
            let face_w = (x1 - x0).max(1.0);
            max_into(&mut maps.oval, &FaceMaps::oval_of(&f, w, h).data);
            max_into(
                &mut maps.interior,
                &FaceMaps::interior_of(&f, face_w, w, h).data,
            );
            for region in [FaceRegion::RightEye, FaceRegion::LeftEye] {
                let plane = region_plane(&f, region, w, h, 0.14 * face_w, 1.0);
                max_into(&mut maps.eyes, &plane.data);
                max_into(&mut maps.features, &plane.data);
            }
            for region in [
                FaceRegion::RightBrow,
                FaceRegion::LeftBrow,
                FaceRegion::Lips,
            ] {
                let plane = region_plane(&f, region, w, h, 0.06 * face_w, 1.0);
                max_into(&mut maps.features, &plane.data);
            }
            // The nose tip and nostrils: a small disc under mesh point 1 (the tip).
            let tip = f.mesh[1];
            let under = f.mesh[2];
            let c = [0.5 * (tip[0] + under[0]), 0.5 * (tip[1] + under[1])];
            let r = 0.11 * face_w;
            let disc: Vec<[f32; 2]> = (0..16)
                .map(|i| {
                    let t = i as f32 * std::f32::consts::TAU / 16.0;
                    [c[0] + r * t.cos(), c[1] + 0.6 * r * t.sin()]
                })
                .collect();
            let mut m = Mask::filled(w as u32, h as u32, 0.0);
            m.fill_polygon(&disc, 0.5 * r);
            max_into(&mut maps.features, &m.data);
            maps.meshed.push(f);
        }
        maps
    }

    /// One face's `oval` (the face on the grid, with a mesh).
    pub fn oval_of(face: &Face, w: usize, h: usize) -> Raster {
        region_plane(face, FaceRegion::Oval, w, h, 1.5, 1.0)
    }

    /// One face's `interior`; `face_w` is the width of its outline.
    pub fn interior_of(face: &Face, face_w: f32, w: usize, h: usize) -> Raster {
        region_plane(face, FaceRegion::Oval, w, h, 0.06 * face_w, 0.86)
    }
}

fn max_into(dst: &mut Raster, src: &[f32]) {
    for (d, &s) in dst.data.iter_mut().zip(src) {
        *d = d.max(s);
    }
}

/// A wide Gaussian blur of a smooth field, computed on a reduced copy: the plane is averaged
/// down by powers of two until σ is a few reduced pixels, blurred there and sampled back up
/// bilinearly. For the height fields and shadows, whose detail is far coarser than a pixel.
pub fn wide_blur(src: &Raster, sigma: f32) -> Raster {
    let mut levels = 0u32;
    while sigma / f32::powi(2.0, levels as i32 + 1) >= 3.0 && levels < 4 {
        levels += 1;
    }
    if levels == 0 {
        return gaussian_blur(src, sigma);
    }
    let small = reduce_raster(src, levels);
    let blurred = gaussian_blur(&small, sigma / f32::powi(2.0, levels as i32));
    let up = Upsampler::new(&blurred, src.w, src.h);
    Raster::from_rows(src.w, src.h, src.c, |y, out| up.row(y, out))
}

/// Euclidean distance (in pixels) from every pixel where `mask ≥ threshold` to the nearest
/// pixel below it; 0 outside. Beyond the image border counts as inside, so a body cut by the
/// frame stays full there. Felzenszwalb & Huttenlocher's exact transform: rows, then columns.
pub fn distance_inside(mask: &Raster, threshold: f32) -> Raster {
    let (w, h) = (mask.w, mask.h);
    let far = ((w * w + h * h) as f32) * 4.0 + 1.0;
    let mut rows = Raster::from_rows_with(
        w,
        h,
        1,
        || Envelope::new(w.max(h)),
        |env, y, out| {
            for (o, &m) in out.iter_mut().zip(mask.row(y)) {
                *o = if m >= threshold { far } else { 0.0 };
            }
            env.transform(out);
        },
    );
    // Columns: transpose into column-major scratch, transform, and write back.
    let mut cols = vec![0f32; w * h];
    cols.par_chunks_mut(h.max(1)).enumerate().for_each_init(
        || Envelope::new(w.max(h)),
        |env, (x, col)| {
            for (y, v) in col.iter_mut().enumerate() {
                *v = rows.data[y * w + x];
            }
            env.transform(col);
        },
    );
    rows.par_rows_mut(|y, out| {
        for (x, o) in out.iter_mut().enumerate() {
            *o = cols[x * h + y].min(far).sqrt();
        }
    });
    rows
}

/// Scratch for the 1-D squared-distance transform (lower envelope of parabolas).
struct Envelope {
    v: Vec<usize>,
    z: Vec<f32>,
    d: Vec<f32>,
}

impl Envelope {
    fn new(n: usize) -> Envelope {
        Envelope {
            v: vec![0; n],
            z: vec![0.0; n + 1],
            d: vec![0.0; n],
        }
    }

    /// In place: f[q] ← min_p (q − p)² + f[p].
    fn transform(&mut self, f: &mut [f32]) {
        let n = f.len();
        if n == 0 {
            return;
        }
        let (v, z, d) = (&mut self.v, &mut self.z, &mut self.d);
        let mut k = 0usize;
        v[0] = 0;
        z[0] = f32::NEG_INFINITY;
        z[1] = f32::INFINITY;
        for q in 1..n {
            loop {
                let p = v[k];
                let s = ((f[q] + (q * q) as f32) - (f[p] + (p * p) as f32))
                    / (2.0 * (q as f32 - p as f32));
                if s <= z[k] && k > 0 {
                    k -= 1;
                    continue;
                }
                if s <= z[k] {
                    // k == 0 and the new parabola dominates from the start.
                    v[0] = q;
                    z[0] = f32::NEG_INFINITY;
                    z[1] = f32::INFINITY;
                    break;
                }
                k += 1;
                v[k] = q;
                z[k] = s;
                z[k + 1] = f32::INFINITY;
                break;
            }
        }
        k = 0;
        for (q, dq) in d.iter_mut().enumerate().take(n) {
            while z[k + 1] < q as f32 {
                k += 1;
            }
            let p = v[k];
            let dx = q as f32 - p as f32;
            *dq = dx * dx + f[p];
        }
        f.copy_from_slice(&d[..n]);
    }
}

/// Interpolates scattered `(x, y, value)` samples over a `w × h` grid by normalised Gaussian
/// splatting: Σ g·value / Σ g with g a Gaussian of `sigma` around each sample (cut at 3σ).
/// Returns the interpolated plane and the weight plane Σ g (near 0 far from every sample).
/// Samples are added in order on one thread, so the result never depends on thread count.
pub fn splat(samples: &[[f32; 3]], w: usize, h: usize, sigma: f32) -> (Raster, Raster) {
    let mut value = Raster::new(w, h, 1);
    let mut weight = Raster::new(w, h, 1);
    let sigma = sigma.max(0.5);
    let r = (3.0 * sigma).ceil() as isize;
    let inv = -0.5 / (sigma * sigma);
    for s in samples {
        if !(s[0].is_finite() && s[1].is_finite() && s[2].is_finite()) {
            continue;
        }
        let (cx, cy) = (s[0].round() as isize, s[1].round() as isize);
        for y in (cy - r).max(0)..=(cy + r).min(h as isize - 1) {
            let dy = y as f32 - s[1];
            for x in (cx - r).max(0)..=(cx + r).min(w as isize - 1) {
                let dx = x as f32 - s[0];
                let g = ((dx * dx + dy * dy) * inv).exp();
                let i = y as usize * w + x as usize;
                value.data[i] += g * s[2];
                weight.data[i] += g;
            }
        }
    }
    value.par_rows_mut(|y, out| {
        for (o, &g) in out.iter_mut().zip(weight.row(y)) {
            *o = if g > 1e-6 { *o / g } else { 0.0 };
        }
    });
    (value, weight)
}

/// A full-resolution RGBA layer over a window of the photo, on which features are painted
/// (straight alpha, `over` compositing) and then laid over the styled pixels.
pub struct Overlay {
    pub x0: usize,
    pub y0: usize,
    pub w: usize,
    pub h: usize,
    /// Interleaved r, g, b, a in 0..1.
    pub data: Vec<f32>,
}

impl Overlay {
    /// An empty layer over the window `[x0, x1) × [y0, y1)` clamped to `width × height`.
    pub fn new(x0: f32, y0: f32, x1: f32, y1: f32, width: usize, height: usize) -> Overlay {
        let cx = |v: f32| (v.max(0.0) as usize).min(width);
        let cy = |v: f32| (v.max(0.0) as usize).min(height);
        let (x0, x1, y0, y1) = (cx(x0), cx(x1.ceil()), cy(y0), cy(y1.ceil()));
        let (w, h) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
        Overlay {
            x0,
            y0,
            w,
            h,
            data: vec![0.0; w * h * 4],
        }
    }

    /// Paints `colour` with opacity `alpha · coverage(x, y)` over the layer, for photo pixels
    /// `(x, y)` in the box `[bx0, bx1] × [by0, by1]`.
    pub fn paint(
        &mut self,
        bounds: [f32; 4],
        mut coverage: impl FnMut(usize, usize) -> Option<([f32; 3], f32)>,
    ) {
        let [bx0, by0, bx1, by1] = bounds;
        let lo_x = (bx0.floor().max(self.x0 as f32) as usize).max(self.x0);
        let lo_y = (by0.floor().max(self.y0 as f32) as usize).max(self.y0);
        let hi_x = (bx1.ceil().max(0.0) as usize + 1).min(self.x0 + self.w);
        let hi_y = (by1.ceil().max(0.0) as usize + 1).min(self.y0 + self.h);
        for y in lo_y..hi_y {
            for x in lo_x..hi_x {
                let Some((c, a)) = coverage(x, y) else {
                    continue;
                };
                let a = a.clamp(0.0, 1.0);
                if a <= 0.0 {
                    continue;
                }
                let i = ((y - self.y0) * self.w + (x - self.x0)) * 4;
                let px = &mut self.data[i..i + 4];
                let out_a = a + px[3] * (1.0 - a);
                for ch in 0..3 {
                    px[ch] = (c[ch] * a + px[ch] * px[3] * (1.0 - a)) / out_a.max(1e-6);
                }
                px[3] = out_a;
            }
        }
    }

    /// Lays the layer over one output row (`c` = 3 interleaved channels) of photo row `y`.
    pub fn composite_row(&self, y: usize, out: &mut [f32]) {
        if y < self.y0 || y >= self.y0 + self.h {
            return;
        }
        let src = &self.data[(y - self.y0) * self.w * 4..(y - self.y0 + 1) * self.w * 4];
        for (x, px) in src.chunks_exact(4).enumerate() {
            let a = px[3];
            if a > 0.0 {
                let o = &mut out[(self.x0 + x) * 3..(self.x0 + x) * 3 + 3];
                for ch in 0..3 {
                    o[ch] += (px[ch] - o[ch]) * a;
                }
            }
        }
    }
}

/// Anti-aliased coverage of pixel centre `p` by a stroke along `line` whose width goes from
/// `w0` at the first point to `w1` at the last: 1 well inside, 0 beyond half the width.
pub fn stroke_coverage(p: [f32; 2], line: &[[f32; 2]], w0: f32, w1: f32) -> f32 {
    let total: f32 = line
        .windows(2)
        .map(|s| (s[1][0] - s[0][0]).hypot(s[1][1] - s[0][1]))
        .sum::<f32>()
        .max(1e-6);
    let mut along = 0.0;
    let mut best = 0f32;
    for s in line.windows(2) {
        let (a, b) = (s[0], s[1]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d = (a[0] + t * dx - p[0]).hypot(a[1] + t * dy - p[1]);
        let u = (along + t * len2.sqrt()) / total;
        // Taper to a point over the last tenth at both ends, like a drawn line.
        let taper = (u / 0.12).min((1.0 - u) / 0.12).clamp(0.25, 1.0);
        let half = 0.5 * (w0 + (w1 - w0) * u) * taper;
        best = best.max((half - d + 0.5).clamp(0.0, 1.0));
        along += len2.sqrt();
    }
    best
}

/// Anti-aliased coverage of pixel centre `p` by a closed polygon: 1 more than half a pixel
/// inside the outline, 0 more than half a pixel outside, linear in between.
pub fn polygon_coverage(p: [f32; 2], polygon: &[[f32; 2]]) -> f32 {
    if polygon.len() < 3 {
        return 0.0;
    }
    let mut inside = false;
    let mut best = f32::MAX;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (a, b) = (polygon[j], polygon[i]);
        if (a[1] > p[1]) != (b[1] > p[1])
            && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
        {
            inside = !inside;
        }
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        best = best.min((a[0] + t * dx - p[0]).hypot(a[1] + t * dy - p[1]));
        j = i;
    }
    if inside {
        (0.5 + best).min(1.0)
    } else {
        (0.5 - best).max(0.0)
    }
}

/// Bounding box `[x0, y0, x1, y1]` of points, grown by `margin`.
pub fn bounds(points: &[[f32; 2]], margin: f32) -> [f32; 4] {
    let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for p in points {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    [b[0] - margin, b[1] - margin, b[2] + margin, b[3] + margin]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_grows_from_the_outline_inwards() {
        let (w, h) = (40, 30);
        let mut m = Raster::new(w, h, 1);
        for y in 5..25 {
            for x in 10..30 {
                m.data[y * w + x] = 1.0;
            }
        }
        let d = distance_inside(&m, 0.5);
        assert_eq!(d.data[15 * w + 5], 0.0);
        assert!((d.data[15 * w + 10] - 1.0).abs() < 1e-4);
        assert!(
            (d.data[15 * w + 19] - 10.0).abs() < 1e-4,
            "{}",
            d.data[15 * w + 19]
        );
        assert!((d.data[6 * w + 20] - 2.0).abs() < 1e-4);
    }

    #[test]
    fn splatting_interpolates_between_samples() {
        let samples = [[5.0, 5.0, 1.0], [15.0, 5.0, 3.0]];
        let (v, g) = splat(&samples, 21, 11, 3.0);
        assert!((v.data[5 * 21 + 5] - 1.0).abs() < 0.05);
        assert!((v.data[5 * 21 + 10] - 2.0).abs() < 1e-3);
        assert!(g.data[5 * 21 + 10] > 0.1);
    }

    #[test]
    fn a_stroke_covers_its_centre_line_and_not_far_from_it() {
        let line = [[0.0, 5.0], [20.0, 5.0]];
        assert!(stroke_coverage([10.0, 5.0], &line, 3.0, 3.0) > 0.99);
        assert_eq!(stroke_coverage([10.0, 9.0], &line, 3.0, 3.0), 0.0);
    }
}

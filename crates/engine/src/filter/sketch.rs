//! Portrait guides for the two pencil styles (`rough-sketch`, `detailed-sketch`): the person
//! mask and the face's skin, eye and feature masks on a style's working grid, and the clean
//! feature lines (eyelids, the parting of the lips) drawn from the 468-point face mesh.
//!
//! Pencil artists draw eyes and mouths with a few deliberate lines and leave skin mostly
//! paper; edge detectors do the opposite (starbursts at the lashes, every wrinkle inked), so
//! the styles damp their strokes with these masks and draw the features from the landmarks.

use crate::filter::regions::{FaceCrop, face_on_grid};
use crate::portrait::{Face, FaceRegion, Portrait};
use crate::raster::{Raster, reduce_slice, smoothstep};

/// Masks on a reduced grid (`2^levels` photo pixels per cell), values 0..1.
pub struct SketchGuides {
    /// Probability of the person (all 1 when the analysis knows nothing).
    pub person: Raster,
    /// Face skin: inside the face oval, outside the eyes, brows and lips.
    pub skin: Raster,
    /// Both eyes, feathered.
    pub eyes: Raster,
    /// Eyes, brows and lips, feathered.
    pub features: Raster,
}

impl SketchGuides {
    /// The guides of `portrait` on the grid of a photo reduced `levels` times (the grid of
    /// `reduce_raster` / `WorkScale`), `w × h` cells.
    pub fn new(portrait: &Portrait, levels: u32, w: usize, h: usize) -> SketchGuides {
        let mask = &portrait.person;
        let (mw, mh) = (mask.width as usize, mask.height as usize);
        let mut person = if mask.data.len() == mw * mh {
            reduce_slice(&mask.data, mw, mh, 1, levels)
        } else {
            Raster::new(0, 0, 1)
        };
        if person.w != w || person.h != h {
            person = Raster::new(w, h, 1);
            person.data.fill(1.0);
        }
        let factor = (1u32 << levels) as f32;
        let (mut skin, mut eyes, mut features) = (
            Raster::new(w, h, 1),
            Raster::new(w, h, 1),
            Raster::new(w, h, 1),
        );
        let mut has_face = false;
        for face in portrait.faces.iter().filter(|f| f.mesh.len() >= 468) {
            has_face = true;
            let size = face_width(face) / factor;
            // The masks are drawn on a crop round the face, not on the whole grid: a few
            // face-sized planes instead of a dozen grid-sized ones per face.
            let Some(crop) = FaceCrop::new(&face_on_grid(face, factor), 0.05 * size + 2.0, w, h)
            else {
                continue;
            };
            let oval = crop.region_mask(FaceRegion::Oval, 0.0);
            let mut eye = crop.region_mask(FaceRegion::RightEye, 0.05 * size);
            let left = crop.region_mask(FaceRegion::LeftEye, 0.05 * size);
            max_into(&mut eye.data, &left.data);
            let mut feature = eye.clone();
            for region in [
                FaceRegion::RightBrow,
                FaceRegion::LeftBrow,
                FaceRegion::Lips,
            ] {
                let m = crop.region_mask(region, 0.04 * size);
                max_into(&mut feature.data, &m.data);
            }
            crop.max_into(&mut eyes.data, w, &eye.data);
            crop.max_into(&mut features.data, w, &feature.data);
            let face_skin: Vec<f32> = oval
                .data
                .iter()
                .zip(&feature.data)
                .map(|(&o, &f)| (o - f).max(0.0))
                .collect();
            crop.max_into(&mut skin.data, w, &face_skin);
        }
        if has_face {
            // The oval's own edge is hard; skin fades out towards the jaw and hairline so the
            // outline of the face is still drawn.
            skin = crate::raster::gaussian_blur(&skin, 2.0);
        }
        SketchGuides {
            person,
            skin,
            eyes,
            features,
        }
    }
}

fn max_into(dst: &mut [f32], src: &[f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = d.max(s);
    }
}

/// The face's width in photo pixels (cheek to cheek on the mesh).
fn face_width(face: &Face) -> f32 {
    let (a, b) = (face.mesh[234], face.mesh[454]);
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2))
        .sqrt()
        .max(1.0)
}

/// Mesh indices of the lines an artist draws on a face: upper and lower eyelids of both eyes
/// and the parting of the lips, with their darkness and relative width.
const LINES: [(&[usize], f32, f32); 5] = [
    (&[33, 246, 161, 160, 159, 158, 157, 173, 133], 0.85, 1.0),
    (&[263, 466, 388, 387, 386, 385, 384, 398, 362], 0.85, 1.0),
    (&[33, 7, 163, 144, 145, 153, 154, 155, 133], 0.35, 0.6),
    (&[263, 249, 390, 373, 374, 380, 381, 382, 362], 0.35, 0.6),
    (
        &[78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308],
        0.7,
        0.9,
    ),
];

/// One tapered segment: end points, half-width and darkness at each end.
#[derive(Clone, Copy)]
struct Segment {
    a: [f32; 2],
    b: [f32; 2],
    width: [f32; 2],
    dark: f32,
}

/// Antialiased, tapered pencil lines along the face's eyelids and lips, in photo pixels,
/// evaluated a row at a time inside a style's final pass.
pub struct FeatureLines {
    segments: Vec<Segment>,
}

impl FeatureLines {
    /// The lines of every face with a mesh; `weight` scales their width (1: about 1.2 px on
    /// a 512 px portrait's eye, growing with the face).
    pub fn new(portrait: &Portrait, weight: f32) -> FeatureLines {
        let mut segments = Vec::new();
        for face in portrait.faces.iter().filter(|f| f.mesh.len() >= 468) {
            let base = (0.006 * face_width(face)).clamp(0.45, 4.0) * weight;
            for (indices, dark, rel) in LINES {
                let n = indices.len() - 1;
                for i in 0..n {
                    // Thick in the middle, tapering to a point at the corners.
                    let taper = |k: usize| {
                        let t = k as f32 / n as f32;
                        0.35 + 0.65 * (std::f32::consts::PI * t).sin()
                    };
                    let p = |k: usize| [face.mesh[indices[k]][0], face.mesh[indices[k]][1]];
                    segments.push(Segment {
                        a: p(i),
                        b: p(i + 1),
                        width: [base * rel * taper(i), base * rel * taper(i + 1)],
                        dark,
                    });
                }
            }
        }
        FeatureLines { segments }
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// `cov[x]` = the darkness (0..1) of the lines at pixel `(x, y)`; the row is overwritten.
    pub fn coverage_row(&self, y: usize, cov: &mut [f32]) {
        cov.fill(0.0);
        let py = y as f32;
        let w = cov.len();
        for s in &self.segments {
            let reach = s.width[0].max(s.width[1]) + 1.0;
            if py < s.a[1].min(s.b[1]) - reach || py > s.a[1].max(s.b[1]) + reach {
                continue;
            }
            let x0 = (s.a[0].min(s.b[0]) - reach).max(0.0) as usize;
            let x1 = ((s.a[0].max(s.b[0]) + reach).max(0.0) as usize).min(w.saturating_sub(1));
            let (dx, dy) = (s.b[0] - s.a[0], s.b[1] - s.a[1]);
            let len2 = (dx * dx + dy * dy).max(1e-6);
            for (x, c) in cov.iter_mut().enumerate().take(x1 + 1).skip(x0) {
                let (qx, qy) = (x as f32 - s.a[0], py - s.a[1]);
                let t = ((qx * dx + qy * dy) / len2).clamp(0.0, 1.0);
                let (ex, ey) = (qx - t * dx, qy - t * dy);
                let d = (ex * ex + ey * ey).sqrt();
                let half = s.width[0] + (s.width[1] - s.width[0]) * t;
                let v = s.dark * smoothstep(half + 0.75, half - 0.25, d);
                *c = c.max(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::FaceBox;
    use crate::portrait::Mask;

    fn face_portrait(w: u32, h: u32) -> Portrait {
        // A mesh whose every point sits on a circle: enough to exercise the masks and lines.
        let mesh = (0..468)
            .map(|i| {
                let a = i as f32 * 0.37;
                [50.0 + 30.0 * a.cos(), 50.0 + 30.0 * a.sin(), 0.0]
            })
            .collect();
        Portrait {
            faces: vec![Face {
                bbox: FaceBox {
                    x: 20,
                    y: 20,
                    width: 60,
                    height: 60,
                    score: 1.0,
                },
                keypoints: [[0.0; 2]; 6],
                mesh,
            }],
            person: Mask::filled(w, h, 1.0),
        }
    }

    #[test]
    fn guides_without_a_face_are_empty_and_keep_the_person() {
        let g = SketchGuides::new(&Portrait::unknown(33, 21), 1, 17, 11);
        assert!(g.skin.data.iter().all(|&v| v == 0.0));
        assert!(g.person.data.iter().all(|&v| (v - 1.0).abs() < 1e-6));
        assert!(FeatureLines::new(&Portrait::unknown(10, 10), 1.0).is_empty());
    }

    #[test]
    fn feature_lines_darken_only_near_the_mesh() {
        let p = face_portrait(100, 100);
        let lines = FeatureLines::new(&p, 1.0);
        assert!(!lines.is_empty());
        let mut row = vec![0f32; 100];
        let mut dark = 0;
        for y in 0..100 {
            lines.coverage_row(y, &mut row);
            assert!(row.iter().all(|v| (0.0..=1.0).contains(v)));
            // Nothing far outside the circle the mesh lies on.
            assert!(row[0] == 0.0 && row[99] == 0.0);
            dark += row.iter().filter(|&&v| v > 0.3).count();
        }
        assert!(dark > 20, "{dark}");
        let g = SketchGuides::new(&p, 0, 100, 100);
        assert!(g.eyes.data.iter().any(|&v| v > 0.5));
    }
}

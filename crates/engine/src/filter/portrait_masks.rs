//! The portrait's masks (person, skin, clear features) on a style's reduced grid (`WorkScale`):
//! the painterly and watercolor styles decide stroke size, smoothing and wash looseness per
//! reduced pixel, so they need the person mask and the face's region masks there, not at full
//! size (a full-size polygon fill per region would cost more than the style's own passes).

use crate::filter::regions::{FaceCrop, face_on_grid};
use crate::portrait::{Face, FaceRegion, Portrait};
use crate::raster::{Raster, gaussian_blur};

/// Masks on a `w × h` grid whose pixel is `factor` photo pixels wide.
pub struct WorkMasks {
    /// Probability of the person, 0..1.
    pub person: Raster,
    /// Face skin: the face oval without eyes, brows and lips, 0..1.
    pub skin: Raster,
    /// Eyes, brows and lips (the features a style keeps clear), 0..1.
    pub features: Raster,
    /// Whether any face mesh contributed (without one, skin and features are all zero).
    pub has_face: bool,
}

impl WorkMasks {
    pub fn new(portrait: &Portrait, w: usize, h: usize, factor: f32) -> WorkMasks {
        let person_full = &portrait.person;
        let person = Raster::from_rows(w, h, 1, |y, out| {
            for (x, o) in out.iter_mut().enumerate() {
                // Centre of the reduced pixel, in photo pixels.
                let (px, py) = (
                    (x as f32 + 0.5) * factor - 0.5,
                    (y as f32 + 0.5) * factor - 0.5,
                );
                *o = person_full.sample(px, py).clamp(0.0, 1.0);
            }
        });
        let mut oval = Raster::new(w, h, 1);
        let mut features = Raster::new(w, h, 1);
        let mut has_face = false;
        for face in &portrait.faces {
            if face.mesh.len() < 468 {
                continue;
            }
            has_face = true;
            let small = face_on_grid(face, factor);
            let face_width = face_width(&small);
            let feather = (0.04 * face_width).max(1.0);
            // Drawn on a crop round the face, not on the whole grid.
            let Some(crop) = FaceCrop::new(&small, feather + 2.0, w, h) else {
                continue;
            };
            crop.max_into(
                &mut oval.data,
                w,
                &crop.region_mask(FaceRegion::Oval, feather).data,
            );
            for region in [
                FaceRegion::RightEye,
                FaceRegion::LeftEye,
                FaceRegion::RightBrow,
                FaceRegion::LeftBrow,
                FaceRegion::Lips,
            ] {
                crop.max_into(
                    &mut features.data,
                    w,
                    &crop.region_mask(region, feather).data,
                );
            }
        }
        if has_face {
            // Soft edges so that a style's treatment fades in instead of stopping at a line.
            features = gaussian_blur(&features, 1.0);
        }
        let skin = Raster::from_rows(w, h, 1, |y, out| {
            for ((o, &v), &f) in out.iter_mut().zip(oval.row(y)).zip(features.row(y)) {
                *o = (v - f).max(0.0);
            }
        });
        WorkMasks {
            person,
            skin,
            features,
            has_face,
        }
    }
}

/// Width of the face oval in the mesh's units.
fn face_width(face: &Face) -> f32 {
    let (mut x0, mut x1) = (f32::MAX, f32::MIN);
    for p in &face.mesh {
        x0 = x0.min(p[0]);
        x1 = x1.max(p[0]);
    }
    (x1 - x0).max(1.0)
}

//! Portrait analysis (C2): where the person is and where each face and its features are.
//!
//! `analyze` runs once per photo; every style reads the result through `stylize_portrait`, the
//! upload check reads the faces for its warnings and the crop reads the largest face. The types
//! here are plain data so that callers (and tests) can hold, compare and build them.

use rayon::prelude::*;

use crate::RgbImage;
use crate::face::FaceBox;

/// What the engine knows about a photo's subject.
#[derive(Clone, Debug, PartialEq)]
pub struct Portrait {
    /// Faces, largest first.
    pub faces: Vec<Face>,
    /// Probability (0..1) that each pixel belongs to a person, at the photo's size.
    pub person: Mask,
}

impl Portrait {
    /// A portrait that knows nothing: no face, and every pixel counted as the person (so that
    /// styles treat the whole photo as subject, as they did before analysis existed).
    pub fn unknown(width: u32, height: u32) -> Portrait {
        Portrait {
            faces: Vec::new(),
            person: Mask::filled(width, height, 1.0),
        }
    }

    /// The face boxes, largest first: what the warnings and the crop need.
    pub fn face_boxes(&self) -> Vec<FaceBox> {
        self.faces.iter().map(|f| f.bbox).collect()
    }
}

/// One face found in the photo, in the photo's pixel coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct Face {
    pub bbox: FaceBox,
    /// The detector's six key points (right eye, left eye, nose tip, mouth centre, right ear
    /// tragion, left ear tragion; "right" is the subject's right, on the image's left).
    pub keypoints: [[f32; 2]; 6],
    /// The 468-point face mesh (x, y in photo pixels; z in photo pixels, smaller is nearer the
    /// camera, zero at the face's centre), or empty when the mesh was not run or failed.
    pub mesh: Vec<[f32; 3]>,
}

/// A parts of the face, outlined by the mesh, that styles draw with care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaceRegion {
    /// The whole face inside its outline (forehead to chin, cheek to cheek).
    Oval,
    /// The subject's right eye (on the image's left).
    RightEye,
    LeftEye,
    RightBrow,
    LeftBrow,
    /// The lips, outer outline.
    Lips,
    /// The opening between the lips (teeth, tongue).
    Mouth,
}

impl FaceRegion {
    /// The closed outline of the region as indices into the 468-point mesh, in order around it.
    pub fn outline(self) -> &'static [usize] {
        match self {
            FaceRegion::Oval => &[
                10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
                377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103,
                67, 109,
            ],
            FaceRegion::RightEye => &[
                33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7,
            ],
            FaceRegion::LeftEye => &[
                263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249,
            ],
            FaceRegion::RightBrow => &[46, 53, 52, 65, 55, 107, 66, 105, 63, 70],
            FaceRegion::LeftBrow => &[276, 283, 282, 295, 285, 336, 296, 334, 293, 300],
            FaceRegion::Lips => &[
                61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39,
                40, 185,
            ],
            FaceRegion::Mouth => &[
                78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81,
                80, 191,
            ],
        }
    }
}

impl Face {
    /// The outline of `region` in photo pixels, or `None` without a mesh.
    pub fn outline(&self, region: FaceRegion) -> Option<Vec<[f32; 2]>> {
        if self.mesh.len() < 468 {
            return None;
        }
        Some(
            region
                .outline()
                .iter()
                .map(|&i| [self.mesh[i][0], self.mesh[i][1]])
                .collect(),
        )
    }

    /// A soft mask of `region` at `width × height`: 1 inside the outline, falling to 0 over
    /// `feather` pixels outside it. All zero without a mesh.
    pub fn region_mask(&self, region: FaceRegion, width: u32, height: u32, feather: f32) -> Mask {
        let mut mask = Mask::filled(width, height, 0.0);
        if let Some(outline) = self.outline(region) {
            mask.fill_polygon(&outline, feather);
        }
        mask
    }
}

/// A single-channel f32 plane, row-major, values 0..1.
#[derive(Clone, Debug, PartialEq)]
pub struct Mask {
    pub width: u32,
    pub height: u32,
    pub data: Vec<f32>,
}

impl Mask {
    pub fn filled(width: u32, height: u32, value: f32) -> Mask {
        Mask {
            width,
            height,
            data: vec![value; width as usize * height as usize],
        }
    }

    /// The value at pixel `(x, y)`, clamped to the plane.
    #[inline]
    pub fn at(&self, x: u32, y: u32) -> f32 {
        if self.data.is_empty() {
            return 0.0;
        }
        let x = x.min(self.width - 1) as usize;
        let y = y.min(self.height - 1) as usize;
        self.data[y * self.width as usize + x]
    }

    /// Bilinear sample at a real-valued position (pixel centres at integers), clamped.
    pub fn sample(&self, x: f32, y: f32) -> f32 {
        if self.data.is_empty() {
            return 0.0;
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let xf = x.clamp(0.0, (w - 1) as f32);
        let yf = y.clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (xf as usize, yf as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (xf - x0 as f32, yf - y0 as f32);
        let v = |x: usize, y: usize| self.data[y * w + x];
        let top = v(x0, y0) + (v(x1, y0) - v(x0, y0)) * fx;
        let bottom = v(x0, y1) + (v(x1, y1) - v(x0, y1)) * fx;
        top + (bottom - top) * fy
    }

    /// Raises the mask to 1 inside `polygon` and to a linear fall-off over `feather` pixels
    /// outside it (the maximum of what was there and the polygon's coverage).
    pub fn fill_polygon(&mut self, polygon: &[[f32; 2]], feather: f32) {
        if polygon.len() < 3 || self.data.is_empty() {
            return;
        }
        let feather = feather.max(0.0);
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in polygon {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        let clamp_x = |v: f32| v.clamp(0.0, (self.width - 1) as f32) as u32;
        let clamp_y = |v: f32| v.clamp(0.0, (self.height - 1) as f32) as u32;
        let (bx0, bx1) = (clamp_x(x0 - feather - 1.0), clamp_x(x1 + feather + 1.0));
        let (by0, by1) = (clamp_y(y0 - feather - 1.0), clamp_y(y1 + feather + 1.0));
        for y in by0..=by1 {
            for x in bx0..=bx1 {
                let p = [x as f32, y as f32];
                let coverage = if point_in_polygon(p, polygon) {
                    1.0
                } else if feather > 0.0 {
                    (1.0 - distance_to_outline(p, polygon) / feather).max(0.0)
                } else {
                    0.0
                };
                let i = y as usize * self.width as usize + x as usize;
                self.data[i] = self.data[i].max(coverage);
            }
        }
    }
}

fn point_in_polygon(p: [f32; 2], polygon: &[[f32; 2]]) -> bool {
    let mut inside = false;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (a, b) = (polygon[i], polygon[j]);
        if (a[1] > p[1]) != (b[1] > p[1])
            && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
        {
            inside = !inside;
        }
        j = i;
    }
    inside
}

fn distance_to_outline(p: [f32; 2], polygon: &[[f32; 2]]) -> f32 {
    let mut best = f32::MAX;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (a, b) = (polygon[j], polygon[i]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (cx, cy) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
        best = best.min((cx * cx + cy * cy).sqrt());
        j = i;
    }
    best
}

/// Finds the person and the faces in `image` with mediapipe's three networks (see `face`,
/// `segment` and `nn`): faces largest first, each with the detector's box and key points and,
/// for the `face::MAX_MESH_FACES` largest, the 468-point mesh; the person mask at the photo's
/// size. Deterministic, whatever the number of threads. An empty photo gives an empty
/// portrait; should the embedded networks fail to load (a build defect, caught by the tests),
/// the photo is treated as `Portrait::unknown`.
pub fn analyze(image: &RgbImage) -> Portrait {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Portrait::unknown(width, height);
    }
    // The two halves are independent; on several cores they run side by side, on the
    // analysis's own threads (see `nn::on_network_threads`).
    let with_meshes = |detections: Vec<crate::face::Detection>| {
        let meshes: Vec<Vec<[f32; 3]>> = detections
            .par_iter()
            .take(crate::face::MAX_MESH_FACES)
            .map(|d| crate::face::mesh(image, d))
            .collect();
        detections
            .iter()
            .enumerate()
            .map(|(i, d)| Face {
                bbox: d.face_box(width, height),
                keypoints: d.keypoints,
                mesh: meshes.get(i).cloned().unwrap_or_default(),
            })
            .collect::<Vec<Face>>()
    };
    let (person, faces) = crate::nn::on_network_threads(|| {
        let (person, faces) = rayon::join(
            || crate::segment::person_mask(image),
            || {
                let found = crate::face::detect_whole(image);
                if crate::face::needs_tiles(&found, width, height) {
                    // Tiles go only where the person mask finds someone: wait for it.
                    Err(found)
                } else {
                    Ok(with_meshes(found))
                }
            },
        );
        let faces = faces.unwrap_or_else(|found| {
            with_meshes(crate::face::add_tiled_faces(image, found, person.as_ref()))
        });
        (person, faces)
    });
    Portrait {
        faces,
        person: person.unwrap_or_else(|| Mask::filled(width, height, 1.0)),
    }
}

//! Face detection (C2) with rustface and the SeetaFace frontal model vendored in this crate.
//!
//! Detection runs on a grey copy downscaled to `DETECT_MAX_EDGE`: it is what the warnings
//! ("no face", "several faces") and the portrait crop need, and it keeps the cost flat for
//! any photo size. rustface panics on images under its 40 px window and on some settings,
//! so this module only ever calls it with sizes and settings checked here first.

use std::io::Cursor;

use crate::RgbImage;
use crate::geometry::gray_fit_max_edge;

/// The SeetaFace frontal detection model (BSD-2, see `models/LICENSE-seetaface`).
static MODEL: &[u8] = include_bytes!("../models/seeta_fd_frontal_v1.0.bin");

/// Longer edge of the image the detector sees. Faces smaller than rustface's 40 px window at
/// this scale (6% of the longer edge) are background faces we do not want anyway. Measured on
/// a 2 MP photo (release, 2 cores): 640 px takes ~155 ms, 800 px ~205 ms, same boxes.
const DETECT_MAX_EDGE: u32 = 640;
/// rustface's fixed detection window; it cannot see anything in a smaller image.
const WINDOW: u32 = 40;
/// Score below which a detection is more often a false positive than a face.
const SCORE_THRESHOLD: f64 = 2.0;

/// A detected face, in the pixel coordinates of the image given to `detect_faces`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceBox {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// The detector's confidence; higher is surer, above `SCORE_THRESHOLD` (2.0).
    pub score: f64,
}

impl FaceBox {
    /// Area in pixels, used to rank faces.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// Finds frontal faces in `image`, largest first. Empty when there are none or the image is
/// too small to search.
pub fn detect_faces(image: &RgbImage) -> Vec<FaceBox> {
    let (width, height) = image.dimensions();
    let small = gray_fit_max_edge(image, DETECT_MAX_EDGE);
    let (small_w, small_h) = small.dimensions();
    if small_w < WINDOW || small_h < WINDOW {
        return Vec::new();
    }
    // The model is part of this crate's binary; failing to read it is a build defect, and
    // the caller is better served by "no face found" than by a panic.
    let Ok(model) = rustface::read_model(Cursor::new(MODEL)) else {
        return Vec::new();
    };
    let mut detector = rustface::create_detector_with_model(model);
    detector.set_min_face_size(WINDOW);
    detector.set_score_thresh(SCORE_THRESHOLD);
    detector.set_pyramid_scale_factor(0.8);
    detector.set_slide_window_step(4, 4);

    let data = rustface::ImageData::new(small.as_raw(), small_w, small_h);
    let scale_x = f64::from(width) / f64::from(small_w);
    let scale_y = f64::from(height) / f64::from(small_h);
    let mut faces: Vec<FaceBox> = detector
        .detect(&data)
        .into_iter()
        .filter_map(|info| {
            let b = info.bbox();
            // Boxes may poke out of the image; keep the part inside it.
            let left = f64::from(b.x().max(0));
            let top = f64::from(b.y().max(0));
            let right = (f64::from(b.x()) + f64::from(b.width())).min(f64::from(small_w));
            let bottom = (f64::from(b.y()) + f64::from(b.height())).min(f64::from(small_h));
            if right <= left || bottom <= top {
                return None;
            }
            let to_x = |v: f64| ((v * scale_x).round() as u32).min(width);
            let to_y = |v: f64| ((v * scale_y).round() as u32).min(height);
            let (x, y) = (to_x(left), to_y(top));
            Some(FaceBox {
                x,
                y,
                width: to_x(right).saturating_sub(x).max(1),
                height: to_y(bottom).saturating_sub(y).max(1),
                score: info.score(),
            })
        })
        .collect();
    faces.sort_by(|a, b| b.area().cmp(&a.area()).then(b.score.total_cmp(&a.score)));
    faces
}

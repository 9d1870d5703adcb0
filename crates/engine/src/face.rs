//! Faces (C2): mediapipe's BlazeFace short-range detector and its 468-point face mesh, run in
//! process by `nn`, with mediapipe's pre- and post-processing rewritten here.
//!
//! Detection: the photo letterboxed (black bars) into 128×128, values in [-1, 1]; 896 SSD
//! anchors (16×16 cells × 2 at stride 8, 8×8 cells × 6 at stride 16, unit size); boxes and
//! six key points decoded with scale 128; sigmoid scores kept from 0.5; weighted non-maximum
//! suppression at IoU 0.3 (overlapping detections averaged by score).
//! Mesh: per face, mediapipe's region of interest (the detector's box, turned so the eyes are
//! level, made square on its long side and enlarged 1.5×) warped into 192×192 in [0, 1]; the
//! landmarks mapped back to photo pixels, depth scaled like x. BlazeFace short range is made
//! for faces within about two metres of the camera (a face of roughly a tenth of the photo's
//! longer edge or more): smaller background faces are not found, which the warnings and crop
//! do not want anyway.

use crate::RgbImage;
use crate::nn::{Affine, Border, Net, warp_input};

/// A detected face, in the pixel coordinates of the image given to `detect_faces`/`analyze`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceBox {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// The detector's confidence, a probability in 0..1; found faces have at least
    /// `MIN_SCORE` (0.5).
    pub score: f64,
}

impl FaceBox {
    /// Area in pixels, used to rank faces.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// Detection score (after the sigmoid) from which a detection counts as a face: mediapipe's
/// default `min_detection_confidence`.
pub const MIN_SCORE: f64 = 0.5;
/// Overlap above which two detections are the same face (mediapipe's face detection graph).
const NMS_MIN_IOU: f32 = 0.3;
/// Face presence (after the sigmoid) below which the mesh is dropped, as mediapipe's face
/// landmark graph does.
const MIN_PRESENCE: f32 = 0.5;
/// Faces given a mesh, largest first: each costs one run of the mesh network; more faces
/// than this are kept with an empty mesh.
pub(crate) const MAX_MESH_FACES: usize = 8;
/// Raw logits are clipped to this before the sigmoid (mediapipe's `score_clipping_thresh`).
const SCORE_CLIP: f32 = 100.0;
const MESH_POINTS: usize = 468;

/// A face as the detector sees it, in photo pixels (floats, may reach outside the photo).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Detection {
    /// xmin, ymin, xmax, ymax.
    pub rect: [f32; 4],
    pub keypoints: [[f32; 2]; 6],
    pub score: f32,
}

impl Detection {
    /// The box clamped to the photo, in whole pixels (at least 1×1).
    pub(crate) fn face_box(&self, width: u32, height: u32) -> FaceBox {
        let clamp_x = |v: f32| (v.round().max(0.0) as u32).min(width);
        let clamp_y = |v: f32| (v.round().max(0.0) as u32).min(height);
        let (x0, y0) = (clamp_x(self.rect[0]), clamp_y(self.rect[1]));
        let (x1, y1) = (clamp_x(self.rect[2]), clamp_y(self.rect[3]));
        FaceBox {
            x: x0.min(width.saturating_sub(1)),
            y: y0.min(height.saturating_sub(1)),
            width: x1.saturating_sub(x0).max(1),
            height: y1.saturating_sub(y0).max(1),
            score: f64::from(self.score),
        }
    }

    fn area(&self) -> f32 {
        (self.rect[2] - self.rect[0]).max(0.0) * (self.rect[3] - self.rect[1]).max(0.0)
    }
}

/// Finds faces in `image`, largest first. Empty when there are none (or the image is empty).
pub fn detect_faces(image: &RgbImage) -> Vec<FaceBox> {
    let (width, height) = image.dimensions();
    detect(image)
        .iter()
        .map(|d| d.face_box(width, height))
        .collect()
}

/// Runs the detector: faces largest first, in photo pixels.
pub(crate) fn detect(image: &RgbImage) -> Vec<Detection> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Vec::new();
    }
    let size = Net::FaceDetector.input_size() as f32;
    // Letterbox: the square of side max(w, h) centred on the photo, as mediapipe's
    // ImageToTensor with keep_aspect_ratio pads its region of interest.
    let side = width.max(height) as f32;
    let origin = [(width as f32 - side) / 2.0, (height as f32 - side) / 2.0];
    let step = side / size;
    let map = Affine {
        origin,
        du: [step, 0.0],
        dv: [0.0, step],
    };
    let input = warp_input(image, Net::FaceDetector, map, Border::Zero, (-1.0, 1.0));
    let Ok(outputs) = Net::FaceDetector.run(&input) else {
        return Vec::new();
    };
    let (Some(boxes), Some(logits)) = (outputs.first(), outputs.get(1)) else {
        return Vec::new();
    };
    let anchors = anchors();
    if boxes.len() != anchors.len() * 16 || logits.len() != anchors.len() {
        return Vec::new();
    }
    // Tensor-normalised (0..1) → photo pixels.
    let to_photo = |x: f32, y: f32| [origin[0] + x * side, origin[1] + y * side];
    let mut found: Vec<Detection> = Vec::new();
    for (i, anchor) in anchors.iter().enumerate() {
        let score = sigmoid(logits[i]);
        if f64::from(score) < MIN_SCORE {
            continue;
        }
        let raw = &boxes[i * 16..(i + 1) * 16];
        let cx = raw[0] / size + anchor[0];
        let cy = raw[1] / size + anchor[1];
        let (w, h) = (raw[2] / size, raw[3] / size);
        let a = to_photo(cx - w / 2.0, cy - h / 2.0);
        let b = to_photo(cx + w / 2.0, cy + h / 2.0);
        let mut keypoints = [[0.0; 2]; 6];
        for (k, point) in keypoints.iter_mut().enumerate() {
            *point = to_photo(
                raw[4 + 2 * k] / size + anchor[0],
                raw[5 + 2 * k] / size + anchor[1],
            );
        }
        if [a[0], a[1], b[0], b[1]].iter().all(|v| v.is_finite()) {
            found.push(Detection {
                rect: [a[0], a[1], b[0], b[1]],
                keypoints,
                score,
            });
        }
    }
    let mut faces = weighted_nms(found);
    faces.sort_by(|a, b| {
        b.area()
            .total_cmp(&a.area())
            .then(b.score.total_cmp(&a.score))
    });
    faces
}

fn sigmoid(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit.clamp(-SCORE_CLIP, SCORE_CLIP)).exp())
}

/// The 896 anchor centres (tensor-normalised), in the network's output order: mediapipe's
/// SsdAnchorsCalculator with 4 layers, strides 8, 16, 16, 16, anchor offset 0.5, two anchors
/// per layer and cell, layers of the same stride sharing their cells, fixed unit size.
fn anchors() -> Vec<[f32; 2]> {
    let mut anchors = Vec::with_capacity(896);
    for (stride, per_cell) in [(8usize, 2usize), (16, 6)] {
        let cells = 128 / stride;
        for y in 0..cells {
            for x in 0..cells {
                let centre = [
                    (x as f32 + 0.5) / cells as f32,
                    (y as f32 + 0.5) / cells as f32,
                ];
                anchors.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
    }
    anchors
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let ix = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let iy = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = ix * iy;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if inter <= 0.0 || union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// mediapipe's weighted non-maximum suppression: take the best remaining detection, average it
/// with every remaining one overlapping it by more than `NMS_MIN_IOU` (weights: their scores;
/// the score stays the best one's), drop those, repeat. Ties are broken by anchor order so the
/// result never depends on sort stability.
fn weighted_nms(detections: Vec<Detection>) -> Vec<Detection> {
    let mut order: Vec<usize> = (0..detections.len()).collect();
    order.sort_by(|&a, &b| {
        detections[b]
            .score
            .total_cmp(&detections[a].score)
            .then(a.cmp(&b))
    });
    let mut remaining: Vec<Detection> = order.iter().map(|&i| detections[i]).collect();
    let mut out = Vec::new();
    while let Some(best) = remaining.first().copied() {
        let (group, rest): (Vec<Detection>, Vec<Detection>) = remaining
            .into_iter()
            .partition(|d| iou(&d.rect, &best.rect) > NMS_MIN_IOU);
        let total: f32 = group.iter().map(|d| d.score).sum();
        let mut merged = best;
        if total > 0.0 && !group.is_empty() {
            merged.rect = [0.0; 4];
            merged.keypoints = [[0.0; 2]; 6];
            for d in &group {
                let w = d.score / total;
                for (m, v) in merged.rect.iter_mut().zip(d.rect) {
                    *m += v * w;
                }
                for (m, v) in merged.keypoints.iter_mut().zip(d.keypoints) {
                    m[0] += v[0] * w;
                    m[1] += v[1] * w;
                }
            }
        }
        out.push(merged);
        if group.is_empty() {
            // Cannot happen (the best overlaps itself) unless its box is degenerate; then
            // keep it alone and go on without it.
            remaining = rest.into_iter().skip(1).collect();
        } else {
            remaining = rest;
        }
    }
    out
}

/// The face mesh's region of interest for `detection` in photo pixels: centre, side (it is
/// square) and rotation in radians (clockwise on screen; 0 when the eyes are level).
/// mediapipe's face_detection_front_detection_to_roi: the box's centre and size, rotation
/// from the right eye (key point 0) to the left eye (1), square on the long side, ×1.5.
pub(crate) fn mesh_roi(detection: &Detection) -> ([f32; 2], f32, f32) {
    let [x0, y0, x1, y1] = detection.rect;
    let centre = [(x0 + x1) / 2.0, (y0 + y1) / 2.0];
    let side = (x1 - x0).max(y1 - y0) * 1.5;
    let [r, l] = [detection.keypoints[0], detection.keypoints[1]];
    // mediapipe: target angle (0) − atan2(−Δy, Δx), with y pointing down.
    let rotation = normalize_radians(-f32::atan2(-(l[1] - r[1]), l[0] - r[0]));
    (centre, side, rotation)
}

fn normalize_radians(angle: f32) -> f32 {
    use std::f32::consts::PI;
    angle - 2.0 * PI * ((angle + PI) / (2.0 * PI)).floor()
}

/// The 468-point mesh of the face `detection` found, in photo pixels (z: photo pixels, smaller
/// is nearer), or empty when the network says there is no face there.
pub(crate) fn mesh(image: &RgbImage, detection: &Detection) -> Vec<[f32; 3]> {
    let (centre, side, rotation) = mesh_roi(detection);
    if !(side.is_finite() && side > 0.0 && rotation.is_finite()) {
        return Vec::new();
    }
    let size = Net::FaceMesh.input_size() as f32;
    let (sin, cos) = rotation.sin_cos();
    let step = side / size;
    // Input pixel (u, v) ↔ ROI offset ((u/size − ½)·side, (v/size − ½)·side) turned by the
    // rotation; OpenCV maps the ROI's corners onto the input's corners (0 and size).
    let du = [cos * step, sin * step];
    let dv = [-sin * step, cos * step];
    let origin = [
        centre[0] - (du[0] + dv[0]) * size / 2.0,
        centre[1] - (du[1] + dv[1]) * size / 2.0,
    ];
    let map = Affine { origin, du, dv };
    let input = warp_input(image, Net::FaceMesh, map, Border::Replicate, (0.0, 1.0));
    let Ok(outputs) = Net::FaceMesh.run(&input) else {
        return Vec::new();
    };
    let (Some(points), Some(presence)) = (outputs.first(), outputs.get(1)) else {
        return Vec::new();
    };
    if points.len() != MESH_POINTS * 3 || presence.first().map(|&p| sigmoid(p)) < Some(MIN_PRESENCE)
    {
        return Vec::new();
    }
    points
        .chunks_exact(3)
        .map(|p| {
            let (u, v) = (p[0], p[1]);
            [
                origin[0] + u * du[0] + v * dv[0],
                origin[1] + u * du[1] + v * dv[1],
                p[2] * step,
            ]
        })
        .collect()
}

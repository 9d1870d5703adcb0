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
//! for faces within about two metres of the camera: on the whole photo it finds faces down
//! to about an eighth of the photo's longer side. Photos without a face that big (groups,
//! people further away, wide photos) are searched again in overlapping tiles of half the
//! longer side, which finds faces down to about a fourteenth of it (`detect`); mediapipe's
//! own short-range graph does not tile, and finds none of them.

use rayon::prelude::*;

use crate::RgbImage;
use crate::nn::{Affine, Border, Net, warp_input};
use crate::portrait::Mask;

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
/// The whole-photo pass's largest face (its box's longer side, as a fraction of the photo's
/// longer side) below which the photo is searched again in tiles. That pass finds faces down
/// to about 0.12 of the side; the tiles down to about 0.075. A photo whose largest face is
/// bigger than this is a portrait: faces the tiles could add there are less than three
/// quarters of its size, people in the background.
const TILE_BELOW: f32 = 0.16;
/// The score a detection found only in a tile needs: above mediapipe's 0.5, because
/// the tiles give the detector several more looks at the background (a flag's stars scored
/// 0.54 and 0.66 in tests), while real faces in tiles score 0.7 and more down to about a
/// fourteenth of the photo's longer side.
const TILE_MIN_SCORE: f64 = 0.7;
/// The share of a tile the person mask must cover for analysis to search it for faces.
const TILE_MIN_PERSON: f32 = 0.02;
/// How close (as a fraction of a tile's side) a detection may come to a tile's inner edge
/// before it counts as cut by it.
const TILE_MARGIN: f32 = 0.02;

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

    /// The box's longer side.
    fn extent(&self) -> f32 {
        (self.rect[2] - self.rect[0]).max(self.rect[3] - self.rect[1])
    }
}

/// Finds faces in `image`, largest first. Empty when there are none (or the image is empty).
pub fn detect_faces(image: &RgbImage) -> Vec<FaceBox> {
    let (width, height) = image.dimensions();
    crate::nn::on_network_threads(|| detect(image))
        .iter()
        .map(|d| d.face_box(width, height))
        .collect()
}

/// Runs the detector: faces largest first, in photo pixels.
///
/// First on the whole photo, letterboxed into the detector's square as mediapipe does; that
/// finds faces down to about an eighth of the photo's longer side. When no face of at least
/// `TILE_BELOW` of it is found (a group, people further away, a wide photo), it runs again on
/// overlapping square tiles of half that side (`tiles`), where the same faces are twice as
/// big (`add_tiled_faces`). A close-up portrait costs one run, as before.
pub(crate) fn detect(image: &RgbImage) -> Vec<Detection> {
    let faces = detect_whole(image);
    if needs_tiles(&faces, image.width(), image.height()) {
        add_tiled_faces(image, faces, None)
    } else {
        faces
    }
}

/// The detector on the whole photo, letterboxed: faces largest first.
pub(crate) fn detect_whole(image: &RgbImage) -> Vec<Detection> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Vec::new();
    }
    let longer = width.max(height) as f32;
    let whole = View {
        origin: [
            (width as f32 - longer) / 2.0,
            (height as f32 - longer) / 2.0,
        ],
        side: longer,
    };
    largest_first(weighted_nms(detect_in(image, whole)))
}

/// Whether the whole photo's `faces` leave room for faces that only tiles would show: none
/// of them is `TILE_BELOW` of the photo's longer side or bigger.
pub(crate) fn needs_tiles(faces: &[Detection], width: u32, height: u32) -> bool {
    let largest = faces.iter().map(Detection::extent).fold(0.0, f32::max);
    width > 0 && height > 0 && largest < TILE_BELOW * width.max(height) as f32
}

/// `faces` (the whole photo's) and those the tiles add, largest first. Tiles only add faces
/// the whole photo did not show, and need a higher score (`TILE_MIN_SCORE`); a face seen in
/// several tiles is merged into one by the same weighted non-maximum suppression. With a
/// `person` mask, tiles where it finds nobody are skipped: a landscape costs no more runs.
pub(crate) fn add_tiled_faces(
    image: &RgbImage,
    mut faces: Vec<Detection>,
    person: Option<&Mask>,
) -> Vec<Detection> {
    let (width, height) = image.dimensions();
    let views: Vec<View> = tiles(width, height)
        .into_iter()
        .filter(|tile| person.is_none_or(|mask| tile.coverage(mask) >= TILE_MIN_PERSON))
        .collect();
    // Side by side on the analysis's threads; collected in tile order, so the result does not
    // depend on how many there are.
    let seen: Vec<Vec<Detection>> = views
        .into_par_iter()
        .map(|tile| {
            detect_in(image, tile)
                .into_iter()
                .filter(|d| f64::from(d.score) >= TILE_MIN_SCORE && !tile.cuts(d, width, height))
                .collect()
        })
        .collect();
    let new: Vec<Detection> = seen
        .into_iter()
        .flatten()
        .filter(|d| faces.iter().all(|f| iou(&f.rect, &d.rect) <= NMS_MIN_IOU))
        .collect();
    faces.extend(weighted_nms(new));
    largest_first(faces)
}

fn largest_first(mut faces: Vec<Detection>) -> Vec<Detection> {
    faces.sort_by(|a, b| {
        b.area()
            .total_cmp(&a.area())
            .then(b.score.total_cmp(&a.score))
    });
    faces
}

/// A square part of the photo (or around it: the letterbox reaches past the shorter side)
/// that the detector sees as its 128×128 input.
#[derive(Clone, Copy, Debug, PartialEq)]
struct View {
    origin: [f32; 2],
    side: f32,
}

impl View {
    /// The share of the tile the person mask covers (on a grid of at most 32×32 samples).
    fn coverage(&self, mask: &Mask) -> f32 {
        let (w, h) = (mask.width as usize, mask.height as usize);
        if w == 0 || h == 0 || mask.data.len() < w * h {
            return 0.0;
        }
        let (mut sum, mut n) = (0f32, 0f32);
        for j in 0..32 {
            for i in 0..32 {
                let x = self.origin[0] + (i as f32 + 0.5) * self.side / 32.0;
                let y = self.origin[1] + (j as f32 + 0.5) * self.side / 32.0;
                if x >= 0.0 && y >= 0.0 && (x as usize) < w && (y as usize) < h {
                    sum += mask.data[y as usize * w + x as usize];
                    n += 1.0;
                }
            }
        }
        if n > 0.0 { sum / n } else { 0.0 }
    }

    /// Whether `detection` reaches the edge of this tile where the tile ends inside the photo:
    /// the face may go on outside the tile (a neighbouring tile, which overlaps this one by
    /// half, holds it whole), so this part of it is left out.
    fn cuts(&self, detection: &Detection, width: u32, height: u32) -> bool {
        let margin = self.side * TILE_MARGIN;
        let [x0, y0, x1, y1] = detection.rect;
        let [ox, oy] = self.origin;
        let (ex, ey) = (ox + self.side, oy + self.side);
        (ox > 0.5 && x0 < ox + margin)
            || (oy > 0.5 && y0 < oy + margin)
            || (ex < width as f32 - 0.5 && x1 > ex - margin)
            || (ey < height as f32 - 0.5 && y1 > ey - margin)
    }
}

/// Square tiles of side min(longer / 2, shorter) covering the photo, each overlapping its
/// neighbours by at least half, row by row; none when the photo is too small for tiles
/// bigger than the detector's own input to help.
fn tiles(width: u32, height: u32) -> Vec<View> {
    let (w, h) = (width as f32, height as f32);
    let side = (w.max(h) / 2.0).min(w.min(h)).floor();
    if side < Net::FaceDetector.input_size() as f32 {
        return Vec::new();
    }
    // Positions along one axis: evenly spread from 0 to length - side, steps of at most side/2.
    let positions = |length: f32| -> Vec<f32> {
        let room = (length - side).max(0.0);
        let steps = (room / (side / 2.0)).ceil() as usize;
        (0..=steps)
            .map(|i| {
                if steps == 0 {
                    0.0
                } else {
                    room * i as f32 / steps as f32
                }
            })
            .collect()
    };
    let (xs, ys) = (positions(w), positions(h));
    ys.iter()
        .flat_map(|&y| {
            xs.iter().map(move |&x| View {
                origin: [x, y],
                side,
            })
        })
        .collect()
}

/// The detector's raw detections in one view (before non-maximum suppression), in photo
/// pixels.
fn detect_in(image: &RgbImage, view: View) -> Vec<Detection> {
    let size = Net::FaceDetector.input_size() as f32;
    let step = view.side / size;
    let map = Affine {
        origin: view.origin,
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
    let to_photo = |x: f32, y: f32| {
        [
            view.origin[0] + x * view.side,
            view.origin[1] + y * view.side,
        ]
    };
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
    found
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

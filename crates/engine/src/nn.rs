//! The three neural networks of portrait analysis (C2), embedded in the binary and run by tract.
//!
//! The networks are mediapipe 0.10.14's BlazeFace short range, face mesh and selfie segmentation
//! (Apache-2.0), converted once to ONNX by `models/fetch_mediapipe.sh` (see `models/README.md`).
//! This module owns loading them and running one input through one of them; what the inputs
//! and outputs mean is the business of `face` and `segment`.
//!
//! Each network is parsed, optimised for its fixed input shape and turned into a runnable plan
//! once per process, on first use, and kept in a `OnceLock`. That is the engine's only
//! process-wide state, and it is acceptable because it is immutable data derived from bytes
//! compiled into the binary: no input can change it, every caller sees the same plan, and
//! running a plan takes `&self` (each run has its own state), so threads share it freely.
//! Building a plan takes a few tens of milliseconds; doing it per photo would double the cost
//! of analysis.
//!
//! tract runs each plan on the calling thread (it starts no thread pool of its own), so results
//! do not depend on rayon's thread count.

use std::sync::{Arc, OnceLock};

use tract_onnx::prelude::*;

/// One of the embedded networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Net {
    /// BlazeFace short range: 1×128×128×3 in [-1, 1] → 896×16 box regressors, 896 logits.
    FaceDetector,
    /// Face mesh: 1×192×192×3 in [0, 1] → 468×3 landmarks (input pixels), a presence logit.
    FaceMesh,
    /// Selfie segmentation (general): 1×256×256×3 in [0, 1] → 256×256 person probability.
    Segmentation,
}

impl Net {
    fn bytes(self) -> &'static [u8] {
        match self {
            Net::FaceDetector => include_bytes!("../models/face_detection_short_range.onnx"),
            Net::FaceMesh => include_bytes!("../models/face_landmark.onnx"),
            Net::Segmentation => include_bytes!("../models/selfie_segmentation.onnx"),
        }
    }

    /// The input edge in pixels (every input is square, NHWC, RGB).
    pub(crate) fn input_size(self) -> usize {
        match self {
            Net::FaceDetector => 128,
            Net::FaceMesh => 192,
            Net::Segmentation => 256,
        }
    }

    fn cell(self) -> &'static OnceLock<Result<Plan, String>> {
        static DETECTOR: OnceLock<Result<Plan, String>> = OnceLock::new();
        static MESH: OnceLock<Result<Plan, String>> = OnceLock::new();
        static SEGMENTATION: OnceLock<Result<Plan, String>> = OnceLock::new();
        match self {
            Net::FaceDetector => &DETECTOR,
            Net::FaceMesh => &MESH,
            Net::Segmentation => &SEGMENTATION,
        }
    }

    fn plan(self) -> Result<&'static Plan, String> {
        self.cell()
            .get_or_init(|| load(self).map_err(|err| format!("{self:?}: {err:#}")))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Runs the network on `input` (NHWC, `input_size()`² × 3 values) and returns its outputs
    /// flattened, in the network's output order. An error here is a build defect (the embedded
    /// model does not load), never a property of the photo.
    pub(crate) fn run(self, input: &[f32]) -> Result<Vec<Vec<f32>>, String> {
        let plan = self.plan()?;
        let size = self.input_size();
        let tensor = Tensor::from_shape(&[1, size, size, 3], input).map_err(|e| e.to_string())?;
        let outputs = plan
            .run(tvec!(tensor.into()))
            .map_err(|e| format!("{self:?}: {e:#}"))?;
        outputs
            .iter()
            .map(|out| {
                out.try_as_plain_ram()
                    .and_then(|view| view.as_slice::<f32>().map(<[f32]>::to_vec))
                    .map_err(|e| format!("{self:?}: {e:#}"))
            })
            .collect()
    }
}

type Plan = Arc<TypedRunnableModel>;

fn load(net: Net) -> TractResult<Plan> {
    let size = net.input_size();
    let mut reader = std::io::Cursor::new(net.bytes());
    tract_onnx::onnx()
        .model_for_read(&mut reader)?
        .with_input_fact(0, f32::fact([1, size, size, 3]).into())?
        .into_optimized()?
        .into_runnable()
}

/// What a network sees outside the photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Border {
    /// Black (mediapipe's BORDER_ZERO: the detector's letterbox, the segmentation).
    Zero,
    /// The nearest edge pixel (mediapipe's default: the face mesh's crop).
    Replicate,
}

/// Where each input pixel is taken from: photo position = `origin + u·du + v·dv` for input
/// pixel (u, v), pixel centres at integers (OpenCV's convention, as mediapipe's warp uses).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Affine {
    pub origin: [f32; 2],
    pub du: [f32; 2],
    pub dv: [f32; 2],
}

/// Builds a network input as mediapipe's ImageToTensor does on the CPU: a bilinear warp of the
/// 8-bit photo (rounded back to 8 bits, as OpenCV's warp of a u8 image does), then each value
/// mapped linearly from 0..255 to `range`.
pub(crate) fn warp_input(
    image: &crate::RgbImage,
    net: Net,
    map: Affine,
    border: Border,
    range: (f32, f32),
) -> Vec<f32> {
    let size = net.input_size();
    let (w, h) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    let scale = (range.1 - range.0) / 255.0;
    let mut out = Vec::with_capacity(size * size * 3);
    for v in 0..size {
        for u in 0..size {
            let (uf, vf) = (u as f32, v as f32);
            let sx = map.origin[0] + uf * map.du[0] + vf * map.dv[0];
            let sy = map.origin[1] + uf * map.du[1] + vf * map.dv[1];
            let mut rgb = [0.0f32; 3];
            if sx.is_finite() && sy.is_finite() && w > 0 && h > 0 {
                let (x0, y0) = (sx.floor(), sy.floor());
                let (fx, fy) = (sx - x0, sy - y0);
                let (x0, y0) = (x0 as i64, y0 as i64);
                for (dy, wy) in [(0, 1.0 - fy), (1, fy)] {
                    for (dx, wx) in [(0, 1.0 - fx), (1, fx)] {
                        let (mut x, mut y) = (x0 + dx, y0 + dy);
                        if x < 0 || y < 0 || x >= w || y >= h {
                            match border {
                                Border::Zero => continue,
                                Border::Replicate => {
                                    x = x.clamp(0, w - 1);
                                    y = y.clamp(0, h - 1);
                                }
                            }
                        }
                        let i = ((y * w + x) * 3) as usize;
                        let weight = wx * wy;
                        for (sum, &value) in rgb.iter_mut().zip(&raw[i..i + 3]) {
                            *sum += weight * f32::from(value);
                        }
                    }
                }
            }
            for value in rgb {
                out.push(value.round().clamp(0.0, 255.0) * scale + range.0);
            }
        }
    }
    out
}

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
//! How the plans are built is the one choice a caller makes, once, through
//! [`prepare_analysis`]: [`PlanBuild::Thorough`] (the default, for a service that styles photo
//! after photo) simplifies each graph before compiling it; [`PlanBuild::Quick`] (for a process
//! that styles a photo or two and exits, like `atelier stylize`) compiles the graph as the
//! ONNX file gives it. Both compute the same numbers (tract compiles the same kernels in the
//! same order; `quick_and_thorough_plans_agree` holds it): the quick plans build in about half
//! the time (~90 ms of CPU for the three instead of ~165 ms) and run ~3 ms slower per photo.
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
        self.plan_built(PlanBuild::Thorough)
    }

    /// The network's plan, built with `build` if no plan is built yet.
    fn plan_built(self, build: PlanBuild) -> Result<&'static Plan, String> {
        self.cell()
            .get_or_init(|| load(self, build).map_err(|err| format!("{self:?}: {err:#}")))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Runs the network on `input` (NHWC, `input_size()`² × 3 values) and returns its outputs
    /// flattened, in the network's output order. An error here is a build defect (the embedded
    /// model does not load), never a property of the photo.
    pub(crate) fn run(self, input: &[f32]) -> Result<Vec<Vec<f32>>, String> {
        run_plan(self.plan()?, self, input)
    }
}

/// Runs `plan` (a plan of `net`) on `input` and returns its outputs flattened.
fn run_plan(plan: &Plan, net: Net, input: &[f32]) -> Result<Vec<Vec<f32>>, String> {
    let size = net.input_size();
    let tensor = Tensor::from_shape(&[1, size, size, 3], input).map_err(|e| e.to_string())?;
    let outputs = plan
        .run(tvec!(tensor.into()))
        .map_err(|e| format!("{net:?}: {e:#}"))?;
    outputs
        .iter()
        .map(|out| {
            out.try_as_plain_ram()
                .and_then(|view| view.as_slice::<f32>().map(<[f32]>::to_vec))
                .map_err(|e| format!("{net:?}: {e:#}"))
        })
        .collect()
}

type Plan = Arc<TypedRunnableModel>;

/// Runs `f` (which runs networks) on the analysis's own threads, never on the threads that
/// style images.
///
/// tract's x86 kernels use AVX-512 and leave the threads that ran them slow at the scalar
/// maths the styles lean on (`exp`, `powf`, `sqrt` in tight loops): measured on this project's
/// 2-core machine, clay-3d took 152 ms on a 1 MP photo on the threads that had just run the
/// analysis and 109 ms on threads that had not, anime 93 and 68 ms (most likely the
/// penalty x86 charges for SSE code after wide vector code that did not clear its upper
/// registers). The networks therefore run on a small pool of their own, made once per
/// process; if it cannot be made, on the caller's threads.
pub(crate) fn on_network_threads<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        // Two branches run side by side (the person mask; the faces, then their meshes).
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("atelier-analysis-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// How the networks' plans are built (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanBuild {
    /// Simplify the graph, then compile it: slower to build, fastest to run. The default.
    Thorough,
    /// Compile the graph as it is: half the build time, a few milliseconds more per photo.
    Quick,
}

/// Builds the three networks' plans now, side by side, with `build`; a plan that is already
/// built (by an earlier call or an analysis) stays as it is. Calling it is never needed:
/// [`crate::analyze`] builds what it lacks, thoroughly. A service calls it at start so that its
/// first photo does not wait; a short-lived process calls it with [`PlanBuild::Quick`] on
/// another thread while it reads and decodes its photo.
pub fn prepare_analysis(build: PlanBuild) {
    // A failure is not reported here: the analysis that needs the plan reports it.
    on_network_threads(|| {
        rayon::join(
            || drop(Net::Segmentation.plan_built(build)),
            || {
                rayon::join(
                    || drop(Net::FaceDetector.plan_built(build)),
                    || drop(Net::FaceMesh.plan_built(build)),
                )
            },
        )
    });
}

fn load(net: Net, build: PlanBuild) -> TractResult<Plan> {
    let size = net.input_size();
    let mut reader = std::io::Cursor::new(net.bytes());
    let typed = tract_onnx::onnx()
        .model_for_read(&mut reader)?
        .with_input_fact(0, f32::fact([1, size, size, 3]).into())?
        .into_typed()?;
    let compiled = match build {
        PlanBuild::Thorough => typed.into_optimized()?,
        PlanBuild::Quick => {
            let mut model = typed;
            model.optimize()?;
            model
        }
    };
    compiled.into_runnable()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each network's input as analysis builds it, from a real portrait: the whole photo
    /// squeezed to the network's square (what the segmentation sees; for the detector and the
    /// mesh it is a plausible face-filled input too).
    fn photo_input(net: Net) -> Vec<f32> {
        let bytes = include_bytes!("../tests/data/grace_hopper.jpg");
        let image = crate::decode(bytes, &crate::Limits::default())
            .expect("the test photo decodes")
            .image;
        let size = net.input_size() as f32;
        let map = Affine {
            origin: [0.0, 0.0],
            du: [image.width() as f32 / size, 0.0],
            dv: [0.0, image.height() as f32 / size],
        };
        warp_input(&image, net, map, Border::Replicate, (0.0, 1.0))
    }

    #[test]
    fn quick_and_thorough_plans_agree() {
        for net in [Net::FaceDetector, Net::FaceMesh, Net::Segmentation] {
            let input = photo_input(net);
            let quick = load(net, PlanBuild::Quick).expect("quick plan");
            let thorough = load(net, PlanBuild::Thorough).expect("thorough plan");
            let (a, b) = (
                run_plan(&quick, net, &input).expect("the quick plan runs"),
                run_plan(&thorough, net, &input).expect("the thorough plan runs"),
            );
            assert_eq!(a.len(), b.len(), "{net:?}: output count");
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.len(), y.len(), "{net:?}: output length");
                let worst = x
                    .iter()
                    .zip(y)
                    .map(|(p, q)| (p - q).abs())
                    .fold(0.0, f32::max);
                // The same kernels in the same order: equal to the last bit in practice; the
                // bound leaves room for a tract that fuses differently, not for another answer.
                assert!(worst <= 1e-4, "{net:?}: outputs differ by {worst}");
            }
        }
    }
}

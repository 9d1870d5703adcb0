//! Feed-forward image-to-image networks (AnimeGAN-type, fast style transfer) in ONNX, run by
//! tract (pure Rust, no runtime download). The style's config says the tensor layout (NCHW or
//! NHWC), the value range of a channel and the tile size; the photo is scaled to `max_edge`,
//! cut into tiles that overlap by `tile_overlap` pixels, each tile run alone (padded with
//! zeros past the photo's edge, as a convolution's own padding would be), and the centres
//! stitched. Models whose input has a fixed height and width set the tile size themselves.
//! The output must have the input's height and width and three channels.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use atelier_engine::RgbImage;
use tract_onnx::prelude::*;

use super::{Backend, BackendError, Generated, Generation};
use crate::config::{Layout, OnnxStyleConfig};

type Plan = Arc<TypedRunnableModel>;

/// A loaded network and how to feed it.
pub struct OnnxModel {
    model: InferenceModel,
    config: OnnxStyleConfig,
    /// Fixed (height, width) of the model's input, or the configured square tile.
    tile: Option<(usize, usize)>,
    plans: Mutex<HashMap<(usize, usize), Plan>>,
}

/// Maps a channel value 0–255 to the model's range and back, the one formula both ways.
pub fn to_model(value: u8, range: [f32; 2]) -> f32 {
    range[0] + f32::from(value) * ((range[1] - range[0]) / 255.0)
}

pub fn from_model(value: f32, range: [f32; 2]) -> u8 {
    let scaled = (value - range[0]) * (255.0 / (range[1] - range[0]));
    if scaled.is_nan() {
        return 0;
    }
    // Clamped to 0..=255 first, so the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let byte = scaled.round().clamp(0.0, 255.0) as u8;
    byte
}

impl OnnxModel {
    /// Reads and checks the model at start-up: a file that is not a usable image network is
    /// an error here, not at the first job.
    pub fn load(path: &Path, config: &OnnxStyleConfig) -> Result<OnnxModel, String> {
        if config.input_range[0] == config.input_range[1]
            || config.output_range.is_some_and(|r| r[0] == r[1])
        {
            return Err("a value range must have two different ends".into());
        }
        let model = tract_onnx::onnx()
            .model_for_path(path)
            .map_err(|e| format!("cannot read the ONNX model {}: {e:#}", path.display()))?;
        let inputs = model.input_outlets().map_err(|e| e.to_string())?.len();
        let outputs = model.output_outlets().map_err(|e| e.to_string())?.len();
        if inputs != 1 || outputs != 1 {
            return Err(format!(
                "the model must have one input and one output, it has {inputs} and {outputs}"
            ));
        }
        let fact = model.input_fact(0).map_err(|e| e.to_string())?;
        let declared = fact.shape.as_concrete_finite().ok().flatten();
        let fixed = declared.and_then(|shape| match (config.layout, shape.as_slice()) {
            (Layout::Nchw, [1, 3, h, w]) | (Layout::Nhwc, [1, h, w, 3]) => Some((*h, *w)),
            _ => None,
        });
        let tile = fixed.or_else(|| {
            let edge = config.tile as usize;
            (edge > 0).then_some((edge, edge))
        });
        if let Some((h, w)) = tile {
            let overlap = config.tile_overlap as usize;
            if h <= 2 * overlap || w <= 2 * overlap {
                return Err(format!(
                    "tiles of {w}×{h} leave nothing once {overlap} pixels of overlap are cut"
                ));
            }
        }
        let loaded = OnnxModel {
            model,
            config: config.clone(),
            tile,
            plans: Mutex::new(HashMap::new()),
        };
        // Build a plan now so unsupported operators or shapes fail at start-up.
        let probe = tile.unwrap_or((64, 64));
        loaded.plan(probe)?;
        Ok(loaded)
    }

    fn plan(&self, (h, w): (usize, usize)) -> Result<Plan, String> {
        let mut plans = self
            .plans
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(plan) = plans.get(&(h, w)) {
            return Ok(plan.clone());
        }
        let shape: [usize; 4] = match self.config.layout {
            Layout::Nchw => [1, 3, h, w],
            Layout::Nhwc => [1, h, w, 3],
        };
        let plan = self
            .model
            .clone()
            .with_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), shape))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| format!("the model cannot run on a {w}×{h} image: {e:#}"))?;
        // Whole-photo plans differ per size: keep a few.
        if plans.len() >= 8 {
            plans.clear();
        }
        plans.insert((h, w), plan.clone());
        Ok(plan)
    }

    /// Runs the network over `image` tile by tile. CPU work: call it off the async runtime.
    pub fn run(&self, image: &RgbImage) -> Result<RgbImage, String> {
        let (width, height) = (image.width() as usize, image.height() as usize);
        let multiple = (self.config.multiple_of as usize).max(1);
        let round_up = |n: usize| n.div_ceil(multiple) * multiple;
        let (tile_h, tile_w, overlap) = match self.tile {
            Some((h, w)) => (h, w, self.config.tile_overlap as usize),
            None => (round_up(height), round_up(width), 0),
        };
        let (step_h, step_w) = (tile_h - 2 * overlap, tile_w - 2 * overlap);
        let plan = self.plan((tile_h, tile_w))?;
        let input_range = self.config.input_range;
        let output_range = self.config.output_range.unwrap_or(input_range);
        let mut out = RgbImage::new(image.width(), image.height());
        for y0 in (0..height).step_by(step_h) {
            for x0 in (0..width).step_by(step_w) {
                let tensor = self.tile_tensor(image, (x0, y0), (tile_w, tile_h), overlap)?;
                let result = plan
                    .run(tvec!(tensor.into()))
                    .map_err(|e| format!("the model failed: {e:#}"))?;
                let view = result
                    .first()
                    .ok_or("the model gave no output")?
                    .to_plain_array_view::<f32>()
                    .map_err(|e| format!("the model's output is not f32: {e}"))?;
                let (c_axis, h_axis, w_axis) = match self.config.layout {
                    Layout::Nchw => (1, 2, 3),
                    Layout::Nhwc => (3, 1, 2),
                };
                let shape = view.shape();
                if shape.len() != 4
                    || shape[c_axis] != 3
                    || shape[h_axis] != tile_h
                    || shape[w_axis] != tile_w
                {
                    return Err(format!(
                        "the model's output {shape:?} is not a 3-channel image of the input's size"
                    ));
                }
                for y in y0..(y0 + step_h).min(height) {
                    for x in x0..(x0 + step_w).min(width) {
                        let (ty, tx) = (y - y0 + overlap, x - x0 + overlap);
                        let mut pixel = [0u8; 3];
                        for (c, value) in pixel.iter_mut().enumerate() {
                            let v = match self.config.layout {
                                Layout::Nchw => view[[0, c, ty, tx]],
                                Layout::Nhwc => view[[0, ty, tx, c]],
                            };
                            *value = from_model(v, output_range);
                        }
                        // In bounds: x < width, y < height of `out`.
                        #[allow(clippy::cast_possible_truncation)]
                        out.put_pixel(x as u32, y as u32, image::Rgb(pixel));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The tile whose centre starts at (x0, y0): pixels mapped to the model's range, zeros
    /// where the tile reaches past the photo.
    fn tile_tensor(
        &self,
        image: &RgbImage,
        (x0, y0): (usize, usize),
        (tile_w, tile_h): (usize, usize),
        overlap: usize,
    ) -> Result<Tensor, String> {
        let range = self.config.input_range;
        let (width, height) = (image.width() as usize, image.height() as usize);
        let mut data = vec![0f32; 3 * tile_w * tile_h];
        for ty in 0..tile_h {
            let Some(y) = (y0 + ty).checked_sub(overlap).filter(|y| *y < height) else {
                continue;
            };
            for tx in 0..tile_w {
                let Some(x) = (x0 + tx).checked_sub(overlap).filter(|x| *x < width) else {
                    continue;
                };
                #[allow(clippy::cast_possible_truncation)] // within the image
                let pixel = image.get_pixel(x as u32, y as u32).0;
                for (c, value) in pixel.iter().enumerate() {
                    let index = match self.config.layout {
                        Layout::Nchw => (c * tile_h + ty) * tile_w + tx,
                        Layout::Nhwc => (ty * tile_w + tx) * 3 + c,
                    };
                    data[index] = to_model(*value, range);
                }
            }
        }
        let shape: [usize; 4] = match self.config.layout {
            Layout::Nchw => [1, 3, tile_h, tile_w],
            Layout::Nhwc => [1, tile_h, tile_w, 3],
        };
        Tensor::from_shape(&shape, &data).map_err(|e| e.to_string())
    }
}

/// An ONNX style: the model, shared with the blocking pool that runs it.
pub struct OnnxBackend {
    pub model: Arc<OnnxModel>,
}

#[async_trait]
impl Backend for OnnxBackend {
    async fn generate(&self, request: &Generation<'_>) -> Result<Generated, BackendError> {
        let photo = request
            .photo
            .ok_or_else(|| BackendError::Failed("this style needs a photo".into()))?
            .to_vec();
        let limits = request.limits.clone();
        let model = Arc::clone(&self.model);
        let image = tokio::task::spawn_blocking(move || {
            let decoded = atelier_engine::decode(&photo, &limits).map_err(|e| e.to_string())?;
            let max_edge = model.config.max_edge.max(1);
            let scaled = atelier_engine::fit_max_edge(&decoded.image, max_edge);
            model.run(&scaled)
        })
        .await
        .map_err(|e| BackendError::Failed(e.to_string()))?
        .map_err(BackendError::Failed)?;
        Ok(Generated::Image(image))
    }
}

#[cfg(test)]
#[path = "onnx_tests.rs"]
mod tests;

//! Settings of the generation back-ends (`[backends.NAME]`), the style catalog
//! (`[[styles]]`) and the prompt filter (`[prompts]`). Only shapes and defaults live here;
//! `backends::catalog` checks that the pieces fit together when the service starts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{Secret, human_duration};

/// What a style takes from the user.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// An uploaded photo (the built-in styles, ONNX styles).
    #[default]
    Photo,
    /// A text prompt and no photo.
    Prompt,
    /// A photo, a prompt, or both.
    Either,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Photo => "photo",
            InputKind::Prompt => "prompt",
            InputKind::Either => "either",
        }
    }

    pub fn takes_photo(self) -> bool {
        matches!(self, InputKind::Photo | InputKind::Either)
    }

    pub fn takes_prompt(self) -> bool {
        matches!(self, InputKind::Prompt | InputKind::Either)
    }
}

/// `[backends.NAME]`: one remote generator, or shared limits of the ONNX runner
/// (`kind = "onnx"`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    pub kind: BackendKind,
    /// Base URL of a remote back-end (`http://127.0.0.1:7860`, `https://api.openai.com`).
    pub url: Option<String>,
    /// AUTOMATIC1111 `--api-auth` user and password (HTTP basic auth).
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// OpenAI bearer key.
    pub api_key: Option<Secret>,
    /// OpenAI model (`gpt-image-1`, `dall-e-2`, …).
    pub model: Option<String>,
    /// OpenAI image size (`1024x1024`).
    pub size: Option<String>,
    /// Time limit of one attempt (one HTTP request, one model run). Default 120 s.
    #[serde(default = "limit_timeout", deserialize_with = "human_duration")]
    pub timeout: Duration,
    /// Further attempts after a 429, a 5xx, a connection fault or a timeout. Default 2.
    #[serde(default = "limit_retries")]
    pub retries: u32,
    /// Wait before the first retry; doubled on each further one. Default 1 s.
    #[serde(default = "limit_backoff", deserialize_with = "human_duration")]
    pub retry_backoff: Duration,
    /// Generations that may run at once on this back-end; others wait. Default 2.
    #[serde(default = "limit_concurrency")]
    pub max_concurrency: usize,
    /// Failed calls in a row that open the circuit breaker. Default 5.
    #[serde(default = "limit_threshold")]
    pub breaker_threshold: u32,
    /// How long an open breaker refuses calls before letting one trial through. Default 30 s.
    #[serde(default = "limit_cooldown", deserialize_with = "human_duration")]
    pub breaker_cooldown: Duration,
}

impl BackendConfig {
    pub fn limits(&self) -> BackendLimits {
        BackendLimits {
            timeout: self.timeout,
            retries: self.retries,
            retry_backoff: self.retry_backoff,
            max_concurrency: self.max_concurrency,
            breaker_threshold: self.breaker_threshold,
            breaker_cooldown: self.breaker_cooldown,
        }
    }
}

fn limit_timeout() -> Duration {
    BackendLimits::default().timeout
}
fn limit_retries() -> u32 {
    BackendLimits::default().retries
}
fn limit_backoff() -> Duration {
    BackendLimits::default().retry_backoff
}
fn limit_concurrency() -> usize {
    BackendLimits::default().max_concurrency
}
fn limit_threshold() -> u32 {
    BackendLimits::default().breaker_threshold
}
fn limit_cooldown() -> Duration {
    BackendLimits::default().breaker_cooldown
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Automatic1111,
    Openai,
    Onnx,
}

/// How a back-end is called: per-attempt time limit, retries, breaker, concurrency (the
/// fields of `[backends.NAME]` of the same names).
#[derive(Clone, Debug)]
pub struct BackendLimits {
    pub timeout: Duration,
    pub retries: u32,
    pub retry_backoff: Duration,
    pub max_concurrency: usize,
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
}

impl Default for BackendLimits {
    fn default() -> Self {
        BackendLimits {
            timeout: Duration::from_secs(120),
            retries: 2,
            retry_backoff: Duration::from_secs(1),
            max_concurrency: 2,
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
        }
    }
}

/// `[[styles]]`: one style of the catalog beside the six built-in ones.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleConfig {
    /// Lowercase letters, digits and `-`; must not be a built-in style's id.
    pub id: String,
    /// Names per language tag (`en-US`, `ja`, `ko`); `en-US` (or the first) is the fallback.
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub description: String,
    /// Descriptions per language tag, beside the default `description`.
    #[serde(default)]
    pub descriptions: BTreeMap<String, String>,
    /// Name of a `[backends.NAME]` section, or `onnx` for the ONNX runner with default limits.
    pub backend: String,
    /// Tokens per generation; `tokens.default_cost` when absent.
    pub cost: Option<u32>,
    #[serde(default)]
    pub input: InputKind,
    /// Remote styles: the prompt sent, `{prompt}` standing for the user's text.
    #[serde(default = "default_template")]
    pub prompt_template: String,
    #[serde(default)]
    pub negative_prompt: String,
    /// img2img `denoising_strength` (0–1): how far the result may move from the photo.
    pub strength: Option<f32>,
    pub steps: Option<u32>,
    pub cfg_scale: Option<f32>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// AUTOMATIC1111 sampler name (`Euler a`).
    pub sampler: Option<String>,
    /// ONNX styles: the model file and how its input looks.
    pub model: Option<PathBuf>,
    #[serde(default)]
    pub onnx: OnnxStyleConfig,
}

fn default_template() -> String {
    "{prompt}".to_owned()
}

/// Tensor layout of an ONNX model's image input and output.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    #[default]
    Nchw,
    Nhwc,
}

/// `[styles.onnx]`: how pixels go into and come out of the network.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnnxStyleConfig {
    pub layout: Layout,
    /// Value of a channel at 0 and at 255 (`[-1, 1]` for AnimeGAN, `[0, 255]` for
    /// fast-style-transfer); the output is read back through the same range.
    pub input_range: [f32; 2],
    pub output_range: Option<[f32; 2]>,
    /// Tile edge in pixels: the photo is cut into tiles of this size (the model's fixed input
    /// size when it has one), run one by one and stitched. 0 runs the whole photo at once.
    pub tile: u32,
    /// Pixels each tile shares with its neighbours, cut away when stitching.
    pub tile_overlap: u32,
    /// The photo's longest edge is first scaled down to this.
    pub max_edge: u32,
    /// Models with a fixed input size need every dimension a multiple of this.
    pub multiple_of: u32,
}

impl Default for OnnxStyleConfig {
    fn default() -> Self {
        OnnxStyleConfig {
            layout: Layout::Nchw,
            input_range: [0.0, 1.0],
            output_range: None,
            tile: 0,
            tile_overlap: 16,
            max_edge: 1024,
            multiple_of: 1,
        }
    }
}

/// `[prompts]`: text prompts and their filter.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PromptsConfig {
    /// Longest prompt, in characters.
    pub max_chars: usize,
    /// Use the shipped multilingual list (`data/forbidden-prompt-terms.txt`).
    pub builtin_terms: bool,
    /// More terms, same syntax as the list: `term`, `prefix*`, `multi word`.
    pub forbidden_terms: Vec<String>,
    /// A file of more terms, one a line, `#` comments.
    pub terms_file: Option<PathBuf>,
}

impl Default for PromptsConfig {
    fn default() -> Self {
        PromptsConfig {
            max_chars: 500,
            builtin_terms: true,
            forbidden_terms: Vec::new(),
            terms_file: None,
        }
    }
}

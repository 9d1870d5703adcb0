//! Generation back-ends (C3): what turns a photo and/or a prompt into an image for a style.
//!
//! Owns the [`Backend`] trait the workers call, its four implementations (the built-in
//! engine, an ONNX network run by tract, AUTOMATIC1111 and the OpenAI Images API), the
//! [`Guard`] every call goes through (time limit, retries with backoff, circuit breaker,
//! concurrency limit, metrics) and the style [`Catalog`]. It must not touch the store or the
//! blobs: the worker reads inputs and stores the result; remote output is untrusted bytes
//! that [`finish`] puts through the engine's safe decode before anything keeps it.

mod automatic1111;
pub mod catalog;
mod engine;
#[cfg(test)]
mod fake_remote;
mod guard;
mod http;
#[cfg(feature = "onnx")]
pub mod onnx;
mod openai;

use async_trait::async_trait;
use atelier_engine::{EncodeOptions, Format, Limits, RgbImage, Style};
use tokio::sync::watch;

pub use catalog::{Catalog, CatalogStyle};
pub use guard::Guard;

/// One generation as a back-end sees it.
pub struct Generation<'a> {
    /// The stored upload (a PNG the service re-encoded), when the job has one.
    pub photo: Option<&'a [u8]>,
    /// The user's text, before the style's template; checked by the prompt filter.
    pub prompt: Option<&'a str>,
    pub intensity: f32,
    pub seed: u64,
    /// The caps `photo` is decoded under: the deployment's upload caps as
    /// [`Limits::for_own_files`] raises them for the service's own copy.
    pub limits: &'a Limits,
    /// Where a back-end that knows its progress reports it (0–1).
    pub progress: &'a watch::Sender<f32>,
}

/// What a back-end made.
pub enum Generated {
    /// Pixels made in this process (engine, ONNX): trusted.
    Image(RgbImage),
    /// Bytes from another machine: untrusted until [`finish`] decoded them with caps.
    Untrusted(Vec<u8>),
}

/// Why a generation failed. Timeouts, 429, 5xx and connection faults are worth another
/// attempt; the rest will fail again.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("the back-end did not answer in time")]
    Timeout,
    #[error("the back-end is overloaded (429)")]
    RateLimited,
    #[error("the back-end failed (HTTP {0})")]
    Server(u16),
    #[error("cannot reach the back-end: {0}")]
    Connection(String),
    #[error("the back-end refused the request (HTTP {status}): {detail}")]
    Rejected { status: u16, detail: String },
    #[error("the back-end's answer is not a usable image: {0}")]
    BadOutput(String),
    #[error("the back-end is unavailable (circuit breaker open)")]
    CircuitOpen,
    #[error("{0}")]
    Failed(String),
}

impl BackendError {
    pub fn code(&self) -> &'static str {
        match self {
            BackendError::Timeout => "backend-timeout",
            BackendError::RateLimited => "backend-rate-limited",
            BackendError::Server(_) => "backend-server-error",
            BackendError::Connection(_) => "backend-unreachable",
            BackendError::Rejected { .. } => "backend-rejected",
            BackendError::BadOutput(_) => "backend-bad-output",
            BackendError::CircuitOpen => "backend-circuit-open",
            BackendError::Failed(_) => "backend-failed",
        }
    }

    /// Another attempt may succeed.
    pub fn retriable(&self) -> bool {
        matches!(
            self,
            BackendError::Timeout
                | BackendError::RateLimited
                | BackendError::Server(_)
                | BackendError::Connection(_)
        )
    }

    /// Says the back-end itself is unwell (counts toward opening its breaker). A refused
    /// request or a failure of our own input says nothing about it.
    fn counts_against_backend(&self) -> bool {
        self.retriable() || matches!(self, BackendError::BadOutput(_))
    }
}

/// A generator for one style.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Runs one attempt; the [`Guard`] around it handles time limits and retries.
    async fn generate(&self, request: &Generation<'_>) -> Result<Generated, BackendError>;
}

/// Turns a back-end's output into the PNG the service stores: local pixels are encoded,
/// remote bytes go through the same safe ingest as uploads (format sniffed from the bytes,
/// byte and pixel caps, decode with a memory cap, metadata stripped, re-encoded). Either way
/// the PNG carries the provenance packet naming `style_id`. CPU work: call it off the
/// async runtime.
pub fn finish(
    output: Generated,
    style_id: &str,
    limits: &Limits,
) -> Result<(u32, u32, Vec<u8>), BackendError> {
    let image = match output {
        Generated::Image(image) => image,
        Generated::Untrusted(bytes) => {
            if bytes.len() > limits.max_bytes {
                return Err(BackendError::BadOutput(format!(
                    "{} bytes, more than the {} allowed",
                    bytes.len(),
                    limits.max_bytes
                )));
            }
            atelier_engine::decode(&bytes, limits)
                .map_err(|e| BackendError::BadOutput(e.to_string()))?
                .image
        }
    };
    // The `Style` only fills the options; the packet records `style_id`.
    let options = EncodeOptions::new(Format::Png, Style::Artistic).with_style_id(style_id);
    let bytes = atelier_engine::encode(&image, &options)
        .map_err(|e| BackendError::Failed(e.to_string()))?;
    Ok((image.width(), image.height(), bytes))
}

#[cfg(test)]
mod tests;

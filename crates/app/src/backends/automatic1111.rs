//! AUTOMATIC1111's web UI API: `POST /sdapi/v1/txt2img` without a photo,
//! `POST /sdapi/v1/img2img` with one (base64 `init_images`, `denoising_strength`); the answer's
//! `images[0]` is the result. While it runs, `GET /sdapi/v1/progress` gives the progress.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{body_of, client, decode_base64, encode_base64, render_prompt, send_error};
use super::{Backend, BackendError, Generated, Generation};
use crate::config::{BackendConfig, Secret, StyleConfig};

/// One AUTOMATIC1111 server, shared by its styles.
pub struct Automatic1111Api {
    client: reqwest::Client,
    base: String,
    auth: Option<(String, Secret)>,
    max_answer: usize,
    poll_every: Duration,
}

impl Automatic1111Api {
    pub fn new(config: &BackendConfig, max_answer: usize) -> Result<Automatic1111Api, String> {
        let base = config
            .url
            .as_deref()
            .ok_or("`url` is required")?
            .trim_end_matches('/')
            .to_owned();
        let auth = match (&config.username, &config.password) {
            (Some(user), Some(password)) => Some((user.clone(), password.clone())),
            (None, None) => None,
            _ => return Err("give both `username` and `password`, or neither".into()),
        };
        Ok(Automatic1111Api {
            client: client(config.timeout)?,
            base,
            auth,
            max_answer,
            poll_every: Duration::from_millis(500),
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        match &self.auth {
            Some((user, password)) => builder.basic_auth(user, Some(password.expose())),
            None => builder,
        }
    }

    /// `progress` of `GET /sdapi/v1/progress` (0–1), or `None` when it cannot be read.
    async fn progress(&self) -> Option<f32> {
        #[derive(Deserialize)]
        struct Progress {
            progress: f32,
        }
        let response = self
            .request(
                reqwest::Method::GET,
                "/sdapi/v1/progress?skip_current_image=true",
            )
            .send()
            .await
            .ok()?;
        let body = body_of(response, 1 << 20).await.ok()?;
        let progress: Progress = serde_json::from_slice(&body).ok()?;
        progress
            .progress
            .is_finite()
            .then_some(progress.progress.clamp(0.0, 1.0))
    }
}

/// A style served by AUTOMATIC1111.
pub struct Automatic1111Style {
    pub api: Arc<Automatic1111Api>,
    pub style: StyleConfig,
}

impl Automatic1111Style {
    fn body(&self, request: &Generation<'_>) -> Result<(Value, &'static str), BackendError> {
        let style = &self.style;
        let (width, height) = match (style.width, style.height, request.photo) {
            (Some(w), Some(h), _) => (w, h),
            (_, _, Some(photo)) => size_near(photo, 768),
            _ => (512, 512),
        };
        let mut body = json!({
            "prompt": render_prompt(&style.prompt_template, request.prompt),
            "negative_prompt": style.negative_prompt,
            // A1111 seeds are 32-bit; -1 would mean random, which a job never asks for.
            "seed": request.seed % (1 << 32),
            "steps": style.steps.unwrap_or(20),
            "cfg_scale": style.cfg_scale.unwrap_or(7.0),
            "width": width,
            "height": height,
            "batch_size": 1,
            "n_iter": 1,
            "send_images": true,
            "save_images": false,
        });
        if let Some(sampler) = &style.sampler {
            body["sampler_name"] = json!(sampler);
        }
        let path = match request.photo {
            Some(photo) => {
                body["init_images"] = json!([encode_base64(photo)]);
                body["denoising_strength"] = json!(style.strength.unwrap_or(request.intensity));
                "/sdapi/v1/img2img"
            }
            None => "/sdapi/v1/txt2img",
        };
        Ok((body, path))
    }
}

/// The photo's size scaled so its longer edge is `edge`, both multiples of 8 (what Stable
/// Diffusion needs); 512² when the header cannot be read.
fn size_near(photo: &[u8], edge: u32) -> (u32, u32) {
    let Ok((w, h)) = image::ImageReader::new(std::io::Cursor::new(photo))
        .with_guessed_format()
        .map_err(|_| ())
        .and_then(|r| r.into_dimensions().map_err(|_| ()))
    else {
        return (512, 512);
    };
    let long = w.max(h).max(1);
    let scale =
        |side: u32| ((u64::from(side) * u64::from(edge) / u64::from(long)) as u32 / 8).max(8) * 8;
    (scale(w), scale(h))
}

#[async_trait]
impl Backend for Automatic1111Style {
    async fn generate(&self, request: &Generation<'_>) -> Result<Generated, BackendError> {
        #[derive(Deserialize)]
        struct Answer {
            images: Vec<String>,
        }
        let (body, path) = self.body(request)?;
        let api = &self.api;
        let call = async {
            let response = api
                .request(reqwest::Method::POST, path)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string())
                .send()
                .await
                .map_err(|e| send_error(&e))?;
            body_of(response, api.max_answer).await
        };
        let poll = async {
            loop {
                tokio::time::sleep(api.poll_every).await;
                if let Some(progress) = api.progress().await {
                    request.progress.send_replace(0.1 + 0.8 * progress);
                }
            }
        };
        let answer = tokio::select! {
            answer = call => answer?,
            () = poll => return Err(BackendError::Failed("progress polling ended".into())),
        };
        let answer: Answer = serde_json::from_slice(&answer)
            .map_err(|e| BackendError::BadOutput(format!("not the expected JSON: {e}")))?;
        let first = answer
            .images
            .first()
            .ok_or_else(|| BackendError::BadOutput("no image in the answer".into()))?;
        Ok(Generated::Untrusted(decode_base64(first)?))
    }
}

//! The OpenAI Images API: `POST /v1/images/generations` (JSON) without a photo,
//! `POST /v1/images/edits` (multipart, the photo as `image[]`) with one; the answer's
//! `data[0].b64_json` is the result. Model and size come from the back-end's config, the key
//! goes in `Authorization: Bearer`. The API reports no progress and has no negative prompt.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::http::{body_of, client, decode_base64, render_prompt, send_error};
use super::{Backend, BackendError, Generated, Generation};
use crate::config::{BackendConfig, Secret, StyleConfig};

pub struct OpenAiApi {
    client: reqwest::Client,
    base: String,
    key: Secret,
    model: String,
    size: String,
    max_answer: usize,
}

impl OpenAiApi {
    pub fn new(config: &BackendConfig, max_answer: usize) -> Result<OpenAiApi, String> {
        let base = config
            .url
            .as_deref()
            .unwrap_or("https://api.openai.com")
            .trim_end_matches('/')
            .to_owned();
        Ok(OpenAiApi {
            client: client(config.timeout)?,
            base,
            key: config.api_key.clone().ok_or("`api_key` is required")?,
            model: config.model.clone().unwrap_or_else(|| "gpt-image-1".into()),
            size: config.size.clone().unwrap_or_else(|| "1024x1024".into()),
            max_answer,
        })
    }

    /// Only the DALL·E models take `response_format`; gpt-image-1 always answers in base64
    /// and refuses the field.
    fn wants_response_format(&self) -> bool {
        self.model.starts_with("dall-e")
    }
}

pub struct OpenAiStyle {
    pub api: Arc<OpenAiApi>,
    pub style: StyleConfig,
}

/// A `multipart/form-data` body: text fields, then one PNG file.
fn multipart(boundary: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[async_trait]
impl Backend for OpenAiStyle {
    async fn generate(&self, request: &Generation<'_>) -> Result<Generated, BackendError> {
        #[derive(Deserialize)]
        struct Item {
            b64_json: Option<String>,
        }
        #[derive(Deserialize)]
        struct Answer {
            data: Vec<Item>,
        }
        let api = &self.api;
        let prompt = render_prompt(&self.style.prompt_template, request.prompt);
        request.progress.send_replace(0.5);
        let builder = match request.photo {
            None => {
                let mut body = json!({
                    "model": api.model,
                    "prompt": prompt,
                    "n": 1,
                    "size": api.size,
                });
                if api.wants_response_format() {
                    body["response_format"] = json!("b64_json");
                }
                api.client
                    .post(format!("{}/v1/images/generations", api.base))
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_string())
            }
            Some(photo) => {
                let boundary = format!("atelier-{}", uuid::Uuid::new_v4().simple());
                let mut fields = vec![
                    ("model", api.model.as_str()),
                    ("prompt", prompt.as_str()),
                    ("n", "1"),
                    ("size", api.size.as_str()),
                ];
                if api.wants_response_format() {
                    fields.push(("response_format", "b64_json"));
                }
                let body = multipart(&boundary, &fields, ("image[]", photo));
                api.client
                    .post(format!("{}/v1/images/edits", api.base))
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body)
            }
        };
        let response = builder
            .bearer_auth(api.key.expose())
            .send()
            .await
            .map_err(|e| send_error(&e))?;
        let body = body_of(response, api.max_answer).await?;
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|e| BackendError::BadOutput(format!("not the expected JSON: {e}")))?;
        let b64 = answer
            .data
            .into_iter()
            .find_map(|item| item.b64_json)
            .ok_or_else(|| BackendError::BadOutput("no b64_json in the answer".into()))?;
        Ok(Generated::Untrusted(decode_base64(&b64)?))
    }
}

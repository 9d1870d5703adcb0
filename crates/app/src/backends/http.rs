//! What the remote back-ends share: one reqwest client per back-end, status codes mapped to
//! [`BackendError`], base64 images.

use std::time::Duration;

use base64::Engine as _;

use super::BackendError;

/// A client whose own timeout backs up the guard's (the guard cancels; this closes sockets).
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10).min(timeout))
        .timeout(timeout)
        .build()
        .map_err(|e| e.to_string())
}

pub fn send_error(error: &reqwest::Error) -> BackendError {
    if error.is_timeout() {
        BackendError::Timeout
    } else {
        BackendError::Connection(error.to_string())
    }
}

/// The body of a successful answer, or the error its status means.
pub async fn body_of(
    response: reqwest::Response,
    max_bytes: usize,
) -> Result<Vec<u8>, BackendError> {
    let status = response.status();
    let mut response = response;
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max_bytes {
                    return Err(BackendError::BadOutput(format!(
                        "answer larger than {max_bytes} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(send_error(&e)),
        }
    }
    if status.is_success() {
        return Ok(body);
    }
    let code = status.as_u16();
    Err(match code {
        429 => BackendError::RateLimited,
        500..=599 => BackendError::Server(code),
        _ => BackendError::Rejected {
            status: code,
            // The first line of the answer, for the operator's logs (never shown to users).
            detail: String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned(),
        },
    })
}

pub fn decode_base64(text: &str) -> Result<Vec<u8>, BackendError> {
    // AUTOMATIC1111 may prefix a data URL header.
    let text = text.rsplit_once("base64,").map_or(text, |(_, data)| data);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| BackendError::BadOutput(format!("invalid base64: {e}")))?;
    // A first look, so garbage counts against the back-end's breaker; the full safe decode
    // comes after (`backends::finish`).
    if atelier_engine::sniff(&bytes).is_none() {
        return Err(BackendError::BadOutput(
            "not a JPEG, PNG or WebP image".into(),
        ));
    }
    Ok(bytes)
}

pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Fills `{prompt}` of a style's template with the user's text (empty when none).
pub fn render_prompt(template: &str, prompt: Option<&str>) -> String {
    template
        .replace("{prompt}", prompt.unwrap_or("").trim())
        .trim()
        .to_owned()
}

//! A local stand-in for AUTOMATIC1111 and the OpenAI Images API (tests only): it records
//! every request it receives and answers as told: a real PNG, slowly, with an HTTP error, or
//! with garbage.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::http::encode_base64;

#[derive(Clone, Debug)]
pub enum Answer {
    /// A PNG of this size.
    Image(u32, u32),
    /// The image after this delay.
    Slow(Duration),
    Status(u16),
    /// Valid JSON whose image is base64 of text.
    NotAnImage,
    /// Not JSON at all.
    Garbage,
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

#[derive(Clone)]
pub struct FakeRemote {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    answers: Arc<Mutex<Vec<Answer>>>,
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
    progress: Arc<Mutex<f32>>,
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    crate::testing::photo_png(width, height)
}

impl FakeRemote {
    /// Starts the server on a free port; it answers `answers` in turn, repeating the last.
    pub async fn start(answers: Vec<Answer>) -> FakeRemote {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let fake = FakeRemote {
            url,
            seen: Arc::default(),
            answers: Arc::new(Mutex::new(answers)),
            in_flight: Arc::default(),
            most_in_flight: Arc::default(),
            progress: Arc::new(Mutex::new(0.5)),
        };
        let router = Router::new()
            .route("/sdapi/v1/txt2img", post(generate))
            .route("/sdapi/v1/img2img", post(generate))
            .route("/sdapi/v1/progress", get(progress))
            .route("/v1/images/generations", post(generate))
            .route("/v1/images/edits", post(generate))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        fake
    }

    /// The generation requests received (progress polls left out).
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    pub fn hits(&self) -> usize {
        self.seen().len()
    }

    pub fn most_in_flight(&self) -> usize {
        self.most_in_flight.load(Ordering::SeqCst)
    }

    fn next_answer(&self) -> Answer {
        let mut answers = self.answers.lock().expect("lock");
        if answers.len() > 1 {
            answers.remove(0)
        } else {
            answers.first().cloned().unwrap_or(Answer::Image(8, 8))
        }
    }
}

async fn progress(State(fake): State<FakeRemote>) -> Response {
    let progress = *fake.progress.lock().expect("lock");
    axum::Json(json!({"progress": progress, "eta_relative": 1.0, "state": {}})).into_response()
}

async fn generate(
    State(fake): State<FakeRemote>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.seen.lock().expect("lock").push(Seen {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let now = fake.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    fake.most_in_flight.fetch_max(now, Ordering::SeqCst);
    let answer = fake.next_answer();
    let image = match answer {
        Answer::Image(w, h) => Some(png(w, h)),
        Answer::Slow(delay) => {
            tokio::time::sleep(delay).await;
            Some(png(8, 8))
        }
        _ => None,
    };
    fake.in_flight.fetch_sub(1, Ordering::SeqCst);
    let openai = uri.path().starts_with("/v1/");
    let wrap = |b64: String| {
        if openai {
            json!({"created": 1, "data": [{"b64_json": b64}]})
        } else {
            json!({"images": [b64], "parameters": {}, "info": "{}"})
        }
    };
    match (answer, image) {
        (_, Some(image)) => axum::Json(wrap(encode_base64(&image))).into_response(),
        (Answer::Status(code), _) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "{\"error\":\"no\"}",
        )
            .into_response(),
        (Answer::NotAnImage, _) => {
            axum::Json(wrap(encode_base64(b"definitely not an image"))).into_response()
        }
        _ => (StatusCode::OK, "<html>garbage").into_response(),
    }
}

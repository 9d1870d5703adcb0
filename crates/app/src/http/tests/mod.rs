//! HTTP tests through the real router (`oneshot`, no socket): shared helpers here, the
//! stories by area in the submodules.

mod api_keys;
mod auth;
mod error_language;
mod error_walk;
mod export;
mod fuzz;
mod headers;
mod isolation;
mod media;
mod payments;
mod plans;
mod policies;
mod privacy;
mod prompts;
mod saved;
mod verification;
mod webhook;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{AppState, app};
use crate::testing::{TestApp, photo_png};

pub(super) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub(super) async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

pub(super) fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(value) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(value.to_string())
        }
        None => Body::empty(),
    };
    builder.body(body).expect("request")
}

pub(super) fn upload_request(token: &str, field: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "atelier-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method(Method::POST)
        .uri("/api/v1/uploads")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

pub(super) fn router(test: &TestApp) -> Router {
    app(AppState::new(test.services.clone()))
}

pub(super) async fn register(router: &Router, name: &str) -> String {
    let body = json!({"email": format!("{name}@example.org"), "password": "a sturdy passphrase", "age_over_14": true, "guardian_consent": false});
    let reply = send(
        router,
        request(Method::POST, "/api/v1/auth/register", None, Some(body)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["token"].as_str().expect("token").to_owned()
}

pub(super) async fn upload(router: &Router, token: &str) -> String {
    let reply = send(router, upload_request(token, "file", &photo_png(40, 30))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["id"].as_str().expect("upload id").to_owned()
}

pub(super) async fn create_job(router: &Router, token: &str, upload_id: &str) -> Reply {
    let body = json!({"upload_id": upload_id, "style": "light-color"});
    send(
        router,
        request(Method::POST, "/api/v1/jobs", Some(token), Some(body)),
    )
    .await
}

//! Helpers shared by the integration tests: a minimal HTTP/1.1 client, photos, polling.
#![allow(dead_code)] // each test file uses a different subset

pub mod browser;
pub mod postgres;
pub mod process;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 exchange with `Connection: close`; returns status and body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let status_line = String::from_utf8_lossy(&raw[..split])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, raw[split + 4..].to_vec())
}

pub async fn json_call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if let Some(token) = token {
        headers.push(("Authorization", format!("Bearer {token}")));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let (status, bytes) = http(addr, method, path, &headers, body.as_bytes()).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

pub fn photo_sized(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                files_under(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// Polls `check` every 100 ms until it holds or `limit` passes.
pub async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

pub fn photo() -> Vec<u8> {
    photo_sized(64, 48)
}

/// A multipart body with the photo in field `file`, and its content type.
pub fn upload_body(photo: &[u8]) -> (Vec<u8>, String) {
    let boundary = "b0undary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// Uploads `photo` and returns the upload id.
pub async fn upload(addr: SocketAddr, token: &str, photo: &[u8]) -> String {
    let (body, content_type) = upload_body(photo);
    let headers = [
        ("Authorization", format!("Bearer {token}")),
        ("Content-Type", content_type),
    ];
    let (status, bytes) = http(addr, "POST", "/api/v1/uploads", &headers, &body).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&bytes));
    let upload: Value = serde_json::from_slice(&bytes).expect("upload json");
    upload["id"].as_str().expect("upload id").to_owned()
}

/// Registers `email` and returns its session token.
pub async fn register(addr: SocketAddr, email: &str) -> String {
    let body =
        serde_json::json!({"email": email, "password": "a sturdy passphrase", "age_over_14": true});
    let (status, reply) = json_call(addr, "POST", "/api/v1/auth/register", None, Some(body)).await;
    assert_eq!(status, 201, "{reply}");
    reply["token"].as_str().expect("token").to_owned()
}

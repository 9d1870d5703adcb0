//! The real server on a real socket (port 0, fresh data folder): the retention story with a
//! seconds-long TTL, against blob files on disk.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use atelier_app::config::{Config, Overrides};
use atelier_app::services::Services;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One HTTP/1.1 exchange with `Connection: close`; returns status and body.
async fn http(
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

async fn json_call(
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

fn photo() -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
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
async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_uploads_and_results_leave_no_file_and_no_row() {
    // Arrange: a server with 2-second retention and a 1-second sweep, on port 0.
    let dir = tempfile::tempdir().expect("tempdir");
    let vars = [
        ("ATELIER__RETENTION__UPLOAD_TTL", "2s"),
        ("ATELIER__RETENTION__RESULT_TTL", "2s"),
        ("ATELIER__RETENTION__SWEEP_INTERVAL", "1s"),
        ("ATELIER__ACCOUNTS__ARGON2_MEMORY_KIB", "64"),
        ("ATELIER__ACCOUNTS__ARGON2_ITERATIONS", "1"),
        ("ATELIER__JOBS__WORKERS", "1"),
        ("ATELIER__JOBS__POLL_INTERVAL", "50ms"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let overrides = Overrides {
        listen: None,
        data_dir: Some(dir.path().to_owned()),
    };
    let config = Config::load(None, vars, &overrides).expect("config");
    let services = Services::open(config).await.expect("services");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(atelier_app::server::run(services, listener, async {
        let _ = stopped.await;
    }));
    let blobs = dir.path().join("blobs");

    // Act: register, upload, run a job to its result.
    let register =
        json!({"email": "ada@example.org", "password": "a sturdy passphrase", "age_over_14": true});
    let (status, reply) =
        json_call(addr, "POST", "/api/v1/auth/register", None, Some(register)).await;
    assert_eq!(status, 201, "{reply}");
    let token = reply["token"].as_str().expect("token").to_owned();
    let boundary = "b0undary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&photo());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let headers = [
        ("Authorization", format!("Bearer {token}")),
        (
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        ),
    ];
    let (status, bytes) = http(addr, "POST", "/api/v1/uploads", &headers, &body).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&bytes));
    let upload: Value = serde_json::from_slice(&bytes).expect("upload json");
    let upload_id = upload["id"].as_str().expect("upload id").to_owned();
    let job = json!({"upload_id": upload_id, "style": "detailed-sketch"});
    let (status, job) = json_call(addr, "POST", "/api/v1/jobs", Some(&token), Some(job)).await;
    assert_eq!(status, 202, "{job}");
    let job_path = format!("/api/v1/jobs/{}", job["id"].as_str().expect("job id"));
    let mut result_id = String::new();
    let finished = eventually(Duration::from_secs(60), async || {
        let (_, job) = json_call(addr, "GET", &job_path, Some(&token), None).await;
        result_id = job["result_id"].as_str().unwrap_or_default().to_owned();
        job["status"] == "succeeded"
    })
    .await;
    assert!(finished, "the job did not finish");

    // Assert: while held, blobs are on disk but are not images.
    let held = files_under(&blobs);
    assert_eq!(held.len(), 2, "{held:?}");
    for file in &held {
        let bytes = std::fs::read(file).expect("read blob");
        assert!(
            image::load_from_memory(&bytes).is_err(),
            "{} is readable as an image",
            file.display()
        );
    }
    // After the TTL plus a sweep, nothing is left: no file, no row.
    let swept = eventually(Duration::from_secs(15), async || {
        files_under(&blobs).is_empty()
    })
    .await;
    assert!(swept, "blobs left: {:?}", files_under(&blobs));
    let (upload_status, _) = json_call(
        addr,
        "GET",
        &format!("/api/v1/uploads/{upload_id}"),
        Some(&token),
        None,
    )
    .await;
    let (result_status, _) = json_call(
        addr,
        "GET",
        &format!("/api/v1/results/{result_id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!((upload_status, result_status), (404, 404));

    let _ = stop.send(());
    server.await.expect("server task").expect("server ran");
}

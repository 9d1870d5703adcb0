//! The real server on a real socket (port 0, fresh data folder): the retention story with a
//! seconds-long TTL, against blob files on disk.

mod support;

use std::time::Duration;

use atelier_app::config::{Config, Overrides};
use atelier_app::services::Services;
use serde_json::json;
use support::{eventually, files_under, json_call, photo};
use tokio::net::TcpListener;

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
    let token = support::register(addr, "ada@example.org").await;
    let upload_id = support::upload(addr, &token, &photo()).await;
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

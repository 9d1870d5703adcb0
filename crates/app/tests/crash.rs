//! A killed server loses nothing (docs/architecture.md: a job is never lost): start the server in a
//! child process, queue jobs, `kill -9` it mid-work, start it again on the same data, and check
//! that every job ends succeeded or failed-and-refunded and that the token ledger still balances.
//!
//! The child is this test binary itself, running the ignored `crash_child` test. The story
//! runs on SQLite, and on PostgreSQL when `ATELIER_TEST_POSTGRES_URL` is set.

mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use support::{eventually, json_call, photo_sized, register, upload};

const CHILD_DATA_DIR: &str = "ATELIER_CRASH_TEST_DATA_DIR";

/// A server child process, killed (SIGKILL) when dropped so a failing test leaks nothing.
struct Server(Child);

impl Server {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts a server child on `data_dir` (and `database`, or the SQLite file there) and returns
/// it with the address it listens on.
fn start_server(data_dir: &Path, database: Option<&str>) -> (Server, SocketAddr) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut command = Command::new(exe);
    if let Some(url) = database {
        command.env("ATELIER__DATABASE__URL", url);
    }
    let mut child = command
        .args([
            "--ignored",
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DATA_DIR, data_dir)
        .env("ATELIER__ACCOUNTS__ARGON2_MEMORY_KIB", "64")
        .env("ATELIER__ACCOUNTS__ARGON2_ITERATIONS", "1")
        .env("ATELIER__JOBS__WORKERS", "1")
        .env("ATELIER__JOBS__LEASE", "2s")
        .env("ATELIER__JOBS__POLL_INTERVAL", "50ms")
        .env("ATELIER__TOKENS__WELCOME", "10")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server child");
    let stdout = child.stdout.take().expect("child stdout");
    let child = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("child printed its address")
            .expect("read child output");
        // libtest prints "test crash_child ... " on the same line first.
        if let Some((_, addr)) = line.split_once("LISTENING ") {
            break addr.trim().parse().expect("address");
        }
    };
    // Keep draining the pipe so the child never blocks on a full stdout.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

async fn job_states(addr: SocketAddr, token: &str, jobs: &[String]) -> Vec<Value> {
    let mut states = Vec::new();
    for id in jobs {
        let (_, job) = json_call(
            addr,
            "GET",
            &format!("/api/v1/jobs/{id}"),
            Some(token),
            None,
        )
        .await;
        states.push(job);
    }
    states
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_job_and_no_token() {
    a_killed_server_loses_nothing(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_on_postgres_loses_no_job_and_no_token() {
    let Some(database) = support::postgres::FreshDatabase::create().await else {
        return;
    };
    a_killed_server_loses_nothing(Some(&database.url)).await;
}

async fn a_killed_server_loses_nothing(database: Option<&str>) {
    // Arrange: a server with one worker and six jobs queued.
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut first, addr) = start_server(dir.path(), database);
    let token = register(addr, "ada@example.org").await;
    let upload_id = upload(addr, &token, &photo_sized(400, 400)).await;
    let mut jobs = Vec::new();
    for _ in 0..6 {
        let body = json!({"upload_id": upload_id, "style": "artistic"});
        let (status, job) = json_call(addr, "POST", "/api/v1/jobs", Some(&token), Some(body)).await;
        assert_eq!(status, 202, "{job}");
        jobs.push(job["id"].as_str().expect("job id").to_owned());
    }
    let running = eventually(Duration::from_secs(30), async || {
        job_states(addr, &token, &jobs)
            .await
            .iter()
            .any(|job| job["status"] == "running")
    })
    .await;
    assert!(running, "no job started");

    // Act: kill -9 mid-work, then start again on the same data folder.
    first.kill();
    let (mut second, addr) = start_server(dir.path(), database);
    let token = {
        let body = json!({"email": "ada@example.org", "password": "a sturdy passphrase"});
        let (status, reply) = json_call(addr, "POST", "/api/v1/auth/login", None, Some(body)).await;
        assert_eq!(status, 200, "{reply}");
        reply["token"].as_str().expect("token").to_owned()
    };
    let settled = eventually(Duration::from_secs(180), async || {
        job_states(addr, &token, &jobs)
            .await
            .iter()
            .all(|job| matches!(job["status"].as_str(), Some("succeeded" | "failed")))
    })
    .await;
    let states = job_states(addr, &token, &jobs).await;
    let (_, tokens) = json_call(addr, "GET", "/api/v1/tokens", Some(&token), None).await;
    second.kill();

    // Assert: every job ended, each success paid once, each failure refunded, ledger balanced.
    assert!(settled, "jobs still open: {states:?}");
    let succeeded = states
        .iter()
        .filter(|job| job["status"] == "succeeded")
        .count();
    assert_eq!(tokens["balance"], json!(10 - succeeded as i64), "{tokens}");
    let sum = |kind: &str| -> i64 {
        tokens["ledger"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["kind"] == kind)
            .filter_map(|e| e["amount"].as_i64())
            .sum()
    };
    let quantity: i64 = tokens["lots"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["quantity"].as_i64())
        .sum();
    let remaining: i64 = tokens["lots"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["remaining"].as_i64())
        .sum();
    assert_eq!(
        quantity,
        remaining + sum("spend") - sum("refund") + sum("expire") + sum("revoke"),
        "{tokens}"
    );
}

/// The server half of the crash test; does nothing unless the crash test started it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by a_killed_server_loses_no_job_and_no_token as a child process"]
async fn crash_child() {
    let Some(data_dir) = std::env::var_os(CHILD_DATA_DIR) else {
        return;
    };
    let overrides = atelier_app::config::Overrides {
        listen: None,
        data_dir: Some(data_dir.into()),
    };
    let config =
        atelier_app::config::Config::load(None, std::env::vars(), &overrides).expect("config");
    let services = atelier_app::services::Services::open(config)
        .await
        .expect("services");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    println!("LISTENING {}", listener.local_addr().expect("addr"));
    atelier_app::server::run(services, listener, std::future::pending())
        .await
        .expect("serve");
}

//! Erasure leaves no byte of the user on disk, on a real `atelier serve` process.
//!
//! The child process is this test binary running the ignored `serve_child` test, which hands
//! `serve --listen 127.0.0.1:0 --data-dir DIR` to `atelier_app::cli::serve`, the function the
//! `atelier` binary's `main` dispatches `serve` to: same runtime, same SQLite store in the
//! data folder, same Ctrl-C/SIGTERM handling. The story:
//! 1. two users each get a display name, an upload, a result (a finished job), a support
//!    ticket, an abuse report, an API key and an export; one of them erases their account
//!    (`DELETE /api/v1/me`);
//! 2. the raw bytes and names of every file under the data folder (database, WAL, SHM, blobs,
//!    master key) are scanned for the erased user's e-mail, id (hyphenated, simple hex, raw
//!    16 bytes) and every id and text they owned: no hit, while the other user's rows are
//!    still served and the same scan still finds them;
//! 3. SIGTERM stops the server: the same scan, and the WAL is gone or empty;
//! 4. the server starts again with seconds-long retention: once the sweep deleted a new
//!    upload and result of the survivor's, their older access-log row and their sent mail,
//!    the scan finds nothing of those either, nor after a second clean stop.

mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{eventually, files_under, http, json_call, photo, register, upload};

const CHILD_DATA_DIR: &str = "ATELIER_ERASURE_TEST_DATA_DIR";
const PASSWORD: &str = "a sturdy passphrase";

/// `atelier serve` in a child process, killed when dropped so a failing test leaks nothing.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// Everything the child wrote to stdout (its log: outbox mail is logged without SMTP).
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let exe = std::env::current_exe().expect("test binary path");
        let mut command = Command::new(exe);
        command
            .args([
                "--ignored",
                "--exact",
                "serve_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DATA_DIR, data_dir)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info,sqlx=warn")
            .env("ATELIER__ACCOUNTS__ARGON2_MEMORY_KIB", "64")
            .env("ATELIER__ACCOUNTS__ARGON2_ITERATIONS", "1")
            .env("ATELIER__JOBS__WORKERS", "1")
            .env("ATELIER__JOBS__POLL_INTERVAL", "50ms")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("spawn the server");
        let stdout = child.stdout.take().expect("child stdout");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some((_, rest)) = line.split_once("listening on http://") {
                    let addr: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':'))
                        .collect();
                    let _ = tx.send(addr);
                }
                if let Ok(mut log) = sink.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
        };
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server said where it listens");
        server.addr = addr.parse().expect("address");
        server
    }

    fn log(&self) -> String {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// SIGTERM, as an init system stops the service; waits for the process to end.
    fn terminate(&mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server half; does nothing unless a test below started it.
#[test]
#[ignore = "run by the erasure test as a child process"]
fn serve_child() {
    use clap::Parser;

    #[derive(Parser)]
    struct Atelier {
        #[command(subcommand)]
        command: Commands,
    }
    #[derive(clap::Subcommand)]
    enum Commands {
        Serve(atelier_app::cli::ServeArgs),
    }

    let Some(data_dir) = std::env::var_os(CHILD_DATA_DIR) else {
        return;
    };
    let args = ["atelier", "serve", "--listen", "127.0.0.1:0", "--data-dir"]
        .map(std::ffi::OsString::from)
        .into_iter()
        .chain([data_dir]);
    let Commands::Serve(args) = Atelier::parse_from(args).command;
    let code = atelier_app::cli::serve(args);
    assert!(code == std::process::ExitCode::SUCCESS, "serve failed");
}

/// Something that must (or must no longer) be on disk, in each form it may be stored in.
struct Marker {
    what: String,
    /// Text forms, matched without regard to ASCII case.
    texts: Vec<String>,
    /// Binary forms, matched exactly (a uuid stored as 16 raw bytes).
    raw: Vec<Vec<u8>>,
}

impl Marker {
    fn text(what: &str, text: &str) -> Marker {
        Marker {
            what: what.to_owned(),
            texts: vec![text.to_ascii_lowercase()],
            raw: Vec::new(),
        }
    }

    /// A uuid: hyphenated, simple hex, and its 16 bytes.
    fn id(what: &str, id: &str) -> Marker {
        let uuid = uuid::Uuid::parse_str(id).unwrap_or_else(|_| panic!("{what} {id} is a uuid"));
        Marker {
            what: format!("{what} {id}"),
            texts: vec![uuid.hyphenated().to_string(), uuid.simple().to_string()],
            raw: vec![uuid.as_bytes().to_vec()],
        }
    }
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || haystack.len() < needle.len() {
        return 0;
    }
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Every file under `dir` and its size, for the failure messages.
fn listing(dir: &Path) -> String {
    let mut files: Vec<String> = files_under(dir)
        .iter()
        .map(|path| {
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            format!("{} ({size} B)", shown(dir, path))
        })
        .collect();
    files.sort();
    files.join(", ")
}

fn shown(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir).unwrap_or(path).display().to_string()
}

/// Where each marker occurs under `dir`, in file contents and in file and folder names:
/// one line per (marker, file) with the count; empty when none does.
fn scan(dir: &Path, markers: &[Marker]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    collect_paths(dir, &mut paths);
    for path in &paths {
        let name = shown(dir, path).to_ascii_lowercase();
        for marker in markers {
            if marker.texts.iter().any(|text| name.contains(text.as_str())) {
                hits.push(format!("{}: in the path {}", marker.what, shown(dir, path)));
            }
        }
        if path.is_dir() {
            continue;
        }
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let lower = bytes.to_ascii_lowercase();
        for marker in markers {
            let found: usize = marker
                .texts
                .iter()
                .map(|text| count(&lower, text.as_bytes()))
                .chain(marker.raw.iter().map(|raw| count(&bytes, raw)))
                .sum();
            if found > 0 {
                hits.push(format!(
                    "{}: {found} times in {} ({} B)",
                    marker.what,
                    shown(dir, path),
                    bytes.len()
                ));
            }
        }
    }
    hits
}

fn collect_paths(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        out.push(path.clone());
        if path.is_dir() {
            collect_paths(&path, out);
        }
    }
}

/// The markers of `markers` that `scan` finds nowhere.
fn missing(dir: &Path, markers: &[Marker]) -> Vec<String> {
    markers
        .iter()
        .filter(|marker| scan(dir, std::slice::from_ref(marker)).is_empty())
        .map(|marker| marker.what.clone())
        .collect()
}

/// What one user was given, with the server's ids for it.
struct Holdings {
    email: String,
    token: String,
    user_id: String,
    display_name: String,
    upload_id: String,
    job_id: String,
    result_id: String,
    ticket_subject: String,
    ticket_message: String,
    report_id: String,
    report_details: String,
    api_key_id: String,
    api_key_name: String,
    api_key_secret: String,
    export_id: String,
}

impl Holdings {
    /// Everything of the user a scan looks for. The report's own id is left out on purpose:
    /// the report stays for the admins' record, detached (no user, no item, no words).
    fn markers(&self) -> Vec<Marker> {
        vec![
            Marker::text("e-mail", &self.email),
            Marker::id("user id", &self.user_id),
            Marker::text("display name", &self.display_name),
            Marker::id("upload id", &self.upload_id),
            Marker::id("job id", &self.job_id),
            Marker::id("result id", &self.result_id),
            Marker::text("ticket subject", &self.ticket_subject),
            Marker::text("ticket message", &self.ticket_message),
            Marker::text("report details", &self.report_details),
            Marker::id("API key id", &self.api_key_id),
            Marker::text("API key name", &self.api_key_name),
            Marker::text("API key secret", &self.api_key_secret),
            Marker::id("export id", &self.export_id),
            Marker::text("session token", &self.token),
        ]
    }

    /// What the scan must find of a user whose data is held (the secrets are stored hashed,
    /// the report text only until erasure).
    fn held_markers(&self) -> Vec<Marker> {
        self.markers()
            .into_iter()
            .filter(|m| !matches!(m.what.as_str(), "API key secret" | "session token"))
            .collect()
    }
}

async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    json_call(addr, method, path, Some(token), body).await
}

/// Signs `name` up and gives them everything the story needs.
async fn settle_in(addr: SocketAddr, name: &str, tag: &str) -> Holdings {
    let email = format!("{name}.{tag}@example.org");
    let token = register(addr, &email).await;
    let display_name = format!("{name} Quillfeather {tag}");
    let (status, me) = call(
        addr,
        "PATCH",
        "/api/v1/me",
        &token,
        Some(json!({ "display_name": display_name })),
    )
    .await;
    assert_eq!(status, 200, "{me}");
    let user_id = me["id"].as_str().expect("user id").to_owned();

    let upload_id = upload(addr, &token, &photo()).await;
    let job = json!({"upload_id": upload_id, "style": "detailed-sketch"});
    let (status, job) = call(addr, "POST", "/api/v1/jobs", &token, Some(job)).await;
    assert_eq!(status, 202, "{job}");
    let job_id = job["id"].as_str().expect("job id").to_owned();
    let mut result_id = String::new();
    let finished = eventually(Duration::from_secs(90), async || {
        let (_, job) = call(addr, "GET", &format!("/api/v1/jobs/{job_id}"), &token, None).await;
        result_id = job["result_id"].as_str().unwrap_or_default().to_owned();
        job["status"] == "succeeded"
    })
    .await;
    assert!(finished, "{name}'s job did not finish");

    let ticket_subject = format!("{name} cannot find the frame {tag}");
    let ticket_message = format!("{name} writes: my portrait lost its frame, ref {tag}");
    let form = format!(
        "email={}&subject={}&message={}",
        email.replace('@', "%40"),
        ticket_subject.replace(' ', "+"),
        ticket_message
            .replace(' ', "+")
            .replace(':', "%3A")
            .replace(',', "%2C")
    );
    let headers = [
        ("Authorization", format!("Bearer {token}")),
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
    ];
    let (status, body) = http(addr, "POST", "/support/contact", &headers, form.as_bytes()).await;
    assert_eq!(status, 303, "{}", String::from_utf8_lossy(&body));

    let report_details = format!("{name} says this portrait was made without consent {tag}");
    let report = json!({"kind": "result", "id": result_id, "reason": "consent",
        "details": report_details});
    let (status, report) = call(addr, "POST", "/api/v1/reports", &token, Some(report)).await;
    assert_eq!(status, 201, "{report}");
    let report_id = report["id"].as_str().expect("report id").to_owned();

    let api_key_name = format!("{name} darkroom script {tag}");
    let (status, key) = call(
        addr,
        "POST",
        "/api/v1/me/api-keys",
        &token,
        Some(json!({ "name": api_key_name })),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    let api_key_id = key["id"].as_str().expect("key id").to_owned();
    let api_key_secret = key["secret"].as_str().expect("key secret").to_owned();

    let (status, export) = call(addr, "POST", "/api/v1/me/exports", &token, None).await;
    assert_eq!(status, 202, "{export}");
    let export_id = export["id"].as_str().expect("export id").to_owned();
    let ready = eventually(Duration::from_secs(60), async || {
        let path = format!("/api/v1/me/exports/{export_id}");
        let (_, export) = call(addr, "GET", &path, &token, None).await;
        export["status"] == "ready"
    })
    .await;
    assert!(ready, "{name}'s export was not built");

    Holdings {
        email,
        token,
        user_id,
        display_name,
        upload_id,
        job_id,
        result_id,
        ticket_subject,
        ticket_message,
        report_id,
        report_details,
        api_key_id,
        api_key_name,
        api_key_secret,
        export_id,
    }
}

/// How many mails to `email` the (SMTP-less) relay has delivered, by the child's log (the
/// relay logs each with `to=ADDRESS`).
fn delivered_to(server: &Server, email: &str) -> usize {
    server.log().matches(&format!("to={email}")).count()
}

/// The tokens of the e-mail verification links the relay delivered.
fn verification_tokens(server: &Server) -> Vec<String> {
    server
        .log()
        .split("verify-email?token=")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '%'))
                .collect::<String>()
        })
        .filter(|token| token.len() >= 16)
        .collect()
}

/// The survivor's rows, read back through the API as their owner.
async fn assert_served(addr: SocketAddr, user: &Holdings) {
    let token = &user.token;
    let (upload, _) = call(
        addr,
        "GET",
        &format!("/api/v1/uploads/{}", user.upload_id),
        token,
        None,
    )
    .await;
    let (result, _) = call(
        addr,
        "GET",
        &format!("/api/v1/results/{}", user.result_id),
        token,
        None,
    )
    .await;
    let (export_status, export) = call(
        addr,
        "GET",
        &format!("/api/v1/me/exports/{}", user.export_id),
        token,
        None,
    )
    .await;
    let (_, keys) = call(addr, "GET", "/api/v1/me/api-keys", token, None).await;
    let (by_key, me) = json_call(
        addr,
        "GET",
        "/api/v1/me",
        Some(user.api_key_secret.as_str()),
        None,
    )
    .await;
    let headers = [("Authorization", format!("Bearer {token}"))];
    let (tickets, page) = http(addr, "GET", "/support/tickets", &headers, b"").await;

    assert_eq!((upload, result, export_status), (200, 200, 200));
    assert_eq!(export["status"], "ready", "{export}");
    assert!(keys.to_string().contains(&user.api_key_id), "{keys}");
    assert_eq!(
        (by_key, me["email"].as_str()),
        (200, Some(user.email.as_str()))
    );
    assert_eq!(tickets, 200);
    assert!(
        String::from_utf8_lossy(&page).contains(&user.ticket_subject),
        "the survivor's ticket is listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_and_retention_leave_no_byte_of_the_user_on_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();

    // Arrange: two users with one of everything.
    let mut server = Server::start(data, &[]);
    let addr = server.addr;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let ada = settle_in(addr, "ada", &tag).await;
    let bob = settle_in(addr, "bob", &tag).await;
    // A request of bob's with a user agent of its own: it lives in the access log only.
    let agent = format!("erasure-probe-agent-{tag}");
    let headers = [
        ("Authorization", format!("Bearer {}", bob.token)),
        ("User-Agent", agent.clone()),
    ];
    let (status, _) = http(addr, "GET", "/api/v1/me", &headers, b"").await;
    assert_eq!(status, 200);
    // Until erasure the scan finds what ada holds: it can see what it looks for.
    let unseen = missing(data, &ada.held_markers());
    assert!(unseen.is_empty(), "not found before erasure: {unseen:?}");
    let farewells_before = delivered_to(&server, &ada.email);

    // Act: ada erases her account.
    let (status, reply) = call(
        addr,
        "DELETE",
        "/api/v1/me",
        &ada.token,
        Some(json!({ "password": PASSWORD })),
    )
    .await;
    assert_eq!(status, 204, "{reply}");

    // Assert: once the answer is in, nothing of ada is on disk but her address, which the
    // farewell mail carries until it is delivered (and then deleted and scrubbed too).
    let not_email: Vec<Marker> = ada
        .markers()
        .into_iter()
        .filter(|marker| marker.what != "e-mail")
        .collect();
    let at_answer = scan(data, &not_email);
    let delivered = eventually(Duration::from_secs(20), async || {
        delivered_to(&server, &ada.email) > farewells_before
    })
    .await;
    assert!(delivered, "the farewell mail was not delivered");
    let mut left = Vec::new();
    let clean = eventually(Duration::from_secs(10), async || {
        left = scan(data, &ada.markers());
        left.is_empty()
    })
    .await;
    assert!(
        at_answer.is_empty(),
        "left when the erasure answered:\n{}\nfiles: {}",
        at_answer.join("\n"),
        listing(data)
    );
    assert!(
        clean,
        "left after the farewell:\n{}\nfiles: {}",
        left.join("\n"),
        listing(data)
    );
    let (ada_key, _) = json_call(
        addr,
        "GET",
        "/api/v1/me",
        Some(ada.api_key_secret.as_str()),
        None,
    )
    .await;
    assert_eq!(ada_key, 401, "the erased user's API key is dead");
    // Her report stays for the admins' record, detached: its own id is all that is left.
    let kept = missing(data, &[Marker::id("ada's report", &ada.report_id)]);
    assert!(kept.is_empty(), "the detached report is kept");
    assert_served(addr, &bob).await;
    let unseen = missing(data, &bob.held_markers());
    assert!(
        unseen.is_empty(),
        "the survivor's data not found: {unseen:?}"
    );

    // A clean stop (SIGTERM) leaves the database in one file.
    let stopped = server.terminate();
    assert!(stopped.success(), "serve exited with {stopped}");
    let wal = data.join("atelier.db-wal");
    let wal_len = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert_eq!(
        wal_len,
        0,
        "the WAL after shutdown; files: {}",
        listing(data)
    );
    let after_stop = scan(data, &ada.markers());
    assert!(
        after_stop.is_empty(),
        "left after shutdown:\n{}",
        after_stop.join("\n")
    );
    let unseen = missing(data, &bob.held_markers());
    assert!(
        unseen.is_empty(),
        "the survivor's data lost at shutdown: {unseen:?}"
    );

    // Retention: what only expiring rows and purged logs hold. A blob key (`uploads/<id>`)
    // is in the upload's or result's row alone: the job history keeps the bare ids.
    // (A result's blob is stored under its job's id.)
    let blob_keys = |upload: &str, job: &str| {
        [
            Marker::text("an upload's blob key", &format!("uploads/{upload}")),
            Marker::text("a result's blob key", &format!("results/{job}")),
        ]
    };
    let mut purged = vec![Marker::text("bob's access-log user agent", &agent)];
    let tokens = verification_tokens(&server);
    assert!(!tokens.is_empty(), "no verification mail in the log");
    for token in &tokens {
        purged.push(Marker::text("a sent verification mail's token", token));
    }
    let mut probes: Vec<Marker> = blob_keys(bob.upload_id.as_str(), bob.job_id.as_str()).into();
    probes.push(Marker::text("bob's access-log user agent", &agent));
    let unseen = missing(data, &probes);
    assert!(
        unseen.is_empty(),
        "retention probes not found before the sweep: {unseen:?}"
    );
    // Ada's verification mail went with her account; bob's is still in the outbox.
    let held_tokens = tokens
        .iter()
        .filter(|token| missing(data, &[Marker::text("token", token)]).is_empty())
        .count();
    assert_eq!(held_tokens, 1, "bob's sent verification mail is on disk");

    // Act: restart with seconds-long retention and a sweep every second; bob uploads and
    // gets a portrait that now expire within seconds.
    let mut server = Server::start(
        data,
        &[
            ("ATELIER__RETENTION__UPLOAD_TTL", "5s"),
            ("ATELIER__RETENTION__RESULT_TTL", "2s"),
            ("ATELIER__RETENTION__ACCESS_LOG_TTL", "1s"),
            ("ATELIER__RETENTION__MAIL_TTL", "1s"),
            ("ATELIER__RETENTION__SWEEP_INTERVAL", "1s"),
        ],
    );
    let addr = server.addr;
    let upload_id = upload(addr, &bob.token, &photo()).await;
    let job = json!({"upload_id": upload_id, "style": "detailed-sketch"});
    let (status, job) = call(addr, "POST", "/api/v1/jobs", &bob.token, Some(job)).await;
    assert_eq!(status, 202, "{job}");
    let job_id = job["id"].as_str().expect("job id").to_owned();
    let job_path = format!("/api/v1/jobs/{job_id}");
    let mut result_id = String::new();
    let finished = eventually(Duration::from_secs(30), async || {
        let (_, job) = call(addr, "GET", &job_path, &bob.token, None).await;
        result_id = job["result_id"].as_str().unwrap_or_default().to_owned();
        job["status"] == "succeeded"
    })
    .await;
    assert!(
        finished,
        "bob's second job did not finish within the upload's 5 s"
    );
    let swept = eventually(Duration::from_secs(30), async || {
        let upload = format!("/api/v1/uploads/{upload_id}");
        let result = format!("/api/v1/results/{result_id}");
        let (upload, _) = call(addr, "GET", &upload, &bob.token, None).await;
        let (result, _) = call(addr, "GET", &result, &bob.token, None).await;
        (upload, result) == (404, 404)
    })
    .await;
    assert!(swept, "bob's second upload and result were not swept");

    // Assert: after the sweep's pass, nothing of what it deleted is on disk.
    let mut expiring: Vec<Marker> = blob_keys(upload_id.as_str(), job_id.as_str()).into();
    expiring.extend(purged);
    let mut left = Vec::new();
    let clean = eventually(Duration::from_secs(20), async || {
        left = scan(data, &expiring);
        left.is_empty()
    })
    .await;
    assert!(
        clean,
        "left after the retention sweep:\n{}\nfiles: {}",
        left.join("\n"),
        listing(data)
    );
    let stopped = server.terminate();
    assert!(stopped.success(), "serve exited with {stopped}");
    let after_stop = scan(data, &expiring);
    let erased = scan(data, &ada.markers());
    assert!(
        after_stop.is_empty() && erased.is_empty(),
        "left after the second shutdown:\n{}\n{}",
        after_stop.join("\n"),
        erased.join("\n")
    );
    let unseen = missing(data, &[Marker::text("bob's e-mail", &bob.email)]);
    assert!(unseen.is_empty(), "bob's account is still there");
}

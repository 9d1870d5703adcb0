//! `atelier serve` in a child process, for tests that need a real process (its memory, two
//! nodes on one database). The child is the test binary itself running its ignored
//! `serve_child` test, which hands the words in `ATELIER_TEST_SERVE_ARGS` to the same
//! `atelier_app::cli::serve` the `atelier` binary's `serve` command calls (the binary's
//! `main` only parses and dispatches), so the child is `atelier serve` with those flags.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ARGS_VAR: &str = "ATELIER_TEST_SERVE_ARGS";

/// The child's side: call from an `#[ignore]`d `#[test] fn serve_child()`.
pub fn serve_child() {
    let Ok(words) = std::env::var(ARGS_VAR) else {
        return;
    };
    #[derive(clap::Parser)]
    struct Serve {
        #[command(flatten)]
        args: atelier_app::cli::ServeArgs,
    }
    let words = std::iter::once("serve").chain(words.split('\u{1f}'));
    let serve = <Serve as clap::Parser>::parse_from(words);
    let _ = atelier_app::cli::serve(serve.args);
}

/// A running `atelier serve`, killed when dropped.
pub struct Node {
    child: Child,
    pub addr: SocketAddr,
}

impl Node {
    /// Starts `atelier serve --listen 127.0.0.1:<free port> --data-dir <data_dir> <extra>`
    /// with `env` (cheap password hashing added), and waits until `/readyz` answers 200.
    pub fn start(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Node {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut words = vec![
            "--listen".to_owned(),
            addr.to_string(),
            "--data-dir".to_owned(),
            data_dir.display().to_string(),
        ];
        words.extend(extra.iter().map(|w| (*w).to_owned()));
        let mut command = Command::new(std::env::current_exe().expect("test binary path"));
        command
            .args([
                "--ignored",
                "--exact",
                "serve_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ARGS_VAR, words.join("\u{1f}"))
            .env("ATELIER__ACCOUNTS__ARGON2_MEMORY_KIB", "64")
            .env("ATELIER__ACCOUNTS__ARGON2_ITERATIONS", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("start atelier serve");
        let node = Node { child, addr };
        let started = Instant::now();
        while !ready(addr) {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`: peak resident memory).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc status"))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ready(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply.starts_with("HTTP/1.1 200")
}

/// An answer with its headers (names lower-cased).
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// One HTTP/1.1 exchange with `Connection: close`, keeping the headers.
pub async fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Answer {
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
    // The server may answer (503, 429) before reading the whole body and close: fine.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1)?.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

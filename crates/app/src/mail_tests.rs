//! The relay against a real SMTP conversation: a minimal SMTP server on loopback that
//! records what it receives and refuses recipients on demand.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::*;
use crate::config::Secret;
use crate::store::AuditStore;
use crate::store::sqlite::SqliteStore;

/// One message as the SMTP server saw it.
#[derive(Clone, Debug)]
struct Received {
    from: String,
    to: String,
    data: String,
}

/// A loopback SMTP server: recipients containing `refuse` get 550, `later` get 451.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let sink = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let sink = sink.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let (mut from, mut to) = (String::new(), String::new());
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        from = line[10..].trim().to_owned();
                        b"250 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        to = line[8..].trim().to_owned();
                        if to.contains("refuse") {
                            b"550 no such mailbox\r\n"
                        } else if to.contains("later") {
                            b"451 try again later\r\n"
                        } else {
                            b"250 ok\r\n"
                        }
                    } else if upper == "DATA" {
                        let _ = write.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            data.push_str(&line);
                            data.push('\n');
                        }
                        let message = Received {
                            from: from.clone(),
                            to: to.clone(),
                            data,
                        };
                        sink.lock().expect("inbox").push(message);
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, inbox)
}

fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        url: Some(Secret::new(format!("smtp://127.0.0.1:{port}"))),
        from: "Atelier <studio@atelier.test>".into(),
        max_attempts: 3,
        retry_backoff: Duration::from_secs(60),
        timeout: Duration::from_secs(5),
    }
}

struct Fixture {
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

async fn relay_for(config: &SmtpConfig) -> (Fixture, Relay) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("mail.db").display());
    let store = Arc::new(SqliteStore::open(&url).await.expect("store"));
    let mailer = Mailer::from_config(config).expect("mailer");
    let relay = Relay::new(store.clone(), mailer, config);
    (Fixture { store, _dir: dir }, relay)
}

fn mail(to: &str) -> Mail {
    Mail {
        recipient: to.into(),
        subject: "Reset your Atelier password".into(),
        body: "Open https://atelier.test/reset?token=abc to choose a new password.".into(),
        html: None,
    }
}

#[tokio::test]
async fn delivers_the_outbox_over_smtp_once() {
    let (port, inbox) = smtp_sink().await;
    let config = smtp_config(port);
    let (db, relay) = relay_for(&config).await;
    let now = Timestamp::now();
    db.store
        .enqueue_mail(&mail("ada@example.org"), now)
        .await
        .expect("enqueue");

    assert_eq!(relay.round(now).await.expect("round"), 1);
    assert_eq!(
        relay.round(now).await.expect("second round"),
        0,
        "sent once"
    );

    let received = inbox.lock().expect("inbox").clone();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].from, "<studio@atelier.test>");
    assert_eq!(received[0].to, "<ada@example.org>");
    assert!(
        received[0]
            .data
            .contains("Subject: Reset your Atelier password")
    );
    assert!(received[0].data.contains("reset?token=abc"));
    assert!(
        db.store
            .pending_mail(now, 10)
            .await
            .expect("pending")
            .is_empty()
    );
}

#[tokio::test]
async fn a_permanent_refusal_gives_up_at_once() {
    let (port, inbox) = smtp_sink().await;
    let config = smtp_config(port);
    let (db, relay) = relay_for(&config).await;
    let now = Timestamp::now();
    let store = &db.store;
    store
        .enqueue_mail(&mail("refuse@example.org"), now)
        .await
        .expect("enqueue");

    relay.round(now).await.expect("round");
    let much_later = now.plus(Duration::from_secs(7 * 24 * 3600));
    assert!(
        store
            .pending_mail(much_later, 10)
            .await
            .expect("pending")
            .is_empty()
    );
    assert!(inbox.lock().expect("inbox").is_empty());
}

#[tokio::test]
async fn a_transient_fault_is_retried_with_backoff_then_given_up() {
    let (port, _inbox) = smtp_sink().await;
    let config = smtp_config(port);
    let (db, relay) = relay_for(&config).await;
    let now = Timestamp::now();
    let store = &db.store;
    store
        .enqueue_mail(&mail("later@example.org"), now)
        .await
        .expect("enqueue");

    relay.round(now).await.expect("first attempt");
    assert!(
        store
            .pending_mail(now, 10)
            .await
            .expect("pending")
            .is_empty(),
        "waits"
    );
    let retry = store
        .pending_mail(now.plus(Duration::from_secs(61)), 10)
        .await
        .expect("pending");
    assert_eq!(retry.len(), 1, "due again after the backoff");
    assert_eq!(retry[0].attempts, 1);

    // Second failure doubles the wait; the third is the last attempt.
    relay
        .round(now.plus(Duration::from_secs(61)))
        .await
        .expect("second");
    let third = now.plus(Duration::from_secs(61 + 121));
    assert_eq!(
        store.pending_mail(third, 10).await.expect("pending").len(),
        1
    );
    relay.round(third).await.expect("third");
    let forever = now.plus(Duration::from_secs(30 * 24 * 3600));
    assert!(
        store
            .pending_mail(forever, 10)
            .await
            .expect("pending")
            .is_empty()
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_transient_fault() {
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let config = smtp_config(port);
    let (db, relay) = relay_for(&config).await;
    let now = Timestamp::now();
    db.store
        .enqueue_mail(&mail("ada@example.org"), now)
        .await
        .expect("enqueue");

    relay.round(now).await.expect("round");
    let retry = db
        .store
        .pending_mail(now.plus(Duration::from_secs(61)), 10)
        .await
        .expect("pending");
    assert_eq!(retry.len(), 1, "kept for a retry");
}

#[tokio::test]
async fn without_smtp_mail_is_logged_and_marked_sent() {
    let config = SmtpConfig::default();
    let (db, relay) = relay_for(&config).await;
    let now = Timestamp::now();
    db.store
        .enqueue_mail(&mail("ada@example.org"), now)
        .await
        .expect("enqueue");
    assert_eq!(relay.round(now).await.expect("round"), 1);
    assert!(
        db.store
            .pending_mail(now, 10)
            .await
            .expect("pending")
            .is_empty()
    );
}

#[test]
fn bad_settings_fail_at_start_up() {
    let mut config = smtp_config(25);
    config.url = Some(Secret::new("gopher://mail.example"));
    assert!(Mailer::from_config(&config).is_err());
    let mut config = smtp_config(25);
    config.from = "not an address".into();
    assert!(Mailer::from_config(&config).is_err());
}

/// TLS needs a process-wide crypto provider in rustls; a missing one panics at the first
/// handshake. Talking TLS to the plain sink must fail as a retryable fault, not panic.
#[tokio::test]
async fn tls_to_a_plain_server_is_a_clean_transient_fault() {
    let (port, _inbox) = smtp_sink().await;
    let mut config = smtp_config(port);
    config.url = Some(Secret::new(format!("smtps://localhost:{port}")));
    let mailer = Mailer::from_config(&config).expect("mailer");
    let outcome = mailer.deliver(&mail("ada@example.org")).await;
    assert!(
        matches!(outcome, Err(DeliveryError::Transient(_))),
        "{outcome:?}"
    );
}

/// Real delivery: a password-reset mail queued by the service goes through the relay to
/// aiosmtpd (a real SMTP server, `ATELIER_TEST_AIOSMTPD` names its Python), which files it in
/// a Maildir; the message read back there is multipart/alternative with the link in both
/// parts, and the token in it resets the password.
#[tokio::test]
async fn a_reset_mail_reaches_a_real_smtp_server_as_text_and_html() {
    let Some(python) = std::env::var_os("ATELIER_TEST_AIOSMTPD") else {
        eprintln!("skipped: set ATELIER_TEST_AIOSMTPD to a Python with aiosmtpd (.ci/run does)");
        return;
    };
    let maildir = tempfile::tempdir().expect("maildir");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr").port()
    };
    let _server = ChildGuard(
        std::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox"])
            // A folder that does not exist yet: aiosmtpd creates it with cur/, new/ and tmp/.
            .arg(maildir.path().join("Maildir"))
            .args(["-l", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd"),
    );
    wait_for_smtp_greeting(port).await;
    let mut config = crate::testing::test_config();
    config.smtp = smtp_config(port);
    config.server.public_url = Some("https://atelier.test/".into());
    let test = crate::testing::test_app_with(config).await;
    let accounts = &test.services.accounts;
    test.user("ada").await;
    accounts
        .request_password_reset("ada@example.org")
        .await
        .expect("reset requested");

    let sent = test
        .services
        .relay()
        .round(Timestamp::now())
        .await
        .expect("relay");

    assert_eq!(sent, 2, "the verification mail and the reset mail");
    let messages = read_maildir(&maildir.path().join("Maildir").join("new"));
    assert_eq!(messages.len(), 2);
    let reset = messages
        .iter()
        .map(|raw| ParsedMail::parse(raw))
        .find(|m| m.header("subject") == Some("Reset your Atelier password"))
        .expect("the reset mail arrived");
    assert_eq!(reset.header("from"), Some("Atelier <studio@atelier.test>"));
    assert_eq!(reset.header("to"), Some("ada@example.org"));
    assert!(
        reset
            .header("content-type")
            .is_some_and(|t| t.starts_with("multipart/alternative")),
        "{:?}",
        reset.header("content-type")
    );
    let text = reset.part("text/plain").expect("a text/plain part");
    let html = reset.part("text/html").expect("a text/html part");
    let start = text.find("token=").expect("link in the text") + "token=".len();
    let token = &text[start..start + 32];
    let link = format!("https://atelier.test/reset-password?token={token}");
    assert!(text.contains(&link), "{text}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(text.contains("Atelier — your self-hosted portrait studio"));
    accounts
        .reset_password(token, "a brand new passphrase")
        .await
        .expect("the mailed token works");
}

/// Kills the child process when the test ends, however it ends.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Connects until the server greets with 220 (it takes a moment for Python to start).
async fn wait_for_smtp_greeting(port: u16) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let mut greeting = String::new();
            let mut reader = BufReader::new(stream);
            if reader.read_line(&mut greeting).await.is_ok() && greeting.starts_with("220") {
                return;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "aiosmtpd did not start listening on port {port}"
        );
        // Poll interval of the readiness check, not a guess at how long start-up takes.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn read_maildir(folder: &std::path::Path) -> Vec<String> {
    let mut messages: Vec<String> = std::fs::read_dir(folder)
        .expect("maildir new/")
        .map(|entry| std::fs::read_to_string(entry.expect("entry").path()).expect("message"))
        .collect();
    messages.sort();
    messages
}

/// Just enough MIME to check a message: unfolded headers and decoded leaf parts.
struct ParsedMail {
    headers: Vec<(String, String)>,
    /// (content type, decoded body) of each part of a multipart body.
    parts: Vec<(String, String)>,
}

impl ParsedMail {
    fn parse(raw: &str) -> ParsedMail {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        let headers = unfold(head);
        let boundary = headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .and_then(|(_, value)| value.split("boundary=").nth(1))
            .map(|b| b.trim_matches('"').to_owned());
        let parts = match boundary {
            Some(boundary) => body
                .split(&format!("--{boundary}"))
                .filter_map(|part| {
                    let (head, content) = part.trim_start_matches('\n').split_once("\n\n")?;
                    let headers = unfold(head);
                    let get = |n: &str| {
                        headers
                            .iter()
                            .find(|(name, _)| name == n)
                            .map(|(_, v)| v.clone())
                    };
                    let kind = get("content-type")?;
                    let encoding = get("content-transfer-encoding").unwrap_or_default();
                    Some((kind, decode(&encoding, content)))
                })
                .collect(),
            None => Vec::new(),
        };
        ParsedMail { headers, parts }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn part(&self, kind: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|(k, _)| k.starts_with(kind))
            .map(|(_, body)| body.as_str())
    }
}

/// Header lines with continuation lines joined, names lower-cased.
fn unfold(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    headers
}

fn decode(encoding: &str, content: &str) -> String {
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "quoted-printable" => quoted_printable(content),
        "base64" => base64(content),
        _ => content.as_bytes().to_vec(),
    };
    String::from_utf8(bytes).expect("utf-8 part")
}

fn quoted_printable(content: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in content.lines() {
        let (line, soft) = match line.strip_suffix('=') {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'=', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (other, _) => {
                    out.push(other);
                    i += 1;
                }
            }
        }
        if !soft {
            out.push(b'\n');
        }
    }
    out
}

fn base64(content: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in content.bytes() {
        let Some(value) = ALPHABET.iter().position(|&a| a == c) else {
            continue; // line breaks and '=' padding
        };
        acc = (acc << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

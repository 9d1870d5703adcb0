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

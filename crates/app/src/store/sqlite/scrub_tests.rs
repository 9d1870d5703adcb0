//! Scrubbing on SQLite: a deleted row leaves every file of the database (main file, WAL,
//! SHM), even while a reader on another connection still sees it.

use std::path::Path;
use std::time::Duration;

use super::SqliteStore;
use crate::domain::Timestamp;
use crate::store::{AuditStore, Mail, Store};

const MARKER: &[u8] = b"scrub-marker-7f3a";

/// How often `MARKER` occurs in each file of the database, by suffix ("", "-wal", "-shm").
fn occurrences(db: &Path) -> Vec<(String, usize)> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| {
            let path = format!("{}{suffix}", db.display());
            let bytes = std::fs::read(&path).unwrap_or_default();
            let found = bytes.windows(MARKER.len()).filter(|w| *w == MARKER).count();
            ((*suffix).to_owned(), found)
        })
        .collect()
}

fn wal_len(db: &Path) -> u64 {
    std::fs::metadata(format!("{}-wal", db.display())).map_or(0, |m| m.len())
}

#[tokio::test]
async fn a_scrub_leaves_no_deleted_byte_in_any_database_file_even_past_a_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("atelier.db");
    let store = SqliteStore::open(&format!("sqlite://{}", db.display()))
        .await
        .expect("open");
    let marker = String::from_utf8_lossy(MARKER).into_owned();
    let mail = Mail {
        recipient: format!("{marker}@example.org"),
        subject: marker.clone(),
        body: format!("body of {marker}"),
        html: None,
    };
    store
        .enqueue_mail(&mail, Timestamp::now())
        .await
        .expect("enqueue");
    store.scrub().await.expect("checkpoint the insert");
    let stored = occurrences(&db);
    // A reader on another connection takes its snapshot while the row is there.
    let mut reader = store.reader.begin().await.expect("read transaction");
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(&mut *reader)
        .await
        .expect("read");
    sqlx::query("DELETE FROM outbox")
        .execute(&store.writer)
        .await
        .expect("delete");
    let in_wal = occurrences(&db);

    let scrub = {
        let store = &store;
        async move { store.scrub().await }
    };
    let release = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        reader.commit().await.expect("end the read");
    };
    let (scrubbed, ()) = tokio::join!(scrub, release);

    assert_eq!(seen, 1);
    assert!(
        stored[0].1 > 0,
        "the row is in the main file first: {stored:?}"
    );
    assert!(
        in_wal[0].1 > 0,
        "before the scrub, the main file still has it: {in_wal:?}"
    );
    scrubbed.expect("the scrub waits the reader out");
    let after = occurrences(&db);
    assert!(
        after.iter().all(|(_, found)| *found == 0),
        "left after the scrub: {after:?}"
    );
    assert_eq!(wal_len(&db), 0, "the WAL is truncated");
}

#[tokio::test]
async fn every_connection_overwrites_what_it_deletes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("atelier.db");
    let store = SqliteStore::open(&format!("sqlite://{}", db.display()))
        .await
        .expect("open");

    let mut modes = Vec::new();
    for pool in [&store.writer, &store.reader] {
        // Every connection the pool may open, held at once.
        let mut held = Vec::new();
        for _ in 0..pool.options().get_max_connections() {
            let mut conn = pool.acquire().await.expect("connection");
            let mode: i64 = sqlx::query_scalar("PRAGMA secure_delete")
                .fetch_one(&mut *conn)
                .await
                .expect("pragma");
            modes.push(mode);
            held.push(conn);
        }
    }

    assert_eq!(
        modes,
        vec![1; 5],
        "secure_delete on the writer and 4 readers"
    );
}

#[tokio::test]
async fn closing_the_store_removes_the_wal_and_shm_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("atelier.db");
    let store = SqliteStore::open(&format!("sqlite://{}", db.display()))
        .await
        .expect("open");
    store.ping().await.expect("ping");

    store.close().await;

    let left: Vec<_> = ["-wal", "-shm"]
        .iter()
        .filter(|suffix| Path::new(&format!("{}{suffix}", db.display())).exists())
        .collect();
    assert!(left.is_empty(), "left after close: {left:?}");
}

//! Storage back-ends, S3 included: the S3 path runs against a real S3-compatible server
//! (`moto_server` from PyPI, started here on loopback) when `ATELIER_TEST_MOTO_SERVER`
//! names its executable; `.ci/run` installs it and sets the variable.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use object_store::ObjectStoreExt;
use object_store::path::Path;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::blobs::{Blobs, MasterKey, upload_key};
use crate::config::Secret;
use crate::domain::{Email, Role, Timestamp, UploadId, UserId, UserScope};
use crate::store::sqlite::SqliteStore;
use crate::store::{AccountStore, MediaStore, NewUser, Upload};

/// A moto server on a free loopback port, stopped when dropped.
pub(crate) struct Moto {
    child: Child,
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts moto, or `None` (with a note) when no server is configured for this run.
    pub(crate) async fn start() -> Option<Moto> {
        let Ok(program) = std::env::var("ATELIER_TEST_MOTO_SERVER") else {
            assert!(
                std::env::var("CI").is_err(),
                "CI must set ATELIER_TEST_MOTO_SERVER so the S3 tests run"
            );
            eprintln!("skipping the S3 story: ATELIER_TEST_MOTO_SERVER is not set");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let moto = Moto { child, port };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(moto);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto did not start on port {port}");
    }

    /// Creates `bucket` (S3 CreateBucket is a bare PUT; moto does not check signatures).
    pub(crate) async fn create_bucket(&self, bucket: &str) {
        let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect to moto");
        let request = format!(
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        socket.write_all(request.as_bytes()).await.expect("send");
        let mut reply = String::new();
        socket.read_to_string(&mut reply).await.expect("reply");
        assert!(reply.starts_with("HTTP/1.1 200"), "create bucket: {reply}");
    }

    pub(crate) fn settings(&self) -> StorageConfig {
        StorageConfig {
            url: None,
            endpoint: Some(format!("http://127.0.0.1:{}", self.port)),
            region: Some("us-east-1".into()),
            access_key_id: Some(Secret::new("testing")),
            secret_access_key: Some(Secret::new("testing")),
            allow_http: true,
        }
    }
}

#[test]
fn unknown_or_incomplete_urls_are_refused() {
    let settings = StorageConfig::default();
    for url in ["ftp://host/x", "s3://", "blobs", ""] {
        assert!(
            matches!(
                open_store(url, &settings),
                Err(StorageError::Unsupported(_))
            ),
            "{url}"
        );
    }
}

#[tokio::test]
async fn encrypted_blobs_round_trip_through_s3_under_a_prefix() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket("atelier-test").await;
    let settings = moto.settings();
    let store = open_store("s3://atelier-test/site-a", &settings).expect("s3 store");
    let blobs = Blobs::new(store, MasterKey::random().expect("key"));
    let user = UserId::new();
    let wrapped = blobs.new_wrapped_key(user).expect("data key");
    let key = upload_key(user, UploadId::new());
    let photo = b"\x89PNG a photo that must never be stored in the clear".to_vec();

    blobs
        .put(user, Some(&wrapped), &key, &photo)
        .await
        .expect("put");
    let back = blobs.get(user, Some(&wrapped), &key).await.expect("get");
    let listed = blobs.list().await.expect("list");
    // The raw object, read from the bucket root, sits under the prefix and is sealed.
    let root = open_store("s3://atelier-test", &settings).expect("bucket root");
    let raw = root
        .get(&Path::from(format!("site-a/{key}")))
        .await
        .expect("raw object")
        .bytes()
        .await
        .expect("raw bytes");
    blobs.delete(&key).await.expect("delete");
    blobs.delete(&key).await.expect("deleting twice is fine");
    let gone = blobs.get(user, Some(&wrapped), &key).await;

    assert_eq!(back, photo);
    assert_eq!(
        listed.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        [key.as_str()]
    );
    assert!(
        !raw.windows(11).any(|w| w == b"a photo tha"),
        "stored sealed"
    );
    assert!(matches!(gone, Err(crate::blobs::BlobError::NotFound)));
}

#[tokio::test]
async fn storage_migrate_copies_live_blobs_to_s3_and_back_and_can_repeat() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket("atelier-move").await;
    let settings = moto.settings();
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}", dir.path().join("a.db").display());
    let rows = SqliteStore::open(&db_url).await.expect("store");
    let local_url = format!("file://{}", dir.path().join("blobs").display());
    let local = open_store(&local_url, &settings).expect("local");
    let master = MasterKey::random().expect("key");
    let blobs = Blobs::new(local.clone(), master.clone());
    let id = UserId::new();
    let wrapped = blobs.new_wrapped_key(id).expect("data key");
    let user = NewUser {
        id,
        email: Email::parse("ada@example.org").expect("address"),
        password_hash: "not-a-hash".into(),
        guardian_consent: false,
        wrapped_key: wrapped.clone(),
        locale: None,
        created_at: Timestamp::now(),
    };
    rows.create_user(user, None).await.expect("user");
    let scope = UserScope::trusted(id, Role::User);
    // Three uploads with rows, and one orphan blob whose row is gone.
    let mut live = Vec::new();
    for n in 0..3u8 {
        let now = Timestamp::now();
        let upload_id = UploadId::new();
        let upload = Upload {
            id: upload_id,
            user_id: id,
            blob_key: upload_key(id, upload_id),
            width: 10,
            height: 10,
            faces: 0,
            created_at: now,
            expires_at: now.plus(Duration::from_secs(3600)),
        };
        blobs
            .put(
                scope.user_id(),
                Some(&wrapped),
                &upload.blob_key,
                &[n; 2000],
            )
            .await
            .expect("put");
        rows.insert_upload(scope, &upload).await.expect("row");
        live.push(upload);
    }
    let orphan = upload_key(scope.user_id(), UploadId::new());
    blobs
        .put(scope.user_id(), Some(&wrapped), &orphan, b"left behind")
        .await
        .expect("orphan");
    let s3 = open_store("s3://atelier-move/atelier", &settings).expect("s3");

    let first = copy_live_blobs(local.as_ref(), s3.as_ref(), &rows, |_, _| {})
        .await
        .expect("copy");
    let again = copy_live_blobs(local.as_ref(), s3.as_ref(), &rows, |_, _| {})
        .await
        .expect("repeat");
    let on_s3 = Blobs::new(s3.clone(), master.clone());
    let back_dir = tempfile::tempdir().expect("tempdir");
    let back = open_store(&format!("file://{}", back_dir.path().display()), &settings)
        .expect("second folder");
    let returned = copy_live_blobs(s3.as_ref(), back.as_ref(), &rows, |_, _| {})
        .await
        .expect("copy back");

    assert_eq!(
        (first.copied, first.orphans, first.already_there),
        (3, 1, 0)
    );
    assert_eq!((again.copied, again.already_there), (0, 3));
    assert_eq!(returned.copied, 3);
    for (n, upload) in live.iter().enumerate() {
        let plain = on_s3
            .get(scope.user_id(), Some(&wrapped), &upload.blob_key)
            .await
            .expect("readable on S3 with the same master key");
        assert_eq!(plain, vec![u8::try_from(n).expect("small"); 2000]);
    }
    assert!(matches!(
        on_s3.get(scope.user_id(), Some(&wrapped), &orphan).await,
        Err(crate::blobs::BlobError::NotFound)
    ));
}

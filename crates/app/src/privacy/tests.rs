//! The privacy service on its own: display-name parsing, and crypto-shredding seen from
//! storage (a blob copied aside before erasure cannot be read afterwards).

use std::sync::Arc;

use object_store::ObjectStoreExt;
use object_store::memory::InMemory;
use object_store::path::Path as StorePath;

use super::*;
use crate::blobs::{BlobError, Blobs, MasterKey};
use crate::services::Services;
use crate::store::sqlite::SqliteStore;
use crate::testing::{photo_png, test_config};

#[test]
fn a_display_name_is_trimmed_cleared_when_empty_and_refused_when_odd() {
    assert_eq!(
        parse_display_name("  Ada  ").ok().flatten().as_deref(),
        Some("Ada")
    );
    assert!(matches!(parse_display_name("   "), Ok(None)));
    assert!(parse_display_name(&"é".repeat(DISPLAY_NAME_MAX)).is_ok());
    for bad in ["a\u{0}b", "line\nbreak", &"x".repeat(DISPLAY_NAME_MAX + 1)] {
        assert!(matches!(
            parse_display_name(bad),
            Err(PrivacyError::InvalidDisplayName)
        ));
    }
}

#[tokio::test]
async fn a_blob_copied_aside_before_erasure_no_longer_decrypts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let store = Arc::new(SqliteStore::open(&url).await.expect("store"));
    let raw = Arc::new(InMemory::new());
    let blobs = Blobs::new(raw.clone(), MasterKey::random().expect("key"));
    let services = Services::assemble(test_config(), store, blobs.clone()).expect("services");
    let form = crate::accounts::SignUp {
        email: "ada@example.org".into(),
        password: "a sturdy passphrase".into(),
        age_over_14: true,
        guardian_consent: false,
    };
    let user = services.accounts.sign_up(form).await.expect("sign up");
    let (_, token) = services
        .accounts
        .sign_in("ada@example.org", "a sturdy passphrase")
        .await
        .expect("sign in");
    let scope = services
        .accounts
        .authenticate(token.as_str())
        .await
        .expect("session");
    let upload = services
        .media
        .ingest_upload(scope, photo_png(32, 24))
        .await
        .expect("upload");
    let path = StorePath::from(upload.blob_key.as_str());
    let copy = raw
        .get(&path)
        .await
        .expect("stored")
        .bytes()
        .await
        .expect("bytes");

    services
        .privacy
        .erase(scope, "a sturdy passphrase")
        .await
        .expect("erase");
    let gone = raw.get(&path).await;
    raw.put(&path, copy.into())
        .await
        .expect("put the copy back");
    let wrapped = services.store.wrapped_key(user.id).await.expect("read key");
    let read = blobs
        .get(user.id, wrapped.as_deref(), &upload.blob_key)
        .await;

    assert!(matches!(gone, Err(object_store::Error::NotFound { .. })));
    assert_eq!(wrapped, None);
    assert!(matches!(read, Err(BlobError::KeyShredded)), "{read:?}");
}

use super::*;

#[tokio::test]
async fn a_blob_round_trips_for_its_owner() {
    let blobs = Blobs::in_memory().expect("blobs");
    let alice = UserId::new();
    let key = blobs.new_wrapped_key(alice).expect("key");

    blobs
        .put(alice, Some(&key), "users/a/uploads/1", b"portrait bytes")
        .await
        .expect("put");
    let read = blobs
        .get(alice, Some(&key), "users/a/uploads/1")
        .await
        .expect("get");

    assert_eq!(read, b"portrait bytes");
}

#[tokio::test]
async fn stored_bytes_are_not_the_plaintext() {
    let store = Arc::new(InMemory::new());
    let blobs = Blobs::new(store.clone(), MasterKey::random().expect("master"));
    let alice = UserId::new();
    let key = blobs.new_wrapped_key(alice).expect("key");

    blobs
        .put(alice, Some(&key), "users/a/uploads/1", b"\x89PNG portrait")
        .await
        .expect("put");
    let raw = store
        .get(&StorePath::from("users/a/uploads/1"))
        .await
        .expect("raw")
        .bytes()
        .await
        .expect("bytes");

    assert!(!raw.windows(4).any(|w| w == b"\x89PNG"));
}

#[tokio::test]
async fn a_blob_cannot_be_read_as_another_user_or_under_another_name() {
    let store = Arc::new(InMemory::new());
    let blobs = Blobs::new(store.clone(), MasterKey::random().expect("master"));
    let (alice, bob) = (UserId::new(), UserId::new());
    let alice_key = blobs.new_wrapped_key(alice).expect("key");
    let bob_key = blobs.new_wrapped_key(bob).expect("key");
    blobs
        .put(alice, Some(&alice_key), "users/a/uploads/1", b"secret")
        .await
        .expect("put");
    let raw = store
        .get(&StorePath::from("users/a/uploads/1"))
        .await
        .expect("raw")
        .bytes()
        .await
        .expect("bytes");
    store
        .put(&StorePath::from("users/a/uploads/2"), raw.into())
        .await
        .expect("copy");

    let as_bob = blobs.get(bob, Some(&bob_key), "users/a/uploads/1").await;
    let with_bobs_key = blobs.get(alice, Some(&bob_key), "users/a/uploads/1").await;
    let renamed = blobs
        .get(alice, Some(&alice_key), "users/a/uploads/2")
        .await;

    assert!(matches!(as_bob, Err(BlobError::Tampered)));
    assert!(matches!(with_bobs_key, Err(BlobError::Tampered)));
    assert!(matches!(renamed, Err(BlobError::Tampered)));
}

#[tokio::test]
async fn a_shredded_key_makes_blobs_unreadable() {
    let blobs = Blobs::in_memory().expect("blobs");
    let alice = UserId::new();
    let key = blobs.new_wrapped_key(alice).expect("key");
    blobs
        .put(alice, Some(&key), "users/a/results/1", b"result")
        .await
        .expect("put");

    let read = blobs.get(alice, None, "users/a/results/1").await;

    assert!(matches!(read, Err(BlobError::KeyShredded)));
}

#[test]
fn the_master_key_is_created_once_with_owner_only_permissions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("master.key");

    let first = MasterKey::load_or_create(&path).expect("create");
    let second = MasterKey::load_or_create(&path).expect("load");

    assert_eq!(first.0, second.0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

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

#[tokio::test]
async fn erasing_a_user_on_local_storage_leaves_no_folder_named_by_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", dir.path().display());
    let settings = crate::config::StorageConfig::default();
    let blobs = Blobs::open(&url, &settings, MasterKey::random().expect("master")).expect("open");
    let (alice, bob) = (UserId::new(), UserId::new());
    let (alice_key, bob_key) = (
        blobs.new_wrapped_key(alice).expect("key"),
        blobs.new_wrapped_key(bob).expect("key"),
    );
    for (user, key) in [(alice, &alice_key), (bob, &bob_key)] {
        for blob in [
            upload_key(user, "u1"),
            result_key(user, "r1"),
            format!("users/{user}/exports/e1.zip"),
        ] {
            blobs
                .put(user, Some(key), &blob, b"bytes")
                .await
                .expect("put");
        }
    }

    let deleted = blobs.delete_all_of(alice).await.expect("delete");
    let again = blobs.delete_all_of(alice).await.expect("a second pass");

    assert_eq!((deleted, again), (3, 0));
    let users = dir.path().join("users");
    assert!(
        !users.join(alice.to_string()).exists(),
        "alice's folder (uploads/, results/, exports/) is gone"
    );
    let bobs = blobs
        .get(bob, Some(&bob_key), &result_key(bob, "r1"))
        .await
        .expect("bob's blob is untouched");
    assert_eq!(bobs, b"bytes");
    assert!(users.join(bob.to_string()).join("exports").is_dir());
}

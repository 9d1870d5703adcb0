//! Throttle counters on every back-end: a window counts its hits and restarts after it,
//! concurrent hits each count once (the limit holds when many nodes count at once), peeking
//! adds nothing, clearing forgets, and pruning drops only expired counters.

use super::{TestStore, stories};

stories!(
    hits_count_within_the_keep_limit_and_restart_after_it,
    concurrent_hits_each_count_once,
    peek_adds_nothing_and_clear_and_prune_forget,
);

async fn hits_count_within_the_keep_limit_and_restart_after_it(db: &TestStore) {
    let store = db.store.as_ref();
    let (name, other) = (b"limit:a".as_slice(), b"limit:b".as_slice());

    let first = store
        .throttle_hit(name, 1_000, 0, 61_000)
        .await
        .expect("hit");
    let second = store
        .throttle_hit(name, 2_000, 0, 62_000)
        .await
        .expect("hit");
    let elsewhere = store
        .throttle_hit(other, 2_000, 0, 62_000)
        .await
        .expect("hit");
    // The count started (1 000) before the window that ends now began (60 000): afresh.
    let next_window = store
        .throttle_hit(name, 60_500, 60_000, 120_000)
        .await
        .expect("hit");

    assert_eq!(
        (first.hits, first.first_at, first.last_at),
        (1, 1_000, 1_000)
    );
    assert_eq!(
        (second.hits, second.first_at, second.last_at),
        (2, 1_000, 2_000)
    );
    assert_eq!(elsewhere.hits, 1);
    assert_eq!((next_window.hits, next_window.first_at), (1, 60_500));
}

async fn concurrent_hits_each_count_once(db: &TestStore) {
    let store = db.store.clone();
    let hits = (0..40).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.throttle_hit(b"busy", 5_000, 0, 65_000).await })
    });

    let mut counts: Vec<u32> = Vec::new();
    for hit in hits {
        counts.push(hit.await.expect("task").expect("hit").hits);
    }
    counts.sort_unstable();

    assert_eq!(counts, (1..=40).collect::<Vec<u32>>());
}

async fn peek_adds_nothing_and_clear_and_prune_forget(db: &TestStore) {
    let store = db.store.as_ref();
    store
        .throttle_hit(b"kept", 1_000, 0, 90_000)
        .await
        .expect("hit");
    store
        .throttle_hit(b"gone", 1_000, 0, 10_000)
        .await
        .expect("hit");
    store
        .throttle_hit(b"cleared", 1_000, 0, 90_000)
        .await
        .expect("hit");

    let peeked = store.throttle_peek(b"kept").await.expect("peek");
    let peeked_again = store.throttle_peek(b"kept").await.expect("peek");
    store.throttle_clear(b"cleared").await.expect("clear");
    let pruned = store.throttle_prune(50_000).await.expect("prune");

    assert_eq!(peeked.map(|c| c.hits), Some(1));
    assert_eq!(peeked, peeked_again);
    assert_eq!(pruned, 1);
    assert_eq!(store.throttle_peek(b"gone").await.expect("peek"), None);
    assert_eq!(store.throttle_peek(b"cleared").await.expect("peek"), None);
    assert!(store.throttle_peek(b"kept").await.expect("peek").is_some());
}

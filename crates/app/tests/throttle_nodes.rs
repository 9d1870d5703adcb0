//! Throttling holds on many nodes: two `atelier serve --workers 0` processes on
//! one PostgreSQL database share their counters, so a client alternating between them gets
//! the configured limit once, not twice: per address (`limits.sign_in_per_ip`) and per
//! (account, address) failed sign-ins (the growing delays). Needs a PostgreSQL server in
//! `ATELIER_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); each
//! run gets a fresh database, dropped afterwards. Skipped (passes) without one.

mod support;

use support::postgres::FreshDatabase;
use support::process::{Node, exchange, serve_child as child};
use support::register;

#[test]
#[ignore = "the server child of the tests in this file"]
fn serve_child() {
    child();
}

async fn sign_in(node: &Node, email: &str, password: &str) -> support::process::Answer {
    let body = serde_json::json!({"email": email, "password": password}).to_string();
    let headers = [("Content-Type", "application/json".to_owned())];
    exchange(
        node.addr,
        "POST",
        "/api/v1/auth/login",
        &headers,
        body.as_bytes(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_hold_across_two_nodes_on_one_database() {
    let Some(database) = FreshDatabase::create().await else {
        eprintln!("ATELIER_TEST_POSTGRES_URL is not set: skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("ATELIER__DATABASE__URL", database.url.as_str()),
        ("ATELIER__LIMITS__SIGN_IN_PER_IP", "6"),
        ("ATELIER__LIMITS__SIGN_IN_FREE_FAILURES", "2"),
        ("ATELIER__LIMITS__SIGN_IN_DELAY", "1min"),
    ];
    let data = dir.path().join("data");
    let first = Node::start(&data, &["--workers", "0"], &env);
    let second = Node::start(&data, &["--workers", "0"], &env);
    let nodes = [&first, &second];
    register(first.addr, "ada@example.org").await;

    // Per (account, address): two failures, one on each node, then the pair waits on both.
    let mut pair = Vec::new();
    for n in 0..4 {
        let answer = sign_in(nodes[n % 2], "ada@example.org", "a wrong guess").await;
        pair.push((answer.status, answer.json()["error"]["code"].clone()));
    }
    // Per address: six sign-ins a minute in all (four spent above), alternating nodes.
    let mut per_address = Vec::new();
    for n in 0..4 {
        let email = format!("someone{n}@example.org");
        let answer = sign_in(nodes[n % 2], &email, "whatever it is").await;
        per_address.push((answer.status, answer.header("retry-after").is_some()));
    }

    assert_eq!(
        pair,
        [
            (401, "invalid-credentials".into()),
            (401, "invalid-credentials".into()),
            (429, "too-many-attempts".into()),
            (429, "too-many-attempts".into()),
        ],
        "the second node saw the first node's failures"
    );
    assert_eq!(
        per_address,
        [(401, false), (401, false), (429, true), (429, true)],
        "six a minute from one address across both nodes"
    );
    drop((first, second));
}

//! The service's promise (docs/architecture.md, "Where each rule lives"): any bytes as an upload
//! and any JSON body get an answer below 500.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::*;
use crate::testing::test_app;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Arbitrary bytes, or the start of a real PNG cut anywhere, or a real PNG with bytes flipped.
fn upload_bytes() -> impl Strategy<Value = Vec<u8>> {
    let png = photo_png(24, 24);
    let cut = png.clone();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        (0..png.len()).prop_map(move |end| cut[..end].to_vec()),
        (prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16)).prop_map(
            move |flips| {
                let mut bytes = png.clone();
                for (at, value) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] = value;
                }
                bytes
            }
        ),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z@. -]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("email".to_owned()),
                    Just("style".to_owned()),
                    Just("upload_id".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..4
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

#[test]
fn any_upload_bytes_get_a_clean_answer() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (test, router, token) = runtime.block_on(async {
        let test = test_app().await;
        let router = router(&test);
        let token = register(&router, "ada").await;
        (test, router, token)
    });

    let outcome = runner().run(&upload_bytes(), |bytes| {
        let reply = runtime.block_on(send(&router, upload_request(&token, "file", &bytes)));
        prop_assert!(
            reply.status.as_u16() < 500,
            "status {} for {} bytes",
            reply.status,
            bytes.len()
        );
        if reply.status.is_client_error() {
            prop_assert!(
                !reply.code().is_empty(),
                "no error code for {}",
                reply.status
            );
        }
        Ok(())
    });

    drop(test);
    outcome.expect("every upload answered below 500");
}

#[test]
fn any_json_body_gets_a_clean_answer() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (test, router, token) = runtime.block_on(async {
        let test = test_app().await;
        let router = router(&test);
        let token = register(&router, "ada").await;
        (test, router, token)
    });
    let routes = [
        "/api/v1/jobs",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/password-reset",
    ];

    let outcome = runner().run(&(json_value(), 0..routes.len()), |(body, route)| {
        let request = request(
            Method::POST,
            routes[route],
            Some(&token),
            Some(body.clone()),
        );
        let reply = runtime.block_on(send(&router, request));
        prop_assert!(
            reply.status.as_u16() < 500,
            "status {} for {} {}",
            reply.status,
            routes[route],
            body
        );
        Ok(())
    });

    drop(test);
    outcome.expect("every body answered below 500");
}

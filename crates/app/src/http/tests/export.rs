//! The data export and rectification through the router.

use std::io::Read;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::privacy::{buy_pending, fill_account, scope_of};
use super::{register, request, router, send, upload};
use crate::testing::test_app;

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut files = std::collections::BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).expect("entry");
        let mut content = Vec::new();
        file.read_to_end(&mut content).expect("read entry");
        let name = file.name().expect("entry name").into_owned();
        files.insert(name, content);
    }
    files
}

fn json_of(files: &std::collections::BTreeMap<String, Vec<u8>>, name: &str) -> Value {
    serde_json::from_slice(files.get(name).map_or(&[][..], Vec::as_slice)).expect(name)
}

#[tokio::test]
async fn the_export_holds_the_callers_data_and_nothing_of_another_user() {
    let test = test_app().await;
    test.services
        .policies
        .ensure_published(crate::domain::Timestamp::now())
        .await
        .expect("policies");
    let router = router(&test);
    let ada = register(&router, "ada").await;
    let bob = register(&router, "bob").await;
    fill_account(&test, &router, &ada).await;
    let bob_photo = upload(&router, &bob).await;
    let ada_scope = scope_of(&test, &ada).await;
    buy_pending(&test, ada_scope).await;
    let opt_in = json!({"marketing_opt_in": true});
    send(
        &router,
        request(Method::PUT, "/api/v1/me/privacy", Some(&ada), Some(opt_in)),
    )
    .await;
    let bob_id = scope_of(&test, &bob).await.user_id().to_string();

    let reply = send(
        &router,
        request(Method::GET, "/api/v1/me/export", Some(&ada), None),
    )
    .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "application/zip");
    let files = unzip(&reply.body);
    for name in [
        "README.txt",
        "manifest.json",
        "account.json",
        "tokens.json",
        "purchases.json",
        "jobs.json",
        "access-log.json",
        "consents.json",
        "analytics.json",
        "policies.json",
        "api-keys.json",
        "uploads/index.json",
        "results/index.json",
    ] {
        assert!(
            files.contains_key(name),
            "missing {name}: {:?}",
            files.keys()
        );
    }
    let account = json_of(&files, "account.json");
    assert_eq!(account["email"], json!("ada@example.org"));
    assert_eq!(account["marketing_opt_in"], json!(true));
    assert_eq!(
        json_of(&files, "jobs.json").as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(json_of(&files, "purchases.json")[0]["amount"], json!(500));
    assert_eq!(
        json_of(&files, "tokens.json")["lots"][0]["quantity"],
        json!(3)
    );
    assert_eq!(
        json_of(&files, "consents.json")[0]["kind"],
        json!("marketing-opt-in")
    );
    let analytics = json_of(&files, "analytics.json");
    let kinds: Vec<&str> = analytics
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|event| event["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["signed-up", "upload", "job-succeeded"]);
    assert_eq!(analytics[2]["style"], json!("light-color"));
    assert!(
        json_of(&files, "access-log.json")
            .as_array()
            .is_some_and(|rows| !rows.is_empty())
    );
    let accepted = json_of(&files, "policies.json");
    assert_eq!(accepted.as_array().map(Vec::len), Some(2), "{accepted}");
    assert_eq!(accepted[0]["source"], json!("sign-up"));
    let pngs: Vec<&String> = files.keys().filter(|name| name.ends_with(".png")).collect();
    assert_eq!(pngs.len(), 2, "one upload and one result: {pngs:?}");
    for name in pngs {
        let image = image::load_from_memory(&files[name]).expect("a decrypted PNG");
        assert!(image.width() > 0);
    }
    for (name, content) in &files {
        let text = String::from_utf8_lossy(content);
        assert!(
            !text.contains(&bob_id) && !text.contains("bob@"),
            "{name} names bob"
        );
        assert!(!name.contains(&bob_photo), "{name} is bob's photo");
    }
    let readme = String::from_utf8_lossy(&files["README.txt"]).into_owned();
    for field in [
        "processing_paused",
        "refunded_amount",
        "user_agent",
        "expires_at",
        "analytics.json",
        "api-keys.json",
        "job-succeeded",
        "policies.json",
    ] {
        assert!(readme.contains(field), "README lacks {field}");
    }
}

#[tokio::test]
async fn the_display_name_is_rectified_with_patch() {
    let test = test_app().await;
    let router = router(&test);
    let ada = register(&router, "ada").await;

    let named = send(
        &router,
        request(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({"display_name": "  Ada L.  "})),
        ),
    )
    .await;
    let me = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&ada), None),
    )
    .await;
    let bad = send(
        &router,
        request(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({"display_name": "a\nb"})),
        ),
    )
    .await;
    let long = "x".repeat(81);
    let too_long = send(
        &router,
        request(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({"display_name": long})),
        ),
    )
    .await;
    let cleared = send(
        &router,
        request(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({"display_name": null})),
        ),
    )
    .await;

    assert_eq!(me.json()["display_name"], json!("Ada L."));
    assert_eq!(named.status, StatusCode::OK);
    assert_eq!(named.json()["display_name"], json!("Ada L."));
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid-display-name")
    );
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cleared.json()["display_name"], Value::Null);
}

/// Polls the request until the background build has ended (or gives up after ~10 s).
async fn finished(router: &axum::Router, token: &str, id: &str) -> Value {
    for _ in 0..1000 {
        let reply = send(
            router,
            request(
                Method::GET,
                &format!("/api/v1/me/exports/{id}"),
                Some(token),
                None,
            ),
        )
        .await;
        if reply.json()["status"] != json!("pending") {
            return reply.json();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the export never finished");
}

#[tokio::test]
async fn a_background_export_is_prepared_mailed_and_downloadable_by_its_owner_only() {
    let test = test_app().await;
    let router = router(&test);
    let ada = register(&router, "ada").await;
    let bob = register(&router, "bob").await;
    upload(&router, &ada).await;

    let asked = send(
        &router,
        request(Method::POST, "/api/v1/me/exports", Some(&ada), None),
    )
    .await;
    let id = asked.json()["id"].as_str().unwrap_or_default().to_owned();
    let done = finished(&router, &ada, &id).await;
    let download = format!("/api/v1/me/exports/{id}/download");
    let zip = send(&router, request(Method::GET, &download, Some(&ada), None)).await;
    let by_bob = send(&router, request(Method::GET, &download, Some(&bob), None)).await;
    let seen_by_bob = send(
        &router,
        request(
            Method::GET,
            &format!("/api/v1/me/exports/{id}"),
            Some(&bob),
            None,
        ),
    )
    .await;
    let listed = send(
        &router,
        request(Method::GET, "/api/v1/me/exports", Some(&ada), None),
    )
    .await;

    assert_eq!(asked.status, StatusCode::ACCEPTED);
    assert_eq!(asked.json()["status"], json!("pending"));
    assert_eq!(done["status"], json!("ready"), "{done}");
    assert_eq!(zip.status, StatusCode::OK);
    let files = unzip(&zip.body);
    assert_eq!(
        json_of(&files, "account.json")["email"],
        json!("ada@example.org")
    );
    assert_eq!(files.keys().filter(|n| n.ends_with(".png")).count(), 1);
    assert_eq!(by_bob.status, StatusCode::NOT_FOUND);
    assert_eq!(seen_by_bob.status, StatusCode::NOT_FOUND);
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));
    let outbox = test
        .services
        .store
        .pending_mail(crate::domain::Timestamp::now(), 10)
        .await
        .expect("outbox");
    assert!(
        outbox
            .iter()
            .any(|m| m.mail.recipient == "ada@example.org" && m.mail.subject.contains("ready"))
    );

    let erased = send(
        &router,
        request(
            Method::DELETE,
            "/api/v1/me",
            Some(&ada),
            Some(json!({"password": "a sturdy passphrase"})),
        ),
    )
    .await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT);
    let blobs = test.services.blobs.list().await.expect("list");
    assert!(
        !blobs.iter().any(|(key, _)| key.contains("/exports/")),
        "{blobs:?}"
    );
    let ada_id = json_of(&files, "account.json")["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!ada_id.is_empty());
    assert!(test.rows_mentioning(&ada_id).await.is_empty());
}

#[tokio::test]
async fn asking_for_an_export_while_one_is_prepared_is_a_conflict() {
    let test = test_app().await;
    let router = router(&test);
    let ada = register(&router, "ada").await;
    let scope = scope_of(&test, &ada).await;
    let now = crate::domain::Timestamp::now();
    test.services
        .store
        .create_export(
            scope,
            crate::domain::ExportId::new(),
            now,
            now.plus(crate::privacy::EXPORT_TTL),
        )
        .await
        .expect("a pending export");

    let again = send(
        &router,
        request(Method::POST, "/api/v1/me/exports", Some(&ada), None),
    )
    .await;

    assert_eq!(
        (again.status, again.code().as_str()),
        (StatusCode::CONFLICT, "export-pending")
    );
}

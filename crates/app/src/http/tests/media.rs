//! Styles, uploads, jobs, results and history.

use super::*;
use crate::testing::{photo_png, test_app, test_app_with, test_config};

#[tokio::test]
async fn bad_uploads_get_a_4xx_with_a_code() {
    let mut config = test_config();
    config.uploads.max_bytes = 4096;
    let test = test_app_with(config).await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let cases: [(&str, Vec<u8>, StatusCode, &str); 5] = [
        (
            "file",
            b"definitely not an image".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-format",
        ),
        (
            "file",
            b"GIF89a\x01\x00\x01\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-format",
        ),
        (
            "file",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty-file",
        ),
        (
            "file",
            vec![0x89; 10_000],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
        ),
        (
            "photo",
            photo_png(8, 8),
            StatusCode::BAD_REQUEST,
            "missing-file",
        ),
    ];

    for (field, bytes, status, code) in cases {
        let reply = send(&router, upload_request(&token, field, &bytes)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (status, code.to_owned()),
            "{field} with {} bytes",
            bytes.len()
        );
    }
    let truncated = &photo_png(32, 32)[..60];
    let reply = send(&router, upload_request(&token, "file", truncated)).await;
    assert!(reply.status.is_client_error(), "{:?}", reply.status);
}

#[tokio::test]
async fn a_job_with_zero_balance_gets_402_and_enqueues_nothing() {
    let test = test_app().await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let upload_id = upload(&router, &token).await;
    for _ in 0..3 {
        assert_eq!(
            create_job(&router, &token, &upload_id).await.status,
            StatusCode::ACCEPTED
        );
    }

    let refused = create_job(&router, &token, &upload_id).await;

    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::PAYMENT_REQUIRED, "insufficient-tokens".into())
    );
    assert_eq!(test.services.store.queue_depth().await.expect("depth"), 3);
    let tokens = send(
        &router,
        request(Method::GET, "/api/v1/tokens", Some(&token), None),
    )
    .await;
    assert_eq!(tokens.json()["balance"], json!(0));
}

#[tokio::test]
async fn upload_job_poll_download_and_delete() {
    let test = test_app().await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let upload_id = upload(&router, &token).await;

    let created = create_job(&router, &token, &upload_id).await;
    let job_id = created.json()["id"].as_str().expect("job id").to_owned();
    let queued = send(
        &router,
        request(
            Method::GET,
            &format!("/api/v1/jobs/{job_id}"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert!(
        test.services
            .worker("w".into())
            .run_once()
            .await
            .expect("worker")
    );
    let done = send(
        &router,
        request(
            Method::GET,
            &format!("/api/v1/jobs/{job_id}"),
            Some(&token),
            None,
        ),
    )
    .await;
    let result_id = done.json()["result_id"]
        .as_str()
        .expect("result id")
        .to_owned();
    let download_uri = format!("/api/v1/results/{result_id}/download");
    let download = send(
        &router,
        request(Method::GET, &download_uri, Some(&token), None),
    )
    .await;
    let deleted = send(
        &router,
        request(
            Method::DELETE,
            &format!("/api/v1/results/{result_id}"),
            Some(&token),
            None,
        ),
    )
    .await;
    let gone = send(
        &router,
        request(Method::GET, &download_uri, Some(&token), None),
    )
    .await;

    assert_eq!(created.status, StatusCode::ACCEPTED);
    assert_eq!(queued.json()["status"], json!("queued"));
    assert_eq!(queued.json()["queue_position"], json!(1));
    assert_eq!(done.json()["status"], json!("succeeded"));
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(
        download
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert!(download.body.starts_with(b"\x89PNG"));
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn history_lists_only_the_callers_items_and_requests_are_access_logged() {
    let test = test_app().await;
    let router = router(&test);
    let alice = register(&router, "alice").await;
    let bob = register(&router, "bob").await;
    let upload_id = upload(&router, &alice).await;
    create_job(&router, &alice, &upload_id).await;
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");

    let lists = |token: String| {
        let router = router.clone();
        async move {
            let mut counts = Vec::new();
            for uri in ["/api/v1/uploads", "/api/v1/jobs", "/api/v1/results"] {
                let reply = send(&router, request(Method::GET, uri, Some(&token), None)).await;
                counts.push(reply.json().as_array().map_or(usize::MAX, Vec::len));
            }
            counts
        }
    };
    let alices = lists(alice.clone()).await;
    let bobs = lists(bob.clone()).await;

    assert_eq!(alices, [1, 1, 1]);
    assert_eq!(bobs, [0, 0, 0]);
    let scope = test
        .services
        .accounts
        .authenticate(&alice)
        .await
        .expect("scope");
    let log = test
        .services
        .store
        .access_log_of(scope, 50)
        .await
        .expect("access log");
    assert!(
        log.iter()
            .any(|e| e.route == "/api/v1/uploads" && e.method == "POST" && e.status == 201),
        "{log:?}"
    );
}

#[tokio::test]
async fn styles_list_the_six_built_in_styles_with_their_cost() {
    let test = test_app().await;
    let router = router(&test);

    let reply = send(&router, request(Method::GET, "/api/v1/styles", None, None)).await;

    let styles = reply.json();
    let ids: Vec<&str> = styles
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "rough-sketch",
            "detailed-sketch",
            "light-color",
            "artistic",
            "anime",
            "clay-3d"
        ]
    );
    assert_eq!(styles[0]["cost"], json!(1));
    assert_eq!(styles[0]["input"], json!("photo"));
}

/// A real JPEG of a gradient, cut at `fraction` of its bytes: inside the scan data, before
/// its end-of-image marker.
fn truncated_jpeg(fraction: f32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let mut jpeg = Vec::new();
    picture
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
    let cut = (jpeg.len() as f32 * fraction) as usize;
    jpeg.truncate(cut);
    jpeg
}

#[tokio::test]
async fn a_truncated_jpeg_is_refused_as_corrupt_and_costs_nothing() {
    let test = test_app().await;
    let router = router(&test);
    let token = register(&router, "ada").await;

    let mut replies = Vec::new();
    for fraction in [0.6, 0.8, 0.95] {
        replies.push(
            send(
                &router,
                upload_request(&token, "file", &truncated_jpeg(fraction)),
            )
            .await,
        );
    }
    let in_japanese = {
        let mut request = upload_request(&token, "file", &truncated_jpeg(0.7));
        request
            .headers_mut()
            .insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("ja"));
        send(&router, request).await
    };
    let uploads = send(
        &router,
        request(Method::GET, "/api/v1/uploads", Some(&token), None),
    )
    .await;
    let tokens = send(
        &router,
        request(Method::GET, "/api/v1/tokens", Some(&token), None),
    )
    .await;

    for reply in replies {
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "corrupt-image".to_owned()),
            "{:?}",
            reply.json()
        );
        assert_eq!(
            reply.json()["error"]["message"],
            // English keeps the decoder's message, which names the format (error_language).
            json!("the JPEG file is damaged or incomplete")
        );
    }
    assert_eq!(in_japanese.code(), "corrupt-image");
    assert_eq!(
        in_japanese.json()["error"]["message"],
        json!("画像ファイルが壊れているか、途中で切れています")
    );
    assert_eq!(uploads.json(), json!([]));
    assert_eq!(tokens.json()["balance"], json!(3));
}

/// A photo inside the upload caps whose stored copy (the service's own PNG) is larger than an
/// upload may be is still styled and its thumbnail drawn: stored files are read back under the
/// pixel cap with room for a lossless copy, not under the upload's byte cap.
#[tokio::test]
async fn a_stored_copy_larger_than_the_upload_cap_is_still_styled() {
    // Noise: a JPEG keeps it in far fewer bytes than the lossless PNG the upload is kept as.
    let noise = image::RgbImage::from_fn(200, 160, |x, y| {
        let h =
            (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
        image::Rgb([h as u8, (h >> 8) as u8, (h >> 16) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&noise)
        .expect("jpeg");
    let mut config = test_config();
    config.uploads.max_bytes = jpeg.len() + 1_000;
    let decoded = image::load_from_memory(&jpeg).expect("decode").to_rgb8();
    let mut png = Vec::new();
    decoded
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    assert!(
        png.len() > config.uploads.max_bytes,
        "the premise: the stored PNG ({} bytes) is over the cap ({})",
        png.len(),
        config.uploads.max_bytes
    );
    let test = test_app_with(config).await;
    let router = router(&test);
    let token = register(&router, "ada").await;

    let uploaded = send(&router, upload_request(&token, "file", &jpeg)).await;
    let upload_id = uploaded.json()["id"]
        .as_str()
        .expect("upload id")
        .to_owned();
    let thumbnail = send(
        &router,
        Request::builder()
            .uri(format!("/uploads/{upload_id}/thumbnail"))
            .header(header::COOKIE, format!("atelier_session={token}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let created = create_job(&router, &token, &upload_id).await;
    let job_id = created.json()["id"].as_str().expect("job id").to_owned();
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");
    let done = send(
        &router,
        request(
            Method::GET,
            &format!("/api/v1/jobs/{job_id}"),
            Some(&token),
            None,
        ),
    )
    .await;

    assert_eq!(
        uploaded.status,
        StatusCode::CREATED,
        "{:?}",
        uploaded.json()
    );
    assert_eq!(thumbnail.status, StatusCode::OK);
    assert_eq!(
        done.json()["status"],
        json!("succeeded"),
        "{:?}",
        done.json()
    );
}

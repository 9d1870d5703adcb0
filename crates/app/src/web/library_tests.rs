//! The library page: portraits and photos still held, thumbnails, deleting a photo.

use super::*;

async fn photo_and_portrait(router: &Router, test: &crate::testing::TestApp) -> String {
    let cookie = signed_up_cookie(router, SIGN_UP).await;
    let photo = crate::testing::photo_png(900, 600);
    let submitted = send(router, studio_post(&cookie, &photo, "clay-3d")).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");
    cookie
}

/// The first `{prefix}{id}/` path segment in `html`.
fn id_after(html: &str, prefix: &str) -> String {
    html.split(prefix)
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_library_shows_held_portraits_and_photos_with_small_thumbnails() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = photo_and_portrait(&router, &test).await;

    let page = send(&router, get("/history", Some(&cookie))).await;
    let result_id = id_after(&page.html, "/results/");
    let upload_id = id_after(&page.html, "/uploads/");
    let thumb = send(
        &router,
        get(&format!("/results/{result_id}/thumbnail"), Some(&cookie)),
    )
    .await;
    let photo_thumb = send(
        &router,
        get(&format!("/uploads/{upload_id}/thumbnail"), Some(&cookie)),
    )
    .await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Clay 3D") && page.html.contains("900 × 600"));
    assert!(page.html.contains("data-countdown") && page.html.contains("loading=\"lazy\""));
    assert_eq!(
        (thumb.status, photo_thumb.status),
        (StatusCode::OK, StatusCode::OK)
    );
}

#[tokio::test]
async fn thumbnails_are_jpeg_at_most_480_pixels_and_private_to_their_owner() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = photo_and_portrait(&router, &test).await;
    let page = send(&router, get("/history", Some(&cookie))).await;
    let upload_id = id_after(&page.html, "/uploads/");
    let uri = format!("/uploads/{upload_id}/thumbnail");

    let response = router
        .clone()
        .oneshot(get(&uri, Some(&cookie)))
        .await
        .expect("router answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(&b"image/jpeg"[..])
    );
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let image = image::load_from_memory(&body).expect("a JPEG");
    assert_eq!((image.width(), image.height()), (480, 320));

    let other = signed_up_cookie(
        &router,
        "email=bob%40example.org&password=another+sturdy+passphrase&age_over_14=true",
    )
    .await;
    assert_eq!(
        send(&router, get(&uri, Some(&other))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&router, get(&uri, None)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deleting_a_photo_removes_it_at_once_and_only_for_its_owner() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = photo_and_portrait(&router, &test).await;
    let page = send(&router, get("/history", Some(&cookie))).await;
    let upload_id = id_after(&page.html, "/uploads/");
    let delete = |cookie: &str| {
        let mut request = post_form(&format!("/uploads/{upload_id}/delete"), "", "same-origin");
        request
            .headers_mut()
            .insert(header::COOKIE, cookie.parse().expect("cookie header"));
        request
    };
    let other = signed_up_cookie(
        &router,
        "email=bob%40example.org&password=another+sturdy+passphrase&age_over_14=true",
    )
    .await;

    let by_other = send(&router, delete(&other)).await;
    let still_there = send(
        &router,
        get(&format!("/api/v1/uploads/{upload_id}"), Some(&cookie)),
    )
    .await;
    let by_owner = send(&router, delete(&cookie)).await;
    let gone = send(
        &router,
        get(&format!("/api/v1/uploads/{upload_id}"), Some(&cookie)),
    )
    .await;
    let after = send(&router, get("/history", Some(&cookie))).await;

    assert_eq!(by_other.status, StatusCode::NOT_FOUND);
    assert_eq!(still_there.status, StatusCode::OK);
    assert_eq!(
        (by_owner.status, by_owner.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/history"))
    );
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(after.html.contains("No photos are held right now."));
}

/// Every `<img …>` tag of `html`.
fn img_tags(html: &str) -> Vec<&str> {
    html.split("<img")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .collect()
}

#[tokio::test]
async fn lists_load_only_sized_lazy_thumbnails_never_a_full_image() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = photo_and_portrait(&router, &test).await;

    let library = send(&router, get("/history", Some(&cookie))).await;
    let home = send(&router, get("/", Some(&cookie))).await;

    let thumbnails = img_tags(&library.html);
    assert_eq!(thumbnails.len(), 2, "the portrait and the photo");
    for tag in thumbnails.iter().chain(&img_tags(&home.html)) {
        assert!(tag.contains("loading=\"lazy\""), "lazy: {tag}");
        assert!(
            tag.contains(" width=\"") && tag.contains(" height=\""),
            "sized: {tag}"
        );
        assert!(
            !tag.contains("/download"),
            "no full-size image in a list: {tag}"
        );
    }
    for tag in thumbnails {
        assert!(tag.contains("/thumbnail\""), "a thumbnail: {tag}");
    }
}

//! The browser stories in headless Chromium (C10): sign up, upload a photo, pick a style,
//! watch the job finish, see and download the portrait, delete it, in English, Japanese and
//! Korean; the privacy page's export, pause and erasure. Screenshots of each page at phone
//! and desktop widths go to `target/screenshots/` for a person to look at.
//!
//! Needs `chromium` and `chromedriver` (Debian: chromium, chromium-driver), so it is ignored
//! by default: `cargo test -p atelier-app --test browser -- --ignored`.

mod support;

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::json;
use support::browser::{
    DESKTOP, PASSWORD, PHONE, browser, browser_in, click, click_to_load, fetch_status,
    make_portrait, resize, sign_up, sign_up_expecting, snap, start_driver, start_server, text_of,
    type_into, wait_for_text,
};
use support::photo_sized;

/// How a story's reader gets their language.
enum Choice {
    /// The browser asks for it (Accept-Language).
    Browser(&'static str),
    /// The footer's language switcher, clicked on the start page.
    Switcher(&'static str),
}

/// One language's story: how it is chosen and what its pages must say.
struct Language {
    /// `<html lang>` on every page.
    tag: &'static str,
    choice: Choice,
    welcome: &'static str,
    studio: &'static str,
    job: &'static str,
    ready: &'static str,
    library: &'static str,
    deleted: &'static str,
}

const ENGLISH: Language = Language {
    tag: "en-US",
    choice: Choice::Browser("en-US,en"),
    welcome: "3 tokens",
    studio: "New portrait",
    job: "Your portrait",
    ready: "Ready",
    library: "Your library",
    deleted: "the portrait has been deleted",
};

const JAPANESE: Language = Language {
    tag: "ja-JP",
    choice: Choice::Switcher("ja-JP"),
    welcome: "3 トークン",
    studio: "新しいポートレート",
    job: "あなたのポートレート",
    ready: "完成しました",
    library: "ライブラリ",
    deleted: "ポートレートは削除済みです",
};

const KOREAN: Language = Language {
    tag: "ko-KR",
    choice: Choice::Browser("ko-KR,ko;q=0.9,en;q=0.5"),
    welcome: "토큰 3개",
    studio: "새 초상화",
    job: "내 초상화",
    ready: "완성되었습니다",
    library: "내 보관함",
    deleted: "초상화는 삭제되었습니다",
};

/// Screenshots of the page as it is at phone and at desktop width.
async fn snap_both(client: &Client, name: &str) {
    resize(client, PHONE).await;
    snap(client, &format!("{name}-phone")).await;
    resize(client, DESKTOP).await;
    snap(client, &format!("{name}-desktop")).await;
}

async fn assert_page_language(client: &Client, language: &Language) {
    let lang = client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .expect("html lang");
    assert_eq!(lang, json!(language.tag), "<html lang>");
}

/// Sign up, upload, pick a style, watch, download, see the library, delete: in `language`.
async fn journey(language: &Language) {
    // Arrange: the real server on port 0 and a headless browser.
    let dir = tempfile::tempdir().expect("tempdir");
    let base = start_server(dir.path()).await;
    let photo = dir.path().join("portrait.png");
    std::fs::write(&photo, photo_sized(600, 600)).expect("photo");
    let (_driver, webdriver) = start_driver();
    let accept = match language.choice {
        Choice::Browser(accept) => accept,
        Choice::Switcher(_) => "en-US,en",
    };
    let client = browser_in(&webdriver, accept, DESKTOP).await;
    let shot = |page: &str| format!("{}-{page}", language.tag);

    // Act and assert, page by page.
    client.goto(&format!("{base}/")).await.expect("home");
    if let Choice::Switcher(code) = language.choice {
        click_to_load(&client, &format!("footer .languages a[lang='{code}']")).await;
        wait_for_text(
            &client,
            &format!("lang=\"{code}\""),
            Duration::from_secs(10),
        )
        .await;
    }
    assert_page_language(&client, language).await;
    snap_both(&client, &shot("01-home")).await;
    sign_up_expecting(&client, &base, "ada@example.org", language.welcome).await;
    assert_page_language(&client, language).await;

    client
        .goto(&format!("{base}/studio"))
        .await
        .expect("studio");
    assert_eq!(text_of(&client, "main h1").await, language.studio);
    snap_both(&client, &shot("02-studio")).await;
    make_portrait(&client, &base, &photo, "anime").await;
    assert_page_language(&client, language).await;
    assert!(text_of(&client, "main h1").await.starts_with(language.job));
    assert_eq!(text_of(&client, "p.status").await, language.ready);
    snap_both(&client, &shot("03-job-ready")).await;

    let image_width = client
        .execute(
            "return document.querySelector('figure.result img').naturalWidth;",
            vec![],
        )
        .await
        .expect("image width");
    assert_eq!(image_width, json!(600), "the portrait is shown");
    let href = client
        .find(Locator::Css(".actions a.button"))
        .await
        .expect("download link")
        .attr("href")
        .await
        .expect("href")
        .expect("download href");
    assert_eq!(fetch_status(&client, &href).await, json!(200));

    client
        .goto(&format!("{base}/history"))
        .await
        .expect("library");
    assert_page_language(&client, language).await;
    assert_eq!(text_of(&client, "main h1").await, language.library);
    assert_thumbnails_load(&client).await;
    snap_both(&client, &shot("04-library")).await;
    click_to_load(&client, ".library .actions form button").await;
    wait_for_text(&client, language.deleted, Duration::from_secs(10)).await;
    assert_eq!(
        fetch_status(&client, &href).await,
        json!(404),
        "the deleted portrait is gone"
    );
    for page in ["tokens", "buy"] {
        client.goto(&format!("{base}/{page}")).await.expect("page");
        assert_page_language(&client, language).await;
        snap(&client, &shot(&format!("05-{page}"))).await;
    }

    client.close().await.expect("close browser");
}

/// The library's lazy thumbnails (portrait and photo) load once laid out.
async fn assert_thumbnails_load(client: &Client) {
    let mut loaded = json!(null);
    for _ in 0..50 {
        loaded = client
            .execute(
                "return [...document.querySelectorAll('img.thumb')]
                    .map(i => i.complete && i.naturalWidth > 0);",
                vec![],
            )
            .await
            .expect("thumbnails");
        if loaded == json!([true, true]) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("portrait and photo thumbnails did not load: {loaded}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run with --ignored"]
async fn the_portrait_journey_in_english() {
    journey(&ENGLISH).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run with --ignored"]
async fn the_portrait_journey_in_japanese_chosen_with_the_footer_switcher() {
    journey(&JAPANESE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run with --ignored"]
async fn the_portrait_journey_in_korean_asked_for_by_the_browser() {
    journey(&KOREAN).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run with --ignored"]
async fn the_privacy_page_exports_a_zip_pauses_and_deletes_the_account() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = start_server(dir.path()).await;
    let (_driver, webdriver) = start_driver();
    let client = browser(&webdriver).await;
    sign_up(&client, &base, "ada@example.org").await;

    client
        .goto(&format!("{base}/privacy"))
        .await
        .expect("privacy page");
    wait_for_text(&client, "within 30 days", Duration::from_secs(10)).await;
    snap(&client, "en-US-07-privacy").await;
    // The download link, fetched by the page with its session: bytes back to the test.
    let href = client
        .find(Locator::Css("a[href='/privacy/export']"))
        .await
        .expect("download link")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    let script = "const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done([...new Uint8Array(b)]));";
    let bytes: Vec<u8> = client
        .execute_async(script, vec![json!(href)])
        .await
        .expect("fetch the export")
        .as_array()
        .expect("bytes")
        .iter()
        .map(|b| u8::try_from(b.as_u64().unwrap_or(256)).expect("a byte"))
        .collect();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut account = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("account.json").expect("account.json"),
        &mut account,
    )
    .expect("unpack");
    assert!(account.contains("ada@example.org"));

    click(&client, "input[name=processing_paused]").await;
    click_to_load(&client, "form[action='/privacy/preferences'] button").await;
    wait_for_text(&client, "Your choices are saved.", Duration::from_secs(10)).await;
    type_into(
        &client,
        "form[action='/privacy/delete'] input[name=password]",
        PASSWORD,
    )
    .await;
    click_to_load(&client, "form[action='/privacy/delete'] button").await;
    wait_for_text(&client, "Your account is deleted", Duration::from_secs(10)).await;
    snap(&client, "en-US-08-account-deleted").await;
    client
        .goto(&format!("{base}/privacy"))
        .await
        .expect("privacy again");
    let url = client.current_url().await.expect("url");
    assert!(url.path().ends_with("/signin"), "signed out: {url}");
    sign_up(&client, &base, "ada@example.org").await;

    client.close().await.expect("close browser");
}

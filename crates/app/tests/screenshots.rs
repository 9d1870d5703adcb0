//! The README's screenshots (`docs/screenshots/`), taken from the real server in headless
//! Chromium: a visitor's start page, then a member's studio, finished job, library and
//! privacy page, at phone and desktop widths and in each language where the list says so.
//!
//! Ignored by default, and not part of CI: run it when pages change,
//! `ATELIER_SCREENSHOTS_DIR=$PWD/docs/screenshots cargo test -p atelier-app --test screenshots --
//! --ignored` from the repository root (without the variable they go to
//! `target/screenshots/`). Needs chromium, chromedriver and CJK fonts (Debian:
//! fonts-noto-cjk); with `pngquant` on PATH (Debian: pngquant) each PNG is shrunk to a
//! palette of 256 colours, about a third of the size.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use fantoccini::Client;
use support::browser::{
    DESKTOP, PHONE, browser, make_portrait, resize, screenshots_dir, sign_up, snap, start_driver,
    start_server,
};

/// Who looks at the page.
#[derive(Clone, Copy, PartialEq)]
enum Reader {
    Visitor,
    Member,
}

/// One screenshot: (file name without `.png`, path, viewport, language, reader); `{job}` in
/// the path stands for the member's finished job.
type Shot = (&'static str, &'static str, (u32, u32), &'static str, Reader);

/// Every screenshot. A new one is one more line here.
const SHOTS: &[Shot] = &[
    ("home-phone", "/", PHONE, "en-US", Reader::Visitor),
    ("home-desktop", "/", DESKTOP, "en-US", Reader::Visitor),
    ("studio-phone", "/studio", PHONE, "en-US", Reader::Member),
    (
        "studio-desktop",
        "/studio",
        DESKTOP,
        "en-US",
        Reader::Member,
    ),
    ("job-phone", "{job}", PHONE, "en-US", Reader::Member),
    ("job-desktop", "{job}", DESKTOP, "en-US", Reader::Member),
    ("history-phone", "/history", PHONE, "en-US", Reader::Member),
    (
        "history-desktop",
        "/history",
        DESKTOP,
        "en-US",
        Reader::Member,
    ),
    ("privacy-phone", "/privacy", PHONE, "en-US", Reader::Member),
    (
        "privacy-desktop",
        "/privacy",
        DESKTOP,
        "en-US",
        Reader::Member,
    ),
    ("studio-ja-phone", "/studio", PHONE, "ja-JP", Reader::Member),
    ("studio-ko-phone", "/studio", PHONE, "ko-KR", Reader::Member),
];

/// A real portrait for the job and library shots (public domain, from the engine's tests).
fn astronaut() -> PathBuf {
    // chromedriver takes only canonical paths for file inputs.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/data/astronaut.png")
        .canonicalize()
        .expect("astronaut.png")
}

async fn shoot(client: &Client, base: &str, job: &str, reader: Reader) {
    for (name, path, size, language, _) in SHOTS.iter().filter(|s| s.4 == reader) {
        let path = path.replace("{job}", job);
        // The switcher's route sets the language cookie and goes on to the page.
        client
            .goto(&format!("{base}/lang/{language}?next={path}"))
            .await
            .expect("page");
        resize(client, *size).await;
        snap(client, name).await;
        shrink(&screenshots_dir().join(format!("{name}.png")));
    }
}

/// Quantizes `png` in place with pngquant when it is installed; keeps it as it is otherwise
/// (or when quantizing would not make it smaller).
fn shrink(png: &std::path::Path) {
    let _ = Command::new("pngquant")
        .args([
            "--force",
            "--skip-if-larger",
            "--quality=65-95",
            "--ext=.png",
        ])
        .arg(png)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the README's screenshots; run with --ignored"]
async fn screenshots_of_the_main_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = start_server(dir.path()).await;
    let (_driver, webdriver) = start_driver();
    let client = browser(&webdriver).await;

    shoot(&client, &base, "", Reader::Visitor).await;
    sign_up(&client, &base, "ada@example.org").await;
    let job = make_portrait(&client, &base, &astronaut(), "anime").await;
    let job = url::Url::parse(&job).expect("job url").path().to_owned();
    shoot(&client, &base, &job, Reader::Member).await;

    client.close().await.expect("close browser");
}

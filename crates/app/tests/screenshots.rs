//! The README's screenshots (`docs/screenshots/`), taken from the real server in headless
//! Chromium: a visitor's start page and help pages, then a member's studio (also with the
//! live photo check's answer), finished job, library and privacy page, then an admin's
//! dashboard and member page, at phone and desktop widths and in each language where the list
//! says so.
//!
//! Ignored by default, and not part of CI: run it when pages change,
//! `ATELIER_SCREENSHOTS_DIR=$PWD/docs/screenshots cargo test -p atelier-app --test screenshots --
//! --ignored` from the repository root (without the variable they go to
//! `target/screenshots/`). Needs chromium, chromedriver and CJK fonts (Debian:
//! fonts-noto-cjk); with `pngquant` on PATH (Debian: pngquant) each PNG is shrunk to a
//! palette of 256 colours, about a third of the size. `ATELIER_SCREENSHOTS_ONLY=a,b` takes only
//! the shots named (e.g. `admin-user-desktop`) and leaves the other files alone.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use std::time::Duration;

use fantoccini::{Client, Locator};
use support::browser::{
    DESKTOP, PHONE, browser, click_to_load, make_admin, make_portrait, resize, screenshots_dir,
    sign_up, snap, start_driver, start_server_with, user_id, wait_for_selector,
};

/// Who looks at the page.
#[derive(Clone, Copy, PartialEq)]
enum Reader {
    Visitor,
    Member,
    Admin,
}

/// One screenshot: (file name without `.png`, path, viewport, language, reader); `{job}` in
/// the path stands for the member's finished job (`{job_id}` for its id alone), `{user}` for
/// the member's account id.
type Shot = (&'static str, &'static str, (u32, u32), &'static str, Reader);

/// Every screenshot. A new one is one more line here.
const SHOTS: &[Shot] = &[
    ("home-phone", "/", PHONE, "en-US", Reader::Visitor),
    ("home-desktop", "/", DESKTOP, "en-US", Reader::Visitor),
    ("support-phone", "/support", PHONE, "en-US", Reader::Visitor),
    (
        "contact-ko-phone",
        "/support/contact",
        PHONE,
        "ko-KR",
        Reader::Visitor,
    ),
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
    (
        "contact-member-desktop",
        "/support/contact?job={job_id}",
        DESKTOP,
        "en-US",
        Reader::Member,
    ),
    (
        "not-found-ja-phone",
        "/jobs/00000000-0000-4000-8000-000000000000",
        PHONE,
        "ja-JP",
        Reader::Member,
    ),
    ("studio-ja-phone", "/studio", PHONE, "ja-JP", Reader::Member),
    ("studio-ko-phone", "/studio", PHONE, "ko-KR", Reader::Member),
    (
        "admin-dashboard-desktop",
        "/admin",
        DESKTOP,
        "en-US",
        Reader::Admin,
    ),
    (
        "admin-dashboard-phone",
        "/admin",
        PHONE,
        "en-US",
        Reader::Admin,
    ),
    (
        "admin-user-desktop",
        "/admin/users/{user}",
        DESKTOP,
        "en-US",
        Reader::Admin,
    ),
];

/// Only the shots whose names are in `ATELIER_SCREENSHOTS_ONLY` (comma-separated), when it is
/// set: regenerating a few leaves the others' files untouched.
fn wanted(name: &str) -> bool {
    std::env::var("ATELIER_SCREENSHOTS_ONLY")
        .map_or(true, |only| only.split(',').any(|n| n.trim() == name))
}

/// A real portrait for the job and library shots (public domain, from the engine's tests).
fn astronaut() -> PathBuf {
    // chromedriver takes only canonical paths for file inputs.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/data/astronaut.png")
        .canonicalize()
        .expect("astronaut.png")
}

async fn shoot(client: &Client, base: &str, ids: &[(&str, String)], reader: Reader) {
    for (name, path, size, language, _) in SHOTS.iter().filter(|s| s.4 == reader && wanted(s.0)) {
        let path = ids
            .iter()
            .fold(path.to_string(), |path, (key, id)| path.replace(key, id));
        // The switcher's route sets the language cookie and goes on to the page.
        client
            .goto(&format!("{base}/lang/{language}?next={path}"))
            .await
            .expect("page");
        resize(client, *size).await;
        snap(client, name).await;
        shrink(&screenshots_dir().join(format!("{name}.png")));
    }
    // Back to English: the sign-up after it waits for the English welcome.
    client
        .goto(&format!("{base}/lang/en-US"))
        .await
        .expect("English");
}

/// The studio at phone width once the live photo check has answered about the astronaut.
async fn shoot_photo_check(client: &Client, base: &str) {
    let name = "studio-check-phone";
    if !wanted(name) {
        return;
    }
    client
        .goto(&format!("{base}/lang/en-US?next=/studio"))
        .await
        .expect("studio");
    resize(client, PHONE).await;
    client
        .find(Locator::Css("input[type=file]"))
        .await
        .expect("file input")
        .send_keys(astronaut().to_str().expect("utf-8 path"))
        .await
        .expect("choose photo");
    // The list says "checking" first, then the server's answers.
    wait_for_selector(
        client,
        "#photo-checks li:not(.check-info)",
        Duration::from_secs(20),
    )
    .await;
    client
        .execute(
            "document.querySelector('.photo-check').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .expect("scroll");
    snap(client, name).await;
    shrink(&screenshots_dir().join(format!("{name}.png")));
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
    let (base, services) = start_server_with(dir.path()).await;
    let (_driver, webdriver) = start_driver();
    let client = browser(&webdriver).await;

    shoot(&client, &base, &[], Reader::Visitor).await;
    sign_up(&client, &base, "ada@example.org").await;
    let job = make_portrait(&client, &base, &astronaut(), "anime").await;
    let job = url::Url::parse(&job).expect("job url").path().to_owned();
    let job_id = job.trim_start_matches("/jobs/").to_owned();
    shoot(
        &client,
        &base,
        &[("{job_id}", job_id), ("{job}", job)],
        Reader::Member,
    )
    .await;
    shoot_photo_check(&client, &base).await;

    // An admin looks at the dashboard (with ada's job in its charts) and at ada.
    client.goto(&format!("{base}/")).await.expect("home");
    click_to_load(&client, "form[action='/signout'] button").await;
    wait_for_selector(&client, "a[href='/signin']", Duration::from_secs(10)).await;
    sign_up(&client, &base, "grace@example.org").await;
    make_admin(&services, "grace@example.org").await;
    let ada = user_id(&services, "ada@example.org").await.to_string();
    shoot(&client, &base, &[("{user}", ada)], Reader::Admin).await;

    client.close().await.expect("close browser");
}

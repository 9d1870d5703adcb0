//! The browser story in headless Chromium (C10): sign up, upload a photo, pick a style,
//! watch the job finish, see and download the portrait, delete it. Screenshots of each page
//! go to `target/screenshots/` for a person to look at.
//!
//! Needs `chromium` and `chromedriver` (Debian: chromium, chromium-driver), so it is ignored
//! by default: `cargo test -p atelier-app --test browser -- --ignored`.

mod support;

use std::net::{SocketAddr, TcpStream as StdTcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use atelier_app::config::{Config, Overrides};
use atelier_app::services::Services;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use support::photo_sized;

/// chromedriver, killed when the test ends however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Starts chromedriver and waits until its port accepts connections.
fn start_driver() -> (Driver, String) {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed");
    let driver = Driver(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    while StdTcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (driver, format!("http://{addr}"))
}

async fn browser(webdriver: &str) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1000"]}),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("browser session")
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

async fn snap(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// Waits until the page source contains `text` (the job page reloads itself).
async fn wait_for_text(client: &Client, text: &str, limit: Duration) {
    let start = Instant::now();
    loop {
        if client.source().await.expect("source").contains(text) {
            return;
        }
        assert!(start.elapsed() < limit, "page never showed {text:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The HTTP status of `url` fetched by the page itself, with its session cookie.
async fn fetch_status(client: &Client, url: &str) -> Value {
    let script = "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => done(r.status));";
    client
        .execute_async(script, vec![json!(url)])
        .await
        .expect("fetch in page")
}

/// The real server on port 0 over a fresh data folder; returns its base URL.
async fn start_server(dir: &std::path::Path) -> String {
    let vars = [
        ("ATELIER__ACCOUNTS__ARGON2_MEMORY_KIB", "64"),
        ("ATELIER__JOBS__POLL_INTERVAL", "50ms"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let overrides = Overrides {
        listen: None,
        data_dir: Some(dir.to_owned()),
    };
    let services = Services::open(Config::load(None, vars, &overrides).expect("config"))
        .await
        .expect("services");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(atelier_app::server::run(
        services,
        listener,
        std::future::pending(),
    ));
    base
}

/// Fills and sends the sign-up form, then waits for the welcome balance.
async fn sign_up(client: &Client, base: &str, email: &str) {
    client
        .goto(&format!("{base}/signup"))
        .await
        .expect("sign-up page");
    type_into(client, "input[name=email]", email).await;
    type_into(client, "input[name=password]", "a sturdy passphrase").await;
    click(client, "input[name=age_over_14]").await;
    click(client, "form.stack button[type=submit]").await;
    wait_for_text(client, "3 tokens", Duration::from_secs(10)).await;
}

async fn type_into(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .expect(css)
        .send_keys(text)
        .await
        .expect("type");
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
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
    snap(&client, "09-privacy").await;
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
    click(&client, "form[action='/privacy/preferences'] button").await;
    wait_for_text(&client, "Your choices are saved.", Duration::from_secs(10)).await;
    type_into(
        &client,
        "form[action='/privacy/delete'] input[name=password]",
        "a sturdy passphrase",
    )
    .await;
    click(&client, "form[action='/privacy/delete'] button").await;
    wait_for_text(&client, "Your account is deleted", Duration::from_secs(10)).await;
    snap(&client, "10-account-deleted").await;
    client
        .goto(&format!("{base}/privacy"))
        .await
        .expect("privacy again");
    let url = client.current_url().await.expect("url");
    assert!(url.path().ends_with("/signin"), "signed out: {url}");
    sign_up(&client, &base, "ada@example.org").await;

    client.close().await.expect("close browser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run with --ignored"]
async fn sign_up_upload_pick_a_style_watch_download_and_delete() {
    // Arrange: the real server on port 0 and a headless browser.
    let dir = tempfile::tempdir().expect("tempdir");
    let base = start_server(dir.path()).await;
    let photo = dir.path().join("portrait.png");
    std::fs::write(&photo, photo_sized(600, 600)).expect("photo");
    let (_driver, webdriver) = start_driver();
    let client = browser(&webdriver).await;

    // Act and assert, page by page.
    client.goto(&format!("{base}/")).await.expect("home");
    snap(&client, "01-home").await;
    client
        .goto(&format!("{base}/signup"))
        .await
        .expect("sign-up page");
    snap(&client, "02-signup").await;
    client
        .find(Locator::Css("input[name=email]"))
        .await
        .expect("email")
        .send_keys("ada@example.org")
        .await
        .expect("type");
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .expect("password")
        .send_keys("a sturdy passphrase")
        .await
        .expect("type");
    client
        .find(Locator::Css("input[name=age_over_14]"))
        .await
        .expect("age box")
        .click()
        .await
        .expect("tick");
    client
        .find(Locator::Css("form.stack button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("sign up");
    wait_for_text(&client, "3 tokens", Duration::from_secs(10)).await;

    client
        .goto(&format!("{base}/studio"))
        .await
        .expect("studio");
    let file = client
        .find(Locator::Css("input[type=file]"))
        .await
        .expect("file input");
    file.send_keys(photo.to_str().expect("utf-8 path"))
        .await
        .expect("choose photo");
    client
        .find(Locator::Css("input[value=anime]"))
        .await
        .expect("anime")
        .click()
        .await
        .expect("pick anime");
    snap(&client, "03-studio").await;
    client
        .find(Locator::Css("form.stack button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("make");
    wait_for_text(&client, "Ready", Duration::from_secs(120)).await;
    snap(&client, "04-job-ready").await;

    let image_width = client
        .execute(
            "return document.querySelector('figure.result img').naturalWidth;",
            vec![],
        )
        .await
        .expect("image width");
    assert_eq!(image_width, json!(600), "the portrait is shown");
    let download = client
        .find(Locator::Css("a.button"))
        .await
        .expect("download link");
    let href = download
        .attr("href")
        .await
        .expect("href")
        .expect("download href");
    assert_eq!(fetch_status(&client, &href).await, json!(200));

    client
        .goto(&format!("{base}/history"))
        .await
        .expect("library");
    wait_for_text(&client, "Your library", Duration::from_secs(10)).await;
    // Lazy images load once laid out; give them a moment.
    let mut thumbnails_loaded = json!(null);
    for _ in 0..50 {
        thumbnails_loaded = client
            .execute(
                "return [...document.querySelectorAll('img.thumb')]
                    .map(i => i.complete && i.naturalWidth > 0);",
                vec![],
            )
            .await
            .expect("thumbnails");
        if thumbnails_loaded == json!([true, true]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        thumbnails_loaded,
        json!([true, true]),
        "portrait and photo thumbnails"
    );
    snap(&client, "05-library").await;
    client
        .find(Locator::Css(".library .actions form button"))
        .await
        .expect("delete")
        .click()
        .await
        .expect("delete");
    wait_for_text(
        &client,
        "the portrait has been deleted",
        Duration::from_secs(10),
    )
    .await;
    snap(&client, "06-library-after-delete").await;
    assert_eq!(
        fetch_status(&client, &href).await,
        json!(404),
        "the deleted portrait is gone"
    );
    client
        .goto(&format!("{base}/tokens"))
        .await
        .expect("tokens");
    snap(&client, "07-tokens").await;
    client.goto(&format!("{base}/buy")).await.expect("buy");
    // No Stripe keys here: the page says so and shows the packs and the lots.
    wait_for_text(
        &client,
        "Payments are not configured",
        Duration::from_secs(10),
    )
    .await;
    snap(&client, "08-buy").await;

    client.close().await.expect("close browser");
}

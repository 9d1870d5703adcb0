//! Headless Chromium for the browser tests (browser.rs, a11y.rs, screenshots.rs): chromedriver,
//! a session at a given window size and language, the real server on port 0, and the few
//! page actions the stories share.
//!
//! Needs `chromium` and `chromedriver` (Debian: chromium, chromium-driver).

use std::net::{SocketAddr, TcpStream as StdTcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use atelier_app::config::{Config, Overrides};
use atelier_app::domain::{Email, Role, UserId};
use atelier_app::services::Services;
use atelier_app::store::AccountStatus;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// A phone held upright (iPhone 12 to 15) and an ordinary laptop screen, in CSS pixels.
pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1280, 900);

/// The passphrase every story signs up with.
pub const PASSWORD: &str = "a sturdy passphrase";

/// chromedriver, killed when the test ends however it ends.
pub struct Driver(Child);

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
pub fn start_driver() -> (Driver, String) {
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

/// A headless session whose browser asks for `accept_language` first (an Accept-Language
/// value such as `ko-KR,ko`), with a viewport of `size` CSS pixels.
pub async fn browser_in(webdriver: &str, accept_language: &str, size: (u32, u32)) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--hide-scrollbars", "--force-device-scale-factor=1",
                     format!("--window-size={},{}", size.0, size.1)],
            "prefs": {"intl.accept_languages": accept_language},
        }),
    );
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("browser session");
    resize(&client, size).await;
    client
}

/// An English-speaking browser on a desktop screen.
pub async fn browser(webdriver: &str) -> Client {
    browser_in(webdriver, "en-US,en", DESKTOP).await
}

/// Makes the viewport (not the window around it) `size` CSS pixels.
pub async fn resize(client: &Client, size: (u32, u32)) {
    client
        .set_window_size(size.0, size.1)
        .await
        .expect("window size");
    let inner = client
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .expect("viewport");
    let inner = |i: usize| inner[i].as_u64().and_then(|v| u32::try_from(v).ok());
    let (Some(width), Some(height)) = (inner(0), inner(1)) else {
        panic!("no viewport size");
    };
    // Headful windows have a frame around the page: grow the window by its thickness.
    if (width, height) != size {
        let outer = |want: u32, got: u32| (2 * want).saturating_sub(got);
        client
            .set_window_size(outer(size.0, width), outer(size.1, height))
            .await
            .expect("window size");
    }
}

/// Where screenshots go: `ATELIER_SCREENSHOTS_DIR` when set, else `target/screenshots/`.
pub fn screenshots_dir() -> PathBuf {
    let dir = std::env::var_os("ATELIER_SCREENSHOTS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// Waits until every image in view has loaded (lazy ones start when laid out).
pub async fn wait_for_images_in_view(client: &Client) {
    let script = "return [...document.images]
        .filter(i => i.getBoundingClientRect().top < window.innerHeight)
        .every(i => i.complete && i.naturalWidth > 0);";
    let start = Instant::now();
    while client.execute(script, vec![]).await.expect("images") != json!(true) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "images did not load"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A screenshot of the viewport, once its images have loaded.
pub async fn snap(client: &Client, name: &str) {
    wait_for_images_in_view(client).await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// Waits until the page source contains `text` (the job page reloads itself).
pub async fn wait_for_text(client: &Client, text: &str, limit: Duration) {
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
pub async fn fetch_status(client: &Client, url: &str) -> Value {
    let script = "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => done(r.status));";
    client
        .execute_async(script, vec![json!(url)])
        .await
        .expect("fetch in page")
}

/// The real server on port 0 over a fresh data folder; returns its base URL.
pub async fn start_server(dir: &Path) -> String {
    start_server_with(dir).await.0
}

/// The real server, and its services for the test to arrange what no page can (an admin).
pub async fn start_server_with(dir: &Path) -> (String, Services) {
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
        services.clone(),
        listener,
        std::future::pending(),
    ));
    (base, services)
}

/// The account id of the signed-up `email`.
pub async fn user_id(services: &Services, email: &str) -> UserId {
    let email = Email::parse(email).expect("email");
    let found = services.store.find_user_by_email(&email).await;
    found.expect("find").expect("signed up").user.id
}

/// Makes the signed-up `email` an admin (no page can: `atelier user create-admin` does).
pub async fn make_admin(services: &Services, email: &str) {
    let id = user_id(services, email).await;
    services
        .store
        .set_role_and_status(id, Role::Admin, AccountStatus::Active)
        .await
        .expect("promote");
}

/// Fills and sends the sign-up form; `welcome` is text the next page shows (the welcome
/// balance in the reader's language).
pub async fn sign_up_expecting(client: &Client, base: &str, email: &str, welcome: &str) {
    client
        .goto(&format!("{base}/signup"))
        .await
        .expect("sign-up page");
    type_into(client, "input[name=email]", email).await;
    type_into(client, "input[name=password]", PASSWORD).await;
    click(client, "input[name=age_over_14]").await;
    click_to_load(client, "form.stack button[type=submit]").await;
    wait_for_text(client, welcome, Duration::from_secs(10)).await;
}

/// Signs up in English and waits for the welcome balance.
pub async fn sign_up(client: &Client, base: &str, email: &str) {
    sign_up_expecting(client, base, email, "3 tokens").await;
}

/// Sends the studio form with `photo` and the style `style`; returns the job page's URL
/// once the job has finished.
pub async fn make_portrait(client: &Client, base: &str, photo: &Path, style: &str) -> String {
    client
        .goto(&format!("{base}/studio"))
        .await
        .expect("studio");
    client
        .find(Locator::Css("input[type=file]"))
        .await
        .expect("file input")
        .send_keys(photo.to_str().expect("utf-8 path"))
        .await
        .expect("choose photo");
    click(client, &format!("input[value={style}]")).await;
    click_to_load(client, "form.stack button[type=submit]").await;
    wait_for_selector(client, "figure.result img", Duration::from_secs(120)).await;
    client.current_url().await.expect("job url").to_string()
}

/// Waits until an element matches `css`.
pub async fn wait_for_selector(client: &Client, css: &str, limit: Duration) {
    let start = Instant::now();
    while client.find(Locator::Css(css)).await.is_err() {
        assert!(start.elapsed() < limit, "page never showed {css}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The text of the first element matching `css`.
pub async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .expect(css)
        .text()
        .await
        .expect("text")
}

pub async fn type_into(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .expect(css)
        .send_keys(text)
        .await
        .expect("type");
}

/// Clicks `css`, which leads to another page (a link, a form's button), and waits until that
/// page has loaded. The page being left is marked first, so nothing the test looks at next can
/// be read from it: a click returns before the browser has started to navigate.
pub async fn click_to_load(client: &Client, css: &str) {
    client
        .execute("window.atelierLeaving = true;", vec![])
        .await
        .expect("mark the page");
    click(client, css).await;
    let start = Instant::now();
    loop {
        // While the browser navigates a script may fail; that is not yet loaded either.
        let loaded = client
            .execute(
                "return !window.atelierLeaving && document.readyState === 'complete';",
                vec![],
            )
            .await;
        if matches!(loaded, Ok(Value::Bool(true))) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "clicking {css} never loaded the next page"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

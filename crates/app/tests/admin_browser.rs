//! The support desk and the admin console in headless Chromium: a member asks for
//! help in Japanese (FAQ, contact form, ticket number, ticket list); an admin reads the
//! dashboard's charts, finds a member, grants tokens, suspends and restores them, opens the
//! job list, answers a ticket (which the member then reads), reviews a report, and finds all
//! of it in the audit log. Screenshots go to `target/screenshots/`.
//!
//! Needs `chromium` and `chromedriver` (Debian: chromium, chromium-driver), so it is ignored
//! by default: `cargo test -p atelier-app --test admin_browser -- --ignored`.

mod support;

use std::time::Duration;

use fantoccini::{Client, Locator};
use support::browser::{
    DESKTOP, PASSWORD, PHONE, browser, browser_in, click, click_to_load, make_admin, make_portrait,
    resize, sign_up, sign_up_expecting, snap, start_driver, start_server_with, text_of, type_into,
    wait_for_selector, wait_for_text,
};
use support::photo_sized;

const WAIT: Duration = Duration::from_secs(10);

async fn sign_out(client: &Client, base: &str) {
    client.goto(&format!("{base}/")).await.expect("home");
    click_to_load(client, "form[action='/signout'] button").await;
    wait_for_selector(client, "a[href='/signin']", WAIT).await;
}

async fn sign_in(client: &Client, base: &str, email: &str) {
    client
        .goto(&format!("{base}/signin"))
        .await
        .expect("sign-in page");
    type_into(client, "input[name=email]", email).await;
    type_into(client, "input[name=password]", PASSWORD).await;
    click_to_load(client, "form.stack button[type=submit]").await;
    wait_for_selector(client, "form[action='/signout']", WAIT).await;
}

/// Fills and sends the contact form; returns the thank-you page's status line.
async fn contact_support(client: &Client, subject: &str, message: &str) -> String {
    type_into(client, "input[name=subject]", subject).await;
    type_into(client, "textarea[name=message]", message).await;
    click_to_load(client, "form.stack button[type=submit]").await;
    wait_for_selector(client, "p[role=status]", WAIT).await;
    text_of(client, "p[role=status]").await
}

/// The `href` of the first element matching `css`.
async fn href_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .expect(css)
        .attr("href")
        .await
        .expect("href")
        .expect("an href")
}

/// Waits until the text of `css` is no longer `old` (the next page has loaded); returns it.
async fn wait_for_change(client: &Client, css: &str, old: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        // The old page's element goes stale while the next one loads.
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
            && text != old
        {
            return text;
        }
        assert!(start.elapsed() < WAIT, "{css} stayed {old:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The admin user page's figure under the column heading `nth` (1: created, 2: status,
/// 3: role, 4: balance).
async fn account_fact(client: &Client, nth: usize) -> String {
    text_of(client, &format!("dl.stats div:nth-child({nth}) dd")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run with --ignored"]
async fn a_member_asks_for_help_in_japanese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, _services) = start_server_with(dir.path()).await;
    let (_driver, webdriver) = start_driver();
    let client = browser_in(&webdriver, "ja-JP,ja", PHONE).await;
    sign_up_expecting(&client, &base, "hana@example.org", "3 トークン").await;

    // The FAQ answers first; its button leads to the contact form.
    client.goto(&format!("{base}/support")).await.expect("FAQ");
    wait_for_text(&client, "ヘルプとサポート", WAIT).await;
    snap(&client, "support-ja-phone").await;
    click_to_load(&client, "a.button[href='/support/contact']").await;
    wait_for_text(&client, "お問い合わせ", WAIT).await;

    // The thank-you page gives the ticket's number.
    let status = contact_support(&client, "写真が届きません", "昨日から待っています。").await;
    snap(&client, "support-sent-ja-phone").await;
    let number = status
        .split('#')
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .expect("a ticket number");
    assert!(
        status.starts_with("お問い合わせ番号は #"),
        "in Japanese: {status}"
    );

    // The member's list of tickets shows it, by number and subject.
    click_to_load(&client, "a[href='/support/tickets']").await;
    wait_for_text(&client, "お問い合わせ履歴", WAIT).await;
    let listed = text_of(&client, "tbody tr").await;
    assert!(
        listed.contains(&format!("#{number}")) && listed.contains("写真が届きません"),
        "the list shows ticket #{number}: {listed}"
    );
    snap(&client, "support-tickets-ja-phone").await;
    client.close().await.expect("close browser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run with --ignored"]
async fn an_admin_runs_the_console() {
    // Arrange: a member with a portrait, a report of it and a support ticket; an admin.
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, services) = start_server_with(dir.path()).await;
    let photo = dir.path().join("portrait.png");
    std::fs::write(&photo, photo_sized(600, 600)).expect("photo");
    let (_driver, webdriver) = start_driver();
    let client = browser(&webdriver).await;
    sign_up(&client, &base, "ada@example.org").await;
    make_portrait(&client, &base, &photo, "anime").await;
    click_to_load(&client, "a.report-link").await;
    click(&client, "input[name=reason]").await;
    click_to_load(&client, "form.stack button[type=submit]").await;
    wait_for_selector(&client, "main p", WAIT).await;
    client
        .goto(&format!("{base}/support/contact"))
        .await
        .expect("contact");
    contact_support(&client, "Where is my portrait?", "It has been a while.").await;
    sign_out(&client, &base).await;
    sign_up(&client, &base, "grace@example.org").await;
    make_admin(&services, "grace@example.org").await;

    // The dashboard draws its charts as described images.
    client
        .goto(&format!("{base}/admin"))
        .await
        .expect("dashboard");
    wait_for_selector(&client, "svg.chart[role=img] title", WAIT).await;
    snap(&client, "admin-dashboard").await;

    // Find the member by e-mail and open their page.
    client
        .goto(&format!("{base}/admin/users"))
        .await
        .expect("users");
    type_into(&client, "input#q", "ada@").await;
    click_to_load(&client, "form.search button[type=submit]").await;
    wait_for_text(&client, "ada@example.org", WAIT).await;
    let rows = client
        .find_all(Locator::Css("tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1, "the search finds only ada");
    click_to_load(&client, "tbody a").await;
    wait_for_selector(&client, "#grant-tokens", WAIT).await;
    let before: u32 = account_fact(&client, 4).await.parse().expect("a balance");

    // Grant five tokens: the balance shows them.
    type_into(&client, "#grant-tokens", "5").await;
    type_into(&client, "#grant-note", "sorry for the wait").await;
    click_to_load(&client, "form[action$='/grant'] button").await;
    wait_for_selector(&client, "p.notice", WAIT).await;
    let after: u32 = account_fact(&client, 4).await.parse().expect("a balance");
    assert_eq!(after, before + 5, "five tokens granted");

    // Suspend, then restore.
    let active = account_fact(&client, 2).await;
    click_to_load(&client, "form[action$='/suspend'] button").await;
    wait_for_selector(&client, "form[action$='/restore']", WAIT).await;
    let suspended = account_fact(&client, 2).await;
    assert_ne!(suspended, active, "the status shows the suspension");
    snap(&client, "admin-user").await;
    click_to_load(&client, "form[action$='/restore'] button").await;
    let restored = wait_for_change(&client, "dl.stats div:nth-child(2) dd", &suspended).await;
    assert_eq!(restored, active, "active again");
    assert!(
        client
            .find(Locator::Css("form[action$='/restore']"))
            .await
            .is_err(),
        "an active account has nothing to restore"
    );

    // The job list.
    client
        .goto(&format!("{base}/admin/jobs"))
        .await
        .expect("jobs");
    wait_for_selector(&client, "h1", WAIT).await;
    snap(&client, "admin-jobs").await;

    // Answer the ticket.
    client
        .goto(&format!("{base}/admin/tickets"))
        .await
        .expect("tickets");
    let ticket = href_of(&client, "tbody a").await;
    let number = ticket.rsplit('/').next().expect("number").to_owned();
    click_to_load(&client, "tbody a").await;
    wait_for_text(&client, "Where is my portrait?", WAIT).await;
    type_into(&client, "textarea[name=message]", "It is ready now.").await;
    click_to_load(&client, "form[action$='/reply'] button").await;
    wait_for_text(&client, "It is ready now.", WAIT).await;
    snap(&client, "admin-ticket").await;

    // Review the report: dismiss it.
    client
        .goto(&format!("{base}/admin/reports"))
        .await
        .expect("reports");
    click_to_load(&client, "tbody a").await;
    wait_for_selector(&client, "dd.status", WAIT).await;
    let open = text_of(&client, "dd.status").await;
    click_to_load(&client, "input[value=dismiss] + button").await;
    let decided = wait_for_change(&client, "dd.status", &open).await;
    assert_eq!(decided, "Dismissed", "the report was {open}");

    // The audit log lists every action.
    client
        .goto(&format!("{base}/admin/audit"))
        .await
        .expect("audit");
    let log = text_of(&client, "tbody").await;
    for action in [
        "grant",
        "suspend",
        "restore",
        "ticket-reply",
        "report-dismiss",
    ] {
        assert!(log.contains(action), "the audit log lists {action}:\n{log}");
    }
    resize(&client, PHONE).await;
    snap(&client, "admin-audit-phone").await;
    resize(&client, DESKTOP).await;

    // The member reads the answer on their ticket.
    sign_out(&client, &base).await;
    sign_in(&client, &base, "ada@example.org").await;
    client
        .goto(&format!("{base}/support/tickets/{number}"))
        .await
        .expect("ticket");
    wait_for_text(&client, "It is ready now.", WAIT).await;
    snap(&client, "support-ticket-answered").await;
    client.close().await.expect("close browser");
}

//! Rate limits per address and per account (`[limits]`) through the real router: sign-in,
//! sign-up, uploads, jobs and the contact form, on the API (429 `rate-limited` JSON) and the
//! page forms (429 and a page in the reader's language), each with `Retry-After`.

use super::*;
use crate::config::{Config, LimitsConfig};

/// Every limit off but the ones a test turns on, and the older per-address auth limit off.
fn limits(set: impl FnOnce(&mut LimitsConfig)) -> Config {
    let mut config = crate::testing::test_config();
    config.server.auth_requests_per_minute = 0;
    let mut limits = LimitsConfig {
        sign_in_per_ip: 0,
        sign_in_per_account: 0,
        sign_up_per_ip: 0,
        sign_up_per_account: 0,
        uploads_per_ip: 0,
        uploads_per_account: 0,
        jobs_per_ip: 0,
        jobs_per_account: 0,
        contact_per_ip: 0,
        contact_per_account: 0,
        sign_in_failures_per_account: 0,
        ..LimitsConfig::default()
    };
    set(&mut limits);
    config.limits = limits;
    config
}

/// `request` as if from `ip`, optionally signed in with `token` (bearer) and in Japanese.
fn from(mut request: Request<Body>, ip: [u8; 4], token: Option<&str>) -> Request<Body> {
    let peer = std::net::SocketAddr::from((ip, 40_000));
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("header");
        request.headers_mut().insert(header::AUTHORIZATION, value);
    }
    request
}

fn json_post(uri: &str, body: serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

fn in_japanese(mut request: Request<Body>) -> Request<Body> {
    request.headers_mut().insert(
        header::ACCEPT_LANGUAGE,
        header::HeaderValue::from_static("ja"),
    );
    request
}

fn login(email: &str) -> Request<Body> {
    json_post(
        "/api/v1/auth/login",
        serde_json::json!({"email": email, "password": "whatever it is"}),
    )
}

fn is_refusal(answer: &Page) -> bool {
    answer.status == StatusCode::TOO_MANY_REQUESTS
        && answer.retry_after.is_some_and(|s| (1..=60).contains(&s))
}

#[tokio::test]
async fn sign_in_is_limited_per_address_and_per_email_tried() {
    let per_ip = crate::testing::test_app_with(limits(|l| l.sign_in_per_ip = 2)).await;
    let router = app(AppState::new(per_ip.services.clone()));
    let mut by_ip = Vec::new();
    for email in ["a@example.org", "b@example.org", "c@example.org"] {
        by_ip.push(send(&router, from(login(email), [10, 0, 0, 1], None)).await);
    }
    let elsewhere = send(&router, from(login("d@example.org"), [10, 0, 0, 2], None)).await;
    let form = in_japanese(from(
        post_form("/signin", "email=e%40example.org&password=x", "same-origin"),
        [10, 0, 0, 1],
        None,
    ));
    let page = send(&router, form).await;

    let per_account = crate::testing::test_app_with(limits(|l| l.sign_in_per_account = 2)).await;
    let router = app(AppState::new(per_account.services.clone()));
    let mut by_email = Vec::new();
    for _ in 0..3 {
        by_email.push(send(&router, from(login("Ada@Example.org"), [10, 0, 0, 1], None)).await);
    }
    // Per account means per account from one address: the owner elsewhere is not refused.
    let same_email_elsewhere =
        send(&router, from(login("ada@example.org"), [10, 0, 0, 2], None)).await;
    let other_email = send(&router, from(login("bo@example.org"), [10, 0, 0, 1], None)).await;

    assert_eq!(by_ip[0].status, StatusCode::UNAUTHORIZED);
    assert_eq!(by_ip[1].status, StatusCode::UNAUTHORIZED);
    assert!(is_refusal(&by_ip[2]));
    assert!(by_ip[2].html.contains("rate-limited"));
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
    assert!(is_refusal(&page));
    assert!(page.html.contains("<html lang=\"ja-JP\">"), "{}", page.html);
    assert!(page.html.contains("秒ほど待ってから"));
    assert_eq!(by_email[1].status, StatusCode::UNAUTHORIZED);
    assert!(
        is_refusal(&by_email[2]),
        "the same e-mail tried a third time from one address"
    );
    assert_eq!(same_email_elsewhere.status, StatusCode::UNAUTHORIZED);
    assert_eq!(other_email.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_up_is_limited_per_address_and_per_email_and_the_form_answers_in_korean() {
    let test = crate::testing::test_app_with(limits(|l| {
        l.sign_up_per_ip = 2;
        l.sign_up_per_account = 1;
    }))
    .await;
    let router = app(AppState::new(test.services.clone()));
    let register = |email: &str| {
        json_post(
            "/api/v1/auth/register",
            serde_json::json!({"email": email, "password": "a sturdy passphrase",
                               "age_over_14": true}),
        )
    };

    let first = send(
        &router,
        from(register("ada@example.org"), [10, 0, 0, 1], None),
    )
    .await;
    let same_email = send(
        &router,
        from(register("ada@example.org"), [10, 0, 0, 9], None),
    )
    .await;
    let second = send(
        &router,
        from(register("bo@example.org"), [10, 0, 0, 1], None),
    )
    .await;
    let third = send(
        &router,
        from(register("cy@example.org"), [10, 0, 0, 1], None),
    )
    .await;
    let mut form = from(
        post_form(
            "/signup",
            "email=di%40example.org&password=x",
            "same-origin",
        ),
        [10, 0, 0, 1],
        None,
    );
    form.headers_mut().insert(
        header::ACCEPT_LANGUAGE,
        header::HeaderValue::from_static("ko"),
    );
    let page = send(&router, form).await;

    assert_eq!(first.status, StatusCode::CREATED);
    assert!(is_refusal(&same_email), "one sign-up per address a minute");
    assert_eq!(second.status, StatusCode::CREATED);
    assert!(is_refusal(&third));
    assert!(is_refusal(&page));
    assert!(page.html.contains("초 정도 기다린 뒤"), "{}", page.html);
}

#[tokio::test]
async fn uploads_and_jobs_are_limited_per_account_and_per_address() {
    let test = crate::testing::test_app_with(limits(|l| {
        l.uploads_per_account = 1;
        l.jobs_per_ip = 2;
    }))
    .await;
    let router = app(AppState::new(test.services.clone()));
    let (_, ada) = test.session("ada").await;
    let (_, bo) = test.session("bo").await;
    // The bodies are wrong on purpose: the limit counts before the handler looks at them.
    let upload = || json_post("/api/v1/uploads", serde_json::json!({}));
    let job = || {
        json_post(
            "/api/v1/jobs",
            serde_json::json!({"style": "no-such-style"}),
        )
    };

    let ada_first = send(&router, from(upload(), [10, 0, 0, 1], Some(&ada))).await;
    let ada_second = send(&router, from(upload(), [10, 0, 0, 2], Some(&ada))).await;
    let bo_upload = send(&router, from(upload(), [10, 0, 0, 2], Some(&bo))).await;
    let jobs = [
        send(&router, from(job(), [10, 0, 0, 3], Some(&ada))).await,
        send(&router, from(job(), [10, 0, 0, 3], Some(&bo))).await,
        send(&router, from(job(), [10, 0, 0, 3], Some(&bo))).await,
    ];
    let job_elsewhere = send(&router, from(job(), [10, 0, 0, 4], Some(&bo))).await;

    assert_ne!(ada_first.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(is_refusal(&ada_second), "per account, whatever the address");
    assert!(ada_second.html.contains("rate-limited"));
    assert_ne!(bo_upload.status, StatusCode::TOO_MANY_REQUESTS);
    assert_ne!(jobs[1].status, StatusCode::TOO_MANY_REQUESTS);
    assert!(is_refusal(&jobs[2]), "per address, whatever the account");
    assert_ne!(job_elsewhere.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_studio_form_counts_as_an_upload_and_a_job_and_refuses_with_a_localized_page() {
    let test = crate::testing::test_app_with(limits(|l| l.jobs_per_account = 1)).await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;
    let photo = crate::testing::photo_png(40, 30);

    let first = send(&router, studio_post(&cookie, &photo, "anime")).await;
    let second = send(&router, in_japanese(studio_post(&cookie, &photo, "anime"))).await;

    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert!(is_refusal(&second));
    assert!(
        second.html.contains("リクエストが多すぎます"),
        "{}",
        second.html
    );
}

#[tokio::test]
async fn the_contact_form_path_is_limited_per_address_and_per_account() {
    let test = crate::testing::test_app_with(limits(|l| {
        l.contact_per_ip = 1;
        l.contact_per_account = 1;
    }))
    .await;
    let router = app(AppState::new(test.services.clone()));
    let (_, ada) = test.session("ada").await;
    let contact = || {
        post_form(
            "/support/contact",
            "subject=Hi&message=Hello",
            "same-origin",
        )
    };

    // Whether the form exists yet or not, the limit applies to its path.
    let first = send(&router, from(contact(), [10, 0, 0, 1], None)).await;
    let second = send(&router, from(contact(), [10, 0, 0, 1], None)).await;
    let ada_first = send(&router, from(contact(), [10, 0, 0, 2], Some(&ada))).await;
    let ada_second = send(&router, from(contact(), [10, 0, 0, 3], Some(&ada))).await;

    assert_ne!(first.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(is_refusal(&second));
    assert!(second.html.contains("Too many requests"));
    assert_ne!(ada_first.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(is_refusal(&ada_second));
}

fn login_with(email: &str, password: &str) -> Request<Body> {
    json_post(
        "/api/v1/auth/login",
        serde_json::json!({"email": email, "password": password}),
    )
}

fn code_of(page: &Page) -> String {
    serde_json::from_str::<serde_json::Value>(&page.html)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_strangers_failed_sign_ins_slow_the_stranger_more_each_time_but_not_the_owner() {
    let test = crate::testing::test_app_with(limits(|l| {
        l.sign_in_free_failures = 2;
        l.sign_in_delay = std::time::Duration::from_secs(1);
    }))
    .await;
    test.session("ada").await;
    let router = app(AppState::new(test.services.clone()));
    let (stranger, owner) = ([203, 0, 113, 9], [198, 51, 100, 7]);
    let wrong = || login_with("ada@example.org", "a wrong guess");

    let mut failures = Vec::new();
    let mut waits = Vec::new();
    let mut owner_signs_in = Vec::new();
    for round in 0..3u64 {
        if round == 0 {
            failures.push(send(&router, from(wrong(), stranger, None)).await.status);
        }
        failures.push(send(&router, from(wrong(), stranger, None)).await.status);
        // Even the right password waits while the stranger's address is slowed.
        let right = login_with("ada@example.org", "a sturdy passphrase");
        let refused = send(&router, from(right, stranger, None)).await;
        waits.push((refused.status, code_of(&refused), refused.retry_after));
        let right = login_with("ada@example.org", "a sturdy passphrase");
        owner_signs_in.push(send(&router, from(right, owner, None)).await.status);
        if round < 2 {
            let wait = refused.retry_after.unwrap_or(1);
            tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 100)).await;
        }
    }
    let form = in_japanese(from(
        post_form(
            "/signin",
            "email=ada%40example.org&password=x",
            "same-origin",
        ),
        stranger,
        None,
    ));
    let form_refusal = send(&router, form).await;

    assert!(
        failures.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{failures:?}"
    );
    let limited = |seconds| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-attempts".to_owned(),
            Some(seconds),
        )
    };
    assert_eq!(waits, [limited(1), limited(2), limited(4)]);
    assert!(
        owner_signs_in.iter().all(|s| *s == StatusCode::OK),
        "{owner_signs_in:?}"
    );
    assert_eq!(form_refusal.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(form_refusal.retry_after, Some(4));
    assert!(form_refusal.html.contains("<html lang=\"ja-JP\">"));
}

/// 24 wrong guesses of one account from one address at the same moment, through the router:
/// only the free attempts reach the password check, the rest wait (429 with `Retry-After`),
/// on one SQLite node (counters in memory) and on PostgreSQL (the counters every node shares).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_guesses_get_only_the_free_attempts_on_both_back_ends() {
    let mut stores = vec![("sqlite", crate::store::conformance::sqlite().await)];
    if let Some(postgres) = crate::store::conformance::postgres().await {
        stores.push(("postgres", postgres));
    }
    for (back_end, db) in stores {
        let config = limits(|l| {
            l.sign_in_free_failures = 2;
            l.sign_in_delay = std::time::Duration::from_secs(60);
        });
        let test = crate::testing::test_app_on_with(db.store.clone(), config);
        test.session("ada").await;
        let router = app(AppState::new(test.services.clone()));

        // All in flight at once: each waits on the database or the password hash in turn.
        let guesses = futures::future::join_all((0..24).map(|_| {
            let guess = login_with("ada@example.org", "a wrong guess");
            send(&router, from(guess, [203, 0, 113, 9], None))
        }))
        .await;
        let (mut checked, mut waited) = (0, 0);
        for answer in guesses {
            match answer.status {
                StatusCode::UNAUTHORIZED => checked += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    assert_eq!(code_of(&answer), "too-many-attempts", "{back_end}");
                    assert!(answer.retry_after.is_some(), "{back_end}: Retry-After");
                    waited += 1;
                }
                other => panic!("{back_end}: a guess answered {other}"),
            }
        }

        assert_eq!(
            (checked, waited),
            (2, 22),
            "{back_end}: passwords checked, refused"
        );
    }
}

#[tokio::test]
async fn the_account_cap_trips_when_guesses_come_from_many_addresses() {
    let test = crate::testing::test_app_with(limits(|l| {
        l.sign_in_free_failures = 100;
        l.sign_in_failures_per_account = 4;
    }))
    .await;
    test.session("ada").await;
    test.session("bo").await;
    let router = app(AppState::new(test.services.clone()));

    let mut guesses = Vec::new();
    for last in 1..=4u8 {
        let guess = login_with("ada@example.org", "a wrong guess");
        guesses.push(
            send(&router, from(guess, [10, 0, 1, last], None))
                .await
                .status,
        );
    }
    let right = login_with("ada@example.org", "a sturdy passphrase");
    let capped = send(&router, from(right, [10, 0, 2, 1], None)).await;
    let right = login_with("bo@example.org", "a sturdy passphrase");
    let other_account = send(&router, from(right, [10, 0, 2, 1], None)).await;

    assert_eq!(guesses, [StatusCode::UNAUTHORIZED; 4]);
    assert_eq!(capped.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code_of(&capped), "too-many-attempts");
    assert!(
        capped
            .retry_after
            .is_some_and(|s| (3500..=3600).contains(&s)),
        "{:?}",
        capped.retry_after
    );
    assert_eq!(other_account.status, StatusCode::OK);
}

#[tokio::test]
async fn sign_in_per_ip_zero_means_no_limit_per_address_on_signing_in() {
    // The older all-auth-routes count stays on, as in a default deployment.
    let mut config = limits(|l| l.sign_in_per_ip = 0);
    config.server.auth_requests_per_minute = 30;
    let test = crate::testing::test_app_with(config).await;
    let router = app(AppState::new(test.services.clone()));

    let mut statuses = Vec::new();
    for n in 0..40 {
        let email = format!("guess{n}@example.org");
        statuses.push(
            send(&router, from(login(&email), [10, 0, 0, 1], None))
                .await
                .status,
        );
        let form = format!("email=form{n}%40example.org&password=x");
        let form = from(
            post_form("/signin", &form, "same-origin"),
            [10, 0, 0, 1],
            None,
        );
        statuses.push(send(&router, form).await.status);
    }
    // Sign-up and reset still count against the address.
    let mut resets = Vec::new();
    for _ in 0..31 {
        let reset = json_post(
            "/api/v1/auth/password-reset",
            serde_json::json!({"email": "ada@example.org"}),
        );
        resets.push(send(&router, from(reset, [10, 0, 0, 1], None)).await);
    }

    assert!(
        statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        resets[..30]
            .iter()
            .all(|r| r.status != StatusCode::TOO_MANY_REQUESTS)
    );
    assert!(is_refusal(&resets[30]));
}

#[test]
fn the_limits_section_reads_from_the_file_and_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("atelier.toml");
    std::fs::write(
        &file,
        "[limits]\njobs_per_account = 5\ncontact_per_ip = 0\nsign_in_delay = \"3s\"\n\
         decode_memory_mib = 512\ndecode_wait = \"2s\"\n",
    )
    .expect("write");
    let env = [("ATELIER__LIMITS__SIGN_IN_PER_IP".to_owned(), "7".to_owned())];

    let config = Config::load(
        Some(file.as_path()),
        env,
        &crate::config::Overrides::default(),
    )
    .expect("config");
    let defaults = Config::load(
        Some(file.as_path()),
        [],
        &crate::config::Overrides::default(),
    )
    .expect("config")
    .limits;
    let unknown = std::fs::write(&file, "[limits]\njobs_per_hour = 5\n").map(|()| {
        Config::load(
            Some(file.as_path()),
            [],
            &crate::config::Overrides::default(),
        )
    });

    assert_eq!(config.limits.jobs_per_account, 5);
    assert_eq!(config.limits.contact_per_ip, 0);
    assert_eq!(config.limits.sign_in_per_ip, 7);
    assert_eq!(
        config.limits.sign_in_delay,
        std::time::Duration::from_secs(3)
    );
    assert_eq!(config.limits.decode_memory_mib, 512);
    assert_eq!(config.limits.decode_wait, std::time::Duration::from_secs(2));
    assert_eq!(
        defaults.uploads_per_account,
        LimitsConfig::default().uploads_per_account
    );
    assert!(matches!(unknown, Ok(Err(_))), "a misspelt key is refused");
}

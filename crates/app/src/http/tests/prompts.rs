//! Configured styles and text prompts through the API: the catalog in `GET /styles`, a
//! prompt job, and a refused prompt (422, localized, nothing spent).

use super::*;
use crate::config::Config;
use crate::testing::{test_app_with, test_config};

/// A prompt style on an AUTOMATIC1111 server nobody listens to: enough to queue jobs.
fn prompt_config() -> Config {
    let parsed: Config = toml::from_str(
        r#"
[backends.sd]
kind = "automatic1111"
url = "http://127.0.0.1:9"

[[styles]]
id = "dream"
labels = { en-US = "Dream", ja = "夢" }
descriptions = { ja = "プロンプトから" }
description = "From a prompt"
backend = "sd"
input = "prompt"
cost = 2
"#,
    )
    .expect("config");
    let mut config = test_config();
    config.backends = parsed.backends;
    config.styles = parsed.styles;
    config
}

fn with_language(mut request: Request<Body>, lang: &str) -> Request<Body> {
    request
        .headers_mut()
        .insert(header::ACCEPT_LANGUAGE, lang.parse().expect("header value"));
    request
}

async fn balance(router: &Router, token: &str) -> i64 {
    let me = send(
        router,
        request(Method::GET, "/api/v1/me", Some(token), None),
    )
    .await;
    me.json()["balance"].as_i64().expect("balance")
}

#[tokio::test]
async fn styles_list_configured_styles_with_their_input_and_labels() {
    let test = test_app_with(prompt_config()).await;
    let router = router(&test);

    let english = send(&router, request(Method::GET, "/api/v1/styles", None, None)).await;
    let japanese = send(
        &router,
        with_language(request(Method::GET, "/api/v1/styles", None, None), "ja"),
    )
    .await;

    let last = |reply: &Reply| reply.json().as_array().expect("array").last().cloned();
    let dream = last(&english).expect("a style");
    assert_eq!(english.json().as_array().expect("array").len(), 7);
    assert_eq!(dream["id"], json!("dream"));
    assert_eq!(dream["name"], json!("Dream"));
    assert_eq!(dream["input"], json!("prompt"));
    assert_eq!(dream["cost"], json!(2));
    let dream_ja = last(&japanese).expect("a style");
    assert_eq!(dream_ja["name"], json!("夢"));
    assert_eq!(dream_ja["description"], json!("プロンプトから"));
}

#[tokio::test]
async fn a_prompt_job_is_queued_with_its_prompt() {
    let test = test_app_with(prompt_config()).await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let before = balance(&router, &token).await;

    let reply = send(
        &router,
        request(
            Method::POST,
            "/api/v1/jobs",
            Some(&token),
            Some(json!({"style": "dream", "prompt": "a lighthouse at dusk"})),
        ),
    )
    .await;

    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.json()["prompt"], json!("a lighthouse at dusk"));
    assert_eq!(balance(&router, &token).await, before - 2);
}

#[tokio::test]
async fn a_refused_prompt_is_a_422_in_plain_words_and_spends_nothing() {
    let test = test_app_with(prompt_config()).await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let before = balance(&router, &token).await;

    let refused = send(
        &router,
        request(
            Method::POST,
            "/api/v1/jobs",
            Some(&token),
            Some(json!({"style": "dream", "prompt": "n.u.d.e portrait"})),
        ),
    )
    .await;
    let too_long = send(
        &router,
        request(
            Method::POST,
            "/api/v1/jobs",
            Some(&token),
            Some(json!({"style": "dream", "prompt": "a".repeat(501)})),
        ),
    )
    .await;
    let missing = send(
        &router,
        request(
            Method::POST,
            "/api/v1/jobs",
            Some(&token),
            Some(json!({"style": "dream"})),
        ),
    )
    .await;

    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.code(), "prompt-refused");
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("No token was spent"), "{message}");
    assert_eq!(too_long.code(), "prompt-too-long");
    assert_eq!(missing.code(), "prompt-required");
    assert_eq!(balance(&router, &token).await, before);
    let jobs = send(
        &router,
        request(Method::GET, "/api/v1/jobs", Some(&token), None),
    )
    .await;
    assert_eq!(jobs.json(), json!([]));
}

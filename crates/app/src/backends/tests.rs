//! Remote back-ends against local fakes of their APIs (request shapes checked; slow, failing
//! and garbage answers), the guard (retries, breaker, concurrency), and whole jobs through
//! the worker (refunds, safe ingest, refused prompts).

use std::time::Duration;

use tokio::sync::watch;

use super::fake_remote::{Answer, FakeRemote, png};
use super::*;
use crate::config::Config;
use crate::jobs::JobRequest;
use crate::store::JobStatus;
use crate::testing::{photo_png, test_app_with, test_config};

/// A test config with one remote back-end `remote` and one style `dream` on it.
fn remote_config(kind: &str, url: &str, backend_extra: &str, style_extra: &str) -> Config {
    let retries = if backend_extra.contains("retries") {
        ""
    } else {
        "retries = 2"
    };
    let text = format!(
        r#"
[backends.remote]
kind = "{kind}"
url = "{url}"
timeout = "2s"
retry_backoff = "10ms"
{retries}
{backend_extra}

[[styles]]
id = "dream"
labels = {{ en-US = "Dream", ja = "夢" }}
description = "Oil painting from a prompt"
backend = "remote"
input = "either"
cost = 2
prompt_template = "oil painting of {{prompt}}"
negative_prompt = "blurry"
{style_extra}
"#
    );
    let parsed: Config = toml::from_str(&text).expect("valid config");
    let mut config = test_config();
    config.backends = parsed.backends;
    config.styles = parsed.styles;
    config
}

fn catalog(config: &Config) -> Catalog {
    Catalog::from_config(config).expect("catalog")
}

/// One guarded call of style `dream`.
async fn generate(
    catalog: &Catalog,
    photo: Option<&[u8]>,
    prompt: Option<&str>,
) -> Result<Generated, BackendError> {
    let (progress, _) = watch::channel(0.0);
    generate_with(catalog, photo, prompt, &progress).await
}

async fn generate_with(
    catalog: &Catalog,
    photo: Option<&[u8]>,
    prompt: Option<&str>,
    progress: &watch::Sender<f32>,
) -> Result<Generated, BackendError> {
    let style = catalog.get("dream").expect("style").clone();
    let request = Generation {
        photo,
        prompt,
        intensity: 0.5,
        seed: 42,
        limits: &atelier_engine::Limits::default(),
        progress,
    };
    style.guard.call(|| style.backend.generate(&request)).await
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        http::encode_base64(format!("{user}:{password}").as_bytes())
    )
}

#[tokio::test]
async fn img2img_sends_the_documented_fields_and_its_answer_is_ingested_with_provenance() {
    let fake = FakeRemote::start(vec![Answer::Image(24, 16)]).await;
    let config = remote_config(
        "automatic1111",
        &fake.url,
        "username = \"ann\"\npassword = \"s3cret\"",
        "strength = 0.4\nsteps = 12\ncfg_scale = 6.5\nwidth = 64\nheight = 48\nsampler = \"Euler a\"",
    );
    let catalog = catalog(&config);
    let photo = photo_png(40, 30);

    let output = generate(&catalog, Some(&photo), Some("  a cat  ")).await;
    let (width, height, stored) =
        finish(output.expect("generated"), "dream", &Limits::default()).expect("ingested");

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/sdapi/v1/img2img");
    assert_eq!(seen[0].header("authorization"), basic("ann", "s3cret"));
    let body = seen[0].json();
    assert_eq!(body["prompt"], "oil painting of a cat");
    assert_eq!(body["negative_prompt"], "blurry");
    assert_eq!(body["seed"], 42);
    assert_eq!(body["steps"], 12);
    assert_eq!(body["cfg_scale"], 6.5);
    assert_eq!(
        (body["width"].clone(), body["height"].clone()),
        (64.into(), 48.into())
    );
    assert_eq!(body["sampler_name"], "Euler a");
    let strength = body["denoising_strength"].as_f64().expect("a number");
    assert!((strength - 0.4).abs() < 1e-6);
    let init = body["init_images"][0].as_str().expect("base64 text");
    assert_eq!(http::decode_base64(init).expect("base64"), photo);
    assert_eq!((width, height), (24, 16));
    let text = String::from_utf8_lossy(&stored);
    assert!(text.contains("trainedAlgorithmicMedia"));
    assert!(text.contains("atelier:Style=\"dream\""));
}

#[tokio::test]
async fn txt2img_is_used_without_a_photo_and_progress_is_polled() {
    let fake = FakeRemote::start(vec![Answer::Slow(Duration::from_millis(1300))]).await;
    let config = remote_config("automatic1111", &fake.url, "", "");
    let catalog = catalog(&config);
    let (progress, seen_progress) = watch::channel(0.0);

    let output = generate_with(&catalog, None, Some("a lighthouse"), &progress).await;

    assert!(output.is_ok());
    let seen = fake.seen();
    assert_eq!(seen[0].path, "/sdapi/v1/txt2img");
    assert!(seen[0].json().get("init_images").is_none());
    assert_eq!(seen[0].header("authorization"), "");
    // The fake reports 50 %: the job shows 0.1 + 0.8 × 0.5.
    assert!((*seen_progress.borrow() - 0.5).abs() < 1e-6);
}

#[tokio::test]
async fn a_slow_answer_times_out_and_the_retries_stop() {
    let fake = FakeRemote::start(vec![Answer::Slow(Duration::from_secs(5))]).await;
    let config = remote_config("automatic1111", &fake.url, "", "");
    let mut config = config;
    if let Some(backend) = config.backends.get_mut("remote") {
        backend.timeout = Duration::from_millis(200);
    }
    let catalog = catalog(&config);
    let started = std::time::Instant::now();

    let output = generate(&catalog, None, Some("x")).await;

    assert!(matches!(output, Err(BackendError::Timeout)));
    assert_eq!(fake.hits(), 3, "one call and two retries");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn server_errors_are_retried_then_given_up_and_a_429_then_an_image_succeeds() {
    let failing = FakeRemote::start(vec![Answer::Status(503)]).await;
    let recovering = FakeRemote::start(vec![Answer::Status(429), Answer::Image(8, 8)]).await;

    let failed = generate(
        &catalog(&remote_config("automatic1111", &failing.url, "", "")),
        None,
        Some("x"),
    )
    .await;
    let recovered = generate(
        &catalog(&remote_config("automatic1111", &recovering.url, "", "")),
        None,
        Some("x"),
    )
    .await;

    assert!(matches!(failed, Err(BackendError::Server(503))));
    assert_eq!(failing.hits(), 3);
    assert!(recovered.is_ok());
    assert_eq!(recovering.hits(), 2);
}

#[tokio::test]
async fn a_refused_request_is_not_retried() {
    let fake = FakeRemote::start(vec![Answer::Status(400)]).await;
    let catalog = catalog(&remote_config("automatic1111", &fake.url, "", ""));

    let output = generate(&catalog, None, Some("x")).await;

    assert!(matches!(
        output,
        Err(BackendError::Rejected { status: 400, .. })
    ));
    assert_eq!(fake.hits(), 1);
    assert!(catalog.get("dream").expect("style").available());
}

#[tokio::test]
async fn garbage_answers_are_rejected_and_open_the_breaker_which_hides_the_style() {
    let fake = FakeRemote::start(vec![Answer::NotAnImage, Answer::Garbage]).await;
    let config = remote_config(
        "automatic1111",
        &fake.url,
        "retries = 0\nbreaker_threshold = 2\nbreaker_cooldown = \"1h\"",
        "",
    );
    let catalog = catalog(&config);

    let first = generate(&catalog, None, Some("x")).await;
    let second = generate(&catalog, None, Some("x")).await;
    let third = generate(&catalog, None, Some("x")).await;

    assert!(matches!(first, Err(BackendError::BadOutput(_))));
    assert!(matches!(second, Err(BackendError::BadOutput(_))));
    assert!(matches!(third, Err(BackendError::CircuitOpen)));
    assert_eq!(fake.hits(), 2, "an open breaker sends nothing");
    assert!(catalog.available().all(|s| s.id != "dream"));
    assert!(catalog.available().any(|s| s.id == "anime"));
}

#[tokio::test]
async fn an_open_breaker_lets_one_trial_through_after_its_cooldown() {
    let fake = FakeRemote::start(vec![Answer::Status(500), Answer::Image(8, 8)]).await;
    let config = remote_config(
        "automatic1111",
        &fake.url,
        "retries = 0\nbreaker_threshold = 1\nbreaker_cooldown = \"200ms\"",
        "",
    );
    let catalog = catalog(&config);

    let failed = generate(&catalog, None, Some("x")).await;
    let refused = generate(&catalog, None, Some("x")).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let trial = generate(&catalog, None, Some("x")).await;

    assert!(failed.is_err());
    assert!(matches!(refused, Err(BackendError::CircuitOpen)));
    assert!(trial.is_ok());
    assert!(catalog.get("dream").expect("style").available());
}

#[tokio::test]
async fn an_unreachable_backend_is_a_connection_fault() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let catalog = catalog(&remote_config("automatic1111", &url, "", ""));

    let output = generate(&catalog, None, Some("x")).await;

    assert!(matches!(output, Err(BackendError::Connection(_))));
}

#[tokio::test]
async fn the_concurrency_limit_holds_calls_back() {
    let fake = FakeRemote::start(vec![Answer::Slow(Duration::from_millis(200))]).await;
    let config = remote_config(
        "openai",
        &fake.url,
        "api_key = \"k\"\nmax_concurrency = 1",
        "",
    );
    let catalog = catalog(&config);

    let (a, b, c) = tokio::join!(
        generate(&catalog, None, Some("x")),
        generate(&catalog, None, Some("y")),
        generate(&catalog, None, Some("z")),
    );

    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert_eq!(fake.hits(), 3);
    assert_eq!(fake.most_in_flight(), 1);
}

#[tokio::test]
async fn openai_generations_send_model_size_prompt_and_the_bearer_key() {
    let fake = FakeRemote::start(vec![Answer::Image(16, 16)]).await;
    let config = remote_config(
        "openai",
        &fake.url,
        "api_key = \"sk-test\"\nmodel = \"dall-e-3\"\nsize = \"1024x1792\"",
        "",
    );

    let output = generate(&catalog(&config), None, Some("a fox")).await;

    assert!(matches!(output, Ok(Generated::Untrusted(_))));
    let seen = fake.seen();
    assert_eq!(seen[0].path, "/v1/images/generations");
    assert_eq!(seen[0].header("authorization"), "Bearer sk-test");
    let body = seen[0].json();
    assert_eq!(body["model"], "dall-e-3");
    assert_eq!(body["size"], "1024x1792");
    assert_eq!(body["prompt"], "oil painting of a fox");
    assert_eq!(body["n"], 1);
    assert_eq!(body["response_format"], "b64_json");
}

#[tokio::test]
async fn openai_edits_send_the_photo_as_multipart_image_array() {
    let fake = FakeRemote::start(vec![Answer::Image(16, 16)]).await;
    let config = remote_config("openai", &fake.url, "api_key = \"sk-test\"", "");
    let photo = photo_png(20, 20);

    let output = generate(&catalog(&config), Some(&photo), Some("a fox")).await;

    assert!(output.is_ok());
    let seen = &fake.seen()[0];
    assert_eq!(seen.path, "/v1/images/edits");
    assert!(
        seen.header("content-type")
            .starts_with("multipart/form-data; boundary=")
    );
    let body = &seen.body;
    let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"name=\"image[]\"; filename=\"photo.png\""));
    assert!(has(b"name=\"model\"\r\n\r\ngpt-image-1\r\n"));
    assert!(has(b"name=\"prompt\"\r\n\r\noil painting of a fox\r\n"));
    assert!(has(&photo));
    // gpt-image-1 refuses `response_format`.
    assert!(!has(b"response_format"));
}

#[test]
fn an_answer_that_is_not_an_image_is_refused_by_the_safe_ingest() {
    let too_big = Limits {
        max_bytes: 100,
        ..Limits::default()
    };

    let garbage = finish(
        Generated::Untrusted(b"GIF89a....".to_vec()),
        "s",
        &Limits::default(),
    );
    let oversized = finish(Generated::Untrusted(png(64, 64)), "s", &too_big);

    assert!(matches!(garbage, Err(BackendError::BadOutput(_))));
    assert!(matches!(oversized, Err(BackendError::BadOutput(_))));
}

#[test]
fn a_style_on_an_unknown_backend_is_a_start_up_error_naming_it() {
    let mut config = remote_config("automatic1111", "http://127.0.0.1:1", "", "");
    config.styles[0].backend = "nowhere".into();

    let error = Catalog::from_config(&config).err().expect("an error");

    assert!(error.contains("style `dream`"), "{error}");
    assert!(error.contains("nowhere"), "{error}");
}

// Whole jobs: API-level request → worker → result or refund.

async fn funded_app(config: Config) -> (crate::testing::TestApp, crate::domain::UserScope) {
    let app = test_app_with(config).await;
    let user = app.user("ann").await;
    (app, user)
}

async fn balance(app: &crate::testing::TestApp, user: crate::domain::UserScope) -> i64 {
    app.services
        .store
        .balance(user, crate::domain::Timestamp::now())
        .await
        .expect("balance")
}

fn prompt_job(prompt: &str) -> JobRequest {
    JobRequest {
        style: "dream".into(),
        prompt: Some(prompt.into()),
        ..JobRequest::default()
    }
}

#[tokio::test]
async fn a_prompt_job_stores_a_marked_png_and_keeps_its_prompt() {
    let fake = FakeRemote::start(vec![Answer::Image(32, 32)]).await;
    let (app, ann) = funded_app(remote_config("automatic1111", &fake.url, "", "")).await;
    let before = balance(&app, ann).await;

    let job = app
        .services
        .jobs
        .create(ann, prompt_job("a lighthouse"))
        .await
        .expect("queued");
    let worked = app
        .services
        .worker("w".into())
        .run_once()
        .await
        .expect("run");
    let view = app.services.jobs.get(ann, job.id).await.expect("job");
    let result = view.job.result_id.expect("a result");
    let (_, bytes) = app
        .services
        .media
        .result_bytes(ann, result)
        .await
        .expect("download");

    assert!(worked);
    assert_eq!(view.job.status, JobStatus::Succeeded);
    assert_eq!(view.job.prompt.as_deref(), Some("a lighthouse"));
    assert_eq!(balance(&app, ann).await, before - 2, "the style costs 2");
    assert!(String::from_utf8_lossy(&bytes).contains("trainedAlgorithmicMedia"));
    assert_eq!(
        fake.seen()[0].json()["prompt"],
        "oil painting of a lighthouse"
    );
}

#[tokio::test]
async fn a_failing_backend_fails_the_job_and_refunds_the_tokens() {
    let fake = FakeRemote::start(vec![Answer::Status(502)]).await;
    let (app, ann) = funded_app(remote_config("automatic1111", &fake.url, "", "")).await;
    let before = balance(&app, ann).await;

    let job = app
        .services
        .jobs
        .create(ann, prompt_job("a lighthouse"))
        .await
        .expect("queued");
    let spent = balance(&app, ann).await;
    app.services
        .worker("w".into())
        .run_once()
        .await
        .expect("run");
    let view = app.services.jobs.get(ann, job.id).await.expect("job");

    assert_eq!(spent, before - 2);
    assert_eq!(view.job.status, JobStatus::Failed);
    assert_eq!(balance(&app, ann).await, before, "refunded");
    assert_eq!(fake.hits(), 3, "retried twice, then gave up");
}

#[tokio::test]
async fn a_garbage_image_fails_the_job_and_refunds_the_tokens() {
    let fake = FakeRemote::start(vec![Answer::NotAnImage]).await;
    let (app, ann) = funded_app(remote_config("openai", &fake.url, "api_key = \"k\"", "")).await;
    let before = balance(&app, ann).await;

    let job = app
        .services
        .jobs
        .create(ann, prompt_job("a fox"))
        .await
        .expect("queued");
    app.services
        .worker("w".into())
        .run_once()
        .await
        .expect("run");
    let view = app.services.jobs.get(ann, job.id).await.expect("job");

    assert_eq!(view.job.status, JobStatus::Failed);
    assert!(view.job.result_id.is_none());
    assert_eq!(balance(&app, ann).await, before);
}

#[tokio::test]
async fn a_refused_prompt_spends_nothing_queues_nothing_and_sends_nothing() {
    let fake = FakeRemote::start(vec![Answer::Image(8, 8)]).await;
    let (app, ann) = funded_app(remote_config("automatic1111", &fake.url, "", "")).await;
    let before = balance(&app, ann).await;

    let refused = app
        .services
        .jobs
        .create(ann, prompt_job("ヌード portrait"))
        .await;
    let worked = app
        .services
        .worker("w".into())
        .run_once()
        .await
        .expect("run");

    assert!(matches!(
        refused,
        Err(crate::jobs::JobError::Prompt(
            crate::prompts::PromptError::Refused
        ))
    ));
    assert!(!worked, "nothing was queued");
    assert_eq!(balance(&app, ann).await, before);
    assert_eq!(fake.hits(), 0);
    let jobs = app.services.store.jobs_of(ann, 10).await.expect("jobs");
    assert!(jobs.is_empty());
}

#[tokio::test]
async fn inputs_must_fit_the_style() {
    let fake = FakeRemote::start(vec![Answer::Image(8, 8)]).await;
    let mut config = remote_config("automatic1111", &fake.url, "", "");
    config.styles[0].input = crate::config::InputKind::Prompt;
    let (app, ann) = funded_app(config).await;
    let upload = app
        .services
        .media
        .ingest_upload(ann, photo_png(64, 64))
        .await
        .expect("upload");
    let jobs = &app.services.jobs;

    let no_prompt = jobs
        .create(
            ann,
            JobRequest {
                style: "dream".into(),
                ..JobRequest::default()
            },
        )
        .await;
    let with_photo = jobs
        .create(
            ann,
            JobRequest {
                upload_id: Some(upload.id),
                ..prompt_job("a fox")
            },
        )
        .await;
    let prompt_on_builtin = jobs
        .create(
            ann,
            JobRequest {
                upload_id: Some(upload.id),
                style: "anime".into(),
                prompt: Some("x".into()),
                ..JobRequest::default()
            },
        )
        .await;
    let builtin_without_photo = jobs
        .create(
            ann,
            JobRequest {
                style: "anime".into(),
                ..JobRequest::default()
            },
        )
        .await;

    assert!(matches!(
        no_prompt,
        Err(crate::jobs::JobError::PromptRequired)
    ));
    assert!(matches!(
        with_photo,
        Err(crate::jobs::JobError::PhotoNotAccepted)
    ));
    assert!(matches!(
        prompt_on_builtin,
        Err(crate::jobs::JobError::PromptNotAccepted)
    ));
    assert!(matches!(
        builtin_without_photo,
        Err(crate::jobs::JobError::PhotoRequired)
    ));
}

/// The per-job overhead of the back-end layer: the same engine job run directly (decode, stylize,
/// encode: what the worker did before the catalog existed) and through the catalog, the guard, the
/// `Backend` trait and `finish`. Run it with
/// `cargo test --release -p atelier-app --lib backend_layer_overhead -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run by hand, see the doc comment"]
async fn backend_layer_overhead() {
    use atelier_engine::{EncodeOptions, Format, Params};
    let catalog = Catalog::builtin(1);
    let photo = photo_png(512, 512);
    let style = catalog.get("rough-sketch").expect("style").clone();
    let rounds = 60;
    let mut direct = Vec::new();
    let mut layered = Vec::new();
    for _ in 0..rounds {
        let started = std::time::Instant::now();
        let bytes = photo.clone();
        tokio::task::spawn_blocking(move || {
            let decoded = atelier_engine::decode(&bytes, &Limits::default()).expect("decode");
            let styled = atelier_engine::stylize(
                &decoded.image,
                atelier_engine::Style::RoughSketch,
                &Params::default(),
            );
            atelier_engine::encode(
                &styled,
                &EncodeOptions::new(Format::Png, atelier_engine::Style::RoughSketch),
            )
            .expect("encode")
        })
        .await
        .expect("join");
        direct.push(started.elapsed());

        let started = std::time::Instant::now();
        let (progress, _) = watch::channel(0.0);
        let request = Generation {
            photo: Some(&photo),
            prompt: None,
            intensity: 0.5,
            seed: 0,
            limits: &atelier_engine::Limits::default(),
            progress: &progress,
        };
        let output = style
            .guard
            .call(|| style.backend.generate(&request))
            .await
            .expect("generate");
        let limits = Limits::default();
        tokio::task::spawn_blocking(move || {
            finish(output, "rough-sketch", &limits).expect("finish")
        })
        .await
        .expect("join");
        layered.push(started.elapsed());
    }
    let mut differences: Vec<f64> = direct
        .iter()
        .zip(&layered)
        .map(|(d, l)| l.as_secs_f64() - d.as_secs_f64())
        .collect();
    differences.sort_by(f64::total_cmp);
    direct.sort();
    layered.sort();
    println!(
        "512² rough-sketch, median of {rounds}: direct {:.2} ms, through the back-end layer {:.2} ms, median paired difference {:.3} ms",
        direct[rounds / 2].as_secs_f64() * 1e3,
        layered[rounds / 2].as_secs_f64() * 1e3,
        differences[rounds / 2] * 1e3
    );

    // The layer alone: a back-end that does nothing, through the guard and the trait.
    struct Nothing;
    #[async_trait::async_trait]
    impl Backend for Nothing {
        async fn generate(&self, _: &Generation<'_>) -> Result<Generated, BackendError> {
            Ok(Generated::Untrusted(Vec::new()))
        }
    }
    let guard = Guard::new("nothing", crate::config::BackendLimits::default());
    let backend: std::sync::Arc<dyn Backend> = std::sync::Arc::new(Nothing);
    let (progress, _) = watch::channel(0.0);
    let request = Generation {
        photo: Some(&photo),
        prompt: None,
        intensity: 0.5,
        seed: 0,
        limits: &atelier_engine::Limits::default(),
        progress: &progress,
    };
    let calls = 100_000u32;
    let started = std::time::Instant::now();
    for _ in 0..calls {
        let _ = guard.call(|| backend.generate(&request)).await;
    }
    println!(
        "guard + trait call with a no-op back-end: {:.2} µs per call",
        started.elapsed().as_secs_f64() * 1e6 / f64::from(calls)
    );
}

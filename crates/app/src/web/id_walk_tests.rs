//! Every route that takes an id, pages and API alike, walked with ids that are not the
//! caller's: malformed, another user's real item, and well-formed but unknown. Each answer
//! must be a 4xx (404 when the route reads the item), never a 5xx or a redirect that
//! pretends something happened; and the other user's items must be untouched afterwards.
//!
//! The routes come from the routers' own source (`.route("…{…}…"`), so a new route with a
//! parameter fails `every_templated_route_is_walked` until it is added to `ROUTES` with the
//! kind of item its parameter names.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use super::{Page, send};
use crate::billing::fake_stripe::FakeStripe;
use crate::config::{PlanConfig, PlanInterval};
use crate::domain::{Role, UserId};
use crate::http::{AppState, app};
use crate::store::AccountStatus;
use crate::testing::{TestApp, photo_png, stripe_config, test_app_with};

/// What a route's parameter names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Param {
    Upload,
    Result,
    Job,
    ApiKey,
    Export,
    Subscription,
    Purchase,
    Report,
    Ticket,
    User,
    /// Not an item (a language code, a policy kind and version, a file name): only "no 5xx".
    Name,
}

/// Every route with a parameter, as the routers write it (API routes under `/api/v1`).
const ROUTES: &[(&str, Param)] = &[
    ("/api/v1/me/exports/{id}", Param::Export),
    ("/api/v1/me/exports/{id}/download", Param::Export),
    ("/api/v1/me/api-keys/{id}", Param::ApiKey),
    ("/api/v1/policies/{kind}", Param::Name),
    ("/api/v1/uploads/{id}", Param::Upload),
    ("/api/v1/jobs/{id}", Param::Job),
    ("/api/v1/jobs/{id}/cancel", Param::Job),
    ("/api/v1/results/{id}", Param::Result),
    ("/api/v1/results/{id}/download", Param::Result),
    ("/api/v1/results/{id}/save", Param::Result),
    ("/api/v1/subscriptions/{id}/cancel", Param::Subscription),
    ("/lang/{code}", Param::Name),
    ("/jobs/{id}", Param::Job),
    ("/jobs/{id}/cancel", Param::Job),
    ("/results/{id}/delete", Param::Result),
    ("/results/{id}/thumbnail", Param::Result),
    ("/uploads/{id}/thumbnail", Param::Upload),
    ("/uploads/{id}/delete", Param::Upload),
    ("/results/{id}/save", Param::Result),
    ("/results/{id}/unsave", Param::Result),
    ("/account/api-keys/{id}/revoke", Param::ApiKey),
    ("/privacy/exports/{id}/download", Param::Export),
    ("/buy/plans/{id}/cancel", Param::Subscription),
    ("/results/{id}/report", Param::Result),
    ("/uploads/{id}/report", Param::Upload),
    ("/admin/reports/{id}", Param::Report),
    ("/admin/reports/{id}/item", Param::Report),
    ("/admin/reports/{id}/decide", Param::Report),
    ("/support/tickets/{id}", Param::Ticket),
    ("/admin/tickets/{id}", Param::Ticket),
    ("/admin/tickets/{id}/reply", Param::Ticket),
    ("/admin/tickets/{id}/close", Param::Ticket),
    ("/admin/tickets/{id}/reopen", Param::Ticket),
    ("/policies/{kind}", Param::Name),
    ("/policies/{kind}/{version}", Param::Name),
    ("/static/samples/{name}", Param::Name),
    ("/admin/users/{id}", Param::User),
    ("/admin/users/{id}/grant", Param::User),
    ("/admin/users/{id}/revoke", Param::User),
    ("/admin/users/{id}/suspend", Param::User),
    ("/admin/users/{id}/ban", Param::User),
    ("/admin/users/{id}/restore", Param::User),
    ("/admin/jobs/{id}/retry", Param::Job),
    ("/admin/purchases/{id}/refund", Param::Purchase),
];

/// The routers' source files and the prefix their routes are served under. The API router
/// (`http/mod.rs`) nests everything with a parameter under `/api/v1`; its top-level routes
/// (webhook, health, metrics) take none.
const ROUTER_SOURCES: [(&str, &str); 3] = [
    ("/api/v1", include_str!("../http/mod.rs")),
    ("", include_str!("mod.rs")),
    ("", include_str!("admin_console.rs")),
];

/// Every `.route("…")` path with a `{parameter}` in the routers' source.
fn templated_routes() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (prefix, source) in ROUTER_SOURCES {
        for piece in source.split(".route(").skip(1) {
            let path = piece
                .trim_start()
                .strip_prefix('"')
                .and_then(|rest| rest.split('"').next());
            if let Some(path) = path.filter(|p| p.contains('{')) {
                found.insert(format!("{prefix}{path}"));
            }
        }
    }
    found
}

#[test]
fn every_templated_route_is_walked() {
    let walked: BTreeSet<String> = ROUTES.iter().map(|(p, _)| (*p).to_owned()).collect();
    let routed = templated_routes();
    assert!(routed.len() > 30, "the source scan found {routed:?}");
    let missing: Vec<_> = routed.difference(&walked).collect();
    let stale: Vec<_> = walked.difference(&routed).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "add to ROUTES: {missing:?}; no longer routed: {stale:?}"
    );
}

/// Ids that are not ids: junk, numbers, a UUID with a bad digit, an encoded slash, a
/// zero-width space, invalid UTF-8, 300 characters.
fn malformed() -> Vec<String> {
    [
        "abc",
        "not-a-uuid",
        "0",
        "-1",
        "99999999999999999999",
        "00000000-0000-0000-0000-00000000000g",
        "a%2Fb",
        "%E2%80%8B",
        "%FF",
        "..",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([
        "a".repeat(300),
        "5cf0e1a2-0a5c-4d3e-9e1f-6e0c8a1b2c3d-x".into(),
    ])
    .collect()
}

/// A superset of every form the routes take (unknown fields are ignored by the forms), so a
/// POST reaches the item lookup instead of stopping at a missing field.
const FORM: &str = "reason=other&details=walk&decision=dismiss&message=Walking+every+route&tokens=1&note=walk&subject=walk&plan=monthly-20&name=walk";

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

fn probe(method: &Method, uri: &str, token: &str) -> Request<Body> {
    let api = uri.starts_with("/api/");
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::COOKIE, format!("atelier_session={token}"))
        .header("sec-fetch-site", "same-origin");
    if api {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = if *method == Method::GET {
        Body::empty()
    } else if api {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
        Body::from("{}")
    } else {
        builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        Body::from(FORM)
    };
    builder.body(body).expect("request")
}

fn api(method: Method, uri: &str, token: &str, body: Option<Value>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(value) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(value.to_string())
        }
        None => Body::empty(),
    };
    builder.body(body).expect("request")
}

fn json_of(page: &Page) -> Value {
    serde_json::from_str(&page.html).unwrap_or(Value::Null)
}

/// Bob's real items, one of each kind a route names, made through the same services and
/// routes a person would use.
struct Items {
    upload: String,
    result: String,
    job: String,
    api_key: String,
    export: String,
    subscription: String,
    purchase: String,
    report: String,
    ticket: String,
    user: UserId,
}

impl Items {
    fn of(&self, param: Param) -> Option<String> {
        Some(match param {
            Param::Upload => self.upload.clone(),
            Param::Result => self.result.clone(),
            Param::Job => self.job.clone(),
            Param::ApiKey => self.api_key.clone(),
            Param::Export => self.export.clone(),
            Param::Subscription => self.subscription.clone(),
            Param::Purchase => self.purchase.clone(),
            Param::Report => self.report.clone(),
            Param::Ticket => self.ticket.clone(),
            Param::User => self.user.to_string(),
            Param::Name => return None,
        })
    }
}

fn created_id(page: &Page, what: &str) -> String {
    assert!(
        page.status.is_success(),
        "{what}: {} {}",
        page.status,
        page.html
    );
    json_of(page)["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{what}: no id in {}", page.html))
}

async fn bobs_items(test: &TestApp, router: &axum::Router, bob: UserId, token: &str) -> Items {
    let scope = crate::domain::UserScope::trusted(bob, Role::User);
    let upload = test
        .services
        .media
        .ingest_upload(scope, photo_png(40, 30))
        .await
        .expect("upload")
        .id
        .to_string();
    let job = send(
        router,
        api(
            Method::POST,
            "/api/v1/jobs",
            token,
            Some(json!({"upload_id": upload, "style": "light-color"})),
        ),
    )
    .await;
    let job = created_id(&job, "job");
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");
    let done = send(
        router,
        api(Method::GET, &format!("/api/v1/jobs/{job}"), token, None),
    )
    .await;
    let result = json_of(&done)["result_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no result: {}", done.html))
        .to_owned();
    let key = send(
        router,
        api(
            Method::POST,
            "/api/v1/me/api-keys",
            token,
            Some(json!({"name": "bob's script"})),
        ),
    )
    .await;
    let export = send(router, api(Method::POST, "/api/v1/me/exports", token, None)).await;
    let purchase = send(
        router,
        api(
            Method::POST,
            "/api/v1/purchases",
            token,
            Some(json!({"pack": "5-tokens"})),
        ),
    )
    .await;
    let subscription = send(
        router,
        api(
            Method::POST,
            "/api/v1/subscriptions",
            token,
            Some(json!({"plan": "monthly-20"})),
        ),
    )
    .await;
    let report = send(
        router,
        api(
            Method::POST,
            "/api/v1/reports",
            token,
            Some(json!({"kind": "result", "id": result, "reason": "other"})),
        ),
    )
    .await;
    let contact = send(router, {
        let mut request = probe(&Method::POST, "/support/contact", token);
        *request.body_mut() = Body::from("subject=Help&message=My+portrait+looks+odd");
        request
    })
    .await;
    let ticket = contact
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/support/contact/sent?ticket="))
        .unwrap_or_else(|| panic!("no ticket: {} {}", contact.status, contact.html))
        .to_owned();
    Items {
        upload,
        result,
        job,
        api_key: created_id(&key, "api key"),
        export: created_id(&export, "export"),
        subscription: created_id(&subscription, "subscription"),
        purchase: created_id(&purchase, "purchase"),
        report: created_id(&report, "report"),
        ticket,
        user: bob,
    }
}

/// A well-formed id that names nothing.
fn unknown(param: Param) -> String {
    match param {
        Param::Ticket => "987654321".into(),
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

/// Sends `method uri` as `token` and records what is wrong with the answer, if anything.
async fn check(
    router: &axum::Router,
    token: &str,
    (method, uri): (&Method, &str),
    param: Param,
    failures: &mut Vec<String>,
) {
    let page = send(router, probe(method, uri, token)).await;
    let status = page.status;
    let wrong = if param == Param::Name {
        status.is_server_error()
    } else {
        // The item is not the caller's: a refusal (404 for an item it cannot see, 405 for a
        // method the route lacks, 400 for a path that is no id, 422 for a form the route
        // checks first), never a success, a redirect or a server error.
        !status.is_client_error()
    };
    // A page route's refusal is the site's page, even for a client that names no type
    // (curl's `*/*`, or no Accept at all, as this probe sends): never an empty or plain body.
    let undressed =
        !uri.starts_with("/api/") && status.is_client_error() && !page.html.contains("<html");
    if wrong || undressed {
        let body: String = page.html.chars().take(160).collect();
        failures.push(format!("{method} {uri} -> {status} {body:?}"));
    }
}

fn monthly() -> PlanConfig {
    PlanConfig {
        id: "monthly-20".into(),
        name: "Monthly 20".into(),
        tokens: 20,
        amount: 900,
        currency: "eur".into(),
        interval: PlanInterval::Month,
    }
}

#[tokio::test]
async fn ids_not_the_callers_get_a_4xx_on_every_route_and_every_method() {
    let fake = FakeStripe::start().await;
    let mut config = stripe_config(&fake.base);
    config.stripe.plans = vec![monthly()];
    let test = test_app_with(config).await;
    let router = app(AppState::new(test.services.clone()));
    let (alice_id, alice) = test.session("alice").await;
    let (bob, bob_token) = test.session("bob").await;
    let (carol, admin) = test.session("carol").await;
    test.services
        .store
        .set_role_and_status(carol, Role::Admin, AccountStatus::Active)
        .await
        .expect("promote");
    let items = bobs_items(&test, &router, bob, &bob_token).await;
    // Alice's own upload answers 200 on the same route: the walk reaches the handlers.
    let own = crate::domain::UserScope::trusted(alice_id, Role::User);
    let own_upload = test
        .services
        .media
        .ingest_upload(own, photo_png(16, 16))
        .await
        .expect("upload")
        .id;
    let reached = send(
        &router,
        probe(
            &Method::GET,
            &format!("/api/v1/uploads/{own_upload}"),
            &alice,
        ),
    )
    .await;
    assert_eq!(reached.status, StatusCode::OK, "{}", reached.html);

    let mut failures = Vec::new();
    let mut sent = 0;
    for &(template, param) in ROUTES {
        let admin_route = crate::web::admin::is_admin_path(template);
        let mut values = malformed();
        values.push(unknown(param));
        // An admin sees everyone's items, so another's item is only foreign to a user.
        let foreign = items.of(param).filter(|_| !admin_route);
        values.extend(foreign);
        for value in &values {
            let uri = fill(template, value);
            for method in &METHODS {
                check(
                    &router,
                    &alice,
                    (method, uri.as_str()),
                    param,
                    &mut failures,
                )
                .await;
                sent += 1;
                // Admin routes are walked by an admin too, with ids that name nothing.
                if admin_route {
                    check(
                        &router,
                        &admin,
                        (method, uri.as_str()),
                        param,
                        &mut failures,
                    )
                    .await;
                    sent += 1;
                }
            }
        }
    }
    assert!(sent > 2000, "only {sent} requests");
    assert!(
        failures.is_empty(),
        "{} of {sent} answers were wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Bob's items are all still there, unchanged.
    for uri in [
        format!("/api/v1/uploads/{}", items.upload),
        format!("/api/v1/results/{}", items.result),
        format!("/api/v1/jobs/{}", items.job),
        format!("/api/v1/me/exports/{}", items.export),
    ] {
        let page = send(&router, api(Method::GET, &uri, &bob_token, None)).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.html);
    }
    let result = send(
        &router,
        api(
            Method::GET,
            &format!("/api/v1/results/{}", items.result),
            &bob_token,
            None,
        ),
    )
    .await;
    // Still not saved: the result's view says so with a `saved_at` of null.
    assert_eq!(
        json_of(&result).get("saved_at"),
        Some(&serde_json::Value::Null),
        "{}",
        result.html
    );
    let keys = send(
        &router,
        api(Method::GET, "/api/v1/me/api-keys", &bob_token, None),
    )
    .await;
    assert!(keys.html.contains(&items.api_key), "{}", keys.html);
    let subscriptions = send(
        &router,
        api(Method::GET, "/api/v1/subscriptions", &bob_token, None),
    )
    .await;
    assert!(
        subscriptions.html.contains(&items.subscription)
            && subscriptions.html.contains("\"pending\""),
        "{}",
        subscriptions.html
    );
    let ticket = send(
        &router,
        probe(
            &Method::GET,
            &format!("/support/tickets/{}", items.ticket),
            &bob_token,
        ),
    )
    .await;
    assert_eq!(ticket.status, StatusCode::OK);
    assert!(
        !ticket.html.contains("Walking every route"),
        "no one wrote to bob's ticket"
    );
    let report = send(
        &router,
        probe(
            &Method::GET,
            &format!("/admin/reports/{}", items.report),
            &admin,
        ),
    )
    .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.html);
    let balance = test
        .services
        .store
        .balance(
            crate::domain::UserScope::trusted(bob, Role::User),
            crate::domain::Timestamp::now(),
        )
        .await
        .expect("balance");
    assert_eq!(
        balance, 2,
        "bob spent one token on his job, and nothing else changed"
    );
}

/// `template` with every `{parameter}` replaced by `value`.
fn fill(template: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str(value);
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

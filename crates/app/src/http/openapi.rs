//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json` and generated from
//! the handlers' `#[utoipa::path]` and the records' `ToSchema`.
//!
//! Each handler documents what is particular to it; [`CommonResponses`] adds what every route
//! of a kind can answer (401/403/429 when authenticated, the JSON body's 400/413/415/422, the
//! paging 400, the 404 of an id), so the document lists every status the server can send.

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{account, api_keys, auth, jobs, media, payments, plans, policies, privacy, reports};

/// Every error: `{"error":{"code","message"}}`, the code stable and kebab-case.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "insufficient-tokens", "message": "not enough tokens"}}))]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, kebab-case: branch on this.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    code: String,
    /// For people; may change.
    message: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Atelier API",
        description = "The JSON API of Atelier, a self-hostable AI portrait studio. \
            Authenticate with `Authorization: Bearer <token>`: a session token from \
            `/auth/login` or `/auth/register`, or an API key (`atl_…`) from \
            `POST /me/api-keys`. Errors are `{\"error\":{\"code\",\"message\"}}`. Lists are \
            JSON arrays, newest first; when more follow, the answer carries \
            `Link: <…?limit=N&cursor=C>; rel=\"next\"`. `POST /jobs` and `POST /uploads` take \
            an `Idempotency-Key`. A guide with curl examples: docs/api.md.",
        license(name = "AGPL-3.0-or-later"),
    ),
    servers((url = "/api/v1")),
    security(("bearer" = [])),
    modifiers(&CommonResponses),
    paths(
        auth::register, auth::login, auth::logout, auth::me, auth::tokens,
        account::request_password_reset, account::reset_password,
        account::request_email_change, account::confirm_email_change,
        account::verify_email, account::resend_verification,
        api_keys::create_api_key, api_keys::list_api_keys, api_keys::revoke_api_key,
        privacy::patch_me, privacy::delete_me, privacy::get_privacy, privacy::put_privacy,
        privacy::export, privacy::request_export, privacy::list_exports, privacy::get_export,
        privacy::download_export, privacy::admin_audit,
        policies::overview, policies::document, policies::mine, policies::accept,
        jobs::styles, jobs::create_job, jobs::list_jobs, jobs::get_job, jobs::cancel_job,
        media::create_upload, media::list_uploads, media::get_upload, media::delete_upload,
        media::list_results, media::get_result, media::delete_result, media::download_result, media::save_result, media::unsave_result,
        payments::packs, payments::create_purchase, payments::list_purchases,
        payments::admin_purchases,
        plans::plans, plans::create_subscription, plans::list_subscriptions,
        plans::cancel_subscription,
        reports::create_report,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "auth", description = "Sign-up, sign-in, sessions, password reset"),
        (name = "account", description = "The caller's account and tokens"),
        (name = "api-keys", description = "Long-lived keys for scripts"),
        (name = "uploads", description = "Photos in (kept 24 h)"),
        (name = "jobs", description = "Styles and generation jobs"),
        (name = "results", description = "Portraits out (kept 24 h)"),
        (name = "tokens", description = "Packs and purchases"),
        (name = "privacy", description = "Choices and data exports"),
        (name = "policies", description = "Privacy policy and terms"),
        (name = "reports", description = "Reporting abusive portraits or photos"),
        (name = "admin", description = "Admins only"),
    ),
)]
pub struct ApiDoc;

/// Adds the responses every route of a kind shares, and the bearer scheme.
struct CommonResponses;

fn error(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    )
}

fn add(operation: &mut Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| error(description).into());
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut Document) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("session token or API key (atl_…)")
                        .build(),
                ),
            );
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_id = path.contains('{');
            let rate_limited_by_ip = matches!(
                path.as_str(),
                "/auth/register"
                    | "/auth/login"
                    | "/auth/password-reset"
                    | "/auth/password-reset/confirm"
            );
            // `[limits]`: per address and per account (see `http::action_limits`).
            let rate_limited_per_action = matches!(
                path.as_str(),
                "/auth/register" | "/auth/login" | "/uploads" | "/jobs"
            );
            let operations = [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                let public = operation
                    .security
                    .as_ref()
                    .is_some_and(|s| s.iter().all(|r| r == &Default::default()));
                if !public {
                    add(
                        operation,
                        "401",
                        "`unauthenticated`: no valid session token or API key",
                    );
                    add(
                        operation,
                        "403",
                        "`policy-acceptance-required` (accept the policies in force first) or \
                         `cross-site-request`",
                    );
                    add(
                        operation,
                        "429",
                        "`rate-limited`: this API key's requests per minute are used up \
                         (see `Retry-After`)",
                    );
                }
                if rate_limited_by_ip {
                    add(
                        operation,
                        "429",
                        "`rate-limited`: too many requests from this address",
                    );
                }
                if rate_limited_per_action && operation.request_body.is_some() {
                    add(
                        operation,
                        "429",
                        "`rate-limited`: too many from this address or account this minute \
                         (see `Retry-After`)",
                    );
                }
                let json_body = operation.request_body.as_ref().is_some_and(|body| {
                    serde_json::to_value(body)
                        .is_ok_and(|b| b["content"].get("application/json").is_some())
                });
                if json_body {
                    add(operation, "400", "`invalid-json`: the body is not JSON");
                    add(operation, "413", "`too-large`: the body is over the limit");
                    add(
                        operation,
                        "415",
                        "`expected-json`: send `Content-Type: application/json`",
                    );
                    add(operation, "422", "`invalid-body`: JSON of the wrong shape");
                }
                let paged = operation.parameters.as_ref().is_some_and(|params| {
                    serde_json::to_value(params).is_ok_and(|p| {
                        p.as_array()
                            .is_some_and(|a| a.iter().any(|p| p["name"] == "cursor"))
                    })
                });
                if paged {
                    add(operation, "400", "`invalid-limit` or `invalid-cursor`");
                }
                if has_id {
                    add(operation, "404", "`not-found`");
                }
            }
        }
    }
}

/// `GET /api/v1/openapi.json`: this document. Public.
pub async fn openapi_json() -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(ApiDoc::openapi()),
    )
        .into_response()
}

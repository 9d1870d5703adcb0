//! The HTTP edge's one error type: every failure becomes `{"error":{"code","message"}}` with
//! a stable kebab-case code and the right status. Internal errors are logged here and sent
//! as an opaque 500; their text never reaches a client. The message given here is the
//! English one; `error_language` puts it in the reader's language from the code and the
//! error's placeables (`args`).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::accounts::AccountError;
use crate::billing::BillingError;
use crate::jobs::JobError;
use crate::media::MediaError;
use crate::privacy::PrivacyError;
use crate::prompts::PromptError;
use crate::store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    /// The client's fault (or an expected refusal): shown as is.
    Client {
        status: StatusCode,
        code: &'static str,
        message: String,
        /// The dynamic parts of the message (Fluent placeables of `api-error-<code>`).
        args: Vec<(&'static str, String)>,
        /// Sent as `Retry-After` (whole seconds, at least 1) when set.
        retry_after: Option<std::time::Duration>,
    },
    /// Ours: logged with its detail, shown as "internal".
    Internal(String),
    /// 429 `rate-limited` with `Retry-After`: the caller's window is used up.
    RateLimited(std::time::Duration),
}

impl ApiError {
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Client {
            status,
            code,
            message: message.into(),
            args: Vec::new(),
            retry_after: None,
        }
    }

    /// The same error, telling the caller when to try again.
    #[must_use]
    pub fn with_retry_after(mut self, wait: std::time::Duration) -> ApiError {
        if let ApiError::Client { retry_after, .. } = &mut self {
            *retry_after = Some(wait);
        }
        self
    }

    /// The same error with the placeable `name` of its translated message set to `value`.
    #[must_use]
    pub fn with_arg(mut self, name: &'static str, value: impl ToString) -> ApiError {
        if let ApiError::Client { args, .. } = &mut self {
            args.push((name, value.to_string()));
        }
        self
    }

    pub fn not_found() -> ApiError {
        ApiError::client(StatusCode::NOT_FOUND, "not-found", "not found")
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::client(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in first")
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(detail.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, args, retry_after) = match self {
            ApiError::RateLimited(wait) => return super::limit::too_many_requests(wait),
            ApiError::Client {
                status,
                code,
                message,
                args,
                retry_after,
            } => (status, code, message, args, retry_after),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side".to_owned(),
                    Vec::new(),
                    None,
                )
            }
        };
        let mut response = (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response();
        if let Some(wait) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(super::limit::whole_seconds(wait)),
            );
        }
        if code == super::policies::ACCEPTANCE_REQUIRED {
            response.extensions_mut().insert(PolicyGate);
        }
        response
            .extensions_mut()
            .insert(super::error_language::ErrorMessage { code, args });
        response
    }
}

/// Marks a response refused at the policy gate, so pages can send the browser to the accept
/// page instead of showing the API's JSON.
#[derive(Clone, Copy, Debug)]
pub struct PolicyGate;

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict => {
                ApiError::client(StatusCode::CONFLICT, "conflict", "already exists")
            }
            StoreError::InsufficientTokens => ApiError::client(
                StatusCode::PAYMENT_REQUIRED,
                "insufficient-tokens",
                "not enough tokens",
            ),
            StoreError::WrongState => {
                ApiError::client(StatusCode::CONFLICT, "wrong-state", error.to_string())
            }
            StoreError::Internal(_) => ApiError::internal(error),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        let status = match &error {
            AccountError::InvalidEmail
            | AccountError::Password(_)
            | AccountError::GuardianConsentRequired
            | AccountError::InvalidApiKeyName => StatusCode::UNPROCESSABLE_ENTITY,
            AccountError::TooManyApiKeys => StatusCode::CONFLICT,
            AccountError::InvalidToken => StatusCode::BAD_REQUEST,
            AccountError::EmailTaken | AccountError::AlreadyVerified => StatusCode::CONFLICT,
            AccountError::InvalidCredentials | AccountError::Unauthenticated => {
                StatusCode::UNAUTHORIZED
            }
            AccountError::Locked => StatusCode::TOO_MANY_REQUESTS,
            AccountError::Throttled(wait) => {
                let wait = *wait;
                return ApiError::client(
                    StatusCode::TOO_MANY_REQUESTS,
                    error.code(),
                    error.to_string(),
                )
                .with_arg("seconds", super::limit::whole_seconds(wait))
                .with_retry_after(wait);
            }
            AccountError::Store(_) | AccountError::Blob(_) | AccountError::Hashing(_) => {
                return ApiError::internal(error);
            }
        };
        ApiError::client(status, error.code(), error.to_string())
    }
}

impl From<MediaError> for ApiError {
    fn from(error: MediaError) -> Self {
        let status = match &error {
            MediaError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            MediaError::Decode(e) => match e.code() {
                "too-large" | "too-many-pixels" => StatusCode::PAYLOAD_TOO_LARGE,
                "unsupported-format" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            },
            MediaError::DecodeTimeout => StatusCode::UNPROCESSABLE_ENTITY,
            MediaError::Busy { retry_after } => {
                let wait = *retry_after;
                return ApiError::client(
                    StatusCode::SERVICE_UNAVAILABLE,
                    error.code(),
                    error.to_string(),
                )
                .with_retry_after(wait);
            }
            MediaError::ProcessingPaused => StatusCode::FORBIDDEN,
            MediaError::SavingDisabled => StatusCode::CONFLICT,
            MediaError::NotFound | MediaError::Store(StoreError::NotFound) => {
                return ApiError::not_found();
            }
            MediaError::Store(_) | MediaError::Blob(_) | MediaError::Internal(_) => {
                return ApiError::internal(error);
            }
        };
        ApiError::client(status, error.code(), error.to_string())
    }
}

impl From<JobError> for ApiError {
    fn from(error: JobError) -> Self {
        let status = match &error {
            JobError::UnknownStyle(_)
            | JobError::InvalidParams
            | JobError::PhotoRequired
            | JobError::PhotoNotAccepted
            | JobError::PromptRequired
            | JobError::PromptNotAccepted
            | JobError::Prompt(_) => StatusCode::UNPROCESSABLE_ENTITY,
            JobError::StyleUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            JobError::UploadNotFound | JobError::NotFound => StatusCode::NOT_FOUND,
            JobError::InsufficientTokens => StatusCode::PAYMENT_REQUIRED,
            JobError::NotCancelable => StatusCode::CONFLICT,
            JobError::ProcessingPaused => StatusCode::FORBIDDEN,
            JobError::Store(_) => return ApiError::internal(error),
        };
        let refusal = ApiError::client(status, error.code(), error.to_string());
        match &error {
            JobError::UnknownStyle(style) => refusal.with_arg("style", style),
            JobError::Prompt(PromptError::TooLong { max }) => refusal.with_arg("max", max),
            _ => refusal,
        }
    }
}

impl From<BillingError> for ApiError {
    fn from(error: BillingError) -> Self {
        if let BillingError::Store(store) = error {
            return store.into();
        }
        let status = match &error {
            BillingError::NotConfigured => StatusCode::SERVICE_UNAVAILABLE,
            BillingError::UnknownPack(_) | BillingError::UnknownPlan(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            BillingError::AlreadySubscribed | BillingError::NotCancelable => StatusCode::CONFLICT,
            BillingError::Signature(_) | BillingError::InvalidEvent(_) => StatusCode::BAD_REQUEST,
            BillingError::NotFound => return ApiError::not_found(),
            BillingError::NotRefundable => StatusCode::CONFLICT,
            BillingError::Stripe(e) => {
                tracing::error!(error = %e, "Stripe call failed");
                return ApiError::client(
                    StatusCode::BAD_GATEWAY,
                    "payment-provider-error",
                    "the payment provider could not be reached; please try again",
                );
            }
            BillingError::Store(_) => return ApiError::internal(error),
        };
        let refusal = ApiError::client(status, error.code(), error.to_string());
        match &error {
            BillingError::UnknownPack(name) | BillingError::UnknownPlan(name) => {
                refusal.with_arg("name", name)
            }
            _ => refusal,
        }
    }
}

impl From<PrivacyError> for ApiError {
    fn from(error: PrivacyError) -> Self {
        match error {
            PrivacyError::WrongPassword => {
                ApiError::client(StatusCode::FORBIDDEN, error.code(), error.to_string())
            }
            PrivacyError::InvalidDisplayName => ApiError::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                error.code(),
                error.to_string(),
            )
            .with_arg("max", crate::privacy::DISPLAY_NAME_MAX),
            PrivacyError::ExportPending => {
                ApiError::client(StatusCode::CONFLICT, error.code(), error.to_string())
            }
            PrivacyError::Account(e) => e.into(),
            PrivacyError::Store(e) => e.into(),
            PrivacyError::Billing(e) => e.into(),
            PrivacyError::Blob(_) | PrivacyError::Archive(_) => ApiError::internal(error),
        }
    }
}

/// `Json<T>` whose rejections speak our error format.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    let status = rejection.status();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "expected-json",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid-body",
        _ => "invalid-json",
    };
    ApiError::client(status, code, rejection.body_text())
}

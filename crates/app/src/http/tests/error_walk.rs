//! Every error the JSON API can answer, one of each kind, for the language tests: each
//! variant of each error enum (the matches without a catch-all make a new variant fail to
//! compile until it is added here) and each code written at a handler.

use std::time::Duration;

use atelier_engine::{DecodeError, Format};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::accounts::AccountError;
use crate::billing::BillingError;
use crate::billing::signature::SignatureError;
use crate::billing::stripe::StripeError;
use crate::domain::PasswordError;
use crate::http::ApiError;
use crate::http::error_language::ErrorMessage;
use crate::jobs::JobError;
use crate::media::MediaError;
use crate::policies::PolicyError;
use crate::privacy::PrivacyError;
use crate::prompts::PromptError;
use crate::store::StoreError;

/// Codes written as literals at `ApiError::client(...)` call sites in handlers and
/// extractors (the source scan below keeps this list complete).
const HANDLER_CODES: &[&str] = &[
    "unauthenticated",
    "not-found",
    "cross-site-request",
    crate::http::policies::ACCEPTANCE_REQUIRED,
    "expected-json",
    "invalid-json",
    "invalid-body",
    "too-large",
    "invalid-query",
    "invalid-limit",
    "invalid-cursor",
    "invalid-idempotency-key",
    "idempotency-key-reused",
    "idempotency-in-progress",
    "missing-file",
    "invalid-multipart",
    "payment-provider-error",
];

fn store_errors() -> Vec<StoreError> {
    // A new variant must be added here: this match has no catch-all.
    let every = |e: &StoreError| match e {
        StoreError::NotFound
        | StoreError::Conflict
        | StoreError::InsufficientTokens
        | StoreError::WrongState
        | StoreError::Internal(_) => {}
    };
    let all = vec![
        StoreError::NotFound,
        StoreError::Conflict,
        StoreError::InsufficientTokens,
        StoreError::WrongState,
        StoreError::Internal(Box::new(std::io::Error::other("disk"))),
    ];
    all.iter().for_each(every);
    all
}

fn account_errors() -> Vec<AccountError> {
    let every = |e: &AccountError| match e {
        AccountError::InvalidEmail
        | AccountError::Password(_)
        | AccountError::GuardianConsentRequired
        | AccountError::EmailTaken
        | AccountError::InvalidCredentials
        | AccountError::Locked
        | AccountError::Throttled(_)
        | AccountError::Unauthenticated
        | AccountError::InvalidToken
        | AccountError::AlreadyVerified
        | AccountError::InvalidApiKeyName
        | AccountError::TooManyApiKeys
        | AccountError::Store(_)
        | AccountError::Blob(_)
        | AccountError::Hashing(_) => {}
    };
    let mut all = vec![
        AccountError::InvalidEmail,
        AccountError::GuardianConsentRequired,
        AccountError::EmailTaken,
        AccountError::InvalidCredentials,
        AccountError::Locked,
        AccountError::Throttled(std::time::Duration::from_secs(3)),
        AccountError::Unauthenticated,
        AccountError::InvalidToken,
        AccountError::AlreadyVerified,
        AccountError::InvalidApiKeyName,
        AccountError::TooManyApiKeys,
        AccountError::Hashing("argon2".into()),
    ];
    for password in [
        PasswordError::TooShort,
        PasswordError::TooLong,
        PasswordError::TooCommon,
    ] {
        all.push(AccountError::Password(password));
    }
    all.extend(store_errors().into_iter().map(AccountError::Store));
    all.iter().for_each(every);
    all
}

fn decode_errors() -> Vec<DecodeError> {
    let detail = String::new;
    vec![
        DecodeError::Empty,
        DecodeError::TooLarge { bytes: 2, max: 1 },
        DecodeError::TooManyPixels {
            width: 9000,
            height: 9000,
            max: 40_000_000,
        },
        DecodeError::NoPixels,
        DecodeError::UnsupportedFormat { name: "GIF" },
        DecodeError::UnknownFormat,
        DecodeError::Corrupt {
            format: Format::Png,
            detail: detail(),
        },
        DecodeError::UnsupportedFeature {
            format: Format::Jpeg,
            detail: detail(),
        },
        DecodeError::DecoderLimit {
            format: Format::WebP,
            detail: detail(),
        },
    ]
}

fn media_errors() -> Vec<MediaError> {
    let every = |e: &MediaError| match e {
        MediaError::Decode(_)
        | MediaError::TooLarge { .. }
        | MediaError::DecodeTimeout
        | MediaError::Busy { .. }
        | MediaError::NotFound
        | MediaError::ProcessingPaused
        | MediaError::SavingDisabled
        | MediaError::Store(_)
        | MediaError::Blob(_)
        | MediaError::Internal(_) => {}
    };
    let mut all = vec![
        MediaError::TooLarge { max: 1 },
        MediaError::DecodeTimeout,
        MediaError::Busy {
            retry_after: std::time::Duration::from_secs(10),
        },
        MediaError::NotFound,
        MediaError::ProcessingPaused,
        MediaError::SavingDisabled,
        MediaError::Internal("codec".into()),
    ];
    all.extend(decode_errors().into_iter().map(MediaError::Decode));
    all.iter().for_each(every);
    all
}

fn job_errors() -> Vec<JobError> {
    let every = |e: &JobError| match e {
        JobError::UnknownStyle(_)
        | JobError::StyleUnavailable
        | JobError::PhotoRequired
        | JobError::PhotoNotAccepted
        | JobError::PromptRequired
        | JobError::PromptNotAccepted
        | JobError::Prompt(_)
        | JobError::InvalidParams
        | JobError::UploadNotFound
        | JobError::InsufficientTokens
        | JobError::NotFound
        | JobError::NotCancelable
        | JobError::ProcessingPaused
        | JobError::Store(_) => {}
    };
    let all = vec![
        JobError::UnknownStyle("oil-paint".into()),
        JobError::StyleUnavailable,
        JobError::PhotoRequired,
        JobError::PhotoNotAccepted,
        JobError::PromptRequired,
        JobError::PromptNotAccepted,
        JobError::Prompt(PromptError::Empty),
        JobError::Prompt(PromptError::TooLong { max: 500 }),
        JobError::Prompt(PromptError::Refused),
        JobError::InvalidParams,
        JobError::UploadNotFound,
        JobError::InsufficientTokens,
        JobError::NotFound,
        JobError::NotCancelable,
        JobError::ProcessingPaused,
        JobError::Store(StoreError::WrongState),
    ];
    all.iter().for_each(every);
    all
}

fn billing_errors() -> Vec<BillingError> {
    let every = |e: &BillingError| match e {
        BillingError::NotConfigured
        | BillingError::UnknownPack(_)
        | BillingError::UnknownPlan(_)
        | BillingError::AlreadySubscribed
        | BillingError::NotCancelable
        | BillingError::Signature(_)
        | BillingError::InvalidEvent(_)
        | BillingError::NotFound
        | BillingError::NotRefundable
        | BillingError::Stripe(_)
        | BillingError::Store(_) => {}
    };
    let all = vec![
        BillingError::NotConfigured,
        BillingError::UnknownPack("mega".into()),
        BillingError::UnknownPlan("gold".into()),
        BillingError::AlreadySubscribed,
        BillingError::NotCancelable,
        BillingError::Signature(SignatureError::Missing),
        BillingError::Signature(SignatureError::Malformed),
        BillingError::Signature(SignatureError::Mismatch),
        BillingError::Signature(SignatureError::Stale),
        BillingError::InvalidEvent("not json".into()),
        BillingError::NotFound,
        BillingError::NotRefundable,
        BillingError::Stripe(StripeError::Transport("timeout".into())),
        BillingError::Store(StoreError::Conflict),
    ];
    all.iter().for_each(every);
    all
}

fn privacy_and_policy_errors() -> Vec<ApiError> {
    let privacy = |e: &PrivacyError| match e {
        PrivacyError::WrongPassword
        | PrivacyError::InvalidDisplayName
        | PrivacyError::Account(_)
        | PrivacyError::Store(_)
        | PrivacyError::Blob(_)
        | PrivacyError::Archive(_)
        | PrivacyError::ExportPending
        | PrivacyError::Billing(_) => {}
    };
    let policy = |e: &PolicyError| match e {
        PolicyError::NoticeTooShort { .. }
        | PolicyError::BeforeLatest
        | PolicyError::Empty
        | PolicyError::TooLong
        | PolicyError::NotFound
        | PolicyError::Store(_) => {}
    };
    let privacy_errors = vec![
        PrivacyError::WrongPassword,
        PrivacyError::InvalidDisplayName,
        PrivacyError::Archive("zip".into()),
        PrivacyError::ExportPending,
    ];
    let policy_errors = vec![
        PolicyError::NoticeTooShort {
            days: 30,
            earliest: "2027-01-01".into(),
        },
        PolicyError::BeforeLatest,
        PolicyError::Empty,
        PolicyError::TooLong,
        PolicyError::NotFound,
    ];
    privacy_errors.iter().for_each(privacy);
    policy_errors.iter().for_each(policy);
    let mut all: Vec<ApiError> = privacy_errors.into_iter().map(Into::into).collect();
    all.extend(policy_errors.into_iter().map(Into::into));
    all
}

/// What every error the API can answer leaves for translation, through the real
/// `IntoResponse`: each enum variant, each handler's literal code, the rate limit and the
/// refused range.
pub(super) fn every_error_message() -> Vec<ErrorMessage> {
    let mut errors: Vec<ApiError> = Vec::new();
    errors.extend(store_errors().into_iter().map(Into::into));
    errors.extend(account_errors().into_iter().map(Into::into));
    errors.extend(media_errors().into_iter().map(Into::into));
    errors.extend(job_errors().into_iter().map(Into::into));
    errors.extend(billing_errors().into_iter().map(Into::into));
    errors.extend(privacy_and_policy_errors());
    errors.extend(
        HANDLER_CODES
            .iter()
            .map(|code| ApiError::client(StatusCode::BAD_REQUEST, code, "English")),
    );
    errors.push(ApiError::RateLimited(Duration::from_secs(7)));
    let mut responses: Vec<_> = errors
        .into_iter()
        .map(IntoResponse::into_response)
        .collect();
    responses.push(crate::http::limit::too_many_requests(
        Duration::from_millis(1500),
    ));
    let mut past_the_end = axum::http::HeaderMap::new();
    past_the_end.insert(
        axum::http::header::RANGE,
        axum::http::HeaderValue::from_static("bytes=100-200"),
    );
    responses.push(crate::http::ranges::serve(
        &past_the_end,
        "\"t\"",
        vec![0; 10],
    ));
    responses
        .iter()
        .map(|r| {
            r.extensions()
                .get::<ErrorMessage>()
                .cloned()
                .unwrap_or_else(|| panic!("{} answered without an ErrorMessage", r.status()))
        })
        .collect()
}

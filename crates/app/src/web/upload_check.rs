//! `POST /studio/check`: the studio's live look at a chosen photo before any token is spent.
//! It decodes and counts faces exactly as an upload would (`Media::inspect`),
//! keeps nothing, and answers JSON in the reader's language for `static/app.js` to show:
//! `{"ok","width","height","faces","checks":[{"level":"ok|warn|error","text"}]}`.
//!
//! The studio form does not depend on it: without JavaScript the upload itself refuses a
//! bad file, as before.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::media::{Inspection, MediaError};

/// Shorter sides below this make soft portraits (the same rule as the job page's warning).
const SMALL_EDGE: u32 = 512;

#[derive(Debug, Serialize)]
struct CheckAnswer {
    /// No check is an error: the photo can be submitted.
    ok: bool,
    width: Option<u32>,
    height: Option<u32>,
    faces: Option<usize>,
    checks: Vec<Check>,
}

#[derive(Debug, Serialize)]
struct Check {
    level: Level,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Ok,
    Warn,
    Error,
}

impl CheckAnswer {
    fn refused(text: String) -> CheckAnswer {
        CheckAnswer {
            ok: false,
            width: None,
            height: None,
            faces: None,
            checks: vec![Check {
                level: Level::Error,
                text,
            }],
        }
    }
}

pub async fn check_photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    mut multipart: Multipart,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let media = &state.services.media;
    let too_large = || {
        let text = too_large_text(&tr, media.max_bytes());
        answer(StatusCode::PAYLOAD_TOO_LARGE, CheckAnswer::refused(text))
    };
    let mut file = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(bytes) => file = Some(bytes.to_vec()),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
                Err(_) => break,
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
            Err(_) => break,
        }
    }
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        let refusal = CheckAnswer::refused(tr.t("check-empty"));
        return answer(StatusCode::BAD_REQUEST, refusal);
    };
    match media.inspect(caller.scope, file).await {
        Ok(inspection) => answer(StatusCode::OK, verdict(&tr, inspection)),
        Err(MediaError::TooLarge { .. }) => too_large(),
        Err(MediaError::Decode(e)) if e.code() == "too-large" => too_large(),
        // The decode budget is full: the check is a courtesy, so it steps aside (503 with
        // `Retry-After`) and blocks nothing.
        Err(MediaError::Busy { retry_after }) => {
            let mut unavailable = CheckAnswer::refused(tr.t("check-unavailable"));
            unavailable.ok = true;
            unavailable.checks[0].level = Level::Warn;
            let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, unavailable);
            let seconds = crate::http::limit::whole_seconds(retry_after);
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
            response
        }
        Err(error @ (MediaError::Store(_) | MediaError::Blob(_) | MediaError::Internal(_))) => {
            // The check is a courtesy: the upload itself decides. Say so, block nothing.
            tracing::error!(%error, "photo check failed");
            let mut unavailable = CheckAnswer::refused(tr.t("check-unavailable"));
            unavailable.ok = true;
            unavailable.checks[0].level = Level::Warn;
            answer(StatusCode::INTERNAL_SERVER_ERROR, unavailable)
        }
        Err(error) => {
            let max_pixels = media.limits().max_pixels;
            let text = refusal_text(&tr, &error, max_pixels);
            answer(StatusCode::OK, CheckAnswer::refused(text))
        }
    }
}

fn answer(status: StatusCode, body: CheckAnswer) -> Response {
    (status, Json(body)).into_response()
}

/// The reader's words for a photo the upload refuses: the live check's, and the studio
/// form's when a photo comes without the check (no JavaScript).
pub(super) fn photo_refusal(tr: &Tr, media: &crate::media::Media, error: &MediaError) -> String {
    match error {
        MediaError::TooLarge { .. } => too_large_text(tr, media.max_bytes()),
        MediaError::Decode(e) if e.code() == "too-large" => too_large_text(tr, media.max_bytes()),
        _ => refusal_text(tr, error, media.limits().max_pixels),
    }
}

pub(super) fn too_large_text(tr: &Tr, max_bytes: usize) -> String {
    tr.t1("check-too-large", "max", megabytes(max_bytes))
}

/// The reader's words for a photo that cannot be used.
fn refusal_text(tr: &Tr, error: &MediaError, max_pixels: u64) -> String {
    match error {
        MediaError::ProcessingPaused => tr.t("check-paused"),
        MediaError::Decode(e) => match e.code() {
            "empty-file" => tr.t("check-empty"),
            "too-many-pixels" => tr.t1("check-too-many-pixels", "max", megapixels(max_pixels)),
            "unsupported-format" => tr.t("check-not-supported"),
            "corrupt-image" => tr.t("check-corrupt"),
            _ => tr.t("check-unreadable"),
        },
        _ => tr.t("check-unreadable"),
    }
}

/// What a decodable photo will make: warnings for no face, several faces or a small photo,
/// else a single "looks good".
fn verdict(tr: &Tr, photo: Inspection) -> CheckAnswer {
    let size = |key: &str| {
        tr.tn(
            key,
            vec![
                ("width", photo.width.into()),
                ("height", photo.height.into()),
            ],
        )
    };
    let mut warnings = Vec::new();
    match photo.faces {
        0 => warnings.push(tr.t("check-no-face")),
        1 => {}
        many => warnings.push(tr.t1("check-many-faces", "faces", many)),
    }
    if photo.width.min(photo.height) < SMALL_EDGE {
        warnings.push(size("check-small"));
    }
    let checks = if warnings.is_empty() {
        vec![Check {
            level: Level::Ok,
            text: size("check-good"),
        }]
    } else {
        warnings
            .into_iter()
            .map(|text| Check {
                level: Level::Warn,
                text,
            })
            .collect()
    };
    CheckAnswer {
        ok: true,
        width: Some(photo.width),
        height: Some(photo.height),
        faces: Some(photo.faces),
        checks,
    }
}

/// `20` for 20,000,000 bytes, `0.5` for 500,000: decimal megabytes, one decimal at most.
pub(super) fn megabytes(bytes: usize) -> String {
    one_decimal(u64::try_from(bytes).unwrap_or(u64::MAX), 1_000_000)
}

fn megapixels(pixels: u64) -> String {
    one_decimal(pixels, 1_000_000)
}

fn one_decimal(n: u64, unit: u64) -> String {
    let tenths = (n.saturating_mul(10) + unit / 2) / unit;
    match tenths % 10 {
        0 => format!("{}", tenths / 10),
        d => format!("{}.{d}", tenths / 10),
    }
}

//! Records of the developer API: API keys, idempotency claims, and cursor pages.

use serde::Serialize;

use crate::domain::{ApiKeyId, Timestamp, UserId};

/// A key about to be stored: only the hash of its secret.
#[derive(Clone, Debug)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub created_at: Timestamp,
}

/// A key as its owner sees it: never the secret, never its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    /// The secret's first characters (`atl_` and six more), to tell keys apart.
    pub prefix: String,
    pub created_at: Timestamp,
    /// When the key last authenticated a request (to the minute); `null` if never.
    pub last_used_at: Option<Timestamp>,
}

/// Who a key acts for, as authentication finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiKeyOwner {
    pub key: ApiKeyId,
    pub user: UserId,
}

/// Where a list continues: the sort key and id of the last item of the previous page. Shown
/// to clients as an opaque string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}_{}", self.key, self.id)
    }

    /// `None` for anything [`Cursor::encode`] could not have made.
    pub fn decode(text: &str) -> Option<Cursor> {
        let (key, id) = text.split_once('_')?;
        let key = key.parse().ok()?;
        let id = uuid::Uuid::parse_str(id).ok()?;
        Some(Cursor {
            key,
            id: id.hyphenated().to_string(),
        })
    }
}

/// One page asked for: at most `limit` items after `after` (from the start when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn first(limit: u32) -> PageRequest {
        PageRequest { limit, after: None }
    }
}

/// One page of a list, newest first, and where the next one starts (`None`: this is the last).
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched with their sort keys: the extra row
    /// only says there is more.
    pub fn from_rows(mut rows: Vec<(i64, String, T)>, limit: u32) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = more
            .then(|| {
                rows.last().map(|(key, id, _)| Cursor {
                    key: *key,
                    id: id.clone(),
                })
            })
            .flatten();
        Page {
            items: rows.into_iter().map(|(_, _, item)| item).collect(),
            next,
        }
    }
}

/// What claiming an `Idempotency-Key` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is now ours: do the work, then record its reply.
    Claimed,
    /// Another request with this key is still at work.
    InProgress { fingerprint: String },
    /// The key was used before: this was its reply.
    Done {
        fingerprint: String,
        status: u16,
        body: String,
    },
}

impl IdempotencyClaim {
    /// What a record found at claim time says: (fingerprint, state, status, body).
    pub(crate) fn from_record(
        (fingerprint, state, status, body): (String, String, Option<i64>, Option<String>),
    ) -> Result<IdempotencyClaim, super::StoreError> {
        match (state.as_str(), status, body) {
            ("done", Some(status), Some(body)) => Ok(IdempotencyClaim::Done {
                fingerprint,
                status: u16::try_from(status)
                    .map_err(|e| super::StoreError::Internal(Box::new(e)))?,
                body,
            }),
            ("pending", _, _) => Ok(IdempotencyClaim::InProgress { fingerprint }),
            _ => Err(super::StoreError::Internal(
                format!("idempotency record in state {state} without a reply").into(),
            )),
        }
    }
}

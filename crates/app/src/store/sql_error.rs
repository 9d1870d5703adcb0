//! Driver errors to store errors, shared by both back-ends.

use super::StoreError;

/// Maps a driver error: unique violations become `Conflict`, the rest stay internal.
pub(crate) fn internal(error: impl Into<SqlxOrOther>) -> StoreError {
    match error.into() {
        SqlxOrOther::Sqlx(sqlx::Error::RowNotFound) => StoreError::NotFound,
        SqlxOrOther::Sqlx(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict
        }
        SqlxOrOther::Sqlx(other) => StoreError::Internal(Box::new(other)),
        SqlxOrOther::Other(other) => StoreError::Internal(other),
    }
}

pub(crate) enum SqlxOrOther {
    Sqlx(sqlx::Error),
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl From<sqlx::Error> for SqlxOrOther {
    fn from(error: sqlx::Error) -> Self {
        SqlxOrOther::Sqlx(error)
    }
}

impl From<sqlx::migrate::MigrateError> for SqlxOrOther {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        SqlxOrOther::Other(Box::new(error))
    }
}

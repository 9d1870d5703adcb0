//! Driver errors to store errors, shared by both back-ends: `?` on a sqlx call does the
//! mapping, so no query needs to spell it.

use super::StoreError;

/// Unique violations become `Conflict`, a missing row `NotFound`, the rest stay internal.
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            other => StoreError::Internal(Box::new(other)),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Internal(Box::new(error))
    }
}

//! The store's queries, written once for both back-ends.
//!
//! Each module here holds trait implementations in an [`each_backend!`] block, which stamps
//! the same text into an `on_sqlite` and an `on_postgres` module. Inside, `Db` names the
//! back-end's store, `DbRow` its row and [`dialect`] picks between two spellings where the
//! SQL really differs (a `FOR UPDATE` that SQLite has no use for: its writers hold the
//! database lock). The bodies compile once per back-end, so every bind and column is typed
//! against that driver; no generic bounds over `sqlx::Database` are needed.
//!
//! Why a macro and not generic functions: a body generic over `sqlx::Database` must carry an
//! `Executor` bound plus an `Encode + Type` and `Decode` bound per bound or read type, and the
//! two stores differ in how a call gets its connection (SQLite: the one writer or the reader
//! pool; PostgreSQL: a transaction as the app role with `app.user_id` set, or as the system
//! role). Stamping lets each body ask its store for the right transaction by one name
//! (`user_read`, `user_write`, `system_read`, `system_write`) and stay plain code.
//!
//! What differs in semantics stays in `sqlite/` and `postgres/`: claiming jobs (`SKIP
//! LOCKED`), the ledger's lock order, RLS roles, LISTEN/NOTIFY, opening and scrubbing.

pub(super) mod accounts;
pub(super) mod admin;
pub(super) mod api;
pub(super) mod audit;
pub(super) mod exports;
pub(super) mod jobs;
pub(super) mod ledger;
pub(super) mod media;
pub(super) mod migrations;
pub(super) mod payments;
pub(super) mod plans;
pub(super) mod policies;
pub(super) mod privacy;
pub(super) mod reports;
pub(super) mod retention;
pub(super) mod settle;
pub(super) mod support;
pub(super) mod throttle;
pub(super) mod tokens;
pub(super) mod usage;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{ColumnIndex, Database, Decode, Encode, FromRow, Postgres, Row, Sqlite, Type};
use uuid::Uuid;

use super::{
    AcceptanceSource, BillingInterval, ConsentKind, ExportStatus, JobStatus, LedgerKind,
    PolicyKind, PurchaseStatus, SubscriptionStatus, TicketStatus, UsageKind,
};
use super::{StoreError, StoreResult};
use crate::domain::UploadId;

/// Stamps the items given into `on_sqlite` and `on_postgres`, each seeing its back-end's
/// `Db`, `DbRow` and `dialect` (see the module docs).
macro_rules! each_backend {
    ($($item:item)*) => {
        pub(in crate::store) mod on_sqlite {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::store::sqlite::backend::*;
            $($item)*
        }

        pub(in crate::store) mod on_postgres {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::store::postgres::backend::*;
            $($item)*
        }
    };
}

pub(crate) use each_backend;

/// A count or size: `INTEGER` on SQLite, `integer` (or `bigint`, from arithmetic) on
/// PostgreSQL. Bound as `i64` on both, which PostgreSQL assigns to `integer` columns.
pub(crate) struct Count(i64);

impl Type<Sqlite> for Count {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Decode<'_, Sqlite> for Count {
    fn decode(value: SqliteValueRef<'_>) -> Result<Self, BoxDynError> {
        <i64 as Decode<Sqlite>>::decode(value).map(Count)
    }
}

impl Type<Postgres> for Count {
    fn type_info() -> PgTypeInfo {
        <i64 as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        *ty == <i64 as Type<Postgres>>::type_info()
            || *ty == <i32 as Type<Postgres>>::type_info()
            || *ty == <i16 as Type<Postgres>>::type_info()
    }
}

impl Decode<'_, Postgres> for Count {
    // The driver's integer decoding reads any width.
    fn decode(value: PgValueRef<'_>) -> Result<Self, BoxDynError> {
        <i64 as Decode<Postgres>>::decode(value).map(Count)
    }
}

impl TryFrom<Count> for u32 {
    type Error = std::num::TryFromIntError;

    fn try_from(count: Count) -> Result<u32, Self::Error> {
        u32::try_from(count.0)
    }
}

impl From<Count> for i64 {
    fn from(count: Count) -> i64 {
        count.0
    }
}

/// Reads a record that derives `FromRow`.
pub(crate) fn from_row<'r, T, R>(row: &'r R) -> StoreResult<T>
where
    R: Row,
    T: FromRow<'r, R>,
{
    Ok(T::from_row(row)?)
}

/// Reads one column.
pub(crate) fn get<'r, T, R>(row: &'r R, column: &str) -> StoreResult<T>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(row.try_get(column)?)
}

/// Reads a count or size column (see [`Count`]).
pub(crate) fn get_u32<'r, R>(row: &'r R, column: &str) -> StoreResult<u32>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    Count: Decode<'r, R::Database> + Type<R::Database>,
{
    let count: Count = row.try_get(column)?;
    u32::try_from(count).map_err(|e| StoreError::Internal(Box::new(e)))
}

/// A UUID that is no typed id (a reported item: an upload or a result), stored as ids are:
/// `TEXT` on SQLite, `uuid` on PostgreSQL.
pub(crate) struct AnyId(pub Uuid);

impl<DB: Database> Type<DB> for AnyId
where
    UploadId: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <UploadId as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <UploadId as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for AnyId
where
    UploadId: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        UploadId::from(self.0).encode_by_ref(buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for AnyId
where
    UploadId: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <UploadId as Decode<DB>>::decode(value).map(|id| AnyId(id.as_uuid()))
    }
}

/// Enums stored as the text of their `as_str` (bound as that text), read back by `parse`:
/// text no variant has is a decoding error.
macro_rules! text_columns {
    ($($ty:ty),* $(,)?) => {$(
        impl<DB: Database> Type<DB> for $ty
        where
            String: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $ty
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&'r str as Decode<'r, DB>>::decode(value)?;
                <$ty>::parse(text)
                    .ok_or_else(|| format!("unknown {} `{text}`", stringify!($ty)).into())
            }
        }
    )*};
}

text_columns!(
    AcceptanceSource,
    BillingInterval,
    ConsentKind,
    ExportStatus,
    JobStatus,
    LedgerKind,
    PolicyKind,
    PurchaseStatus,
    SubscriptionStatus,
    TicketStatus,
    UsageKind,
);

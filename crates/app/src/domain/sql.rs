//! How domain values travel to and from both databases, so a store query binds and reads
//! them the same way on each: ids are `TEXT` (hyphenated) on SQLite and `uuid` on
//! PostgreSQL, instants are `BIGINT` milliseconds on both. The schemas decide these
//! encodings; this module only follows them.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use uuid::Uuid;

use super::ids::{
    ApiKeyId, ExportId, JobId, LotId, PolicyId, PurchaseId, ReportId, ResultId, SubscriptionId,
    UploadId, UserId,
};
use super::timestamp::Timestamp;

macro_rules! sql_id {
    ($($name:ident),* $(,)?) => {$(
        impl Type<Sqlite> for $name {
            fn type_info() -> SqliteTypeInfo {
                <String as Type<Sqlite>>::type_info()
            }
        }

        impl Encode<'_, Sqlite> for $name {
            fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
                <String as Encode<Sqlite>>::encode(self.to_string(), buf)
            }
        }

        impl Decode<'_, Sqlite> for $name {
            fn decode(value: SqliteValueRef<'_>) -> Result<Self, BoxDynError> {
                let text = <&str as Decode<Sqlite>>::decode(value)?;
                Ok(Uuid::parse_str(text)?.into())
            }
        }

        impl Type<Postgres> for $name {
            fn type_info() -> PgTypeInfo {
                <Uuid as Type<Postgres>>::type_info()
            }
        }

        impl Encode<'_, Postgres> for $name {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <Uuid as Encode<Postgres>>::encode_by_ref(&self.as_uuid(), buf)
            }
        }

        impl Decode<'_, Postgres> for $name {
            fn decode(value: PgValueRef<'_>) -> Result<Self, BoxDynError> {
                <Uuid as Decode<Postgres>>::decode(value).map($name::from)
            }
        }
    )*};
}

sql_id!(
    UserId,
    LotId,
    UploadId,
    JobId,
    ResultId,
    PurchaseId,
    ExportId,
    PolicyId,
    ApiKeyId,
    SubscriptionId,
    ReportId,
);

macro_rules! sql_millis {
    ($($db:ident: $buf:ty, $info:ty, $value:ty);* $(;)?) => {$(
        impl Type<$db> for Timestamp {
            fn type_info() -> $info {
                <i64 as Type<$db>>::type_info()
            }
        }

        impl Encode<'_, $db> for Timestamp {
            fn encode_by_ref(&self, buf: &mut $buf) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<$db>>::encode(self.millis(), buf)
            }
        }

        impl Decode<'_, $db> for Timestamp {
            fn decode(value: $value) -> Result<Self, BoxDynError> {
                <i64 as Decode<$db>>::decode(value).map(Timestamp::from_millis)
            }
        }
    )*};
}

sql_millis!(
    Sqlite: SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef<'_>;
    Postgres: PgArgumentBuffer, PgTypeInfo, PgValueRef<'_>;
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_text_on_sqlite_and_uuid_on_postgres() {
        assert_eq!(
            <UserId as Type<Sqlite>>::type_info(),
            <String as Type<Sqlite>>::type_info()
        );
        assert_eq!(
            <UserId as Type<Postgres>>::type_info(),
            <Uuid as Type<Postgres>>::type_info()
        );
        assert_eq!(
            <Timestamp as Type<Postgres>>::type_info(),
            <i64 as Type<Postgres>>::type_info()
        );
    }
}

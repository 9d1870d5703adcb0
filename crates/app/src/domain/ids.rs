//! Typed ids: a `JobId` cannot be passed where an `UploadId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (v4) id.
            pub fn new() -> Self {
                $name(Uuid::new_v4())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                super::timestamp::string_schema(utoipa::openapi::KnownFormat::Uuid)
            }
        }

        impl utoipa::ToSchema for $name {}

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                $name(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    )*};
}

typed_id!(
    /// An account.
    UserId,
    /// A lot of tokens granted together, with one expiry.
    LotId,
    /// An uploaded photo.
    UploadId,
    /// A generation job.
    JobId,
    /// A generated image.
    ResultId,
    /// A token pack bought (or being bought) through Stripe.
    PurchaseId,
    /// A data export built in the background.
    ExportId,
    /// One published version of the privacy policy or the terms.
    PolicyId,
    /// A developer API key (its secret is never stored, only its hash).
    ApiKeyId,
    /// A monthly (or yearly) plan subscribed to through Stripe.
    SubscriptionId,
);

typed_id!(
    /// An abuse report about a portrait or photo.
    ReportId,
);

//! Domain types: typed ids, parsed e-mail addresses and passwords, timestamps, the caller's
//! scope. Everything here is built by parsing; nothing here does I/O.

mod email;
mod ids;
mod password;
mod scope;
mod sql;
mod timestamp;

pub use email::{Email, EmailError};
pub use ids::ReportId;
pub use ids::{
    ApiKeyId, ExportId, JobId, LotId, PolicyId, PurchaseId, ResultId, SubscriptionId, UploadId,
    UserId,
};
pub use password::{Password, PasswordError};
pub use scope::{Role, UserScope};
pub use timestamp::Timestamp;

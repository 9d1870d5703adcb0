//! The `[policies]` section: who publishes the privacy policy and terms, and the notice users
//! get before a new version takes effect.

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoliciesConfig {
    /// Who runs this installation (the data controller), named in the built-in documents.
    pub operator: String,
    /// Where people write about their data (default: the address of `smtp.from`).
    pub contact: Option<String>,
    /// A new version must be published at least this many days before it takes effect, so
    /// every user can be told by e-mail first (C8: 30). Does not apply while no account exists.
    pub notice_days: u32,
}

impl Default for PoliciesConfig {
    fn default() -> Self {
        PoliciesConfig {
            operator: "the operator of this site".into(),
            contact: None,
            notice_days: 30,
        }
    }
}

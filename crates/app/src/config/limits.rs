//! `[limits]`: how many times a minute one client address and one account may sign in, sign
//! up, upload, start a job or send the contact form (C9). Beyond it: 429 with `Retry-After`.
//! `0` turns a limit off. Per account means the signed-in user; for sign-in and sign-up,
//! the e-mail address tried. These sit on top of `server.auth_requests_per_minute` (every
//! sign-in, sign-up and reset route together, per address) and the failed-sign-in lock.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    pub sign_in_per_ip: u32,
    pub sign_in_per_account: u32,
    pub sign_up_per_ip: u32,
    pub sign_up_per_account: u32,
    pub uploads_per_ip: u32,
    pub uploads_per_account: u32,
    pub jobs_per_ip: u32,
    pub jobs_per_account: u32,
    pub contact_per_ip: u32,
    pub contact_per_account: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        // Generous for a person, tight for a script: a household behind one address still
        // signs in and works freely, one account cannot flood the queue or the inbox.
        LimitsConfig {
            sign_in_per_ip: 20,
            sign_in_per_account: 10,
            sign_up_per_ip: 10,
            sign_up_per_account: 3,
            uploads_per_ip: 120,
            uploads_per_account: 30,
            jobs_per_ip: 120,
            jobs_per_account: 30,
            contact_per_ip: 10,
            contact_per_account: 5,
        }
    }
}

//! `[limits]`: how many times a minute one client address and one account may sign in, sign
//! up, upload, start a job or send the contact form (C9). Beyond it: 429 with `Retry-After`.
//! `0` turns a limit off. Per account means the signed-in user; for sign-up, the e-mail
//! address tried; for sign-in, the e-mail address tried from one address (so a stranger's
//! attempts do not use up the owner's). These sit on top of `server.auth_requests_per_minute`
//! (every sign-in, sign-up and reset route together, per address; sign-in is left out of it
//! when `sign_in_per_ip = 0`).
//!
//! Also here: the sign-in throttle (see `crate::throttle`) and the decode budget
//! (see `crate::media::budget`), the memory all photo decoding together may use.

use std::time::Duration;

use serde::Deserialize;

use super::human_duration;

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
    /// Failed sign-ins of one account from one address before that pair waits (at least 1).
    pub sign_in_free_failures: u32,
    /// The first wait after them; each further failure doubles it.
    #[serde(deserialize_with = "human_duration")]
    pub sign_in_delay: Duration,
    /// The longest wait.
    #[serde(deserialize_with = "human_duration")]
    pub sign_in_max_delay: Duration,
    /// Failed sign-ins an hour of one account from all addresses together before every
    /// address waits for the hour to end (0: no cap). Against guessing spread over many
    /// addresses; far above the per-address allowance.
    pub sign_in_failures_per_account: u32,
    /// Memory all photo decoding together may use, in MiB (uploads, the live check,
    /// thumbnails, workers); `0`: chosen from the machine (see `crate::media::budget`).
    pub decode_memory_mib: u64,
    /// How long an upload, check or thumbnail waits for room in that budget before 503 with
    /// `Retry-After` (workers always wait).
    #[serde(deserialize_with = "human_duration")]
    pub decode_wait: Duration,
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
            // Five tries free, then 2 s, 4 s, … up to 15 min: a person who mistypes is not
            // slowed, a script gets about a dozen guesses an hour per address.
            sign_in_free_failures: 5,
            sign_in_delay: Duration::from_secs(2),
            sign_in_max_delay: Duration::from_secs(15 * 60),
            sign_in_failures_per_account: 100,
            decode_memory_mib: 0,
            decode_wait: Duration::from_secs(10),
        }
    }
}

//! What the admin console reads: the dashboard's aggregates (per UTC day), the sweeper's
//! runs, and accounts and jobs across users. Shared by both back-ends, with the one
//! computation they must agree on (queue-latency percentiles) done here, in Rust.

use crate::domain::{JobId, Role, Timestamp, UserId};

use super::{AccountStatus, JobStatus};

/// Milliseconds in a day: the dashboard buckets by UTC day (`millis / DAY_MS`).
pub const DAY_MS: i64 = 86_400_000;

/// The UTC day an instant falls on, as days since 1970-01-01.
pub fn day_of(at: Timestamp) -> i64 {
    at.millis().div_euclid(DAY_MS)
}

/// A count for one UTC day (days since 1970-01-01); days with nothing are left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayCount {
    pub day: i64,
    pub count: i64,
}

/// How many jobs of a style ended (or stand) in a status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StyleOutcome {
    pub style: String,
    pub status: JobStatus,
    pub count: i64,
}

/// Tokens that moved on one UTC day: `sold` were granted by purchases, `spent` went to jobs
/// less what failed or canceled jobs gave back that day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenFlow {
    pub day: i64,
    pub sold: i64,
    pub spent: i64,
}

/// How long jobs waited in the queue before a worker first took them, per UTC day of that
/// first claim (nearest-rank percentiles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueLatency {
    pub day: i64,
    pub jobs: i64,
    pub p50_ms: i64,
    pub p95_ms: i64,
}

/// The queue right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueNow {
    pub queued: i64,
    pub running: i64,
}

/// One run of the retention sweeper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepRun {
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// What it removed, per kind (`upload`, `result`, …); kinds with nothing left out.
    pub removed: Vec<(String, u64)>,
    /// Why it stopped early, if it did.
    pub error: Option<String>,
}

/// An account as the admin console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub status: AccountStatus,
    pub created_at: Timestamp,
    /// Spendable tokens now.
    pub balance: i64,
}

/// A job across accounts, with its owner's address, for the console's job lists.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct AdminJob {
    pub id: JobId,
    pub user_id: UserId,
    pub email: String,
    pub style: String,
    pub status: JobStatus,
    pub error: Option<String>,
    /// When a worker first took it.
    pub started_at: Option<Timestamp>,
    /// The worker holding it (running jobs).
    #[sqlx(rename = "lease_owner")]
    pub worker: Option<String>,
    pub updated_at: Timestamp,
}

/// Turns (day of first claim, wait in ms) pairs into per-day percentiles, days in order.
pub fn latency_per_day(mut waits: Vec<(i64, i64)>) -> Vec<QueueLatency> {
    waits.sort_unstable();
    waits
        .chunk_by(|a, b| a.0 == b.0)
        .map(|day| {
            let values: Vec<i64> = day.iter().map(|(_, wait)| (*wait).max(0)).collect();
            QueueLatency {
                day: day[0].0,
                jobs: values.len() as i64,
                p50_ms: nearest_rank(&values, 50),
                p95_ms: nearest_rank(&values, 95),
            }
        })
        .collect()
}

/// The nearest-rank `percent`-th percentile of sorted, non-empty `values`.
fn nearest_rank(values: &[i64], percent: usize) -> i64 {
    let rank = (percent * values.len()).div_ceil(100).max(1);
    values[rank.min(values.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_percentiles_are_nearest_rank_per_day() {
        let mut waits: Vec<(i64, i64)> = (1..=100).map(|ms| (7, ms)).collect();
        waits.push((3, 40));
        waits.push((3, 10));

        let days = latency_per_day(waits);

        assert_eq!(
            days,
            vec![
                QueueLatency {
                    day: 3,
                    jobs: 2,
                    p50_ms: 10,
                    p95_ms: 40
                },
                QueueLatency {
                    day: 7,
                    jobs: 100,
                    p50_ms: 50,
                    p95_ms: 95
                },
            ]
        );
        assert!(latency_per_day(Vec::new()).is_empty());
    }

    #[test]
    fn days_are_counted_in_utc_from_the_epoch() {
        assert_eq!(day_of(Timestamp::from_millis(0)), 0);
        assert_eq!(day_of(Timestamp::from_millis(DAY_MS - 1)), 0);
        assert_eq!(day_of(Timestamp::from_millis(3 * DAY_MS + 5)), 3);
    }
}

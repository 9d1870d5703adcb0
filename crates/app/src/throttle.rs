//! Counters behind every rate limit and the sign-in throttle, and the sign-in
//! throttle itself.
//!
//! [`Counters`] count in this process's memory on the single-node SQLite default and in the
//! database on PostgreSQL (`throttle_counters`, one atomic upsert per hit), so N web nodes
//! give a client a limit once, not N times. A counter is named by a SHA-256 digest of what
//! it counts, so neither memory nor the table holds an address or e-mail. If the database
//! cannot count, the request goes through (logged): a limit must not turn a database hiccup
//! into an outage, and the request needs the database anyway.
//!
//! [`SignInThrottle`] slows guessing without handing strangers a way to lock the owner out
//! (OWASP ASVS 2.2.1): failures are counted per (account, source address) pair, and after
//! `sign_in_free_failures` of them that pair waits a delay that doubles with each further
//! failure, up to `sign_in_max_delay`; the owner signing in from their usual address is not
//! that pair and is not slowed. A cap per account over all addresses
//! (`sign_in_failures_per_account` an hour) stops guessing spread over many addresses; it
//! is far above the per-pair allowance, so it trips only under a distributed attack.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::config::LimitsConfig;
use crate::store::{Store, ThrottleCount};

/// Beyond this many counters in memory, expired ones are dropped to bound memory.
const MAX_TRACKED: usize = 10_000;
/// How often (at most) one process deletes expired counters from the database.
const PRUNE_EVERY_MS: i64 = 5 * 60 * 1000;

/// What a counter counts, as a digest: the limit's kind and its key parts.
pub type CounterName = [u8; 32];

/// Names the counter of `kind` for `parts` (an address, an e-mail, both).
pub fn counter_name(kind: &str, parts: &[&str]) -> CounterName {
    let mut hash = Sha256::new();
    hash.update(kind.as_bytes());
    for part in parts {
        // A separator no address or e-mail contains keeps ("a", "bc") apart from ("ab", "c").
        hash.update([0]);
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

/// Milliseconds since the Unix epoch, the clock every node shares.
pub fn now_ms() -> i64 {
    crate::domain::Timestamp::now().millis()
}

/// Where counts live: memory for one node, the database for many.
pub struct Counters {
    shared: Option<Arc<dyn Store>>,
    memory: Mutex<HashMap<CounterName, (ThrottleCount, i64)>>,
    pruned_at: AtomicI64,
}

impl Counters {
    /// Counts in this process only.
    pub fn in_memory() -> Arc<Counters> {
        Arc::new(Counters {
            shared: None,
            memory: Mutex::new(HashMap::new()),
            pruned_at: AtomicI64::new(0),
        })
    }

    /// In `store` when other nodes serve from it too (PostgreSQL), else in memory.
    pub fn for_store(store: &Arc<dyn Store>) -> Arc<Counters> {
        if !store.shared_by_nodes() {
            return Counters::in_memory();
        }
        Arc::new(Counters {
            shared: Some(store.clone()),
            memory: Mutex::new(HashMap::new()),
            pruned_at: AtomicI64::new(0),
        })
    }

    /// Counts a hit on `name` at `now` in a window of `window` that starts at its first hit;
    /// `None` only when the database could not count.
    pub async fn hit(
        &self,
        name: &CounterName,
        now: i64,
        window: Duration,
    ) -> Option<ThrottleCount> {
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        // A count that started a whole window ago or more is over: keep only later ones.
        let keep_since = now.saturating_sub(window_ms).saturating_add(1);
        let expires_at = now.saturating_add(window_ms);
        let Some(store) = &self.shared else {
            let mut memory = self.memory.lock().ok()?;
            if memory.len() >= MAX_TRACKED {
                memory.retain(|_, (_, expires)| *expires >= now);
            }
            let (count, expires) = memory.entry(*name).or_insert((
                ThrottleCount {
                    hits: 0,
                    first_at: now,
                    last_at: now,
                },
                expires_at,
            ));
            if count.first_at < keep_since {
                *count = ThrottleCount {
                    hits: 0,
                    first_at: now,
                    last_at: now,
                };
            }
            count.hits = count.hits.saturating_add(1);
            count.last_at = now;
            *expires = expires_at;
            return Some(*count);
        };
        self.prune(store, now);
        match store.throttle_hit(name, now, keep_since, expires_at).await {
            Ok(count) => Some(count),
            Err(error) => {
                tracing::warn!(%error, "a rate-limit counter could not count; letting it through");
                None
            }
        }
    }

    /// The count of `name` without adding to it.
    pub async fn peek(&self, name: &CounterName) -> Option<ThrottleCount> {
        let Some(store) = &self.shared else {
            return self.memory.lock().ok()?.get(name).map(|(count, _)| *count);
        };
        store.throttle_peek(name).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "a throttle counter could not be read");
            None
        })
    }

    /// Sets `name` to `new` only if it still holds `expected` (`None`: nothing counted yet),
    /// atomically; whether it did, or `None` when the database could not say.
    pub async fn swap(
        &self,
        name: &CounterName,
        expected: Option<ThrottleCount>,
        new: ThrottleCount,
        window: Duration,
    ) -> Option<bool> {
        let expires_at = new.first_at.saturating_add(millis(window));
        let Some(store) = &self.shared else {
            let mut memory = self.memory.lock().ok()?;
            if memory.get(name).map(|(count, _)| *count) != expected {
                return Some(false);
            }
            if memory.len() >= MAX_TRACKED {
                memory.retain(|_, (_, expires)| *expires >= new.last_at);
            }
            memory.insert(*name, (new, expires_at));
            return Some(true);
        };
        self.prune(store, new.last_at);
        match store.throttle_swap(name, expected, new, expires_at).await {
            Ok(swapped) => Some(swapped),
            Err(error) => {
                tracing::warn!(%error, "a throttle counter could not count; letting it through");
                None
            }
        }
    }

    /// Forgets `name`.
    pub async fn clear(&self, name: &CounterName) {
        let Some(store) = &self.shared else {
            if let Ok(mut memory) = self.memory.lock() {
                memory.remove(name);
            }
            return;
        };
        if let Err(error) = store.throttle_clear(name).await {
            tracing::warn!(%error, "a throttle counter could not be cleared");
        }
    }

    /// Deletes expired counters from the database now and then, off the request.
    fn prune(&self, store: &Arc<dyn Store>, now: i64) {
        let last = self.pruned_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) < PRUNE_EVERY_MS
            || self
                .pruned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(error) = store.throttle_prune(now).await {
                tracing::warn!(%error, "expired throttle counters were not pruned");
            }
        });
    }
}

/// How long sign-in failures are remembered, counted from the first of a run: the per-pair
/// delays and the per-account cap both count within it.
pub const SIGN_IN_FAILURE_WINDOW: Duration = Duration::from_secs(3600);

/// How often [`SignInThrottle::begin`] looks again when another attempt of the same pair
/// counted between its read and its write.
const SWAP_TRIES: usize = 4;

/// Failed sign-ins per (account, address) and per account, and the wait they impose.
pub struct SignInThrottle {
    counters: Arc<Counters>,
    free_failures: u32,
    delay: Duration,
    max_delay: Duration,
    per_account: u32,
}

impl SignInThrottle {
    pub fn new(config: &LimitsConfig, counters: Arc<Counters>) -> SignInThrottle {
        SignInThrottle {
            counters,
            free_failures: config.sign_in_free_failures,
            delay: config.sign_in_delay,
            max_delay: config.sign_in_max_delay,
            per_account: config.sign_in_failures_per_account,
        }
    }

    fn pair(email: &str, from: Option<IpAddr>) -> CounterName {
        // Callers without a known address (in-process use) share one "address".
        let address = from.map(|ip| ip.to_string()).unwrap_or_default();
        counter_name("sign-in-failures", &[email, &address])
    }

    fn account(email: &str) -> CounterName {
        counter_name("sign-in-failures-account", &[email])
    }

    /// The delay after `failures` failures of one pair: none within the free allowance,
    /// then `delay`, doubling each time, at most `max_delay`.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures < self.free_failures.max(1) {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_failures.max(1)).min(30);
        self.delay
            .saturating_mul(1u32 << doublings)
            .min(self.max_delay)
    }

    /// How long `email` must wait before trying again from `from` at `now`; `None`: go ahead.
    /// Only reads: a sign-in goes through [`SignInThrottle::begin`], which also counts.
    pub async fn wait(&self, email: &str, from: Option<IpAddr>, now: i64) -> Option<Duration> {
        if let Some(wait) = self.account_wait(email, now).await {
            return Some(wait);
        }
        let count = self.counters.peek(&Self::pair(email, from)).await?;
        self.pair_wait(count, now)
    }

    /// Before a password is checked: `Err(wait)` while the account's cap or the pair's delay
    /// holds. Otherwise the attempt is counted against the (account, address) pair in the
    /// same atomic step as the check (compare and swap, retried), so concurrent guesses
    /// cannot all pass the check before any of them is counted; a sign-in that then succeeds
    /// clears the pair ([`SignInThrottle::succeeded`]).
    pub async fn begin(&self, email: &str, from: Option<IpAddr>, now: i64) -> Result<(), Duration> {
        if let Some(wait) = self.account_wait(email, now).await {
            return Err(wait);
        }
        let pair = Self::pair(email, from);
        for _ in 0..SWAP_TRIES {
            let current = self.counters.peek(&pair).await;
            let running = current.filter(|count| {
                count
                    .first_at
                    .saturating_add(millis(SIGN_IN_FAILURE_WINDOW))
                    > now
            });
            if let Some(wait) = running.and_then(|count| self.pair_wait(count, now)) {
                return Err(wait);
            }
            let next = match running {
                Some(count) => ThrottleCount {
                    hits: count.hits.saturating_add(1),
                    first_at: count.first_at,
                    last_at: now,
                },
                None => ThrottleCount {
                    hits: 1,
                    first_at: now,
                    last_at: now,
                },
            };
            match self
                .counters
                .swap(&pair, current, next, SIGN_IN_FAILURE_WINDOW)
                .await
            {
                // Counted; or the database cannot count, and the attempt goes through.
                Some(true) | None => return Ok(()),
                // Another attempt of the same pair counted first: look again.
                Some(false) => {}
            }
        }
        // Lost every race: this pair is guessing in parallel right now.
        Err(self.delay.max(Duration::from_secs(1)))
    }

    /// Counts a failed sign-in of `email` toward the account's cap (the pair's count was
    /// taken by [`SignInThrottle::begin`]).
    pub async fn failed(&self, email: &str, now: i64) {
        if self.per_account > 0 {
            self.counters
                .hit(&Self::account(email), now, SIGN_IN_FAILURE_WINDOW)
                .await;
        }
    }

    async fn account_wait(&self, email: &str, now: i64) -> Option<Duration> {
        if self.per_account == 0 {
            return None;
        }
        let count = self.counters.peek(&Self::account(email)).await?;
        let ends = count
            .first_at
            .saturating_add(millis(SIGN_IN_FAILURE_WINDOW));
        (count.hits >= self.per_account && ends > now).then(|| until(ends, now))
    }

    fn pair_wait(&self, count: ThrottleCount, now: i64) -> Option<Duration> {
        if count
            .first_at
            .saturating_add(millis(SIGN_IN_FAILURE_WINDOW))
            <= now
        {
            return None;
        }
        let ready = count
            .last_at
            .saturating_add(millis(self.delay_after(count.hits)));
        (ready > now).then(|| until(ready, now))
    }

    /// A successful sign-in ends the pair's run of failures (not the account's count: the
    /// owner getting in says nothing about guesses from elsewhere).
    pub async fn succeeded(&self, email: &str, from: Option<IpAddr>) {
        self.counters.clear(&Self::pair(email, from)).await;
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn until(at: i64, now: i64) -> Duration {
    Duration::from_millis(u64::try_from(at.saturating_sub(now)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(free: u32, per_account: u32) -> SignInThrottle {
        let config = LimitsConfig {
            sign_in_free_failures: free,
            sign_in_delay: Duration::from_secs(2),
            sign_in_max_delay: Duration::from_secs(60),
            sign_in_failures_per_account: per_account,
            ..LimitsConfig::default()
        };
        SignInThrottle::new(&config, Counters::in_memory())
    }

    #[test]
    fn counter_names_keep_their_parts_apart_and_hold_no_plain_text() {
        let name = counter_name("sign-in", &["ada@example.org", "10.0.0.1"]);

        assert_ne!(
            name,
            counter_name("sign-in", &["ada@example.org1", "0.0.0.1"])
        );
        assert_ne!(
            name,
            counter_name("sign-up", &["ada@example.org", "10.0.0.1"])
        );
        assert!(!name.windows(3).any(|w| w == b"ada"));
    }

    #[test]
    fn the_delay_doubles_after_the_free_failures_up_to_the_cap() {
        let throttle = throttle(3, 0);

        let delays: Vec<u64> = (1..=9).map(|n| throttle.delay_after(n).as_secs()).collect();

        assert_eq!(delays, [0, 0, 2, 4, 8, 16, 32, 60, 60]);
    }

    /// A wrong guess of `email` from `from` at `at`, which the throttle must let through.
    async fn guess(throttle: &SignInThrottle, from: Option<IpAddr>, at: i64) {
        assert_eq!(throttle.begin("ada@example.org", from, at).await, Ok(()));
        throttle.failed("ada@example.org", at).await;
    }

    #[tokio::test]
    async fn a_strangers_failures_slow_the_stranger_not_the_owner() {
        let throttle = throttle(2, 0);
        let (stranger, owner) = (
            Some(IpAddr::from([10, 0, 0, 1])),
            Some(IpAddr::from([10, 0, 0, 2])),
        );
        let now = 1_000_000;

        // Two free guesses, then 2 s, then 4 s: the fourth guess lands at +6 s.
        for at in [now, now, now + 2_000, now + 6_000] {
            guess(&throttle, stranger, at).await;
        }
        let refused = throttle
            .begin("ada@example.org", stranger, now + 6_000)
            .await;
        let stranger_waits = throttle
            .wait("ada@example.org", stranger, now + 6_000)
            .await;
        let owner_waits = throttle.wait("ada@example.org", owner, now + 6_000).await;
        let later = throttle
            .wait("ada@example.org", stranger, now + 14_000)
            .await;

        assert_eq!(refused, Err(Duration::from_secs(8)));
        assert_eq!(stranger_waits, Some(Duration::from_secs(8)));
        assert_eq!(owner_waits, None);
        assert_eq!(later, None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_guesses_of_one_pair_get_only_the_free_attempts() {
        let throttle = Arc::new(throttle(2, 0));
        let stranger = Some(IpAddr::from([10, 0, 0, 1]));
        let now = 1_000_000;

        let attempts: Vec<_> = (0..24)
            .map(|_| {
                let throttle = throttle.clone();
                tokio::spawn(async move { throttle.begin("ada@example.org", stranger, now).await })
            })
            .collect();
        let mut let_through = 0;
        for attempt in attempts {
            if attempt.await.expect("attempt").is_ok() {
                let_through += 1;
            }
        }

        assert_eq!(let_through, 2, "only the two free attempts are let through");
    }

    #[tokio::test]
    async fn a_success_clears_the_pairs_count() {
        let throttle = throttle(2, 0);
        let owner = Some(IpAddr::from([10, 0, 0, 2]));
        let now = 1_000_000;

        guess(&throttle, owner, now).await;
        assert_eq!(throttle.begin("ada@example.org", owner, now).await, Ok(()));
        throttle.succeeded("ada@example.org", owner).await;

        assert_eq!(throttle.wait("ada@example.org", owner, now).await, None);
        guess(&throttle, owner, now).await;
        guess(&throttle, owner, now).await;
    }

    #[tokio::test]
    async fn the_account_cap_holds_across_addresses_for_the_window() {
        let throttle = throttle(100, 5);
        let now = 1_000_000;

        for last in 1..=5u8 {
            guess(&throttle, Some(IpAddr::from([10, 0, 1, last])), now).await;
        }
        let fresh_address = Some(IpAddr::from([10, 0, 2, 1]));
        let capped = throttle
            .wait("ada@example.org", fresh_address, now + 1_000)
            .await;
        let other_account = throttle.wait("bo@example.org", fresh_address, now).await;
        let after_window = throttle
            .wait("ada@example.org", fresh_address, now + 3_600_000)
            .await;

        assert_eq!(capped, Some(Duration::from_secs(3599)));
        assert_eq!(other_account, None);
        assert_eq!(after_window, None);
    }
}

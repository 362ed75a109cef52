//! Attempt limiters (sign-ins per email and IP, registrations per IP) and the REST
//! limits (a leaky bucket per caller, an operating budget per caller and method).
//!
//! One node keeps them in memory. With several nodes (`NATS_URL`) they live in the
//! broker's `limits` key-value bucket instead ([`super::cluster`]), written with
//! compare-and-set, so a client cannot multiply its allowance by spreading its requests
//! over the nodes. The rules are the same pure functions for both stores, over
//! wall-clock seconds (nodes are expected to keep their clocks in sync, e.g. NTP).
//!
//! When the broker cannot be reached, sign-ins, registrations and REST calls are
//! refused for a second (closed, not open); the operating budget alone lets calls
//! through (the leaky bucket still guards them).

use super::cluster;
use async_nats::jetstream::kv;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Seconds since the Unix epoch: the clock every rule is written against.
fn wall_secs() -> f64 {
    super::now_ms() as f64 / 1000.0
}

/// Where a limiter keeps its counts: this node's memory, or the shared bucket under a
/// key prefix of its own.
enum Store {
    Memory,
    Shared {
        kv: Box<kv::Store>,
        prefix: &'static str,
    },
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Memory => f.write_str("Memory"),
            Store::Shared { prefix, .. } => write!(f, "Shared({prefix})"),
        }
    }
}

/// Attempts of one key in its current window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Attempts {
    started: f64,
    failures: u32,
}

/// Seconds to wait when `w` already holds `max` attempts of the window at `now`.
fn attempts_refused(w: Option<&Attempts>, now: f64, window: f64, max: u32) -> Option<u64> {
    let w = w?;
    let elapsed = (now - w.started).max(0.0);
    (elapsed < window && w.failures >= max).then(|| ((window - elapsed) as u64).max(1))
}

/// `w` with one more attempt at `now` (a new window when the old one is over).
fn attempts_counted(w: Option<Attempts>, now: f64, window: f64) -> Attempts {
    match w {
        Some(w) if now - w.started < window => Attempts {
            failures: w.failures + 1,
            ..w
        },
        _ => Attempts {
            started: now,
            failures: 1,
        },
    }
}

/// Counts failures per key inside a time window.
#[derive(Debug)]
pub struct FailureLimiter {
    window: f64,
    entries: Mutex<HashMap<String, Attempts>>,
    store: Store,
}

impl FailureLimiter {
    /// Kept in this node's memory.
    pub fn new(window: Duration) -> Self {
        Self {
            window: window.as_secs_f64(),
            entries: Mutex::new(HashMap::new()),
            store: Store::Memory,
        }
    }

    /// Kept in the shared bucket, under keys starting with `prefix`.
    pub fn shared(window: Duration, kv: kv::Store, prefix: &'static str) -> Self {
        Self {
            store: Store::Shared {
                kv: Box::new(kv),
                prefix,
            },
            ..Self::new(window)
        }
    }

    /// Counts one attempt for each key **before** the password is checked, atomically
    /// with the check of the limit: `Err(seconds to wait)` when any key already has its
    /// maximum in the window (then nothing is counted). Parallel guesses cannot pass
    /// the limit: each takes its place under the lock (one node) or by compare-and-set
    /// (several). A successful sign-in takes its attempt back with
    /// [`FailureLimiter::forgive`] or [`FailureLimiter::reset`].
    pub async fn try_attempt(&self, keys: &[(&str, u32)]) -> Result<(), u64> {
        let Store::Shared { kv, prefix } = &self.store else {
            return self.try_attempt_at(keys, wall_secs());
        };
        let window = self.window;
        for (i, (raw, max)) in keys.iter().enumerate() {
            let counted = cluster::update(kv, &cluster::key(prefix, raw), |w: Option<Attempts>| {
                let now = wall_secs();
                match attempts_refused(w.as_ref(), now, window, *max) {
                    Some(secs) => (None, Err(secs)),
                    None => (Some(attempts_counted(w, now, window)), Ok(())),
                }
            })
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "shared attempt limiter unavailable");
                Err(1)
            });
            if let Err(secs) = counted {
                // Nothing stays counted for the keys before.
                for (earlier, _) in &keys[..i] {
                    self.forgive(earlier).await;
                }
                return Err(secs);
            }
        }
        Ok(())
    }

    fn try_attempt_at(&self, keys: &[(&str, u32)], now: f64) -> Result<(), u64> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 100_000 {
            let window = self.window;
            entries.retain(|_, w| now - w.started < window);
        }
        for (key, max) in keys {
            if let Some(secs) = attempts_refused(entries.get(*key), now, self.window, *max) {
                return Err(secs);
            }
        }
        for (key, _) in keys {
            let w = attempts_counted(entries.get(*key).copied(), now, self.window);
            entries.insert(key.to_string(), w);
        }
        Ok(())
    }

    /// Takes one counted attempt of `key` back (a sign-in that succeeded is no failure).
    pub async fn forgive(&self, key: &str) {
        match &self.store {
            Store::Memory => {
                let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(w) = entries.get_mut(key) {
                    w.failures = w.failures.saturating_sub(1);
                }
            }
            Store::Shared { kv, prefix } => {
                let r = cluster::update(kv, &cluster::key(prefix, key), |w: Option<Attempts>| {
                    let w = w.map(|w| Attempts {
                        failures: w.failures.saturating_sub(1),
                        ..w
                    });
                    (w, ())
                })
                .await;
                if let Err(e) = r {
                    tracing::error!(error = %e, "shared attempt limiter unavailable");
                }
            }
        }
    }

    /// Forgets `key` (after a successful sign-in).
    pub async fn reset(&self, key: &str) {
        match &self.store {
            Store::Memory => {
                self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
            }
            Store::Shared { kv, prefix } => {
                if let Err(e) = kv.delete(cluster::key(prefix, key)).await {
                    tracing::error!(error = %e, "shared attempt limiter unavailable");
                }
            }
        }
    }
}

/// A leaky bucket's level at a time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Level {
    level: f64,
    at: f64,
}

/// One request into bucket `l` at `now`: the new level, and `Ok(level after)` or
/// `Err(seconds until one more fits)`.
fn leak(l: Option<Level>, now: f64, rate: f64, burst: f64) -> (Level, Result<f64, f64>) {
    let (level, at) = l.map(|l| (l.level, l.at)).unwrap_or((0.0, now));
    let drained = (level - (now - at).max(0.0) * rate).max(0.0);
    if drained + 1.0 > burst {
        return (
            Level {
                level: drained,
                at: now,
            },
            Err((drained + 1.0 - burst) / rate),
        );
    }
    (
        Level {
            level: drained + 1.0,
            at: now,
        },
        Ok(drained + 1.0),
    )
}

/// REST request limiter: a leaky bucket per caller. Each request adds one unit; the
/// bucket drains `rate` units per second; a request that would overflow `burst` is
/// refused (Bitrix24: 2/s, burst 50).
#[derive(Debug)]
pub struct LeakyBuckets<K = i64> {
    rate: f64,
    burst: f64,
    levels: Mutex<HashMap<K, Level>>,
    store: Store,
}

impl<K: std::hash::Hash + Eq + Clone + std::fmt::Display> LeakyBuckets<K> {
    /// Kept in this node's memory.
    pub fn new(rate: f64, burst: u32) -> Self {
        Self {
            rate,
            burst: burst as f64,
            levels: Mutex::new(HashMap::new()),
            store: Store::Memory,
        }
    }

    /// Kept in the shared bucket, under keys starting with `prefix`.
    pub fn shared(rate: f64, burst: u32, kv: kv::Store, prefix: &'static str) -> Self {
        Self {
            store: Store::Shared {
                kv: Box::new(kv),
                prefix,
            },
            ..Self::new(rate, burst)
        }
    }

    /// Takes one request for `key` at `now` (this node's memory).
    fn take_at(&self, key: K, now: f64) -> Result<f64, f64> {
        let mut levels = self.levels.lock().unwrap_or_else(|e| e.into_inner());
        if levels.len() > 100_000 {
            // Bounded memory: forget the buckets that have drained empty.
            let rate = self.rate;
            levels.retain(|_, l| l.level - (now - l.at) * rate > 0.0);
        }
        let (next, r) = leak(levels.get(&key).copied(), now, self.rate, self.burst);
        levels.insert(key, next);
        r
    }

    /// Takes one request for `key`: `Ok(level after)`, or `Err(seconds until one more
    /// fits)`.
    pub async fn take(&self, key: K) -> Result<f64, f64> {
        let Store::Shared { kv, prefix } = &self.store else {
            return self.take_at(key, wall_secs());
        };
        let (rate, burst) = (self.rate, self.burst);
        cluster::update(kv, &cluster::key(prefix, &key.to_string()), |l: Option<Level>| {
            let (next, r) = leak(l, wall_secs(), rate, burst);
            (Some(next), r)
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "shared REST limiter unavailable");
            Err(1.0)
        })
    }
}

/// Seconds a caller's calls of one method took in the current window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Spent {
    started: f64,
    used: f64,
}

/// `Ok((seconds used, seconds until the window resets))`, or `Err` with the same when
/// the budget is spent.
pub type BudgetCheck = Result<(f64, u64), (f64, u64)>;

/// The window of `s` at `now` (a new one when it is over) and its [`BudgetCheck`].
fn budget_at(s: Option<Spent>, now: f64, window: f64, limit: f64) -> (Spent, BudgetCheck) {
    let s = match s {
        Some(s) if now - s.started < window => s,
        _ => Spent {
            started: now,
            used: 0.0,
        },
    };
    let reset = (window - (now - s.started).max(0.0)).max(0.0) as u64;
    let r = if s.used > limit {
        Err((s.used, reset))
    } else {
        Ok((s.used, reset))
    };
    (s, r)
}

/// Bitrix24's "operating" budget: the seconds a caller's calls of one method may take in
/// ten minutes; past it, that method answers HTTP 429 `OPERATION_TIME_LIMIT` until the
/// window resets.
#[derive(Debug)]
pub struct OperatingBudget {
    limit_secs: f64,
    window: f64,
    used: Mutex<HashMap<(i64, String), Spent>>,
    store: Store,
}

impl OperatingBudget {
    /// Kept in this node's memory.
    pub fn new(limit_secs: f64, window: Duration) -> Self {
        Self {
            limit_secs,
            window: window.as_secs_f64(),
            used: Mutex::new(HashMap::new()),
            store: Store::Memory,
        }
    }

    /// Kept in the shared bucket, under keys starting with `prefix`.
    pub fn shared(limit_secs: f64, window: Duration, kv: kv::Store, prefix: &'static str) -> Self {
        Self {
            store: Store::Shared {
                kv: Box::new(kv),
                prefix,
            },
            ..Self::new(limit_secs, window)
        }
    }

    fn check_at(&self, key: i64, method: &str, now: f64) -> BudgetCheck {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let k = (key, method.to_string());
        let (s, r) = budget_at(used.get(&k).copied(), now, self.window, self.limit_secs);
        used.insert(k, s);
        r
    }

    fn spend_at(&self, key: i64, method: &str, secs: f64) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = used.get_mut(&(key, method.to_string())) {
            s.used += secs;
        }
    }

    /// Seconds used in the current window and the seconds until it resets; `Err` with
    /// the same when the budget is spent.
    pub async fn check(&self, key: i64, method: &str) -> BudgetCheck {
        let Store::Shared { kv, prefix } = &self.store else {
            return self.check_at(key, method, wall_secs());
        };
        let (window, limit) = (self.window, self.limit_secs);
        cluster::update(kv, &budget_key(prefix, key, method), |s: Option<Spent>| {
            let unchanged = s;
            let (s, r) = budget_at(s, wall_secs(), window, limit);
            // Written only when a window starts.
            ((unchanged != Some(s)).then_some(s), r)
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "shared operating budget unavailable");
            Ok((0.0, window as u64))
        })
    }

    /// Adds a call's processing time.
    pub async fn spend(&self, key: i64, method: &str, secs: f64) {
        let Store::Shared { kv, prefix } = &self.store else {
            return self.spend_at(key, method, secs);
        };
        let r = cluster::update(kv, &budget_key(prefix, key, method), |s: Option<Spent>| {
            (
                s.map(|s| Spent {
                    used: s.used + secs,
                    ..s
                }),
                (),
            )
        })
        .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "shared operating budget unavailable");
        }
    }
}

fn budget_key(prefix: &str, key: i64, method: &str) -> String {
    cluster::key(prefix, &format!("{key}\n{method}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn the_operating_budget_closes_a_method_until_its_window_resets() {
        let b = OperatingBudget::new(1.0, Duration::from_secs(600));
        let t0 = 1_000_000.0;
        assert_eq!(b.check_at(1, "m", t0), Ok((0.0, 600)));
        b.spend_at(1, "m", 0.7);
        assert!(b.check_at(1, "m", t0).is_ok());
        b.spend_at(1, "m", 0.7);
        assert_eq!(b.check_at(1, "m", t0 + 100.0), Err((1.4, 500)));
        // Other methods and callers are not affected; the window resets.
        assert!(b.check_at(1, "other", t0).is_ok());
        assert!(b.check_at(2, "m", t0).is_ok());
        assert_eq!(b.check_at(1, "m", t0 + 600.0), Ok((0.0, 600)));
    }

    #[test]
    fn a_leaky_bucket_allows_a_burst_then_the_drain_rate() {
        let b = LeakyBuckets::new(2.0, 50);
        let t0 = 1_000_000.0;
        for _ in 0..50 {
            assert!(b.take_at(1, t0).is_ok());
        }
        let wait = b.take_at(1, t0).unwrap_err();
        assert!((wait - 0.5).abs() < 1e-9, "{wait}");
        // Another caller has a bucket of their own.
        assert!(b.take_at(2, t0).is_ok());
        // Half a second drains one request.
        assert!(b.take_at(1, t0 + 0.5).is_ok());
        assert!(b.take_at(1, t0 + 0.5).is_err());
        // Ten seconds drain twenty.
        for _ in 0..20 {
            assert!(b.take_at(1, t0 + 10.5).is_ok());
        }
        assert!(b.take_at(1, t0 + 10.5).is_err());
    }

    #[test]
    fn blocks_after_max_attempts_until_the_window_passes() {
        let l = FailureLimiter::new(Duration::from_secs(60));
        let t0 = 1_000_000.0;
        for _ in 0..3 {
            assert_eq!(l.try_attempt_at(&[("k", 3)], t0), Ok(()));
        }
        assert_eq!(l.try_attempt_at(&[("k", 3)], t0 + 10.0), Err(50));
        assert_eq!(l.try_attempt_at(&[("other", 3)], t0), Ok(()));
        assert_eq!(l.try_attempt_at(&[("k", 3)], t0 + 61.0), Ok(()));
        assert_eq!(l.try_attempt_at(&[("k", 3)], t0 + 62.0), Ok(()));
    }

    #[test]
    fn attempts_are_counted_before_the_check_so_parallel_guesses_cannot_pass() {
        let l = std::sync::Arc::new(FailureLimiter::new(Duration::from_secs(60)));
        let passed = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        if block_on(l.try_attempt(&[("email:x", 5), ("ip:1", 100)])).is_ok() {
                            passed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        assert_eq!(passed.into_inner(), 5);
        // A blocked attempt counts nothing for the other key.
        assert!(block_on(l.try_attempt(&[("ip:1", 100)])).is_ok());
    }

    #[test]
    fn reset_clears_the_count_and_forgive_takes_one_back() {
        let l = FailureLimiter::new(Duration::from_secs(60));
        for _ in 0..5 {
            assert!(block_on(l.try_attempt(&[("k", 5)])).is_ok());
        }
        assert!(block_on(l.try_attempt(&[("k", 5)])).is_err());
        block_on(l.forgive("k"));
        assert!(block_on(l.try_attempt(&[("k", 5)])).is_ok());
        assert!(block_on(l.try_attempt(&[("k", 5)])).is_err());
        block_on(l.reset("k"));
        assert!(block_on(l.try_attempt(&[("k", 5)])).is_ok());
    }
}

/// Things in progress per key (a user's uploads): at most so many at once, each given
/// back when its [`Slot`] is dropped. Refused at once when full, so nobody waits in
/// line holding a connection.
#[derive(Clone, Default)]
pub struct Slots {
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, usize>>>,
}

/// One thing in progress; given back when dropped.
pub struct Slot {
    slots: Slots,
    key: i64,
}

impl Slots {
    /// A slot for one more of `key`, or `None` when it already holds `max`.
    pub fn take(&self, key: i64, max: usize) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            slots: self.clone(),
            key,
        })
    }

    /// How many `key` holds now.
    pub fn of(&self, key: i64) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&key).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod slot_tests {
    use super::*;

    #[test]
    fn a_key_gets_a_few_slots_and_others_are_not_held_up() {
        let s = Slots::default();
        let a = s.take(1, 2).unwrap();
        let _b = s.take(1, 2).unwrap();
        assert!(s.take(1, 2).is_none());
        assert!(s.take(2, 2).is_some());
        drop(a);
        assert_eq!(s.of(1), 1);
        assert!(s.take(1, 2).is_some());
    }
}

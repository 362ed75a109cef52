//! Attempt limiters (sign-ins per email and IP, registrations per IP): a fixed window per key.
//!
//! In memory on purpose: it protects one node against password guessing; a shared
//! store is only needed once several nodes serve sign-ins (planned with NATS/PostgreSQL).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Counts failures per key inside a time window.
#[derive(Debug)]
pub struct FailureLimiter {
    window: Duration,
    entries: Mutex<HashMap<String, Window>>,
}

impl FailureLimiter {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for each key **before** the password is checked, atomically
    /// with the check of the limit: `Err(seconds to wait)` when any key already has its
    /// maximum in the window (then nothing is counted). Parallel guesses cannot pass
    /// the limit: each takes its place under the lock. A successful sign-in takes its
    /// attempt back with [`FailureLimiter::reset`].
    pub fn try_attempt(&self, keys: &[(&str, u32)]) -> Result<(), u64> {
        self.try_attempt_at(keys, Instant::now())
    }

    fn try_attempt_at(&self, keys: &[(&str, u32)], now: Instant) -> Result<(), u64> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 100_000 {
            let window = self.window;
            entries.retain(|_, w| now.saturating_duration_since(w.started) < window);
        }
        for (key, max) in keys {
            if let Some(w) = entries.get(*key) {
                let elapsed = now.saturating_duration_since(w.started);
                if elapsed < self.window && w.failures >= *max {
                    return Err((self.window - elapsed).as_secs().max(1));
                }
            }
        }
        for (key, _) in keys {
            let w = entries.entry(key.to_string()).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.saturating_duration_since(w.started) >= self.window {
                *w = Window {
                    started: now,
                    failures: 0,
                };
            }
            w.failures += 1;
        }
        Ok(())
    }

    /// Takes one counted attempt of `key` back (a sign-in that succeeded is no failure).
    pub fn forgive(&self, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = entries.get_mut(key) {
            w.failures = w.failures.saturating_sub(1);
        }
    }

    /// Forgets `key` (after a successful sign-in).
    pub fn reset(&self, key: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

/// REST request limiter: a leaky bucket per caller. Each request adds one unit; the
/// bucket drains `rate` units per second; a request that would overflow `burst` is
/// refused (Bitrix24: 2/s, burst 50). In memory per node, like the sign-in limiter.
#[derive(Debug)]
pub struct LeakyBuckets<K = i64> {
    rate: f64,
    burst: f64,
    levels: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: std::hash::Hash + Eq + Clone> LeakyBuckets<K> {
    pub fn new(rate: f64, burst: u32) -> Self {
        Self {
            rate,
            burst: burst as f64,
            levels: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request for `key` at `now`: `Ok(level after)`, or `Err(seconds until
    /// one more fits)`.
    pub fn take_at(&self, key: K, now: Instant) -> Result<f64, f64> {
        let mut levels = self.levels.lock().unwrap_or_else(|e| e.into_inner());
        if levels.len() > 100_000 {
            // Bounded memory: forget the buckets that have drained empty.
            let rate = self.rate;
            levels.retain(|_, (level, at)| {
                *level - now.saturating_duration_since(*at).as_secs_f64() * rate > 0.0
            });
        }
        let (level, at) = levels.entry(key).or_insert((0.0, now));
        let drained = (*level - now.saturating_duration_since(*at).as_secs_f64() * self.rate).max(0.0);
        *at = now;
        if drained + 1.0 > self.burst {
            *level = drained;
            return Err((drained + 1.0 - self.burst) / self.rate);
        }
        *level = drained + 1.0;
        Ok(*level)
    }

    pub fn take(&self, key: K) -> Result<f64, f64> {
        self.take_at(key, Instant::now())
    }
}

/// Bitrix24's "operating" budget: the seconds a caller's calls of one method may take in
/// ten minutes; past it, that method answers HTTP 429 `OPERATION_TIME_LIMIT` until the
/// window resets.
#[derive(Debug)]
pub struct OperatingBudget {
    limit_secs: f64,
    window: Duration,
    used: Mutex<HashMap<(i64, String), (Instant, f64)>>,
}

impl OperatingBudget {
    pub fn new(limit_secs: f64, window: Duration) -> Self {
        Self {
            limit_secs,
            window,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds used in the current window and the seconds until it resets; `Err` with
    /// the same when the budget is spent.
    pub fn check(&self, key: i64, method: &str, now: Instant) -> Result<(f64, u64), (f64, u64)> {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let e = used.entry((key, method.to_string())).or_insert((now, 0.0));
        if now.saturating_duration_since(e.0) >= self.window {
            *e = (now, 0.0);
        }
        let reset = self
            .window
            .saturating_sub(now.saturating_duration_since(e.0))
            .as_secs();
        if e.1 > self.limit_secs {
            Err((e.1, reset))
        } else {
            Ok((e.1, reset))
        }
    }

    /// Adds a call's processing time.
    pub fn spend(&self, key: i64, method: &str, secs: f64) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = used.get_mut(&(key, method.to_string())) {
            e.1 += secs;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operating_budget_closes_a_method_until_its_window_resets() {
        let b = OperatingBudget::new(1.0, Duration::from_secs(600));
        let t0 = Instant::now();
        assert_eq!(b.check(1, "m", t0), Ok((0.0, 600)));
        b.spend(1, "m", 0.7);
        assert!(b.check(1, "m", t0).is_ok());
        b.spend(1, "m", 0.7);
        assert_eq!(b.check(1, "m", t0 + Duration::from_secs(100)), Err((1.4, 500)));
        // Other methods and callers are not affected; the window resets.
        assert!(b.check(1, "other", t0).is_ok());
        assert!(b.check(2, "m", t0).is_ok());
        assert_eq!(b.check(1, "m", t0 + Duration::from_secs(600)), Ok((0.0, 600)));
    }

    #[test]
    fn a_leaky_bucket_allows_a_burst_then_the_drain_rate() {
        let b = LeakyBuckets::new(2.0, 50);
        let t0 = Instant::now();
        for _ in 0..50 {
            assert!(b.take_at(1, t0).is_ok());
        }
        let wait = b.take_at(1, t0).unwrap_err();
        assert!((wait - 0.5).abs() < 1e-9, "{wait}");
        // Another caller has a bucket of their own.
        assert!(b.take_at(2, t0).is_ok());
        // Half a second drains one request.
        assert!(b.take_at(1, t0 + Duration::from_millis(500)).is_ok());
        assert!(b.take_at(1, t0 + Duration::from_millis(500)).is_err());
        // Ten seconds drain twenty.
        for _ in 0..20 {
            assert!(b.take_at(1, t0 + Duration::from_millis(10_500)).is_ok());
        }
        assert!(b.take_at(1, t0 + Duration::from_millis(10_500)).is_err());
    }

    #[test]
    fn blocks_after_max_attempts_until_the_window_passes() {
        let l = FailureLimiter::new(Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.try_attempt_at(&[("k", 3)], t0), Ok(()));
        }
        assert_eq!(
            l.try_attempt_at(&[("k", 3)], t0 + Duration::from_secs(10)),
            Err(50)
        );
        assert_eq!(l.try_attempt_at(&[("other", 3)], t0), Ok(()));
        assert_eq!(
            l.try_attempt_at(&[("k", 3)], t0 + Duration::from_secs(61)),
            Ok(())
        );
        assert_eq!(
            l.try_attempt_at(&[("k", 3)], t0 + Duration::from_secs(62)),
            Ok(())
        );
    }

    #[test]
    fn attempts_are_counted_before_the_check_so_parallel_guesses_cannot_pass() {
        let l = std::sync::Arc::new(FailureLimiter::new(Duration::from_secs(60)));
        let passed = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        if l.try_attempt(&[("email:x", 5), ("ip:1", 100)]).is_ok() {
                            passed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        assert_eq!(passed.into_inner(), 5);
        // A blocked attempt counts nothing for the other key.
        assert!(l.try_attempt(&[("ip:1", 100)]).is_ok());
    }

    #[test]
    fn reset_clears_the_count_and_forgive_takes_one_back() {
        let l = FailureLimiter::new(Duration::from_secs(60));
        for _ in 0..5 {
            assert!(l.try_attempt(&[("k", 5)]).is_ok());
        }
        assert!(l.try_attempt(&[("k", 5)]).is_err());
        l.forgive("k");
        assert!(l.try_attempt(&[("k", 5)]).is_ok());
        assert!(l.try_attempt(&[("k", 5)]).is_err());
        l.reset("k");
        assert!(l.try_attempt(&[("k", 5)]).is_ok());
    }
}

//! Failed sign-in limiter: a fixed window per key ("email:…" and "ip:…").
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

    /// `Some(seconds to wait)` when `key` already has `max` failures in the window.
    pub fn blocked_for(&self, key: &str, max: u32) -> Option<u64> {
        self.blocked_for_at(key, max, Instant::now())
    }

    fn blocked_for_at(&self, key: &str, max: u32, now: Instant) -> Option<u64> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let w = entries.get(key)?;
        let elapsed = now.saturating_duration_since(w.started);
        if elapsed >= self.window || w.failures < max {
            return None;
        }
        Some((self.window - elapsed).as_secs().max(1))
    }

    /// Records one failure for `key`.
    pub fn record_failure(&self, key: &str) {
        self.record_failure_at(key, Instant::now());
    }

    fn record_failure_at(&self, key: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 100_000 {
            let window = self.window;
            entries.retain(|_, w| now.saturating_duration_since(w.started) < window);
        }
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

    /// Forgets `key` (after a successful sign-in).
    pub fn reset(&self, key: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_passes() {
        let l = FailureLimiter::new(Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.blocked_for_at("k", 3, t0), None);
            l.record_failure_at("k", t0);
        }
        assert_eq!(l.blocked_for_at("k", 3, t0 + Duration::from_secs(10)), Some(50));
        assert_eq!(l.blocked_for_at("other", 3, t0), None);
        assert_eq!(l.blocked_for_at("k", 3, t0 + Duration::from_secs(61)), None);
        l.record_failure_at("k", t0 + Duration::from_secs(61));
        assert_eq!(l.blocked_for_at("k", 3, t0 + Duration::from_secs(62)), None);
    }

    #[test]
    fn reset_clears_the_count() {
        let l = FailureLimiter::new(Duration::from_secs(60));
        for _ in 0..5 {
            l.record_failure("k");
        }
        assert!(l.blocked_for("k", 5).is_some());
        l.reset("k");
        assert!(l.blocked_for("k", 5).is_none());
    }
}

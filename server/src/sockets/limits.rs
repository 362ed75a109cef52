//! A socket's own bounds: a token bucket for its frames and, per conversation, the
//! window of seqs it has sent (so nothing goes out twice).

use std::time::Instant;

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
pub(super) struct Bucket {
    pub(super) tokens: f64,
    pub(super) rate: f64,
    pub(super) burst: f64,
    pub(super) at: Instant,
}

impl Bucket {
    pub(super) fn new(rate: f64, burst: u32) -> Self {
        Self {
            tokens: burst as f64,
            rate,
            burst: burst as f64,
            at: Instant::now(),
        }
    }

    /// Takes one token, or says in how many seconds one will be there.
    pub(super) fn take(&mut self) -> Result<(), u64> {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - self.tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

/// The messages of one conversation a socket has sent: exactly the seqs in
/// `(low, high]`. Live events extend it upwards; a replay from an earlier point extends
/// it downwards once it has finished. Nothing inside it is ever sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Window {
    pub(super) low: i64,
    pub(super) high: i64,
}

impl Window {
    pub(super) fn at(seq: i64) -> Self {
        Self { low: seq, high: seq }
    }

    /// Whether message `seq` goes out (and is then counted as sent). After a jump (an
    /// inbox's channel feed shows only what happens while it is open) what lies below
    /// is no longer claimed; a lagging follower is caught up from the store before the
    /// live events that follow the lag, so it never jumps.
    pub(super) fn admit(&mut self, seq: i64) -> bool {
        if seq > self.low && seq <= self.high {
            return false;
        }
        if seq > self.high {
            if seq > self.high + 1 {
                self.low = seq - 1;
            }
            self.high = seq;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_sends_each_seq_once() {
        // An inbox saw 10 live, then resumes from 7: 8 and 9 go out, 10 does not.
        let mut w = Window::at(9);
        assert!(w.admit(10));
        assert_eq!(w, Window { low: 9, high: 10 });
        // The replay from 7 (the resume then lowers the floor to 7).
        assert!(w.admit(8));
        assert!(w.admit(9));
        assert!(!w.admit(10));
        w.low = 7;
        assert!(!w.admit(8));
        assert!(!w.admit(10));
        assert!(w.admit(11));
        assert_eq!(w, Window { low: 7, high: 11 });
        // A feed that jumps no longer claims what lies below.
        let mut f = Window::at(0);
        assert!(f.admit(1));
        assert!(f.admit(5));
        assert_eq!(f, Window { low: 4, high: 5 });
        assert!(f.admit(3));
        assert!(!f.admit(5));
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let mut b = Bucket::new(10.0, 3);
        assert!(b.take().is_ok());
        assert!(b.take().is_ok());
        assert!(b.take().is_ok());
        assert_eq!(b.take(), Err(1));
        b.at -= std::time::Duration::from_millis(150);
        assert!(b.take().is_ok());
    }
}

//! [`Backoff`]: exponential delays with jitter, the one backoff of solo (the retry layer and
//! the worker's pollers both use it).

use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

/// Exponential backoff with jitter: the delay before retry `n` is
/// `initial × multiplierⁿ⁻¹`, capped at `max`, then multiplied by a random factor in
/// `[1 - jitter, 1 + jitter]`.
///
/// ```
/// use std::time::Duration;
/// use solo_connect::Backoff;
///
/// let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
/// let first = backoff.next_delay();
/// assert!(first >= Duration::from_millis(160) && first <= Duration::from_millis(240));
/// backoff.reset(); // after a success
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    multiplier: f64,
    jitter: f64,
    retries: u32,
}

impl Backoff {
    /// Starts at `initial`, doubles up to `max`, with ±20 % jitter.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            multiplier: 2.0,
            jitter: 0.2,
            retries: 0,
        }
    }

    /// Sets the factor between consecutive delays (at least 1). Default: 2.
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// Sets the jitter, clamped to `0.0..=1.0`. Default: 0.2.
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// The delay before the next retry; each call counts one retry.
    pub fn next_delay(&mut self) -> Duration {
        self.retries = self.retries.saturating_add(1);
        self.jittered(self.base(self.retries), random_sample())
    }

    /// Starts again from the initial delay (after a success).
    pub fn reset(&mut self) {
        self.retries = 0;
    }

    /// How many delays were handed out since the start or the last [`reset`](Self::reset).
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The delay before retry number `retry` (1 for the first), without jitter.
    pub(crate) fn base(&self, retry: u32) -> Duration {
        let exponent = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.initial.as_secs_f64() * self.multiplier.max(1.0).powi(exponent);
        Duration::try_from_secs_f64(secs)
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// `delay` scaled by the jitter factor for `sample`, a number in `[0, 1)`.
    pub(crate) fn jittered(&self, delay: Duration, sample: f64) -> Duration {
        let jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        delay.mul_f64(1.0 - jitter + 2.0 * jitter * sample)
    }
}

/// A random number in `[0, 1)`, from the standard library's randomly keyed hasher (random
/// enough for jitter, and no dependency).
pub(crate) fn random_sample() -> f64 {
    let bits = RandomState::new().hash_one(Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_a_cap_with_jitter() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let ms = |d: Duration| d.as_millis();
        assert_eq!(ms(b.base(1)), 100);
        assert_eq!(ms(b.base(2)), 200);
        assert_eq!(ms(b.base(30)), 1000);
        assert_eq!(ms(b.base(u32::MAX)), 1000);
        assert_eq!(ms(b.jittered(b.base(1), 0.0)), 80);
        assert_eq!(ms(b.jittered(b.base(1), 0.5)), 100);
        assert!(ms(b.jittered(b.base(1), 0.999_999)) >= 119);
        let none = b.clone().jitter(f64::NAN);
        assert_eq!(ms(none.jittered(none.base(1), 0.0)), 100);
    }

    #[test]
    fn next_delay_counts_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(160) && first <= Duration::from_millis(240));
        for _ in 0..20 {
            assert!(b.next_delay() <= Duration::from_secs(12));
        }
        assert_eq!(b.retries(), 21);
        b.reset();
        assert_eq!(b.retries(), 0);
        assert!(b.next_delay() <= Duration::from_millis(240));
        let sample = random_sample();
        assert!((0.0..1.0).contains(&sample));
    }
}

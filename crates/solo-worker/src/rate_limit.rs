//! A local rate limiter: at most N task starts per second, evenly spaced.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Spaces out calls to [`RateLimiter::acquire`] so that at most `rate` complete per second.
///
/// There is no burst allowance: consecutive calls are at least `1 / rate` apart. Cancelling an
/// `acquire` future gives up the reserved turn (the next caller waits as if it had been used),
/// which only ever makes the limiter stricter.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `rate` calls per second; `rate` must be positive and finite.
    pub(crate) fn per_second(rate: f64) -> Self {
        let interval = Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::ZERO);
        RateLimiter {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Waits for the next turn.
    pub(crate) async fn acquire(&self) {
        let now = Instant::now();
        let at = {
            // A poisoned lock only means another caller panicked between two statements that
            // cannot panic; the stored instant is still valid.
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval);
            at
        };
        if at > now {
            tokio::time::sleep_until(at).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_evenly() {
        let limiter = RateLimiter::per_second(10.0);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        // The first call is immediate, the next four wait 100 ms each (virtual time).
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_does_not_build_a_burst() {
        let limiter = RateLimiter::per_second(2.0);
        limiter.acquire().await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        limiter.acquire().await;
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(500));
    }
}

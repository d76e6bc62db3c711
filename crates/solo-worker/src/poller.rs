//! The pollers: each waits for a free slot, then long-polls the task queue and hands the task
//! (with its slot) to a new activity task.
//!
//! The number of pollers follows [`PollerBehavior`]: fixed, or scaled by the server's
//! suggestions. A poller that finds more pollers running than the current target exits.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio_util::task::TaskTracker;

use crate::error::WorkerError;
use crate::options::PollerBehavior;
use crate::raw::TaskError;
use crate::worker::Shared;

/// The first delay after a failed poll.
const BACKOFF_INITIAL: Duration = Duration::from_millis(200);
/// The longest delay between failed polls.
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// Tracks the target and actual number of pollers.
#[derive(Debug)]
pub(crate) struct Scaler {
    minimum: usize,
    maximum: usize,
    target: AtomicUsize,
    active: AtomicUsize,
    saw_suggestion: AtomicBool,
}

impl Scaler {
    pub(crate) fn new(behavior: PollerBehavior) -> Self {
        let (minimum, maximum, initial) = match behavior {
            PollerBehavior::Fixed(n) => (n, n, n),
            PollerBehavior::Autoscaling {
                minimum,
                maximum,
                initial,
            } => (minimum, maximum, initial),
        };
        Scaler {
            minimum,
            maximum,
            target: AtomicUsize::new(initial),
            active: AtomicUsize::new(0),
            saw_suggestion: AtomicBool::new(false),
        }
    }

    pub(crate) fn target(&self) -> usize {
        self.target.load(Ordering::Acquire)
    }

    fn adjust(&self, f: impl Fn(usize) -> usize) {
        let _ = self
            .target
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(f(t).clamp(self.minimum, self.maximum))
            });
    }

    /// A task arrived, maybe with a suggestion from the server.
    pub(crate) fn on_task(&self, suggestion: Option<i32>) {
        if let Some(delta) = suggestion {
            self.saw_suggestion.store(true, Ordering::Release);
            let magnitude = delta.unsigned_abs() as usize;
            if delta > 0 {
                self.adjust(|t| t.saturating_add(magnitude));
            } else {
                self.adjust(|t| t.saturating_sub(magnitude));
            }
        }
    }

    /// A poll expired without a task. Scale down only once the server has shown it makes
    /// suggestions, so that a server that never does cannot shrink the pollers for good.
    pub(crate) fn on_empty(&self) {
        if self.saw_suggestion.load(Ordering::Acquire) {
            self.adjust(|t| t.saturating_sub(1));
        }
    }

    /// A poll failed; the server being overloaded halves the pollers.
    pub(crate) fn on_error(&self, resource_exhausted: bool) {
        if resource_exhausted {
            self.adjust(|t| t / 2);
        }
    }

    /// Reserves a place for a new poller if fewer than the target are running.
    pub(crate) fn claim(&self) -> bool {
        self.active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| {
                (a < self.target()).then_some(a + 1)
            })
            .is_ok()
    }

    /// Gives up this poller's place if more than the target are running.
    pub(crate) fn release_if_over(&self) -> bool {
        self.active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| {
                (a > self.target()).then_some(a - 1)
            })
            .is_ok()
    }

    /// How many pollers are running.
    pub(crate) fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    fn release(&self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Starts pollers up to the scaler's target.
pub(crate) fn start(shared: &Arc<Shared>, scaler: &Arc<Scaler>, pollers: &TaskTracker) {
    while scaler.claim() {
        pollers.spawn(poll_loop(shared.clone(), scaler.clone(), pollers.clone()));
    }
}

/// Exponential backoff with ±20 % jitter.
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Self {
        Backoff {
            next: BACKOFF_INITIAL,
        }
    }

    fn reset(&mut self) {
        self.next = BACKOFF_INITIAL;
    }

    fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (base * 2).min(BACKOFF_MAX);
        // A randomly keyed hasher is random enough for jitter.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0);
        let unit = (hasher.finish() % 1000) as f64 / 1000.0;
        base.mul_f64(0.8 + 0.4 * unit)
    }
}

/// Whether a poll error cannot be fixed by waiting (credentials, configuration, a server
/// without the feature).
fn is_fatal(error: &TaskError) -> bool {
    use tonic::Code;
    matches!(
        error.code(),
        Code::Unauthenticated
            | Code::PermissionDenied
            | Code::InvalidArgument
            | Code::Unimplemented
            | Code::NotFound
    )
}

async fn poll_loop(shared: Arc<Shared>, scaler: Arc<Scaler>, pollers: TaskTracker) {
    let mut backoff = Backoff::new();
    loop {
        if shared.stop_polling.is_cancelled() {
            break;
        }
        if scaler.release_if_over() {
            return;
        }
        // A slot first: the worker only asks for work it can start now.
        let permit = tokio::select! {
            permit = shared.slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shared.stop_polling.cancelled() => break,
        };
        if let Some(limiter) = &shared.rate_limiter {
            tokio::select! {
                _ = limiter.acquire() => {}
                _ = shared.stop_polling.cancelled() => break,
            }
        }
        let polled = tokio::select! {
            polled = shared.poller.poll() => polled,
            _ = shared.interrupt_polls.cancelled() => break,
        };
        match polled {
            Ok(Some(task)) => {
                shared.on_poll(crate::PollOutcome::Task);
                backoff.reset();
                scaler.on_task(task.poller_delta_suggestion);
                crate::task::spawn(&shared, task, permit);
                start(&shared, &scaler, &pollers);
            }
            Ok(None) => {
                shared.on_poll(crate::PollOutcome::Empty);
                backoff.reset();
                scaler.on_empty();
            }
            Err(error) if is_fatal(&error) => {
                shared.on_poll(crate::PollOutcome::Failed(error.code()));
                tracing::error!(error = %error, "polling failed and cannot succeed by retrying; stopping the worker");
                shared.stop_with(WorkerError::Poll {
                    task_queue: shared.task_queue.clone(),
                    reason: error.to_string(),
                });
                break;
            }
            Err(error) => {
                shared.on_poll(crate::PollOutcome::Failed(error.code()));
                drop(permit);
                scaler.on_error(error.code() == tonic::Code::ResourceExhausted);
                let delay = backoff.next_delay();
                tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "polling failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shared.stop_polling.cancelled() => break,
                }
            }
        }
    }
    scaler.release();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaler(min: usize, max: usize, initial: usize) -> Scaler {
        Scaler::new(PollerBehavior::Autoscaling {
            minimum: min,
            maximum: max,
            initial,
        })
    }

    #[test]
    fn starts_at_the_initial_count() {
        let s = scaler(1, 10, 3);
        let started = std::iter::from_fn(|| s.claim().then_some(())).count();
        assert_eq!(started, 3);
        assert!(!s.release_if_over());
    }

    #[test]
    fn follows_suggestions_within_bounds() {
        let s = scaler(2, 10, 5);
        s.on_empty();
        assert_eq!(s.target(), 5, "no scale-down before any suggestion");
        s.on_task(Some(3));
        assert_eq!(s.target(), 8);
        s.on_task(Some(100));
        assert_eq!(s.target(), 10);
        s.on_task(Some(-4));
        assert_eq!(s.target(), 6);
        s.on_empty();
        assert_eq!(s.target(), 5);
        s.on_error(true);
        assert_eq!(s.target(), 2);
        s.on_error(true);
        assert_eq!(s.target(), 2, "never below the minimum");
        s.on_task(None);
        assert_eq!(s.target(), 2);
    }

    #[test]
    fn pollers_above_the_target_exit() {
        let s = scaler(1, 10, 4);
        while s.claim() {}
        s.on_task(Some(-2));
        assert!(s.release_if_over());
        assert!(s.release_if_over());
        assert!(!s.release_if_over());
    }

    #[test]
    fn fixed_pollers_ignore_suggestions() {
        let s = Scaler::new(PollerBehavior::Fixed(3));
        s.on_task(Some(5));
        s.on_error(true);
        assert_eq!(s.target(), 3);
    }

    #[test]
    fn backoff_grows_to_a_cap_with_jitter() {
        let mut b = Backoff::new();
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(160) && first <= Duration::from_millis(240));
        for _ in 0..20 {
            assert!(b.next_delay() <= BACKOFF_MAX.mul_f64(1.2));
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(240));
    }
}

//! [`Scaler`]: how many pollers a worker runs — the target, following [`PollerBehavior`] and
//! the server's suggestions, and the count running now.
//!
//! A poller that finds more pollers running than the current target exits.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::options::PollerBehavior;

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

    /// Gives up this poller's place (it is exiting).
    pub(crate) fn release(&self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
    }
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
}

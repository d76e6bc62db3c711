//! [`Outage`]: one outage at a time, so that a retry loop logs when an outage begins and when
//! it ends — not once per attempt.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Whether something is failing now, and since when. Shared by every loop that retries the
/// same thing (the calls of a connection, the pollers of a worker).
#[derive(Debug, Default)]
pub struct Outage {
    /// Fast path: `true` while an outage is recorded.
    down: AtomicBool,
    /// When the outage began.
    since: Mutex<Option<Instant>>,
}

impl Outage {
    /// Records a failure. Returns `true` when it begins an outage (log it), `false` when one
    /// was already recorded.
    pub fn begin(&self) -> bool {
        let mut since = self.since.lock().unwrap_or_else(|p| p.into_inner());
        if since.is_some() {
            return false;
        }
        *since = Some(Instant::now());
        self.down.store(true, Ordering::Release);
        true
    }

    /// Records a success. Returns how long the outage lasted when it ends one (log it), `None`
    /// when none was recorded. Costs one atomic load in the common case.
    pub fn end(&self) -> Option<Duration> {
        if !self.down.load(Ordering::Acquire) {
            return None;
        }
        let mut since = self.since.lock().unwrap_or_else(|p| p.into_inner());
        let began = since.take()?;
        self.down.store(false, Ordering::Release);
        Some(began.elapsed())
    }

    /// Whether an outage is recorded now.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_outage_is_recorded_once() {
        let outage = Outage::default();
        assert_eq!(outage.end(), None);
        assert!(outage.begin());
        assert!(!outage.begin(), "the second failure adds nothing");
        assert!(outage.is_down());
        assert!(outage.end().is_some());
        assert!(!outage.is_down());
        assert_eq!(outage.end(), None);
        assert!(outage.begin(), "a new outage after recovery");
    }
}

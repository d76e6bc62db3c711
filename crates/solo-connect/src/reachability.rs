//! [`Reachability`]: whether a connection's server answers, as its calls last saw it, so that
//! an outage is logged once when it starts and once when it ends — not once per retry.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The reachability of one server address, shared by every call of a connection.
#[derive(Debug)]
pub(crate) struct Reachability {
    address: String,
    /// Fast path: `true` while an outage is recorded.
    down: AtomicBool,
    /// When the outage began.
    since: Mutex<Option<Instant>>,
}

impl Reachability {
    pub(crate) fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            down: AtomicBool::new(false),
            since: Mutex::new(None),
        }
    }

    /// A call could not reach the server (a transport failure or `UNAVAILABLE`): logs one
    /// WARN if no outage was recorded yet. Returns whether this call began the outage.
    pub(crate) fn unreachable(&self, error: &dyn std::fmt::Display) -> bool {
        let mut since = self
            .since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if since.is_some() {
            return false;
        }
        *since = Some(Instant::now());
        self.down.store(true, Ordering::Release);
        tracing::warn!(
            address = %self.address,
            error = %error,
            "the Temporal server is unreachable; calls are retried with backoff until it answers (within each call's retry budget; waiting calls until their caller stops waiting)"
        );
        true
    }

    /// A call got an answer from the server: logs one INFO if an outage was recorded.
    /// Costs one atomic load when none was.
    pub(crate) fn answered(&self) {
        if !self.down.load(Ordering::Acquire) {
            return;
        }
        let mut since = self
            .since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(began) = since.take() {
            self.down.store(false, Ordering::Release);
            tracing::info!(
                address = %self.address,
                outage_ms = began.elapsed().as_millis() as u64,
                "the Temporal server answers again"
            );
        }
    }

    /// Whether an outage is recorded now.
    #[cfg(test)]
    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_outage_is_recorded_once() {
        let r = Reachability::new("127.0.0.1:1");
        assert!(!r.is_down());
        assert!(r.unreachable(&"refused"));
        assert!(
            !r.unreachable(&"refused"),
            "the second failure adds nothing"
        );
        assert!(r.is_down());
        r.answered();
        assert!(!r.is_down());
        assert!(r.unreachable(&"reset"), "a new outage after recovery");
    }
}

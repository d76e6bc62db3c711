//! Cancelling one attempt: why it was cancelled ([`CancellationReason`]) and the token that
//! carries it ([`CancelState`]), shared by the attempt's context, its heartbeats and the task
//! that runs it.

use std::fmt;
use std::sync::OnceLock;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Why an activity's cancellation fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CancellationReason {
    /// A client asked to cancel the activity (delivered through a heartbeat response). Return
    /// [`Cancelled`](solo_client::Cancelled) to report the activity as cancelled; returning a
    /// value completes it anyway.
    Requested,
    /// The server no longer knows this attempt: it timed out, was terminated, or a newer attempt
    /// replaced it. Nothing the activity returns is reported.
    NotFound,
    /// The attempt's start-to-close (or schedule-to-close) timeout passed on the worker's
    /// clock. The server times the attempt out on its own; nothing is reported.
    TimedOut,
    /// The worker is shutting down and the graceful shutdown period is over. The attempt is
    /// reported as a retryable failure of type `WorkerShutdown`, so another worker retries it.
    WorkerShutdown,
    /// An operator paused the activity (`ActivityHandle::pause`, `temporal activity pause`;
    /// delivered through a heartbeat response). Return
    /// [`Cancelled`](solo_client::Cancelled) (or any error) to stop: the attempt is reported
    /// as a retryable failure of type `ActivityPause` and the server holds the activity until
    /// it is unpaused. Returning a value completes it anyway.
    Paused,
    /// An operator reset the activity (`ActivityHandle::reset`, `temporal activity reset`;
    /// delivered through a heartbeat response). Return [`Cancelled`](solo_client::Cancelled)
    /// (or any error) to stop: the attempt is reported as a retryable failure of type
    /// `ActivityReset` and the server runs the activity again from attempt 1. Returning a
    /// value completes it anyway.
    Reset,
}

impl fmt::Display for CancellationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CancellationReason::Requested => "cancellation was requested",
            CancellationReason::NotFound => "the server no longer knows this attempt",
            CancellationReason::TimedOut => "the attempt's timeout passed",
            CancellationReason::WorkerShutdown => "the worker is shutting down",
            CancellationReason::Paused => "the activity was paused",
            CancellationReason::Reset => "the activity was reset",
        })
    }
}

/// The cancellation state of one attempt: the reason it fired for (set once: whether it
/// fired is whether there is one), the activity's waiters, and a token for code that takes
/// one.
///
/// An activity that waits for cancellation in a loop (`select!` on `cancelled()` and a timer)
/// makes a new wait at every turn, so waiting costs one atomic read and one registration with
/// `notify`; the token (a separate, locked node) is touched only by its own users.
#[derive(Debug, Default)]
pub(crate) struct CancelState {
    reason: OnceLock<CancellationReason>,
    notify: Notify,
    token: CancellationToken,
}

impl CancelState {
    /// Cancels with `reason`; the first reason given wins.
    pub(crate) fn cancel(&self, reason: CancellationReason) {
        let _ = self.reason.set(reason);
        // Wakes every wait created before this point (see `cancelled`).
        self.notify.notify_waiters();
        self.token.cancel();
    }

    /// Why the attempt was cancelled, or `None` if it was not.
    pub(crate) fn reason(&self) -> Option<CancellationReason> {
        self.reason.get().copied()
    }

    /// Whether the attempt was cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.reason.get().is_some()
    }

    /// Completes when the attempt is cancelled.
    pub(crate) async fn cancelled(&self) {
        // The wait is created before the reason is read: a cancel after the read wakes it
        // even before it is first polled (`notify_waiters` wakes every wait created before
        // it), and a cancel before the read is seen by the read.
        let notified = self.notify.notified();
        if self.is_cancelled() {
            return;
        }
        notified.await;
    }

    /// A token cancelled with the attempt; cancelling it does not cancel the attempt.
    pub(crate) fn child_token(&self) -> CancellationToken {
        self.token.child_token()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn every_wait_ends_when_the_attempt_is_cancelled() {
        let state = Arc::new(CancelState::default());
        let waits: Vec<_> = (0..3)
            .map(|_| {
                let state = state.clone();
                tokio::spawn(async move { state.cancelled().await })
            })
            .collect();
        let token = state.child_token();
        tokio::task::yield_now().await;
        assert!(!state.is_cancelled());
        state.cancel(CancellationReason::Requested);
        state.cancel(CancellationReason::TimedOut);
        for wait in waits {
            tokio::time::timeout(Duration::from_secs(5), wait)
                .await
                .expect("a wait outlived the cancel")
                .unwrap();
        }
        assert!(state.is_cancelled());
        assert_eq!(
            state.reason(),
            Some(CancellationReason::Requested),
            "the first reason wins"
        );
        assert!(token.is_cancelled());
        // A wait begun after the cancel ends at once.
        tokio::time::timeout(Duration::from_secs(5), state.cancelled())
            .await
            .expect("a wait after the cancel did not end");
    }

    #[tokio::test]
    async fn a_wait_made_before_the_cancel_but_polled_after_it_ends() {
        let state = CancelState::default();
        let wait = state.cancelled();
        state.cancel(CancellationReason::WorkerShutdown);
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .expect("the wait missed the cancel");
    }
}

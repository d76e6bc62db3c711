//! Cancelling one attempt: why it was cancelled ([`CancellationReason`]) and the token that
//! carries it ([`CancelState`]), shared by the attempt's context, its heartbeats and the task
//! that runs it.

use std::fmt;
use std::sync::OnceLock;

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

/// The cancellation state of one attempt: a token and the reason it fired for.
#[derive(Debug, Default)]
pub(crate) struct CancelState {
    token: CancellationToken,
    reason: OnceLock<CancellationReason>,
}

impl CancelState {
    /// Cancels with `reason`; the first reason given wins.
    pub(crate) fn cancel(&self, reason: CancellationReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    /// Why the attempt was cancelled, or `None` if it was not.
    pub(crate) fn reason(&self) -> Option<CancellationReason> {
        self.reason.get().copied()
    }

    /// Whether the attempt was cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes when the attempt is cancelled.
    pub(crate) async fn cancelled(&self) {
        self.token.cancelled().await
    }

    /// A token cancelled with the attempt; cancelling it does not cancel the attempt.
    pub(crate) fn child_token(&self) -> CancellationToken {
        self.token.child_token()
    }
}

//! Cancelling one attempt: why it was cancelled ([`CancellationReason`]) and the token that
//! carries it ([`CancelState`]), shared by the attempt's context, its heartbeats and the task
//! that runs it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake};

use futures_util::task::AtomicWaker;
use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio_util::sync::CancellationToken;

use crate::execute::WakeFlag;

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
/// makes a new wait at every turn. The first wait alive at a time takes the `first` slot: it
/// registers its waker there with two atomic operations, no lock and no clone of an unchanged
/// waker. Waits made while the slot is taken (several tasks waiting at once) queue in
/// `notify`. The token (a separate, locked node) is touched only by its own users.
#[derive(Debug, Default)]
pub(crate) struct CancelState {
    reason: OnceLock<CancellationReason>,
    /// The waker of the wait holding the slot, if one does.
    first: AtomicWaker,
    /// Whether a wait holds the `first` slot.
    first_taken: AtomicBool,
    notify: Notify,
    token: CancellationToken,
    /// The attempt's timeout and shutdown watch (see [`crate::execute`]): this state is its
    /// waker.
    watch: WakeFlag,
}

impl Wake for CancelState {
    fn wake(self: Arc<Self>) {
        self.watch.wake();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.watch.wake();
    }
}

impl CancelState {
    /// Cancels with `reason`; the first reason given wins.
    pub(crate) fn cancel(&self, reason: CancellationReason) {
        let _ = self.reason.set(reason);
        // After the reason is set: a wait reads the reason after registering, so either it
        // sees the reason or its registration is there to be woken.
        self.first.wake();
        // Wakes every queued wait created before this point (see `Cancelled::poll`).
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
    pub(crate) fn cancelled(&self) -> Cancelled<'_> {
        Cancelled {
            state: self,
            wait: None,
        }
    }

    /// A token cancelled with the attempt; cancelling it does not cancel the attempt.
    pub(crate) fn child_token(&self) -> CancellationToken {
        self.token.child_token()
    }

    /// The flag of the attempt's timeout and shutdown watch.
    pub(crate) fn watch(&self) -> &WakeFlag {
        &self.watch
    }
}

/// A wait for an attempt's cancellation ([`CancelState::cancelled`]).
pub(crate) struct Cancelled<'a> {
    state: &'a CancelState,
    /// Where it is registered (`None` until it is first polled).
    wait: Option<Wait<'a>>,
}

/// Where a [`Cancelled`] wait is registered.
enum Wait<'a> {
    /// In the state's `first` slot (released on drop).
    First,
    /// Queued in the state's `notify` (boxed: `Notified` must not move once polled).
    Queued(Pin<Box<Notified<'a>>>),
}

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let state = self.state;
        if state.is_cancelled() {
            return Poll::Ready(());
        }
        let wait = self.wait.get_or_insert_with(|| {
            if state
                .first_taken
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                Wait::First
            } else {
                // Made before the reason is read again below: a cancel after that read wakes
                // it (`notify_waiters` wakes every wait made before it).
                Wait::Queued(Box::pin(state.notify.notified()))
            }
        });
        match wait {
            Wait::First => state.first.register(cx.waker()),
            Wait::Queued(notified) => {
                if notified.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(());
                }
            }
        }
        // Registered before this read: a cancel after it wakes the registration.
        if state.is_cancelled() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Cancelled<'_> {
    fn drop(&mut self) {
        if let Some(Wait::First) = self.wait {
            self.state.first_taken.store(false, Ordering::Release);
        }
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

    /// Counts the wakes it receives.
    #[derive(Default)]
    struct Wakes(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_wait_remade_at_every_turn_keeps_the_slot_and_is_woken() {
        let state = CancelState::default();
        let wakes = Arc::new(Wakes::default());
        let waker = std::task::Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        for _ in 0..3 {
            // A select! loop: a new wait each turn, polled, then dropped when the timer wins.
            let mut wait = Box::pin(state.cancelled());
            assert!(wait.as_mut().poll(&mut cx).is_pending());
            assert!(
                matches!(wait.wait, Some(Wait::First)),
                "the slot was not released"
            );
        }
        let mut first = Box::pin(state.cancelled());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        // A second wait alive at the same time queues behind the first.
        let mut second = Box::pin(state.cancelled());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        assert!(matches!(second.wait, Some(Wait::Queued(_))));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
        state.cancel(CancellationReason::Requested);
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            2,
            "both waits are woken by the cancel"
        );
        assert!(first.as_mut().poll(&mut cx).is_ready());
        assert!(second.as_mut().poll(&mut cx).is_ready());
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

//! Running an attempt's activity to its end: catching panics, cancelling it when its local
//! deadline passes, and abandoning it when the shutdown grace period ends.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::FutureExt;
use futures_util::task::AtomicWaker;
use solo_client::ActivityError;
use solo_proto::temporal::api::common::v1::Payload;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cancellation::{CancelState, CancellationReason};

/// How an attempt ended, before deciding what to report.
pub(crate) enum Outcome {
    /// The activity returned.
    Returned(Result<Payload, ActivityError>),
    /// The activity panicked.
    Panicked(Box<dyn Any + Send>),
    /// The shutdown grace period ended and the activity did not stop at once.
    Abandoned,
}

/// Runs the activity to its end, cancelling it when its local deadline passes and abandoning
/// it when `abort` (the end of the shutdown grace period) fires.
pub(crate) async fn execute<F>(
    call: F,
    cancel: &CancelState,
    deadline: Option<Instant>,
    abort: &CancellationToken,
) -> Outcome
where
    F: std::future::Future<Output = Result<Payload, ActivityError>> + Send,
{
    let call = AssertUnwindSafe(call).catch_unwind();
    tokio::pin!(call);
    // Every attempt of the worker waits on the same abort token: polled at each wake of the
    // attempt, it would lock the token's shared state every time (a heartbeating attempt
    // wakes every second), so it is polled only when it wakes the attempt itself.
    let abort_wait = abort.cancelled();
    tokio::pin!(abort_wait);
    let mut aborted = WhenWoken::new(abort_wait.as_mut());
    let timer = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(timer);
    let mut timed_out = false;
    loop {
        tokio::select! {
            biased;
            result = &mut call => {
                return match result {
                    Ok(r) => Outcome::Returned(r),
                    Err(panic) => Outcome::Panicked(panic),
                };
            }
            _ = &mut aborted => {
                cancel.cancel(CancellationReason::WorkerShutdown);
                // One more poll: an activity that stops as soon as it is cancelled gets to
                // say so; one that does not is abandoned.
                return tokio::select! {
                    biased;
                    result = &mut call => match result {
                        Ok(r) => Outcome::Returned(r),
                        Err(panic) => Outcome::Panicked(panic),
                    },
                    _ = std::future::ready(()) => Outcome::Abandoned,
                };
            }
            _ = &mut timer, if !timed_out => {
                timed_out = true;
                tracing::info!("the attempt's timeout passed; cancelling it");
                cancel.cancel(CancellationReason::TimedOut);
            }
        }
    }
}

/// Polls its future only on the first poll and after the future's own waker fired, so a task
/// woken for another reason does not touch the future's state.
struct WhenWoken<F> {
    future: F,
    flag: Arc<WakeFlag>,
}

/// Whether the wrapped future asked to be polled, and the task to wake for it.
struct WakeFlag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<F: Future + Unpin> WhenWoken<F> {
    fn new(future: F) -> Self {
        WhenWoken {
            future,
            flag: Arc::new(WakeFlag {
                woken: AtomicBool::new(true),
                task: AtomicWaker::new(),
            }),
        }
    }
}

impl<F: Future + Unpin> Future for WhenWoken<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Registered before the flag is read, so a wake between the two is not lost.
        self.flag.task.register(cx.waker());
        if !self.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let waker = Waker::from(self.flag.clone());
        Pin::new(&mut self.future).poll(&mut Context::from_waker(&waker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts its polls; ready once `ready` is set and it has been woken for it.
    struct Counted {
        polls: Arc<AtomicUsize>,
        ready: Arc<AtomicBool>,
        waker: Arc<std::sync::Mutex<Option<Waker>>>,
    }

    impl Future for Counted {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            if self.ready.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    #[test]
    fn the_inner_future_is_polled_only_when_it_woke_the_task() {
        let polls = Arc::new(AtomicUsize::new(0));
        let ready = Arc::new(AtomicBool::new(false));
        let inner_waker = Arc::new(std::sync::Mutex::new(None));
        let mut wrapped = Box::pin(WhenWoken::new(Box::pin(Counted {
            polls: polls.clone(),
            ready: ready.clone(),
            waker: inner_waker.clone(),
        })));
        let task_wakes = Arc::new(TaskWakes::default());
        let task = Waker::from(task_wakes.clone());
        let mut cx = Context::from_waker(&task);
        assert!(wrapped.as_mut().poll(&mut cx).is_pending());
        for _ in 0..10 {
            assert!(wrapped.as_mut().poll(&mut cx).is_pending()); // woken for something else
        }
        assert_eq!(polls.load(Ordering::SeqCst), 1, "polled once, to register");
        ready.store(true, Ordering::SeqCst);
        inner_waker.lock().unwrap().take().unwrap().wake();
        assert_eq!(
            task_wakes.0.load(Ordering::SeqCst),
            1,
            "its wake reaches the task"
        );
        assert!(wrapped.as_mut().poll(&mut cx).is_ready());
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }

    #[derive(Default)]
    struct TaskWakes(AtomicUsize);

    impl Wake for TaskWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

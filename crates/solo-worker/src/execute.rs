//! Running an attempt's activity to its end: catching panics, cancelling it when its local
//! deadline passes, and abandoning it when the shutdown grace period ends.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

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
    cancel: &Arc<CancelState>,
    deadline: Option<Instant>,
    abort: &CancellationToken,
) -> Outcome
where
    F: std::future::Future<Output = Result<Payload, ActivityError>> + Send,
{
    let call = AssertUnwindSafe(call).catch_unwind();
    tokio::pin!(call);
    // The end of the grace period (one token for every attempt of the worker: polling it
    // locks its shared state) and the local deadline are polled only when one of them woke
    // the attempt, not at every wake of the activity (a heartbeating attempt wakes every
    // second).
    let abort_wait = abort.cancelled();
    tokio::pin!(abort_wait);
    let timer = deadline.map(tokio::time::sleep_until);
    tokio::pin!(timer);
    let mut watch = Watch::new(
        abort_wait.as_mut(),
        timer.as_mut().as_pin_mut(),
        cancel.clone(),
    );
    loop {
        tokio::select! {
            biased;
            result = &mut call => {
                return match result {
                    Ok(r) => Outcome::Returned(r),
                    Err(panic) => Outcome::Panicked(panic),
                };
            }
            event = &mut watch => match event {
                Event::Aborted => {
                    cancel.cancel(CancellationReason::WorkerShutdown);
                    // One more poll: an activity that stops as soon as it is cancelled gets
                    // to say so; one that does not is abandoned.
                    return tokio::select! {
                        biased;
                        result = &mut call => match result {
                            Ok(r) => Outcome::Returned(r),
                            Err(panic) => Outcome::Panicked(panic),
                        },
                        _ = std::future::ready(()) => Outcome::Abandoned,
                    };
                }
                Event::TimedOut => {
                    tracing::info!("the attempt's timeout passed; cancelling it");
                    cancel.cancel(CancellationReason::TimedOut);
                }
            }
        }
    }
}

/// What [`Watch`] saw.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    /// The shutdown grace period ended.
    Aborted,
    /// The attempt's local deadline passed (told once).
    TimedOut,
}

/// Watches the end of the shutdown grace period and the attempt's local deadline. Both are
/// polled on the first poll and after one of them woke the task, never because the task woke
/// for something else. Their waker is the attempt's [`CancelState`] (its [`WakeFlag`]), which
/// the activity's own cancellation waits touch anyway: a wake of the attempt reaches one
/// allocation less.
struct Watch<A, T> {
    abort: A,
    /// The deadline, until it has passed.
    timer: Option<T>,
    flag: Arc<CancelState>,
}

impl<A, T> Watch<A, T>
where
    A: Future<Output = ()> + Unpin,
    T: Future<Output = ()> + Unpin,
{
    fn new(abort: A, timer: Option<T>, flag: Arc<CancelState>) -> Self {
        // The first poll polls both.
        flag.watch().woken.store(true, Ordering::Release);
        Watch { abort, timer, flag }
    }
}

impl<A, T> Future for Watch<A, T>
where
    A: Future<Output = ()> + Unpin,
    T: Future<Output = ()> + Unpin,
{
    type Output = Event;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Event> {
        // Registered before the flag is read, so a wake between the two is not lost.
        let flag = self.flag.watch();
        flag.task.register(cx.waker());
        if !flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let waker = Waker::from(self.flag.clone());
        let mut own = Context::from_waker(&waker);
        let this = &mut *self;
        if Pin::new(&mut this.abort).poll(&mut own).is_ready() {
            return Poll::Ready(Event::Aborted);
        }
        if let Some(timer) = &mut this.timer
            && Pin::new(timer).poll(&mut own).is_ready()
        {
            this.timer = None;
            return Poll::Ready(Event::TimedOut);
        }
        Poll::Pending
    }
}

/// Whether a watched future asked to be polled, and the task to wake for it (kept in the
/// attempt's [`CancelState`], whose [`Wake`](std::task::Wake) sets it).
#[derive(Debug, Default)]
pub(crate) struct WakeFlag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl WakeFlag {
    /// Records the wake and wakes the task.
    pub(crate) fn wake(&self) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

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

    /// A scripted future, its poll count, its readiness switch and the waker it was given.
    type Scripted = (
        Counted,
        Arc<AtomicUsize>,
        Arc<AtomicBool>,
        Arc<std::sync::Mutex<Option<Waker>>>,
    );

    fn counted() -> Scripted {
        let polls = Arc::new(AtomicUsize::new(0));
        let ready = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(std::sync::Mutex::new(None));
        let counted = Counted {
            polls: polls.clone(),
            ready: ready.clone(),
            waker: waker.clone(),
        };
        (counted, polls, ready, waker)
    }

    #[test]
    fn watched_futures_are_polled_only_when_they_woke_the_task() {
        let (abort, abort_polls, abort_ready, abort_waker) = counted();
        let (timer, timer_polls, _, _) = counted();
        let mut watch = Box::pin(Watch::new(
            Box::pin(abort),
            Some(Box::pin(timer)),
            Arc::default(),
        ));
        let task_wakes = Arc::new(TaskWakes::default());
        let task = Waker::from(task_wakes.clone());
        let mut cx = Context::from_waker(&task);
        assert!(watch.as_mut().poll(&mut cx).is_pending());
        for _ in 0..10 {
            assert!(watch.as_mut().poll(&mut cx).is_pending()); // woken for something else
        }
        assert_eq!(
            abort_polls.load(Ordering::SeqCst),
            1,
            "polled once, to register"
        );
        assert_eq!(
            timer_polls.load(Ordering::SeqCst),
            1,
            "polled once, to register"
        );
        abort_ready.store(true, Ordering::SeqCst);
        abort_waker.lock().unwrap().take().unwrap().wake();
        assert_eq!(
            task_wakes.0.load(Ordering::SeqCst),
            1,
            "its wake reaches the task"
        );
        assert_eq!(watch.as_mut().poll(&mut cx), Poll::Ready(Event::Aborted));
        assert_eq!(abort_polls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_deadline_is_told_once() {
        let (abort, _, _, _) = counted();
        let (timer, timer_polls, timer_ready, timer_waker) = counted();
        let mut watch = Box::pin(Watch::new(
            Box::pin(abort),
            Some(Box::pin(timer)),
            Arc::default(),
        ));
        let task = Waker::from(Arc::new(TaskWakes::default()));
        let mut cx = Context::from_waker(&task);
        assert!(watch.as_mut().poll(&mut cx).is_pending());
        timer_ready.store(true, Ordering::SeqCst);
        timer_waker.lock().unwrap().take().unwrap().wake();
        assert_eq!(watch.as_mut().poll(&mut cx), Poll::Ready(Event::TimedOut));
        // Woken again (by the abort token, say): the passed deadline is not polled again.
        Wake::wake_by_ref(&watch.flag);
        assert!(watch.as_mut().poll(&mut cx).is_pending());
        assert_eq!(timer_polls.load(Ordering::SeqCst), 2);
    }

    #[derive(Default)]
    struct TaskWakes(AtomicUsize);

    impl Wake for TaskWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

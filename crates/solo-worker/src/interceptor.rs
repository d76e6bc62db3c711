//! Worker interceptors: hooks around each activity attempt and on the worker's polls, for
//! tracing, metrics, auditing or reading headers the client sent.
//!
//! Register one with [`WorkerBuilder::interceptor`](crate::WorkerBuilder::interceptor).
//! Interceptors run in registration order; every hook has a default that does nothing, so an
//! interceptor implements only what it needs. A worker without interceptors skips the hooks
//! entirely.
//!
//! For changing what an activity receives or returns, a tower layer
//! ([`WorkerBuilder::layer`](crate::WorkerBuilder::layer)) is the better tool; interceptors
//! see the attempt from outside: its span before it is entered, its future, and how it ended.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use solo_proto::temporal::api::common::v1::Payload;
use tokio_util::task::TaskTracker;

use crate::activity::ActivityFuture;
use crate::info::ActivityInfo;
use crate::scaler::Scaler;
use crate::slots::Slots;

/// The future of one attempt, as [`WorkerInterceptor::wrap_attempt`] receives and returns it:
/// the activity's result payload or its error.
pub type AttemptFuture = ActivityFuture<Payload>;

/// A hook on a worker's polls and activity attempts. Every method has a default that does
/// nothing. Keep them cheap: they run on the worker's task path.
///
/// ```
/// use solo_worker::{ActivityInfo, AttemptEnd, WorkerInterceptor};
///
/// /// Logs who asked for each activity, from a header the client's interceptor set.
/// struct Audit;
///
/// impl WorkerInterceptor for Audit {
///     fn on_attempt_start(&self, info: &ActivityInfo, span: &tracing::Span) {
///         let tenant = info.header.get("tenant").map(|p| String::from_utf8_lossy(&p.data).into_owned());
///         span.in_scope(|| tracing::info!(tenant = tenant.as_deref().unwrap_or("-"), "attempt starting"));
///     }
///
///     fn on_attempt_end(&self, info: &ActivityInfo, end: &AttemptEnd) {
///         tracing::info!(activity_id = %info.activity_id, outcome = end.outcome.as_str(), "attempt ended");
///     }
/// }
/// ```
pub trait WorkerInterceptor: Send + Sync + 'static {
    /// The worker started polling (after checking the namespace).
    fn on_worker_start(&self, worker: &WorkerStatus) {
        let _ = worker;
    }

    /// The worker stopped: polling ended and no activity runs any more.
    fn on_worker_stop(&self, worker: &WorkerStatus) {
        let _ = worker;
    }

    /// A poll of the task queue ended.
    fn on_poll(&self, worker: &WorkerStatus, outcome: PollOutcome) {
        let _ = (worker, outcome);
    }

    /// An attempt is about to run in `span` (not yet entered): read the task's
    /// [`header`](ActivityInfo::header), record span fields, set the span's parent.
    fn on_attempt_start(&self, info: &ActivityInfo, span: &tracing::Span) {
        let _ = (info, span);
    }

    /// Wraps the attempt's future (for example to attach a context to it). The default
    /// returns it unchanged. Called after [`on_attempt_start`](Self::on_attempt_start), inside
    /// the attempt's span.
    fn wrap_attempt(&self, info: &ActivityInfo, attempt: AttemptFuture) -> AttemptFuture {
        let _ = info;
        attempt
    }

    /// An attempt ended, and the worker decided what to report.
    fn on_attempt_end(&self, info: &ActivityInfo, end: &AttemptEnd) {
        let _ = (info, end);
    }
}

/// A shared interceptor is an interceptor: [`WorkerBuilder::interceptor`] takes `Arc<T>` and
/// `Arc<dyn WorkerInterceptor>` as well as `T`.
///
/// [`WorkerBuilder::interceptor`]: crate::WorkerBuilder::interceptor
impl<T: WorkerInterceptor + ?Sized> WorkerInterceptor for Arc<T> {
    fn on_worker_start(&self, worker: &WorkerStatus) {
        (**self).on_worker_start(worker);
    }

    fn on_worker_stop(&self, worker: &WorkerStatus) {
        (**self).on_worker_stop(worker);
    }

    fn on_poll(&self, worker: &WorkerStatus, outcome: PollOutcome) {
        (**self).on_poll(worker, outcome);
    }

    fn on_attempt_start(&self, info: &ActivityInfo, span: &tracing::Span) {
        (**self).on_attempt_start(info, span);
    }

    fn wrap_attempt(&self, info: &ActivityInfo, attempt: AttemptFuture) -> AttemptFuture {
        (**self).wrap_attempt(info, attempt)
    }

    fn on_attempt_end(&self, info: &ActivityInfo, end: &AttemptEnd) {
        (**self).on_attempt_end(info, end);
    }
}

/// How a poll of the task queue ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PollOutcome {
    /// A task arrived.
    Task,
    /// The long poll expired without a task.
    Empty,
    /// The poll failed with this gRPC code (it is retried unless the error is permanent).
    Failed(tonic::Code),
}

/// How an attempt ended: what the worker reports (or does not) to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The activity returned a value; it is reported as completed.
    Completed,
    /// The activity failed (returned an error, panicked, or was cut short by shutdown);
    /// `benign` when its error has the benign category.
    Failed {
        /// Whether the error's category is benign (not worth an alert).
        benign: bool,
    },
    /// The activity stopped after a cancel request; it is reported as cancelled.
    Cancelled,
    /// Nothing is reported: the attempt timed out or the server no longer knows it.
    NotReported,
    /// Nothing is reported: the activity returned
    /// [`ActivityError::complete_async`](solo_client::ActivityError::complete_async), and
    /// whoever holds its id or task token will complete it.
    WillCompleteAsync,
}

impl AttemptOutcome {
    /// A short name: `completed`, `failed`, `cancelled`, `not_reported` or
    /// `will_complete_async` (the value of the attempt span's `outcome` field).
    pub fn as_str(&self) -> &'static str {
        match self {
            AttemptOutcome::Completed => "completed",
            AttemptOutcome::Failed { .. } => "failed",
            AttemptOutcome::Cancelled => "cancelled",
            AttemptOutcome::NotReported => "not_reported",
            AttemptOutcome::WillCompleteAsync => "will_complete_async",
        }
    }
}

/// The end of an attempt, for [`WorkerInterceptor::on_attempt_end`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttemptEnd {
    /// What the worker reports.
    pub outcome: AttemptOutcome,
    /// How long the attempt ran on this worker, from receiving the task to deciding the
    /// report.
    pub elapsed: Duration,
}

/// A live view of a running worker: its queue and how busy it is. Cheap to clone; reading it
/// takes no lock.
#[derive(Clone)]
pub struct WorkerStatus {
    inner: Arc<StatusInner>,
}

struct StatusInner {
    namespace: String,
    task_queue: String,
    slots: Slots,
    tasks: TaskTracker,
    scaler: Arc<Scaler>,
}

impl fmt::Debug for WorkerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerStatus")
            .field("namespace", &self.inner.namespace)
            .field("task_queue", &self.inner.task_queue)
            .field("slots_used", &self.slots_used())
            .field("slots_available", &self.slots_available())
            .field("pollers", &self.pollers())
            .finish()
    }
}

impl WorkerStatus {
    pub(crate) fn new(
        namespace: String,
        task_queue: String,
        slots: Slots,
        tasks: TaskTracker,
        scaler: Arc<Scaler>,
    ) -> Self {
        WorkerStatus {
            inner: Arc::new(StatusInner {
                namespace,
                task_queue,
                slots,
                tasks,
                scaler,
            }),
        }
    }

    /// The namespace the worker polls.
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// The task queue the worker polls.
    pub fn task_queue(&self) -> &str {
        &self.inner.task_queue
    }

    /// The most activities the worker runs at once.
    pub fn max_slots(&self) -> usize {
        self.inner.slots.max()
    }

    /// How many activities are running now.
    pub fn slots_used(&self) -> usize {
        self.inner.tasks.len().min(self.max_slots())
    }

    /// How many more activities the worker could start now.
    pub fn slots_available(&self) -> usize {
        self.max_slots() - self.slots_used()
    }

    /// How many slots are neither running an activity nor held by a waiting poller.
    pub fn slots_idle(&self) -> usize {
        self.inner.slots.idle()
    }

    /// How many pollers are running.
    pub fn pollers(&self) -> usize {
        self.inner.scaler.active()
    }

    /// Whether `other` is a view of the same worker.
    pub fn is_same_worker(&self, other: &WorkerStatus) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// The interceptors of a worker, in registration order (usually none), and the status they
/// are shown.
pub(crate) struct Interceptors {
    list: Box<[Arc<dyn WorkerInterceptor>]>,
    status: WorkerStatus,
}

impl Interceptors {
    pub(crate) fn new(list: Vec<Arc<dyn WorkerInterceptor>>, status: WorkerStatus) -> Self {
        Interceptors {
            list: list.into_boxed_slice(),
            status,
        }
    }

    /// Whether there are none (the worker then skips the work of building hook arguments).
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The worker started polling.
    pub(crate) fn on_worker_start(&self) {
        for interceptor in self.list.iter() {
            interceptor.on_worker_start(&self.status);
        }
    }

    /// The worker stopped.
    pub(crate) fn on_worker_stop(&self) {
        for interceptor in self.list.iter() {
            interceptor.on_worker_stop(&self.status);
        }
    }

    /// A poll ended.
    pub(crate) fn on_poll(&self, outcome: PollOutcome) {
        for interceptor in self.list.iter() {
            interceptor.on_poll(&self.status, outcome);
        }
    }

    /// An attempt is about to run in `span`.
    pub(crate) fn on_attempt_start(&self, info: &ActivityInfo, span: &tracing::Span) {
        for interceptor in self.list.iter() {
            interceptor.on_attempt_start(info, span);
        }
    }

    /// Wraps an attempt's future in every interceptor, the first registered innermost.
    pub(crate) fn wrap_attempt(
        &self,
        info: &ActivityInfo,
        mut attempt: AttemptFuture,
    ) -> AttemptFuture {
        for interceptor in self.list.iter() {
            attempt = interceptor.wrap_attempt(info, attempt);
        }
        attempt
    }

    /// An attempt ended.
    pub(crate) fn on_attempt_end(&self, info: &ActivityInfo, end: &AttemptEnd) {
        for interceptor in self.list.iter() {
            interceptor.on_attempt_end(info, end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct CountPolls(AtomicUsize);

    impl WorkerInterceptor for CountPolls {
        fn on_poll(&self, _worker: &WorkerStatus, _outcome: PollOutcome) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn shared_interceptors_are_interceptors() {
        let counter = Arc::new(CountPolls::default());
        let as_dyn: Arc<dyn WorkerInterceptor> = counter.clone();
        let status = WorkerStatus::new(
            "ns".into(),
            "q".into(),
            Slots::new(1),
            TaskTracker::new(),
            Arc::new(Scaler::new(crate::options::PollerBehavior::Fixed(1))),
        );
        let list: Vec<Arc<dyn WorkerInterceptor>> =
            vec![Arc::new(counter.clone()), Arc::new(as_dyn)];
        let interceptors = Interceptors::new(list, status);
        interceptors.on_poll(PollOutcome::Empty);
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
    }
}

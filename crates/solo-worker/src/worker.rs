//! [`Worker`]: polls a task queue and runs the registered activities until shut down.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use solo_client::{Client, DataConverter};
use solo_proto::temporal::api::enums::v1::TaskQueueType;
use solo_proto::temporal::api::workflowservice::v1::{
    DescribeNamespaceRequest, ShutdownWorkerRequest,
};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::activity::ActivityService;
use crate::blocking::BlockingPool;
use crate::error::WorkerError;
use crate::heartbeat::SendHeartbeat;
use crate::interceptor::{PollOutcome, WorkerInterceptor, WorkerStatus};
use crate::options::{WorkerBuilder, WorkerOptions};
use crate::poller::{self, Scaler};
use crate::rate_limit::RateLimiter;
use crate::raw::{TaskCompleter, TaskPoller, namespaced};
use crate::task::HeartbeatSender;

/// How long to let outstanding polls finish after a successful `ShutdownWorker` call, before
/// cancelling them.
const POLL_DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What every poller and task of a worker shares.
pub(crate) struct Shared {
    pub(crate) task_queue: String,
    pub(crate) namespace: String,
    pub(crate) identity: String,
    pub(crate) client: Client,
    pub(crate) converter: DataConverter,
    pub(crate) activities: HashMap<String, ActivityService>,
    /// The registered names, sorted and comma-separated, for error messages.
    pub(crate) registered: String,
    pub(crate) options: WorkerOptions,
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) poller: TaskPoller,
    pub(crate) completer: TaskCompleter,
    /// Sends heartbeats (through the codec) for every task.
    pub(crate) heartbeats: Arc<dyn SendHeartbeat>,
    pub(crate) blocking: BlockingPool,
    pub(crate) rate_limiter: Option<RateLimiter>,
    pub(crate) worker_instance_key: String,
    /// Cancelled when shutdown begins: no new polls; activities may notice.
    pub(crate) stop_polling: CancellationToken,
    /// Cancelled to abandon polls that are in flight.
    pub(crate) interrupt_polls: CancellationToken,
    /// Cancelled when the graceful shutdown period is over.
    pub(crate) abort: CancellationToken,
    /// The running activity tasks.
    pub(crate) tasks: TaskTracker,
    /// The error that stopped the worker, if any.
    pub(crate) fatal: Mutex<Option<WorkerError>>,
    /// The target and running number of pollers.
    pub(crate) scaler: Arc<Scaler>,
    /// The interceptors, in registration order (usually none).
    pub(crate) interceptors: Box<[Arc<dyn WorkerInterceptor>]>,
    /// What interceptors see of the worker.
    pub(crate) status: WorkerStatus,
}

impl Shared {
    /// Tells the interceptors how a poll ended.
    pub(crate) fn on_poll(&self, outcome: PollOutcome) {
        for interceptor in self.interceptors.iter() {
            interceptor.on_poll(&self.status, outcome);
        }
    }

    /// Records an error that stops the worker, and starts shutting down.
    pub(crate) fn stop_with(&self, error: WorkerError) {
        {
            let mut fatal = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
            if fatal.is_none() {
                *fatal = Some(error);
            }
        }
        self.stop_polling.cancel();
        self.interrupt_polls.cancel();
    }
}

/// Whether `run` was called and whether it has finished.
#[derive(Default)]
struct RunState {
    started: AtomicBool,
    finished: CancellationToken,
}

/// An activity worker: it polls one task queue and runs the activities registered on it.
///
/// Build one with [`Worker::builder`], then [`run`](Self::run) it until
/// [`shutdown`](Self::shutdown) (or use [`run_until_ctrl_c`](Self::run_until_ctrl_c)).
/// Cloning is cheap, and clones control the same worker: keep one to shut down the other that
/// runs. The future of `run` is `Send`, so it can be spawned.
///
/// ```no_run
/// use solo_worker::Worker;
/// # struct Greet;
/// # impl solo_client::Activity for Greet { type Input = (); type Output = (); fn name(&self) -> &str { "greet" } }
/// # impl solo_worker::ActivityImpl for Greet {
/// #     fn execute(&self, _: solo_worker::ActivityContext, _: ()) -> solo_worker::ActivityFuture<()> { Box::pin(async { Ok(()) }) }
/// # }
///
/// # async fn run(client: solo_client::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let worker = Worker::builder(client, "my-task-queue").activity(Greet).build()?;
/// let running = tokio::spawn(worker.clone().run());
/// // ... later:
/// worker.shutdown().await;
/// running.await??;
/// # Ok(())
/// # }
/// ```
///
/// # What the worker guarantees
///
/// - It polls only when it has a free slot ([`max_concurrent_activities`]), so a task it
///   receives starts at once and never waits inside the worker.
/// - Every task it receives is reported: completed, failed, or cancelled — unless the server
///   said the attempt is over (terminated, timed out), when there is nothing left to report.
///   A panicking activity is reported as a failure, and the worker carries on.
/// - Shutdown stops polling, waits up to the [graceful shutdown timeout] for running
///   activities, then cancels the rest and reports them as retryable `WorkerShutdown`
///   failures, so the server retries them elsewhere.
///
/// [`max_concurrent_activities`]: WorkerBuilder::max_concurrent_activities
/// [graceful shutdown timeout]: WorkerBuilder::graceful_shutdown_timeout
#[derive(Clone)]
pub struct Worker {
    shared: Arc<Shared>,
    state: Arc<RunState>,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("namespace", &self.shared.namespace)
            .field("task_queue", &self.shared.task_queue)
            .field("identity", &self.shared.identity)
            .field("activities", &self.shared.registered)
            .field("running", &self.is_running())
            .finish()
    }
}

impl Worker {
    /// Starts building a worker for `task_queue`, in the client's namespace, with the client's
    /// data converter.
    pub fn builder(client: Client, task_queue: impl Into<String>) -> WorkerBuilder {
        WorkerBuilder::new(client, task_queue.into())
    }

    pub(crate) fn new(
        client: Client,
        task_queue: String,
        activities: HashMap<String, ActivityService>,
        options: WorkerOptions,
        interceptors: Vec<Arc<dyn WorkerInterceptor>>,
    ) -> Self {
        let identity = options
            .identity
            .clone()
            .unwrap_or_else(|| client.identity().to_owned());
        let worker_instance_key = solo_connect::__private::random_uuid();
        let mut poller = TaskPoller::new(&client, task_queue.clone())
            .identity(identity.clone())
            .worker_instance_key(worker_instance_key.clone());
        if let Some(rate) = options.max_task_queue_activities_per_second {
            poller = poller.task_queue_max_tasks_per_second(rate);
        }
        let completer = TaskCompleter::new(&client).identity(identity.clone());
        let mut names: Vec<&str> = activities.keys().map(String::as_str).collect();
        names.sort_unstable();
        let registered = names.join(", ");
        let blocking = BlockingPool::new(
            options
                .max_blocking_threads
                .unwrap_or(options.max_concurrent_activities),
        );
        let slots = Arc::new(Semaphore::new(options.max_concurrent_activities));
        let tasks = TaskTracker::new();
        let scaler = Arc::new(Scaler::new(options.pollers));
        let status = WorkerStatus::new(
            client.namespace().to_owned(),
            task_queue.clone(),
            options.max_concurrent_activities,
            slots.clone(),
            tasks.clone(),
            scaler.clone(),
        );
        Worker {
            shared: Arc::new(Shared {
                namespace: client.namespace().to_owned(),
                converter: client.data_converter().clone(),
                identity,
                task_queue,
                activities,
                registered,
                slots,
                rate_limiter: options
                    .max_activities_per_second
                    .map(RateLimiter::per_second),
                heartbeats: Arc::new(HeartbeatSender {
                    completer: completer.clone(),
                    converter: client.data_converter().clone(),
                }),
                options,
                poller,
                completer,
                blocking,
                worker_instance_key,
                client,
                stop_polling: CancellationToken::new(),
                interrupt_polls: CancellationToken::new(),
                abort: CancellationToken::new(),
                tasks,
                fatal: Mutex::new(None),
                scaler,
                interceptors: interceptors.into_boxed_slice(),
                status,
            }),
            state: Arc::new(RunState::default()),
        }
    }

    /// The task queue this worker polls.
    pub fn task_queue(&self) -> &str {
        &self.shared.task_queue
    }

    /// The identity the server records for this worker.
    pub fn identity(&self) -> &str {
        &self.shared.identity
    }

    /// Whether [`run`](Self::run) has started and not yet returned.
    pub fn is_running(&self) -> bool {
        self.state.started.load(Ordering::Acquire) && !self.state.finished.is_cancelled()
    }

    /// Polls and runs activities until [`shutdown`](Self::shutdown) is called on this worker
    /// or a clone, then shuts down gracefully (see [`Worker`]) and returns.
    ///
    /// # Errors
    /// - [`WorkerError::AlreadyStarted`] when this worker (or a clone) already ran;
    /// - [`WorkerError::NamespaceNotFound`] when the namespace does not exist;
    /// - [`WorkerError::Poll`] when polling failed in a way retrying cannot fix (the worker
    ///   first shuts down gracefully).
    ///
    /// Transient errors (the server restarting, a network blip) are logged and retried with
    /// backoff, for as long as they last.
    // Spelled out so that the signature promises a `Send` future.
    #[allow(clippy::manual_async_fn)]
    pub fn run(self) -> impl Future<Output = Result<(), WorkerError>> + Send + 'static {
        async move {
            if self.state.started.swap(true, Ordering::AcqRel) {
                return Err(WorkerError::AlreadyStarted);
            }
            let result = run_worker(self.shared.clone()).await;
            self.state.finished.cancel();
            result
        }
    }

    /// Begins shutting down without waiting: polling stops, running activities get the
    /// graceful shutdown period. Calling it before [`run`](Self::run) makes `run` return at
    /// once.
    pub fn begin_shutdown(&self) {
        self.shared.stop_polling.cancel();
    }

    /// Begins shutting down (at once, when called) and returns a future that completes when
    /// [`run`](Self::run) has finished — or at once if the worker is not running.
    ///
    /// Do not await it from inside an activity of this worker: the worker waits for that
    /// activity, which waits for the worker.
    pub fn shutdown(&self) -> impl Future<Output = ()> + Send + 'static {
        self.begin_shutdown();
        let state = self.state.clone();
        async move {
            if state.started.load(Ordering::Acquire) {
                state.finished.cancelled().await;
            }
        }
    }
}

/// Which optional server features the worker uses.
#[derive(Debug, Default, Clone, Copy)]
struct Capabilities {
    poll_complete_on_shutdown: bool,
}

async fn run_worker(shared: Arc<Shared>) -> Result<(), WorkerError> {
    if shared.stop_polling.is_cancelled() {
        return Ok(());
    }
    let capabilities = tokio::select! {
        caps = describe_namespace(&shared) => caps?,
        _ = shared.stop_polling.cancelled() => return Ok(()),
    };
    tracing::info!(
        namespace = %shared.namespace,
        task_queue = %shared.task_queue,
        identity = %shared.identity,
        activities = %shared.registered,
        slots = shared.options.max_concurrent_activities,
        "worker started"
    );
    for interceptor in shared.interceptors.iter() {
        interceptor.on_worker_start(&shared.status);
    }
    let pollers = TaskTracker::new();
    let scaler = shared.scaler.clone();
    poller::start(&shared, &scaler, &pollers);
    pollers.close();

    shared.stop_polling.cancelled().await;
    tracing::info!(task_queue = %shared.task_queue, "worker shutting down: no new polls");
    stop_polls(&shared, capabilities, &pollers).await;

    shared.tasks.close();
    let running = shared.tasks.len();
    if running > 0 {
        let grace = shared.options.graceful_shutdown_timeout;
        tracing::info!(
            running,
            grace_ms = grace.as_millis() as u64,
            "waiting for running activities"
        );
        if tokio::time::timeout(grace, shared.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                running = shared.tasks.len(),
                "graceful shutdown period over: cancelling the remaining activities and reporting them as failed, so that they are retried"
            );
            shared.abort.cancel();
            shared.tasks.wait().await;
        }
    }
    for interceptor in shared.interceptors.iter() {
        interceptor.on_worker_stop(&shared.status);
    }
    tracing::info!(task_queue = %shared.task_queue, "worker stopped");
    let fatal = shared
        .fatal
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    fatal.map_or(Ok(()), Err)
}

/// Reads the namespace's capabilities, failing fast when it does not exist. Other errors are
/// logged and the worker goes on without the optional features.
async fn describe_namespace(shared: &Shared) -> Result<Capabilities, WorkerError> {
    let request = DescribeNamespaceRequest {
        namespace: shared.namespace.clone(),
        weak_consistency: true,
        ..Default::default()
    };
    match shared
        .client
        .connection()
        .workflow_service()
        .describe_namespace(namespaced(&shared.namespace, request))
        .await
    {
        Ok(response) => {
            let caps = response
                .into_inner()
                .namespace_info
                .and_then(|i| i.capabilities)
                .unwrap_or_default();
            Ok(Capabilities {
                poll_complete_on_shutdown: caps.worker_poll_complete_on_shutdown,
            })
        }
        Err(s) if s.code() == tonic::Code::NotFound => Err(WorkerError::NamespaceNotFound {
            namespace: shared.namespace.clone(),
        }),
        Err(s) => {
            tracing::warn!(
                error = %s.message(),
                code = ?s.code(),
                "could not describe the namespace; continuing without its optional capabilities"
            );
            Ok(Capabilities::default())
        }
    }
}

/// Ends polling. When the server can complete outstanding polls on request, ask it to (so a
/// task it is handing out right now is not lost in transit) and let them finish; otherwise,
/// or if that fails, cancel them.
async fn stop_polls(shared: &Shared, capabilities: Capabilities, pollers: &TaskTracker) {
    if capabilities.poll_complete_on_shutdown && !shared.interrupt_polls.is_cancelled() {
        let request = ShutdownWorkerRequest {
            namespace: shared.namespace.clone(),
            identity: shared.identity.clone(),
            reason: "graceful shutdown".into(),
            worker_instance_key: shared.worker_instance_key.clone(),
            task_queue: shared.task_queue.clone(),
            task_queue_types: vec![TaskQueueType::Activity as i32],
            ..Default::default()
        };
        match shared
            .client
            .connection()
            .workflow_service()
            .shutdown_worker(namespaced(&shared.namespace, request))
            .await
        {
            Ok(_) => {
                if tokio::time::timeout(POLL_DRAIN_LIMIT, pollers.wait())
                    .await
                    .is_err()
                {
                    tracing::debug!("outstanding polls did not finish in time; cancelling them");
                }
            }
            Err(s) => tracing::debug!(
                error = %s.message(),
                "ShutdownWorker failed; cancelling outstanding polls"
            ),
        }
    }
    shared.interrupt_polls.cancel();
    pollers.wait().await;
}

//! [`Worker`]: polls a task queue and runs the registered activities until shut down.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use solo_client::Client;
use solo_proto::temporal::api::enums::v1::TaskQueueType;
use solo_proto::temporal::api::workflowservice::v1::{
    DescribeNamespaceRequest, ShutdownWorkerRequest,
};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::WorkerError;
use crate::interceptor::WorkerInterceptor;
use crate::options::WorkerOptions;
use crate::poller;
use crate::raw::namespaced;
use crate::registry::Registry;
use crate::runtime::Runtime;

/// How long to let outstanding polls finish after a successful `ShutdownWorker` call, before
/// cancelling them.
const POLL_DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

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
///   said the attempt is over (terminated, timed out), when there is nothing left to report,
///   or the activity returned
///   [`ActivityError::complete_async`](solo_client::ActivityError::complete_async), when
///   whoever holds its id or task token reports it (its slot is free at once, and shutdown
///   does not wait for it). A panicking activity is reported as a failure, and the worker
///   carries on.
/// - Shutdown stops polling, waits up to the [graceful shutdown timeout] for running
///   activities, then cancels the rest and reports them as retryable `WorkerShutdown`
///   failures, so the server retries them elsewhere.
///
/// [`max_concurrent_activities`]: crate::WorkerBuilder::max_concurrent_activities
/// [graceful shutdown timeout]: crate::WorkerBuilder::graceful_shutdown_timeout
#[derive(Clone)]
pub struct Worker {
    runtime: Arc<Runtime>,
    state: Arc<RunState>,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("namespace", &self.runtime.namespace)
            .field("task_queue", &self.runtime.task_queue)
            .field("identity", &self.runtime.identity)
            .field("activities", &self.runtime.registry.names())
            .field("running", &self.is_running())
            .finish()
    }
}

impl Worker {
    /// A worker with settled `options` (made by
    /// [`WorkerBuilder::build`](crate::WorkerBuilder::build)).
    pub(crate) fn new(
        client: Client,
        task_queue: String,
        registry: Registry,
        options: WorkerOptions,
        interceptors: Vec<Arc<dyn WorkerInterceptor>>,
    ) -> Self {
        Worker {
            runtime: Arc::new(Runtime::new(
                client,
                task_queue,
                registry,
                options,
                interceptors,
            )),
            state: Arc::new(RunState::default()),
        }
    }

    /// The task queue this worker polls.
    pub fn task_queue(&self) -> &str {
        &self.runtime.task_queue
    }

    /// The identity the server records for this worker.
    pub fn identity(&self) -> &str {
        &self.runtime.identity
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
            let result = run_worker(self.runtime.clone()).await;
            self.state.finished.cancel();
            result
        }
    }

    /// Begins shutting down without waiting: polling stops, running activities get the
    /// graceful shutdown period. Calling it before [`run`](Self::run) makes `run` return at
    /// once.
    pub fn begin_shutdown(&self) {
        self.runtime.shutdown.stop_polling.cancel();
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

async fn run_worker(runtime: Arc<Runtime>) -> Result<(), WorkerError> {
    let shutdown = &runtime.shutdown;
    if shutdown.stop_polling.is_cancelled() {
        return Ok(());
    }
    let capabilities = tokio::select! {
        caps = describe_namespace(&runtime) => caps?,
        _ = shutdown.stop_polling.cancelled() => return Ok(()),
    };
    tracing::info!(
        namespace = %runtime.namespace,
        task_queue = %runtime.task_queue,
        identity = %runtime.identity,
        activities = %runtime.registry.names(),
        slots = runtime.capacity.slots.max(),
        "worker started"
    );
    runtime.interceptors.on_worker_start();
    let pollers = TaskTracker::new();
    poller::start(&runtime, &pollers);
    pollers.close();

    shutdown.stop_polling.cancelled().await;
    tracing::info!(task_queue = %runtime.task_queue, "worker shutting down: no new polls");
    stop_polls(&runtime, capabilities, &pollers).await;

    shutdown.tasks.close();
    let running = shutdown.tasks.len();
    if running > 0 {
        let grace = shutdown.grace;
        tracing::info!(
            running,
            grace_ms = grace.as_millis() as u64,
            "waiting for running activities"
        );
        if tokio::time::timeout(grace, shutdown.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                running = shutdown.tasks.len(),
                "graceful shutdown period over: cancelling the remaining activities and reporting them as failed, so that they are retried"
            );
            shutdown.abort.cancel();
            shutdown.tasks.wait().await;
        }
    }
    runtime.interceptors.on_worker_stop();
    tracing::info!(task_queue = %runtime.task_queue, "worker stopped");
    shutdown.take_fatal().map_or(Ok(()), Err)
}

/// Reads the namespace's capabilities, failing fast when it does not exist. Other errors are
/// logged and the worker goes on without the optional features.
async fn describe_namespace(runtime: &Runtime) -> Result<Capabilities, WorkerError> {
    let request = DescribeNamespaceRequest {
        namespace: runtime.namespace.clone(),
        weak_consistency: true,
        ..Default::default()
    };
    match runtime
        .calls
        .client
        .connection()
        .workflow_service()
        .describe_namespace(namespaced(&runtime.namespace, request))
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
            namespace: runtime.namespace.clone(),
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
async fn stop_polls(runtime: &Runtime, capabilities: Capabilities, pollers: &TaskTracker) {
    if capabilities.poll_complete_on_shutdown && !runtime.shutdown.interrupt_polls.is_cancelled() {
        let request = ShutdownWorkerRequest {
            namespace: runtime.namespace.clone(),
            identity: runtime.identity.clone(),
            reason: "graceful shutdown".into(),
            worker_instance_key: runtime.calls.worker_instance_key.clone(),
            task_queue: runtime.task_queue.clone(),
            task_queue_types: vec![TaskQueueType::Activity as i32],
            ..Default::default()
        };
        match runtime
            .calls
            .client
            .connection()
            .workflow_service()
            .shutdown_worker(namespaced(&runtime.namespace, request))
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
    runtime.shutdown.interrupt_polls.cancel();
    pollers.wait().await;
}

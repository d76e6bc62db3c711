//! [`Runtime`]: what a worker's pollers and activity tasks share while it runs, in named
//! parts — the registered activities, the calls to the server, the capacity limits, the
//! shutdown stages and the interceptors.

use std::sync::Arc;

use solo_client::{Client, DataConverter};

use crate::blocking::BlockingPool;
use crate::heartbeat::{HeartbeatSender, Heartbeats};
use crate::interceptor::{Interceptors, WorkerInterceptor, WorkerStatus};
use crate::options::WorkerOptions;
use crate::rate_limit::RateLimiter;
use crate::raw::{TaskCompleter, TaskPoller};
use crate::registry::Registry;
use crate::scaler::Scaler;
use crate::shutdown::Shutdown;
use crate::slots::Slots;

/// The state of one worker, shared by the worker, its pollers and its activity tasks.
pub(crate) struct Runtime {
    pub(crate) namespace: String,
    pub(crate) task_queue: String,
    /// The identity the server records for the worker.
    pub(crate) identity: String,
    /// Runs every payload through the client's codec.
    pub(crate) converter: DataConverter,
    /// The activities, by type.
    pub(crate) registry: Registry,
    /// The calls to the server.
    pub(crate) calls: Calls,
    /// How much the worker runs at once, and how fast it starts it.
    pub(crate) capacity: Capacity,
    /// The stages of shutdown, and the running tasks.
    pub(crate) shutdown: Shutdown,
    /// The interceptors (usually none).
    pub(crate) interceptors: Interceptors,
}

/// How the worker talks to the server: worker-level calls through the client, task-level
/// ones through the raw task API.
pub(crate) struct Calls {
    /// For the worker-level calls (`DescribeNamespace`, `ShutdownWorker`).
    pub(crate) client: Client,
    /// Names this worker process in its polls and in `ShutdownWorker`.
    pub(crate) worker_instance_key: String,
    pub(crate) poller: TaskPoller,
    /// Whether polls are failing now (shared by the pollers, so an outage is logged once).
    pub(crate) poll_outage: solo_connect::__private::Outage,
    pub(crate) completer: TaskCompleter,
    /// Sends heartbeats (through the codec) for every task.
    pub(crate) heartbeats: Heartbeats,
}

/// How much the worker runs at once, and how fast it starts it.
pub(crate) struct Capacity {
    /// One per activity that may run at once.
    pub(crate) slots: Slots,
    /// The target and running number of pollers.
    pub(crate) scaler: Arc<Scaler>,
    /// Spaces out task starts, when the worker has a rate limit.
    pub(crate) rate_limiter: Option<RateLimiter>,
    /// Runs blocking activities.
    pub(crate) blocking: BlockingPool,
}

impl Runtime {
    /// The runtime of a worker for `task_queue` in the client's namespace, with settled
    /// `options`.
    pub(crate) fn new(
        client: Client,
        task_queue: String,
        registry: Registry,
        options: WorkerOptions,
        interceptors: Vec<Arc<dyn WorkerInterceptor>>,
    ) -> Self {
        let namespace = client.namespace().to_owned();
        let converter = client.data_converter().clone();
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
        let heartbeats = Heartbeats::new(Arc::new(HeartbeatSender {
            completer: completer.clone(),
            converter: converter.clone(),
            outage: Arc::default(),
        }));
        let capacity = Capacity {
            slots: Slots::new(options.max_concurrent_activities),
            scaler: Arc::new(Scaler::new(options.pollers)),
            rate_limiter: options
                .max_activities_per_second
                .map(RateLimiter::per_second),
            blocking: BlockingPool::new(
                options
                    .max_blocking_threads
                    .unwrap_or(options.max_concurrent_activities),
            ),
        };
        let shutdown = Shutdown::new(options.graceful_shutdown_timeout);
        let status = WorkerStatus::new(
            namespace.clone(),
            task_queue.clone(),
            capacity.slots.clone(),
            shutdown.tasks.clone(),
            capacity.scaler.clone(),
        );
        Runtime {
            namespace,
            task_queue,
            identity,
            converter,
            registry,
            calls: Calls {
                client,
                worker_instance_key,
                poller,
                poll_outage: Default::default(),
                completer,
                heartbeats,
            },
            capacity,
            shutdown,
            interceptors: Interceptors::new(interceptors, status),
        }
    }
}

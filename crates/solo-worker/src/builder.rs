//! [`WorkerBuilder`]: registering activities and setting the worker's options.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use solo_client::{ActivityError, Client};
use solo_proto::temporal::api::common::v1::Payload;
use tower::{Layer, Service};

use crate::activity::{ActivityImpl, ActivityRequest, ActivityService, Typed};
use crate::dynamic::{Dynamic, DynamicActivity};
use crate::error::WorkerError;
use crate::interceptor::WorkerInterceptor;
use crate::options::{PollerBehavior, WorkerOptions, invalid};
use crate::registry::Registry;
use crate::worker::Worker;

impl Worker {
    /// Starts building a worker for `task_queue`, in the client's namespace, with the client's
    /// data converter.
    pub fn builder(client: Client, task_queue: impl Into<String>) -> WorkerBuilder {
        WorkerBuilder::new(client, task_queue.into())
    }
}

type LayerFn = Arc<dyn Fn(ActivityService) -> ActivityService + Send + Sync>;

/// Registers activities and sets options, then [`build`](Self::build)s a [`Worker`].
///
/// Made by [`Worker::builder`]. Setters never fail; [`build`](Self::build) reports the first
/// problem (a duplicate activity name, an invalid option, no activities at all).
///
/// ```no_run
/// use std::time::Duration;
/// use solo_worker::{PollerBehavior, Worker};
/// # struct Greet;
/// # impl solo_client::Activity for Greet { type Input = (); type Output = (); fn name(&self) -> &str { "greet" } }
/// # impl solo_worker::ActivityImpl for Greet {
/// #     fn execute(&self, _: solo_worker::ActivityContext, _: ()) -> solo_worker::ActivityFuture<()> { Box::pin(async { Ok(()) }) }
/// # }
///
/// # async fn run(client: solo_client::Client) -> Result<(), solo_worker::WorkerError> {
/// let worker = Worker::builder(client, "my-task-queue")
///     .activity(Greet)
///     .max_concurrent_activities(50)
///     .pollers(PollerBehavior::Fixed(4))
///     .max_blocking_threads(5)
///     .graceful_shutdown_timeout(Duration::from_secs(10))
///     .build()?;
/// worker.run_until_ctrl_c().await
/// # }
/// ```
pub struct WorkerBuilder {
    client: Client,
    task_queue: String,
    activities: HashMap<String, ActivityService>,
    dynamic: Option<ActivityService>,
    error: Option<WorkerError>,
    layers: Vec<LayerFn>,
    interceptors: Vec<Arc<dyn WorkerInterceptor>>,
    options: WorkerOptions,
}

impl fmt::Debug for WorkerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.activities.keys().collect();
        names.sort();
        f.debug_struct("WorkerBuilder")
            .field("task_queue", &self.task_queue)
            .field("activities", &names)
            .field("dynamic", &self.dynamic.is_some())
            .field("layers", &self.layers.len())
            .field("interceptors", &self.interceptors.len())
            .field("options", &self.options)
            .finish()
    }
}

impl WorkerBuilder {
    pub(crate) fn new(client: Client, task_queue: String) -> Self {
        WorkerBuilder {
            client,
            task_queue,
            activities: HashMap::new(),
            dynamic: None,
            error: None,
            layers: Vec::new(),
            interceptors: Vec::new(),
            options: WorkerOptions::default(),
        }
    }

    fn fail(&mut self, error: WorkerError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Registers an activity under its name ([`Activity::name`](solo_client::Activity::name)).
    /// Registering two activities with one name makes [`build`](Self::build) fail.
    pub fn activity<A: ActivityImpl>(mut self, activity: A) -> Self {
        let name = activity.name().to_owned();
        if name.is_empty() {
            self.fail(WorkerError::InvalidOption {
                option: "activity",
                reason: "an activity has an empty name; give it one with #[activity(name = \"...\")] or Activity::name".into(),
            });
            return self;
        }
        if self.activities.contains_key(&name) {
            self.fail(WorkerError::DuplicateActivity {
                name,
                task_queue: self.task_queue.clone(),
            });
            return self;
        }
        self.activities.insert(name, Typed::service(activity));
        self
    }

    /// Registers the dynamic activity: it runs every task whose activity type no activity
    /// registered with [`activity`](Self::activity) matches, given the type name and the raw
    /// payloads (see [`DynamicActivity`]). Without one, such a task fails retryably with
    /// [`NOT_REGISTERED_ERROR_TYPE`](crate::NOT_REGISTERED_ERROR_TYPE). A worker has at most
    /// one; registering a second makes [`build`](Self::build) fail with
    /// [`WorkerError::DuplicateDynamicActivity`]. Layers wrap it as they wrap the others.
    ///
    /// ```
    /// use solo_client::ActivityError;
    /// use solo_worker::{ActivityContext, DynamicInput, Worker};
    ///
    /// # fn register(client: solo_client::Client) -> Result<Worker, solo_worker::WorkerError> {
    /// let worker = Worker::builder(client, "anything")
    ///     .dynamic_activity(|_ctx: ActivityContext, input: DynamicInput| async move {
    ///         // Echo the type name and how many arguments came.
    ///         Ok::<_, ActivityError>(input.encode(&(input.activity_type(), input.len()))?)
    ///     })
    ///     .build()?;
    /// # Ok(worker)
    /// # }
    /// ```
    pub fn dynamic_activity(mut self, activity: impl DynamicActivity) -> Self {
        if self.dynamic.is_some() {
            self.fail(WorkerError::DuplicateDynamicActivity {
                task_queue: self.task_queue.clone(),
            });
            return self;
        }
        self.dynamic = Some(Dynamic::service(activity));
        self
    }

    /// Wraps every registered activity in a tower layer, at the payload level (requests are
    /// [`ActivityRequest`]s, responses the result [`Payload`]): for logging, metrics,
    /// authorization, or limits per activity. The first layer added is the outermost.
    ///
    /// ```
    /// use solo_worker::{ActivityRequest, ActivityService};
    /// use tower::ServiceBuilder;
    ///
    /// // Log each attempt's activity type before it runs.
    /// let layer = tower::layer::layer_fn(|inner: ActivityService| {
    ///     ServiceBuilder::new()
    ///         .map_request(|req: ActivityRequest| {
    ///             tracing::info!(activity_type = %req.context.info().activity_type, "starting");
    ///             req
    ///         })
    ///         .service(inner)
    /// });
    /// # let _ = layer;
    /// ```
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<ActivityService> + Send + Sync + 'static,
        L::Service: Service<ActivityRequest, Response = Payload, Error = ActivityError>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<ActivityRequest>>::Future: Send + 'static,
    {
        self.layers.push(Arc::new(move |inner: ActivityService| {
            ActivityService::new(layer.layer(inner))
        }));
        self
    }

    /// Adds an interceptor: hooks on the worker's polls and around each activity attempt
    /// (its span, its future, its outcome). Interceptors run in the order added (default
    /// none). `solo_otel::Metrics` and `solo_otel::TracingInterceptor` are interceptors.
    ///
    /// Takes the interceptor itself or an `Arc` of it (`Arc<T>` and `Arc<dyn WorkerInterceptor>`
    /// are interceptors too), so one instance can be shared with other code.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use solo_worker::{ActivityInfo, Worker, WorkerInterceptor};
    /// # struct Greet;
    /// # impl solo_client::Activity for Greet { type Input = (); type Output = (); fn name(&self) -> &str { "greet" } }
    /// # impl solo_worker::ActivityImpl for Greet {
    /// #     fn execute(&self, _: solo_worker::ActivityContext, _: ()) -> solo_worker::ActivityFuture<()> { Box::pin(async { Ok(()) }) }
    /// # }
    ///
    /// struct Hello;
    /// impl WorkerInterceptor for Hello {
    ///     fn on_attempt_start(&self, info: &ActivityInfo, _span: &tracing::Span) {
    ///         tracing::debug!(activity_type = %info.activity_type, "starting");
    ///     }
    /// }
    ///
    /// # fn build(client: solo_client::Client) -> Result<Worker, solo_worker::WorkerError> {
    /// let shared: Arc<dyn WorkerInterceptor> = Arc::new(Hello);
    /// Worker::builder(client, "my-task-queue")
    ///     .activity(Greet)
    ///     .interceptor(Hello)
    ///     .interceptor(shared.clone())
    ///     .build()
    /// # }
    /// ```
    pub fn interceptor(mut self, interceptor: impl WorkerInterceptor) -> Self {
        self.interceptors.push(Arc::new(interceptor));
        self
    }

    /// Sets how many activities may run at once (default
    /// [`DEFAULT_MAX_CONCURRENT_ACTIVITIES`](crate::DEFAULT_MAX_CONCURRENT_ACTIVITIES), 100).
    /// The worker only polls for a task when it has room to run it.
    pub fn max_concurrent_activities(mut self, slots: usize) -> Self {
        self.options.max_concurrent_activities = slots;
        self
    }

    /// Sets how many pollers the worker runs (default [`PollerBehavior::default`]: 5, never
    /// more than the concurrent activities).
    pub fn pollers(mut self, pollers: PollerBehavior) -> Self {
        self.options.pollers = pollers;
        self
    }

    /// Limits how many activities this worker starts per second (default: no limit). Tasks
    /// are evenly spaced, without bursts.
    pub fn max_activities_per_second(mut self, rate: f64) -> Self {
        self.options.max_activities_per_second = Some(rate);
        self
    }

    /// Asks the server to hand out at most `rate` tasks per second from this task queue, to
    /// all its workers together (sent with each poll as
    /// `task_queue_metadata.max_tasks_per_second`; default: no limit). The last worker to poll
    /// sets the limit.
    pub fn max_task_queue_activities_per_second(mut self, rate: f64) -> Self {
        self.options.max_task_queue_activities_per_second = Some(rate);
        self
    }

    /// Sets the identity the server records for this worker (default: the client's identity,
    /// `<pid>@<hostname>` unless the client was given another).
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.options.identity = Some(identity.into());
        self
    }

    /// Sets how long shutdown waits for running activities to finish (default 0, as in the
    /// Python and Go SDKs). Activities can see that shutdown began with
    /// [`ActivityContext::worker_shutdown`](crate::ActivityContext::worker_shutdown). When the
    /// period ends, the remaining activities are cancelled
    /// ([`CancellationReason::WorkerShutdown`](crate::CancellationReason::WorkerShutdown)) and
    /// reported as retryable failures of type `WorkerShutdown`, so the server retries them on
    /// another worker.
    pub fn graceful_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.options.graceful_shutdown_timeout = timeout;
        self
    }

    /// Sets how many blocking (non-`async`) activities may run at once, each on its own
    /// thread — the counterpart of Python's `activity_executor=ThreadPoolExecutor(n)`
    /// (default: the number of concurrent activities).
    pub fn max_blocking_threads(mut self, threads: usize) -> Self {
        self.options.max_blocking_threads = Some(threads);
        self
    }

    /// Checks the registrations and options and makes the worker. Does no I/O.
    ///
    /// # Errors
    /// - [`WorkerError::DuplicateActivity`] when two activities share a name;
    /// - [`WorkerError::NoActivities`] when none is registered;
    /// - [`WorkerError::InvalidOption`] for an empty task queue, zero concurrent activities,
    ///   pollers or blocking threads, `minimum > maximum` pollers, or a rate that is not a
    ///   positive number.
    pub fn build(mut self) -> Result<Worker, WorkerError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.task_queue.trim().is_empty() {
            return Err(invalid("task_queue", "the task queue name is empty"));
        }
        if self.activities.is_empty() && self.dynamic.is_none() {
            return Err(WorkerError::NoActivities {
                task_queue: self.task_queue,
            });
        }
        let options = self.options.settle()?;
        let layers = self.layers;
        let wrap =
            |service: ActivityService| layers.iter().rev().fold(service, |svc, layer| layer(svc));
        let activities = self
            .activities
            .into_iter()
            .map(|(name, service)| (name, wrap(service)))
            .collect();
        let registry = Registry::new(activities, self.dynamic.map(wrap));
        Ok(Worker::new(
            self.client,
            self.task_queue,
            registry,
            options,
            self.interceptors,
        ))
    }
}

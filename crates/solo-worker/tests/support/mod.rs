//! Shared by the worker's integration tests: a client on the shared dev server, unique names,
//! activity options with short timeouts, a worker running in the background, and activities
//! written as closures.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use solo_client::{
    Activity, ActivityError, ActivityOptions, Client, ClientOptions, Connection, ConnectionOptions,
    RetryPolicy,
};
use solo_worker::{ActivityContext, ActivityFuture, ActivityImpl, Worker, WorkerError};
use tokio::task::JoinHandle;

/// How long a test waits for anything before failing.
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

/// A client on the shared dev server.
pub(crate) async fn client() -> Client {
    let address = solo_testing::DevServer::shared()
        .expect("the dev server starts")
        .address();
    let connection = Connection::connect(ConnectionOptions::new(address))
        .await
        .expect("connects to the dev server");
    Client::new(connection, ClientOptions::new())
}

/// A name no other test uses.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

/// Options with a 10 s attempt timeout and fast retries (100 ms apart).
pub(crate) fn options(id: &str, task_queue: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(id)
        .task_queue(task_queue)
        .start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(
            RetryPolicy::new()
                .initial_interval(Duration::from_millis(100))
                .maximum_interval(Duration::from_millis(200)),
        )
}

/// Options that allow a single attempt.
pub(crate) fn one_attempt(id: &str, task_queue: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(id)
        .task_queue(task_queue)
        .start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(RetryPolicy::new().maximum_attempts(1))
}

/// Fails the test when `future` takes longer than [`PATIENCE`].
pub(crate) async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what} did not finish within {PATIENCE:?}"),
    }
}

/// A worker running on a spawned task.
pub(crate) struct Running {
    pub worker: Worker,
    join: Option<JoinHandle<Result<(), WorkerError>>>,
}

impl Running {
    /// Spawns `worker.run()`.
    pub(crate) fn start(worker: Worker) -> Running {
        let join = tokio::spawn(worker.clone().run());
        Running {
            worker,
            join: Some(join),
        }
    }

    /// Shuts the worker down and returns what `run` returned.
    pub(crate) async fn stop(mut self) -> Result<(), WorkerError> {
        let join = self.join.take().unwrap();
        within("worker shutdown", async {
            self.worker.shutdown().await;
            join.await.expect("the worker task does not panic")
        })
        .await
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.join.is_some() {
            self.worker.begin_shutdown();
        }
    }
}

type Body<I, O> = dyn Fn(ActivityContext, I) -> ActivityFuture<O> + Send + Sync;

/// An activity written as a closure, for tests that need to observe or steer it.
pub(crate) struct FnActivity<I, O> {
    name: String,
    body: Arc<Body<I, O>>,
    _types: PhantomData<fn(I) -> O>,
}

impl<I, O> Clone for FnActivity<I, O> {
    fn clone(&self) -> Self {
        FnActivity {
            name: self.name.clone(),
            body: self.body.clone(),
            _types: PhantomData,
        }
    }
}

/// Makes an activity called `name` from an async closure.
pub(crate) fn activity<I, O, F, Fut>(name: &str, f: F) -> FnActivity<I, O>
where
    I: Serialize + DeserializeOwned + Send + 'static,
    O: Serialize + DeserializeOwned + Send + 'static,
    F: Fn(ActivityContext, I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, ActivityError>> + Send + 'static,
{
    FnActivity {
        name: name.to_owned(),
        body: Arc::new(move |ctx, input| Box::pin(f(ctx, input))),
        _types: PhantomData,
    }
}

/// Makes an activity called `name` from a closure that returns a boxed future (for example
/// one from `solo_worker::run_blocking`).
pub(crate) fn activity_boxed<I, O, F>(name: &str, f: F) -> FnActivity<I, O>
where
    I: Serialize + DeserializeOwned + Send + 'static,
    O: Serialize + DeserializeOwned + Send + 'static,
    F: Fn(ActivityContext, I) -> ActivityFuture<O> + Send + Sync + 'static,
{
    FnActivity {
        name: name.to_owned(),
        body: Arc::new(f),
        _types: PhantomData,
    }
}

impl<I, O> Activity for FnActivity<I, O>
where
    I: Serialize + DeserializeOwned + Send + 'static,
    O: Serialize + DeserializeOwned + Send + 'static,
{
    type Input = I;
    type Output = O;

    fn name(&self) -> &str {
        &self.name
    }
}

impl<I, O> ActivityImpl for FnActivity<I, O>
where
    I: Serialize + DeserializeOwned + Send + 'static,
    O: Serialize + DeserializeOwned + Send + 'static,
{
    fn execute(&self, ctx: ActivityContext, input: I) -> ActivityFuture<O> {
        (self.body)(ctx, input)
    }
}

/// Counts how many callers are inside at once and remembers the most.
#[derive(Default)]
pub(crate) struct Gauge {
    now: std::sync::atomic::AtomicUsize,
    peak: std::sync::atomic::AtomicUsize,
}

impl Gauge {
    /// Enters; the guard leaves on drop.
    pub(crate) fn enter(self: &Arc<Self>) -> GaugeGuard {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.peak.fetch_max(now, SeqCst);
        GaugeGuard(self.clone())
    }

    /// How many callers are inside now.
    pub(crate) fn now(&self) -> usize {
        self.now.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits (sleeping, so it also works on a blocking thread) until `count` callers are
    /// inside at once, or `limit` passes.
    pub(crate) fn wait_for(&self, count: usize, limit: Duration) {
        let started = std::time::Instant::now();
        while self.now() < count && started.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The most callers seen inside at once.
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Leaves a [`Gauge`] on drop.
pub(crate) struct GaugeGuard(Arc<Gauge>);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

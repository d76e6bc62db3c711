//! [`ActivityEnvironment`]: run an activity in a unit test, without a server or a worker.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use solo_client::to_payload;
use solo_client::{ActivityError, Client, Details};
use solo_worker::{
    ActivityContext, ActivityImpl, ActivityInfo, CancellationReason, DetachedContext,
};

type HeartbeatHook = Arc<dyn Fn(&Details) + Send + Sync>;

#[derive(Default)]
struct State {
    heartbeats: Mutex<Vec<Details>>,
    on_heartbeat: Mutex<Option<HeartbeatHook>>,
    running: Mutex<Vec<(u64, Arc<DetachedContext>)>>,
    next_id: AtomicU64,
    shutting_down: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only plain pushes and clones happen under these locks.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    fn cancel(&self, reason: CancellationReason) {
        for (_, ctx) in lock(&self.running).iter() {
            ctx.cancel(reason);
        }
    }

    fn begin_worker_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        for (_, ctx) in lock(&self.running).iter() {
            ctx.begin_worker_shutdown();
        }
    }
}

/// Runs activities the way a worker would — with an [`ActivityContext`] and its info,
/// heartbeats and cancellation — but in-process, without a server: the Rust counterpart of
/// Python's `temporalio.testing.ActivityEnvironment`.
///
/// Heartbeats are recorded (every one, unthrottled) and can be read with
/// [`heartbeats`](Self::heartbeats) or watched with [`on_heartbeat`](Self::on_heartbeat).
/// [`cancel`](Self::cancel) cancels the activities running at that moment, as a client's
/// cancel request would; [`begin_worker_shutdown`](Self::begin_worker_shutdown) simulates a
/// worker shutting down. Blocking (non-`async`) activities run on a blocking pool, as on a
/// worker. Inputs and outputs are passed as Rust values (no payload conversion), and a panic
/// in the activity propagates to the test.
///
/// ```
/// use solo_client::{ActivityError, Cancelled};
/// use solo_testing::ActivityEnvironment;
/// use solo_worker::{ActivityContext, CancellationReason};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let env = ActivityEnvironment::new();
/// let handle = env.handle();
/// // Cancel as soon as the activity reports progress.
/// env.on_heartbeat(move |_details| handle.cancel());
///
/// let result: Result<u32, ActivityError> = env
///     .run_with(|ctx: ActivityContext| async move {
///         ctx.heartbeat(&1);
///         ctx.cancelled().await;
///         assert_eq!(ctx.cancellation_reason(), Some(CancellationReason::Requested));
///         Err(Cancelled::new().into())
///     })
///     .await;
/// assert!(matches!(result, Err(ActivityError::Cancelled(_))));
/// assert_eq!(env.heartbeats()[0].get::<u32>(0).unwrap(), 1);
/// # }
/// ```
pub struct ActivityEnvironment {
    info: ActivityInfo,
    blocking_threads: usize,
    state: Arc<State>,
    client: Option<Client>,
}

impl fmt::Debug for ActivityEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivityEnvironment")
            .field("info", &self.info)
            .field("blocking_threads", &self.blocking_threads)
            .field("heartbeats", &lock(&self.state.heartbeats).len())
            .finish_non_exhaustive()
    }
}

impl Default for ActivityEnvironment {
    fn default() -> Self {
        ActivityEnvironment::new()
    }
}

/// The info an [`ActivityEnvironment`] starts with: a standalone activity `test` of type
/// `unknown` on task queue `test` in namespace `default`, attempt 1, scheduled and started
/// now, with a 10 s start-to-close timeout and no heartbeat timeout.
pub fn default_info() -> ActivityInfo {
    let now = SystemTime::now();
    let mut info = ActivityInfo::default();
    info.activity_id = "test".into();
    info.activity_run_id = Some("test-run".into());
    info.activity_type = "unknown".into();
    info.namespace = "default".into();
    info.task_queue = "test".into();
    info.attempt = 1;
    info.scheduled_time = Some(now);
    info.current_attempt_scheduled_time = Some(now);
    info.started_time = Some(now);
    info.start_to_close_timeout = Some(Duration::from_secs(10));
    info.task_token = bytes_token();
    info
}

fn bytes_token() -> solo_proto::export::bytes::Bytes {
    solo_proto::export::bytes::Bytes::from_static(b"test-task-token")
}

impl ActivityEnvironment {
    /// An environment with [`default_info`] and a blocking pool of 4 threads.
    pub fn new() -> Self {
        ActivityEnvironment {
            info: default_info(),
            blocking_threads: 4,
            state: Arc::new(State::default()),
            client: None,
        }
    }

    /// Replaces the info the activities see (start from [`default_info`] to change a few
    /// fields).
    pub fn with_info(mut self, info: ActivityInfo) -> Self {
        self.info = info;
        self
    }

    /// The info the activities see, to change fields in place.
    pub fn info_mut(&mut self) -> &mut ActivityInfo {
        &mut self.info
    }

    /// Sets the attempt number (default 1).
    pub fn with_attempt(mut self, attempt: u32) -> Self {
        self.info.attempt = attempt;
        self
    }

    /// Sets the heartbeat details "left by a previous attempt", which the activity reads with
    /// [`ActivityContext::heartbeat_details`] (default none).
    ///
    /// # Panics
    /// When `details` cannot be serialized.
    pub fn with_heartbeat_details<T: Serialize + ?Sized>(mut self, details: &T) -> Self {
        #[allow(clippy::expect_used)]
        let payload = to_payload(details).expect("heartbeat details serialize");
        self.info.heartbeat_details = Details::new(vec![payload]);
        self
    }

    /// Gives the activities a client, as [`ActivityContext::client`] (default none: `client()`
    /// fails with [`ClientUnavailable`](solo_worker::ClientUnavailable)). Like Python's
    /// `ActivityEnvironment(client=...)`; use a client on a dev server, for example
    /// `solo_testing::DevServer`.
    pub fn with_client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Sets how many blocking activities may run at once (default 4).
    pub fn with_blocking_threads(mut self, threads: usize) -> Self {
        self.blocking_threads = threads.max(1);
        self
    }

    /// Calls `f` with the details of every heartbeat, as it happens (after recording it).
    /// Replaces an earlier callback.
    pub fn on_heartbeat(&self, f: impl Fn(&Details) + Send + Sync + 'static) {
        *lock(&self.state.on_heartbeat) = Some(Arc::new(f));
    }

    /// The details of every heartbeat recorded so far, oldest first.
    pub fn heartbeats(&self) -> Vec<Details> {
        lock(&self.state.heartbeats).clone()
    }

    /// Cancels the activities running now, as a client's cancel request would
    /// ([`CancellationReason::Requested`]).
    pub fn cancel(&self) {
        self.state.cancel(CancellationReason::Requested);
    }

    /// Cancels the activities running now with a chosen reason (for example
    /// [`CancellationReason::NotFound`], as after a termination).
    pub fn cancel_with(&self, reason: CancellationReason) {
        self.state.cancel(reason);
    }

    /// Tells running and later activities that the worker is shutting down
    /// ([`ActivityContext::worker_shutdown`]), without cancelling them.
    pub fn begin_worker_shutdown(&self) {
        self.state.begin_worker_shutdown();
    }

    /// A handle that can cancel or shut down from elsewhere: another task, or an
    /// [`on_heartbeat`](Self::on_heartbeat) callback.
    pub fn handle(&self) -> EnvironmentHandle {
        EnvironmentHandle {
            state: self.state.clone(),
        }
    }

    /// Runs `activity` with `input` (the `#[activity]` struct, or any [`ActivityImpl`]).
    ///
    /// # Errors
    /// The activity's own error.
    pub async fn run<A: ActivityImpl>(
        &self,
        activity: A,
        input: A::Input,
    ) -> Result<A::Output, ActivityError> {
        self.run_with(move |ctx| activity.execute(ctx, input)).await
    }

    /// Runs any async code that takes an [`ActivityContext`] — a closure, or an activity's
    /// `run` function.
    pub async fn run_with<F, Fut, T>(&self, f: F) -> T
    where
        F: FnOnce(ActivityContext) -> Fut,
        Fut: Future<Output = T>,
    {
        let state = self.state.clone();
        let record: Arc<dyn Fn(Details) + Send + Sync> = Arc::new(move |details: Details| {
            lock(&state.heartbeats).push(details.clone());
            let hook = lock(&state.on_heartbeat).clone();
            if let Some(hook) = hook {
                hook(&details);
            }
        });
        let detached = Arc::new(match &self.client {
            Some(client) => DetachedContext::with_client(
                self.info.clone(),
                record,
                self.blocking_threads,
                client.clone(),
            ),
            None => DetachedContext::new(self.info.clone(), record, self.blocking_threads),
        });
        if self.state.shutting_down.load(Ordering::SeqCst) {
            detached.begin_worker_shutdown();
        }
        let id = self.state.next_id.fetch_add(1, Ordering::SeqCst);
        lock(&self.state.running).push((id, detached.clone()));
        let _running = Running {
            state: &self.state,
            id,
        };
        f(detached.context()).await
    }
}

/// Removes a run from the environment's running list when it ends (or is dropped).
struct Running<'a> {
    state: &'a State,
    id: u64,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        lock(&self.state.running).retain(|(id, _)| *id != self.id);
    }
}

/// Cancels or shuts down an [`ActivityEnvironment`]'s activities from elsewhere. Cheap to
/// clone.
#[derive(Clone)]
pub struct EnvironmentHandle {
    state: Arc<State>,
}

impl fmt::Debug for EnvironmentHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvironmentHandle").finish_non_exhaustive()
    }
}

impl EnvironmentHandle {
    /// As [`ActivityEnvironment::cancel`].
    pub fn cancel(&self) {
        self.state.cancel(CancellationReason::Requested);
    }

    /// As [`ActivityEnvironment::cancel_with`].
    pub fn cancel_with(&self, reason: CancellationReason) {
        self.state.cancel(reason);
    }

    /// As [`ActivityEnvironment::begin_worker_shutdown`].
    pub fn begin_worker_shutdown(&self) {
        self.state.begin_worker_shutdown();
    }

    /// As [`ActivityEnvironment::heartbeats`].
    pub fn heartbeats(&self) -> Vec<Details> {
        lock(&self.state.heartbeats).clone()
    }
}

//! [`ActivityContext`]: what a running activity can ask of the worker — its info, heartbeats,
//! cancellation, worker shutdown and the worker's client.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use solo_client::{Client, DataConverter, DataError, DecodePayload, Details, ValueRef};
use solo_proto::temporal::api::common::v1::Payload;
use tokio_util::sync::CancellationToken;

use crate::blocking::BlockingPool;
use crate::cancellation::{CancelState, CancellationReason};
use crate::error::ClientUnavailable;
use crate::heartbeat::Heartbeater;
use crate::info::ActivityInfo;

thread_local! {
    /// Where heartbeat details are serialized before the attempt's outbox copies them.
    static JSON_SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The scratch buffer keeps at most this much capacity between heartbeats.
const SCRATCH_KEPT: usize = 64 * 1024;

/// Records `details` as the JSON data the standard converter makes of them, so that the
/// outbox keeps bytes, not a payload (most heartbeats are replaced before they are sent).
/// `Some(Ok(false))` for details the standard converter encodes otherwise; `None` when the
/// scratch buffer is in use (a `Serialize` implementation that heartbeats).
fn record_json<T: Serialize + ?Sized>(
    heartbeater: &Heartbeater,
    details: &T,
) -> Option<Result<bool, DataError>> {
    JSON_SCRATCH.with(|scratch| {
        let mut scratch = scratch.try_borrow_mut().ok()?;
        let json = solo_client::__private::standard_json_into(details, &mut scratch);
        if let Ok(true) = json {
            heartbeater.record_json(&scratch);
        }
        if scratch.capacity() > SCRATCH_KEPT {
            *scratch = Vec::new();
        }
        Some(json)
    })
}

/// Where heartbeats go.
enum HeartbeatTarget {
    /// To the server, throttled (a worker).
    Worker(Heartbeater),
    /// To a callback, every one (a test environment).
    Callback(Arc<dyn Fn(Details) + Send + Sync>),
}

struct Inner {
    info: ActivityInfo,
    cancel: Arc<CancelState>,
    worker_shutdown: CancellationToken,
    heartbeat: HeartbeatTarget,
    blocking: BlockingPool,
    span: tracing::Span,
    /// The worker's client (none in a test environment that was given none).
    client: Option<Client>,
    /// The worker's data converter (the client's), for heartbeat details.
    converter: DataConverter,
}

/// The running activity's view of its task and worker. Cheap to clone.
///
/// An activity that is to be completed later, by another program or task, hands out its id
/// (`ctx.info().activity_id` and `activity_run_id`) or its task token
/// (`ctx.info().task_token`) and returns
/// [`ActivityError::complete_async`](solo_client::ActivityError::complete_async); see
/// `Client::get_async_activity_handle`:
///
/// ```
/// use solo_client::ActivityError;
/// use solo_worker::ActivityContext;
/// # fn send_for_approval(_request: &str, _task_token: &[u8]) {}
///
/// #[solo_macros::activity(crate = "solo_worker")]
/// async fn approve(request: String, ctx: ActivityContext) -> Result<bool, ActivityError> {
///     send_for_approval(&request, &ctx.info().task_token); // the approver completes it
///     Err(ActivityError::complete_async())
/// }
/// ```
///
/// Take one as a parameter of an `#[activity]` function (by value or by reference):
///
/// ```
/// use solo_client::{ActivityError, Cancelled};
/// use solo_worker::ActivityContext;
/// # async fn fetch_chunk(_url: &str, _from: u64) -> Result<u64, std::io::Error> { Ok(1) }
///
/// #[solo_macros::activity(crate = "solo_worker")] // `#[solo::activity]` with the facade
/// async fn download(url: String, ctx: ActivityContext) -> Result<u64, ActivityError> {
///     let total = 100;
///     let mut done: u64 = ctx.heartbeat_details()?.unwrap_or(0); // resume after a retry
///     while done < total {
///         tokio::select! {
///             chunk = fetch_chunk(&url, done) => done += chunk?,
///             _ = ctx.cancelled() => return Err(Cancelled::new().detail(&done).into()),
///         }
///         ctx.heartbeat(&done);
///     }
///     Ok(done)
/// }
/// ```
#[derive(Clone)]
pub struct ActivityContext {
    inner: Arc<Inner>,
}

impl fmt::Debug for ActivityContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivityContext")
            .field("activity_id", &self.inner.info.activity_id)
            .field("activity_type", &self.inner.info.activity_type)
            .field("attempt", &self.inner.info.attempt)
            .field("cancellation", &self.inner.cancel.reason())
            .finish_non_exhaustive()
    }
}

impl ActivityContext {
    pub(crate) fn for_worker(
        info: ActivityInfo,
        cancel: Arc<CancelState>,
        worker_shutdown: CancellationToken,
        heartbeater: Heartbeater,
        blocking: BlockingPool,
        span: tracing::Span,
        client: Client,
    ) -> Self {
        // The worker's converter is its client's.
        let converter = client.data_converter().clone();
        ActivityContext {
            inner: Arc::new(Inner {
                info,
                cancel,
                worker_shutdown,
                heartbeat: HeartbeatTarget::Worker(heartbeater),
                blocking,
                span,
                client: Some(client),
                converter,
            }),
        }
    }

    /// The attempt's tracing span (named `activity`, with the fields `namespace`,
    /// `task_queue`, `activity_id`, `run_id`, `activity_type`, `attempt` and, once decided,
    /// `outcome`; for an activity scheduled by a workflow, `workflow_id`, `workflow_run_id`
    /// and `workflow_type` in place of `run_id`) — the counterpart of Python's
    /// `activity.logger`.
    ///
    /// An `async` activity already runs inside it, so its `tracing` events carry those fields.
    /// Enter it explicitly where the activity's own work leaves the span: on threads it starts,
    /// or in tasks it spawns (`tokio::spawn(fut.instrument(ctx.span().clone()))`). Blocking
    /// activities run inside it too. Outside a worker (a test environment) it is a disabled
    /// span.
    ///
    /// ```
    /// use solo_worker::ActivityContext;
    ///
    /// fn log_progress(ctx: &ActivityContext, done: u64) {
    ///     let _entered = ctx.span().enter();
    ///     tracing::info!(done, "progress"); // carries activity_id, attempt, ...
    /// }
    /// ```
    pub fn span(&self) -> &tracing::Span {
        &self.inner.span
    }

    /// Facts about this attempt: ids, type, attempt number, timeouts, times, and the heartbeat
    /// details of the previous attempt.
    pub fn info(&self) -> &ActivityInfo {
        &self.inner.info
    }

    /// The worker's data converter (its client's): what turns values into payloads here.
    /// Outside a worker (a test environment) the default one.
    pub fn data_converter(&self) -> &DataConverter {
        &self.inner.converter
    }

    /// Records a heartbeat with `details` (anything serializable, converted by the worker's
    /// payload converter; `&()` for none).
    ///
    /// Heartbeats tell the server the activity is alive (required when the activity has a
    /// heartbeat timeout) and are how cancellation requests reach it. The worker sends the
    /// first heartbeat at once and then at most one per throttle interval (80 % of the
    /// heartbeat timeout, or 30 s without one, at most 60 s), always with the latest details;
    /// the details are handed to the next attempt if this one fails. This call never blocks
    /// and may be made from blocking activities too.
    ///
    /// A value that cannot be serialized is logged and not sent.
    pub fn heartbeat<T: Serialize + ?Sized>(&self, details: &T) {
        if std::any::type_name::<T>() == "()" {
            self.heartbeat_payloads(Vec::new());
            return;
        }
        if let HeartbeatTarget::Worker(heartbeater) = &self.inner.heartbeat
            && self.inner.converter.has_standard_payload_converter()
        {
            match record_json(heartbeater, details) {
                Some(Ok(true)) => return,
                Some(Err(e)) => {
                    tracing::warn!(
                        error = %e,
                        "heartbeat details could not be encoded; the heartbeat was not recorded"
                    );
                    return;
                }
                // Not JSON (bytes or null), or the scratch buffer is in use: as payloads.
                Some(Ok(false)) | None => {}
            }
        }
        let converter = self.inner.converter.payload_converter();
        match converter.to_payload(ValueRef::serde(&details)) {
            Ok(p) => self.heartbeat_payloads(vec![p]),
            Err(e) => tracing::warn!(
                error = %e,
                "heartbeat details could not be encoded; the heartbeat was not recorded"
            ),
        }
    }

    /// Records a heartbeat with already-encoded details (before the codec, if one is set).
    pub fn heartbeat_payloads(&self, details: Vec<Payload>) {
        match &self.inner.heartbeat {
            HeartbeatTarget::Worker(h) => h.record(details),
            HeartbeatTarget::Callback(f) => f(Details::new(details)),
        }
    }

    /// Decodes the first heartbeat detail left by the previous attempt (`None` on the first
    /// attempt or when it recorded none), with the worker's payload converter.
    ///
    /// # Errors
    /// When the detail does not decode as `T`.
    pub fn heartbeat_details<T: DecodePayload>(&self) -> Result<Option<T>, DataError> {
        let details = &self.inner.info.heartbeat_details;
        if details.is_empty() {
            return Ok(None);
        }
        details
            .get_with(0, self.inner.converter.payload_converter())
            .map(Some)
    }

    /// Whether cancellation has fired (see [`cancellation_reason`](Self::cancellation_reason)).
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Completes when cancellation fires: a cancel request from a client, the attempt being
    /// gone on the server, its timeout passing, or the end of the worker's graceful shutdown.
    ///
    /// # Cancel safety
    /// Cancel safe: use it in `tokio::select!`.
    pub fn cancelled(&self) -> impl std::future::Future<Output = ()> + Send + '_ {
        self.inner.cancel.cancelled()
    }

    /// A token that is cancelled when this activity's cancellation fires, for handing to code
    /// that takes a [`CancellationToken`]. Cancelling the returned token yourself does not
    /// cancel the activity.
    pub fn cancellation_token(&self) -> CancellationToken {
        self.inner.cancel.child_token()
    }

    /// Why cancellation fired, or `None` if it has not.
    pub fn cancellation_reason(&self) -> Option<CancellationReason> {
        self.inner.cancel.reason()
    }

    /// Whether the worker has begun shutting down. The activity may still finish during the
    /// graceful shutdown period; after it, cancellation fires with
    /// [`CancellationReason::WorkerShutdown`].
    pub fn is_worker_shutting_down(&self) -> bool {
        self.inner.worker_shutdown.is_cancelled()
    }

    /// Completes when the worker begins shutting down.
    ///
    /// # Cancel safety
    /// Cancel safe: use it in `tokio::select!`.
    pub async fn worker_shutdown(&self) {
        self.inner.worker_shutdown.cancelled().await
    }

    /// The worker's [`Client`], for calls from inside the activity — describe or start
    /// activities, count or list them — the counterpart of Python's `activity.client()`.
    ///
    /// It is the client the worker was built with: the same connection (no new one is
    /// opened), namespace, identity, data converter and interceptors. Blocking activities
    /// have it too (unlike Python's `def` activities): they run on a tokio blocking thread,
    /// where `tokio::runtime::Handle::current().block_on(...)` runs a call.
    ///
    /// ```
    /// use solo_client::{ActivityError, ActivityExecutionCount};
    /// use solo_worker::ActivityContext;
    ///
    /// #[solo_macros::activity(crate = "solo_worker")]
    /// async fn queue_depth(ctx: ActivityContext) -> Result<u64, ActivityError> {
    ///     let query = format!("TaskQueue = '{}'", ctx.info().task_queue);
    ///     let count: ActivityExecutionCount = ctx.client()?.count_activities(query).await?;
    ///     Ok(count.count)
    /// }
    /// ```
    ///
    /// # Errors
    /// [`ClientUnavailable`] only for a test environment's context that was given no client
    /// ([`DetachedContext::with_client`]).
    pub fn client(&self) -> Result<&Client, ClientUnavailable> {
        self.inner.client.as_ref().ok_or(ClientUnavailable)
    }

    pub(crate) fn blocking_pool(&self) -> &BlockingPool {
        &self.inner.blocking
    }
}

/// An [`ActivityContext`] that is not attached to a worker, for test environments such as
/// `solo_testing::ActivityEnvironment`: heartbeats go to a callback (unthrottled), and the
/// holder decides when cancellation and worker shutdown happen.
pub struct DetachedContext {
    context: ActivityContext,
}

impl fmt::Debug for DetachedContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DetachedContext")
            .field("context", &self.context)
            .finish()
    }
}

impl DetachedContext {
    /// A context with `info`, sending every heartbeat's details to `on_heartbeat`, and running
    /// blocking activities at most `blocking_threads` at a time. It has no client
    /// ([`ActivityContext::client`] fails); [`with_client`](Self::with_client) gives it one.
    pub fn new(
        info: ActivityInfo,
        on_heartbeat: Arc<dyn Fn(Details) + Send + Sync>,
        blocking_threads: usize,
    ) -> Self {
        Self::detached(info, on_heartbeat, blocking_threads, None)
    }

    /// As [`new`](Self::new), with `client` as [`ActivityContext::client`].
    pub fn with_client(
        info: ActivityInfo,
        on_heartbeat: Arc<dyn Fn(Details) + Send + Sync>,
        blocking_threads: usize,
        client: Client,
    ) -> Self {
        Self::detached(info, on_heartbeat, blocking_threads, Some(client))
    }

    fn detached(
        info: ActivityInfo,
        on_heartbeat: Arc<dyn Fn(Details) + Send + Sync>,
        blocking_threads: usize,
        client: Option<Client>,
    ) -> Self {
        DetachedContext {
            context: ActivityContext {
                inner: Arc::new(Inner {
                    info,
                    cancel: Arc::new(CancelState::default()),
                    worker_shutdown: CancellationToken::new(),
                    heartbeat: HeartbeatTarget::Callback(on_heartbeat),
                    blocking: BlockingPool::new(blocking_threads),
                    span: tracing::Span::none(),
                    converter: client
                        .as_ref()
                        .map(|c| c.data_converter().clone())
                        .unwrap_or_default(),
                    client,
                }),
            },
        }
    }

    /// The context to pass to the activity.
    pub fn context(&self) -> ActivityContext {
        self.context.clone()
    }

    /// Fires the activity's cancellation with `reason` (the first reason given wins).
    pub fn cancel(&self, reason: CancellationReason) {
        self.context.inner.cancel.cancel(reason);
    }

    /// Signals that the worker is shutting down (without cancelling the activity).
    pub fn begin_worker_shutdown(&self) {
        self.context.inner.worker_shutdown.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solo_client::to_payload;
    use std::sync::Mutex;

    fn detached() -> (DetachedContext, Arc<Mutex<Vec<Details>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let info = ActivityInfo {
            heartbeat_details: Details::new(vec![to_payload(&"resume-here").unwrap()]),
            ..Default::default()
        };
        let ctx = DetachedContext::new(info, Arc::new(move |d| sink.lock().unwrap().push(d)), 1);
        (ctx, seen)
    }

    #[test]
    fn heartbeats_reach_the_callback() {
        let (d, seen) = detached();
        let ctx = d.context();
        ctx.heartbeat(&5);
        ctx.heartbeat(&());
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].get::<i32>(0).unwrap(), 5);
        assert!(seen[1].is_empty());
        assert_eq!(
            ctx.heartbeat_details::<String>().unwrap().as_deref(),
            Some("resume-here")
        );
    }

    #[tokio::test]
    async fn the_first_cancellation_reason_wins() {
        let (d, _) = detached();
        let ctx = d.context();
        let token = ctx.cancellation_token();
        assert!(!ctx.is_cancelled());
        assert_eq!(ctx.cancellation_reason(), None);
        d.cancel(CancellationReason::Requested);
        d.cancel(CancellationReason::WorkerShutdown);
        ctx.cancelled().await;
        assert!(token.is_cancelled());
        assert_eq!(
            ctx.cancellation_reason(),
            Some(CancellationReason::Requested)
        );
    }

    #[test]
    fn a_detached_context_without_a_client_says_how_to_give_it_one() {
        let (d, _) = detached();
        let error = d.context().client().unwrap_err();
        assert!(error.to_string().contains("with_client"), "{error}");
    }

    #[tokio::test]
    async fn user_tokens_do_not_cancel_the_activity() {
        let (d, _) = detached();
        let ctx = d.context();
        ctx.cancellation_token().cancel();
        assert!(!ctx.is_cancelled());
        assert!(!ctx.is_worker_shutting_down());
        d.begin_worker_shutdown();
        ctx.worker_shutdown().await;
        assert!(!ctx.is_cancelled());
    }
}

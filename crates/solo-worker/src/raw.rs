//! The payload-level task API: poll an activity task, then complete, fail, cancel or heartbeat
//! it — with payloads as they travel on the wire, and no generics.
//!
//! This is the layer under [`Worker`](crate::Worker), for embedding solo in an SDK for another
//! language (a Python, Ruby or Node binding): the binding brings its own data converter,
//! codec and activity dispatch, and uses these types for the protocol. Everything here is
//! `Send + Sync`, owned, and free of type parameters:
//!
//! - [`TaskPoller::poll`] long-polls a task queue once and returns a [`RawTask`] (or `None`
//!   when the poll expired without work — poll again);
//! - [`TaskCompleter`] reports the outcome of a task by its token, and records heartbeats.
//!
//! Payloads are not run through any codec in either direction. Neither type limits
//! concurrency, throttles heartbeats or retries beyond what the connection does; the
//! [`Worker`](crate::Worker) adds those.
//!
//! ```no_run
//! use solo_worker::raw::{TaskCompleter, TaskPoller};
//!
//! # async fn run(client: solo_client::Client) -> Result<(), solo_worker::raw::TaskError> {
//! let poller = TaskPoller::new(&client, "my-task-queue");
//! let completer = TaskCompleter::new(&client);
//! loop {
//!     let Some(task) = poller.poll().await? else { continue };
//!     // Hand task.info and task.input to the embedding language, get a result payload back...
//!     let result = task.input.into_iter().next();
//!     completer.complete(task.info.task_token, result.into_iter().collect()).await?;
//! }
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryFutureExt;
use solo_client::__private::{
    CallCore, POLL_ACTIVITY_TASK_QUEUE, RECORD_ACTIVITY_TASK_HEARTBEAT,
    RESPOND_ACTIVITY_TASK_CANCELED, RESPOND_ACTIVITY_TASK_COMPLETED, RESPOND_ACTIVITY_TASK_FAILED,
    Rpc, RpcMessage, call_core,
};
use solo_client::{Client, RpcError};
use solo_connect::{CallNamespace, CallTaskQueue};
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use solo_proto::temporal::api::enums::v1::TaskQueueKind;
use solo_proto::temporal::api::failure::v1::failure::FailureInfo;
use solo_proto::temporal::api::failure::v1::{ApplicationFailureInfo, Failure};
use solo_proto::temporal::api::taskqueue::v1::{TaskQueue, TaskQueueMetadata};
use solo_proto::temporal::api::workflowservice::v1::{
    PollActivityTaskQueueRequest, PollActivityTaskQueueResponse,
    RecordActivityTaskHeartbeatRequest, RespondActivityTaskCanceledRequest,
    RespondActivityTaskCompletedRequest, RespondActivityTaskFailedRequest,
};
use tonic::Code;

use crate::info::ActivityInfo;

/// A task-level call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The server no longer knows this attempt: it timed out, was terminated or cancelled, or
    /// was already completed. Stop working on it; there is nothing left to report.
    #[error(
        "the server no longer knows this activity attempt (it timed out, was terminated, or was already completed): {message}"
    )]
    NotFound {
        /// The server's message.
        message: String,
    },
    /// Any other failure of the call, after the connection's retries.
    #[error("{rpc} failed: {error}")]
    Rpc {
        /// The RPC that failed, e.g. `PollActivityTaskQueue`.
        rpc: &'static str,
        /// The gRPC code and message.
        error: RpcError,
    },
}

impl TaskError {
    fn new(rpc: &'static str, error: RpcError) -> Self {
        if error.code() == Code::NotFound {
            TaskError::NotFound {
                message: error.message().to_owned(),
            }
        } else {
            TaskError::Rpc { rpc, error }
        }
    }

    /// The gRPC code of the failure.
    pub fn code(&self) -> Code {
        match self {
            TaskError::NotFound { .. } => Code::NotFound,
            TaskError::Rpc { error, .. } => error.code(),
        }
    }
}

/// Wraps a message in a request for `namespace` (the connection's metadata layer sends it).
pub(crate) fn namespaced<T>(namespace: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(namespace) = CallNamespace::new(namespace) {
        request.extensions_mut().insert(namespace);
    }
    request
}

/// The client's call core for task calls: the namespace, without the client's interceptors.
fn task_core(client: &Client) -> CallCore {
    call_core(client).without_interceptors()
}

/// Makes one task call through the client's call core. A plain function: its future holds
/// the framed request, not the request message (an `async fn` keeps its arguments).
fn call<M: RpcMessage, R: RpcMessage>(
    core: &CallCore,
    rpc: Rpc<M, R>,
    request: tonic::Request<M>,
) -> impl Future<Output = Result<R, TaskError>> + Send + use<M, R> {
    core.call_task(rpc, request)
        .map_err(move |error| TaskError::new(rpc.name(), error))
}

/// One activity task, as polled: its info (including the task token and the previous
/// attempt's heartbeat details) and its input payloads, both exactly as they arrived.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawTask {
    /// Facts about the attempt; `info.task_token` identifies it in every report.
    pub info: ActivityInfo,
    /// The input payloads (one per argument), not run through any codec.
    pub input: Vec<Payload>,
    /// The server's suggestion for the number of pollers: positive to add, negative to
    /// remove; `None` when it made none.
    pub poller_delta_suggestion: Option<i32>,
}

/// Long-polls one task queue for activity tasks. Cheap to clone.
#[derive(Clone)]
pub struct TaskPoller {
    core: CallCore,
    identity: Arc<str>,
    task_queue: Arc<str>,
    max_tasks_per_second: Option<f64>,
    worker_instance_key: String,
}

impl fmt::Debug for TaskPoller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskPoller")
            .field("namespace", &self.core.namespace())
            .field("task_queue", &self.task_queue)
            .field("identity", &self.identity)
            .field("max_tasks_per_second", &self.max_tasks_per_second)
            .finish()
    }
}

impl TaskPoller {
    /// A poller for `task_queue` in the client's namespace, with the client's identity.
    pub fn new(client: &Client, task_queue: impl Into<String>) -> Self {
        TaskPoller {
            core: task_core(client),
            identity: Arc::from(client.identity()),
            task_queue: Arc::from(task_queue.into()),
            max_tasks_per_second: None,
            worker_instance_key: String::new(),
        }
    }

    /// Sets the identity the server records for this poller (default: the client's).
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.identity = Arc::from(identity.into());
        self
    }

    /// Asks the server to dispatch at most `rate` tasks per second from this task queue,
    /// across all its workers (default: no limit).
    pub fn task_queue_max_tasks_per_second(mut self, rate: f64) -> Self {
        self.max_tasks_per_second = Some(rate);
        self
    }

    /// Sets the key that identifies this worker process to the server, so that a
    /// `ShutdownWorker` call with the same key can end its outstanding polls (default: none).
    pub fn worker_instance_key(mut self, key: impl Into<String>) -> Self {
        self.worker_instance_key = key.into();
        self
    }

    /// The task queue polled.
    pub fn task_queue(&self) -> &str {
        &self.task_queue
    }

    /// The namespace polled.
    pub fn namespace(&self) -> &str {
        self.core.namespace()
    }

    /// Long-polls once. Returns `Ok(None)` when the poll expired without a task (the server
    /// holds a poll for about a minute); poll again.
    ///
    /// # Errors
    /// [`TaskError`] when the call fails after the connection's retries (for example the
    /// namespace does not exist, or the server is unreachable).
    ///
    /// # Cancel safety
    /// Dropping the future cancels the call. If the server had already handed a task to this
    /// poll, the task is not lost: it counts as started and is retried once its
    /// start-to-close timeout passes.
    pub async fn poll(&self) -> Result<Option<RawTask>, TaskError> {
        let Some(mut response) = self.poll_response().await? else {
            return Ok(None);
        };
        let input = response
            .input
            .take()
            .map(|p| p.payloads)
            .unwrap_or_default();
        own_retained(&mut response);
        let poller_delta_suggestion = response
            .poller_scaling_decision
            .map(|d| d.poll_request_delta_suggestion)
            .filter(|d| *d != 0);
        let mut info = ActivityInfo::from_task(&mut response, &self.task_queue);
        if info.namespace.is_empty() {
            // Standalone activities arrive without a (workflow) namespace: it is the polled one.
            info.namespace = self.core.namespace().to_owned();
        }
        Ok(Some(RawTask {
            info,
            input,
            poller_delta_suggestion,
        }))
    }

    /// Long-polls once, like [`poll`](Self::poll), and returns the server's
    /// `PollActivityTaskQueueResponse` untouched, for bindings that decode it with their own
    /// Temporal protos (the C ABI hands its encoding across). `Ok(None)` when the poll
    /// expired without a task.
    ///
    /// # Errors
    /// As [`poll`](Self::poll).
    ///
    /// # Cancel safety
    /// As [`poll`](Self::poll).
    pub async fn poll_response(&self) -> Result<Option<PollActivityTaskQueueResponse>, TaskError> {
        let request = PollActivityTaskQueueRequest {
            namespace: self.core.namespace().to_owned(),
            task_queue: Some(TaskQueue {
                name: self.task_queue.to_string(),
                kind: TaskQueueKind::Normal as i32,
                normal_name: String::new(),
            }),
            identity: self.identity.to_string(),
            task_queue_metadata: self.max_tasks_per_second.map(|rate| TaskQueueMetadata {
                max_tasks_per_second: Some(rate),
            }),
            worker_instance_key: self.worker_instance_key.clone(),
            ..Default::default()
        };
        let mut request = tonic::Request::new(request);
        // Lets call observers (metrics) label the long poll with its queue.
        request
            .extensions_mut()
            .insert(CallTaskQueue::new(self.task_queue.clone()));
        let response = match call(&self.core, POLL_ACTIVITY_TASK_QUEUE, request).await {
            Ok(r) => r,
            // The long poll outlived its deadline: same as an empty answer.
            Err(e) if e.code() == Code::DeadlineExceeded => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok((!response.task_token.is_empty()).then_some(response))
    }
}

/// Gives the parts of a polled task that live as long as its attempt (the task token, and
/// headers and previous heartbeat details when present) allocations of their own.
///
/// The decoder hands out byte fields as slices of the buffer the whole response arrived in
/// (8 KiB at least), so one task token kept for an hour-long attempt would keep that whole
/// buffer alive with it: about 8 KB per running activity. Copying the few hundred bytes that
/// are kept frees the buffer once the input is decoded (the input itself is not copied: it is
/// decoded and dropped when the attempt starts).
fn own_retained(response: &mut PollActivityTaskQueueResponse) {
    own(&mut response.task_token);
    let headers = response
        .header
        .iter_mut()
        .flat_map(|h| h.fields.values_mut());
    let details = response
        .heartbeat_details
        .iter_mut()
        .flat_map(|d| d.payloads.iter_mut());
    for payload in headers.chain(details) {
        own(&mut payload.data);
        payload.metadata.values_mut().for_each(own);
    }
}

/// Replaces `bytes` (a slice of a larger buffer) by a copy of its own.
fn own(bytes: &mut Bytes) {
    if !bytes.is_empty() {
        *bytes = Bytes::copy_from_slice(bytes);
    }
}

/// What the server answered to a heartbeat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeartbeatResponse {
    /// A client asked to cancel the activity: stop, then report it with
    /// [`TaskCompleter::cancel`].
    pub cancel_requested: bool,
    /// An operator paused the activity.
    pub activity_paused: bool,
    /// An operator reset the activity.
    pub activity_reset: bool,
}

/// Reports task outcomes and records heartbeats, by task token. Cheap to clone.
#[derive(Clone)]
pub struct TaskCompleter {
    core: CallCore,
    identity: Arc<str>,
}

impl fmt::Debug for TaskCompleter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskCompleter")
            .field("namespace", &self.core.namespace())
            .field("identity", &self.identity)
            .finish()
    }
}

/// Wraps a failure that is not an application failure as the cause of one.
fn as_application_failure(failure: Failure) -> Failure {
    if matches!(
        failure.failure_info,
        Some(FailureInfo::ApplicationFailureInfo(_))
    ) {
        return failure;
    }
    Failure {
        message: failure.message.clone(),
        source: failure.source.clone(),
        failure_info: Some(FailureInfo::ApplicationFailureInfo(
            ApplicationFailureInfo::default(),
        )),
        cause: Some(Box::new(failure)),
        ..Default::default()
    }
}

fn payloads(payloads: Vec<Payload>) -> Option<Payloads> {
    (!payloads.is_empty()).then_some(Payloads { payloads })
}

impl TaskCompleter {
    /// A completer in the client's namespace, with the client's identity.
    pub fn new(client: &Client) -> Self {
        TaskCompleter {
            core: task_core(client),
            identity: Arc::from(client.identity()),
        }
    }

    /// Sets the identity recorded with each report (default: the client's).
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.identity = Arc::from(identity.into());
        self
    }

    /// Completes the attempt with its result (one payload, or none for "no value").
    ///
    /// # Errors
    /// [`TaskError::NotFound`] when the attempt is over on the server; [`TaskError::Rpc`]
    /// for any other failure.
    pub async fn complete(&self, task_token: Bytes, result: Vec<Payload>) -> Result<(), TaskError> {
        let request = RespondActivityTaskCompletedRequest {
            task_token,
            result: payloads(result),
            identity: self.identity.to_string(),
            namespace: self.core.namespace().to_owned(),
            ..Default::default()
        };
        call(
            &self.core,
            RESPOND_ACTIVITY_TASK_COMPLETED,
            tonic::Request::new(request),
        )
        .await
        .map(drop)
    }

    /// Fails the attempt. The server retries the activity unless the failure is non-retryable,
    /// its type is listed as non-retryable in the retry policy, or no attempts or time are
    /// left. `last_heartbeat_details` (may be empty) are kept for the next attempt.
    ///
    /// The server only accepts a failure with `application_failure_info`; any other failure
    /// (for example a cancellation the server did not ask for) is sent as the cause of a
    /// retryable application failure with the same message.
    ///
    /// # Errors
    /// As [`complete`](Self::complete).
    pub async fn fail(
        &self,
        task_token: Bytes,
        failure: Failure,
        last_heartbeat_details: Vec<Payload>,
    ) -> Result<(), TaskError> {
        let request = RespondActivityTaskFailedRequest {
            task_token,
            failure: Some(as_application_failure(failure)),
            identity: self.identity.to_string(),
            namespace: self.core.namespace().to_owned(),
            last_heartbeat_details: payloads(last_heartbeat_details),
            ..Default::default()
        };
        let response = call(
            &self.core,
            RESPOND_ACTIVITY_TASK_FAILED,
            tonic::Request::new(request),
        )
        .await?;
        for problem in response.failures {
            tracing::warn!(problem = %problem.message, "the server reported a problem with the failure report");
        }
        Ok(())
    }

    /// Reports the attempt as cancelled, with optional details. Only valid after the server
    /// asked for cancellation (a heartbeat answered `cancel_requested`).
    ///
    /// # Errors
    /// As [`complete`](Self::complete); the server refuses with `FAILED_PRECONDITION` (or
    /// `INVALID_ARGUMENT`, depending on its version) when no cancellation was requested.
    pub async fn cancel(&self, task_token: Bytes, details: Vec<Payload>) -> Result<(), TaskError> {
        let request = RespondActivityTaskCanceledRequest {
            task_token,
            details: payloads(details),
            identity: self.identity.to_string(),
            namespace: self.core.namespace().to_owned(),
            ..Default::default()
        };
        call(
            &self.core,
            RESPOND_ACTIVITY_TASK_CANCELED,
            tonic::Request::new(request),
        )
        .await
        .map(drop)
    }

    /// Records a heartbeat with details (may be empty). Not throttled: send at most one per
    /// few seconds, or per 80 % of the heartbeat timeout.
    ///
    /// # Errors
    /// [`TaskError::NotFound`] when the attempt is over on the server (stop the activity and
    /// report nothing); [`TaskError::Rpc`] for any other failure.
    pub async fn heartbeat(
        &self,
        task_token: Bytes,
        details: Vec<Payload>,
    ) -> Result<HeartbeatResponse, TaskError> {
        let request = RecordActivityTaskHeartbeatRequest {
            task_token,
            details: payloads(details),
            identity: self.identity.to_string(),
            namespace: self.core.namespace().to_owned(),
            resource_id: String::new(),
        };
        let response = call(
            &self.core,
            RECORD_ACTIVITY_TASK_HEARTBEAT,
            tonic::Request::new(request),
        )
        .await?;
        Ok(HeartbeatResponse {
            cancel_requested: response.cancel_requested,
            activity_paused: response.activity_paused,
            activity_reset: response.activity_reset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solo_proto::temporal::api::failure::v1::CanceledFailureInfo;

    #[test]
    fn only_application_failures_are_sent_as_they_are() {
        let app = Failure {
            message: "m".into(),
            failure_info: Some(FailureInfo::ApplicationFailureInfo(
                ApplicationFailureInfo::default(),
            )),
            ..Default::default()
        };
        assert_eq!(as_application_failure(app.clone()), app);
        let cancelled = Failure {
            message: "activity cancelled".into(),
            failure_info: Some(FailureInfo::CanceledFailureInfo(
                CanceledFailureInfo::default(),
            )),
            ..Default::default()
        };
        let wrapped = as_application_failure(cancelled.clone());
        assert_eq!(wrapped.message, "activity cancelled");
        assert!(matches!(
            wrapped.failure_info,
            Some(FailureInfo::ApplicationFailureInfo(_))
        ));
        assert_eq!(wrapped.cause.as_deref(), Some(&cancelled));
    }

    #[test]
    fn kept_parts_of_a_task_do_not_share_its_buffer() {
        use prost::Message;
        use solo_proto::temporal::api::common::v1::Header;
        let payload = Payload {
            metadata: [("encoding".to_owned(), Bytes::from_static(b"json/plain"))].into(),
            data: Bytes::from_static(b"42"),
            ..Default::default()
        };
        let task = PollActivityTaskQueueResponse {
            task_token: Bytes::from(vec![7u8; 64]),
            header: Some(Header {
                fields: [("trace".to_owned(), payload.clone())].into(),
            }),
            heartbeat_details: Some(Payloads {
                payloads: vec![payload.clone()],
            }),
            ..Default::default()
        };
        let wire = Bytes::from(task.encode_to_vec());
        let inside = |b: &Bytes| wire.as_ptr_range().contains(&b.as_ptr());
        let mut decoded = PollActivityTaskQueueResponse::decode(wire.clone()).unwrap();
        // What this guards against: decoding hands out slices of the whole buffer.
        assert!(inside(&decoded.task_token));
        own_retained(&mut decoded);
        assert_eq!(decoded, task);
        let header = &decoded.header.as_ref().unwrap().fields["trace"];
        let details = &decoded.heartbeat_details.as_ref().unwrap().payloads[0];
        for kept in [
            &decoded.task_token,
            &header.data,
            &header.metadata["encoding"],
            &details.data,
            &details.metadata["encoding"],
        ] {
            assert!(
                !inside(kept),
                "{kept:?} still points into the response buffer"
            );
        }
    }
}

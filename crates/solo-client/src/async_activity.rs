//! [`AsyncActivityHandle`]: heartbeat, complete, fail or cancel an activity that completes
//! asynchronously (its activity returned
//! [`ActivityError::complete_async`](crate::ActivityError::complete_async)), from any program
//! holding a [`Client`](crate::Client) — by the activity's id and run id, or by the task token
//! of its attempt.

use std::fmt;

use bytes::Bytes;
use serde::Serialize;
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use solo_proto::temporal::api::workflowservice::v1 as ws;

use crate::activity_error::ActivityError;
use crate::async_completion_error::AsyncCompletionError;
use crate::call::CallCore;
use crate::call_error::{CallError, run_suffix};
use crate::call_options::CallOptions;
use crate::payload::{is_unit, to_payload};
use crate::rpc::{
    RECORD_ACTIVITY_TASK_HEARTBEAT, RECORD_ACTIVITY_TASK_HEARTBEAT_BY_ID,
    RESPOND_ACTIVITY_TASK_CANCELED, RESPOND_ACTIVITY_TASK_CANCELED_BY_ID,
    RESPOND_ACTIVITY_TASK_COMPLETED, RESPOND_ACTIVITY_TASK_COMPLETED_BY_ID,
    RESPOND_ACTIVITY_TASK_FAILED, RESPOND_ACTIVITY_TASK_FAILED_BY_ID, Rpc, RpcMessage,
};
use crate::rpc_error::RpcError;
use crate::telemetry;

/// Which activity an [`AsyncActivityHandle`] completes.
///
/// ```
/// use solo_client::AsyncActivityId;
///
/// // The latest run of the standalone activity `approve-42`:
/// let by_id = AsyncActivityId::by_id("approve-42", None);
/// // One attempt, by the task token its worker received (`ActivityInfo::task_token`):
/// let by_token = AsyncActivityId::task_token(vec![0x0a, 0x07]);
/// assert_ne!(by_id, by_token);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AsyncActivityId {
    /// A standalone activity by its id, and the run id when known (`None`: its latest run).
    /// Calls use the `...ById` RPCs and reach whichever attempt is running.
    ById {
        /// The activity id.
        activity_id: String,
        /// The run id, or `None` for the latest run.
        run_id: Option<String>,
    },
    /// One attempt, by the task token its worker received. Calls use the token RPCs; once the
    /// attempt is over (timed out, or replaced by a retry) the token is refused as not found.
    TaskToken(Bytes),
}

impl AsyncActivityId {
    /// A standalone activity by id, and run id when known (an empty run id is `None`).
    pub fn by_id(activity_id: impl Into<String>, run_id: Option<String>) -> Self {
        AsyncActivityId::ById {
            activity_id: activity_id.into(),
            run_id: run_id.filter(|r| !r.is_empty()),
        }
    }

    /// One attempt by its task token.
    pub fn task_token(token: impl Into<Bytes>) -> Self {
        AsyncActivityId::TaskToken(token.into())
    }

    /// How error messages name it.
    fn describe(&self) -> String {
        match self {
            AsyncActivityId::ById {
                activity_id,
                run_id,
            } => format!("activity `{activity_id}`{}", run_suffix(run_id.as_deref())),
            AsyncActivityId::TaskToken(_) => "the attempt of this task token".to_owned(),
        }
    }
}

/// What the server said to a heartbeat sent through an [`AsyncActivityHandle`]: whether the
/// activity is asked to stop. The heartbeat was recorded either way.
///
/// ```
/// # async fn run(handle: solo_client::AsyncActivityHandle) -> Result<(), solo_client::AsyncCompletionError> {
/// let reply = handle.heartbeat(&"halfway").await?;
/// if reply.cancel_requested {
///     handle.report_cancellation(&"stopped at halfway").await?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AsyncHeartbeatReply {
    /// A client asked to cancel the activity: stop, and
    /// [`report_cancellation`](AsyncActivityHandle::report_cancellation).
    pub cancel_requested: bool,
    /// An operator paused the activity: stop this attempt (fail it; the server holds the
    /// activity until it is unpaused).
    pub paused: bool,
    /// An operator reset the activity: stop this attempt (fail it; the server starts again
    /// from attempt 1).
    pub reset: bool,
}

impl AsyncHeartbeatReply {
    /// Whether the activity is asked to stop for any reason (cancel, pause or reset).
    pub fn stop_requested(&self) -> bool {
        self.cancel_requested || self.paused || self.reset
    }
}

/// A handle to complete an activity asynchronously: from
/// [`Client::get_async_activity_handle`](crate::Client::get_async_activity_handle).
///
/// Its activity returned [`ActivityError::complete_async`](crate::ActivityError::complete_async),
/// so its worker reported nothing; this handle reports the outcome instead, once:
/// [`complete`](Self::complete), [`fail`](Self::fail) or
/// [`report_cancellation`](Self::report_cancellation), with
/// [`heartbeat`](Self::heartbeat)s meanwhile when the activity has a heartbeat timeout.
/// Values are encoded as the client encodes inputs (JSON, then its codec). Every call runs in
/// an `activity_call` span named after its RPC. Cheap to clone.
///
/// ```no_run
/// use solo_client::{AsyncActivityId, Client};
///
/// # async fn run(client: Client) -> Result<(), solo_client::AsyncCompletionError> {
/// let handle = client.get_async_activity_handle(AsyncActivityId::by_id("approve-42", None));
/// handle.heartbeat(&"reviewing").await?;
/// handle.complete(&true).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncActivityHandle {
    core: CallCore,
    id: AsyncActivityId,
}

impl fmt::Debug for AsyncActivityHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncActivityHandle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl AsyncActivityHandle {
    pub(crate) fn new(core: CallCore, id: AsyncActivityId) -> Self {
        AsyncActivityHandle { core, id }
    }

    /// Which activity the handle completes.
    pub fn id(&self) -> &AsyncActivityId {
        &self.id
    }

    /// The same handle making every call with `options` (an RPC deadline and headers).
    pub fn with_call_options(&self, options: CallOptions) -> Self {
        AsyncActivityHandle {
            core: self.core.with_options(options),
            id: self.id.clone(),
        }
    }

    /// Records a heartbeat with `details` (`&()` for none) and returns whether the activity is
    /// asked to stop. The details are what [`describe`](crate::ActivityHandle::describe) shows
    /// as the heartbeat details, and what the next attempt resumes from.
    ///
    /// ```no_run
    /// # async fn run(handle: solo_client::AsyncActivityHandle) -> Result<(), solo_client::AsyncCompletionError> {
    /// if handle.heartbeat(&42u32).await?.stop_requested() {
    ///     // cancelled, paused or reset: stop working on it
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`AsyncCompletionError::NotRunning`] when the activity (or the token's attempt) is not
    /// running; [`AsyncCompletionError::Data`] when the details do not encode; and call
    /// errors.
    pub async fn heartbeat<T: Serialize + ?Sized>(
        &self,
        details: &T,
    ) -> Result<AsyncHeartbeatReply, AsyncCompletionError> {
        let rpc = self.rpc(
            RECORD_ACTIVITY_TASK_HEARTBEAT,
            RECORD_ACTIVITY_TASK_HEARTBEAT_BY_ID,
        );
        self.traced(rpc, async {
            let details = self.encode_details(details).await?;
            let (cancel_requested, paused, reset) = match &self.id {
                AsyncActivityId::ById {
                    activity_id,
                    run_id,
                } => {
                    let message = ws::RecordActivityTaskHeartbeatByIdRequest {
                        namespace: self.core.namespace().to_owned(),
                        workflow_id: String::new(),
                        run_id: run_id.clone().unwrap_or_default(),
                        activity_id: activity_id.clone(),
                        details,
                        identity: self.core.identity().to_owned(),
                        resource_id: resource_id(activity_id),
                    };
                    let r = self
                        .call(RECORD_ACTIVITY_TASK_HEARTBEAT_BY_ID, message)
                        .await?;
                    (r.cancel_requested, r.activity_paused, r.activity_reset)
                }
                AsyncActivityId::TaskToken(token) => {
                    let message = ws::RecordActivityTaskHeartbeatRequest {
                        task_token: token.clone(),
                        details,
                        identity: self.core.identity().to_owned(),
                        namespace: self.core.namespace().to_owned(),
                        resource_id: String::new(),
                    };
                    let r = self.call(RECORD_ACTIVITY_TASK_HEARTBEAT, message).await?;
                    (r.cancel_requested, r.activity_paused, r.activity_reset)
                }
            };
            Ok(AsyncHeartbeatReply {
                cancel_requested,
                paused,
                reset,
            })
        })
        .await
    }

    /// Completes the activity with `result`; whoever waits for its result gets it.
    ///
    /// # Errors
    /// [`AsyncCompletionError::NotRunning`] when the activity (or the token's attempt) is not
    /// running any more; [`AsyncCompletionError::Data`] when the result does not encode; and
    /// call errors.
    pub async fn complete<T: Serialize + ?Sized>(
        &self,
        result: &T,
    ) -> Result<(), AsyncCompletionError> {
        let rpc = self.rpc(
            RESPOND_ACTIVITY_TASK_COMPLETED,
            RESPOND_ACTIVITY_TASK_COMPLETED_BY_ID,
        );
        self.traced(rpc, async {
            let result = Some(Payloads {
                payloads: self.encode(vec![to_payload(result)?]).await?,
            });
            match &self.id {
                AsyncActivityId::ById {
                    activity_id,
                    run_id,
                } => {
                    let message = ws::RespondActivityTaskCompletedByIdRequest {
                        namespace: self.core.namespace().to_owned(),
                        workflow_id: String::new(),
                        run_id: run_id.clone().unwrap_or_default(),
                        activity_id: activity_id.clone(),
                        result,
                        identity: self.core.identity().to_owned(),
                        resource_id: resource_id(activity_id),
                    };
                    self.call(RESPOND_ACTIVITY_TASK_COMPLETED_BY_ID, message)
                        .await
                        .map(drop)
                }
                AsyncActivityId::TaskToken(token) => {
                    let message = ws::RespondActivityTaskCompletedRequest {
                        task_token: token.clone(),
                        result,
                        identity: self.core.identity().to_owned(),
                        namespace: self.core.namespace().to_owned(),
                        ..Default::default()
                    };
                    self.call(RESPOND_ACTIVITY_TASK_COMPLETED, message)
                        .await
                        .map(drop)
                }
            }
        })
        .await
    }

    /// Fails the attempt with `error` (an [`ApplicationError`](crate::ApplicationError), or
    /// any error, as an activity would return it). The server applies the retry policy: a
    /// retryable failure starts another attempt on a worker, which may complete
    /// asynchronously again.
    ///
    /// ```no_run
    /// use solo_client::ApplicationError;
    ///
    /// # async fn run(handle: solo_client::AsyncActivityHandle) -> Result<(), solo_client::AsyncCompletionError> {
    /// handle
    ///     .fail(ApplicationError::new("rejected by the reviewer").error_type("Rejected").non_retryable())
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`AsyncCompletionError::NotAFailure`] for
    /// [`ActivityError::complete_async`](crate::ActivityError::complete_async) (nothing is
    /// sent); otherwise as [`complete`](Self::complete).
    pub async fn fail(&self, error: impl Into<ActivityError>) -> Result<(), AsyncCompletionError> {
        let error = error.into();
        let rpc = self.rpc(
            RESPOND_ACTIVITY_TASK_FAILED,
            RESPOND_ACTIVITY_TASK_FAILED_BY_ID,
        );
        self.traced(rpc, async {
            if error.is_complete_async() {
                return Err(AsyncCompletionError::NotAFailure);
            }
            let failure = Some(error.into_failure(self.core.converter()).await);
            match &self.id {
                AsyncActivityId::ById {
                    activity_id,
                    run_id,
                } => {
                    let message = ws::RespondActivityTaskFailedByIdRequest {
                        namespace: self.core.namespace().to_owned(),
                        workflow_id: String::new(),
                        run_id: run_id.clone().unwrap_or_default(),
                        activity_id: activity_id.clone(),
                        failure,
                        identity: self.core.identity().to_owned(),
                        resource_id: resource_id(activity_id),
                        ..Default::default()
                    };
                    self.call(RESPOND_ACTIVITY_TASK_FAILED_BY_ID, message)
                        .await
                        .map(drop)
                }
                AsyncActivityId::TaskToken(token) => {
                    let message = ws::RespondActivityTaskFailedRequest {
                        task_token: token.clone(),
                        failure,
                        identity: self.core.identity().to_owned(),
                        namespace: self.core.namespace().to_owned(),
                        ..Default::default()
                    };
                    self.call(RESPOND_ACTIVITY_TASK_FAILED, message)
                        .await
                        .map(drop)
                }
            }
        })
        .await
    }

    /// Reports the activity cancelled, with `details` (`&()` for none); whoever waits for its
    /// result gets a cancellation. The server accepts this only after a cancel was requested
    /// (see [`AsyncHeartbeatReply::cancel_requested`]).
    ///
    /// # Errors
    /// [`AsyncCompletionError::CancelNotRequested`] when no cancel was requested; otherwise as
    /// [`complete`](Self::complete).
    pub async fn report_cancellation<T: Serialize + ?Sized>(
        &self,
        details: &T,
    ) -> Result<(), AsyncCompletionError> {
        let rpc = self.rpc(
            RESPOND_ACTIVITY_TASK_CANCELED,
            RESPOND_ACTIVITY_TASK_CANCELED_BY_ID,
        );
        self.traced(rpc, async {
            let details = self.encode_details(details).await?;
            match &self.id {
                AsyncActivityId::ById {
                    activity_id,
                    run_id,
                } => {
                    let message = ws::RespondActivityTaskCanceledByIdRequest {
                        namespace: self.core.namespace().to_owned(),
                        workflow_id: String::new(),
                        run_id: run_id.clone().unwrap_or_default(),
                        activity_id: activity_id.clone(),
                        details,
                        identity: self.core.identity().to_owned(),
                        resource_id: resource_id(activity_id),
                        ..Default::default()
                    };
                    self.call(RESPOND_ACTIVITY_TASK_CANCELED_BY_ID, message)
                        .await
                        .map(drop)
                }
                AsyncActivityId::TaskToken(token) => {
                    let message = ws::RespondActivityTaskCanceledRequest {
                        task_token: token.clone(),
                        details,
                        identity: self.core.identity().to_owned(),
                        namespace: self.core.namespace().to_owned(),
                        ..Default::default()
                    };
                    self.call(RESPOND_ACTIVITY_TASK_CANCELED, message)
                        .await
                        .map(drop)
                }
            }
        })
        .await
    }

    /// The name of the RPC a call makes: `by_token` for a task token, `by_id` for an id.
    fn rpc<A, B, C, D>(&self, by_token: Rpc<A, B>, by_id: Rpc<C, D>) -> &'static str {
        match self.id {
            AsyncActivityId::ById { .. } => by_id.name(),
            AsyncActivityId::TaskToken(_) => by_token.name(),
        }
    }

    /// Runs `call` in the span of operation `rpc`, after checking the id.
    async fn traced<T>(
        &self,
        rpc: &'static str,
        call: impl Future<Output = Result<T, AsyncCompletionError>>,
    ) -> Result<T, AsyncCompletionError> {
        let (activity_id, run_id) = match &self.id {
            AsyncActivityId::ById {
                activity_id,
                run_id,
            } => (activity_id.as_str(), run_id.as_deref().unwrap_or("")),
            AsyncActivityId::TaskToken(_) => ("", ""),
        };
        let span = telemetry::call_span(rpc, self.core.namespace(), activity_id, run_id);
        telemetry::traced(span, async {
            self.check()?;
            call.await
        })
        .await
    }

    /// Refuses an id no server could accept, naming the fix.
    fn check(&self) -> Result<(), AsyncCompletionError> {
        let problem = match &self.id {
            AsyncActivityId::ById { activity_id, .. } if activity_id.is_empty() => {
                "the async activity id has an empty activity id; pass the id the activity was started with"
            }
            AsyncActivityId::TaskToken(token) if token.is_empty() => {
                "the task token is empty; pass the token the worker received (ActivityInfo::task_token)"
            }
            _ => return Ok(()),
        };
        Err(AsyncCompletionError::Call(CallError::Rejected(
            RpcError::new(tonic::Code::InvalidArgument, problem),
        )))
    }

    async fn call<M: RpcMessage, R: RpcMessage>(
        &self,
        rpc: Rpc<M, R>,
        message: M,
    ) -> Result<R, AsyncCompletionError> {
        let by_token = matches!(self.id, AsyncActivityId::TaskToken(_));
        self.core
            .call_async_completion(rpc, message, &self.id.describe(), by_token)
            .await
    }

    /// Details as an activity's heartbeat sends them: `()` is none, anything else one payload;
    /// then the codec.
    async fn encode_details<T: Serialize + ?Sized>(
        &self,
        details: &T,
    ) -> Result<Option<Payloads>, AsyncCompletionError> {
        if is_unit::<T>() {
            return Ok(None);
        }
        let payloads = self.encode(vec![to_payload(details)?]).await?;
        Ok(Some(Payloads { payloads }))
    }

    async fn encode(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, AsyncCompletionError> {
        Ok(self.core.converter().encode_payloads(payloads).await?)
    }
}

/// The routing hint of a standalone activity.
fn resource_id(activity_id: &str) -> String {
    format!("activity:{activity_id}")
}

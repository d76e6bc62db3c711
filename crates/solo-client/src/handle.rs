//! [`ActivityHandle`]: one activity execution — wait for its result, describe, watch, cancel,
//! terminate, delete. The operator commands are in [`crate::operator`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use solo_proto::temporal::api::activity::v1::ActivityExecutionOutcome;
use solo_proto::temporal::api::workflowservice::v1::{
    DeleteActivityExecutionRequest, PollActivityExecutionRequest,
    RequestCancelActivityExecutionRequest, TerminateActivityExecutionRequest,
};

use crate::activity_ref::ActivityRef;
use crate::call::{CallCore, CallKind};
use crate::call_error::CallError;
use crate::call_options::CallOptions;
use crate::description::{ActivityDescription, DescribeOptions};
use crate::outcome::outcome_to_result;
use crate::outcome_error::OutcomeError;
use crate::rpc::{
    DELETE_ACTIVITY_EXECUTION, POLL_ACTIVITY_EXECUTION, REQUEST_CANCEL_ACTIVITY_EXECUTION, Rpc,
    RpcMessage, TERMINATE_ACTIVITY_EXECUTION,
};
use crate::telemetry;
use crate::value::DecodePayload;
use crate::watch::ActivityWatch;

/// A handle to one activity execution, typed by the activity's output `O`.
///
/// From [`Client::start_activity`](crate::Client::start_activity) (which knows the run id) or
/// [`Client::get_activity_handle`](crate::Client::get_activity_handle). A handle without a run
/// id targets the latest run with its activity id. Cloning is cheap; clones share the
/// outcome [`result`](Self::result) caches.
pub struct ActivityHandle<O> {
    pub(crate) activity: ActivityRef,
    /// The outcome, once the activity has closed and `result` has seen it.
    outcome: Arc<OnceLock<ActivityExecutionOutcome>>,
    output: PhantomData<fn() -> O>,
}

impl<O> Clone for ActivityHandle<O> {
    fn clone(&self) -> Self {
        ActivityHandle {
            activity: self.activity.clone(),
            outcome: self.outcome.clone(),
            output: PhantomData,
        }
    }
}

impl<O> fmt::Debug for ActivityHandle<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivityHandle")
            .field("activity_id", &self.activity.activity_id)
            .field("run_id", &self.activity.run_id)
            .field("output", &std::any::type_name::<O>())
            .finish()
    }
}

impl<O> ActivityHandle<O> {
    pub(crate) fn new(core: CallCore, activity_id: String, run_id: Option<String>) -> Self {
        ActivityHandle {
            activity: ActivityRef {
                core,
                activity_id,
                run_id,
            },
            outcome: Arc::default(),
            output: PhantomData,
        }
    }

    /// The same handle making every call with `options` (an RPC deadline and headers); this
    /// handle is unchanged. The result cache is shared.
    ///
    /// ```no_run
    /// use solo_client::CallOptions;
    /// use std::time::Duration;
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// let quick = handle.with_call_options(
    ///     CallOptions::new().timeout(Duration::from_secs(2)).header("x-team", "billing")?,
    /// );
    /// println!("{}", quick.describe().await?.status);
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_call_options(&self, options: CallOptions) -> Self {
        ActivityHandle {
            activity: ActivityRef {
                core: self.activity.core.with_options(options),
                activity_id: self.activity.activity_id.clone(),
                run_id: self.activity.run_id.clone(),
            },
            outcome: self.outcome.clone(),
            output: PhantomData,
        }
    }

    /// The activity id.
    ///
    /// ```no_run
    /// # fn f(client: solo_client::Client) {
    /// let handle = client.get_activity_handle::<String>("my-id", None);
    /// assert_eq!(handle.id(), "my-id");
    /// # }
    /// ```
    pub fn id(&self) -> &str {
        &self.activity.activity_id
    }

    /// The run id, when the handle is bound to one run (always after a start).
    ///
    /// ```no_run
    /// # fn f(client: solo_client::Client) {
    /// let handle = client.get_activity_handle::<String>("my-id", Some("0b8d0c6e-5b8c-4f53-9d3c-52d6c1f0e8a1".into()));
    /// assert!(handle.run_id().is_some());
    /// # }
    /// ```
    pub fn run_id(&self) -> Option<&str> {
        self.activity.run_id.as_deref()
    }

    /// The same handle with another output type (for example `serde_json::Value`).
    ///
    /// ```no_run
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::OutcomeError> {
    /// let handle = client.get_activity_handle::<String>("greet-1", None);
    /// let raw: serde_json::Value = handle.into_output::<serde_json::Value>().result().await?;
    /// # let _ = raw;
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_output<T>(self) -> ActivityHandle<T> {
        ActivityHandle {
            activity: self.activity,
            outcome: self.outcome,
            output: PhantomData,
        }
    }

    /// Waits for the activity to close and returns its result.
    ///
    /// Long-polls the server with a fresh deadline per call for as long as it takes; an
    /// activity without a retry limit that keeps failing never closes, so bound it with a
    /// [`RetryPolicy`](crate::RetryPolicy) or a schedule-to-close timeout.
    ///
    /// Network faults and server restarts do not end the wait: the poll is sent again, with
    /// backoff, until the server answers (see [`solo_connect::WaitForServer`]). To give up,
    /// drop the future, for example with `tokio::time::timeout`.
    ///
    /// Once the activity has closed, its outcome is kept in the handle (and its clones): later
    /// calls decode it again without asking the server. A handle without a run id therefore
    /// keeps answering with the run it first saw close.
    ///
    /// ```no_run
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::OutcomeError> {
    /// let handle = client.get_activity_handle::<String>("my-standalone-activity-id", None);
    /// match handle.result().await {
    ///     Ok(greeting) => println!("Activity result: {greeting}"),
    ///     Err(solo_client::OutcomeError::Failed { failure, .. }) => println!("failed: {failure}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// The activity's outcome: [`OutcomeError::Failed`], [`OutcomeError::TimedOut`],
    /// [`OutcomeError::Cancelled`], [`OutcomeError::Terminated`]; [`OutcomeError::Data`] when
    /// the result does not decode as `O`; [`OutcomeError::Call`] with [`CallError::NotFound`]
    /// and the other call errors.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future only stops waiting; the activity is unaffected and a
    /// later call picks up where this one left off.
    pub async fn result(&self) -> Result<O, OutcomeError>
    where
        O: DecodePayload,
    {
        let activity = &self.activity;
        if let Some(outcome) = self.outcome.get() {
            return outcome_to_result(outcome, activity.core.converter()).await;
        }
        // One span for the wait and the decoding, so that its outcome is the activity's
        // (`failed`, `cancelled`, ...), not only the call's.
        telemetry::traced(activity.span(POLL_ACTIVITY_EXECUTION.name()), async {
            let outcome = self.wait_outcome().await?;
            outcome_to_result(outcome, activity.core.converter()).await
        })
        .await
    }

    /// Waits for the activity to close and returns its outcome as it came on the wire: the
    /// result payloads or the failure, neither run through the data converter or its codec.
    /// For bindings that bring their own converter (the C ABI); Rust code wants
    /// [`result`](Self::result). Waits, retries and caches as `result` does.
    ///
    /// ```no_run
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let handle = client.get_activity_handle::<()>("my-standalone-activity-id", None);
    /// let outcome = handle.outcome().await?;
    /// println!("{:?}", outcome.value);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::NotFound`] and the other call errors (the activity's own failure is part
    /// of the outcome, not an error).
    ///
    /// # Cancel safety
    /// As [`result`](Self::result).
    pub async fn outcome(&self) -> Result<ActivityExecutionOutcome, CallError> {
        if let Some(outcome) = self.outcome.get() {
            return Ok(outcome.clone());
        }
        telemetry::traced(self.activity.span(POLL_ACTIVITY_EXECUTION.name()), async {
            self.wait_outcome().await.cloned()
        })
        .await
    }

    /// Long-polls until the activity closes (no span of its own) and caches the outcome.
    async fn wait_outcome(&self) -> Result<&ActivityExecutionOutcome, CallError> {
        let activity = &self.activity;
        if let Some(outcome) = self.outcome.get() {
            return Ok(outcome);
        }
        let message = || PollActivityExecutionRequest {
            namespace: activity.core.namespace().to_owned(),
            activity_id: activity.activity_id.clone(),
            run_id: activity.run_id.clone().unwrap_or_default(),
        };
        let outcome = activity
            .core
            .long_poll(POLL_ACTIVITY_EXECUTION, message, activity.target(), |r| {
                r.outcome
            })
            .await?;
        Ok(self.outcome.get_or_init(|| outcome))
    }

    /// Describes the activity: status, run state, attempt, timestamps, timeouts, retry
    /// policy, last failure and heartbeat details.
    ///
    /// ```no_run
    /// #[derive(serde::Deserialize)]
    /// struct Progress { done: u32, total: u32 }
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// let description = handle.describe().await?;
    /// println!("{} attempt {}", description.status, description.attempt);
    /// if let Some(p) = description.heartbeat_details.first::<Progress>()? {
    ///     println!("{}/{}", p.done, p.total);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::NotFound`] and the other call errors.
    pub async fn describe(&self) -> Result<ActivityDescription, CallError> {
        self.describe_with(DescribeOptions::default()).await
    }

    /// Describes the activity, optionally with its input and outcome.
    ///
    /// ```no_run
    /// use solo_client::{ActivityOutcome, DescribeOptions};
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let handle = client.get_activity_handle::<String>("greet-1", None);
    /// let d = handle.describe_with(DescribeOptions::new().include_input(true).include_outcome(true)).await?;
    /// if let Some(ActivityOutcome::Completed(result)) = &d.outcome {
    ///     println!("result: {:?}", result.first::<String>()?);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::NotFound`] and the other call errors.
    pub async fn describe_with(
        &self,
        options: DescribeOptions,
    ) -> Result<ActivityDescription, CallError> {
        self.activity.describe(options).await
    }

    /// Watches the activity: a stream of descriptions, the current one first and then one
    /// each time the server sees a change (a heartbeat, a new attempt, a cancel request...),
    /// ending after the description of the closed activity.
    ///
    /// Uses the server's long-poll describe, so it does not busy-poll; long polls that expire
    /// without a change are re-sent quietly. The stream ends after an error.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// let mut updates = handle.watch();
    /// while let Some(d) = updates.try_next().await? {
    ///     let percent: Option<u32> = d.heartbeat_details.first()?;
    ///     println!("{} {:?}%", d.status, percent);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn watch(&self) -> ActivityWatch {
        ActivityWatch::new(self.activity.clone())
    }

    /// Requests cancellation of the activity.
    ///
    /// Cancellation is cooperative: an attempt that is running learns of it when it next
    /// heartbeats and may then stop (the activity becomes cancelled) or finish anyway. An
    /// activity waiting for a worker or a retry is cancelled at once. The reason is recorded
    /// and shown by [`describe`](Self::describe).
    ///
    /// ```no_run
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// handle.cancel("the user closed the page").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::NotFound`]; [`CallError::Rejected`] with `FAILED_PRECONDITION` when the
    /// activity is already closed; and the other call errors.
    pub async fn cancel(&self, reason: impl Into<String>) -> Result<(), CallError> {
        let message = RequestCancelActivityExecutionRequest {
            namespace: self.activity.core.namespace().to_owned(),
            activity_id: self.activity.activity_id.clone(),
            run_id: self.activity.run_id.clone().unwrap_or_default(),
            identity: self.activity.core.identity().to_owned(),
            request_id: solo_connect::__private::random_uuid(),
            reason: reason.into(),
        };
        self.call(REQUEST_CANCEL_ACTIVITY_EXECUTION, message)
            .await
            .map(drop)
    }

    /// Terminates the activity immediately. The worker is not told; its later heartbeats and
    /// completion are refused.
    ///
    /// ```no_run
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// handle.terminate("stuck on a bad record").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::NotFound`]; [`CallError::Rejected`] with `FAILED_PRECONDITION` when the
    /// activity is already closed; and the other call errors.
    pub async fn terminate(&self, reason: impl Into<String>) -> Result<(), CallError> {
        let message = TerminateActivityExecutionRequest {
            namespace: self.activity.core.namespace().to_owned(),
            activity_id: self.activity.activity_id.clone(),
            run_id: self.activity.run_id.clone().unwrap_or_default(),
            identity: self.activity.core.identity().to_owned(),
            request_id: solo_connect::__private::random_uuid(),
            reason: reason.into(),
        };
        self.call(TERMINATE_ACTIVITY_EXECUTION, message)
            .await
            .map(drop)
    }

    /// Deletes the activity execution (terminating it first if it is running). Deletion
    /// completes asynchronously on the server.
    ///
    /// ```no_run
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// handle.delete().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::NotFound`] and the other call errors.
    pub async fn delete(&self) -> Result<(), CallError> {
        let message = DeleteActivityExecutionRequest {
            namespace: self.activity.core.namespace().to_owned(),
            activity_id: self.activity.activity_id.clone(),
            run_id: self.activity.run_id.clone().unwrap_or_default(),
        };
        self.call(DELETE_ACTIVITY_EXECUTION, message)
            .await
            .map(drop)
    }

    /// Sends one unary call about this activity in its span.
    pub(crate) async fn call<M: RpcMessage, R: RpcMessage>(
        &self,
        rpc: Rpc<M, R>,
        message: M,
    ) -> Result<R, CallError> {
        let activity = &self.activity;
        telemetry::traced(
            activity.span(rpc.name()),
            activity
                .core
                .call(rpc, message, activity.target(), CallKind::Unary),
        )
        .await
    }
}

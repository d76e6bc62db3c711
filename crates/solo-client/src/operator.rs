//! Operator commands on one activity: pause, unpause, reset, update and restore its options
//! (Temporal Server 1.32+, behind the dynamic config
//! `history.enableStandaloneActivityOperatorCommands`), with their option values.

use std::time::Duration;

use solo_proto::temporal::api::activity::v1 as act;
use solo_proto::temporal::api::taskqueue::v1::TaskQueue;
use solo_proto::temporal::api::workflowservice::v1::{
    PauseActivityExecutionRequest, ResetActivityExecutionRequest, UnpauseActivityExecutionRequest,
    UpdateActivityExecutionOptionsRequest,
};
use solo_proto::wkt::{duration_from_proto, duration_to_proto};

use crate::call_error::CallError;
use crate::handle::ActivityHandle;
use crate::priority::Priority;
use crate::retry_policy::RetryPolicy;
use crate::rpc::{
    PAUSE_ACTIVITY_EXECUTION, RESET_ACTIVITY_EXECUTION, Rpc, UNPAUSE_ACTIVITY_EXECUTION,
    UPDATE_ACTIVITY_EXECUTION_OPTIONS,
};
use crate::rpc_error::RpcError;

/// How [`ActivityHandle::unpause`] resumes a paused activity.
///
/// Server 1.32 unpauses with an optional jitter only. Asking to reset the attempts or the
/// heartbeat details makes solo resume the activity with a reset instead
/// ([`ActivityHandle::reset`] without `keep_paused`), which always starts the attempts again
/// from 1 (so `reset_heartbeat` implies `reset_attempts`).
///
/// ```
/// use solo_client::UnpauseOptions;
/// use std::time::Duration;
///
/// let options = UnpauseOptions::new()
///     .reason("the downstream API is back")
///     .jitter(Duration::from_secs(5))
///     .reset_attempts(true);
/// assert!(options.get_reset_attempts());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnpauseOptions {
    reason: String,
    jitter: Option<Duration>,
    reset_attempts: bool,
    reset_heartbeat: bool,
}

impl UnpauseOptions {
    /// Unpause now, keeping the attempt count and the heartbeat details.
    pub fn new() -> Self {
        UnpauseOptions::default()
    }

    /// Why the activity is unpaused (recorded by the server).
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }

    /// Start the next attempt at a random time within `jitter` instead of at once.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Start the attempts again from 1.
    pub fn reset_attempts(mut self, reset: bool) -> Self {
        self.reset_attempts = reset;
        self
    }

    /// Clear the heartbeat details (and start the attempts again from 1).
    pub fn reset_heartbeat(mut self, reset: bool) -> Self {
        self.reset_heartbeat = reset;
        self
    }

    /// Whether the attempts start again from 1 (also when the heartbeat details are reset).
    pub fn get_reset_attempts(&self) -> bool {
        self.reset_attempts || self.reset_heartbeat
    }

    /// Whether the heartbeat details are cleared.
    pub fn get_reset_heartbeat(&self) -> bool {
        self.reset_heartbeat
    }

    /// The jitter, when set.
    pub fn get_jitter(&self) -> Option<Duration> {
        self.jitter
    }

    /// The reason.
    pub fn get_reason(&self) -> &str {
        &self.reason
    }
}

/// How [`ActivityHandle::reset`] resets an activity.
///
/// A reset starts the attempts again from 1 and regenerates the activity's timers; an
/// activity waiting for a retry is scheduled at once (within the jitter), and a paused one is
/// unpaused unless `keep_paused` is set. A running attempt learns of the reset when it next
/// heartbeats.
///
/// ```
/// use solo_client::ResetOptions;
///
/// let options = ResetOptions::new().keep_paused(true).reset_heartbeat(true);
/// assert!(options.get_keep_paused());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResetOptions {
    keep_paused: bool,
    jitter: Option<Duration>,
    restore_original_options: bool,
    reset_heartbeat: bool,
}

impl ResetOptions {
    /// Reset, unpausing a paused activity, keeping its options and heartbeat details.
    pub fn new() -> Self {
        ResetOptions::default()
    }

    /// Leave a paused activity paused.
    pub fn keep_paused(mut self, keep: bool) -> Self {
        self.keep_paused = keep;
        self
    }

    /// Schedule the next attempt at a random time within `jitter` instead of at once.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Also restore the options the activity was started with (undoing
    /// [`ActivityHandle::update_options`]).
    pub fn restore_original_options(mut self, restore: bool) -> Self {
        self.restore_original_options = restore;
        self
    }

    /// Also clear the heartbeat details.
    pub fn reset_heartbeat(mut self, reset: bool) -> Self {
        self.reset_heartbeat = reset;
        self
    }

    /// Whether a paused activity stays paused.
    pub fn get_keep_paused(&self) -> bool {
        self.keep_paused
    }

    /// The jitter, when set.
    pub fn get_jitter(&self) -> Option<Duration> {
        self.jitter
    }

    /// Whether the original options are restored.
    pub fn get_restore_original_options(&self) -> bool {
        self.restore_original_options
    }

    /// Whether the heartbeat details are cleared.
    pub fn get_reset_heartbeat(&self) -> bool {
        self.reset_heartbeat
    }
}

/// The options to change with [`ActivityHandle::update_options`]: only the ones set here are
/// sent (the request's field mask names exactly those), the others keep their values.
///
/// ```
/// use solo_client::{ActivityOptionsUpdate, RetryPolicy};
/// use std::time::Duration;
///
/// let update = ActivityOptionsUpdate::new()
///     .heartbeat_timeout(Duration::from_secs(30))
///     .retry_policy(RetryPolicy::new().maximum_attempts(10));
/// assert_eq!(update.paths(), ["heartbeat_timeout", "retry_policy"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityOptionsUpdate {
    task_queue: Option<String>,
    schedule_to_close_timeout: Option<Duration>,
    schedule_to_start_timeout: Option<Duration>,
    start_to_close_timeout: Option<Duration>,
    heartbeat_timeout: Option<Duration>,
    retry_policy: Option<RetryPolicy>,
    priority: Option<Priority>,
    start_delay: Option<Duration>,
}

impl ActivityOptionsUpdate {
    /// Changes nothing yet.
    pub fn new() -> Self {
        ActivityOptionsUpdate::default()
    }

    /// Moves the activity to another task queue.
    pub fn task_queue(mut self, name: impl Into<String>) -> Self {
        self.task_queue = Some(name.into());
        self
    }

    /// Sets the schedule-to-close timeout.
    pub fn schedule_to_close_timeout(mut self, timeout: Duration) -> Self {
        self.schedule_to_close_timeout = Some(timeout);
        self
    }

    /// Sets the schedule-to-start timeout.
    pub fn schedule_to_start_timeout(mut self, timeout: Duration) -> Self {
        self.schedule_to_start_timeout = Some(timeout);
        self
    }

    /// Sets the start-to-close timeout (of each attempt).
    pub fn start_to_close_timeout(mut self, timeout: Duration) -> Self {
        self.start_to_close_timeout = Some(timeout);
        self
    }

    /// Sets the heartbeat timeout.
    pub fn heartbeat_timeout(mut self, timeout: Duration) -> Self {
        self.heartbeat_timeout = Some(timeout);
        self
    }

    /// Replaces the retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Replaces the priority.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Changes when the first task is dispatched, measured from the original schedule time
    /// (only before the first attempt).
    pub fn start_delay(mut self, delay: Duration) -> Self {
        self.start_delay = Some(delay);
        self
    }

    /// The field-mask paths of the options set, in the order of `ActivityOptions`' fields.
    pub fn paths(&self) -> Vec<&'static str> {
        let set = [
            (self.task_queue.is_some(), "task_queue.name"),
            (
                self.schedule_to_close_timeout.is_some(),
                "schedule_to_close_timeout",
            ),
            (
                self.schedule_to_start_timeout.is_some(),
                "schedule_to_start_timeout",
            ),
            (
                self.start_to_close_timeout.is_some(),
                "start_to_close_timeout",
            ),
            (self.heartbeat_timeout.is_some(), "heartbeat_timeout"),
            (self.retry_policy.is_some(), "retry_policy"),
            (self.priority.is_some(), "priority"),
            (self.start_delay.is_some(), "start_delay"),
        ];
        set.into_iter()
            .filter_map(|(is_set, path)| is_set.then_some(path))
            .collect()
    }

    /// The options message and its field mask.
    fn to_proto(&self) -> Result<(act::ActivityOptions, prost_types::FieldMask), String> {
        let priority = match &self.priority {
            Some(p) => Some(p.to_proto()?),
            None => None,
        };
        let options = act::ActivityOptions {
            task_queue: self.task_queue.as_ref().map(|name| TaskQueue {
                name: name.clone(),
                ..Default::default()
            }),
            schedule_to_close_timeout: self.schedule_to_close_timeout.map(duration_to_proto),
            schedule_to_start_timeout: self.schedule_to_start_timeout.map(duration_to_proto),
            start_to_close_timeout: self.start_to_close_timeout.map(duration_to_proto),
            heartbeat_timeout: self.heartbeat_timeout.map(duration_to_proto),
            retry_policy: self.retry_policy.as_ref().map(RetryPolicy::to_proto),
            priority,
            start_delay: self.start_delay.map(duration_to_proto),
        };
        let mask = prost_types::FieldMask {
            paths: self.paths().into_iter().map(str::to_owned).collect(),
        };
        Ok((options, mask))
    }
}

/// An activity's options as the server holds them after
/// [`ActivityHandle::update_options`] or [`ActivityHandle::restore_original_options`].
/// Timeouts the activity does not have are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ActivityExecutionOptions {
    /// The task queue.
    pub task_queue: String,
    /// The schedule-to-close timeout.
    pub schedule_to_close_timeout: Option<Duration>,
    /// The schedule-to-start timeout.
    pub schedule_to_start_timeout: Option<Duration>,
    /// The start-to-close timeout.
    pub start_to_close_timeout: Option<Duration>,
    /// The heartbeat timeout.
    pub heartbeat_timeout: Option<Duration>,
    /// The retry policy.
    pub retry_policy: Option<RetryPolicy>,
    /// The priority.
    pub priority: Option<Priority>,
    /// The start delay.
    pub start_delay: Option<Duration>,
}

impl ActivityExecutionOptions {
    fn from_proto(p: act::ActivityOptions) -> Self {
        let duration = |d: Option<prost_types::Duration>| {
            d.as_ref()
                .and_then(duration_from_proto)
                .filter(|d| !d.is_zero())
        };
        ActivityExecutionOptions {
            task_queue: p.task_queue.map(|t| t.name).unwrap_or_default(),
            schedule_to_close_timeout: duration(p.schedule_to_close_timeout),
            schedule_to_start_timeout: duration(p.schedule_to_start_timeout),
            start_to_close_timeout: duration(p.start_to_close_timeout),
            heartbeat_timeout: duration(p.heartbeat_timeout),
            retry_policy: p.retry_policy.map(RetryPolicy::from_proto),
            priority: p.priority.map(Priority::from_proto),
            start_delay: duration(p.start_delay),
        }
    }
}

/// An error for a request refused before it is sent.
fn refused(message: String) -> CallError {
    CallError::Rejected(RpcError::new(tonic::Code::InvalidArgument, message))
}

impl<O> ActivityHandle<O> {
    /// Pauses the activity: no new attempt starts until it is unpaused (or reset).
    ///
    /// A running attempt learns of the pause when it next heartbeats; a solo worker then
    /// cancels it with [`CancellationReason::Paused`] (in `solo-worker`). A paused activity
    /// still times out on its schedule-to-close timeout. [`describe`](Self::describe) shows
    /// the status [`Paused`](crate::ActivityStatus::Paused) and the run state
    /// [`Paused`](crate::ActivityRunState::Paused) (or `PauseRequested` while an attempt is
    /// still running).
    ///
    /// [`CancellationReason::Paused`]: https://docs.rs/solo-worker/latest/solo_worker/enum.CancellationReason.html
    ///
    /// ```no_run
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// handle.pause("the downstream API is down").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::OperatorCommandsUnsupported`] when the server does not offer operator
    /// commands; [`CallError::NotFound`]; [`CallError::Rejected`] when the activity is closed;
    /// and the other call errors.
    pub async fn pause(&self, reason: impl Into<String>) -> Result<(), CallError> {
        let activity = &self.activity;
        let message = PauseActivityExecutionRequest {
            namespace: activity.core.namespace().to_owned(),
            workflow_id: String::new(),
            activity_id: activity.activity_id.clone(),
            run_id: activity.run_id.clone().unwrap_or_default(),
            identity: activity.core.identity().to_owned(),
            reason: reason.into(),
            resource_id: resource_id(&activity.activity_id),
            request_id: solo_connect::__private::random_uuid(),
        };
        self.operator_call(PAUSE_ACTIVITY_EXECUTION, message)
            .await
            .map(drop)
    }

    /// Unpauses a paused activity; an activity that is not paused is left as it is.
    ///
    /// ```no_run
    /// use solo_client::UnpauseOptions;
    /// use std::time::Duration;
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// handle.unpause(UnpauseOptions::new().jitter(Duration::from_secs(2))).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`pause`](Self::pause).
    pub async fn unpause(&self, options: UnpauseOptions) -> Result<(), CallError> {
        if options.get_reset_attempts() {
            let reset = ResetOptions {
                keep_paused: false,
                jitter: options.jitter,
                restore_original_options: false,
                reset_heartbeat: options.reset_heartbeat,
            };
            return self.reset(reset).await;
        }
        let activity = &self.activity;
        let message = UnpauseActivityExecutionRequest {
            namespace: activity.core.namespace().to_owned(),
            workflow_id: String::new(),
            activity_id: activity.activity_id.clone(),
            run_id: activity.run_id.clone().unwrap_or_default(),
            identity: activity.core.identity().to_owned(),
            reason: options.reason,
            jitter: options.jitter.map(duration_to_proto),
            resource_id: resource_id(&activity.activity_id),
            request_id: solo_connect::__private::random_uuid(),
        };
        self.operator_call(UNPAUSE_ACTIVITY_EXECUTION, message)
            .await
            .map(drop)
    }

    /// Resets the activity (see [`ResetOptions`]).
    ///
    /// ```no_run
    /// use solo_client::ResetOptions;
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// handle.reset(ResetOptions::new().reset_heartbeat(true)).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`pause`](Self::pause).
    pub async fn reset(&self, options: ResetOptions) -> Result<(), CallError> {
        let activity = &self.activity;
        let message = ResetActivityExecutionRequest {
            namespace: activity.core.namespace().to_owned(),
            workflow_id: String::new(),
            activity_id: activity.activity_id.clone(),
            run_id: activity.run_id.clone().unwrap_or_default(),
            identity: activity.core.identity().to_owned(),
            keep_paused: options.keep_paused,
            jitter: options.jitter.map(duration_to_proto),
            restore_original_options: options.restore_original_options,
            resource_id: resource_id(&activity.activity_id),
            request_id: solo_connect::__private::random_uuid(),
            reset_heartbeat: options.reset_heartbeat,
        };
        self.operator_call(RESET_ACTIVITY_EXECUTION, message)
            .await
            .map(drop)
    }

    /// Changes the options set in `update` and returns the options now in force. They apply
    /// from the next attempt (timeouts also to the attempt running now, on the server).
    ///
    /// ```no_run
    /// use solo_client::ActivityOptionsUpdate;
    /// use std::time::Duration;
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// let now = handle
    ///     .update_options(ActivityOptionsUpdate::new().start_to_close_timeout(Duration::from_secs(600)))
    ///     .await?;
    /// assert_eq!(now.start_to_close_timeout, Some(Duration::from_secs(600)));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::Rejected`] with `INVALID_ARGUMENT` when `update` sets nothing or its
    /// priority is out of range (nothing is sent); otherwise as [`pause`](Self::pause).
    pub async fn update_options(
        &self,
        update: ActivityOptionsUpdate,
    ) -> Result<ActivityExecutionOptions, CallError> {
        if update.paths().is_empty() {
            return Err(refused(
                "the options update sets no option; set at least one, or call restore_original_options() to undo earlier updates".to_owned(),
            ));
        }
        let (options, mask) = update
            .to_proto()
            .map_err(|reason| refused(format!("the options update is invalid: {reason}")))?;
        self.update(Some(options), Some(mask), false).await
    }

    /// Restores the options the activity was started with and returns them.
    ///
    /// ```no_run
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let handle = client.get_activity_handle::<()>("import-42", None);
    /// let original = handle.restore_original_options().await?;
    /// println!("{:?}", original.start_to_close_timeout);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`pause`](Self::pause).
    pub async fn restore_original_options(&self) -> Result<ActivityExecutionOptions, CallError> {
        self.update(None, None, true).await
    }

    async fn update(
        &self,
        options: Option<act::ActivityOptions>,
        mask: Option<prost_types::FieldMask>,
        restore_original: bool,
    ) -> Result<ActivityExecutionOptions, CallError> {
        let activity = &self.activity;
        let message = UpdateActivityExecutionOptionsRequest {
            namespace: activity.core.namespace().to_owned(),
            workflow_id: String::new(),
            activity_id: activity.activity_id.clone(),
            run_id: activity.run_id.clone().unwrap_or_default(),
            identity: activity.core.identity().to_owned(),
            activity_options: options,
            update_mask: mask,
            restore_original,
            resource_id: resource_id(&activity.activity_id),
            request_id: solo_connect::__private::random_uuid(),
        };
        let response = self
            .operator_call(UPDATE_ACTIVITY_EXECUTION_OPTIONS, message)
            .await?;
        Ok(ActivityExecutionOptions::from_proto(
            response.activity_options.unwrap_or_default(),
        ))
    }

    /// Makes an operator call; `UNIMPLEMENTED` means the server does not offer the commands.
    async fn operator_call<M, R>(&self, rpc: Rpc<M, R>, message: M) -> Result<R, CallError> {
        self.call(rpc, message).await.map_err(|e| match e {
            CallError::Rejected(rpc_error) if rpc_error.code() == tonic::Code::Unimplemented => {
                CallError::OperatorCommandsUnsupported {
                    operation: rpc.name(),
                    message: rpc_error.message().to_owned(),
                }
            }
            other => other,
        })
    }
}

/// The routing hint of a standalone activity.
fn resource_id(activity_id: &str) -> String {
    format!("activity:{activity_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_names_exactly_what_was_set() {
        assert!(ActivityOptionsUpdate::new().paths().is_empty());
        let update = ActivityOptionsUpdate::new()
            .start_delay(Duration::from_secs(1))
            .task_queue("other")
            .priority(Priority::new().priority_key(2));
        assert_eq!(
            update.paths(),
            ["task_queue.name", "priority", "start_delay"]
        );
        let (options, mask) = update.to_proto().unwrap();
        assert_eq!(mask.paths, ["task_queue.name", "priority", "start_delay"]);
        assert_eq!(options.task_queue.unwrap().name, "other");
        assert_eq!(options.priority.unwrap().priority_key, 2);
        assert!(options.heartbeat_timeout.is_none());
    }

    #[test]
    fn unset_durations_read_back_as_none() {
        let options = ActivityExecutionOptions::from_proto(act::ActivityOptions {
            heartbeat_timeout: Some(prost_types::Duration::default()),
            start_to_close_timeout: Some(duration_to_proto(Duration::from_secs(3))),
            ..Default::default()
        });
        assert_eq!(options.heartbeat_timeout, None);
        assert_eq!(options.start_to_close_timeout, Some(Duration::from_secs(3)));
    }

    #[test]
    fn resetting_the_heartbeat_implies_resetting_the_attempts() {
        assert!(!UnpauseOptions::new().get_reset_attempts());
        assert!(
            UnpauseOptions::new()
                .reset_heartbeat(true)
                .get_reset_attempts()
        );
    }
}

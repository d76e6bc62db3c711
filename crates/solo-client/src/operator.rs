//! Operator commands on one activity: pause, unpause, reset, update and restore its options
//! (Temporal Server 1.32+, behind the dynamic config
//! `history.enableStandaloneActivityOperatorCommands`). Their option values are in
//! [`crate::operator_options`].

use solo_proto::temporal::api::activity::v1 as act;
use solo_proto::temporal::api::workflowservice::v1::{
    PauseActivityExecutionRequest, ResetActivityExecutionRequest, UnpauseActivityExecutionRequest,
    UpdateActivityExecutionOptionsRequest,
};
use solo_proto::wkt::duration_to_proto;

use crate::call::CallKind;
use crate::call_error::CallError;
use crate::handle::ActivityHandle;
use crate::operator_options::{
    ActivityExecutionOptions, ActivityOptionsUpdate, ResetOptions, UnpauseOptions,
};
use crate::rpc::{
    PAUSE_ACTIVITY_EXECUTION, RESET_ACTIVITY_EXECUTION, Rpc, RpcMessage,
    UNPAUSE_ACTIVITY_EXECUTION, UPDATE_ACTIVITY_EXECUTION_OPTIONS,
};
use crate::rpc_error::RpcError;
use crate::telemetry;

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

    /// Makes an operator call in the activity's span; `UNIMPLEMENTED` means the server does
    /// not offer the commands.
    async fn operator_call<M: RpcMessage, R: RpcMessage>(
        &self,
        rpc: Rpc<M, R>,
        message: M,
    ) -> Result<R, CallError> {
        let activity = &self.activity;
        let call = async {
            activity
                .core
                .call(rpc, message, activity.target(), CallKind::Unary)
                .await
                .map_err(|e| match e {
                    CallError::Rejected(rpc_error)
                        if rpc_error.code() == tonic::Code::Unimplemented =>
                    {
                        CallError::OperatorCommandsUnsupported {
                            operation: rpc.name(),
                            message: rpc_error.message().to_owned(),
                        }
                    }
                    other => other,
                })
        };
        telemetry::traced(activity.span(rpc.name()), call).await
    }
}

/// The routing hint of a standalone activity.
fn resource_id(activity_id: &str) -> String {
    format!("activity:{activity_id}")
}

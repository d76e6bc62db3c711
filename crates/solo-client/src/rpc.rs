//! The `WorkflowService` RPCs solo makes, one typed descriptor each: the method name (what
//! interceptors see) and how to send one request on a connection.
//!
//! Every call goes through [`CallCore`](crate::call::CallCore), which takes a descriptor, so
//! the generated client's large future types stay out of the client's own futures and every
//! call site has the same shape.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use solo_connect::Connection;
use solo_proto::temporal::api::workflowservice::v1 as ws;

/// A boxed RPC call.
type RpcFuture<R> = Pin<Box<dyn Future<Output = Result<R, tonic::Status>> + Send>>;

/// One `WorkflowService` RPC taking `M` and answering `R`.
pub struct Rpc<M, R> {
    name: &'static str,
    send: fn(&Connection, tonic::Request<M>) -> RpcFuture<R>,
}

impl<M, R> Clone for Rpc<M, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, R> Copy for Rpc<M, R> {}

impl<M, R> fmt::Debug for Rpc<M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl<M, R> Rpc<M, R> {
    /// The gRPC method name, e.g. `StartActivityExecution`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Sends `request` on `connection`.
    pub(crate) fn send(&self, connection: &Connection, request: tonic::Request<M>) -> RpcFuture<R> {
        (self.send)(connection, request)
    }
}

macro_rules! rpcs {
    ($($(#[$doc:meta])* $vis:vis $konst:ident = $method:ident: $request:ident => $response:ident, $name:literal;)*) => {
        $(
            $(#[$doc])*
            $vis const $konst: Rpc<ws::$request, ws::$response> = Rpc {
                name: $name,
                send: |connection, request| {
                    let mut service = connection.workflow_service();
                    Box::pin(async move {
                        service.$method(request).await.map(tonic::Response::into_inner)
                    })
                },
            };
        )*
    };
}

rpcs! {
    /// `StartActivityExecution`.
    pub(crate) START_ACTIVITY_EXECUTION = start_activity_execution:
        StartActivityExecutionRequest => StartActivityExecutionResponse, "StartActivityExecution";
    /// `PollActivityExecution`.
    pub(crate) POLL_ACTIVITY_EXECUTION = poll_activity_execution:
        PollActivityExecutionRequest => PollActivityExecutionResponse, "PollActivityExecution";
    /// `DescribeActivityExecution`.
    pub DESCRIBE_ACTIVITY_EXECUTION = describe_activity_execution:
        DescribeActivityExecutionRequest => DescribeActivityExecutionResponse, "DescribeActivityExecution";
    /// `RequestCancelActivityExecution`.
    pub(crate) REQUEST_CANCEL_ACTIVITY_EXECUTION = request_cancel_activity_execution:
        RequestCancelActivityExecutionRequest => RequestCancelActivityExecutionResponse, "RequestCancelActivityExecution";
    /// `TerminateActivityExecution`.
    pub(crate) TERMINATE_ACTIVITY_EXECUTION = terminate_activity_execution:
        TerminateActivityExecutionRequest => TerminateActivityExecutionResponse, "TerminateActivityExecution";
    /// `DeleteActivityExecution`.
    pub(crate) DELETE_ACTIVITY_EXECUTION = delete_activity_execution:
        DeleteActivityExecutionRequest => DeleteActivityExecutionResponse, "DeleteActivityExecution";
    /// `ListActivityExecutions`.
    pub LIST_ACTIVITY_EXECUTIONS = list_activity_executions:
        ListActivityExecutionsRequest => ListActivityExecutionsResponse, "ListActivityExecutions";
    /// `CountActivityExecutions`.
    pub COUNT_ACTIVITY_EXECUTIONS = count_activity_executions:
        CountActivityExecutionsRequest => CountActivityExecutionsResponse, "CountActivityExecutions";
    /// `PauseActivityExecution` (operator command, Server 1.32+).
    pub(crate) PAUSE_ACTIVITY_EXECUTION = pause_activity_execution:
        PauseActivityExecutionRequest => PauseActivityExecutionResponse, "PauseActivityExecution";
    /// `UnpauseActivityExecution` (operator command, Server 1.32+).
    pub(crate) UNPAUSE_ACTIVITY_EXECUTION = unpause_activity_execution:
        UnpauseActivityExecutionRequest => UnpauseActivityExecutionResponse, "UnpauseActivityExecution";
    /// `ResetActivityExecution` (operator command, Server 1.32+).
    pub(crate) RESET_ACTIVITY_EXECUTION = reset_activity_execution:
        ResetActivityExecutionRequest => ResetActivityExecutionResponse, "ResetActivityExecution";
    /// `UpdateActivityExecutionOptions` (operator command, Server 1.32+).
    pub(crate) UPDATE_ACTIVITY_EXECUTION_OPTIONS = update_activity_execution_options:
        UpdateActivityExecutionOptionsRequest => UpdateActivityExecutionOptionsResponse, "UpdateActivityExecutionOptions";
    /// `RecordActivityTaskHeartbeatById` (async completion by id).
    pub(crate) RECORD_ACTIVITY_TASK_HEARTBEAT_BY_ID = record_activity_task_heartbeat_by_id:
        RecordActivityTaskHeartbeatByIdRequest => RecordActivityTaskHeartbeatByIdResponse, "RecordActivityTaskHeartbeatById";
    /// `RespondActivityTaskCompletedById` (async completion by id).
    pub(crate) RESPOND_ACTIVITY_TASK_COMPLETED_BY_ID = respond_activity_task_completed_by_id:
        RespondActivityTaskCompletedByIdRequest => RespondActivityTaskCompletedByIdResponse, "RespondActivityTaskCompletedById";
    /// `RespondActivityTaskFailedById` (async completion by id).
    pub(crate) RESPOND_ACTIVITY_TASK_FAILED_BY_ID = respond_activity_task_failed_by_id:
        RespondActivityTaskFailedByIdRequest => RespondActivityTaskFailedByIdResponse, "RespondActivityTaskFailedById";
    /// `RespondActivityTaskCanceledById` (async completion by id).
    pub(crate) RESPOND_ACTIVITY_TASK_CANCELED_BY_ID = respond_activity_task_canceled_by_id:
        RespondActivityTaskCanceledByIdRequest => RespondActivityTaskCanceledByIdResponse, "RespondActivityTaskCanceledById";
    /// `DescribeNamespace`.
    pub(crate) DESCRIBE_NAMESPACE = describe_namespace:
        DescribeNamespaceRequest => DescribeNamespaceResponse, "DescribeNamespace";
    /// `PollActivityTaskQueue` (the worker's raw API).
    pub POLL_ACTIVITY_TASK_QUEUE = poll_activity_task_queue:
        PollActivityTaskQueueRequest => PollActivityTaskQueueResponse, "PollActivityTaskQueue";
    /// `RespondActivityTaskCompleted` (the worker's raw API).
    pub RESPOND_ACTIVITY_TASK_COMPLETED = respond_activity_task_completed:
        RespondActivityTaskCompletedRequest => RespondActivityTaskCompletedResponse, "RespondActivityTaskCompleted";
    /// `RespondActivityTaskFailed` (the worker's raw API).
    pub RESPOND_ACTIVITY_TASK_FAILED = respond_activity_task_failed:
        RespondActivityTaskFailedRequest => RespondActivityTaskFailedResponse, "RespondActivityTaskFailed";
    /// `RespondActivityTaskCanceled` (the worker's raw API).
    pub RESPOND_ACTIVITY_TASK_CANCELED = respond_activity_task_canceled:
        RespondActivityTaskCanceledRequest => RespondActivityTaskCanceledResponse, "RespondActivityTaskCanceled";
    /// `RecordActivityTaskHeartbeat` (the worker's raw API).
    pub RECORD_ACTIVITY_TASK_HEARTBEAT = record_activity_task_heartbeat:
        RecordActivityTaskHeartbeatRequest => RecordActivityTaskHeartbeatResponse, "RecordActivityTaskHeartbeat";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_grpc_method_names() {
        assert_eq!(START_ACTIVITY_EXECUTION.name(), "StartActivityExecution");
        assert_eq!(
            RECORD_ACTIVITY_TASK_HEARTBEAT.name(),
            "RecordActivityTaskHeartbeat"
        );
        assert_eq!(
            format!("{POLL_ACTIVITY_EXECUTION:?}"),
            "PollActivityExecution"
        );
    }
}

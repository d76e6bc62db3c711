//! The `WorkflowService` RPCs solo makes, one typed descriptor each: the method name (what
//! interceptors see) and how to send one request on a connection.
//!
//! Every call goes through [`CallCore`](crate::call::CallCore), which takes a descriptor, so
//! every call site has the same shape. A descriptor sends through [`Connection::unary`], which
//! frames the request and decodes the answer itself. A call's future is part of its caller's,
//! with no box per call, and holds the framed request, never the message: the functions on
//! the way take the message by value and return a future without it (an `async fn` would keep
//! its argument in its state for the whole call, at every level).

use std::fmt;
use std::marker::PhantomData;

use solo_connect::Connection;
use solo_proto::temporal::api::workflowservice::v1 as ws;

/// One `WorkflowService` RPC taking `M` and answering `R`.
pub struct Rpc<M, R> {
    name: &'static str,
    path: &'static str,
    _types: PhantomData<fn(M) -> R>,
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
}

/// What a request or response message of an [`Rpc`] is: a prost message that can cross
/// threads. Every generated `WorkflowService` message is one.
pub trait RpcMessage: prost::Message + Default + Send + 'static {}

impl<T: prost::Message + Default + Send + 'static> RpcMessage for T {}

impl<M: RpcMessage, R: RpcMessage> Rpc<M, R> {
    /// Sends `request` on `connection` ([`Connection::unary`]).
    pub(crate) fn send(
        self,
        connection: &Connection,
        request: tonic::Request<M>,
    ) -> impl Future<Output = Result<R, tonic::Status>> + Send + use<M, R> {
        connection.unary(http::uri::PathAndQuery::from_static(self.path), request)
    }
}

macro_rules! rpcs {
    ($($(#[$doc:meta])* $vis:vis $konst:ident = $request:ident => $response:ident, $name:literal;)*) => {
        $(
            $(#[$doc])*
            $vis const $konst: Rpc<ws::$request, ws::$response> = Rpc {
                name: $name,
                path: concat!("/temporal.api.workflowservice.v1.WorkflowService/", $name),
                _types: PhantomData,
            };
        )*
    };
}

rpcs! {
    /// `StartActivityExecution`.
    pub(crate) START_ACTIVITY_EXECUTION =
        StartActivityExecutionRequest => StartActivityExecutionResponse, "StartActivityExecution";
    /// `PollActivityExecution`.
    pub(crate) POLL_ACTIVITY_EXECUTION =
        PollActivityExecutionRequest => PollActivityExecutionResponse, "PollActivityExecution";
    /// `DescribeActivityExecution`.
    pub DESCRIBE_ACTIVITY_EXECUTION =
        DescribeActivityExecutionRequest => DescribeActivityExecutionResponse, "DescribeActivityExecution";
    /// `RequestCancelActivityExecution`.
    pub(crate) REQUEST_CANCEL_ACTIVITY_EXECUTION =
        RequestCancelActivityExecutionRequest => RequestCancelActivityExecutionResponse, "RequestCancelActivityExecution";
    /// `TerminateActivityExecution`.
    pub(crate) TERMINATE_ACTIVITY_EXECUTION =
        TerminateActivityExecutionRequest => TerminateActivityExecutionResponse, "TerminateActivityExecution";
    /// `DeleteActivityExecution`.
    pub(crate) DELETE_ACTIVITY_EXECUTION =
        DeleteActivityExecutionRequest => DeleteActivityExecutionResponse, "DeleteActivityExecution";
    /// `ListActivityExecutions`.
    pub LIST_ACTIVITY_EXECUTIONS =
        ListActivityExecutionsRequest => ListActivityExecutionsResponse, "ListActivityExecutions";
    /// `CountActivityExecutions`.
    pub COUNT_ACTIVITY_EXECUTIONS =
        CountActivityExecutionsRequest => CountActivityExecutionsResponse, "CountActivityExecutions";
    /// `PauseActivityExecution` (operator command, Server 1.32+).
    pub(crate) PAUSE_ACTIVITY_EXECUTION =
        PauseActivityExecutionRequest => PauseActivityExecutionResponse, "PauseActivityExecution";
    /// `UnpauseActivityExecution` (operator command, Server 1.32+).
    pub(crate) UNPAUSE_ACTIVITY_EXECUTION =
        UnpauseActivityExecutionRequest => UnpauseActivityExecutionResponse, "UnpauseActivityExecution";
    /// `ResetActivityExecution` (operator command, Server 1.32+).
    pub(crate) RESET_ACTIVITY_EXECUTION =
        ResetActivityExecutionRequest => ResetActivityExecutionResponse, "ResetActivityExecution";
    /// `UpdateActivityExecutionOptions` (operator command, Server 1.32+).
    pub(crate) UPDATE_ACTIVITY_EXECUTION_OPTIONS =
        UpdateActivityExecutionOptionsRequest => UpdateActivityExecutionOptionsResponse, "UpdateActivityExecutionOptions";
    /// `RecordActivityTaskHeartbeatById` (async completion by id).
    pub(crate) RECORD_ACTIVITY_TASK_HEARTBEAT_BY_ID =
        RecordActivityTaskHeartbeatByIdRequest => RecordActivityTaskHeartbeatByIdResponse, "RecordActivityTaskHeartbeatById";
    /// `RespondActivityTaskCompletedById` (async completion by id).
    pub(crate) RESPOND_ACTIVITY_TASK_COMPLETED_BY_ID =
        RespondActivityTaskCompletedByIdRequest => RespondActivityTaskCompletedByIdResponse, "RespondActivityTaskCompletedById";
    /// `RespondActivityTaskFailedById` (async completion by id).
    pub(crate) RESPOND_ACTIVITY_TASK_FAILED_BY_ID =
        RespondActivityTaskFailedByIdRequest => RespondActivityTaskFailedByIdResponse, "RespondActivityTaskFailedById";
    /// `RespondActivityTaskCanceledById` (async completion by id).
    pub(crate) RESPOND_ACTIVITY_TASK_CANCELED_BY_ID =
        RespondActivityTaskCanceledByIdRequest => RespondActivityTaskCanceledByIdResponse, "RespondActivityTaskCanceledById";
    /// `DescribeNamespace`.
    pub(crate) DESCRIBE_NAMESPACE =
        DescribeNamespaceRequest => DescribeNamespaceResponse, "DescribeNamespace";
    /// `PollActivityTaskQueue` (the worker's raw API).
    pub POLL_ACTIVITY_TASK_QUEUE =
        PollActivityTaskQueueRequest => PollActivityTaskQueueResponse, "PollActivityTaskQueue";
    /// `RespondActivityTaskCompleted` (the worker's raw API).
    pub RESPOND_ACTIVITY_TASK_COMPLETED =
        RespondActivityTaskCompletedRequest => RespondActivityTaskCompletedResponse, "RespondActivityTaskCompleted";
    /// `RespondActivityTaskFailed` (the worker's raw API).
    pub RESPOND_ACTIVITY_TASK_FAILED =
        RespondActivityTaskFailedRequest => RespondActivityTaskFailedResponse, "RespondActivityTaskFailed";
    /// `RespondActivityTaskCanceled` (the worker's raw API).
    pub RESPOND_ACTIVITY_TASK_CANCELED =
        RespondActivityTaskCanceledRequest => RespondActivityTaskCanceledResponse, "RespondActivityTaskCanceled";
    /// `RecordActivityTaskHeartbeat` (the worker's raw API).
    pub RECORD_ACTIVITY_TASK_HEARTBEAT =
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

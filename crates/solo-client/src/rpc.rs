//! The RPCs the client makes, each as a boxed `Send` future.
//!
//! One function per `WorkflowService` method keeps every call site the same shape and keeps
//! the generated client's large future types out of the client's own futures.

use std::future::Future;
use std::pin::Pin;

use solo_connect::Connection;
use solo_proto::temporal::api::workflowservice::v1 as ws;

/// A boxed RPC call.
pub(crate) type RpcFuture<T> = Pin<Box<dyn Future<Output = Result<T, tonic::Status>> + Send>>;

macro_rules! rpcs {
    ($($name:ident: $request:ident => $response:ident;)*) => {
        $(
            pub(crate) fn $name(
                connection: &Connection,
                request: tonic::Request<ws::$request>,
            ) -> RpcFuture<ws::$response> {
                let mut service = connection.workflow_service();
                Box::pin(async move {
                    service.$name(request).await.map(tonic::Response::into_inner)
                })
            }
        )*
    };
}

rpcs! {
    start_activity_execution: StartActivityExecutionRequest => StartActivityExecutionResponse;
    poll_activity_execution: PollActivityExecutionRequest => PollActivityExecutionResponse;
    describe_activity_execution: DescribeActivityExecutionRequest => DescribeActivityExecutionResponse;
    request_cancel_activity_execution: RequestCancelActivityExecutionRequest => RequestCancelActivityExecutionResponse;
    terminate_activity_execution: TerminateActivityExecutionRequest => TerminateActivityExecutionResponse;
    delete_activity_execution: DeleteActivityExecutionRequest => DeleteActivityExecutionResponse;
    list_activity_executions: ListActivityExecutionsRequest => ListActivityExecutionsResponse;
    count_activity_executions: CountActivityExecutionsRequest => CountActivityExecutionsResponse;
    describe_namespace: DescribeNamespaceRequest => DescribeNamespaceResponse;
}

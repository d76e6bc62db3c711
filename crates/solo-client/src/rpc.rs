//! The RPCs the client makes, each as a boxed `Send` future.
//!
//! The connection's service reports errors as boxed trait objects; a future that holds such
//! a service's future cannot currently be proven `Send` inside another `async` block (rustc
//! reports "implementation of `From` is not general enough"), which would make every client
//! future unusable with `tokio::spawn`. [`StatusService`] turns those errors into
//! `tonic::Status` (as tonic would) inside plain functions and hands out futures whose types
//! name no trait-object error, and each call is boxed where its types are concrete.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::TryFutureExt;
use solo_connect::{Connection, GrpcService};
use solo_proto::temporal::api::workflowservice::v1 as ws;
use solo_proto::temporal::api::workflowservice::v1::workflow_service_client::WorkflowServiceClient;
use tonic::body::Body;

/// A boxed RPC call.
pub(crate) type RpcFuture<T> = Pin<Box<dyn Future<Output = Result<T, tonic::Status>> + Send>>;

/// The connection's service with `tonic::Status` errors.
#[derive(Clone)]
pub(crate) struct StatusService(GrpcService);

impl tower::Service<http::Request<Body>> for StatusService {
    type Response = http::Response<Body>;
    type Error = tonic::Status;
    type Future = RpcFuture<http::Response<Body>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx).map_err(tonic::Status::from_error)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        Box::pin(self.0.call(request).map_err(tonic::Status::from_error))
    }
}

/// A `WorkflowService` client over the connection, with the connection's message size limit.
pub(crate) fn service(connection: &Connection) -> WorkflowServiceClient<StatusService> {
    WorkflowServiceClient::new(StatusService(connection.grpc_service()))
        .max_decoding_message_size(connection.options().get_max_decoding_message_size())
}

macro_rules! rpcs {
    ($($name:ident: $request:ident => $response:ident;)*) => {
        $(
            pub(crate) fn $name(
                connection: &Connection,
                request: tonic::Request<ws::$request>,
            ) -> RpcFuture<ws::$response> {
                let mut service = service(connection);
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

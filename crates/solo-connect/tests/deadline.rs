//! Deadlines through a real connection: defaults per method, the long-poll default, a
//! per-request timeout that wins, and DEADLINE_EXCEEDED when time runs out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use solo_connect::{Connection, ConnectionOptions, LongPoll};
use solo_proto::temporal::api::workflowservice::v1::{
    DescribeActivityExecutionRequest, PollActivityExecutionRequest, StartActivityExecutionRequest,
};
use support::{FakeTemporal, serve};
use tonic::Code;

async fn setup(
    options: impl FnOnce(ConnectionOptions) -> ConnectionOptions,
) -> (FakeTemporal, support::Running, Connection) {
    let fake = FakeTemporal::default();
    let server = serve(fake.clone(), None).await;
    let connection = Connection::connect(options(ConnectionOptions::new(server.address())))
        .await
        .unwrap();
    (fake, server, connection)
}

fn timeout_header(fake: &FakeTemporal, method: &str) -> String {
    let calls = fake.calls_of(method);
    let last = calls.last().unwrap_or_else(|| panic!("no {method} call"));
    last.headers["grpc-timeout"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn default_deadlines_depend_on_the_method() {
    let (fake, _server, connection) = setup(|o| o).await;
    let mut client = connection.workflow_service();
    client
        .start_activity_execution(StartActivityExecutionRequest::default())
        .await
        .unwrap();
    assert_eq!(
        timeout_header(&fake, "start_activity_execution"),
        "30000000u"
    );

    client
        .poll_activity_execution(PollActivityExecutionRequest::default())
        .await
        .unwrap();
    assert_eq!(
        timeout_header(&fake, "poll_activity_execution"),
        "70000000u"
    );

    client
        .describe_activity_execution(DescribeActivityExecutionRequest::default())
        .await
        .unwrap();
    assert_eq!(
        timeout_header(&fake, "describe_activity_execution"),
        "30000000u"
    );

    client
        .describe_activity_execution(DescribeActivityExecutionRequest {
            long_poll_token: vec![7, 7].into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        timeout_header(&fake, "describe_activity_execution"),
        "70000000u",
        "a long-poll token makes Describe a long poll"
    );

    let mut marked = tonic::Request::new(StartActivityExecutionRequest::default());
    marked.extensions_mut().insert(LongPoll);
    client.start_activity_execution(marked).await.unwrap();
    assert_eq!(
        timeout_header(&fake, "start_activity_execution"),
        "70000000u"
    );
}

#[tokio::test]
async fn configured_deadlines_are_used() {
    let (fake, _server, connection) = setup(|o| {
        o.rpc_timeout(Duration::from_secs(5))
            .long_poll_timeout(Duration::from_secs(65))
    })
    .await;
    let mut client = connection.workflow_service();
    client
        .start_activity_execution(StartActivityExecutionRequest::default())
        .await
        .unwrap();
    assert_eq!(
        timeout_header(&fake, "start_activity_execution"),
        "5000000u"
    );
    client
        .poll_activity_execution(PollActivityExecutionRequest::default())
        .await
        .unwrap();
    assert_eq!(
        timeout_header(&fake, "poll_activity_execution"),
        "65000000u"
    );
}

#[tokio::test]
async fn a_per_request_timeout_wins() {
    let (fake, _server, connection) = setup(|o| o).await;
    let mut client = connection.workflow_service();
    let mut request = tonic::Request::new(PollActivityExecutionRequest::default());
    request.set_timeout(Duration::from_secs(80));
    client.poll_activity_execution(request).await.unwrap();
    let header = timeout_header(&fake, "poll_activity_execution");
    assert_eq!(header, "80000000u");

    let mut request = tonic::Request::new(StartActivityExecutionRequest::default());
    request.set_timeout(Duration::from_millis(1500));
    client.start_activity_execution(request).await.unwrap();
    assert_eq!(
        timeout_header(&fake, "start_activity_execution"),
        "1500000u"
    );
}

#[tokio::test]
async fn running_out_of_time_is_deadline_exceeded_and_not_retried() {
    let (fake, _server, connection) =
        setup(|o| o.long_poll_timeout(Duration::from_millis(200))).await;
    fake.poll_delay(Duration::from_secs(10));
    let status = connection
        .workflow_service()
        .poll_activity_execution(PollActivityExecutionRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded);
    assert_eq!(fake.calls_of("poll_activity_execution").len(), 1);

    // A per-request timeout is enforced too.
    let mut request = tonic::Request::new(PollActivityExecutionRequest::default());
    request.set_timeout(Duration::from_millis(100));
    let status = connection
        .workflow_service()
        .poll_activity_execution(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded);
}

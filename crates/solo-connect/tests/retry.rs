//! Retries through a real connection: a retryable code is retried with the same request (same
//! `request_id`), a non-retryable one is returned at once, and retries are bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use solo_connect::{Connection, ConnectionOptions, RetryOptions};
use solo_proto::temporal::api::workflowservice::v1::StartActivityExecutionRequest;
use support::{FakeTemporal, serve};
use tonic::Code;

fn fast_retry() -> RetryOptions {
    RetryOptions::default()
        .initial_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(20))
        .throttled_interval(Duration::from_millis(5), Duration::from_millis(20))
}

async fn connect(fake: &FakeTemporal, retry: RetryOptions) -> (support::Running, Connection) {
    let server = serve(fake.clone(), None).await;
    let connection = Connection::connect(ConnectionOptions::new(server.address()).retry(retry))
        .await
        .unwrap();
    (server, connection)
}

fn start(request_id: &str) -> StartActivityExecutionRequest {
    StartActivityExecutionRequest {
        namespace: "default".to_owned(),
        activity_id: "greet-1".to_owned(),
        request_id: request_id.to_owned(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_retryable_code_is_retried_with_the_same_request() {
    for code in [
        Code::Unavailable,
        Code::ResourceExhausted,
        Code::Internal,
        Code::Aborted,
    ] {
        let fake = FakeTemporal::default();
        fake.fail_start_with(&[code, code]);
        let (_server, connection) = connect(&fake, fast_retry()).await;
        let response = connection
            .workflow_service()
            .start_activity_execution(start("req-7f3a"))
            .await
            .unwrap_or_else(|s| panic!("{code:?}: {s}"));
        assert_eq!(response.into_inner().run_id, "run-1");
        let calls = fake.calls_of("start_activity_execution");
        assert_eq!(calls.len(), 3, "{code:?}");
        for call in calls {
            assert_eq!(call.request_id.as_deref(), Some("req-7f3a"));
        }
    }
}

#[tokio::test]
async fn a_non_retryable_code_is_returned_at_once() {
    for code in [
        Code::InvalidArgument,
        Code::NotFound,
        Code::AlreadyExists,
        Code::FailedPrecondition,
        Code::PermissionDenied,
        Code::Unauthenticated,
        Code::Unimplemented,
    ] {
        let fake = FakeTemporal::default();
        fake.fail_start_with(&[code]);
        let (_server, connection) = connect(&fake, fast_retry()).await;
        let status = connection
            .workflow_service()
            .start_activity_execution(start("req-1"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), code);
        assert_eq!(status.message(), "scripted failure");
        assert_eq!(
            fake.calls_of("start_activity_execution").len(),
            1,
            "{code:?}"
        );
    }
}

#[tokio::test]
async fn retries_stop_at_max_attempts_and_return_the_last_status() {
    let fake = FakeTemporal::default();
    fake.fail_start_with(&[Code::Unavailable; 10]);
    let (_server, connection) = connect(&fake, fast_retry().max_attempts(3)).await;
    let status = connection
        .workflow_service()
        .start_activity_execution(start("req-2"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(fake.calls_of("start_activity_execution").len(), 3);
}

#[tokio::test]
async fn a_call_can_turn_retries_off() {
    let fake = FakeTemporal::default();
    fake.fail_start_with(&[Code::Unavailable]);
    let (_server, connection) = connect(&fake, fast_retry()).await;
    let mut request = tonic::Request::new(start("req-3"));
    request.extensions_mut().insert(RetryOptions::disabled());
    let status = connection
        .workflow_service()
        .start_activity_execution(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(fake.calls_of("start_activity_execution").len(), 1);
}

//! Failing activities: application errors with their attributes, retries that resume from
//! the previous attempt's heartbeat, and panics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::json;
use solo_client::{ActivityError, ApplicationError, FailureKind, OutcomeError};
use solo_worker::{ActivityContext, Worker};
use support::{Running, activity, client, one_attempt, options, unique, within};

/// Declines every payment, for good.
#[solo_macros::activity(crate = "solo_worker")]
async fn charge(amount: u64) -> Result<String, ApplicationError> {
    Err(ApplicationError::new(format!("card declined for {amount}"))
        .error_type("PaymentDeclined")
        .non_retryable()
        .detail(&json!({"code": 51}))
        .next_retry_delay(Duration::from_secs(3)))
}

/// Fails with an ordinary error type, retryable.
#[solo_macros::activity(crate = "solo_worker")]
async fn read_config() -> Result<String, std::io::Error> {
    Err(std::io::Error::other("config missing"))
}

/// Panics on a blocking thread.
#[solo_macros::activity(crate = "solo_worker")]
fn sync_panic(message: String) -> u32 {
    panic!("{message}")
}

/// Panics on the async runtime.
#[solo_macros::activity(crate = "solo_worker")]
async fn async_panic(message: String) -> u32 {
    panic!("{message}")
}

/// Answers on every attempt.
#[solo_macros::activity(crate = "solo_worker")]
async fn ping(ctx: ActivityContext) -> u32 {
    ctx.info().attempt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_errors_keep_type_details_and_non_retryable() {
    let client = client().await;
    let queue = unique("fail-app");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(charge)
            .activity(read_config)
            .build()
            .unwrap(),
    );

    let handle = client
        .start_activity(charge, 42, options(&unique("charge"), &queue))
        .await
        .unwrap();
    let err = within("charge result", handle.result()).await.unwrap_err();
    let OutcomeError::Failed { failure, .. } = &err else {
        panic!("expected a failure, got {err}");
    };
    assert_eq!(failure.message, "card declined for 42");
    assert_eq!(failure.source, "RustSDK");
    match &failure.kind {
        FailureKind::Application {
            error_type,
            non_retryable,
            details,
            next_retry_delay,
            ..
        } => {
            assert_eq!(error_type, "PaymentDeclined");
            assert!(non_retryable);
            assert_eq!(
                details.get::<serde_json::Value>(0).unwrap(),
                json!({"code": 51})
            );
            assert_eq!(*next_retry_delay, Some(Duration::from_secs(3)));
        }
        other => panic!("not an application failure: {other:?}"),
    }
    assert_eq!(handle.describe().await.unwrap().attempt, 1, "not retried");

    let err = client
        .execute_activity(read_config, (), one_attempt(&unique("config"), &queue))
        .await
        .unwrap_err();
    let failure = err.failure().expect("a failure");
    assert_eq!(failure.message, "config missing");
    assert!(
        failure.error_type().unwrap().ends_with("io::error::Error"),
        "{:?}",
        failure.error_type()
    );
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_resumes_from_the_previous_attempts_heartbeat() {
    let client = client().await;
    let queue = unique("fail-retry");
    let resumable = activity("resumable", |ctx: ActivityContext, items: u32| async move {
        let done: u32 = ctx.heartbeat_details()?.unwrap_or(0);
        if ctx.info().attempt == 1 {
            ctx.heartbeat(&(items / 2));
            return Err(ActivityError::from_message("lost the connection halfway"));
        }
        Ok(format!(
            "attempt {} resumed at {done} of {items}",
            ctx.info().attempt
        ))
    });
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(resumable.clone())
            .build()
            .unwrap(),
    );
    let out = within(
        "resumable",
        client.execute_activity(resumable, 10, options(&unique("resume"), &queue)),
    )
    .await
    .unwrap();
    assert_eq!(out, "attempt 2 resumed at 5 of 10");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_the_attempt_and_the_worker_carries_on() {
    let client = client().await;
    let queue = unique("fail-panic");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(sync_panic)
            .activity(async_panic)
            .activity(ping)
            .build()
            .unwrap(),
    );

    let err = client
        .execute_activity(
            async_panic,
            String::from("async boom"),
            one_attempt(&unique("apanic"), &queue),
        )
        .await
        .unwrap_err();
    let failure = err.failure().expect("a failure");
    assert_eq!(failure.error_type(), Some("Panic"));
    assert!(
        failure.message.contains("async boom"),
        "{}",
        failure.message
    );

    let err = client
        .execute_activity(
            sync_panic,
            String::from("sync boom"),
            one_attempt(&unique("spanic"), &queue),
        )
        .await
        .unwrap_err();
    let failure = err.failure().expect("a failure");
    assert_eq!(failure.error_type(), Some("Panic"));
    assert!(failure.message.contains("sync boom"), "{}", failure.message);

    // The worker is still polling and running activities.
    let attempt = within(
        "ping",
        client.execute_activity(ping, (), options(&unique("ping"), &queue)),
    )
    .await
    .unwrap();
    assert_eq!(attempt, 1);
    assert!(running.worker.is_running());
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unrequested_cancellation_is_reported_as_a_failure() {
    let client = client().await;
    let queue = unique("fail-cancelled");
    let gives_up = activity("gives_up", |_ctx: ActivityContext, ()| async {
        Err::<(), ActivityError>(solo_client::Cancelled::new().into())
    });
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(gives_up.clone())
            .build()
            .unwrap(),
    );
    let err = within(
        "result",
        client.execute_activity(gives_up, (), one_attempt(&unique("gives-up"), &queue)),
    )
    .await
    .unwrap_err();
    let OutcomeError::Failed { failure, .. } = &err else {
        panic!("expected a failure, got {err}");
    };
    assert_eq!(failure.message, "activity cancelled");
    assert!(matches!(
        failure.cause.as_deref().map(|c| &c.kind),
        Some(FailureKind::Cancelled { .. })
    ));
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_result_fails_the_activity_instead_of_timing_out() {
    let client = client().await;
    let queue = unique("fail-oversized");
    let huge = activity("huge", |_ctx: ActivityContext, ()| async {
        Ok("x".repeat(2_500_000))
    });
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(huge.clone())
            .build()
            .unwrap(),
    );
    // The attempt timeout is longer than the test's patience: the activity must end because
    // the result was reported (and refused), not because the attempt timed out.
    let options = solo_client::ActivityOptions::new()
        .id(unique("huge"))
        .task_queue(&queue)
        .start_to_close_timeout(Duration::from_secs(600))
        .retry_policy(solo_client::RetryPolicy::new().maximum_attempts(1));
    let err = within("result", client.execute_activity(huge, (), options))
        .await
        .unwrap_err();
    assert!(err.is_activity_outcome(), "{err}");
    let failure = err.failure().expect("a failure");
    assert!(failure.message.contains("size limit"), "{failure}");
    running.stop().await.unwrap();
}

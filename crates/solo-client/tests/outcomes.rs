//! Waiting for a result: every way an activity can end, as `result()` reports it, and the
//! long-poll loop behind it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use solo_client::to_payload;
use solo_client::{
    ActivityOptions, CallError, ClientInterceptor, ClientOptions, FailureKind, OutcomeError,
    RetryPolicy,
};
use solo_proto::temporal::api::enums::v1::{RetryState, TimeoutType};
use support::{Reply, application_failure, client, client_with, start_worker, unique, within};
use tonic::metadata::MetadataMap;

fn options(task_queue: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(unique("act"))
        .task_queue(task_queue)
        .start_to_close_timeout(Duration::from_secs(30))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_retryable_failure_is_failed_with_type_details_and_cause() {
    let client = client().await;
    let tq = unique("tq");
    let _worker = start_worker(&tq, |_task| async {
        let mut failure = application_failure(
            "card declined",
            "PaymentDeclined",
            true,
            vec![to_payload(&serde_json::json!({"code": 51})).unwrap()],
        );
        failure.cause = Some(Box::new(application_failure(
            "bank said no",
            "BankError",
            false,
            vec![],
        )));
        Reply::fail(failure)
    })
    .await;
    let err = within(
        "execute",
        client.execute_activity_by_name::<String>("charge", (), options(&tq)),
    )
    .await
    .unwrap_err();
    assert!(err.is_activity_outcome());
    let OutcomeError::Failed {
        failure,
        retry_state,
    } = &err
    else {
        panic!("expected Failed, got {err:?}");
    };
    assert_eq!(*retry_state, RetryState::NonRetryableFailure);
    assert_eq!(failure.message, "card declined");
    assert_eq!(failure.error_type(), Some("PaymentDeclined"));
    assert_eq!(failure.source, "TestSDK");
    assert!(matches!(
        failure.kind,
        FailureKind::Application {
            non_retryable: true,
            ..
        }
    ));
    let details: serde_json::Value = failure.details().get(0).unwrap();
    assert_eq!(details["code"], 51);
    let cause = failure.cause.as_deref().expect("a cause");
    assert_eq!(cause.message, "bank said no");
    assert_eq!(cause.error_type(), Some("BankError"));
    let text = err.to_string();
    assert!(text.contains("PaymentDeclined: card declined"), "{text}");
    assert!(err.failure().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_are_failed_with_maximum_attempts_reached() {
    let client = client().await;
    let tq = unique("tq");
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let seen = attempts.clone();
    let _worker = start_worker(&tq, move |task| {
        seen.lock().unwrap().push(task.task.attempt);
        async { Reply::fail(application_failure("flaky", "Flaky", false, vec![])) }
    })
    .await;
    let opts = options(&tq).retry_policy(
        RetryPolicy::new()
            .initial_interval(Duration::from_millis(100))
            .maximum_attempts(2),
    );
    let handle = client
        .start_activity_by_name::<()>("flaky", (), opts)
        .await
        .unwrap();
    let err = within("result", handle.result()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            OutcomeError::Failed {
                retry_state: RetryState::MaximumAttemptsReached,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("maximum attempts"), "{err}");
    assert_eq!(*attempts.lock().unwrap(), vec![1, 2]);
    assert_eq!(
        within("describe", handle.describe()).await.unwrap().attempt,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_heartbeat_is_timed_out_with_the_last_details() {
    let client = client().await;
    let tq = unique("tq");
    let _worker = start_worker(&tq, |task| async move {
        task.heartbeat(&"halfway").await.unwrap();
        Reply::Nothing
    })
    .await;
    let opts = options(&tq)
        .heartbeat_timeout(Duration::from_secs(1))
        .retry_policy(RetryPolicy::no_retries());
    let err = within(
        "execute",
        client.execute_activity_by_name::<()>("stalls", (), opts),
    )
    .await
    .unwrap_err();
    let OutcomeError::TimedOut {
        timeout_type,
        last_heartbeat_details,
        failure,
    } = &err
    else {
        panic!("expected TimedOut, got {err:?}");
    };
    assert_eq!(*timeout_type, TimeoutType::Heartbeat);
    assert_eq!(
        last_heartbeat_details.first::<String>().unwrap().as_deref(),
        Some("halfway")
    );
    assert!(matches!(failure.kind, FailureKind::Timeout { .. }));
    assert!(err.to_string().contains("Heartbeat"), "{err}");
    assert!(err.is_activity_outcome() && err.is_timed_out());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_attempt_is_timed_out_start_to_close() {
    let client = client().await;
    let tq = unique("tq");
    let _worker = start_worker(&tq, |_task| async { Reply::Nothing }).await;
    let opts = ActivityOptions::new()
        .id(unique("slow"))
        .task_queue(&tq)
        .start_to_close_timeout(Duration::from_secs(1))
        .retry_policy(RetryPolicy::no_retries());
    let err = within(
        "execute",
        client.execute_activity_by_name::<()>("slow", (), opts),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            &err,
            OutcomeError::TimedOut {
                timeout_type: TimeoutType::StartToClose,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_attempt_is_cancelled_with_the_workers_details() {
    let client = client().await;
    let tq = unique("tq");
    let (started_tx, started_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let _worker = start_worker(&tq, move |task| {
        let started = started_tx.clone();
        async move {
            started.send(()).unwrap();
            if task.heartbeat_until_cancelled(&"working").await {
                Reply::Cancel(vec![to_payload("cleaned up").unwrap()])
            } else {
                Reply::Nothing
            }
        }
    })
    .await;
    let opts = options(&tq).heartbeat_timeout(Duration::from_secs(5));
    let handle = client
        .start_activity_by_name::<()>("cancellable", (), opts)
        .await
        .unwrap();
    let mut started_rx = started_rx;
    within("the attempt starts", started_rx.recv())
        .await
        .unwrap();
    handle.cancel("the user gave up").await.unwrap();
    let err = within("result", handle.result()).await.unwrap_err();
    let OutcomeError::Cancelled { details, failure } = &err else {
        panic!("expected Cancelled, got {err:?}");
    };
    assert_eq!(
        details.first::<String>().unwrap().as_deref(),
        Some("cleaned up")
    );
    assert!(matches!(failure.kind, FailureKind::Cancelled { .. }));
    assert!(err.is_activity_outcome() && err.is_cancelled());
    let d = within("describe", handle.describe()).await.unwrap();
    assert_eq!(d.canceled_reason.as_deref(), Some("the user gave up"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_before_any_attempt_cancels_at_once_with_the_reason() {
    let client = client().await;
    let handle = client
        .start_activity_by_name::<()>("never_runs", (), options(&unique("no-worker")))
        .await
        .unwrap();
    handle.cancel("not needed any more").await.unwrap();
    let err = within("result", handle.result()).await.unwrap_err();
    let OutcomeError::Cancelled { details, .. } = &err else {
        panic!("expected Cancelled, got {err:?}");
    };
    assert_eq!(
        details.first::<String>().unwrap().as_deref(),
        Some("not needed any more")
    );
    // A closed activity cannot be cancelled or terminated again.
    let err = handle.cancel("again").await.unwrap_err();
    assert!(
        matches!(&err, CallError::Rejected(e) if e.code() == tonic::Code::FailedPrecondition),
        "{err:?}"
    );
    let err = handle.terminate("again").await.unwrap_err();
    assert!(
        matches!(&err, CallError::Rejected(e) if e.code() == tonic::Code::FailedPrecondition),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminated_activity_is_terminated_with_the_reason() {
    let client = client_with(ClientOptions::new().identity("terminator@test")).await;
    let handle = client
        .start_activity_by_name::<()>("never_runs", (), options(&unique("no-worker")))
        .await
        .unwrap();
    handle.terminate("stuck on a bad record").await.unwrap();
    let err = within("result", handle.result()).await.unwrap_err();
    match &err {
        OutcomeError::Terminated { reason, identity } => {
            assert_eq!(reason, "stuck on a bad record");
            assert_eq!(identity, "terminator@test");
        }
        other => panic!("expected Terminated, got {other:?}"),
    }
    assert!(err.to_string().contains("stuck on a bad record"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_activity_is_not_found_for_every_call() {
    let client = client().await;
    let id = unique("missing");
    let handle = client.get_activity_handle::<String>(&id, None);
    // Waiting for the result fails the way the other calls do: its call found nothing.
    let waited = match within("result", handle.result()).await.unwrap_err() {
        OutcomeError::Call(e) => e,
        other => panic!("expected NotFound, got {other:?}"),
    };
    let errors = [
        waited,
        handle.describe().await.unwrap_err(),
        handle.cancel("x").await.unwrap_err(),
        handle.terminate("x").await.unwrap_err(),
        handle.delete().await.unwrap_err(),
    ];
    for err in errors {
        match &err {
            CallError::NotFound {
                activity_id,
                namespace,
                ..
            } => {
                assert_eq!(activity_id, &id);
                assert_eq!(namespace, "default");
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert!(err.is_not_found());
        assert!(err.to_string().contains(&id), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_of_the_wrong_type_is_a_data_error() {
    let client = client().await;
    let tq = unique("tq");
    let _worker = start_worker(&tq, |_task| async { Reply::value(&"not a number") }).await;
    let err = within(
        "execute",
        client.execute_activity_by_name::<u64>("text", (), options(&tq)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, OutcomeError::Data(_)), "{err:?}");
    assert!(err.to_string().contains("u64"), "{err}");
    assert!(!err.is_activity_outcome());
}

/// Counts the long polls the client sends.
#[derive(Clone, Default)]
struct PollCounter(Arc<Mutex<usize>>);

impl ClientInterceptor for PollCounter {
    fn on_call(&self, method: &str, _metadata: &mut MetadataMap) {
        if method == "PollActivityExecution" {
            *self.0.lock().unwrap() += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_polls_again_after_empty_long_polls() {
    let polls = PollCounter::default();
    // A 1.5 s deadline leaves the server a window of about 0.5 s, so an activity that takes
    // 3 s is waited for over several empty answers or expired deadlines.
    let client = client_with(
        ClientOptions::new()
            .long_poll_timeout(Duration::from_millis(1500))
            .interceptor(polls.clone()),
    )
    .await;
    let tq = unique("tq");
    let _worker = start_worker(&tq, |_task| async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        Reply::value(&"done")
    })
    .await;
    let result: String = within(
        "execute",
        client.execute_activity_by_name("sleepy", (), options(&tq)),
    )
    .await
    .unwrap();
    assert_eq!(result, "done");
    let polls = *polls.0.lock().unwrap();
    assert!(polls >= 2, "only {polls} long poll(s)");
}

//! solo client → Python worker.

use solo_interop_tests::Within;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use solo_client::{
    Activity, ActivityDescription, ActivityOptions, ActivityRunState, ActivityStatus, Client,
    FailureKind, OutcomeError, RetryPolicy,
};
use solo_interop_tests::shapes::{BEYOND_F64, Order, UNICODE_TEXT, json_values, sample_order};
use solo_interop_tests::{PyWorker, eventually, solo_client, unique};
use solo_proto::temporal::api::enums::v1::{RetryState, TimeoutType};

/// An activity implemented in Python, called from Rust with typed input and output.
struct Remote<I, O> {
    name: &'static str,
    types: PhantomData<fn(I) -> O>,
}

impl<I, O> Remote<I, O> {
    const fn new(name: &'static str) -> Self {
        Remote {
            name,
            types: PhantomData,
        }
    }
}

impl<I, O> Activity for Remote<I, O>
where
    I: Serialize + DeserializeOwned + Send + 'static,
    O: Serialize + DeserializeOwned + Send + 'static,
{
    type Input = I;
    type Output = O;

    fn name(&self) -> &str {
        self.name
    }
}

fn options(prefix: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(unique(prefix))
        .task_queue(PyWorker::shared().task_queue())
        .start_to_close_timeout(Duration::from_secs(10))
}

/// The error of an activity expected to end badly.
fn outcome_error<T: std::fmt::Debug>(result: Result<T, OutcomeError>) -> OutcomeError {
    match result {
        Ok(value) => panic!("expected the activity to fail, it returned {value:?}"),
        Err(error) => error,
    }
}

fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .initial_interval(Duration::from_millis(100))
        .backoff_coefficient(1.0)
        .maximum_attempts(attempts)
}

/// Sends `value` to Python's `inspect_value` and returns (Python type, value as Python saw it).
async fn python_view<T>(client: &Client, value: T) -> (String, Value)
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    let seen: Value = client
        .execute_activity(
            Remote::<T, Value>::new("inspect_value"),
            value,
            options("solo2py-inspect"),
        )
        .within("execute_activity")
        .await
        .unwrap_or_else(|e| panic!("inspect_value: {e}"));
    (
        seen["python_type"].as_str().unwrap_or_default().to_owned(),
        seen["value"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_data_shape_reaches_python_and_comes_back() {
    let client = solo_client().await;

    let echoes = json_values().into_iter().map(|(label, value)| {
        let client = client.clone();
        async move {
            let back: Value = client
                .execute_activity(
                    Remote::<Value, Value>::new("echo"),
                    value.clone(),
                    options("solo2py-echo"),
                )
                .within("execute_activity")
                .await
                .unwrap_or_else(|e| panic!("echo {label}: {e}"));
            assert_eq!(back, value, "echo {label}");
        }
    });
    join_all(echoes).await;

    // What Python receives: the converter picked the same encodings Python would.
    let (views, bytes_view, order_view) = futures::join!(
        async {
            vec![
                ("i64", python_view(&client, BEYOND_F64).await),
                ("i64 negative", python_view(&client, -BEYOND_F64).await),
                ("f64 whole", python_view(&client, 3.0_f64).await),
                ("f64", python_view(&client, 0.1_f64).await),
                ("bool", python_view(&client, true).await),
                (
                    "String",
                    python_view(&client, UNICODE_TEXT.to_owned()).await,
                ),
                ("Vec", python_view(&client, vec![1, 2, 3]).await),
                (
                    "BTreeMap",
                    python_view(&client, BTreeMap::from([("k".to_owned(), 1.5)])).await,
                ),
                ("None", python_view(&client, None::<String>).await),
                ("Some", python_view(&client, Some("x".to_owned())).await),
            ]
        },
        python_view(&client, Bytes::from_static(b"\x00\x01\xfe\xff")),
        python_view(&client, sample_order()),
    );
    let expected = [
        ("int", json!(BEYOND_F64)),
        ("int", json!(-BEYOND_F64)),
        ("float", json!(3.0)),
        ("float", json!(0.1)),
        ("bool", json!(true)),
        ("str", json!(UNICODE_TEXT)),
        ("list", json!([1, 2, 3])),
        ("dict", json!({"k": 1.5})),
        ("NoneType", json!(null)),
        ("str", json!("x")),
    ];
    for ((label, (python_type, value)), (want_type, want_value)) in views.iter().zip(expected) {
        assert_eq!(
            (python_type.as_str(), value),
            (want_type, &want_value),
            "{label}"
        );
    }
    assert_eq!(bytes_view.0, "bytes");
    assert_eq!(
        bytes_view.1,
        solo_interop_tests::bytes_marker(b"\x00\x01\xfe\xff")
    );
    assert_eq!(order_view.0, "dict");
    assert_eq!(
        order_view.1,
        serde_json::to_value(sample_order()).unwrap_or_default()
    );

    // Typed round trips through Python's typed activities.
    let order: Order = client
        .execute_activity(
            Remote::<Order, Order>::new("echo_order"),
            sample_order(),
            options("solo2py-order"),
        )
        .within("execute_activity")
        .await
        .unwrap_or_else(|e| panic!("echo_order: {e}"));
    assert_eq!(order, sample_order());
    let all_bytes = Bytes::from((0..=255).collect::<Vec<u8>>());
    let back: Bytes = client
        .execute_activity(
            Remote::<Bytes, Bytes>::new("echo_bytes"),
            all_bytes.clone(),
            options("solo2py-bytes"),
        )
        .within("execute_activity")
        .await
        .unwrap_or_else(|e| panic!("echo_bytes: {e}"));
    assert_eq!(back, all_bytes);

    // No argument; no argument and no result; several arguments.
    let text: String = client
        .execute_activity(
            Remote::<(), String>::new("no_args"),
            (),
            options("solo2py-noargs"),
        )
        .within("execute_activity")
        .await
        .unwrap_or_else(|e| panic!("no_args: {e}"));
    assert_eq!(text, "called with no arguments");
    client
        .execute_activity(
            Remote::<(), ()>::new("nothing"),
            (),
            options("solo2py-nothing"),
        )
        .within("execute_activity")
        .await
        .unwrap_or_else(|e| panic!("nothing: {e}"));
    let joined: String = client
        .execute_activity_by_name(
            "concat",
            ("a", 2, vec!["x", "y"]),
            options("solo2py-concat"),
        )
        .within("execute_activity")
        .await
        .unwrap_or_else(|e| panic!("concat: {e}"));
    assert_eq!(joined, "a|2|x,y");
}

fn fail_application() -> Remote<Value, ()> {
    Remote::new("fail_application")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_application_error_arrives_whole_and_non_retryable_is_honoured() {
    let client = solo_client().await;
    let spec = json!({
        "message": "card declined — ñ",
        "type": "PaymentDeclined",
        "non_retryable": true,
        "details": [{"code": 51, "big": BEYOND_F64}, "second", null],
    });
    let handle = client
        .start_activity(
            fail_application(),
            spec,
            options("solo2py-nonretryable").retry_policy(fast_retries(0)),
        )
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
    let error = outcome_error(handle.result().within("result").await);
    let OutcomeError::Failed {
        failure,
        retry_state,
    } = &error
    else {
        panic!("expected OutcomeError::Failed, got {error:?}");
    };
    assert_eq!(*retry_state, RetryState::NonRetryableFailure);
    assert_eq!(failure.message, "card declined — ñ");
    assert!(
        !failure.stack_trace.is_empty(),
        "Python sends its traceback"
    );
    let FailureKind::Application {
        error_type,
        non_retryable,
        details,
        ..
    } = &failure.kind
    else {
        panic!("expected an application failure, got {failure:?}");
    };
    assert_eq!(error_type, "PaymentDeclined");
    assert!(non_retryable);
    assert_eq!(details.len(), 3);
    assert_eq!(
        details.get::<Value>(0).ok(),
        Some(json!({"code": 51, "big": BEYOND_F64}))
    );
    assert_eq!(details.get::<String>(1).ok().as_deref(), Some("second"));
    assert_eq!(details.get::<Option<String>>(2).ok(), Some(None));

    let described = handle.describe().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(described.status, ActivityStatus::Failed);
    assert_eq!(
        described.attempt, 1,
        "unlimited attempts, but non-retryable"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retryable_python_error_is_retried_until_attempts_run_out() {
    let client = solo_client().await;
    let handle = client
        .start_activity(
            fail_application(),
            json!({"message": "try again", "type": "Transient", "next_retry_delay": 0.2}),
            options("solo2py-retryable").retry_policy(fast_retries(3)),
        )
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
    let error = outcome_error(handle.result().within("result").await);
    let OutcomeError::Failed {
        failure,
        retry_state,
    } = &error
    else {
        panic!("expected OutcomeError::Failed, got {error:?}");
    };
    assert_eq!(*retry_state, RetryState::MaximumAttemptsReached);
    let FailureKind::Application {
        non_retryable,
        next_retry_delay,
        ..
    } = &failure.kind
    else {
        panic!("{failure:?}");
    };
    assert!(!non_retryable);
    assert_eq!(*next_retry_delay, Some(Duration::from_millis(200)));
    let described = handle.describe().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(described.attempt, 3);

    // A type listed in the retry policy is not retried either.
    let handle = client
        .start_activity(
            fail_application(),
            json!({"message": "fatal", "type": "Fatal"}),
            options("solo2py-nrtypes")
                .retry_policy(fast_retries(5).non_retryable_error_type("Fatal")),
        )
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
    assert!(handle.result().within("result").await.is_err());
    let described = handle.describe().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(described.attempt, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_exception_is_a_retryable_application_failure() {
    let client = solo_client().await;
    let handle = client
        .start_activity(
            Remote::<String, ()>::new("fail_exception"),
            "kaboom ü".to_owned(),
            options("solo2py-exception").retry_policy(fast_retries(2)),
        )
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
    let error = outcome_error(handle.result().within("result").await);
    let failure = error.failure().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(failure.message, "kaboom ü");
    assert_eq!(failure.error_type(), Some("RuntimeError"));
    assert!(matches!(
        failure.kind,
        FailureKind::Application {
            non_retryable: false,
            ..
        }
    ));
    let described = handle.describe().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(described.attempt, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_activity_past_its_start_to_close_timeout_times_out() {
    let client = solo_client().await;
    let error = client
        .execute_activity(
            Remote::<f64, String>::new("sleep"),
            30.0,
            options("solo2py-timeout")
                .start_to_close_timeout(Duration::from_secs(1))
                .retry_policy(fast_retries(1)),
        )
        .within("execute_activity")
        .await;
    let error = outcome_error(error);
    match &error {
        OutcomeError::TimedOut { timeout_type, .. } => {
            assert_eq!(*timeout_type, TimeoutType::StartToClose)
        }
        other => panic!("expected OutcomeError::TimedOut, got {other:?}"),
    }
}

/// Starts `activity` heartbeating `details`, waits until solo's describe reads them back,
/// cancels it and returns the result error and the final description.
async fn heartbeat_then_cancel<T>(
    client: &Client,
    activity: &'static str,
    details: T,
) -> (OutcomeError, ActivityDescription)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug + Clone + Send + 'static,
{
    let handle = client
        .start_activity(
            Remote::<T, String>::new(activity),
            details.clone(),
            options("solo2py-cancel")
                .start_to_close_timeout(Duration::from_secs(60))
                .heartbeat_timeout(Duration::from_secs(2)),
        )
        .await
        .unwrap_or_else(|e| panic!("start {activity}: {e}"));
    eventually(
        "solo reads the heartbeat details Python wrote",
        Duration::from_secs(20),
        || async {
            let d = handle.describe().await.map_err(|e| e.to_string())?;
            match d.heartbeat_details.first::<T>() {
                Ok(Some(seen)) if seen == details => Ok(()),
                other => Err(format!("{other:?} in {d:?}")),
            }
        },
    )
    .await;
    handle
        .cancel("no longer needed")
        .await
        .unwrap_or_else(|e| panic!("cancel: {e}"));
    let error = outcome_error(handle.result().within("result").await);
    let described = handle.describe().await.unwrap_or_else(|e| panic!("{e}"));
    (error, described)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_from_solo_reaches_python_through_heartbeats() {
    let client = solo_client().await;
    let cases = [
        (
            "heartbeat_until_cancelled",
            heartbeat_then_cancel(
                &client,
                "heartbeat_until_cancelled",
                json!({"progress": UNICODE_TEXT, "n": [1, BEYOND_F64]}),
            )
            .await,
        ),
        (
            "heartbeat_until_cancelled_sync",
            heartbeat_then_cancel(
                &client,
                "heartbeat_until_cancelled_sync",
                Bytes::from_static(b"\x00raw\xff"),
            )
            .await,
        ),
    ];
    for (activity, (error, described)) in cases {
        assert!(
            matches!(error, OutcomeError::Cancelled { .. }),
            "{activity}: expected OutcomeError::Cancelled, got {error:?}"
        );
        assert_eq!(described.status, ActivityStatus::Canceled, "{activity}");
        assert_eq!(
            described.canceled_reason.as_deref(),
            Some("no longer needed")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn terminating_a_python_activity_from_solo() {
    let client = solo_client().await;
    let handle = client
        .start_activity(
            Remote::<String, String>::new("heartbeat_until_cancelled"),
            "beat".to_owned(),
            options("solo2py-term")
                .start_to_close_timeout(Duration::from_secs(60))
                .heartbeat_timeout(Duration::from_secs(2)),
        )
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
    eventually("the attempt started", Duration::from_secs(20), || async {
        let d = handle.describe().await.map_err(|e| e.to_string())?;
        if d.run_state == Some(ActivityRunState::Started) {
            Ok(())
        } else {
            Err(format!("{d:?}"))
        }
    })
    .await;
    handle
        .terminate("operator said so")
        .await
        .unwrap_or_else(|e| panic!("terminate: {e}"));
    match handle.result().within("result").await {
        Err(OutcomeError::Terminated { reason, .. }) => assert_eq!(reason, "operator said so"),
        other => panic!("expected OutcomeError::Terminated, got {other:?}"),
    }
    let described = handle.describe().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(described.status, ActivityStatus::Terminated);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_retry_resumes_from_its_heartbeat_details() {
    let client = solo_client().await;
    let result: Value = client
        .execute_activity(
            Remote::<u32, Value>::new("retry_then_succeed"),
            3,
            options("solo2py-resume").retry_policy(fast_retries(0)),
        )
        .within("execute_activity")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        result,
        json!({"attempt": 3, "heartbeat_details": [{"attempt": 2, "progress": "step-2"}]})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sees_a_standalone_activity_with_the_options_solo_set() {
    let client = solo_client().await;
    let options = options("solo2py-info")
        .start_to_close_timeout(Duration::from_secs(7))
        .heartbeat_timeout(Duration::from_secs(3));
    let id = options.get_id().to_owned();
    let info: Value = client
        .execute_activity(Remote::<(), Value>::new("activity_info"), (), options)
        .within("execute_activity")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        info,
        json!({
            "activity_id": id,
            "activity_type": "activity_info",
            "attempt": 1,
            "heartbeat_details": [],
            "heartbeat_timeout": 3.0,
            "is_local": false,
            "namespace": "default",
            "schedule_to_close_timeout": null,
            "start_to_close_timeout": 7.0,
            "task_queue": PyWorker::shared().task_queue(),
            "workflow_id": null,
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pause_from_solo_stops_a_python_attempt_as_solo_workers_report_it() {
    let client = solo_client().await;
    let handle = client
        .start_activity(
            Remote::<String, String>::new("heartbeat_until_cancelled"),
            "beat".to_owned(),
            options("solo2py-pause")
                .start_to_close_timeout(Duration::from_secs(60))
                .heartbeat_timeout(Duration::from_secs(2)),
        )
        .await
        .unwrap_or_else(|e| panic!("start: {e}"));
    eventually("the attempt started", Duration::from_secs(20), || async {
        let d = handle.describe().await.map_err(|e| e.to_string())?;
        if d.run_state == Some(ActivityRunState::Started) {
            Ok(())
        } else {
            Err(format!("{d:?}"))
        }
    })
    .await;
    handle
        .pause("maintenance")
        .await
        .unwrap_or_else(|e| panic!("pause: {e}"));
    // Python stops the attempt and reports the failure type solo's worker reports too.
    let paused = eventually(
        "Python reports the pause",
        Duration::from_secs(20),
        || async {
            let d = handle.describe().await.map_err(|e| e.to_string())?;
            if d.status == ActivityStatus::Paused && d.last_failure.is_some() {
                Ok(d)
            } else {
                Err(format!("{d:?}"))
            }
        },
    )
    .await;
    let failure = paused.last_failure.unwrap();
    assert_eq!(
        failure.error_type(),
        Some(solo_worker::ACTIVITY_PAUSE_ERROR_TYPE),
        "{failure:?}"
    );
    assert_eq!(paused.run_state, Some(ActivityRunState::Paused));
    handle
        .terminate("test done")
        .await
        .unwrap_or_else(|e| panic!("terminate: {e}"));
}

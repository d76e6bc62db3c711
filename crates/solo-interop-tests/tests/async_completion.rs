//! Async completion across SDKs: an activity that completes asynchronously (solo's
//! `ActivityError::complete_async()`, Python's `activity.raise_complete_async()`) is completed
//! by another program — `temporal activity complete` / `fail`, a Python
//! `AsyncActivityHandle`, or a solo `AsyncActivityHandle` — by id or by task token.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};
use solo_client::{
    ActivityHandle, ActivityOptions, AsyncActivityId, Client, OutcomeError, RetryPolicy,
};
use solo_interop_tests::solo_activities::async_task_token;
use solo_interop_tests::{
    PyClient, PyWorker, SoloWorker, eventually, py_result, solo_client, temporal, unique,
};

const PATIENCE: Duration = Duration::from_secs(60);

/// Starts `complete_async` on `task_queue`: one attempt, a minute to be completed.
async fn start_async(client: &Client, id: &str, task_queue: &str) -> ActivityHandle<Value> {
    let options = ActivityOptions::new()
        .id(id)
        .task_queue(task_queue)
        .start_to_close_timeout(Duration::from_secs(60))
        .retry_policy(RetryPolicy::new().maximum_attempts(1));
    client
        .start_activity_by_name("complete_async", (), options)
        .await
        .unwrap_or_else(|e| panic!("start {id}: {e}"))
}

/// The task token of the solo attempt of `id`, once the solo worker has run it.
async fn solo_token(id: &str) -> Bytes {
    eventually("the solo attempt ran", PATIENCE, || async {
        async_task_token(id).ok_or_else(|| format!("no attempt of {id} yet"))
    })
    .await
}

/// The task token the Python attempt of `id` logged, once the Python worker has run it.
async fn python_token(worker: &PyWorker, id: &str) -> Bytes {
    let prefix = format!("ASYNC_TASK_TOKEN {id} ");
    let token = eventually("the Python attempt ran", PATIENCE, || async {
        worker
            .log_text()
            .lines()
            .find_map(|line| line.strip_prefix(&prefix).map(str::to_owned))
            .ok_or_else(|| format!("no attempt of {id} in the Python worker's log yet"))
    })
    .await;
    let token = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .unwrap_or_else(|e| panic!("bad token in the Python worker's log: {e}"));
    Bytes::from(token)
}

async fn result_within(handle: &ActivityHandle<Value>) -> Result<Value, OutcomeError> {
    tokio::time::timeout(PATIENCE, handle.result())
        .await
        .unwrap_or_else(|_| panic!("no result for {} within {PATIENCE:?}", handle.id()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_completes_and_fails_solo_async_activities() {
    let client = solo_client().await;
    let tq = SoloWorker::shared().task_queue();

    let completed = start_async(&client, &unique("cli-complete"), tq).await;
    solo_token(completed.id()).await;
    let run_id = completed.run_id().unwrap().to_owned();
    let out = temporal(&[
        "activity",
        "complete",
        "--activity-id",
        completed.id(),
        "--run-id",
        &run_id,
        "--result",
        r#"{"approved": true, "by": "cli"}"#,
    ])
    .await;
    assert!(out.success, "{out:?}");
    assert_eq!(
        result_within(&completed).await.unwrap(),
        json!({"approved": true, "by": "cli"})
    );

    let failed = start_async(&client, &unique("cli-fail"), tq).await;
    solo_token(failed.id()).await;
    let out = temporal(&[
        "activity",
        "fail",
        "--activity-id",
        failed.id(),
        "--reason",
        "declined by the cli",
        "--detail",
        r#"{"code": 7}"#,
    ])
    .await;
    assert!(out.success, "{out:?}");
    let err = result_within(&failed).await.unwrap_err();
    let OutcomeError::Failed { failure, .. } = &err else {
        panic!("expected a failure, got {err}");
    };
    assert_eq!(failure.message, "declined by the cli");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_async_handle_completes_solo_activities_by_id_and_by_token() {
    let client = solo_client().await;
    let tq = SoloWorker::shared().task_queue();
    let py = PyClient::new();

    let by_id = start_async(&client, &unique("py-by-id"), tq).await;
    solo_token(by_id.id()).await;
    let run_id = by_id.run_id().unwrap().to_owned();
    let id_args = ["async-handle", "--id", by_id.id(), "--run-id", &run_id];
    let answer = py
        .run(
            &[
                &id_args[..],
                &["--action", "heartbeat", "--value", r#""from python""#],
            ]
            .concat(),
        )
        .await;
    assert_eq!(answer["ok"], json!(true), "{answer}");
    assert_eq!(answer["stop_requested"], json!(false), "{answer}");
    let described = by_id.describe().await.unwrap();
    assert_eq!(
        described.heartbeat_details.get::<String>(0).unwrap(),
        "from python"
    );
    let answer = py
        .run(
            &[
                &id_args[..],
                &["--action", "complete", "--value", r#"{"by": "python id"}"#],
            ]
            .concat(),
        )
        .await;
    assert_eq!(answer["ok"], json!(true), "{answer}");
    assert_eq!(
        result_within(&by_id).await.unwrap(),
        json!({"by": "python id"})
    );

    let by_token = start_async(&client, &unique("py-by-token"), tq).await;
    let token = solo_token(by_token.id()).await;
    let token = base64::engine::general_purpose::STANDARD.encode(&token);
    by_token.cancel("stop it").await.unwrap();
    let answer = py
        .run(&[
            "async-handle",
            "--task-token",
            &token,
            "--action",
            "heartbeat",
        ])
        .await;
    assert_eq!(answer["ok"], json!(true), "{answer}");
    assert_eq!(answer["cancel_requested"], json!(true), "{answer}");
    let answer = py
        .run(&[
            "async-handle",
            "--task-token",
            &token,
            "--action",
            "report-cancellation",
            "--value",
            r#""stopped by python""#,
        ])
        .await;
    assert_eq!(answer["ok"], json!(true), "{answer}");
    let err = result_within(&by_token).await.unwrap_err();
    let OutcomeError::Cancelled { details, .. } = &err else {
        panic!("expected a cancellation, got {err}");
    };
    assert_eq!(details.get::<String>(0).unwrap(), "stopped by python");
}

#[tokio::test(flavor = "multi_thread")]
async fn solo_completes_python_async_activities_by_id_and_by_token() {
    let client = solo_client().await;
    let worker = PyWorker::shared();
    let tq = worker.task_queue();

    let by_id = start_async(&client, &unique("solo-by-id"), tq).await;
    python_token(worker, by_id.id()).await;
    let handle = client.get_async_activity_handle(AsyncActivityId::by_id(
        by_id.id(),
        by_id.run_id().map(str::to_owned),
    ));
    let reply = handle.heartbeat(&"from solo").await.unwrap();
    assert!(!reply.stop_requested(), "{reply:?}");
    handle.complete(&json!({"by": "solo id"})).await.unwrap();
    assert_eq!(
        result_within(&by_id).await.unwrap(),
        json!({"by": "solo id"})
    );
    // Python reads the same result.
    let answer = PyClient::new().result(by_id.id()).await;
    assert_eq!(py_result(&answer), &json!({"by": "solo id"}), "{answer}");

    let by_token = start_async(&client, &unique("solo-by-token"), tq).await;
    let token = python_token(worker, by_token.id()).await;
    let handle = client.get_async_activity_handle(AsyncActivityId::task_token(token));
    handle
        .fail(
            solo_client::ApplicationError::new("declined by solo")
                .error_type("Declined")
                .non_retryable(),
        )
        .await
        .unwrap();
    let err = result_within(&by_token).await.unwrap_err();
    let OutcomeError::Failed { failure, .. } = &err else {
        panic!("expected a failure, got {err}");
    };
    assert_eq!(failure.message, "declined by solo");
    assert_eq!(failure.error_type(), Some("Declined"));
}

//! `temporal activity ...` (the Temporal CLI) → solo worker.
//!
//! The CLI prints results after decoding JSON into Go values, so integers beyond 2^53 lose
//! precision in its *display*; exact values are checked by reading the outcome with solo.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use solo_interop_tests::shapes::{BEYOND_F64, UNICODE_TEXT, json_values, sample_order};
use solo_interop_tests::{CliOutput, SoloWorker, eventually, solo_client, temporal, unique};

fn tq() -> &'static str {
    SoloWorker::shared().task_queue()
}

/// `temporal activity execute` with one `--input` per JSON argument.
async fn execute(activity: &str, id: &str, inputs: &[String], extra: &[&str]) -> CliOutput {
    let mut args: Vec<String> = [
        "activity",
        "execute",
        "--type",
        activity,
        "--activity-id",
        id,
        "--task-queue",
        tq(),
        "--start-to-close-timeout",
        "10s",
        "-o",
        "json",
    ]
    .map(str::to_owned)
    .to_vec();
    for input in inputs {
        args.push("--input".into());
        args.push(input.clone());
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    temporal(&args).await
}

/// The exact result, read with solo.
async fn exact_result<T: serde::de::DeserializeOwned>(id: &str) -> T {
    solo_client()
        .await
        .get_activity_handle::<T>(id, None)
        .result()
        .await
        .unwrap_or_else(|e| panic!("result of {id}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_execute_runs_every_data_shape_on_solo() {
    let mut cases: Vec<(String, String, String, Value)> = json_values()
        .into_iter()
        .map(|(label, value)| {
            (
                format!("echo {label}"),
                "echo".to_owned(),
                value.to_string(),
                value,
            )
        })
        .collect();
    let order = serde_json::to_value(sample_order()).unwrap_or_default();
    cases.push((
        "struct".into(),
        "echo_order".into(),
        order.to_string(),
        order,
    ));
    cases.push((
        "typed i64".into(),
        "echo_int".into(),
        BEYOND_F64.to_string(),
        json!(BEYOND_F64),
    ));
    cases.push((
        "typed f64".into(),
        "echo_f64".into(),
        "2.5".into(),
        json!(2.5),
    ));
    cases.push((
        "typed string".into(),
        "echo_string".into(),
        json!(UNICODE_TEXT).to_string(),
        json!(UNICODE_TEXT),
    ));
    cases.push((
        "null as Option".into(),
        "echo_option".into(),
        "null".into(),
        json!(null),
    ));
    cases.push((
        "null as unit".into(),
        "echo_unit".into(),
        "null".into(),
        json!(null),
    ));

    let runs = cases.iter().map(|(label, activity, input, _)| async move {
        let id = unique("cli2solo-data");
        let out = execute(activity, &id, std::slice::from_ref(input), &[]).await;
        assert!(out.success, "{label}: {out:?}");
        let shown = out.json();
        assert_eq!(shown["status"], "COMPLETED", "{label}: {shown}");
        (id, shown)
    });
    let outputs = futures::future::join_all(runs).await;
    for ((label, _, _, expected), (id, shown)) in cases.iter().zip(outputs) {
        let exact: Value = exact_result(&id).await;
        assert_eq!(&exact, expected, "{label}");
        // The CLI shows numbers as doubles: big integers and whole floats display differently.
        let shown_exactly = ["int", "i64", "whole", "struct"]
            .iter()
            .all(|word| !label.contains(word));
        if shown_exactly {
            assert_eq!(&shown["result"], expected, "{label}: the CLI shows {shown}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_execute_without_input_and_with_raw_bytes() {
    let id = unique("cli2solo-noargs");
    let out = execute("no_args", &id, &[], &[]).await;
    assert!(out.success, "{out:?}");
    assert_eq!(out.json()["result"], "called with no arguments");

    let id = unique("cli2solo-nothing");
    let out = execute("nothing", &id, &[], &[]).await;
    assert!(out.success, "{out:?}");
    assert_eq!(out.json()["result"], Value::Null);

    // The CLI sends `binary/plain` when told; solo decodes it as bytes and answers in kind.
    let id = unique("cli2solo-bytes");
    let out = execute(
        "echo_bytes",
        &id,
        &["AAEC/w==".to_owned()],
        &["--input-base64", "--input-meta", "encoding=binary/plain"],
    )
    .await;
    assert!(out.success, "{out:?}");
    assert_eq!(out.json()["result"], "AAEC/w==");
    let exact: Bytes = exact_result(&id).await;
    assert_eq!(&exact[..], b"\x00\x01\x02\xff");
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_sees_solo_application_errors_panics_and_timeouts() {
    let spec = json!({
        "message": "card declined — ñ",
        "type": "PaymentDeclined",
        "non_retryable": true,
        "details": [{"code": 51}, "second"],
    });
    let id = unique("cli2solo-fail");
    let out = execute("fail_application", &id, &[spec.to_string()], &[]).await;
    assert!(
        !out.success,
        "a failed activity makes the CLI fail: {out:?}"
    );
    let failure = &out.json()["failure"];
    assert_eq!(failure["message"], "card declined — ñ", "{failure}");
    assert_eq!(
        failure["applicationFailureInfo"]["type"], "PaymentDeclined",
        "{failure}"
    );
    assert_eq!(failure["applicationFailureInfo"]["nonRetryable"], true);
    assert_eq!(
        failure["applicationFailureInfo"]["details"],
        json!([{"code": 51}, "second"])
    );

    let id = unique("cli2solo-panic");
    let out = execute(
        "fail_exception",
        &id,
        &[json!("kaboom").to_string()],
        &["--retry-maximum-attempts", "1"],
    )
    .await;
    assert!(!out.success);
    let failure = &out.json()["failure"];
    assert!(
        failure["message"]
            .as_str()
            .is_some_and(|m| m.contains("kaboom")),
        "{failure}"
    );
    assert!(failure["applicationFailureInfo"].is_object(), "{failure}");

    let id = unique("cli2solo-timeout");
    let out = execute(
        "sleep",
        &id,
        &["30".to_owned()],
        &[
            "--start-to-close-timeout",
            "1s",
            "--retry-maximum-attempts",
            "1",
        ],
    )
    .await;
    assert!(!out.success);
    let failure = &out.json()["failure"];
    assert_eq!(
        failure["timeoutFailureInfo"]["timeoutType"], "TIMEOUT_TYPE_START_TO_CLOSE",
        "{failure}"
    );
}

async fn describe(id: &str) -> Value {
    let out = temporal(&["activity", "describe", "--activity-id", id, "-o", "json"]).await;
    assert!(out.success, "{out:?}");
    out.json()
}

/// `temporal activity start` of a heartbeating solo activity; waits until the CLI's describe
/// shows the details solo heartbeated.
async fn start_heartbeating(id: &str, details: &Value) {
    let out = temporal(&[
        "activity",
        "start",
        "--type",
        "heartbeat_until_cancelled",
        "--activity-id",
        id,
        "--task-queue",
        tq(),
        "--start-to-close-timeout",
        "60s",
        "--heartbeat-timeout",
        "2s",
        "--input",
        &details.to_string(),
        "-o",
        "json",
    ])
    .await;
    assert!(out.success, "{out:?}");
    assert_eq!(out.json()["activityId"], id);
    eventually(
        "the CLI shows solo's heartbeat details",
        Duration::from_secs(20),
        || async {
            let d = describe(id).await;
            if d["info"]["heartbeatDetails"] == json!([details]) {
                Ok(())
            } else {
                Err(d.to_string())
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_start_describe_cancel_on_solo() {
    let id = unique("cli2solo-cancel");
    let details = json!({"progress": "½ done — ü", "step": 7});
    start_heartbeating(&id, &details).await;
    let running = describe(&id).await;
    assert_eq!(
        running["info"]["status"], "ACTIVITY_EXECUTION_STATUS_RUNNING",
        "{running}"
    );
    assert_eq!(
        running["info"]["runState"],
        "PENDING_ACTIVITY_STATE_STARTED"
    );
    assert_eq!(running["input"], json!([details]));

    let out = temporal(&[
        "activity",
        "cancel",
        "--activity-id",
        &id,
        "--reason",
        "stop now",
    ])
    .await;
    assert!(out.success, "{out:?}");
    let out = temporal(&["activity", "result", "--activity-id", &id, "-o", "json"]).await;
    assert!(!out.success);
    assert!(
        out.json()["failure"]["canceledFailureInfo"].is_object(),
        "{out:?}"
    );
    let after = describe(&id).await;
    assert_eq!(
        after["info"]["status"], "ACTIVITY_EXECUTION_STATUS_CANCELED",
        "{after}"
    );
    assert_eq!(after["info"]["canceledReason"], "stop now");
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_terminate_on_solo() {
    let id = unique("cli2solo-term");
    start_heartbeating(&id, &json!("beat")).await;
    let out = temporal(&[
        "activity",
        "terminate",
        "--activity-id",
        &id,
        "--reason",
        "operator said so",
    ])
    .await;
    assert!(out.success, "{out:?}");
    let out = temporal(&["activity", "result", "--activity-id", &id, "-o", "json"]).await;
    let failure = &out.json()["failure"];
    assert_eq!(failure["message"], "operator said so", "{failure}");
    assert!(failure["terminatedFailureInfo"].is_object(), "{failure}");
    assert_eq!(
        describe(&id).await["info"]["status"],
        "ACTIVITY_EXECUTION_STATUS_TERMINATED"
    );
    // solo agrees.
    match solo_client()
        .await
        .get_activity_handle::<String>(&id, None)
        .result()
        .await
    {
        Err(solo_client::OutcomeError::Terminated { reason, .. }) => {
            assert_eq!(reason, "operator said so")
        }
        other => panic!("expected Terminated, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_list_and_count_find_solo_activities() {
    let id = unique("cli2solo-visible");
    let out = execute("echo", &id, &["1".to_owned()], &[]).await;
    assert!(out.success, "{out:?}");
    let query = format!("ActivityId = '{id}'");
    eventually(
        "the CLI lists and counts it",
        Duration::from_secs(10),
        || async {
            let list = temporal(&["activity", "list", "--query", &query, "-o", "json"]).await;
            let count = temporal(&["activity", "count", "--query", &query, "-o", "json"]).await;
            let (list, count) = (list.json(), count.json());
            let listed = list
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|e| {
                            (
                                e["activityId"].clone(),
                                e["status"].clone(),
                                e["taskQueue"].clone(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let want = vec![(
                json!(id),
                json!("ACTIVITY_EXECUTION_STATUS_COMPLETED"),
                json!(tq()),
            )];
            if listed == want && count["count"] == "1" {
                Ok(())
            } else {
                Err(format!("list {list}, count {count}"))
            }
        },
    )
    .await;
}

/// `temporal activity <command> --activity-id <id> <extra...>`, which must succeed.
async fn operator(command: &str, id: &str, extra: &[&str]) {
    let mut args = vec!["activity", command, "--activity-id", id];
    args.extend_from_slice(extra);
    let out = temporal(&args).await;
    assert!(out.success, "temporal activity {command}: {out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_operator_commands_on_a_solo_activity_and_solo_pause_seen_by_the_cli() {
    use solo_client::{ActivityRunState, ActivityStatus};
    let client = solo_client().await;
    // No worker polls this queue: the activity waits, so only the commands change it.
    let handle = client
        .start_activity_by_name::<()>(
            "waits",
            (),
            solo_client::ActivityOptions::new()
                .id(unique("cli-ops"))
                .task_queue(unique("cli-ops-idle"))
                .start_to_close_timeout(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    let id = handle.id().to_owned();

    operator("pause", &id, &["--reason", "cli maintenance"]).await;
    let d = handle.describe().await.unwrap();
    assert_eq!(d.status, ActivityStatus::Paused);
    assert_eq!(d.run_state, Some(ActivityRunState::Paused));

    operator("update-options", &id, &["--heartbeat-timeout", "9s"]).await;
    let d = handle.describe().await.unwrap();
    assert_eq!(d.heartbeat_timeout, Some(Duration::from_secs(9)));
    operator("update-options", &id, &["--restore-original-options"]).await;
    let d = handle.describe().await.unwrap();
    assert!(d.heartbeat_timeout.unwrap_or_default().is_zero(), "{d:?}");

    operator("reset", &id, &["--keep-paused"]).await;
    assert_eq!(
        handle.describe().await.unwrap().status,
        ActivityStatus::Paused
    );
    operator("unpause", &id, &[]).await;
    let d = handle.describe().await.unwrap();
    assert_eq!(d.status, ActivityStatus::Running);
    assert_eq!(d.run_state, Some(ActivityRunState::Scheduled));

    // solo's pause, and the options solo changes, as the CLI shows them.
    handle.pause("solo maintenance").await.unwrap();
    handle
        .update_options(
            solo_client::ActivityOptionsUpdate::new()
                .start_to_close_timeout(Duration::from_secs(45)),
        )
        .await
        .unwrap();
    let shown = describe(&id).await;
    assert_eq!(
        shown["info"]["status"], "ACTIVITY_EXECUTION_STATUS_PAUSED",
        "{shown}"
    );
    assert_eq!(
        shown["info"]["runState"], "PENDING_ACTIVITY_STATE_PAUSED",
        "{shown}"
    );
    assert_eq!(shown["info"]["startToCloseTimeout"], "45s", "{shown}");
    handle.terminate("test done").await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_pause_stops_a_running_solo_activity_as_the_server_expects() {
    let id = unique("cli2solo-pause");
    start_heartbeating(&id, &json!("beat")).await;
    operator("pause", &id, &["--reason", "cli maintenance"]).await;
    // The solo worker stops the attempt and reports an ActivityPause failure; the server
    // holds the activity.
    let paused = eventually(
        "the CLI shows the activity paused after solo's report",
        Duration::from_secs(20),
        || async {
            let d = describe(&id).await;
            let failure_type = &d["info"]["lastFailure"]["applicationFailureInfo"]["type"];
            if d["info"]["status"] == "ACTIVITY_EXECUTION_STATUS_PAUSED"
                && failure_type == "ActivityPause"
            {
                Ok(d)
            } else {
                Err(d.to_string())
            }
        },
    )
    .await;
    assert_eq!(
        paused["info"]["runState"], "PENDING_ACTIVITY_STATE_PAUSED",
        "{paused}"
    );
    operator("terminate", &id, &["--reason", "test done"]).await;
}

//! Python client → solo worker.
//!
//! Every start goes to the solo worker and, where the behaviour is shared, the identical
//! start also goes to the Python worker (same activity names and semantics): the Python
//! client must observe the same data, failures and states from both.

use std::time::Duration;

use serde_json::{Value, json};
use solo_interop_tests::shapes::{BEYOND_F64, UNICODE_TEXT, json_values, sample_order};
use solo_interop_tests::{
    PyClient, PyWorker, SoloWorker, Start, bytes_marker, comparable_failure, dataclass_marker,
    eventually, py_error, py_result, unique,
};

fn solo_tq() -> &'static str {
    SoloWorker::shared().task_queue()
}

fn py_tq() -> &'static str {
    PyWorker::shared().task_queue()
}

/// Runs `start` against the solo worker and the Python worker at once (`execute`).
async fn on_both(py: &PyClient, start: &Start) -> (Value, Value) {
    let solo = start.on(solo_tq());
    let python = start.on(py_tq());
    let mut answers = py
        .batch(&[solo.command("execute"), python.command("execute")])
        .await
        .into_iter();
    let solo_answer = answers.next().unwrap_or_default();
    let python_answer = answers.next().unwrap_or_default();
    (solo_answer, python_answer)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_data_shape_reaches_solo_typed_and_comes_back() {
    let tq = solo_tq();
    let order = serde_json::to_value(sample_order()).unwrap_or_default();
    let all_bytes: Vec<u8> = (0..=255).collect();
    // (label, start, expected result, expected Python type of the result)
    let mut cases: Vec<(String, Start, Value, &str)> = Vec::new();
    for (label, value) in json_values() {
        cases.push((
            format!("echo {label}"),
            Start::new("echo", &unique("py2solo-echo"), tq).arg(value.clone()),
            value,
            "",
        ));
    }
    let typed: Vec<(&str, Value, Value, &str)> = vec![
        ("echo_int", json!(BEYOND_F64), json!(BEYOND_F64), "int"),
        ("echo_int", json!(-BEYOND_F64), json!(-BEYOND_F64), "int"),
        ("echo_f64", json!(0.1), json!(0.1), "float"),
        ("echo_f64", json!(3), json!(3.0), "float"),
        ("echo_bool", json!(false), json!(false), "bool"),
        (
            "echo_string",
            json!(UNICODE_TEXT),
            json!(UNICODE_TEXT),
            "str",
        ),
        (
            "echo_list",
            json!([1, "a", null]),
            json!([1, "a", null]),
            "list",
        ),
        (
            "echo_map",
            json!({"z": 1, "ä": [2]}),
            json!({"z": 1, "ä": [2]}),
            "dict",
        ),
        ("echo_option", json!(null), json!(null), "NoneType"),
        ("echo_option", json!("x"), json!("x"), "str"),
        ("echo_unit", json!(null), json!(null), "NoneType"),
    ];
    for (activity, arg, expected, python_type) in typed {
        cases.push((
            format!("{activity}({arg})"),
            Start::new(activity, &unique("py2solo-typed"), tq).arg(arg),
            expected,
            python_type,
        ));
    }
    cases.push((
        "bytes".into(),
        Start::new("echo_bytes", &unique("py2solo-bytes"), tq).arg(bytes_marker(&all_bytes)),
        bytes_marker(&all_bytes),
        "bytes",
    ));
    cases.push((
        "struct ↔ dataclass".into(),
        Start::new("echo_order", &unique("py2solo-order"), tq)
            .arg(dataclass_marker("Order", order.clone()))
            .result_type("Order"),
        order,
        "Order",
    ));
    cases.push((
        "no argument".into(),
        Start::new("no_args", &unique("py2solo-noargs"), tq),
        json!("called with no arguments"),
        "str",
    ));
    cases.push((
        "no argument, no result".into(),
        Start::new("nothing", &unique("py2solo-nothing"), tq),
        json!(null),
        "NoneType",
    ));

    let py = PyClient::new();
    let commands: Vec<Vec<String>> = cases.iter().map(|c| c.1.command("execute")).collect();
    let answers = py.batch(&commands).await;
    for ((label, _, expected, python_type), answer) in cases.iter().zip(&answers) {
        assert_eq!(answer["ok"], json!(true), "{label}: {answer}");
        assert_eq!(&answer["result"], expected, "{label}");
        if !python_type.is_empty() {
            assert_eq!(answer["result_python_type"], *python_type, "{label}");
        }
    }

    // The same starts against the Python worker give the same answers.
    let shared: Vec<&(String, Start, Value, &str)> =
        cases.iter().filter(|c| !c.0.starts_with("echo_")).collect();
    let commands: Vec<Vec<String>> = shared
        .iter()
        .map(|c| c.1.on(py_tq()).command("execute"))
        .collect();
    let control = py.batch(&commands).await;
    for (case, python_answer) in shared.iter().zip(&control) {
        let solo_answer = &answers[cases.iter().position(|c| c.0 == case.0).unwrap_or(0)];
        assert_eq!(
            (&solo_answer["result"], &solo_answer["result_python_type"]),
            (
                &python_answer["result"],
                &python_answer["result_python_type"]
            ),
            "{}: solo and Python workers disagree",
            case.0
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_retryable_application_error_is_not_retried() {
    let py = PyClient::new();
    let spec = json!({
        "message": "card declined — ñ",
        "type": "PaymentDeclined",
        "non_retryable": true,
        "details": [{"code": 51, "big": BEYOND_F64}, "second", [1, 2.5], null],
    });
    let start = Start::new("fail_application", &unique("py2solo-nonretryable"), "")
        .arg(spec)
        .retry_interval(0.1);
    let (solo, python) = on_both(&py, &start).await;
    let cause = &py_error(&solo)["cause"];
    assert_eq!(cause["class"], "ApplicationError", "{solo}");
    assert_eq!(cause["message"], "card declined — ñ");
    assert_eq!(cause["type"], "PaymentDeclined");
    assert_eq!(cause["non_retryable"], true);
    assert_eq!(
        cause["details"],
        json!([{"code": 51, "big": BEYOND_F64}, "second", [1, 2.5], null])
    );
    assert_eq!(
        comparable_failure(py_error(&solo)),
        comparable_failure(py_error(&python))
    );
    // The retry policy allows unlimited attempts: the server stopped because of the flag.
    for answer in [&solo, &python] {
        let id = answer["activity_id"].as_str().unwrap_or_default();
        let described = py.describe(id).await;
        assert_eq!(described["status"], "FAILED", "{described}");
        assert_eq!(described["attempt"], 1, "{described}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retryable_application_error_is_retried_until_attempts_run_out() {
    let py = PyClient::new();
    let spec = json!({"message": "try again", "type": "Transient", "next_retry_delay": 0.2});
    let start = Start::new("fail_application", &unique("py2solo-retryable"), "")
        .arg(spec)
        .max_attempts(3)
        .retry_interval(0.1);
    let (solo, python) = on_both(&py, &start).await;
    let cause = &py_error(&solo)["cause"];
    assert_eq!(cause["type"], "Transient", "{solo}");
    assert_eq!(cause["non_retryable"], false);
    assert_eq!(cause["next_retry_delay"], 0.2);
    assert_eq!(
        comparable_failure(py_error(&solo)),
        comparable_failure(py_error(&python))
    );
    for answer in [&solo, &python] {
        let id = answer["activity_id"].as_str().unwrap_or_default();
        let described = py.describe(id).await;
        assert_eq!(described["attempt"], 3, "{described}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_retry_policy_can_make_an_error_type_non_retryable() {
    let py = PyClient::new();
    let start = Start::new("fail_application", &unique("py2solo-nrtypes"), "")
        .arg(json!({"message": "fatal", "type": "Fatal"}))
        .max_attempts(5)
        .retry_interval(0.1)
        .non_retryable_types(&["Fatal"]);
    let (solo, python) = on_both(&py, &start).await;
    assert_eq!(py_error(&solo)["cause"]["non_retryable"], false, "{solo}");
    for answer in [&solo, &python] {
        let id = answer["activity_id"].as_str().unwrap_or_default();
        assert_eq!(py.describe(id).await["attempt"], 1, "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_is_a_retryable_application_failure_like_a_python_exception() {
    let py = PyClient::new();
    let start = Start::new("fail_exception", &unique("py2solo-panic"), "")
        .arg(json!("kaboom ü"))
        .max_attempts(2)
        .retry_interval(0.1);
    let (solo, python) = on_both(&py, &start).await;
    let solo_cause = &py_error(&solo)["cause"];
    let python_cause = &py_error(&python)["cause"];
    assert_eq!(python_cause["type"], "RuntimeError");
    assert_eq!(python_cause["message"], "kaboom ü");
    assert_eq!(solo_cause["class"], "ApplicationError", "{solo}");
    assert!(
        solo_cause["message"]
            .as_str()
            .is_some_and(|m| m.contains("kaboom ü")),
        "{solo}"
    );
    assert_eq!(solo_cause["type"], solo_worker::PANIC_ERROR_TYPE, "{solo}");
    assert_eq!(solo_cause["non_retryable"], false);
    for answer in [&solo, &python] {
        let id = answer["activity_id"].as_str().unwrap_or_default();
        assert_eq!(py.describe(id).await["attempt"], 2, "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_returned_by_rust_code_is_an_application_failure() {
    let py = PyClient::new();
    let start = Start::new("fail_error", &unique("py2solo-error"), solo_tq())
        .arg(json!("disk on fire"))
        .max_attempts(1);
    let answer = py.execute(&start).await;
    let cause = &py_error(&answer)["cause"];
    assert_eq!(cause["class"], "ApplicationError", "{answer}");
    assert_eq!(cause["message"], "disk on fire");
    assert_eq!(cause["non_retryable"], false);
    assert!(
        cause["type"].as_str().is_some_and(|t| t.contains("Error")),
        "{answer}"
    );
}

/// An argument that does not decode into the activity's parameter type fails the attempt on
/// both workers, and the server's retry decision is the same: the Python SDK reports a
/// retryable `ApplicationError("Failed decoding arguments")` (as Go and Java do: a worker
/// deployed with the right type can still succeed on retry), so solo must not mark it
/// non-retryable.
#[tokio::test(flavor = "multi_thread")]
async fn a_mistyped_argument_fails_the_attempt_and_is_retried_like_python() {
    let py = PyClient::new();
    let start = Start::new("echo_int", &unique("py2solo-badarg"), "")
        .arg(json!("not a number"))
        .max_attempts(2)
        .retry_interval(0.1);
    let (solo, python) = on_both(&py, &start).await;
    let solo_cause = &py_error(&solo)["cause"];
    let python_cause = &py_error(&python)["cause"];
    assert_eq!(python_cause["message"], "Failed decoding arguments");
    assert_eq!(solo_cause["class"], "ApplicationError", "{solo}");
    assert_eq!(solo_cause["type"], "InputDecodeError", "{solo}");
    assert_eq!(
        solo_cause["non_retryable"], python_cause["non_retryable"],
        "solo: {solo}\npython: {python}"
    );
    for answer in [&solo, &python] {
        let id = answer["activity_id"].as_str().unwrap_or_default();
        assert_eq!(py.describe(id).await["attempt"], 2, "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_to_close_timeout_is_a_timeout_failure() {
    let py = PyClient::new();
    let start = Start::new("sleep", &unique("py2solo-timeout"), "")
        .arg(json!(30))
        .start_to_close(1.0)
        .max_attempts(1);
    let (solo, python) = on_both(&py, &start).await;
    let cause = &py_error(&solo)["cause"];
    assert_eq!(cause["class"], "TimeoutError", "{solo}");
    assert_eq!(cause["timeout_type"], "START_TO_CLOSE");
    assert_eq!(
        comparable_failure(py_error(&solo)),
        comparable_failure(py_error(&python))
    );
}

/// Starts `activity` heartbeating `details`, waits until describe shows them, cancels it and
/// returns (describe while running, result, describe after).
async fn heartbeat_then_cancel(
    py: &PyClient,
    activity: &str,
    task_queue: &str,
    details: &Value,
) -> (Value, Value, Value) {
    let start = Start::new(activity, &unique("py2solo-cancel"), task_queue)
        .arg(details.clone())
        .start_to_close(60.0)
        .heartbeat_timeout(2.0);
    let started = py.start(&start).await;
    assert_eq!(started["ok"], true, "{started}");
    let id = start.id();
    let running = eventually(
        "the heartbeat details are visible",
        Duration::from_secs(20),
        || async {
            let d = py.describe(id).await;
            if d["heartbeat_details"] == json!([details]) {
                Ok(d)
            } else {
                Err(d.to_string())
            }
        },
    )
    .await;
    assert_eq!(py.cancel(id, "no longer needed").await["ok"], true);
    let result = py.result(id).await;
    let after = py.describe(id).await;
    (running, result, after)
}

#[tokio::test(flavor = "multi_thread")]
async fn cancellation_reaches_solo_through_heartbeats() {
    let py = PyClient::new();
    let details = json!({"progress": UNICODE_TEXT, "n": [1, BEYOND_F64], "done": false});
    for activity in [
        "heartbeat_until_cancelled",
        "heartbeat_until_cancelled_sync",
    ] {
        let (running, result, after) =
            heartbeat_then_cancel(&py, activity, solo_tq(), &details).await;
        assert_eq!(running["status"], "RUNNING", "{activity}: {running}");
        assert_eq!(running["run_state"], "STARTED", "{activity}: {running}");
        assert_eq!(running["input"], json!([details]), "{activity}: {running}");
        assert!(
            running["last_worker_identity"]
                .as_str()
                .is_some_and(|w| !w.is_empty()),
            "{running}"
        );
        let error = py_error(&result);
        assert_eq!(
            error["cause"]["class"], "CancelledError",
            "{activity}: {result}"
        );
        assert_eq!(after["status"], "CANCELED", "{activity}: {after}");
        assert_eq!(after["canceled_reason"], "no longer needed");

        let (_, python_result, python_after) =
            heartbeat_then_cancel(&py, activity, py_tq(), &details).await;
        assert_eq!(
            comparable_failure(error),
            comparable_failure(py_error(&python_result)),
            "{activity}"
        );
        assert_eq!(
            after["outcome_failure"].as_object().map(|o| (
                o.get("class"),
                o.get("message"),
                o.get("details")
            )),
            python_after["outcome_failure"].as_object().map(|o| (
                o.get("class"),
                o.get("message"),
                o.get("details")
            )),
            "{activity}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminated_solo_activity_is_terminated_for_python() {
    let py = PyClient::new();
    let start = Start::new(
        "heartbeat_until_cancelled",
        &unique("py2solo-term"),
        solo_tq(),
    )
    .arg(json!("beat"))
    .start_to_close(60.0)
    .heartbeat_timeout(2.0);
    assert_eq!(py.start(&start).await["ok"], true);
    let id = start.id();
    eventually("the attempt started", Duration::from_secs(20), || async {
        let d = py.describe(id).await;
        if d["run_state"] == "STARTED" {
            Ok(())
        } else {
            Err(d.to_string())
        }
    })
    .await;
    assert_eq!(py.terminate(id, "operator said so").await["ok"], true);
    let result = py.result(id).await;
    let cause = &py_error(&result)["cause"];
    assert_eq!(cause["class"], "TerminatedError", "{result}");
    assert_eq!(cause["message"], "operator said so");
    assert_eq!(py.describe(id).await["status"], "TERMINATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_resumes_from_the_heartbeat_details_of_the_previous_attempt() {
    let py = PyClient::new();
    let start = Start::new("retry_then_succeed", &unique("py2solo-resume"), "")
        .arg(json!(3))
        .retry_interval(0.1);
    let (solo, python) = on_both(&py, &start).await;
    let expected = json!({
        "attempt": 3,
        "heartbeat_details": [{"attempt": 2, "progress": "step-2"}],
    });
    assert_eq!(py_result(&solo), &expected, "{solo}");
    assert_eq!(py_result(&python), &expected, "{python}");
}

#[tokio::test(flavor = "multi_thread")]
async fn solo_sees_the_activity_info_python_set() {
    let py = PyClient::new();
    let start = Start::new("activity_info", &unique("py2solo-info"), "")
        .start_to_close(7.0)
        .heartbeat_timeout(3.0);
    let (solo, python) = on_both(&py, &start).await;
    let (solo, python) = (py_result(&solo), py_result(&python));
    for field in [
        "activity_type",
        "attempt",
        "namespace",
        "heartbeat_timeout",
        "start_to_close_timeout",
    ] {
        assert_eq!(solo[field], python[field], "{field}: {solo} vs {python}");
    }
    assert!(
        solo["activity_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("py2solo-info")),
        "{solo}"
    );
    assert_eq!(solo["task_queue"], solo_tq());
}

//! Python workflow → solo worker: activities that a workflow schedules on a solo worker's task
//! queue run there, like standalone ones. The solo activity sees the workflow in its info; the
//! workflow gets results, failures, retries and cancellation as it would from a Python worker
//! (the same schedule also goes to the Python worker where the behaviour is shared).

use serde_json::{Value, json};
use solo_interop_tests::{
    PY_WORKFLOW_TYPE, PyWorker, PyWorkflow, SoloWorker, comparable_failure, py_error, py_result,
    unique,
};

fn solo_tq() -> &'static str {
    SoloWorker::shared().task_queue()
}

fn py_tq() -> &'static str {
    PyWorker::shared().task_queue()
}

/// Runs the workflow for `activity` twice at once: scheduling it on the solo worker and on
/// the Python worker; returns both answers.
async fn on_both(activity: &str, shape: impl Fn(PyWorkflow) -> PyWorkflow) -> (Value, Value) {
    let solo = shape(PyWorkflow::new(&unique("wf2solo"), activity, solo_tq()));
    let python = shape(PyWorkflow::new(&unique("wf2py"), activity, py_tq()));
    tokio::join!(solo.run(), python.run())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_solo_activity_sees_the_workflow_that_scheduled_it() {
    let workflow = PyWorkflow::new(&unique("wf2solo-info"), "activity_info", solo_tq())
        .start_to_close(7.0)
        .heartbeat_timeout(3.0)
        .max_attempts(4)
        .retry_interval(2.0)
        .priority_key(2)
        .fairness_key("tenant-a");
    let answer = workflow.run().await;
    let info = py_result(&answer);
    assert_eq!(answer["workflow_id"], workflow.workflow_id(), "{answer}");
    assert_eq!(answer["workflow_type"], PY_WORKFLOW_TYPE);
    let expected = json!({
        "in_workflow": true,
        "activity_run_id": null,
        "activity_type": "activity_info",
        "attempt": 1,
        "namespace": "default",
        "task_queue": solo_tq(),
        "workflow_id": workflow.workflow_id(),
        "workflow_run_id": answer["run_id"],
        "workflow_type": PY_WORKFLOW_TYPE,
        "workflow_namespace": "default",
        "heartbeat_timeout": 3.0,
        "start_to_close_timeout": 7.0,
        "retry_maximum_attempts": 4,
        "retry_initial_interval": 2.0,
        "priority_key": 2,
        "fairness_key": "tenant-a",
    });
    for (field, value) in expected.as_object().into_iter().flatten() {
        assert_eq!(&info[field], value, "{field}: {info}");
    }
    // The workflow's activity id (Python numbers them from 1).
    assert!(
        info["activity_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert!(
        answer["run_id"].as_str().is_some_and(|r| !r.is_empty()),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_workflow_gets_typed_results_from_solo_activities() {
    let order = serde_json::to_value(solo_interop_tests::shapes::sample_order()).unwrap();
    for (activity, arg) in [
        ("echo_order", order),
        ("echo", json!({"hello": "wörld", "n": [1, 2.5, null]})),
        ("echo_int", json!(-42)),
    ] {
        let answer = PyWorkflow::new(&unique("wf2solo-echo"), activity, solo_tq())
            .arg(arg.clone())
            .run()
            .await;
        assert_eq!(py_result(&answer), &arg, "{activity}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_sees_the_same_failure_from_solo_and_python_activities() {
    let spec = json!({
        "message": "card declined",
        "type": "PaymentDeclined",
        "non_retryable": true,
        "details": [{"code": 51}],
    });
    let (solo, python) = on_both("fail_application", |w| w.arg(spec.clone())).await;
    let solo_error = py_error(&solo);
    assert_eq!(solo_error["class"], "WorkflowFailureError", "{solo}");
    assert_eq!(solo_error["cause"]["class"], "ActivityError", "{solo}");
    let application = &solo_error["cause"]["cause"];
    assert_eq!(application["class"], "ApplicationError", "{solo}");
    assert_eq!(application["type"], "PaymentDeclined");
    assert_eq!(application["non_retryable"], true);
    assert_eq!(application["details"], json!([{"code": 51}]));
    assert_eq!(
        comparable_failure(application),
        comparable_failure(&py_error(&python)["cause"]["cause"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_of_a_workflow_activity_resume_from_the_last_heartbeat() {
    let (solo, python) = on_both("retry_then_succeed", |w| {
        w.arg(json!(3)).retry_interval(0.1).max_attempts(5)
    })
    .await;
    let expected =
        json!({"attempt": 3, "heartbeat_details": [{"attempt": 2, "progress": "step-2"}]});
    assert_eq!(py_result(&solo), &expected, "{solo}");
    assert_eq!(py_result(&python), &expected, "{python}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_cancels_a_solo_activity_through_its_heartbeats() {
    for activity in [
        "heartbeat_until_cancelled",
        "heartbeat_until_cancelled_sync",
    ] {
        let (solo, python) = on_both(activity, |w| {
            w.arg(json!("beat"))
                .heartbeat_timeout(2.0)
                .start_to_close(60.0)
                .cancel_after(1.0)
        })
        .await;
        let cause = &py_error(&solo)["cause"];
        assert_eq!(cause["class"], "ActivityError", "{activity}: {solo}");
        assert_eq!(
            cause["cause"]["class"], "CancelledError",
            "{activity}: {solo}"
        );
        assert_eq!(
            comparable_failure(&cause["cause"]),
            comparable_failure(&py_error(&python)["cause"]["cause"]),
            "{activity}"
        );
    }
}

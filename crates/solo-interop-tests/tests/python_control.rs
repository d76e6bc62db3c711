//! The control cell: Python client → Python worker. Checks the harness and the Python
//! programs themselves, so a failure elsewhere in the suite points at solo, not at them.

use serde_json::json;
use solo_interop_tests::shapes::{BEYOND_F64, UNICODE_TEXT};
use solo_interop_tests::{PyClient, PyWorker, Start, bytes_marker, py_error, py_result, unique};

#[tokio::test(flavor = "multi_thread")]
async fn python_round_trips_through_its_own_worker() {
    let tq = PyWorker::shared().task_queue();
    let py = PyClient::new();
    let commands = vec![
        Start::new("echo", &unique("ctl-echo"), tq)
            .arg(json!({"s": UNICODE_TEXT, "big": BEYOND_F64}))
            .command("execute"),
        Start::new("echo_bytes", &unique("ctl-bytes"), tq)
            .arg(bytes_marker(&[0, 1, 255]))
            .command("execute"),
        Start::new("no_args", &unique("ctl-noargs"), tq).command("execute"),
        Start::new("fail_application", &unique("ctl-fail"), tq)
            .arg(json!({"message": "m", "type": "T", "non_retryable": true, "details": [1]}))
            .command("execute"),
    ];
    let answers = py.batch(&commands).await;
    assert_eq!(
        py_result(&answers[0]),
        &json!({"s": UNICODE_TEXT, "big": BEYOND_F64})
    );
    assert_eq!(py_result(&answers[1]), &bytes_marker(&[0, 1, 255]));
    assert_eq!(py_result(&answers[2]), &json!("called with no arguments"));
    let cause = &py_error(&answers[3])["cause"];
    assert_eq!(cause["class"], "ApplicationError");
    assert_eq!(cause["type"], "T");
    assert_eq!(cause["details"], json!([1]));
}

#[tokio::test(flavor = "multi_thread")]
async fn python_reports_rpc_errors_as_json() {
    let answer = PyClient::new().describe(&unique("missing")).await;
    let error = py_error(&answer);
    assert_eq!(error["class"], "RPCError");
    assert_eq!(error["status"], "NOT_FOUND");
}

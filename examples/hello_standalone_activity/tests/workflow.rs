//! The example's `worker` binary runs `compose_greeting` for a Python workflow too: activities
//! a workflow schedules on the worker's task queue run there, and the activity's log line
//! carries the workflow's fields.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use hello_standalone_activity::TASK_QUEUE;
use serde_json::json;
use solo_interop_tests::{PY_WORKFLOW_TYPE, PyWorkflow, py_result, server_address, unique};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn a_python_workflow_runs_compose_greeting_on_the_example_worker() {
    let mut worker = Command::new(env!("CARGO_BIN_EXE_worker"))
        .env("TEMPORAL_ADDRESS", server_address())
        .env("TEMPORAL_NAMESPACE", "default")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the example worker starts");
    let mut stdout = worker.stdout.take().unwrap();
    let mut banner = [0u8; 17];
    tokio::time::timeout(Duration::from_secs(60), stdout.read_exact(&mut banner))
        .await
        .expect("the worker printed its banner within 60 s")
        .expect("the worker printed its banner");
    assert_eq!(&banner, b"worker running...");
    let mut stderr = worker.stderr.take().unwrap();
    let log = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });

    let workflow = PyWorkflow::new(&unique("greeting-workflow"), "compose_greeting", TASK_QUEUE)
        .arg(json!({"greeting": "Hello", "name": "World"}));
    let answer = workflow.run().await;
    assert_eq!(py_result(&answer), "Hello, World!", "{answer}");

    worker.start_kill().unwrap();
    worker.wait().await.unwrap();
    let log = tokio::time::timeout(Duration::from_secs(10), log)
        .await
        .expect("the worker's log closes")
        .unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("Running activity with parameter"))
        .unwrap_or_else(|| panic!("no activity log line in:\n{log}"));
    let run_id = answer["run_id"].as_str().unwrap();
    for field in [
        format!("workflow_id={}", workflow.workflow_id()),
        format!("workflow_run_id={run_id}"),
        format!("workflow_type={PY_WORKFLOW_TYPE}"),
        "activity_type=compose_greeting".to_owned(),
    ] {
        assert!(line.contains(&field), "{field} missing from: {line}");
    }
    assert!(
        !line.contains(" run_id="),
        "a workflow task has no run_id: {line}"
    );
}

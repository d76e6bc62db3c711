//! Protobuf messages as activity inputs and results across SDKs: `json/protobuf` (what
//! Python sends by default) and `binary/protobuf`, both with the `messageType` metadata.

use std::time::Duration;

use serde_json::json;
use solo_client::{Activity, ActivityOptions, OutcomeError, Proto, ProtoJson};
use solo_interop_tests::protos::WorkflowExecution;
use solo_interop_tests::{
    PyClient, PyWorker, SoloWorker, Start, Within, py_result, solo_client, unique,
};
use solo_proto::temporal::api::common::v1 as common;

/// `proto_echo(execution: WorkflowExecution) -> WorkflowExecution` in `py_worker.py`, called
/// with proto3 JSON.
struct EchoJson;

impl Activity for EchoJson {
    type Input = ProtoJson<WorkflowExecution>;
    type Output = ProtoJson<WorkflowExecution>;
    fn name(&self) -> &str {
        "proto_echo"
    }
}

/// The same activity, called with binary protobuf (Python reads both, answers in JSON), with
/// solo-proto's own generated message.
struct EchoBinary;

impl Activity for EchoBinary {
    type Input = Proto<common::WorkflowExecution>;
    type Output = ProtoJson<WorkflowExecution>;
    fn name(&self) -> &str {
        "proto_echo"
    }
}

/// Sent binary, read binary-only: Python's JSON answer cannot be read as `Proto`.
struct EchoBinaryOnly;

impl Activity for EchoBinaryOnly {
    type Input = Proto<WorkflowExecution>;
    type Output = Proto<WorkflowExecution>;
    fn name(&self) -> &str {
        "proto_echo"
    }
}

fn options(prefix: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(unique(prefix))
        .task_queue(PyWorker::shared().task_queue())
        .start_to_close_timeout(Duration::from_secs(10))
}

fn execution(run_id: &str) -> WorkflowExecution {
    WorkflowExecution {
        workflow_id: "wf-ü".into(),
        run_id: run_id.into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_activity_takes_and_returns_a_protobuf_message() {
    let client = solo_client().await;
    let out = client
        .execute_activity(
            EchoJson,
            ProtoJson(execution("json")),
            options("solo2py-proto-json"),
        )
        .within("json")
        .await
        .unwrap_or_else(|e| panic!("proto_echo json: {e}"));
    assert_eq!(out.0, execution("json-echoed"));

    let out = client
        .execute_activity(
            EchoBinary,
            Proto(common::WorkflowExecution {
                workflow_id: "wf-ü".into(),
                run_id: "bin".into(),
            }),
            options("solo2py-proto-bin"),
        )
        .within("binary")
        .await
        .unwrap_or_else(|e| panic!("proto_echo binary: {e}"));
    assert_eq!(out.0, execution("bin-echoed"));

    let err = client
        .execute_activity(
            EchoBinaryOnly,
            Proto(execution("b")),
            options("solo2py-proto-only"),
        )
        .within("binary only")
        .await
        .expect_err("Python answers in proto3 JSON");
    assert!(matches!(err, OutcomeError::Data(_)), "{err}");
    assert!(err.to_string().contains("use ProtoJson"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_client_sends_a_protobuf_message_to_a_solo_activity() {
    let marker = |run_id: &str| {
        json!({
            "$proto": "temporal.api.common.v1.WorkflowExecution",
            "value": {"workflowId": "wf-ü", "runId": run_id},
        })
    };
    let py = PyClient::new();
    let solo = Start::new(
        "proto_echo",
        &unique("py2solo-proto"),
        SoloWorker::shared().task_queue(),
    )
    .arg(marker("py"));
    let python = solo.on(PyWorker::shared().task_queue());
    let answers = py
        .batch(&[solo.command("execute"), python.command("execute")])
        .await;
    // Python decodes the solo worker's `json/protobuf` result by its messageType, into the
    // message class, exactly as the Python worker's own result.
    for answer in &answers {
        assert_eq!(py_result(answer), &marker("py-echoed"), "{answer}");
        assert_eq!(
            answer["result_python_type"],
            json!("WorkflowExecution"),
            "{answer}"
        );
    }
}

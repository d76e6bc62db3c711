//! One trace across SDKs: a Python client with `TracingInterceptor` → solo worker, and a solo
//! client → Python worker with `TracingInterceptor`. The `_tracer-data` header carries the
//! trace in both directions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use opentelemetry::trace::TraceContextExt as _;
use serde_json::{Value, json};
use solo_client::{ActivityError, ActivityOptions, ClientOptions, ConnectionOptions};
use solo_interop_tests::python::{interop_dir, python};
use solo_otel::TracingInterceptor;
use solo_worker::{ActivityContext, Worker};
use support::{address, client_with, finished, spans, unique};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The solo twin of the Python program's activity: the trace it runs in.
#[solo_macros::activity(crate = "solo_worker")]
async fn otel_trace_ids(_from: String, ctx: ActivityContext) -> Result<Value, ActivityError> {
    let cx = ctx.span().context();
    let span = cx.span();
    let span_context = span.span_context();
    Ok(json!({
        "trace_id": span_context.trace_id().to_string(),
        "span_id": span_context.span_id().to_string(),
        "headers": ctx.info().header.keys().cloned().collect::<Vec<_>>(),
    }))
}

#[tokio::test(flavor = "multi_thread")]
async fn python_client_to_solo_worker_is_one_trace() {
    spans();
    let task_queue = unique("otel-py-to-solo");
    let client = client_with(ConnectionOptions::new(address()), ClientOptions::new()).await;
    let worker = Worker::builder(client, &task_queue)
        .activity(otel_trace_ids)
        .interceptor(TracingInterceptor::new())
        .build()
        .unwrap();
    let running = tokio::spawn(worker.clone().run());

    let id = unique("otel-py-client");
    let (address, tq) = (address(), task_queue.clone());
    let output = tokio::task::spawn_blocking(move || {
        solo_testing::output_within(
            Command::new(python())
                .current_dir(interop_dir())
                .args(["py_otel.py", "--address", &address, "client"])
                .args(["--type", "otel_trace_ids", "--id", &id, "--task-queue", &tq]),
            Duration::from_secs(120),
        )
        .expect("run py_otel.py within 120 s")
    })
    .await
    .unwrap();
    worker.shutdown().await;
    running.await.unwrap().unwrap();
    assert!(
        output.status.success(),
        "py_otel.py client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");

    let python_trace = answer["trace_id"].as_str().unwrap();
    assert_eq!(
        answer["result"]["trace_id"], python_trace,
        "the solo activity ran in the Python client's trace: {answer}"
    );
    let runs = finished("RunActivity:otel_trace_ids");
    let run = runs
        .iter()
        .find(|s| s.span_context.trace_id().to_string() == python_trace)
        .unwrap_or_else(|| panic!("a solo RunActivity span in trace {python_trace}: {runs:?}"));
    assert_eq!(
        Some(run.parent_span_id.to_string()),
        answer["start_span_id"].as_str().map(str::to_owned),
        "the solo span's parent is the Python StartActivity span"
    );
    assert_eq!(run.span_kind, opentelemetry::trace::SpanKind::Server);
    assert_eq!(
        run.span_context.span_id().to_string(),
        answer["result"]["span_id"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn solo_client_to_python_worker_is_one_trace() {
    spans();
    let task_queue = unique("otel-solo-to-py");
    let mut child = Command::new(python())
        .current_dir(interop_dir())
        .args(["py_otel.py", "--address", &address(), "worker"])
        .args(["--task-queue", &task_queue])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start py_otel.py worker");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let ready = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        lines.any(|l| l.is_ok_and(|l| l.trim() == "READY"))
    });
    let ready = tokio::time::timeout(Duration::from_secs(60), ready).await;
    assert!(
        matches!(ready, Ok(Ok(true))),
        "the Python worker did not report READY"
    );

    let client = client_with(
        ConnectionOptions::new(address()),
        ClientOptions::new().interceptor(TracingInterceptor::new()),
    )
    .await;
    let root = tracing::info_span!("rust-root");
    let root_trace = root.context().span().span_context().trace_id().to_string();
    let result: Result<Value, _> = client
        .execute_activity_by_name(
            "otel_trace_ids",
            ["rs"],
            ActivityOptions::new()
                .id(unique("otel-solo-client"))
                .task_queue(&task_queue)
                .start_to_close_timeout(Duration::from_secs(30)),
        )
        .instrument(root.clone())
        .await;
    drop(root);
    drop(stdin);
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    let result = result.expect("the Python activity completes");

    assert_eq!(
        result["trace_id"], root_trace,
        "the Python activity ran in the solo client's trace: {result}"
    );
    let starts = finished("StartActivity:otel_trace_ids");
    let start = starts
        .iter()
        .find(|s| s.span_context.trace_id().to_string() == root_trace)
        .unwrap_or_else(|| panic!("a solo StartActivity span in trace {root_trace}: {starts:?}"));
    assert_eq!(
        result["parent_span_id"],
        start.span_context.span_id().to_string(),
        "the Python span's parent is the solo StartActivity span"
    );
    assert_eq!(start.span_kind, opentelemetry::trace::SpanKind::Client);
}

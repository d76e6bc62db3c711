//! A solo worker with the same activities, under the same names, as `py_worker.py`, so that
//! one test can run against either worker and compare what each side observes.
//!
//! The crates are used directly (not through the `solo` facade), hence
//! `#[activity(crate = "solo_worker")]`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use solo_client::{ActivityError, ApplicationError, Cancelled, ProtoJson};
use solo_macros::activity;
use solo_worker::{ActivityContext, Worker};

use crate::protos::WorkflowExecution;
use crate::shapes::Order;
use crate::{solo_client, unique};

/// Returns its argument as decoded (any JSON).
#[activity(crate = "solo_worker")]
pub async fn echo(value: Value) -> Value {
    value
}

/// Returns the order; decoding it proves the field names and types match the dataclass.
#[activity(crate = "solo_worker")]
pub async fn echo_order(order: Order) -> Order {
    order
}

/// Returns the bytes (a `binary/plain` payload both ways).
#[activity(crate = "solo_worker")]
pub async fn echo_bytes(data: Bytes) -> Bytes {
    data
}

/// Typed echo: a signed 64-bit integer.
#[activity(crate = "solo_worker")]
pub async fn echo_int(value: i64) -> i64 {
    value
}

/// Typed echo: a double.
#[activity(crate = "solo_worker")]
pub async fn echo_f64(value: f64) -> f64 {
    value
}

/// Typed echo: a boolean.
#[activity(crate = "solo_worker")]
pub async fn echo_bool(value: bool) -> bool {
    value
}

/// Typed echo: a string.
#[activity(crate = "solo_worker")]
pub async fn echo_string(value: String) -> String {
    value
}

/// Typed echo: a list.
#[activity(crate = "solo_worker")]
pub async fn echo_list(value: Vec<Value>) -> Vec<Value> {
    value
}

/// Typed echo: a map.
#[activity(crate = "solo_worker")]
pub async fn echo_map(value: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    value
}

/// Typed echo: an optional string (`None` ↔ Python `None`).
#[activity(crate = "solo_worker")]
pub async fn echo_option(value: Option<String>) -> Option<String> {
    value
}

/// Takes a unit (`None` from Python) and returns one.
#[activity(crate = "solo_worker")]
pub async fn echo_unit(value: ()) {
    value
}

/// Two arguments, two payloads, as `greet_two` in `py_worker.py`.
#[activity(crate = "solo_worker")]
pub async fn greet_two(greeting: String, order: Order) -> String {
    format!(
        "{greeting}, {}: {} items",
        order.customer.name,
        order.items.len()
    )
}

/// A protobuf message in and out, as `proto_echo` in `py_worker.py`.
#[activity(crate = "solo_worker")]
pub async fn proto_echo(execution: ProtoJson<WorkflowExecution>) -> ProtoJson<WorkflowExecution> {
    let execution = execution.0;
    ProtoJson(WorkflowExecution {
        run_id: format!("{}-echoed", execution.run_id),
        ..execution
    })
}

/// No argument.
#[activity(crate = "solo_worker")]
pub async fn no_args() -> String {
    "called with no arguments".to_owned()
}

/// No argument, no result.
#[activity(crate = "solo_worker")]
pub async fn nothing() {}

/// What `fail_application` raises; the same dict the Python activity takes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FailSpec {
    /// The error message.
    pub message: String,
    /// The error type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// Whether the failure forbids retries.
    #[serde(default)]
    pub non_retryable: bool,
    /// Details, one payload each.
    #[serde(default)]
    pub details: Vec<Value>,
    /// The delay before the next attempt, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry_delay: Option<f64>,
}

/// Fails with an `ApplicationError` built from `spec`.
#[activity(crate = "solo_worker")]
pub async fn fail_application(spec: FailSpec) -> Result<(), ActivityError> {
    let mut error = ApplicationError::new(spec.message);
    if let Some(error_type) = spec.error_type {
        error = error.error_type(error_type);
    }
    if spec.non_retryable {
        error = error.non_retryable();
    }
    for detail in &spec.details {
        error = error.detail(detail);
    }
    if let Some(delay) = spec.next_retry_delay {
        error = error.next_retry_delay(Duration::from_secs_f64(delay));
    }
    Err(error.into())
}

/// The Rust counterpart of an unexpected exception: a panic.
#[activity(crate = "solo_worker")]
pub async fn fail_exception(message: String) -> String {
    panic!("{message}")
}

/// A plain `std::error::Error` returned by activity code.
#[activity(crate = "solo_worker")]
pub async fn fail_error(message: String) -> Result<String, std::io::Error> {
    Err(std::io::Error::other(message))
}

/// Sleeps, then answers (used for timeouts).
#[activity(crate = "solo_worker")]
pub async fn sleep(seconds: f64) -> String {
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    format!("slept {seconds}")
}

/// Heartbeats `details` until cancelled, then reports the cancellation.
#[activity(crate = "solo_worker")]
pub async fn heartbeat_until_cancelled(
    ctx: ActivityContext,
    details: Value,
) -> Result<String, ActivityError> {
    loop {
        ctx.heartbeat(&details);
        tokio::select! {
            _ = ctx.cancelled() => return Err(Cancelled::new().into()),
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
}

/// The same as a blocking function on the worker's blocking pool.
#[activity(crate = "solo_worker")]
pub fn heartbeat_until_cancelled_sync(
    ctx: ActivityContext,
    details: Value,
) -> Result<String, ActivityError> {
    loop {
        ctx.heartbeat(&details);
        std::thread::sleep(Duration::from_millis(200));
        if ctx.is_cancelled() {
            return Err(Cancelled::new().into());
        }
    }
}

/// Heartbeats and fails until `succeed_on_attempt`, which returns the details it resumed with.
#[activity(crate = "solo_worker")]
pub async fn retry_then_succeed(
    ctx: ActivityContext,
    succeed_on_attempt: u32,
) -> Result<Value, ActivityError> {
    let attempt = ctx.info().attempt;
    if attempt < succeed_on_attempt {
        ctx.heartbeat(&json!({"attempt": attempt, "progress": format!("step-{attempt}")}));
        return Err(
            ApplicationError::new(format!("attempt {attempt} is too early"))
                .error_type("NotYet")
                .into(),
        );
    }
    let previous = &ctx.info().heartbeat_details;
    let resumed = (0..previous.len())
        .map(|i| previous.get::<Value>(i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "attempt": attempt, "heartbeat_details": resumed }))
}

/// What a solo activity sees of itself when started by another SDK (or scheduled by another
/// SDK's workflow).
#[activity(crate = "solo_worker")]
pub async fn activity_info(ctx: ActivityContext) -> Value {
    let info = ctx.info();
    let workflow = info.workflow.as_ref();
    let retry = info.retry_policy.as_ref();
    json!({
        "activity_id": info.activity_id,
        "activity_type": info.activity_type,
        "attempt": info.attempt,
        "namespace": info.namespace,
        "task_queue": info.task_queue,
        "heartbeat_timeout": info.heartbeat_timeout.map(|d| d.as_secs_f64()),
        "start_to_close_timeout": info.start_to_close_timeout.map(|d| d.as_secs_f64()),
        "activity_run_id": info.activity_run_id,
        "in_workflow": info.in_workflow(),
        "workflow_id": workflow.map(|w| &w.workflow_id),
        "workflow_run_id": workflow.map(|w| &w.run_id),
        "workflow_type": workflow.map(|w| &w.workflow_type),
        "workflow_namespace": workflow.map(|w| &w.namespace),
        "retry_maximum_attempts": retry.and_then(|r| r.maximum_attempts),
        "retry_initial_interval": retry.and_then(|r| r.initial_interval).map(|d| d.as_secs_f64()),
        "priority_key": info.priority.priority_key,
        "fairness_key": info.priority.fairness_key,
    })
}

/// The task tokens of the `complete_async` attempts the solo workers of this process ran, by
/// activity id.
fn async_task_tokens() -> &'static Mutex<HashMap<String, Bytes>> {
    static TOKENS: OnceLock<Mutex<HashMap<String, Bytes>>> = OnceLock::new();
    TOKENS.get_or_init(Mutex::default)
}

/// The task token of the `complete_async` attempt a solo worker of this process ran for
/// `activity_id`, once it has run.
pub fn async_task_token(activity_id: &str) -> Option<Bytes> {
    let tokens = async_task_tokens()
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    tokens.get(activity_id).cloned()
}

/// Records its task token (see [`async_task_token`]) and completes asynchronously: whoever
/// holds its id or token reports the outcome.
#[activity(crate = "solo_worker")]
pub async fn complete_async(ctx: ActivityContext) -> Result<Value, ActivityError> {
    let info = ctx.info();
    async_task_tokens()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(info.activity_id.clone(), info.task_token.clone());
    Err(ActivityError::complete_async())
}

/// A solo worker polling its own task queue from a thread that lives as long as the test
/// process.
#[derive(Debug)]
pub struct SoloWorker {
    task_queue: String,
}

impl SoloWorker {
    /// One worker per test binary, started on first use.
    ///
    /// # Panics
    /// When it cannot connect or start.
    pub fn shared() -> &'static SoloWorker {
        static SHARED: OnceLock<Result<SoloWorker, String>> = OnceLock::new();
        match SHARED.get_or_init(|| SoloWorker::start(&unique("solo-tq"))) {
            Ok(worker) => worker,
            Err(e) => panic!("the solo worker did not start: {e}"),
        }
    }

    /// Starts a worker on `task_queue`; it runs until the process exits.
    ///
    /// # Errors
    /// When the connection or the worker cannot be set up.
    pub fn start(task_queue: &str) -> Result<SoloWorker, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        let queue = task_queue.to_owned();
        std::thread::Builder::new()
            .name(format!("solo-worker-{task_queue}"))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let worker = match build_worker(&queue).await {
                        Ok(worker) => worker,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = tx.send(Ok(()));
                    if let Err(e) = worker.run().await {
                        panic!("the solo worker on {queue} stopped: {e}");
                    }
                });
            })
            .map_err(|e| e.to_string())?;
        rx.recv()
            .map_err(|_| "the solo worker thread stopped".to_owned())??;
        Ok(SoloWorker {
            task_queue: task_queue.to_owned(),
        })
    }

    /// The task queue it polls.
    pub fn task_queue(&self) -> &str {
        &self.task_queue
    }
}

async fn build_worker(task_queue: &str) -> Result<Worker, String> {
    let client = solo_client().await;
    Worker::builder(client, task_queue)
        .activity(echo)
        .activity(echo_order)
        .activity(echo_bytes)
        .activity(echo_int)
        .activity(echo_f64)
        .activity(echo_bool)
        .activity(echo_string)
        .activity(echo_list)
        .activity(echo_map)
        .activity(echo_option)
        .activity(echo_unit)
        .activity(greet_two)
        .activity(proto_echo)
        .activity(no_args)
        .activity(nothing)
        .activity(fail_application)
        .activity(fail_exception)
        .activity(fail_error)
        .activity(sleep)
        .activity(heartbeat_until_cancelled)
        .activity(heartbeat_until_cancelled_sync)
        .activity(retry_then_succeed)
        .activity(activity_info)
        .activity(complete_async)
        .build()
        .map_err(|e| e.to_string())
}

//! The cross-SDK interop suite: solo against the Temporal Python SDK and the Temporal CLI,
//! on one dev server.
//!
//! The tests live in `tests/`; this library is their harness:
//! - [`python()`](python::python): the pinned Python SDK in the project venv (installed on
//!   first use, the same way `cargo xtask install-tools` does);
//! - [`PyWorker`]: `tests/interop/py_worker.py`, one per test binary;
//! - [`PyClient`]: `tests/interop/py_client.py`, one JSON answer per command;
//! - [`PyWorkflow`]: `tests/interop/py_workflow.py`, a Python workflow that schedules one
//!   activity on another worker's task queue;
//! - [`temporal`]: the Temporal CLI;
//! - [`SoloWorker`]: a solo worker with the same activities as the Python worker;
//! - [`shapes`]: the Rust twins of the Python dataclasses and the sample data.

pub mod protos;
pub mod py_client;
pub mod py_worker;
pub mod py_workflow;
pub mod python;
pub mod shapes;
pub mod solo_activities;
pub mod temporal_cli;

use std::future::Future;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

pub use py_client::{PyClient, Start};
pub use py_worker::PyWorker;
pub use py_workflow::{PY_WORKFLOW_TYPE, PyWorkflow};
pub use solo_activities::SoloWorker;
pub use temporal_cli::{CliOutput, temporal};

/// The shared dev server's `host:port`.
///
/// # Panics
/// When the dev server cannot be started.
pub fn server_address() -> String {
    match solo_testing::DevServer::shared() {
        Ok(server) => server.address(),
        Err(e) => panic!("the dev server did not start: {e}"),
    }
}

/// A solo client for the shared dev server, on the caller's runtime (a client's connection
/// lives on the runtime that made it, and each `#[tokio::test]` has its own).
///
/// # Panics
/// When it cannot connect.
pub async fn solo_client() -> solo_client::Client {
    use solo_client::{Client, ClientOptions, Connection, ConnectionOptions};
    let address = server_address();
    let connection = Connection::connect(ConnectionOptions::new(&address))
        .await
        .unwrap_or_else(|e| panic!("solo cannot connect to {address}: {e}"));
    Client::new(connection, ClientOptions::new())
}

/// A fresh id with a readable prefix.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// `{"$bytes": "<base64>"}`: how `py_client.py` takes and prints `bytes`.
pub fn bytes_marker(bytes: &[u8]) -> Value {
    json!({ "$bytes": base64::engine::general_purpose::STANDARD.encode(bytes) })
}

/// Decodes a [`bytes_marker`].
///
/// # Panics
/// When `value` is not one.
pub fn from_bytes_marker(value: &Value) -> Vec<u8> {
    let text = value
        .get("$bytes")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("not a bytes marker: {value}"));
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|e| panic!("bad base64 in {value}: {e}"))
}

/// `{"$dataclass": name, "value": ...}`: makes `py_client.py` send a dataclass instance.
pub fn dataclass_marker(name: &str, value: Value) -> Value {
    json!({ "$dataclass": name, "value": value })
}

/// Calls `check` until it returns `Ok` or `limit` passes (for eventually consistent
/// visibility), then returns its value.
///
/// # Panics
/// With the last error when `limit` passes.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        match check().await {
            Ok(value) => return value,
            Err(e) if started.elapsed() >= limit => {
                panic!("{what}: still not true after {limit:?}: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// The `error` of a `py_client.py` answer, asserting it has one.
///
/// # Panics
/// When the answer was `ok`.
pub fn py_error(answer: &Value) -> &Value {
    assert_eq!(
        answer["ok"],
        json!(false),
        "expected an error, got {answer}"
    );
    &answer["error"]
}

/// The `result` of a `py_client.py` answer, asserting it succeeded.
///
/// # Panics
/// When the answer was an error.
pub fn py_result(answer: &Value) -> &Value {
    assert_eq!(answer["ok"], json!(true), "expected success, got {answer}");
    &answer["result"]
}

/// A failure as `py_client.py` prints it, without the fields that differ between runs or
/// SDKs by nature (stack traces, and `source`, which names the producing SDK).
pub fn comparable_failure(error: &Value) -> Value {
    let mut error = error.clone();
    if let Value::Object(map) = &mut error {
        map.remove("stack_trace");
        map.remove("source");
        if let Some(cause) = map.get("cause").filter(|c| !c.is_null()).cloned() {
            map.insert("cause".into(), comparable_failure(&cause));
        }
    }
    error
}

/// How long one wait of a cross-SDK test may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// `.within("what")` on any future (a `result()`, an `execute_activity`): the test fails with
/// `what` in its message after [`PATIENCE`] instead of hanging.
pub trait Within: std::future::IntoFuture + Sized {
    /// Waits for `self`, at most [`PATIENCE`].
    ///
    /// # Panics
    /// When it takes longer.
    fn within(self, what: &'static str) -> impl std::future::Future<Output = Self::Output> {
        async move {
            match tokio::time::timeout(PATIENCE, self.into_future()).await {
                Ok(output) => output,
                Err(_) => panic!("{what} did not finish within {PATIENCE:?}"),
            }
        }
    }
}

impl<F: std::future::IntoFuture> Within for F {}

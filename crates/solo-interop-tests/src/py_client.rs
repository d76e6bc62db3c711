//! Runs `tests/interop/py_client.py` and reads the JSON object it prints.

use std::process::Stdio;

/// How long one run of the Python client may take before its test fails.
const PY_CLIENT_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

use serde_json::Value;

use crate::python::{interop_dir, python};
use crate::server_address;

/// The Python client, pointed at the shared dev server.
#[derive(Debug, Clone)]
pub struct PyClient {
    address: String,
}

impl Default for PyClient {
    fn default() -> Self {
        Self::new()
    }
}

impl PyClient {
    /// A client for the shared dev server.
    pub fn new() -> Self {
        PyClient {
            address: server_address(),
        }
    }

    /// Runs one command (e.g. `["describe", "--id", id]`) and returns its JSON answer,
    /// `{"ok": true, ...}` or `{"ok": false, "error": {...}}`.
    ///
    /// # Panics
    /// When the program itself fails (usage error, crash): that is a bug in the suite.
    pub async fn run<S: AsRef<str>>(&self, args: &[S]) -> Value {
        let output = tokio::process::Command::new(python())
            .arg(interop_dir().join("py_client.py"))
            .args(["--address", &self.address])
            .args(args.iter().map(AsRef::as_ref))
            .current_dir(interop_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        // A hung Python client fails the test (and is killed) instead of hanging it.
        let output = tokio::time::timeout(PY_CLIENT_LIMIT, output)
            .await
            .unwrap_or_else(|_| panic!("py_client.py did not finish within {PY_CLIENT_LIMIT:?}"))
            .unwrap_or_else(|e| panic!("cannot run py_client.py: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        assert!(
            output.status.success(),
            "py_client.py {args:?} exited with {}:\n{stderr}\n{stdout}",
            output.status
        );
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!("py_client.py {args:?} printed no JSON object ({e}):\n{stdout}\n{stderr}")
        })
    }

    /// Runs several commands concurrently in one Python process; returns their answers in
    /// order.
    pub async fn batch(&self, commands: &[Vec<String>]) -> Vec<Value> {
        let json = serde_json::to_string(commands).unwrap_or_default();
        let answer = self.run(&["batch", "--commands", &json]).await;
        match answer.get("results") {
            Some(Value::Array(results)) if results.len() == commands.len() => results.clone(),
            _ => panic!("batch answered {answer}"),
        }
    }

    /// `execute`: starts the activity and waits for its outcome.
    pub async fn execute(&self, start: &Start) -> Value {
        self.run(&start.command("execute")).await
    }

    /// `start`: starts the activity; the answer has its `run_id`.
    pub async fn start(&self, start: &Start) -> Value {
        self.run(&start.command("start")).await
    }

    /// `result --id`: waits for the outcome.
    pub async fn result(&self, id: &str) -> Value {
        self.run(&["result", "--id", id]).await
    }

    /// `describe --id` (with input, outcome, heartbeat details and last failure).
    pub async fn describe(&self, id: &str) -> Value {
        self.run(&["describe", "--id", id]).await
    }

    /// `cancel --id --reason`.
    pub async fn cancel(&self, id: &str, reason: &str) -> Value {
        self.run(&["cancel", "--id", id, "--reason", reason]).await
    }

    /// `terminate --id --reason`.
    pub async fn terminate(&self, id: &str, reason: &str) -> Value {
        self.run(&["terminate", "--id", id, "--reason", reason])
            .await
    }

    /// `list --query`.
    pub async fn list(&self, query: &str) -> Value {
        self.run(&["list", "--query", query]).await
    }

    /// `count --query`.
    pub async fn count(&self, query: &str) -> Value {
        self.run(&["count", "--query", query]).await
    }
}

/// The options of `execute` / `start`.
#[derive(Debug, Clone)]
pub struct Start {
    activity_type: String,
    id: String,
    task_queue: String,
    args: Value,
    extra: Vec<String>,
}

impl Start {
    /// Starts `activity_type` as `id` on `task_queue` with a 10 s start-to-close timeout and
    /// no argument.
    pub fn new(activity_type: &str, id: &str, task_queue: &str) -> Self {
        Start {
            activity_type: activity_type.to_owned(),
            id: id.to_owned(),
            task_queue: task_queue.to_owned(),
            args: Value::Array(Vec::new()),
            extra: vec!["--start-to-close".into(), "10".into()],
        }
    }

    /// The arguments, one JSON value each (markers: [`crate::bytes_marker`],
    /// [`crate::dataclass_marker`]).
    pub fn args(mut self, args: Vec<Value>) -> Self {
        self.args = Value::Array(args);
        self
    }

    /// One argument.
    pub fn arg(self, arg: Value) -> Self {
        self.args(vec![arg])
    }

    fn flag(mut self, name: &str, value: impl ToString) -> Self {
        if let Some(at) = self.extra.iter().position(|f| f == name) {
            self.extra[at + 1] = value.to_string();
        } else {
            self.extra.push(name.to_owned());
            self.extra.push(value.to_string());
        }
        self
    }

    /// The same start on another task queue, with a fresh id of the same prefix (to run it
    /// against another worker).
    pub fn on(&self, task_queue: &str) -> Self {
        let mut other = self.clone();
        other.task_queue = task_queue.to_owned();
        let prefix = self
            .id
            .rsplit_once('-')
            .map_or(self.id.as_str(), |(p, _)| p);
        other.id = crate::unique(prefix);
        other
    }

    /// Per-attempt timeout, seconds.
    pub fn start_to_close(self, seconds: f64) -> Self {
        self.flag("--start-to-close", seconds)
    }

    /// Whole-execution timeout, seconds.
    pub fn schedule_to_close(self, seconds: f64) -> Self {
        self.flag("--schedule-to-close", seconds)
    }

    /// Heartbeat timeout, seconds.
    pub fn heartbeat_timeout(self, seconds: f64) -> Self {
        self.flag("--heartbeat-timeout", seconds)
    }

    /// Retry policy: maximum attempts (0 = unlimited).
    pub fn max_attempts(self, attempts: u32) -> Self {
        self.flag("--max-attempts", attempts)
    }

    /// Retry policy: first retry interval, seconds (backoff 1.0 keeps it constant).
    pub fn retry_interval(self, seconds: f64) -> Self {
        self.flag("--initial-interval", seconds)
            .flag("--backoff", 1.0)
    }

    /// Retry policy: error types the server must not retry.
    pub fn non_retryable_types(mut self, types: &[&str]) -> Self {
        self.extra.push("--non-retryable-types".into());
        self.extra.extend(types.iter().map(|t| (*t).to_owned()));
        self
    }

    /// Asks `result()` to decode into a Python type (`Order`, `bytes`, ...).
    pub fn result_type(self, python_type: &str) -> Self {
        self.flag("--result-type", python_type)
    }

    /// The activity id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The command line for `execute` or `start`, e.g. for [`PyClient::batch`].
    pub fn command(&self, verb: &str) -> Vec<String> {
        let mut argv = vec![
            verb.to_owned(),
            "--type".into(),
            self.activity_type.clone(),
            "--id".into(),
            self.id.clone(),
            "--task-queue".into(),
            self.task_queue.clone(),
            "--args".into(),
            self.args.to_string(),
        ];
        argv.extend(self.extra.iter().cloned());
        argv
    }
}

//! Runs `tests/interop/py_workflow.py`: a Python workflow that schedules one activity on
//! another worker's task queue (a solo worker's), and reads the JSON object it prints.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::python::{interop_dir, python};
use crate::server_address;

/// How long one run of the Python workflow program may take before its test fails.
const PY_WORKFLOW_LIMIT: Duration = Duration::from_secs(150);

/// The workflow type `py_workflow.py` registers and runs.
pub const PY_WORKFLOW_TYPE: &str = "ScheduleActivity";

/// One run of the Python workflow: which activity it schedules, where, and how.
#[derive(Debug, Clone)]
pub struct PyWorkflow {
    workflow_id: String,
    activity_type: String,
    task_queue: String,
    args: Value,
    extra: Vec<String>,
}

impl PyWorkflow {
    /// A workflow `workflow_id` that schedules `activity_type` on `task_queue` with no
    /// argument, a 30 s start-to-close timeout and the server's default retry policy.
    pub fn new(workflow_id: &str, activity_type: &str, task_queue: &str) -> Self {
        PyWorkflow {
            workflow_id: workflow_id.to_owned(),
            activity_type: activity_type.to_owned(),
            task_queue: task_queue.to_owned(),
            args: Value::Array(Vec::new()),
            extra: Vec::new(),
        }
    }

    /// The activity's arguments, one JSON value each.
    pub fn args(mut self, args: Vec<Value>) -> Self {
        self.args = Value::Array(args);
        self
    }

    /// One argument.
    pub fn arg(self, arg: Value) -> Self {
        self.args(vec![arg])
    }

    fn flag(mut self, name: &str, value: impl ToString) -> Self {
        self.extra.push(name.to_owned());
        self.extra.push(value.to_string());
        self
    }

    /// The activity's start-to-close timeout, seconds.
    pub fn start_to_close(self, seconds: f64) -> Self {
        self.flag("--start-to-close", seconds)
    }

    /// The activity's heartbeat timeout, seconds.
    pub fn heartbeat_timeout(self, seconds: f64) -> Self {
        self.flag("--heartbeat-timeout", seconds)
    }

    /// Retry policy: maximum attempts (0 = unlimited).
    pub fn max_attempts(self, attempts: u32) -> Self {
        self.flag("--max-attempts", attempts)
    }

    /// Retry policy: first retry interval, seconds.
    pub fn retry_interval(self, seconds: f64) -> Self {
        self.flag("--initial-interval", seconds)
    }

    /// The activity's priority key.
    pub fn priority_key(self, key: u32) -> Self {
        self.flag("--priority-key", key)
    }

    /// The activity's fairness key.
    pub fn fairness_key(self, key: &str) -> Self {
        self.flag("--fairness-key", key)
    }

    /// The workflow requests cancellation of the activity this long after scheduling it,
    /// and waits for the activity to acknowledge it.
    pub fn cancel_after(self, seconds: f64) -> Self {
        self.flag("--cancel-after", seconds)
    }

    /// The workflow id.
    pub fn workflow_id(&self) -> &str {
        &self.workflow_id
    }

    /// Runs the workflow to its end against the shared dev server and returns the program's
    /// answer: `{"ok": true, "result": ..., "workflow_id": ..., "run_id": ...,
    /// "workflow_type": ...}` or `{"ok": false, "error": {...}, ...}`.
    ///
    /// # Panics
    /// When the program itself fails (usage error, crash) or takes longer than its limit.
    pub async fn run(&self) -> Value {
        let mut argv = vec![
            "--address".to_owned(),
            server_address(),
            "--workflow-id".into(),
            self.workflow_id.clone(),
            "--activity-type".into(),
            self.activity_type.clone(),
            "--activity-task-queue".into(),
            self.task_queue.clone(),
            "--args".into(),
            self.args.to_string(),
        ];
        argv.extend(self.extra.iter().cloned());
        let output = tokio::process::Command::new(python())
            .arg(interop_dir().join("py_workflow.py"))
            .args(&argv)
            .current_dir(interop_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(PY_WORKFLOW_LIMIT, output)
            .await
            .unwrap_or_else(|_| {
                panic!("py_workflow.py did not finish within {PY_WORKFLOW_LIMIT:?}")
            })
            .unwrap_or_else(|e| panic!("cannot run py_workflow.py: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "py_workflow.py {argv:?} exited with {}:\n{stderr}\n{stdout}",
            output.status
        );
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!("py_workflow.py {argv:?} printed no JSON object ({e}):\n{stdout}\n{stderr}")
        })
    }
}

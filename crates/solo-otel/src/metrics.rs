//! Metrics under the names, units and attributes of the Temporal SDKs' shared core, so
//! dashboards built for Python, TypeScript or .NET workers work for solo workers unchanged.
//!
//! [`Metrics`] records them through an OpenTelemetry [`Meter`]. Register it twice: as the
//! connection's call observer
//! ([`ConnectionOptions::observer`](solo_connect::ConnectionOptions::observer)) for request
//! metrics, and as a worker interceptor
//! ([`WorkerBuilder::interceptor`](solo_worker::WorkerBuilder::interceptor)) for the rest.
//!
//! | metric | kind | unit | attributes |
//! |---|---|---|---|
//! | `temporal_request` | counter | | `namespace`, `operation` |
//! | `temporal_request_failure` | counter | | `namespace`, `operation`, `status_code` |
//! | `temporal_request_latency` | histogram | ms | `namespace`, `operation` |
//! | `temporal_long_request` | counter | | `namespace`, `operation`, `task_queue` |
//! | `temporal_long_request_failure` | counter | | `namespace`, `operation`, `task_queue`, `status_code` |
//! | `temporal_long_request_latency` | histogram | ms | `namespace`, `operation`, `task_queue` |
//! | `temporal_worker_start` | counter | | `namespace`, `task_queue` |
//! | `temporal_activity_poll_no_task` | counter | | `namespace`, `task_queue` |
//! | `temporal_activity_schedule_to_start_latency` | histogram | ms | `namespace`, `task_queue` |
//! | `temporal_activity_execution_latency` | histogram | ms | `namespace`, `task_queue`, `activity_type`, `workflow_type` |
//! | `temporal_activity_succeed_endtoend_latency` | histogram | ms | `namespace`, `task_queue`, `activity_type`, `workflow_type` |
//! | `temporal_activity_execution_failed` | counter | | `namespace`, `task_queue`, `activity_type`, `workflow_type`, `failure_reason` = `ActivityError` |
//! | `temporal_activity_execution_cancelled` | counter | | `namespace`, `task_queue`, `activity_type`, `workflow_type` |
//! | `temporal_worker_task_slots_available` | gauge | | `namespace`, `task_queue`, `worker_type` = `ActivityWorker` |
//! | `temporal_worker_task_slots_used` | gauge | | `namespace`, `task_queue`, `worker_type` = `ActivityWorker` |
//! | `temporal_num_pollers` | gauge | | `namespace`, `task_queue`, `poller_type` = `activity_task` |
//!
//! Every name and attribute key above that the Python SDK also exports was compared with
//! its Prometheus endpoint (`temporalio` 1.35, `tests/interop/py_metrics.py`) by the test
//! `metric_names_and_attributes_match_the_python_sdk`. `temporal_request_failure` and
//! `temporal_long_request_failure` are the Python SDK's names too (it exports them once a call
//! fails); `temporal_activity_execution_cancelled` is the Go and Java SDKs' name (the Python
//! SDK has no counter for cancelled activity attempts).
//!
//! Notes:
//! - `operation` is the gRPC method (`StartActivityExecution`, `PollActivityExecution`,
//!   `RespondActivityTaskCompleted`, ...). Task-queue polls (`PollActivityTaskQueue`) count as
//!   long requests; everything else, including the client's `PollActivityExecution`, as
//!   requests — as the Python SDK counts them. Requests count every attempt (retries
//!   included); failures carry the gRPC code in `SCREAMING_SNAKE_CASE`.
//! - `workflow_type` is empty for standalone activities (the Python SDK sets it the same way).
//! - Failures with the benign category are not counted as `temporal_activity_execution_failed`.
//! - The Python SDK also labels every metric `service_name="temporal-core-sdk"`; with
//!   OpenTelemetry that is the resource's `service.name`, which the application sets on its
//!   meter provider.
//! - Durations are milliseconds (unit `ms`), as the Python SDK reports them by default. A
//!   Prometheus exporter that appends units to names turns `temporal_request_latency` into
//!   `temporal_request_latency_milliseconds`; turn that off (the collector's
//!   `add_metric_suffixes: false`) to keep the names dashboards use.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter};
use solo_connect::__private::code_name;
use solo_connect::{CallObserver, CallRecord};
use solo_worker::{
    ActivityInfo, AttemptEnd, AttemptOutcome, PollOutcome, WorkerInterceptor, WorkerStatus,
};
use tonic::Code;

/// The task-queue long polls, counted as `temporal_long_request*`.
const LONG_POLL_METHODS: &[&str] = &[
    "PollActivityTaskQueue",
    "PollWorkflowTaskQueue",
    "PollNexusTaskQueue",
];

/// The `failure_reason` of `temporal_activity_execution_failed`: the Python SDK labels an
/// activity's own error (any exception type) with this value.
const FAILURE_REASON: &str = "ActivityError";

/// Buckets (ms) of request latencies.
const REQUEST_BUCKETS: &[f64] = &[
    5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 10_000.0, 60_000.0,
];
/// Buckets (ms) of activity execution latencies.
const EXECUTION_BUCKETS: &[f64] = &[50.0, 100.0, 500.0, 1000.0, 5000.0, 10_000.0, 60_000.0];
/// Buckets (ms) of schedule-to-start and end-to-end latencies.
const SCHEDULE_BUCKETS: &[f64] = &[
    100.0,
    500.0,
    1000.0,
    5000.0,
    10_000.0,
    100_000.0,
    1_000_000.0,
];

/// Records the Temporal SDK metrics of solo clients and workers. Cheap to clone; clones
/// record into the same instruments.
///
/// It is a [`CallObserver`] (request metrics) and a [`WorkerInterceptor`] (worker metrics);
/// see the [module docs](self) for the list.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Instruments>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let workers = self.inner.workers.lock().map_or(0, |w| w.len());
        f.debug_struct("Metrics")
            .field("workers", &workers)
            .finish_non_exhaustive()
    }
}

struct Instruments {
    request: Counter<u64>,
    request_failure: Counter<u64>,
    request_latency: Histogram<u64>,
    long_request: Counter<u64>,
    long_request_failure: Counter<u64>,
    long_request_latency: Histogram<u64>,
    worker_start: Counter<u64>,
    poll_no_task: Counter<u64>,
    schedule_to_start: Histogram<u64>,
    execution_latency: Histogram<u64>,
    succeed_endtoend: Histogram<u64>,
    execution_failed: Counter<u64>,
    execution_cancelled: Counter<u64>,
    /// The running workers, read by the gauges' callbacks.
    workers: Arc<Mutex<Vec<WorkerStatus>>>,
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Reads every running worker's status into a gauge.
fn observe_workers(
    workers: &Mutex<Vec<WorkerStatus>>,
    read: impl Fn(&WorkerStatus) -> (u64, Vec<KeyValue>),
    mut observe: impl FnMut(u64, &[KeyValue]),
) {
    let workers = workers.lock().unwrap_or_else(|e| e.into_inner());
    for worker in workers.iter() {
        let (value, attributes) = read(worker);
        observe(value, &attributes);
    }
}

fn worker_attributes(worker: &WorkerStatus, kind: KeyValue) -> Vec<KeyValue> {
    vec![
        KeyValue::new("namespace", worker.namespace().to_owned()),
        KeyValue::new("task_queue", worker.task_queue().to_owned()),
        kind,
    ]
}

impl Metrics {
    /// Creates the instruments on `meter` (for example
    /// `opentelemetry::global::meter("solo")`).
    pub fn new(meter: &Meter) -> Self {
        let workers: Arc<Mutex<Vec<WorkerStatus>>> = Arc::default();
        let counter = |name: &'static str, description: &'static str| {
            meter
                .u64_counter(name)
                .with_description(description)
                .build()
        };
        let histogram = |name: &'static str, description: &'static str, buckets: &'static [f64]| {
            meter
                .u64_histogram(name)
                .with_description(description)
                .with_unit("ms")
                .with_boundaries(buckets.to_vec())
                .build()
        };
        // The gauges are read on collection, from the registered workers; no per-task cost.
        let w = workers.clone();
        let _ = meter
            .u64_observable_gauge("temporal_worker_task_slots_available")
            .with_description("Current number of available slots per task type")
            .with_callback(move |o| {
                observe_workers(
                    &w,
                    |s| {
                        let kind = KeyValue::new("worker_type", "ActivityWorker");
                        (s.slots_available() as u64, worker_attributes(s, kind))
                    },
                    |v, a| o.observe(v, a),
                )
            })
            .build();
        let w = workers.clone();
        let _ = meter
            .u64_observable_gauge("temporal_worker_task_slots_used")
            .with_description("Current number of used slots per task type")
            .with_callback(move |o| {
                observe_workers(
                    &w,
                    |s| {
                        let kind = KeyValue::new("worker_type", "ActivityWorker");
                        (s.slots_used() as u64, worker_attributes(s, kind))
                    },
                    |v, a| o.observe(v, a),
                )
            })
            .build();
        let w = workers.clone();
        let _ = meter
            .u64_observable_gauge("temporal_num_pollers")
            .with_description("Current number of active pollers per queue type")
            .with_callback(move |o| {
                observe_workers(
                    &w,
                    |s| {
                        let kind = KeyValue::new("poller_type", "activity_task");
                        (s.pollers() as u64, worker_attributes(s, kind))
                    },
                    |v, a| o.observe(v, a),
                )
            })
            .build();
        Metrics {
            inner: Arc::new(Instruments {
                request: counter(
                    "temporal_request",
                    "Count of client request successes by rpc name",
                ),
                request_failure: counter(
                    "temporal_request_failure",
                    "Count of client request failures by rpc name",
                ),
                request_latency: histogram(
                    "temporal_request_latency",
                    "Histogram of client request latencies",
                    REQUEST_BUCKETS,
                ),
                long_request: counter(
                    "temporal_long_request",
                    "Count of long-poll request successes by rpc name",
                ),
                long_request_failure: counter(
                    "temporal_long_request_failure",
                    "Count of long-poll request failures by rpc name",
                ),
                long_request_latency: histogram(
                    "temporal_long_request_latency",
                    "Histogram of client long-poll request latencies",
                    REQUEST_BUCKETS,
                ),
                worker_start: counter(
                    "temporal_worker_start",
                    "Count of the number of initialized workers",
                ),
                poll_no_task: counter(
                    "temporal_activity_poll_no_task",
                    "Count of activity task queue poll timeouts (no new task)",
                ),
                schedule_to_start: histogram(
                    "temporal_activity_schedule_to_start_latency",
                    "Histogram of activity schedule-to-start latencies",
                    SCHEDULE_BUCKETS,
                ),
                execution_latency: histogram(
                    "temporal_activity_execution_latency",
                    "Histogram of activity execution latencies",
                    EXECUTION_BUCKETS,
                ),
                succeed_endtoend: histogram(
                    "temporal_activity_succeed_endtoend_latency",
                    "Histogram of activity execution latencies for successful activities",
                    SCHEDULE_BUCKETS,
                ),
                execution_failed: counter(
                    "temporal_activity_execution_failed",
                    "Count of activity task execution failures",
                ),
                execution_cancelled: counter(
                    "temporal_activity_execution_cancelled",
                    "Count of activity task executions cancelled",
                ),
                workers,
            }),
        }
    }

    /// Creates the instruments on the global meter provider's `solo` meter.
    pub fn global() -> Self {
        Self::new(&opentelemetry::global::meter("solo"))
    }
}

fn call_attributes(method: &str, namespace: &str, task_queue: Option<&str>) -> Vec<KeyValue> {
    let mut attributes = Vec::with_capacity(4);
    if !namespace.is_empty() {
        attributes.push(KeyValue::new("namespace", namespace.to_owned()));
    }
    attributes.push(KeyValue::new("operation", method.to_owned()));
    if let Some(tq) = task_queue {
        attributes.push(KeyValue::new("task_queue", tq.to_owned()));
    }
    attributes
}

impl CallObserver for Metrics {
    fn on_call_start(&self, method: &str, namespace: &str, task_queue: Option<&str>) {
        let attributes = call_attributes(method, namespace, task_queue);
        if LONG_POLL_METHODS.contains(&method) {
            self.inner.long_request.add(1, &attributes);
        } else {
            self.inner.request.add(1, &attributes);
        }
    }

    fn on_call_end(&self, call: &CallRecord<'_>) {
        let long = LONG_POLL_METHODS.contains(&call.method);
        let mut attributes = call_attributes(call.method, call.namespace, call.task_queue);
        let latency = if long {
            &self.inner.long_request_latency
        } else {
            &self.inner.request_latency
        };
        latency.record(millis(call.elapsed), &attributes);
        if call.code != Code::Ok {
            attributes.push(KeyValue::new("status_code", code_name(call.code)));
            if long {
                self.inner.long_request_failure.add(1, &attributes);
            } else {
                self.inner.request_failure.add(1, &attributes);
            }
        }
    }
}

fn activity_attributes(info: &ActivityInfo, namespace: &str) -> Vec<KeyValue> {
    vec![
        KeyValue::new("namespace", namespace.to_owned()),
        KeyValue::new("task_queue", info.task_queue.clone()),
        KeyValue::new("activity_type", info.activity_type.clone()),
        KeyValue::new(
            "workflow_type",
            info.workflow
                .as_ref()
                .map(|w| w.workflow_type.clone())
                .unwrap_or_default(),
        ),
    ]
}

/// The namespace of a task: the workflow's for workflow activities, else the info's (which
/// the worker fills from the task).
fn namespace_of(info: &ActivityInfo) -> &str {
    info.workflow
        .as_ref()
        .map(|w| w.namespace.as_str())
        .filter(|n| !n.is_empty())
        .unwrap_or(&info.namespace)
}

impl WorkerInterceptor for Metrics {
    fn on_worker_start(&self, worker: &WorkerStatus) {
        self.inner.worker_start.add(
            1,
            &[
                KeyValue::new("namespace", worker.namespace().to_owned()),
                KeyValue::new("task_queue", worker.task_queue().to_owned()),
            ],
        );
        self.inner
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(worker.clone());
    }

    fn on_worker_stop(&self, worker: &WorkerStatus) {
        self.inner
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|w| !w.is_same_worker(worker));
    }

    fn on_poll(&self, worker: &WorkerStatus, outcome: PollOutcome) {
        if outcome == PollOutcome::Empty {
            self.inner.poll_no_task.add(
                1,
                &[
                    KeyValue::new("namespace", worker.namespace().to_owned()),
                    KeyValue::new("task_queue", worker.task_queue().to_owned()),
                ],
            );
        }
    }

    fn on_attempt_start(&self, info: &ActivityInfo, _span: &tracing::Span) {
        if let (Some(scheduled), Some(started)) =
            (info.current_attempt_scheduled_time, info.started_time)
        {
            let latency = started.duration_since(scheduled).unwrap_or_default();
            self.inner.schedule_to_start.record(
                millis(latency),
                &[
                    KeyValue::new("namespace", namespace_of(info).to_owned()),
                    KeyValue::new("task_queue", info.task_queue.clone()),
                ],
            );
        }
    }

    fn on_attempt_end(&self, info: &ActivityInfo, end: &AttemptEnd) {
        let attributes = activity_attributes(info, namespace_of(info));
        self.inner
            .execution_latency
            .record(millis(end.elapsed), &attributes);
        match end.outcome {
            AttemptOutcome::Completed => {
                if let Some(scheduled) = info.scheduled_time {
                    let latency = SystemTime::now()
                        .duration_since(scheduled)
                        .unwrap_or_default();
                    self.inner
                        .succeed_endtoend
                        .record(millis(latency), &attributes);
                }
            }
            AttemptOutcome::Failed { benign: false } => {
                let mut attributes = attributes;
                attributes.push(KeyValue::new("failure_reason", FAILURE_REASON));
                self.inner.execution_failed.add(1, &attributes);
            }
            AttemptOutcome::Cancelled => {
                self.inner.execution_cancelled.add(1, &attributes);
            }
            _ => {}
        }
    }
}

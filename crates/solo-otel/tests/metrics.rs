//! Metrics recorded while real activities run on the dev server, read back from an in-memory
//! exporter under the Temporal SDKs' names and attributes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use solo_interop_tests::{PY_WORKFLOW_TYPE, PyWorkflow, Within, py_result};
use std::collections::BTreeMap;
use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use solo_client::{
    ActivityError, ActivityOptions, ApplicationError, CallError, ClientOptions, ConnectionOptions,
    OutcomeError, RetryPolicy,
};
use solo_otel::Metrics;
use solo_worker::Worker;
use support::{address, client_with, unique};

#[solo_macros::activity(crate = "solo_worker")]
async fn greet(name: String) -> Result<String, ActivityError> {
    Ok(format!("Hello, {name}!"))
}

#[solo_macros::activity(crate = "solo_worker")]
async fn refuse(_name: String) -> Result<String, ActivityError> {
    Err(ApplicationError::new("no").into())
}

/// One exported data point: metric name, instrument kind, unit, attributes, and the value (a
/// sum or gauge value, or a histogram's count).
#[derive(Debug)]
struct Point {
    name: String,
    /// `counter`, `gauge` or `histogram`, as Prometheus (and the Python SDK) names them.
    kind: &'static str,
    unit: String,
    attributes: BTreeMap<String, String>,
    value: u64,
}

/// Every data point of every instrument, whatever its number type.
fn points(exporter: &InMemoryMetricExporter) -> Vec<Point> {
    let mut out = Vec::new();
    for resource in exporter.get_finished_metrics().unwrap() {
        for scope in resource.scope_metrics() {
            for metric in scope.metrics() {
                let mut push = |kind: &'static str, attrs: Vec<(String, String)>, value: u64| {
                    out.push(Point {
                        name: metric.name().to_owned(),
                        kind,
                        unit: metric.unit().to_owned(),
                        attributes: attrs.into_iter().collect(),
                        value,
                    })
                };
                match metric.data() {
                    AggregatedMetrics::U64(data) => collect(data, |v| v, &mut push),
                    AggregatedMetrics::I64(data) => {
                        collect(data, |v| u64::try_from(v).unwrap_or(0), &mut push)
                    }
                    AggregatedMetrics::F64(data) => collect(data, |v| v.max(0.0) as u64, &mut push),
                }
            }
        }
    }
    out
}

/// The points of one instrument's data, with its kind.
fn collect<T: Copy>(
    data: &MetricData<T>,
    as_u64: impl Fn(T) -> u64,
    push: &mut impl FnMut(&'static str, Vec<(String, String)>, u64),
) {
    let attrs = |kvs: &mut dyn Iterator<Item = &opentelemetry::KeyValue>| {
        kvs.map(|kv| (kv.key.to_string(), kv.value.to_string()))
            .collect::<Vec<_>>()
    };
    match data {
        MetricData::Sum(sum) => {
            let kind = if sum.is_monotonic() {
                "counter"
            } else {
                "gauge"
            };
            for p in sum.data_points() {
                push(kind, attrs(&mut p.attributes()), as_u64(p.value()));
            }
        }
        MetricData::Gauge(gauge) => {
            for p in gauge.data_points() {
                push("gauge", attrs(&mut p.attributes()), as_u64(p.value()));
            }
        }
        MetricData::Histogram(histogram) => {
            for p in histogram.data_points() {
                push("histogram", attrs(&mut p.attributes()), p.count());
            }
        }
        MetricData::ExponentialHistogram(histogram) => {
            for p in histogram.data_points() {
                push("histogram", attrs(&mut p.attributes()), p.count() as u64);
            }
        }
    }
}

/// The largest value among the points named `name` whose attributes include `with`.
fn value(points: &[Point], name: &str, with: &[(&str, &str)]) -> Option<u64> {
    points
        .iter()
        .filter(|p| p.name == name)
        .filter(|p| {
            with.iter()
                .all(|(k, v)| p.attributes.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|p| p.value)
        .max()
}

/// A solo client and worker on a dev server, both recording into an in-memory exporter.
struct Recorded {
    exporter: InMemoryMetricExporter,
    provider: SdkMeterProvider,
    client: solo_client::Client,
    worker: Worker,
    running: tokio::task::JoinHandle<Result<(), solo_worker::WorkerError>>,
    task_queue: String,
}

impl Recorded {
    /// Starts a worker with `slots` slots on a fresh queue named after `prefix`.
    async fn start(address: String, prefix: &str, slots: usize) -> Self {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        let metrics = Metrics::new(&provider.meter("solo"));
        let task_queue = unique(prefix);
        let client = client_with(
            ConnectionOptions::new(address).observer(metrics.clone()),
            ClientOptions::new(),
        )
        .await;
        let worker = Worker::builder(client.clone(), &task_queue)
            .activity(greet)
            .activity(refuse)
            .max_concurrent_activities(slots)
            .interceptor(metrics)
            .build()
            .unwrap();
        let running = tokio::spawn(worker.clone().run());
        Recorded {
            exporter,
            provider,
            client,
            worker,
            running,
            task_queue,
        }
    }

    /// Runs one activity that succeeds and one that fails, one attempt each.
    async fn greet_and_refuse(&self) {
        let options = |prefix: &str| {
            ActivityOptions::new()
                .id(unique(prefix))
                .task_queue(&self.task_queue)
                .start_to_close_timeout(Duration::from_secs(10))
                .retry_policy(RetryPolicy::new().maximum_attempts(1))
        };
        let greeting: String = self
            .client
            .execute_activity(greet, "otel".to_owned(), options("greet"))
            .within("execute_activity")
            .await
            .unwrap();
        assert_eq!(greeting, "Hello, otel!");
        let refused = self
            .client
            .execute_activity(refuse, "otel".to_owned(), options("refuse"))
            .within("execute_activity")
            .await;
        assert!(
            matches!(refused, Err(OutcomeError::Failed { .. })),
            "{refused:?}"
        );
    }

    /// Collects while the worker runs (so that its gauges are reported), then stops it.
    async fn finish(self) -> Vec<Point> {
        self.provider.force_flush().unwrap();
        self.worker.shutdown().await;
        self.running.await.unwrap().unwrap();
        points(&self.exporter)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_exports_the_temporal_sdk_metrics() {
    let recorded = Recorded::start(address(), "otel-metrics", 7).await;
    let task_queue = recorded.task_queue.clone();
    let tq = task_queue.as_str();
    recorded.greet_and_refuse().await;
    let missing = recorded
        .client
        .get_activity_handle::<()>(unique("missing"), None)
        .describe()
        .await;
    assert!(
        matches!(missing, Err(CallError::NotFound { .. })),
        "{missing:?}"
    );
    let points = recorded.finish().await;
    let names: std::collections::BTreeSet<&str> = points.iter().map(|p| p.name.as_str()).collect();
    let ns = ("namespace", "default");
    let queue = ("task_queue", tq);

    // Requests, per RPC and attempt.
    let start = [ns, ("operation", "StartActivityExecution")];
    assert!(
        value(&points, "temporal_request", &start) >= Some(2),
        "{names:?}"
    );
    assert!(value(&points, "temporal_request_latency", &start) >= Some(2));
    let completed = [ns, ("operation", "RespondActivityTaskCompleted")];
    assert_eq!(value(&points, "temporal_request", &completed), Some(1));
    let failed = [ns, ("operation", "RespondActivityTaskFailed")];
    assert_eq!(value(&points, "temporal_request", &failed), Some(1));
    let not_found = [
        ns,
        ("operation", "DescribeActivityExecution"),
        ("status_code", "NOT_FOUND"),
    ];
    assert_eq!(
        value(&points, "temporal_request_failure", &not_found),
        Some(1)
    );
    // Task-queue polls are long requests, labelled with the queue.
    let poll = [ns, ("operation", "PollActivityTaskQueue"), queue];
    assert!(value(&points, "temporal_long_request", &poll) >= Some(2));
    assert!(value(&points, "temporal_long_request_latency", &poll) >= Some(2));

    // The worker and its activities.
    assert_eq!(
        value(&points, "temporal_worker_start", &[ns, queue]),
        Some(1)
    );
    assert_eq!(
        value(
            &points,
            "temporal_activity_schedule_to_start_latency",
            &[ns, queue]
        ),
        Some(2)
    );
    let greet_attrs = [ns, queue, ("activity_type", "greet"), ("workflow_type", "")];
    let refuse_attrs = [
        ns,
        queue,
        ("activity_type", "refuse"),
        ("workflow_type", ""),
    ];
    assert_eq!(
        value(&points, "temporal_activity_execution_latency", &greet_attrs),
        Some(1)
    );
    assert_eq!(
        value(
            &points,
            "temporal_activity_execution_latency",
            &refuse_attrs
        ),
        Some(1)
    );
    assert_eq!(
        value(
            &points,
            "temporal_activity_succeed_endtoend_latency",
            &greet_attrs
        ),
        Some(1)
    );
    assert_eq!(
        value(&points, "temporal_activity_execution_failed", &refuse_attrs),
        Some(1)
    );
    assert_eq!(
        value(&points, "temporal_activity_execution_failed", &greet_attrs),
        None
    );

    // Gauges.
    let activity_worker = [ns, queue, ("worker_type", "ActivityWorker")];
    let available = value(
        &points,
        "temporal_worker_task_slots_available",
        &activity_worker,
    );
    let used = value(&points, "temporal_worker_task_slots_used", &activity_worker);
    assert_eq!(
        available.zip(used).map(|(a, u)| a + u),
        Some(7),
        "{available:?} {used:?}"
    );
    let pollers = [ns, queue, ("poller_type", "activity_task")];
    assert!(value(&points, "temporal_num_pollers", &pollers) >= Some(1));

    // Durations are in milliseconds.
    for p in points.iter().filter(|p| p.name.ends_with("_latency")) {
        assert_eq!(p.unit, "ms", "{}", p.name);
    }
}

/// Metric name → the union of its attribute keys.
type Shape = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

/// Metric name → attribute key → the values seen.
type Values = BTreeMap<String, BTreeMap<String, std::collections::BTreeSet<String>>>;

/// Attributes whose values do not depend on the test's own names: compared value for value.
const SAME_VALUES: &[&str] = &[
    "namespace",
    "failure_reason",
    "poller_type",
    "worker_type",
    "workflow_type",
];

/// Attributes that name the test's own activities and queues: compared by how many values
/// each metric has.
const SAME_COUNT: &[&str] = &["activity_type", "task_queue"];

/// Operations solo's run records that the Python run cannot: the worker's `ShutdownWorker`
/// when it stops (the Python process is read before its worker stops).
const ONLY_SOLO_OPERATIONS: &[&str] = &["ShutdownWorker"];

/// Operations the Python run may record that solo's does not: the core SDK's periodic worker
/// heartbeat (`RecordWorkerHeartbeat`, sent on a timer, so present in some runs only), which
/// solo does not send.
const ONLY_PYTHON_OPERATIONS: &[&str] = &["RecordWorkerHeartbeat"];

/// Names solo exports that the Python SDK's run below cannot show: failures of calls (the
/// Python SDK exports them under these names once a call fails) and cancelled attempts (the
/// Go and Java SDKs' name).
const NOT_IN_THE_PYTHON_RUN: &[&str] = &[
    "temporal_request_failure",
    "temporal_long_request_failure",
    "temporal_activity_execution_cancelled",
];

#[test]
fn metric_names_and_attributes_match_the_python_sdk() {
    // A server of our own whose idle long polls end after 2 s, so that both workers see
    // empty polls (`temporal_activity_poll_no_task`) within the test. (Started outside the
    // runtime: the fixture waits for it synchronously.)
    let server = solo_testing::DevServer::start_with(solo_testing::DevServerOptions {
        dynamic_config: vec!["matching.longPollExpirationInterval=\"2s\"".to_owned()],
        ..Default::default()
    })
    .expect("start a dev server");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(compare_with_python(server.address()));
}

async fn compare_with_python(address: String) {
    // The Python SDK: a worker and client in one process, read from its Prometheus endpoint.
    let port = solo_testing::dev_server::free_port().unwrap();
    let python_queue = unique("py-metrics");
    let py_address = address.clone();
    let output = tokio::task::spawn_blocking(move || {
        solo_testing::output_within(
            std::process::Command::new(solo_interop_tests::python::python())
                .current_dir(solo_interop_tests::python::interop_dir())
                .args(["py_metrics.py", "--address", &py_address])
                .args(["--task-queue", &python_queue])
                .args(["--prometheus-port", &port.to_string()])
                .args(["--idle-seconds", "4"]),
            std::time::Duration::from_secs(120),
        )
        .expect("run py_metrics.py within 120 s")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "py_metrics.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let python: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("py_metrics.py prints one JSON object");
    let mut python_shape = Shape::new();
    let mut python_kinds = BTreeMap::new();
    let mut python_values = Values::new();
    for (name, metric) in python.as_object().expect("an object of metrics") {
        python_kinds.insert(name.clone(), metric["type"].as_str().unwrap().to_owned());
        for (key, values) in metric["values"].as_object().expect("label values") {
            python_values.entry(name.clone()).or_default().insert(
                key.clone(),
                values
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect(),
            );
        }
        let keys = metric["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            // The Python SDK's `service_name` label is the OpenTelemetry resource's
            // `service.name` here, set by the application on its meter provider.
            .filter(|k| k != "service_name")
            .collect();
        python_shape.insert(name.clone(), keys);
    }

    // solo: the same work (one activity that succeeds, one that fails), then idle polls.
    let recorded = Recorded::start(
        address,
        "solo-metrics",
        solo_worker::DEFAULT_MAX_CONCURRENT_ACTIVITIES,
    )
    .await;
    recorded.greet_and_refuse().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let points = recorded.finish().await;
    let mut solo_shape = Shape::new();
    let mut solo_kinds = BTreeMap::new();
    let mut solo_values = Values::new();
    for point in &points {
        solo_shape
            .entry(point.name.clone())
            .or_default()
            .extend(point.attributes.keys().cloned());
        let kind = solo_kinds.entry(point.name.clone()).or_insert(point.kind);
        assert_eq!(
            *kind, point.kind,
            "{}: one kind for every point",
            point.name
        );
        for (key, value) in &point.attributes {
            solo_values
                .entry(point.name.clone())
                .or_default()
                .entry(key.clone())
                .or_default()
                .insert(value.clone());
        }
    }

    let python_names: Vec<&String> = python_shape.keys().collect();
    assert!(
        python_names.len() >= 13,
        "the Python run exported too little to compare: {python_names:?}"
    );
    for (name, keys) in &python_shape {
        assert_eq!(
            solo_shape.get(name),
            Some(keys),
            "{name}: solo's attribute keys against the Python SDK's"
        );
    }
    for name in solo_shape.keys() {
        assert!(
            python_shape.contains_key(name) || NOT_IN_THE_PYTHON_RUN.contains(&name.as_str()),
            "solo exports {name}, which the Python SDK does not"
        );
    }
    // The same kind of instrument, and the same attribute values, as the Python SDK.
    for (name, kind) in &python_kinds {
        assert_eq!(
            solo_kinds.get(name).copied(),
            Some(kind.as_str()),
            "{name}: solo's instrument kind against the Python SDK's"
        );
        let (python, solo) = (&python_values[name], &solo_values[name]);
        for (key, python_set) in python {
            if key == "service_name" {
                continue;
            }
            let solo_set = &solo[key];
            if SAME_VALUES.contains(&key.as_str()) {
                assert_eq!(solo_set, python_set, "{name}: values of {key}");
            } else if SAME_COUNT.contains(&key.as_str()) {
                assert_eq!(
                    solo_set.len(),
                    python_set.len(),
                    "{name}: how many {key} values ({solo_set:?} against {python_set:?})"
                );
            } else if key == "operation" {
                let extra: Vec<_> = solo_set
                    .difference(python_set)
                    .filter(|op| !ONLY_SOLO_OPERATIONS.contains(&op.as_str()))
                    .collect();
                let missing: Vec<_> = python_set
                    .difference(solo_set)
                    .filter(|op| !ONLY_PYTHON_OPERATIONS.contains(&op.as_str()))
                    .collect();
                assert!(
                    extra.is_empty() && missing.is_empty(),
                    "{name}: operations only solo records {extra:?}, only Python records {missing:?}"
                );
            } else {
                panic!("{name}: attribute {key} is not compared; add it to a list above");
            }
        }
    }
    let failed_reason = value(
        &points,
        "temporal_activity_execution_failed",
        &[("failure_reason", "ActivityError")],
    );
    assert_eq!(failed_reason, Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn activities_scheduled_by_a_workflow_are_counted_under_its_workflow_type() {
    let recorded = Recorded::start(address(), "otel-metrics-wf", 2).await;
    let task_queue = recorded.task_queue.clone();
    let answer = PyWorkflow::new(&unique("metrics-wf"), "greet", &task_queue)
        .arg("workflow".into())
        .run()
        .await;
    assert_eq!(py_result(&answer), "Hello, workflow!", "{answer}");
    let points = recorded.finish().await;
    let attrs = [
        ("namespace", "default"),
        ("task_queue", task_queue.as_str()),
        ("activity_type", "greet"),
        ("workflow_type", PY_WORKFLOW_TYPE),
    ];
    for name in [
        "temporal_activity_execution_latency",
        "temporal_activity_succeed_endtoend_latency",
    ] {
        assert_eq!(value(&points, name, &attrs), Some(1), "{name}");
    }
    let standalone = [("activity_type", "greet"), ("workflow_type", "")];
    assert_eq!(
        value(&points, "temporal_activity_execution_latency", &standalone),
        None
    );
}

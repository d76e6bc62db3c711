//! The fields of the client's and the worker's spans, as a plain `tracing` subscriber records
//! them (no OpenTelemetry involved), and logs from activity code carried inside the attempt's
//! span — for standalone activities and for activities a (Python) workflow scheduled.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use solo_interop_tests::{PY_WORKFLOW_TYPE, PyWorkflow, Within, py_result};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use solo_client::{
    ActivityError, ActivityOptions, ApplicationError, ClientOptions, ConnectionOptions, RetryPolicy,
};
use solo_worker::{ActivityContext, Worker};
use support::{address, client_with, unique};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};

type Fields = BTreeMap<String, String>;

/// A span as recorded: its name and fields (updated by `record`).
#[derive(Debug, Clone)]
struct Recorded {
    name: &'static str,
    fields: Fields,
}

#[derive(Default)]
struct Store {
    spans: Mutex<BTreeMap<u64, Recorded>>,
    /// Events with the fields of the span they were logged in.
    events: Mutex<Vec<(Fields, Fields)>>,
}

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

struct Capture(Arc<Store>);

impl<S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>> Layer<S>
    for Capture
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut Visitor(&mut fields));
        self.0.spans.lock().unwrap().insert(
            id.into_u64(),
            Recorded {
                name: attrs.metadata().name(),
                fields,
            },
        );
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some(span) = self.0.spans.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Visitor(&mut span.fields));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        event.record(&mut Visitor(&mut fields));
        let span_fields = ctx
            .event_span(event)
            .and_then(|s| {
                self.0
                    .spans
                    .lock()
                    .unwrap()
                    .get(&s.id().into_u64())
                    .cloned()
            })
            .map(|s| s.fields)
            .unwrap_or_default();
        self.0.events.lock().unwrap().push((fields, span_fields));
    }
}

fn store() -> &'static Arc<Store> {
    static STORE: OnceLock<Arc<Store>> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = Arc::new(Store::default());
        let subscriber = tracing_subscriber::registry().with(Capture(store.clone()));
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber per binary");
        store
    })
}

/// The recorded spans named `name` whose field `key` is `value`.
fn spans_with(name: &str, key: &str, value: &str) -> Vec<Fields> {
    store()
        .spans
        .lock()
        .unwrap()
        .values()
        .filter(|s| s.name == name && s.fields.get(key).map(String::as_str) == Some(value))
        .map(|s| s.fields.clone())
        .collect()
}

#[solo_macros::activity(crate = "solo_worker")]
async fn chatty(name: String, ctx: ActivityContext) -> Result<String, ActivityError> {
    tracing::info!(step = "async", "working on {name}");
    let span = ctx.span().clone();
    std::thread::spawn(move || {
        let _entered = span.enter();
        tracing::info!(step = "thread", "from another thread");
    })
    .join()
    .map_err(|_| ActivityError::from_message("the thread panicked"))?;
    if name == "fail" {
        return Err(ApplicationError::new("asked to fail").into());
    }
    Ok(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn client_calls_and_attempts_run_in_spans_with_their_fields() {
    store();
    let task_queue = unique("otel-spans");
    let client = client_with(ConnectionOptions::new(address()), ClientOptions::new()).await;
    let worker = Worker::builder(client.clone(), &task_queue)
        .activity(chatty)
        .build()
        .unwrap();
    let running = tokio::spawn(worker.clone().run());
    let ok_id = unique("spans-ok");
    let handle = client
        .start_activity(
            chatty,
            "ok".to_owned(),
            ActivityOptions::new()
                .id(&ok_id)
                .task_queue(&task_queue)
                .start_to_close_timeout(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    let run_id = handle.run_id().unwrap().to_owned();
    assert_eq!(handle.result().within("result").await.unwrap(), "ok");
    let fail_id = unique("spans-fail");
    let failed = client
        .execute_activity(
            chatty,
            "fail".to_owned(),
            ActivityOptions::new()
                .id(&fail_id)
                .task_queue(&task_queue)
                .start_to_close_timeout(Duration::from_secs(10))
                .retry_policy(RetryPolicy::new().maximum_attempts(1)),
        )
        .within("execute_activity")
        .await;
    assert!(failed.is_err());
    worker.shutdown().await;
    running.await.unwrap().unwrap();

    // The attempt's span.
    let attempts = spans_with("activity", "activity_id", &ok_id);
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    let attempt = &attempts[0];
    for (key, value) in [
        ("namespace", "default"),
        ("task_queue", task_queue.as_str()),
        ("activity_type", "chatty"),
        ("attempt", "1"),
        ("run_id", run_id.as_str()),
        ("outcome", "completed"),
    ] {
        assert_eq!(
            attempt.get(key).map(String::as_str),
            Some(value),
            "{key}: {attempt:?}"
        );
    }
    for key in ["workflow_id", "workflow_run_id", "workflow_type"] {
        assert_eq!(attempt.get(key), None, "{key}: {attempt:?}");
    }
    let failed_attempt = &spans_with("activity", "activity_id", &fail_id)[0];
    assert_eq!(failed_attempt["outcome"], "failed");

    // The client's spans.
    let starts = spans_with("activity_call", "activity_id", &ok_id);
    let start = starts
        .iter()
        .find(|s| s["operation"] == "StartActivityExecution")
        .unwrap_or_else(|| panic!("{starts:?}"));
    for (key, value) in [
        ("namespace", "default"),
        ("task_queue", task_queue.as_str()),
        ("activity_type", "chatty"),
        ("run_id", run_id.as_str()),
        ("outcome", "ok"),
    ] {
        assert_eq!(
            start.get(key).map(String::as_str),
            Some(value),
            "{key}: {start:?}"
        );
    }
    let result = starts
        .iter()
        .find(|s| s["operation"] == "PollActivityExecution")
        .unwrap_or_else(|| panic!("{starts:?}"));
    assert_eq!(result["outcome"], "ok");
    let failed_result = spans_with("activity_call", "activity_id", &fail_id)
        .into_iter()
        .find(|s| s["operation"] == "PollActivityExecution")
        .unwrap();
    assert_eq!(failed_result["outcome"], "failed");

    // Logs from the activity, in its task and on its own thread, carry the attempt's fields.
    let events = store().events.lock().unwrap();
    for step in ["async", "thread"] {
        let (_, span) = events
            .iter()
            .find(|(e, s)| {
                e.get("step").map(String::as_str) == Some(step)
                    && s.get("activity_id") == Some(&ok_id)
            })
            .unwrap_or_else(|| panic!("no `{step}` event inside the attempt's span"));
        assert_eq!(span["activity_type"], "chatty");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attempt_scheduled_by_a_workflow_is_named_by_its_workflow_in_its_span() {
    store();
    let task_queue = unique("otel-spans-wf");
    let client = client_with(ConnectionOptions::new(address()), ClientOptions::new()).await;
    let worker = Worker::builder(client.clone(), &task_queue)
        .activity(chatty)
        .build()
        .unwrap();
    let running = tokio::spawn(worker.clone().run());
    let workflow = PyWorkflow::new(&unique("spans-wf"), "chatty", &task_queue).arg("wf".into());
    let answer = workflow.run().await;
    worker.shutdown().await;
    running.await.unwrap().unwrap();
    assert_eq!(py_result(&answer), "wf", "{answer}");

    let attempts = spans_with("activity", "workflow_id", workflow.workflow_id());
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    let attempt = &attempts[0];
    for (key, value) in [
        ("namespace", "default"),
        ("task_queue", task_queue.as_str()),
        ("activity_type", "chatty"),
        ("attempt", "1"),
        ("workflow_run_id", answer["run_id"].as_str().unwrap()),
        ("workflow_type", PY_WORKFLOW_TYPE),
        ("outcome", "completed"),
    ] {
        assert_eq!(
            attempt.get(key).map(String::as_str),
            Some(value),
            "{key}: {attempt:?}"
        );
    }
    assert!(!attempt["activity_id"].is_empty(), "{attempt:?}");
    assert_eq!(attempt.get("run_id"), None, "no run_id: {attempt:?}");

    // The activity's logs carry the workflow's fields.
    let events = store().events.lock().unwrap();
    let (_, span) = events
        .iter()
        .find(|(e, s)| {
            e.get("step").map(String::as_str) == Some("thread")
                && s.get("workflow_id").map(String::as_str) == Some(workflow.workflow_id())
        })
        .unwrap_or_else(|| panic!("no `thread` event inside the workflow attempt's span"));
    assert_eq!(span["workflow_type"], PY_WORKFLOW_TYPE);
}

//! Starting activities: typed and by-name calls, the options on the wire, id policies,
//! interceptors, and the errors a start can end with. (Search attributes and a namespace
//! without start delays need a server of their own: see `own_server.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use solo_client::{
    Activity, ActivityOptions, CallError, ClientInterceptor, ClientOptions, IdConflictPolicy,
    IdReusePolicy, Priority, RetryPolicy, StartError,
};
use solo_client::{encoding_of, from_payload};
use solo_proto::temporal::api::workflowservice::v1::StartActivityExecutionRequest;
use support::{Reply, client, client_with, start_worker, unique, within};
use tonic::metadata::MetadataMap;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct ComposeGreetingInput {
    greeting: String,
    name: String,
}

struct ComposeGreeting;

impl Activity for ComposeGreeting {
    type Input = ComposeGreetingInput;
    type Output = String;
    fn name(&self) -> &str {
        "compose_greeting"
    }
}

/// An activity without arguments, answering how many payloads it received.
struct CountArgs;

impl Activity for CountArgs {
    type Input = ();
    type Output = usize;
    fn name(&self) -> &str {
        "count_args"
    }
}

fn hello() -> ComposeGreetingInput {
    ComposeGreetingInput {
        greeting: "Hello".into(),
        name: "World".into(),
    }
}

fn options(id: &str, task_queue: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(id)
        .task_queue(task_queue)
        .start_to_close_timeout(Duration::from_secs(10))
}

/// Serves `compose_greeting` (checking that the input is the JSON a Python dataclass makes),
/// `count_args` and `add`.
async fn greeter(task_queue: &str) -> support::TestWorker {
    start_worker(task_queue, |task| async move {
        match task.activity_type() {
            "compose_greeting" => {
                let input = task.input();
                assert_eq!(input.len(), 1);
                assert_eq!(encoding_of(&input[0]), "json/plain");
                assert_eq!(
                    &input[0].data[..],
                    br#"{"greeting":"Hello","name":"World"}"#
                );
                let i: ComposeGreetingInput = task.arg(0);
                Reply::value(&format!("{}, {}!", i.greeting, i.name))
            }
            "count_args" => Reply::value(&task.input().len()),
            "add" => {
                let sum: i64 = (0..task.input().len()).map(|i| task.arg::<i64>(i)).sum();
                Reply::value(&sum)
            }
            other => panic!("unexpected activity {other}"),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_activity_returns_the_result_of_python_shaped_json() {
    let client = client().await;
    let tq = unique("tq");
    let _worker = greeter(&tq).await;
    let result = within(
        "execute_activity",
        client.execute_activity(ComposeGreeting, hello(), options(&unique("greet"), &tq)),
    )
    .await
    .unwrap();
    assert_eq!(result, "Hello, World!");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_activity_returns_a_handle_bound_to_the_run() {
    let client = client().await;
    let tq = unique("tq");
    let id = unique("greet");
    let _worker = greeter(&tq).await;
    let handle = within(
        "start",
        client.start_activity(ComposeGreeting, hello(), options(&id, &tq)),
    )
    .await
    .unwrap();
    assert_eq!(handle.id(), id);
    let run_id = handle.run_id().expect("a run id").to_owned();
    assert!(uuid::Uuid::parse_str(&run_id).is_ok(), "{run_id}");
    assert_eq!(
        within("result", handle.result()).await.unwrap(),
        "Hello, World!"
    );

    // A handle made from the ids alone reads the same outcome.
    let by_run = client.get_activity_handle::<String>(&id, Some(run_id.clone()));
    assert_eq!(by_run.run_id(), Some(run_id.as_str()));
    assert_eq!(
        within("result", by_run.result()).await.unwrap(),
        "Hello, World!"
    );
    let latest = client.get_activity_handle::<String>(&id, None);
    assert_eq!(latest.run_id(), None);
    assert_eq!(
        within("result", latest.result()).await.unwrap(),
        "Hello, World!"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_by_name_send_one_payload_per_argument() {
    let client = client().await;
    let tq = unique("tq");
    let _worker = greeter(&tq).await;
    let sum: i64 = within(
        "add",
        client.execute_activity_by_name("add", (2, 3), options(&unique("add"), &tq)),
    )
    .await
    .unwrap();
    assert_eq!(sum, 5);
    let sum: i64 = within(
        "add",
        client.execute_activity_by_name("add", vec![1, 2, 3, 4], options(&unique("add"), &tq)),
    )
    .await
    .unwrap();
    assert_eq!(sum, 10);
    let none: usize = within(
        "count",
        client.execute_activity_by_name("count_args", (), options(&unique("count"), &tq)),
    )
    .await
    .unwrap();
    assert_eq!(none, 0);
    // A JSON object by name is what a Python activity taking a dataclass expects.
    let greeting: String = within(
        "greet by name",
        client.execute_activity_by_name(
            "compose_greeting",
            (serde_json::json!({"greeting": "Hello", "name": "World"}),),
            options(&unique("greet"), &tq),
        ),
    )
    .await
    .unwrap();
    assert_eq!(greeting, "Hello, World!");
    // A typed activity with `()` input sends no payload at all.
    let typed_none = within(
        "typed unit",
        client.execute_activity(CountArgs, (), options(&unique("count"), &tq)),
    )
    .await
    .unwrap();
    assert_eq!(typed_none, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_id_is_already_started_unless_use_existing() {
    let client = client().await;
    let tq = unique("no-worker");
    let id = unique("dup");
    let first = client
        .start_activity(ComposeGreeting, hello(), options(&id, &tq))
        .await
        .unwrap();
    let err = client
        .start_activity(ComposeGreeting, hello(), options(&id, &tq))
        .await
        .unwrap_err();
    match &err {
        StartError::AlreadyStarted {
            activity_id,
            run_id,
        } => {
            assert_eq!(activity_id, &id);
            assert_eq!(run_id.as_deref(), first.run_id());
        }
        other => panic!("expected AlreadyStarted, got {other:?}"),
    }
    assert!(err.is_already_started());

    let attached = client
        .start_activity(
            ComposeGreeting,
            hello(),
            options(&id, &tq).id_conflict_policy(IdConflictPolicy::UseExisting),
        )
        .await
        .unwrap();
    assert_eq!(attached.run_id(), first.run_id());
    first.terminate("test done").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_id_is_reused_unless_reject_duplicate() {
    let client = client().await;
    let tq = unique("tq");
    let id = unique("reuse");
    let _worker = greeter(&tq).await;
    let first = client
        .start_activity(ComposeGreeting, hello(), options(&id, &tq))
        .await
        .unwrap();
    within("first run", first.result()).await.unwrap();

    let err = client
        .start_activity(
            ComposeGreeting,
            hello(),
            options(&id, &tq).id_reuse_policy(IdReusePolicy::RejectDuplicate),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StartError::AlreadyStarted { run_id, .. } if run_id.as_deref() == first.run_id()),
        "{err:?}"
    );

    let err = client
        .start_activity(
            ComposeGreeting,
            hello(),
            options(&id, &tq).id_reuse_policy(IdReusePolicy::AllowDuplicateFailedOnly),
        )
        .await
        .unwrap_err();
    assert!(err.is_already_started(), "{err:?}");

    let second = client
        .start_activity(ComposeGreeting, hello(), options(&id, &tq))
        .await
        .unwrap();
    assert_ne!(second.run_id(), first.run_id());
    within("second run", second.result()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_option_reaches_the_server() {
    let client = client().await;
    let tq = unique("no-worker");
    let id = unique("opts");
    let opts = ActivityOptions::new()
        .id(&id)
        .task_queue(&tq)
        .schedule_to_close_timeout(Duration::from_secs(300))
        .start_to_close_timeout(Duration::from_secs(20))
        .schedule_to_start_timeout(Duration::from_secs(200))
        .heartbeat_timeout(Duration::from_secs(7))
        .retry_policy(
            RetryPolicy::new()
                .initial_interval(Duration::from_secs(2))
                .backoff_coefficient(3.0)
                .maximum_interval(Duration::from_secs(30))
                .maximum_attempts(4)
                .non_retryable_error_type("Fatal"),
        )
        .summary("a short summary")
        .details("longer details")
        .priority(Priority::new().priority_key(3));
    let handle = client
        .start_activity(ComposeGreeting, hello(), opts)
        .await
        .unwrap();
    let d = within("describe", handle.describe()).await.unwrap();
    assert_eq!(d.activity_id, id);
    assert_eq!(d.activity_type, "compose_greeting");
    assert_eq!(d.task_queue, tq);
    assert_eq!(d.schedule_to_close_timeout, Some(Duration::from_secs(300)));
    assert_eq!(d.start_to_close_timeout, Some(Duration::from_secs(20)));
    assert_eq!(d.schedule_to_start_timeout, Some(Duration::from_secs(200)));
    assert_eq!(d.heartbeat_timeout, Some(Duration::from_secs(7)));
    let rp = d.retry_policy.expect("a retry policy");
    assert_eq!(rp.initial_interval, Some(Duration::from_secs(2)));
    assert_eq!(rp.backoff_coefficient, Some(3.0));
    assert_eq!(rp.maximum_interval, Some(Duration::from_secs(30)));
    assert_eq!(rp.maximum_attempts, Some(4));
    assert_eq!(rp.non_retryable_error_types, vec!["Fatal".to_owned()]);
    assert_eq!(d.summary.as_deref(), Some("a short summary"));
    assert_eq!(d.details.as_deref(), Some("longer details"));
    assert_eq!(d.priority.and_then(|p| p.priority_key), Some(3));
    handle.terminate("test done").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_delay_is_honoured_where_supported() {
    let client = client().await;
    let tq = unique("no-worker");
    let handle = client
        .start_activity(
            ComposeGreeting,
            hello(),
            options(&unique("delayed"), &tq).start_delay(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    let d = within("describe", handle.describe()).await.unwrap();
    assert_eq!(d.start_delay, Some(Duration::from_secs(30)));
    let scheduled = d.schedule_time.expect("a schedule time");
    let execution = d.execution_time.expect("an execution time");
    assert_eq!(
        execution.duration_since(scheduled).unwrap(),
        Duration::from_secs(30)
    );
    handle.terminate("test done").await.unwrap();
}

/// Records the calls it sees and adds a header to every start.
#[derive(Default, Clone)]
struct Recorder {
    methods: Arc<Mutex<Vec<String>>>,
}

impl ClientInterceptor for Recorder {
    fn on_call(&self, method: &str, metadata: &mut MetadataMap) {
        assert_eq!(
            metadata.get("temporal-namespace").unwrap(),
            support::NAMESPACE
        );
        self.methods.lock().unwrap().push(method.to_owned());
    }

    fn on_start_activity(
        &self,
        request: &mut StartActivityExecutionRequest,
        _metadata: &mut MetadataMap,
    ) {
        let payload = solo_client::to_payload("from-interceptor").unwrap();
        request
            .header
            .get_or_insert_default()
            .fields
            .insert("tenant".into(), payload);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_interceptors_reach_the_worker() {
    let recorder = Recorder::default();
    let client = client_with(ClientOptions::new().interceptor(recorder.clone())).await;
    let tq = unique("tq");
    let _worker = start_worker(&tq, |task| async move {
        let header = |name: &str| {
            task.header(name)
                .map(|p| from_payload::<String>(&p).unwrap())
                .unwrap_or_default()
        };
        Reply::value(&format!("{}/{}", header("tenant"), header("trace")))
    })
    .await;
    let seen: String = within(
        "execute",
        client.execute_activity_by_name(
            "echo_headers",
            (),
            options(&unique("headers"), &tq).header("trace", "abc-123"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(seen, "from-interceptor/abc-123");
    let methods = recorder.methods.lock().unwrap().clone();
    assert_eq!(methods[0], "StartActivityExecution");
    assert!(
        methods[1..].iter().all(|m| m == "PollActivityExecution"),
        "{methods:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_options_fail_before_any_call() {
    let recorder = Recorder::default();
    let client = client_with(ClientOptions::new().interceptor(recorder.clone())).await;
    let zero = ActivityOptions::new()
        .id("id")
        .task_queue("tq")
        .start_to_close_timeout(Duration::ZERO);
    let err = client
        .start_activity(ComposeGreeting, hello(), zero)
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::InvalidOptions(_)), "{err:?}");
    assert!(err.to_string().contains("timeout"), "{err}");
    let err = client
        .start_activity_by_name::<()>("", (), options("id", "tq"))
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::InvalidOptions(_)), "{err:?}");
    let mut bad: HashMap<Vec<u8>, u8> = HashMap::new();
    bad.insert(vec![1], 1);
    let err = client
        .start_activity_by_name::<()>("x", (bad,), options("id", "tq"))
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::Data(_)), "{err:?}");
    assert!(recorder.methods.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_namespace_is_reported_as_such() {
    let ns = unique("no-such-namespace");
    let client = client_with(ClientOptions::new().namespace(&ns)).await;
    assert_eq!(client.namespace(), ns);
    let err = client
        .start_activity(ComposeGreeting, hello(), options(&unique("x"), "tq"))
        .await
        .unwrap_err();
    match &err {
        StartError::Call(CallError::NamespaceNotFound { namespace }) => assert_eq!(namespace, &ns),
        other => panic!("expected NamespaceNotFound, got {other:?}"),
    }
    assert!(err.is_not_found());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_start_carries_the_code_and_the_servers_message() {
    let client = client().await;
    let err = client
        .start_activity(
            ComposeGreeting,
            hello(),
            options(&unique("bad-sa"), "tq").search_attribute("NoSuchAttribute", "x"),
        )
        .await
        .unwrap_err();
    let rpc = err
        .rpc()
        .unwrap_or_else(|| panic!("expected Rejected, got {err:?}"));
    assert!(matches!(err, StartError::Call(CallError::Rejected(_))));
    assert_eq!(rpc.code(), tonic::Code::InvalidArgument);
    assert!(rpc.message().contains("NoSuchAttribute"), "{rpc}");
    let text = err.to_string();
    assert!(text.contains("INVALID_ARGUMENT"), "{text}");
    assert!(!text.contains("Status {"), "{text}");
}

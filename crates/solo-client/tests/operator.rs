//! Operator commands (pause, unpause, reset, update and restore options), listing one page at
//! a time, per-call options and the cached result, on the shared dev server (whose fixture
//! turns the operator commands on).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use solo_client::{
    ActivityOptions, ActivityOptionsUpdate, ActivityRunState, ActivityStatus, CallError,
    CallOptions, Client, ClientInterceptor, ClientOptions, Connection, ConnectionOptions,
    ListOptions, ResetOptions, RetryPolicy, UnpauseOptions,
};
use solo_connect::GrpcService;
use support::{Reply, address, application_failure, client, eventually, start_worker, unique};
use tonic::metadata::MetadataMap;

fn options(task_queue: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(unique("op"))
        .task_queue(task_queue)
        .start_to_close_timeout(Duration::from_secs(30))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_update_restore_reset_and_unpause_an_activity_waiting_for_a_worker() {
    let client = client().await;
    let tq = unique("no-worker");
    let handle = client
        .start_activity_by_name::<()>("waits", (), options(&tq))
        .await
        .unwrap();

    handle.pause("maintenance").await.unwrap();
    let d = handle.describe().await.unwrap();
    assert_eq!(d.status, ActivityStatus::Paused);
    assert_eq!(d.run_state, Some(ActivityRunState::Paused));

    // List rows show the paused status, and the query can select it.
    let row = eventually("the paused activity is listed", || async {
        let page = client
            .list_activities_page(
                format!(
                    "ActivityId = '{}' AND ExecutionStatus = 'Paused'",
                    handle.id()
                ),
                None,
            )
            .await
            .unwrap();
        page.executions.into_iter().next()
    })
    .await;
    assert_eq!(row.status, ActivityStatus::Paused);

    // Only what the update sets changes.
    let now = handle
        .update_options(
            ActivityOptionsUpdate::new()
                .heartbeat_timeout(Duration::from_secs(7))
                .retry_policy(RetryPolicy::new().maximum_attempts(5)),
        )
        .await
        .unwrap();
    assert_eq!(now.heartbeat_timeout, Some(Duration::from_secs(7)));
    assert_eq!(now.start_to_close_timeout, Some(Duration::from_secs(30)));
    assert_eq!(now.task_queue, tq);
    let d = handle.describe().await.unwrap();
    assert_eq!(d.heartbeat_timeout, Some(Duration::from_secs(7)));
    assert_eq!(d.retry_policy.unwrap().maximum_attempts, Some(5));
    assert_eq!(now.retry_policy.unwrap().maximum_attempts, Some(5));
    assert_eq!(
        d.status,
        ActivityStatus::Paused,
        "an update keeps the pause"
    );

    let original = handle.restore_original_options().await.unwrap();
    assert_eq!(original.heartbeat_timeout, None);
    let d = handle.describe().await.unwrap();
    assert!(
        d.heartbeat_timeout.unwrap_or_default().is_zero(),
        "{:?}",
        d.heartbeat_timeout
    );
    assert_eq!(d.retry_policy.unwrap().maximum_attempts, None);

    // An empty update is refused before anything is sent.
    let err = handle
        .update_options(ActivityOptionsUpdate::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.rpc().map(|e| e.code()),
        Some(tonic::Code::InvalidArgument)
    );
    assert!(
        err.to_string().contains("restore_original_options"),
        "{err}"
    );

    handle
        .reset(ResetOptions::new().keep_paused(true))
        .await
        .unwrap();
    let d = handle.describe().await.unwrap();
    assert_eq!(
        d.status,
        ActivityStatus::Paused,
        "keep_paused keeps it paused"
    );

    handle
        .unpause(UnpauseOptions::new().reason("maintenance over"))
        .await
        .unwrap();
    let d = handle.describe().await.unwrap();
    assert_eq!(d.status, ActivityStatus::Running);
    assert_eq!(d.run_state, Some(ActivityRunState::Scheduled));
    handle.terminate("test done").await.unwrap();

    // On a closed activity the commands are refused.
    let err = handle.pause("too late").await.unwrap_err();
    assert!(
        !matches!(err, CallError::OperatorCommandsUnsupported { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpause_with_reset_attempts_starts_again_from_attempt_one() {
    let client = client().await;
    let tq = unique("flaky");
    let release = Arc::new(AtomicBool::new(false));
    let gate = release.clone();
    let _worker = start_worker(&tq, move |task| {
        let release = gate.load(Ordering::SeqCst);
        async move {
            let attempt = task.task.attempt;
            if release {
                Reply::value(&attempt)
            } else {
                Reply::fail(application_failure("not yet", "Flaky", false, Vec::new()))
            }
        }
    })
    .await;
    let handle = client
        .start_activity_by_name::<i32>(
            "flaky",
            (),
            options(&tq).retry_policy(
                RetryPolicy::new()
                    .initial_interval(Duration::from_millis(100))
                    .backoff_coefficient(1.0),
            ),
        )
        .await
        .unwrap();
    eventually("a few attempts failed", || async {
        (handle.describe().await.unwrap().attempt >= 3).then_some(())
    })
    .await;
    handle.pause("too flaky").await.unwrap();
    let paused = eventually("the activity is paused", || async {
        let d = handle.describe().await.unwrap();
        (d.status == ActivityStatus::Paused).then_some(d)
    })
    .await;
    assert!(paused.attempt >= 3, "{}", paused.attempt);
    release.store(true, Ordering::SeqCst);
    handle
        .unpause(UnpauseOptions::new().reset_attempts(true))
        .await
        .unwrap();
    assert_eq!(handle.result().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_can_be_paged_by_hand() {
    let client = client().await;
    let tq = unique("paged");
    let mut handles = Vec::new();
    for _ in 0..3 {
        handles.push(
            client
                .start_activity_by_name::<()>("paged", (), options(&tq))
                .await
                .unwrap(),
        );
    }
    let query = format!("TaskQueue = '{tq}'");
    eventually("all three are indexed", || async {
        (client.count_activities(query.as_str()).await.unwrap().count == 3).then_some(())
    })
    .await;
    let first = client
        .list_activities_page(ListOptions::new(query.as_str()).page_size(2), None)
        .await
        .unwrap();
    assert_eq!(first.executions.len(), 2);
    let token = first.next_page_token.clone().expect("a second page");
    let second = client
        .list_activities_page(ListOptions::new(query.as_str()).page_size(2), Some(token))
        .await
        .unwrap();
    assert_eq!(second.executions.len(), 1);
    assert_eq!(second.next_page_token, None);
    let mut ids: Vec<_> = first
        .executions
        .iter()
        .chain(&second.executions)
        .map(|e| e.activity_id.clone())
        .collect();
    ids.sort();
    let mut expected: Vec<_> = handles.iter().map(|h| h.id().to_owned()).collect();
    expected.sort();
    assert_eq!(ids, expected);
    for handle in handles {
        handle.terminate("test done").await.unwrap();
    }
}

/// Records the calls the interceptors see.
#[derive(Clone, Default)]
struct Methods(Arc<Mutex<Vec<String>>>);

impl ClientInterceptor for Methods {
    fn on_call(&self, method: &str, _metadata: &mut MetadataMap) {
        self.0.lock().unwrap().push(method.to_owned());
    }
}

impl Methods {
    fn count(&self, method: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|m| *m == method)
            .count()
    }
}

/// What a connection layer saw of each call: method, `grpc-timeout`, `x-team`.
type Seen = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

async fn recording_client(seen: &Seen, methods: &Methods) -> Client {
    let log = seen.clone();
    let layer = tower::layer::layer_fn(move |inner: GrpcService| {
        let log = log.clone();
        tower::ServiceBuilder::new()
            .map_request(move |r: http::Request<tonic::body::Body>| {
                let header = |name: &str| {
                    r.headers()
                        .get(name)
                        .map(|v| v.to_str().unwrap().to_owned())
                };
                let method = r.uri().path().rsplit('/').next().unwrap().to_owned();
                log.lock()
                    .unwrap()
                    .push((method, header("grpc-timeout"), header("x-team")));
                r
            })
            .service(inner)
    });
    let connection = Connection::connect(ConnectionOptions::new(address()).layer(layer))
        .await
        .unwrap();
    Client::new(
        connection,
        ClientOptions::new().interceptor(methods.clone()),
    )
}

fn seen_for(seen: &Seen, method: &str) -> Vec<(Option<String>, Option<String>)> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(m, _, _)| m == method)
        .map(|(_, t, h)| (t.clone(), h.clone()))
        .collect()
}

/// The `grpc-timeout` tonic writes for `timeout`.
fn grpc_timeout(timeout: Duration) -> String {
    let mut request = tonic::Request::new(());
    request.set_timeout(timeout);
    request
        .metadata()
        .get("grpc-timeout")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_options_reach_each_call_and_a_closed_outcome_is_asked_for_once() {
    let seen = Seen::default();
    let methods = Methods::default();
    let client = recording_client(&seen, &methods).await;
    let tq = unique("call-options");
    let polls = Arc::new(AtomicU32::new(0));
    let counter = polls.clone();
    let _worker = start_worker(&tq, move |task| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move { Reply::value(&format!("hello {}", task.arg::<String>(0))) }
    })
    .await;

    let per_call = CallOptions::new()
        .timeout(Duration::from_secs(4))
        .header("x-team", "ops")
        .unwrap();
    let handle = client
        .start_activity_by_name::<String>("greet", ("solo",), options(&tq))
        .await
        .unwrap()
        .with_call_options(per_call.clone());
    assert_eq!(handle.result().await.unwrap(), "hello solo");
    let polled = seen_for(&seen, "PollActivityExecution");
    assert!(!polled.is_empty());
    for (timeout, team) in &polled {
        assert_eq!(
            timeout.as_deref(),
            Some(grpc_timeout(Duration::from_secs(4)).as_str())
        );
        assert_eq!(team.as_deref(), Some("ops"));
    }
    let started = seen_for(&seen, "StartActivityExecution");
    assert_eq!(started[0].1, None, "the client's own calls carry no header");

    // The closed outcome is kept: no more polls, by this handle or its clones.
    let before = methods.count("PollActivityExecution");
    assert_eq!(handle.result().await.unwrap(), "hello solo");
    assert_eq!(handle.clone().result().await.unwrap(), "hello solo");
    assert_eq!(methods.count("PollActivityExecution"), before);
    // A fresh handle asks the server.
    let fresh = client.get_activity_handle::<String>(handle.id(), None);
    assert_eq!(fresh.result().await.unwrap(), "hello solo");
    assert_eq!(methods.count("PollActivityExecution"), before + 1);

    // A client with call options applies them to its own calls.
    let tagged = client.with_call_options(per_call);
    tagged.count_activities("").await.unwrap();
    let counted = seen_for(&seen, "CountActivityExecutions");
    assert_eq!(counted.last().unwrap().1.as_deref(), Some("ops"));
    assert_eq!(polls.load(Ordering::SeqCst), 1);
}

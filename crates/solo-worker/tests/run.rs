//! Running activities: typed input and output through the macro, the activity info, sync
//! activities on the blocking pool, the slot limit, layers, unknown types, bad input, work
//! sent by the `temporal` CLI, and the builder's checks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use solo_client::{Activity, ActivityHandle, FailureKind, OutcomeError};
use solo_worker::{
    ActivityContext, ActivityRequest, ActivityService, PollerBehavior, Worker, WorkerError,
    run_blocking,
};
use support::{
    Gauge, Running, activity, activity_boxed, client, one_attempt, options, unique, within,
};

/// The seed's input: a Python dataclass with the same field names decodes into it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ComposeGreetingInput {
    /// How to greet.
    pub greeting: String,
    /// Whom to greet.
    pub name: String,
}

/// Greets (the seed's activity).
#[solo_macros::activity(crate = "solo_worker")]
pub async fn compose_greeting(input: ComposeGreetingInput) -> String {
    format!("{}, {}!", input.greeting, input.name)
}

/// A blocking activity that heartbeats and reads its info.
#[solo_macros::activity(crate = "solo_worker", name = "SyncShout")]
fn sync_shout(ctx: &ActivityContext, text: String) -> Result<String, std::io::Error> {
    ctx.heartbeat(&text);
    Ok(format!(
        "{} ({})",
        text.to_uppercase(),
        ctx.info().activity_type
    ))
}

/// What an activity can see about itself.
#[derive(Debug, Serialize, Deserialize)]
struct SeenInfo {
    activity_id: String,
    activity_run_id: Option<String>,
    activity_type: String,
    task_queue: String,
    namespace: String,
    attempt: u32,
    in_workflow: bool,
    heartbeat_timeout_ms: Option<u128>,
    start_to_close_ms: Option<u128>,
    has_times: bool,
    has_token: bool,
}

#[solo_macros::activity(crate = "solo_worker")]
async fn report_info(ctx: ActivityContext) -> SeenInfo {
    let i = ctx.info();
    SeenInfo {
        activity_id: i.activity_id.clone(),
        activity_run_id: i.activity_run_id.clone(),
        activity_type: i.activity_type.clone(),
        task_queue: i.task_queue.clone(),
        namespace: i.namespace.clone(),
        attempt: i.attempt,
        in_workflow: i.in_workflow(),
        heartbeat_timeout_ms: i.heartbeat_timeout.map(|d| d.as_millis()),
        start_to_close_ms: i.start_to_close_timeout.map(|d| d.as_millis()),
        has_times: i.scheduled_time.is_some() && i.started_time.is_some(),
        has_token: !i.task_token.is_empty(),
    }
}

fn assert_send<T: Send>(_: &T) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_a_macro_activity_with_typed_input_and_output() {
    let client = client().await;
    let queue = unique("run-greet");
    let worker = Worker::builder(client.clone(), &queue)
        .activity(compose_greeting)
        .build()
        .unwrap();
    let run = worker.clone().run();
    assert_send(&run);
    let join = tokio::spawn(run);

    let input = ComposeGreetingInput {
        greeting: "Hello".into(),
        name: "World".into(),
    };
    assert_eq!(compose_greeting::run(input.clone()).await, "Hello, World!");
    assert_eq!(compose_greeting::NAME, "compose_greeting");
    let out = within(
        "execute_activity",
        client.execute_activity(compose_greeting, input, options(&unique("greet"), &queue)),
    )
    .await
    .unwrap();
    assert_eq!(out, "Hello, World!");

    worker.shutdown().await;
    join.await.unwrap().unwrap();
    assert!(!worker.is_running());
    assert!(matches!(
        worker.clone().run().await,
        Err(WorkerError::AlreadyStarted)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_see_their_standalone_info() {
    let client = client().await;
    let queue = unique("run-info");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(report_info)
            .build()
            .unwrap(),
    );
    let id = unique("info");
    let handle: ActivityHandle<SeenInfo> = client
        .start_activity(
            report_info,
            (),
            options(&id, &queue).heartbeat_timeout(Duration::from_secs(3)),
        )
        .await
        .unwrap();
    let seen = within("result", handle.result()).await.unwrap();
    assert_eq!(seen.activity_id, id);
    assert_eq!(seen.activity_run_id.as_deref(), handle.run_id());
    assert!(seen.activity_run_id.is_some());
    assert_eq!(seen.activity_type, "report_info");
    assert_eq!(seen.task_queue, queue);
    assert_eq!(seen.namespace, client.namespace());
    assert_eq!(seen.attempt, 1);
    assert!(!seen.in_workflow);
    assert_eq!(seen.heartbeat_timeout_ms, Some(3000));
    assert_eq!(seen.start_to_close_ms, Some(10_000));
    assert!(seen.has_times && seen.has_token);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_activities_run_on_the_bounded_blocking_pool() {
    let client = client().await;
    let queue = unique("run-blocking");
    let gauge = Arc::new(Gauge::default());
    let g = gauge.clone();
    let sleepy = activity_boxed("sleepy", move |ctx, ms: u64| {
        let g = g.clone();
        run_blocking(ctx, move |_ctx| {
            let _inside = g.enter();
            // Stay until the pool is full (or 5 s pass), so that its limit is reached.
            g.wait_for(2, Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(ms));
            Ok(ms)
        })
    });
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(sleepy.clone())
            .activity(sync_shout)
            .max_concurrent_activities(6)
            .max_blocking_threads(2)
            .build()
            .unwrap(),
    );

    let shout = client
        .execute_activity(
            sync_shout,
            "hi".to_owned(),
            options(&unique("shout"), &queue),
        )
        .await
        .unwrap();
    assert_eq!(shout, "HI (SyncShout)");

    let mut handles = Vec::new();
    for _ in 0..6 {
        handles.push(
            client
                .start_activity(sleepy.clone(), 300, options(&unique("sleepy"), &queue))
                .await
                .unwrap(),
        );
    }
    for h in handles {
        assert_eq!(within("sleepy result", h.result()).await.unwrap(), 300);
    }
    assert_eq!(
        gauge.peak(),
        2,
        "blocking activities at once with a pool of 2: the limit is reached, never passed"
    );
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_runs_more_activities_than_slots() {
    let client = client().await;
    let queue = unique("run-slots");
    let gauge = Arc::new(Gauge::default());
    let g = gauge.clone();
    let busy = activity("busy", move |_ctx, ms: u64| {
        let g = g.clone();
        async move {
            let _inside = g.enter();
            // Stay until both slots are taken (or 5 s pass), so that the limit is reached.
            let started = std::time::Instant::now();
            while g.now() < 2 && started.elapsed() < Duration::from_secs(5) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(ms)
        }
    });
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(busy.clone())
            .max_concurrent_activities(2)
            .pollers(PollerBehavior::Fixed(5))
            .build()
            .unwrap(),
    );
    let mut handles = Vec::new();
    for _ in 0..8 {
        handles.push(
            client
                .start_activity(busy.clone(), 200, options(&unique("busy"), &queue))
                .await
                .unwrap(),
        );
    }
    for h in handles {
        assert_eq!(within("busy result", h.result()).await.unwrap(), 200);
    }
    assert_eq!(
        gauge.peak(),
        2,
        "activities at once with 2 slots: the limit is reached, never passed"
    );
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layers_wrap_every_activity() {
    let client = client().await;
    let queue = unique("run-layer");
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let layer = tower::layer::layer_fn(move |inner: ActivityService| {
        let counter = counter.clone();
        tower::ServiceBuilder::new()
            .map_request(move |req: ActivityRequest| {
                assert_eq!(req.context.info().activity_type, "compose_greeting");
                counter.fetch_add(1, Ordering::SeqCst);
                req
            })
            .service(inner)
    });
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(compose_greeting)
            .layer(layer)
            .build()
            .unwrap(),
    );
    let input = ComposeGreetingInput {
        greeting: "Hi".into(),
        name: "layer".into(),
    };
    let out = client
        .execute_activity(compose_greeting, input, options(&unique("layer"), &queue))
        .await
        .unwrap();
    assert_eq!(out, "Hi, layer!");
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_activity_types_fail_with_the_registered_names() {
    let client = client().await;
    let queue = unique("run-unknown");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(compose_greeting)
            .activity(sync_shout)
            .build()
            .unwrap(),
    );
    let handle: ActivityHandle<String> = client
        .start_activity_by_name("no_such_activity", (), one_attempt(&unique("x"), &queue))
        .await
        .unwrap();
    let err = within("result", handle.result()).await.unwrap_err();
    let failure = err.failure().expect("an activity failure");
    assert_eq!(failure.error_type(), Some("NotFoundError"));
    assert!(
        failure.message.contains("`no_such_activity`")
            && failure.message.contains("SyncShout, compose_greeting"),
        "{}",
        failure.message
    );
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_input_fails_the_attempt_retryably_as_python_does() {
    let client = client().await;
    let queue = unique("run-decode");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(compose_greeting)
            .build()
            .unwrap(),
    );
    let handle: ActivityHandle<String> = client
        .start_activity_by_name(
            compose_greeting.name(),
            ("not a struct",),
            // One attempt, so the (retryable) failure becomes the outcome.
            options(&unique("decode"), &queue)
                .retry_policy(solo_client::RetryPolicy::new().maximum_attempts(1)),
        )
        .await
        .unwrap();
    let err = within("result", handle.result()).await.unwrap_err();
    let OutcomeError::Failed { failure, .. } = &err else {
        panic!("expected a failure, got {err}");
    };
    assert_eq!(failure.error_type(), Some("InputDecodeError"));
    assert!(
        matches!(
            failure.kind,
            FailureKind::Application {
                non_retryable: false,
                ..
            }
        ),
        "{failure:?}"
    );
    assert!(
        failure
            .message
            .contains("input of activity `compose_greeting`"),
        "{}",
        failure.message
    );
    assert_eq!(handle.describe().await.unwrap().attempt, 1);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_temporal_cli_can_send_work_to_the_worker() {
    let client = client().await;
    let queue = unique("run-cli");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(compose_greeting)
            .build()
            .unwrap(),
    );
    let cli = solo_testing::cli::ensure_cli().expect("the temporal CLI");
    let address = solo_testing::DevServer::shared().unwrap().address();
    let output = within(
        "temporal activity execute",
        tokio::process::Command::new(cli)
            .args([
                "activity",
                "execute",
                "--address",
                &address,
                "--type",
                "compose_greeting",
                "--activity-id",
                &unique("cli"),
                "--task-queue",
                &queue,
                "--start-to-close-timeout",
                "10s",
                "--input",
                r#"{"greeting": "Hello", "name": "CLI"}"#,
            ])
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Hello, CLI!"), "{stdout}");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_rejects_duplicates_empty_registries_and_bad_options() {
    let client = client().await;
    let err = Worker::builder(client.clone(), "q")
        .activity(compose_greeting)
        .activity(compose_greeting)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, WorkerError::DuplicateActivity { ref name, .. } if name == "compose_greeting")
    );
    assert!(err.to_string().contains("registered twice"), "{err}");

    let err = Worker::builder(client.clone(), "q").build().unwrap_err();
    assert!(matches!(err, WorkerError::NoActivities { .. }), "{err}");

    let bad = [
        Worker::builder(client.clone(), "q")
            .activity(compose_greeting)
            .max_concurrent_activities(0)
            .build(),
        Worker::builder(client.clone(), "q")
            .activity(compose_greeting)
            .pollers(PollerBehavior::Fixed(0))
            .build(),
        Worker::builder(client.clone(), "q")
            .activity(compose_greeting)
            .max_activities_per_second(-1.0)
            .build(),
        Worker::builder(client.clone(), "")
            .activity(compose_greeting)
            .build(),
    ];
    for result in bad {
        assert!(matches!(
            result.unwrap_err(),
            WorkerError::InvalidOption { .. }
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_still_run_every_task() {
    let client = client().await;
    let queue = unique("run-rate");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(compose_greeting)
            .max_activities_per_second(20.0)
            .max_task_queue_activities_per_second(50.0)
            .build()
            .unwrap(),
    );
    let mut handles = Vec::new();
    for i in 0..5 {
        let input = ComposeGreetingInput {
            greeting: "Hi".into(),
            name: i.to_string(),
        };
        handles.push(
            client
                .start_activity(compose_greeting, input, options(&unique("rate"), &queue))
                .await
                .unwrap(),
        );
    }
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(
            within("result", h.result()).await.unwrap(),
            format!("Hi, {i}!")
        );
    }
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_raw_api_polls_heartbeats_completes_and_fails_with_payloads() {
    use solo_proto::temporal::api::failure::v1::Failure;
    use solo_worker::raw::{TaskCompleter, TaskError, TaskPoller};

    let client = client().await;
    let queue = unique("run-raw");
    let poller = TaskPoller::new(&client, &queue).identity("raw-test");
    let completer = TaskCompleter::new(&client).identity("raw-test");

    let echo: ActivityHandle<String> = client
        .start_activity_by_name("raw_echo", ("ping",), options(&unique("raw"), &queue))
        .await
        .unwrap();
    let task = within("poll", async {
        loop {
            if let Some(task) = poller.poll().await.unwrap() {
                return task;
            }
        }
    })
    .await;
    assert_eq!(task.info.activity_type, "raw_echo");
    assert_eq!(task.info.activity_run_id.as_deref(), echo.run_id());
    assert_eq!(task.input.len(), 1);
    let token = task.info.task_token.clone();
    let beat = completer
        .heartbeat(token.clone(), task.input.clone())
        .await
        .unwrap();
    assert!(!beat.cancel_requested);
    completer.complete(token.clone(), task.input).await.unwrap();
    assert_eq!(within("echo", echo.result()).await.unwrap(), "ping");
    // The attempt is over: the server no longer knows the token.
    let again = completer.complete(token, Vec::new()).await.unwrap_err();
    assert!(matches!(again, TaskError::NotFound { .. }), "{again}");

    let failing: ActivityHandle<String> = client
        .start_activity_by_name("raw_fail", (), one_attempt(&unique("raw"), &queue))
        .await
        .unwrap();
    let task = within("poll", async {
        loop {
            if let Some(task) = poller.poll().await.unwrap() {
                return task;
            }
        }
    })
    .await;
    // Not an application failure: the completer wraps it in one (the server requires it).
    let failure = Failure {
        message: "raw failure".into(),
        ..Default::default()
    };
    completer
        .fail(task.info.task_token, failure, Vec::new())
        .await
        .unwrap();
    let err = within("failure", failing.result()).await.unwrap_err();
    assert_eq!(err.failure().unwrap().message, "raw failure");
}

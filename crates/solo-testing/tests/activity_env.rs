//! `ActivityEnvironment`: activities run without a worker see their info, record heartbeats,
//! can be cancelled mid-run or told of a worker shutdown, and use the client given to the
//! environment (if any).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde::{Deserialize, Serialize};
use solo_client::{
    ActivityError, ApplicationError, Cancelled, Client, ClientOptions, Connection,
    ConnectionOptions,
};
use solo_testing::ActivityEnvironment;
use solo_testing::activity_env::default_info;
use solo_worker::{ActivityContext, CancellationReason};

/// The seed's input.
#[derive(Debug, Serialize, Deserialize)]
pub struct ComposeGreetingInput {
    /// How to greet.
    pub greeting: String,
    /// Whom to greet.
    pub name: String,
}

/// Greets.
#[solo_macros::activity(crate = "solo_worker")]
async fn compose_greeting(input: ComposeGreetingInput) -> String {
    format!("{}, {}!", input.greeting, input.name)
}

/// Counts to `n` on a blocking thread, heartbeating each step; resumes from the previous
/// attempt's heartbeat; stops when cancelled.
#[solo_macros::activity(crate = "solo_worker")]
fn count(ctx: ActivityContext, n: u32) -> Result<u32, ActivityError> {
    let start: u32 = ctx.heartbeat_details()?.unwrap_or(0);
    for i in start..n {
        if ctx.is_cancelled() {
            return Err(Cancelled::new().detail(&i).into());
        }
        ctx.heartbeat(&i);
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(n)
}

/// Waits for cancellation and says why it came.
#[solo_macros::activity(crate = "solo_worker")]
async fn wait_for_cancel(ctx: ActivityContext) -> Result<String, ActivityError> {
    ctx.heartbeat(&"waiting");
    ctx.cancelled().await;
    Err(ApplicationError::new(format!("{:?}", ctx.cancellation_reason().unwrap())).into())
}

#[tokio::test]
async fn runs_a_macro_activity() {
    let env = ActivityEnvironment::new();
    let out = env
        .run(
            compose_greeting,
            ComposeGreetingInput {
                greeting: "Hello".into(),
                name: "tests".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(out, "Hello, tests!");
    assert!(env.heartbeats().is_empty());
}

#[tokio::test]
async fn activities_see_the_info_set_on_the_environment() {
    let mut info = default_info();
    info.activity_id = "order-7".into();
    info.heartbeat_timeout = Some(Duration::from_secs(2));
    let env = ActivityEnvironment::new().with_info(info).with_attempt(3);
    let seen = env
        .run_with(|ctx: ActivityContext| async move { ctx.info().clone() })
        .await;
    assert_eq!(seen.activity_id, "order-7");
    assert_eq!(seen.attempt, 3);
    assert_eq!(seen.heartbeat_timeout, Some(Duration::from_secs(2)));
    assert_eq!(seen.activity_type, "unknown");
    assert!(!seen.in_workflow());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_are_captured_and_previous_details_resume() {
    let env = ActivityEnvironment::new();
    assert_eq!(env.run(count, 4).await.unwrap(), 4);
    let beats: Vec<u32> = env
        .heartbeats()
        .iter()
        .map(|d| d.get::<u32>(0).unwrap())
        .collect();
    assert_eq!(beats, vec![0, 1, 2, 3]);

    let resumed = ActivityEnvironment::new().with_heartbeat_details(&2u32);
    assert_eq!(resumed.run(count, 4).await.unwrap(), 4);
    assert_eq!(
        resumed.heartbeats().len(),
        2,
        "resumed from 2: beats 2 and 3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_callback_can_cancel_mid_run() {
    let env = ActivityEnvironment::new();
    let handle = env.handle();
    env.on_heartbeat(move |details| {
        if details.get::<u32>(0).unwrap() == 3 {
            handle.cancel();
        }
    });
    let err = env.run(count, 1_000).await.unwrap_err();
    assert!(matches!(err, ActivityError::Cancelled(_)), "{err:?}");
    assert_eq!(env.heartbeats().len(), 4);
}

#[tokio::test]
async fn cancel_and_shutdown_reach_running_activities() {
    let env = ActivityEnvironment::new();
    let (result, ()) = tokio::join!(env.run(wait_for_cancel, ()), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        env.cancel_with(CancellationReason::NotFound);
    });
    assert_eq!(result.unwrap_err().to_string(), "NotFound");

    let env = ActivityEnvironment::new();
    let shutdown_seen = env
        .run_with(|ctx: ActivityContext| {
            let handle = env.handle();
            async move {
                assert!(!ctx.is_worker_shutting_down());
                handle.begin_worker_shutdown();
                ctx.worker_shutdown().await;
                !ctx.is_cancelled()
            }
        })
        .await;
    assert!(shutdown_seen, "shutdown is signalled without cancelling");
}

/// Counts the activities on the environment's task queue with the activity's client.
#[solo_macros::activity(crate = "solo_worker")]
async fn count_on_queue(ctx: ActivityContext) -> Result<u64, ActivityError> {
    let query = format!("TaskQueue = '{}'", ctx.info().task_queue);
    Ok(ctx.client()?.count_activities(query).await?.count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_use_the_client_given_to_the_environment() {
    let without = ActivityEnvironment::new().run(count_on_queue, ()).await;
    let message = without.unwrap_err().to_string();
    assert!(message.contains("no client"), "{message}");

    let address = solo_testing::DevServer::shared().unwrap().address();
    let connection = Connection::connect(ConnectionOptions::new(address))
        .await
        .unwrap();
    let client = Client::new(connection, ClientOptions::new());
    let mut env = ActivityEnvironment::new().with_client(client);
    env.info_mut().task_queue = format!("env-client-{}", std::process::id());
    assert_eq!(env.run(count_on_queue, ()).await.unwrap(), 0);
}

//! What a running activity knows and can do beyond its input: the retry policy and priority
//! it was started with (from the task), and the worker's client (`ActivityContext::client`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use solo_client::{
    ActivityError, ActivityHandle, ActivityOptions, ActivityStatus, Client, ClientInterceptor,
    ClientOptions, Connection, ConnectionOptions, Priority, RetryPolicy,
};
use solo_worker::{ActivityContext, ActivityInfo, Worker};
use support::{Running, activity, client, unique, within};
use tonic::metadata::MetadataMap;

/// An activity that hands its info to the test and returns.
fn info_catcher(name: &str) -> (support::FnActivity<(), ()>, Arc<Mutex<Vec<ActivityInfo>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let activity = activity(name, move |ctx: ActivityContext, ()| {
        let sink = sink.clone();
        async move {
            sink.lock().unwrap().push(ctx.info().clone());
            Ok::<(), ActivityError>(())
        }
    });
    (activity, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_see_the_retry_policy_and_priority_they_were_started_with() {
    let client = client().await;
    let queue = unique("ctx-policy");
    let (catcher, seen) = info_catcher("catch_info");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(catcher.clone())
            .build()
            .unwrap(),
    );

    let policy = RetryPolicy::new()
        .initial_interval(Duration::from_secs(2))
        .backoff_coefficient(1.5)
        .maximum_interval(Duration::from_secs(30))
        .maximum_attempts(4)
        .non_retryable_error_type("Fatal");
    let priority = Priority::new()
        .priority_key(2)
        .fairness_key("tenant-a")
        .fairness_weight(1.5);
    let given = ActivityOptions::new()
        .id(unique("policy"))
        .task_queue(&queue)
        .start_to_close_timeout(Duration::from_secs(10))
        .retry_policy(policy.clone())
        .priority(priority.clone());
    within(
        "execute_activity",
        client.execute_activity(catcher.clone(), (), given),
    )
    .await
    .unwrap();

    // Unset: the server's defaults arrive with the task; the priority stays unset.
    let defaults = ActivityOptions::new()
        .id(unique("defaults"))
        .task_queue(&queue)
        .start_to_close_timeout(Duration::from_secs(10));
    within(
        "execute_activity",
        client.execute_activity(catcher, (), defaults),
    )
    .await
    .unwrap();
    running.stop().await.unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].retry_policy.as_ref(), Some(&policy));
    assert_eq!(seen[0].priority, priority);
    let server_default = seen[1]
        .retry_policy
        .as_ref()
        .expect("the server sends its default policy");
    assert_eq!(
        server_default.initial_interval,
        Some(Duration::from_secs(1))
    );
    assert_eq!(server_default.backoff_coefficient, Some(2.0));
    assert_eq!(server_default.maximum_attempts, None, "unlimited");
    assert_eq!(seen[1].priority, Priority::new());
}

/// Records the gRPC methods a client calls.
#[derive(Default)]
struct Methods(Mutex<Vec<String>>);

impl ClientInterceptor for Methods {
    fn on_call(&self, method: &str, _metadata: &mut MetadataMap) {
        self.0.lock().unwrap().push(method.to_owned());
    }
}

/// What `self_aware` saw.
#[derive(Debug, Serialize, Deserialize)]
struct SelfAware {
    described_id: String,
    described_run_id: String,
    described_status: String,
    described_attempt: u32,
    namespace: String,
    greeting: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_describe_themselves_and_start_others_with_the_workers_client() {
    let starter = client().await;
    let queue = unique("ctx-client");

    // The worker's own client, whose interceptor sees every call made through it.
    let methods = Arc::new(Methods::default());
    let address = solo_testing::DevServer::shared().unwrap().address();
    let connection = Connection::connect(ConnectionOptions::new(address))
        .await
        .unwrap();
    let worker_client = Client::new(
        connection,
        ClientOptions::new().interceptor(methods.clone()),
    );

    let greet = activity("ctx_greet", |_ctx, name: String| async move {
        Ok::<_, ActivityError>(format!("Hello, {name}!"))
    });
    let greet_for_body = greet.clone();
    let queue_for_body = queue.clone();
    let self_aware = activity("self_aware", move |ctx: ActivityContext, name: String| {
        let greet = greet_for_body.clone();
        let queue = queue_for_body.clone();
        async move {
            let client = ctx.client()?;
            let me: ActivityHandle<SelfAware> = client.get_activity_handle(
                ctx.info().activity_id.clone(),
                ctx.info().activity_run_id.clone(),
            );
            let description = me.describe().await?;
            let greeting = client
                .execute_activity(
                    greet,
                    name,
                    ActivityOptions::new()
                        .id(format!("{}-greet", ctx.info().activity_id))
                        .task_queue(queue)
                        .start_to_close_timeout(Duration::from_secs(10)),
                )
                .await?;
            Ok::<_, ActivityError>(SelfAware {
                described_id: description.activity_id,
                described_run_id: description.run_id,
                described_status: description.status.as_str().to_owned(),
                described_attempt: description.attempt,
                namespace: client.namespace().to_owned(),
                greeting,
            })
        }
    });
    let running = Running::start(
        Worker::builder(worker_client, &queue)
            .activity(self_aware.clone())
            .activity(greet)
            .max_concurrent_activities(2)
            .build()
            .unwrap(),
    );

    let id = unique("self-aware");
    let handle = starter
        .start_activity(
            self_aware,
            "World".to_owned(),
            ActivityOptions::new()
                .id(&id)
                .task_queue(&queue)
                .start_to_close_timeout(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    let seen = within("result", handle.result()).await.unwrap();
    running.stop().await.unwrap();

    assert_eq!(seen.described_id, id);
    assert_eq!(Some(seen.described_run_id.as_str()), handle.run_id());
    assert_eq!(seen.described_status, ActivityStatus::Running.as_str());
    assert_eq!(seen.described_attempt, 1);
    assert_eq!(seen.namespace, starter.namespace());
    assert_eq!(seen.greeting, "Hello, World!");
    // The calls went through the worker's client (and its interceptor): the worker itself
    // never describes or starts activities.
    let methods = methods.0.lock().unwrap();
    for method in ["DescribeActivityExecution", "StartActivityExecution"] {
        assert!(
            methods.iter().any(|m| m == method),
            "{method} not seen by the worker's client: {methods:?}"
        );
    }
}

/// A blocking activity that counts the activities on its own queue with the worker's client.
#[solo_macros::activity(crate = "solo_worker")]
fn count_my_queue(ctx: &ActivityContext) -> Result<u64, ActivityError> {
    let client = ctx.client()?;
    let query = format!("TaskQueue = '{}'", ctx.info().task_queue);
    let count = tokio::runtime::Handle::current().block_on(client.count_activities(query))?;
    Ok(count.count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_activities_call_through_the_workers_client_too() {
    let client = client().await;
    let queue = unique("ctx-client-blocking");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(count_my_queue)
            .build()
            .unwrap(),
    );
    let options = ActivityOptions::new()
        .id(unique("count"))
        .task_queue(&queue)
        .start_to_close_timeout(Duration::from_secs(10));
    // Visibility may lag; the count includes at most this running activity.
    let count = within(
        "execute_activity",
        client.execute_activity(count_my_queue, (), options),
    )
    .await
    .unwrap();
    running.stop().await.unwrap();
    assert!(count <= 1, "{count}");
}

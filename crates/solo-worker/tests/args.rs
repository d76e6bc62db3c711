//! Activities with several arguments (one payload each, as Python's `args=[a, b]`) and the
//! dynamic (catch-all) activity, against a dev server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde::{Deserialize, Serialize};
use solo_client::{
    ActivityError, ActivityHandle, ApplicationError, DescribeOptions, OutcomeError, to_payload,
};
use solo_worker::{ActivityContext, DynamicInput, Worker, WorkerError};
use support::{Running, client, one_attempt, options, unique, within};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Person {
    name: String,
}

/// Two inputs, the context between them.
#[solo_macros::activity(crate = "solo_worker")]
async fn greet_times(greeting: String, ctx: ActivityContext, person: Person) -> String {
    format!(
        "{greeting}, {}! ({})",
        person.name,
        ctx.info().activity_type
    )
}

/// Three inputs, blocking, the last optional.
#[solo_macros::activity(crate = "solo_worker", name = "Sum3")]
fn sum3(a: i64, b: i64, c: Option<i64>) -> i64 {
    a + b + c.unwrap_or(100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_argument_activity_takes_a_tuple_and_one_payload_per_argument() {
    let client = client().await;
    let queue = unique("args-two");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(greet_times)
            .activity(sum3)
            .build()
            .unwrap(),
    );
    let person = Person {
        name: "World".into(),
    };
    let out = within(
        "execute two args",
        client.execute_activity(
            greet_times,
            ("Hello".to_owned(), person.clone()),
            options(&unique("two"), &queue),
        ),
    )
    .await
    .unwrap();
    assert_eq!(out, "Hello, World! (greet_times)");

    // The server holds two payloads: the wire form is Python's `args=[a, b]`.
    let handle: ActivityHandle<String> = client
        .start_activity(
            greet_times,
            ("Hi".to_owned(), person),
            options(&unique("two"), &queue),
        )
        .await
        .unwrap();
    assert_eq!(
        within("result", handle.result()).await.unwrap(),
        "Hi, World! (greet_times)"
    );
    let described = handle
        .describe_with(DescribeOptions::new().include_input(true))
        .await
        .unwrap();
    let input = described.input.expect("the input");
    assert_eq!(input.len(), 2, "{input:?}");
    assert_eq!(input.get::<String>(0).unwrap(), "Hi");
    assert_eq!(input.get::<Person>(1).unwrap().name, "World");

    // By name with two arguments, then with the optional third left out.
    let h: ActivityHandle<i64> = client
        .start_activity_by_name("Sum3", (1, 2, 3), options(&unique("sum"), &queue))
        .await
        .unwrap();
    assert_eq!(within("sum3", h.result()).await.unwrap(), 6);
    let out = within(
        "sum3 typed",
        client.execute_activity(sum3, (1, 2, None), options(&unique("sum"), &queue)),
    )
    .await
    .unwrap();
    assert_eq!(out, 103);
    let h: ActivityHandle<i64> = client
        .start_activity_by_name("Sum3", (1, 2), options(&unique("sum"), &queue))
        .await
        .unwrap();
    assert_eq!(within("sum3 two", h.result()).await.unwrap(), 103);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_argument_count_fails_with_the_counts_and_the_fix() {
    let client = client().await;
    let queue = unique("args-count");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(greet_times)
            .build()
            .unwrap(),
    );
    let handle: ActivityHandle<String> = client
        .start_activity_by_name(
            "greet_times",
            ("only one",),
            one_attempt(&unique("c"), &queue),
        )
        .await
        .unwrap();
    let err = within("result", handle.result()).await.unwrap_err();
    let OutcomeError::Failed { failure, .. } = &err else {
        panic!("expected a failure, got {err}");
    };
    assert_eq!(failure.error_type(), Some("InputDecodeError"));
    assert!(
        failure.message.contains(
            "activity `greet_times` takes 2 inputs but one was sent; send one value per parameter"
        ),
        "{}",
        failure.message
    );
    running.stop().await.unwrap();
}

async fn dispatch(
    ctx: ActivityContext,
    input: DynamicInput,
) -> Result<solo_proto::temporal::api::common::v1::Payload, ActivityError> {
    assert_eq!(ctx.info().activity_type, input.activity_type());
    match input.activity_type() {
        "concat" => {
            let parts: Vec<String> = (0..input.len())
                .map(|i| input.arg(i))
                .collect::<Result<_, _>>()?;
            Ok(to_payload(&parts.concat())?)
        }
        other => Err(
            ApplicationError::new(format!("dynamic: no `{other}`, {} args", input.len()))
                .error_type("Unknown")
                .non_retryable()
                .into(),
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamic_activity_runs_unregistered_types_with_raw_arguments() {
    let client = client().await;
    let queue = unique("args-dynamic");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(greet_times)
            .dynamic_activity(dispatch)
            .build()
            .unwrap(),
    );
    // A registered type still goes to its own activity.
    let out = within(
        "registered",
        client.execute_activity(
            greet_times,
            ("Hello".to_owned(), Person { name: "You".into() }),
            options(&unique("reg"), &queue),
        ),
    )
    .await
    .unwrap();
    assert_eq!(out, "Hello, You! (greet_times)");

    let h: ActivityHandle<String> = client
        .start_activity_by_name("concat", ("a", "b", "c"), options(&unique("dyn"), &queue))
        .await
        .unwrap();
    assert_eq!(within("concat", h.result()).await.unwrap(), "abc");

    let h: ActivityHandle<String> = client
        .start_activity_by_name("what", (1,), options(&unique("dyn"), &queue))
        .await
        .unwrap();
    let err = within("unknown", h.result()).await.unwrap_err();
    let failure = err.failure().expect("a failure");
    assert_eq!(failure.error_type(), Some("Unknown"));
    assert_eq!(failure.message, "dynamic: no `what`, 1 args");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn two_dynamic_activities_do_not_build() {
    let client = client().await;
    let err = Worker::builder(client.clone(), "q")
        .dynamic_activity(dispatch)
        .dynamic_activity(dispatch)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, WorkerError::DuplicateDynamicActivity { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("at most one"), "{err}");
    // A dynamic activity alone is enough to build.
    Worker::builder(client, "q")
        .dynamic_activity(dispatch)
        .build()
        .unwrap();
}

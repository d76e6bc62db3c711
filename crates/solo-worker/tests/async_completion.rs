//! Async completion: an activity returns `ActivityError::complete_async()`, the worker reports
//! nothing (its slot is free at once, its span says `will_complete_async`, shutdown leaves it
//! alone), and another client completes, fails or cancels it by id or by task token, with
//! heartbeats in between.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use bytes::Bytes;
use solo_client::{
    ActivityError, ActivityOptions, ActivityStatus, ApplicationError, AsyncActivityId,
    AsyncCompletionError, CallError, OutcomeError, RetryPolicy,
};
use solo_worker::{
    ActivityContext, ActivityInfo, AttemptEnd, AttemptOutcome, Worker, WorkerInterceptor,
};
use support::{Running, activity, client, unique, within};
use tokio::sync::mpsc;

/// What an async activity hands out: its id, run id and task token.
#[derive(Debug, Clone)]
struct Started {
    activity_id: String,
    run_id: Option<String>,
    task_token: Bytes,
}

/// An activity that hands out its ids on `started` and completes asynchronously.
fn completes_async(started: mpsc::UnboundedSender<Started>) -> support::FnActivity<String, String> {
    activity("approve", move |ctx: ActivityContext, _request: String| {
        let started = started.clone();
        async move {
            let info = ctx.info();
            started
                .send(Started {
                    activity_id: info.activity_id.clone(),
                    run_id: info.activity_run_id.clone(),
                    task_token: info.task_token.clone(),
                })
                .unwrap();
            Err(ActivityError::complete_async())
        }
    })
}

/// Sends every attempt's outcome to a channel.
struct Outcomes(mpsc::UnboundedSender<AttemptOutcome>);

impl WorkerInterceptor for Outcomes {
    fn on_attempt_end(&self, _info: &ActivityInfo, end: &AttemptEnd) {
        let _ = self.0.send(end.outcome);
    }
}

/// One attempt, a minute to complete it.
fn options(id: &str, task_queue: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(id)
        .task_queue(task_queue)
        .start_to_close_timeout(Duration::from_secs(60))
        .retry_policy(RetryPolicy::new().maximum_attempts(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completed_by_id_and_by_token_from_another_client_after_the_worker_stopped() {
    let client = client().await;
    let queue = unique("async-complete");
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let (outcomes_tx, mut outcomes) = mpsc::unbounded_channel();
    let act = completes_async(started_tx);
    // One slot: the second activity only runs if the first one's slot was freed.
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(act.clone())
            .max_concurrent_activities(1)
            .interceptor(Outcomes(outcomes_tx))
            .build()
            .unwrap(),
    );
    let first = client
        .start_activity(
            act.clone(),
            String::from("first"),
            options(&unique("by-id"), &queue),
        )
        .await
        .unwrap();
    let second = client
        .start_activity(
            act,
            String::from("second"),
            options(&unique("by-token"), &queue),
        )
        .await
        .unwrap();
    let a = within("first attempt", started.recv()).await.unwrap();
    let b = within("second attempt", started.recv()).await.unwrap();
    for _ in 0..2 {
        let outcome = within("attempt end", outcomes.recv()).await.unwrap();
        assert_eq!(outcome, AttemptOutcome::WillCompleteAsync);
        assert_eq!(outcome.as_str(), "will_complete_async");
    }
    // Shutdown does not wait for them, nor fail them.
    running.stop().await.unwrap();
    let (by_id, by_token) = if a.activity_id == first.id() {
        (a, b)
    } else {
        (b, a)
    };
    assert_eq!(by_id.run_id.as_deref(), first.run_id());
    assert!(!by_token.task_token.is_empty());
    let described = first.describe().await.unwrap();
    assert_eq!(described.status, ActivityStatus::Running);

    // Another client (any client in the namespace will do).
    let other = solo_client::Client::new(
        client.connection().clone(),
        solo_client::ClientOptions::new().identity("approver"),
    );
    other
        .get_async_activity_handle(AsyncActivityId::by_id(by_id.activity_id.clone(), None))
        .complete(&"approved by id")
        .await
        .unwrap();
    other
        .get_async_activity_handle(AsyncActivityId::task_token(by_token.task_token.clone()))
        .complete(&"approved by token")
        .await
        .unwrap();
    assert_eq!(
        within("first result", first.result()).await.unwrap(),
        "approved by id"
    );
    assert_eq!(
        within("second result", second.result()).await.unwrap(),
        "approved by token"
    );

    // Completing again finds nothing running, by id (with the run id) or by token.
    let again = other
        .get_async_activity_handle(AsyncActivityId::by_id(
            by_id.activity_id.clone(),
            by_id.run_id.clone(),
        ))
        .complete(&"twice")
        .await
        .unwrap_err();
    assert!(
        matches!(again, AsyncCompletionError::NotRunning { .. }),
        "{again:?}"
    );
    assert!(again.to_string().contains(&by_id.activity_id), "{again}");
    let again = other
        .get_async_activity_handle(AsyncActivityId::task_token(by_token.task_token))
        .complete(&"twice")
        .await
        .unwrap_err();
    assert!(again.is_not_running(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_by_id_makes_the_result_the_failure() {
    let client = client().await;
    let queue = unique("async-fail");
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let act = completes_async(started_tx);
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(act.clone())
            .build()
            .unwrap(),
    );
    let handle = client
        .start_activity(
            act,
            String::from("fail me"),
            options(&unique("fail"), &queue),
        )
        .await
        .unwrap();
    let s = within("attempt", started.recv()).await.unwrap();
    let async_handle =
        client.get_async_activity_handle(AsyncActivityId::by_id(s.activity_id, s.run_id));
    // complete_async is not a failure: refused before anything is sent.
    let refused = async_handle
        .fail(ActivityError::complete_async())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AsyncCompletionError::NotAFailure),
        "{refused:?}"
    );
    async_handle
        .fail(
            ApplicationError::new("rejected by the reviewer")
                .error_type("Rejected")
                .detail(&7)
                .non_retryable(),
        )
        .await
        .unwrap();
    let err = within("result", handle.result()).await.unwrap_err();
    let OutcomeError::Failed { failure, .. } = &err else {
        panic!("expected a failure, got {err}");
    };
    assert_eq!(failure.message, "rejected by the reviewer");
    assert_eq!(failure.error_type(), Some("Rejected"));
    assert_eq!(failure.details().get::<i32>(0).unwrap(), 7);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_are_recorded_and_tell_of_a_cancel_request_then_cancellation_is_reported() {
    let client = client().await;
    let queue = unique("async-cancel");
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let act = completes_async(started_tx);
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(act.clone())
            .build()
            .unwrap(),
    );
    let handle = client
        .start_activity(
            act,
            String::from("long"),
            options(&unique("cancel"), &queue).heartbeat_timeout(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    let s = within("attempt", started.recv()).await.unwrap();
    let by_token = client.get_async_activity_handle(AsyncActivityId::task_token(s.task_token));
    let by_id = client.get_async_activity_handle(AsyncActivityId::by_id(s.activity_id, s.run_id));

    let reply = by_token.heartbeat(&"step 1").await.unwrap();
    assert!(!reply.stop_requested(), "{reply:?}");
    let described = handle.describe().await.unwrap();
    assert_eq!(
        described.heartbeat_details.get::<String>(0).unwrap(),
        "step 1"
    );
    let reply = by_id.heartbeat(&"step 2").await.unwrap();
    assert!(!reply.stop_requested(), "{reply:?}");
    let described = handle.describe().await.unwrap();
    assert_eq!(
        described.heartbeat_details.get::<String>(0).unwrap(),
        "step 2"
    );

    let early = by_id.report_cancellation(&()).await.unwrap_err();
    assert!(
        matches!(early, AsyncCompletionError::CancelNotRequested { .. }),
        "{early:?}"
    );

    handle.cancel("no longer needed").await.unwrap();
    let reply = by_id.heartbeat(&()).await.unwrap();
    assert!(
        reply.cancel_requested && reply.stop_requested(),
        "{reply:?}"
    );
    let reply = by_token.heartbeat(&"step 3").await.unwrap();
    assert!(reply.cancel_requested, "{reply:?}");

    by_id
        .report_cancellation(&"stopped at step 3")
        .await
        .unwrap();
    let err = within("result", handle.result()).await.unwrap_err();
    let OutcomeError::Cancelled { details, .. } = &err else {
        panic!("expected a cancellation, got {err}");
    };
    assert_eq!(details.get::<String>(0).unwrap(), "stopped at step 3");
    // Over: a heartbeat finds nothing running.
    let gone = by_token.heartbeat(&()).await.unwrap_err();
    assert!(gone.is_not_running(), "{gone:?}");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_and_unreadable_tokens_are_refused_clearly() {
    let client = client().await;
    let missing = client
        .get_async_activity_handle(AsyncActivityId::by_id(unique("never-started"), None))
        .complete(&1)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, AsyncCompletionError::NotRunning { .. }),
        "{missing:?}"
    );
    let garbage = client
        .get_async_activity_handle(AsyncActivityId::task_token(&b"not a task token"[..]))
        .heartbeat(&())
        .await
        .unwrap_err();
    assert!(
        matches!(garbage, AsyncCompletionError::InvalidTaskToken { .. }),
        "{garbage:?}"
    );
    let empty = client
        .get_async_activity_handle(AsyncActivityId::by_id("", None))
        .complete(&1)
        .await
        .unwrap_err();
    assert!(
        matches!(&empty, AsyncCompletionError::Call(CallError::Rejected(e)) if e.code() == tonic::Code::InvalidArgument),
        "{empty:?}"
    );
    assert!(empty.to_string().contains("empty activity id"), "{empty}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latest_heartbeat_is_handed_over_when_the_activity_completes_async() {
    let client = client().await;
    let queue = unique("async-handover");
    // The second heartbeat is throttled (24 s with a 30 s heartbeat timeout): only the
    // hand-over sends it.
    let act = activity("hand_over", |ctx: ActivityContext, ()| async move {
        ctx.heartbeat(&"first");
        ctx.heartbeat(&"second");
        Err::<String, _>(ActivityError::complete_async())
    });
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(act.clone())
            .build()
            .unwrap(),
    );
    let handle = client
        .start_activity(
            act,
            (),
            options(&unique("handover"), &queue).heartbeat_timeout(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    within("the handed-over heartbeat", async {
        loop {
            let d = handle.describe().await.unwrap();
            if d.heartbeat_details.get::<String>(0).ok().as_deref() == Some("second") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    running.stop().await.unwrap();
    client
        .get_async_activity_handle(AsyncActivityId::by_id(handle.id(), None))
        .complete(&"done")
        .await
        .unwrap();
    assert_eq!(within("result", handle.result()).await.unwrap(), "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_activity_cut_short_by_shutdown_may_still_complete_async() {
    let client = client().await;
    let queue = unique("async-shutdown");
    let (started_tx, mut started) = mpsc::unbounded_channel();
    // Waits for the end of the grace period, then hands the activity over instead of failing.
    let act = activity("hand_over_at_shutdown", move |ctx: ActivityContext, ()| {
        let started = started_tx.clone();
        async move {
            started.send(()).unwrap();
            ctx.cancelled().await;
            Err::<String, _>(ActivityError::complete_async())
        }
    });
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(act.clone())
            .graceful_shutdown_timeout(Duration::from_millis(200))
            .build()
            .unwrap(),
    );
    let handle = client
        .start_activity(act, (), options(&unique("shutdown"), &queue))
        .await
        .unwrap();
    within("attempt", started.recv()).await.unwrap();
    running.stop().await.unwrap();
    // Not failed as WorkerShutdown: still running, waiting for its completer.
    let d = handle.describe().await.unwrap();
    assert_eq!(d.status, ActivityStatus::Running, "{d:?}");
    assert!(d.last_failure.is_none(), "{:?}", d.last_failure);
    client
        .get_async_activity_handle(AsyncActivityId::by_id(handle.id(), None))
        .complete(&"after shutdown")
        .await
        .unwrap();
    assert_eq!(
        within("result", handle.result()).await.unwrap(),
        "after shutdown"
    );
}

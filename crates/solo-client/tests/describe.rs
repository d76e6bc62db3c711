//! Describing, watching and deleting activities.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use solo_client::{
    ActivityOptions, ActivityOutcome, ActivityRunState, ActivityStatus, CallError, DescribeOptions,
    FailureKind, RetryPolicy,
};
use support::{Reply, application_failure, client, eventually, start_worker, unique, within};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Progress {
    done: u32,
    total: u32,
}

fn options(task_queue: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(unique("act"))
        .task_queue(task_queue)
        .start_to_close_timeout(Duration::from_secs(30))
        .heartbeat_timeout(Duration::from_secs(10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_reports_a_running_attempt_and_then_the_outcome() {
    let client = client().await;
    let tq = unique("tq");
    let (release_tx, release_rx) = tokio::sync::watch::channel(false);
    let _worker = start_worker(&tq, move |task| {
        let mut release = release_rx.clone();
        async move {
            task.heartbeat(&Progress { done: 1, total: 3 })
                .await
                .unwrap();
            release.wait_for(|go| *go).await.unwrap();
            Reply::value(&format!("imported {}", task.arg::<String>(0)))
        }
    })
    .await;
    let handle = client
        .start_activity_by_name::<String>("import", ("orders.csv",), options(&tq))
        .await
        .unwrap();

    let running = eventually("the heartbeat is recorded", || async {
        let d = handle.describe().await.unwrap();
        (!d.heartbeat_details.is_empty()).then_some(d)
    })
    .await;
    assert_eq!(running.status, ActivityStatus::Running);
    assert_eq!(running.run_state, Some(ActivityRunState::Started));
    assert_eq!(running.activity_type, "import");
    assert_eq!(running.task_queue, tq);
    assert_eq!(running.run_id, handle.run_id().unwrap());
    assert_eq!(running.attempt, 1);
    assert_eq!(
        running.heartbeat_details.first::<Progress>().unwrap(),
        Some(Progress { done: 1, total: 3 })
    );
    assert!(running.last_heartbeat_time.is_some());
    assert!(running.last_started_time.is_some());
    assert!(running.schedule_time.is_some());
    assert!(running.close_time.is_none());
    assert_eq!(running.last_worker_identity, "solo-client-tests");
    assert!(running.input.is_none() && running.outcome.is_none());

    release_tx.send(true).unwrap();
    assert_eq!(
        within("result", handle.result()).await.unwrap(),
        "imported orders.csv"
    );
    let closed = handle
        .describe_with(
            DescribeOptions::new()
                .include_input(true)
                .include_outcome(true),
        )
        .await
        .unwrap();
    assert_eq!(closed.status, ActivityStatus::Completed);
    assert!(closed.status.is_closed());
    assert!(closed.close_time.is_some());
    assert!(closed.execution_duration.is_some());
    let input = closed.input.expect("the input was asked for");
    assert_eq!(
        input.first::<String>().unwrap().as_deref(),
        Some("orders.csv")
    );
    match closed.outcome.expect("the outcome was asked for") {
        ActivityOutcome::Completed(result) => assert_eq!(
            result.first::<String>().unwrap().as_deref(),
            Some("imported orders.csv")
        ),
        other => panic!("expected a result, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_shows_the_last_failure_while_retrying_and_a_failed_outcome() {
    let client = client().await;
    let tq = unique("tq");
    let _worker = start_worker(&tq, |task| async move {
        if task.task.attempt == 2 {
            // The second attempt runs a while, so that a describe sees it running with the
            // first attempt's failure recorded.
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        Reply::fail(application_failure(
            &format!("attempt {} failed", task.task.attempt),
            "Flaky",
            false,
            vec![],
        ))
    })
    .await;
    let opts = options(&tq).retry_policy(
        RetryPolicy::new()
            .initial_interval(Duration::from_millis(200))
            .backoff_coefficient(1.0)
            .maximum_attempts(3),
    );
    let handle = client
        .start_activity_by_name::<()>("flaky", (), opts)
        .await
        .unwrap();
    let retrying = eventually(
        "the second attempt runs after a recorded failure",
        || async {
            let d = handle.describe().await.unwrap();
            (d.attempt == 2 && d.last_failure.is_some()).then_some(d)
        },
    )
    .await;
    assert_eq!(retrying.status, ActivityStatus::Running);
    let last = retrying.last_failure.unwrap();
    assert_eq!(last.message, "attempt 1 failed", "{last:?}");
    assert_eq!(last.error_type(), Some("Flaky"));

    within("result", handle.result()).await.unwrap_err();
    let d = handle
        .describe_with(DescribeOptions::new().include_outcome(true))
        .await
        .unwrap();
    assert_eq!(d.status, ActivityStatus::Failed);
    assert_eq!(d.attempt, 3);
    match d.outcome.expect("the outcome was asked for") {
        ActivityOutcome::Failed(f) => {
            assert_eq!(f.message, "attempt 3 failed");
            assert!(matches!(f.kind, FailureKind::Application { .. }));
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_streams_heartbeat_progress_until_the_activity_closes() {
    let client = client().await;
    let tq = unique("tq");
    let _worker = start_worker(&tq, |task| async move {
        for done in 1..=3 {
            task.heartbeat(&Progress { done, total: 3 }).await.unwrap();
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        Reply::value(&"all done")
    })
    .await;
    let handle = client
        .start_activity_by_name::<String>("progress", (), options(&tq))
        .await
        .unwrap();
    let updates: Vec<_> = within("the watch ends", handle.watch().try_collect())
        .await
        .unwrap();
    // One description per change (scheduled, started, three heartbeats, completed), not a
    // busy poll of identical snapshots.
    assert!(
        updates.len() <= 10,
        "{} descriptions: {updates:?}",
        updates.len()
    );
    let last = updates.last().expect("at least one description");
    assert_eq!(last.status, ActivityStatus::Completed);
    assert!(
        updates[..updates.len() - 1]
            .iter()
            .all(|d| d.status == ActivityStatus::Running),
        "{updates:?}"
    );
    let progress: Vec<u32> = updates
        .iter()
        .filter_map(|d| d.heartbeat_details.first::<Progress>().unwrap())
        .map(|p| p.done)
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress went backwards: {progress:?}"
    );
    assert!(
        progress.iter().filter(|d| **d < 3).count() >= 1 && progress.contains(&3),
        "the watch missed the progress: {progress:?}"
    );
    // The watch is over once the activity has closed.
    assert_eq!(within("result", handle.result()).await.unwrap(), "all done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_a_closed_activity_yields_its_final_state_once() {
    let client = client().await;
    let handle = client
        .start_activity_by_name::<()>("never_runs", (), options(&unique("no-worker")))
        .await
        .unwrap();
    handle.terminate("done with it").await.unwrap();
    let updates: Vec<_> = within("the watch ends", handle.watch().try_collect())
        .await
        .unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].status, ActivityStatus::Terminated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_an_unknown_activity_yields_one_not_found_error() {
    let client = client().await;
    let handle = client.get_activity_handle::<()>(unique("missing"), None);
    let mut watch = handle.watch();
    let err = within("the watch", watch.try_next()).await.unwrap_err();
    assert!(matches!(err, CallError::NotFound { .. }), "{err:?}");
    assert!(within("the end", watch.try_next()).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_activity() {
    let client = client().await;
    let handle = client
        .start_activity_by_name::<()>("never_runs", (), options(&unique("no-worker")))
        .await
        .unwrap();
    within("delete", handle.delete()).await.unwrap();
    eventually("the activity is gone", || async {
        match handle.describe().await {
            Err(CallError::NotFound { .. }) => Some(()),
            Ok(_) => None,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    })
    .await;
}

//! Shutting down: activities that finish in the grace period complete, the rest are cancelled
//! and handed back to the server, which retries them on another worker — none is lost.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use solo_client::{ActivityError, ActivityHandle, Cancelled};
use solo_worker::{ActivityContext, CancellationReason, Worker, WorkerError};
use support::{Running, activity, client, options, unique, within};
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_completes_or_hands_back_every_task() {
    let client = client().await;
    let queue = unique("shutdown-inflight");
    let (started_tx, mut started) = mpsc::unbounded_channel::<String>();
    let (reasons_tx, mut reasons) = mpsc::unbounded_channel();

    // "finish": on attempt 1, finishes as soon as it sees shutdown begin (within the grace).
    // "cooperate": on attempt 1, waits for cancellation and stops.
    // "ignore": on attempt 1, ignores everything (it is abandoned when the grace ends).
    // Every later attempt answers at once.
    let act = activity(
        "shutdown_probe",
        move |ctx: ActivityContext, kind: String| {
            let started = started_tx.clone();
            let reasons = reasons_tx.clone();
            async move {
                let attempt = ctx.info().attempt;
                if attempt > 1 {
                    return Ok(format!("{kind}@{attempt}"));
                }
                started.send(kind.clone()).unwrap();
                match kind.as_str() {
                    "finish" => {
                        ctx.worker_shutdown().await;
                        assert!(!ctx.is_cancelled(), "not cancelled during the grace period");
                        Ok(format!("{kind}@{attempt}"))
                    }
                    "cooperate" => {
                        ctx.cancelled().await;
                        reasons.send(ctx.cancellation_reason()).unwrap();
                        Err::<String, ActivityError>(Cancelled::new().into())
                    }
                    _ => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        Ok("never".into())
                    }
                }
            }
        },
    );

    let first = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(act.clone())
            .max_concurrent_activities(6)
            .graceful_shutdown_timeout(Duration::from_millis(500))
            .build()
            .unwrap(),
    );
    let kinds = [
        "finish",
        "cooperate",
        "ignore",
        "finish",
        "cooperate",
        "ignore",
    ];
    let mut handles: Vec<(String, ActivityHandle<String>)> = Vec::new();
    for kind in kinds {
        let handle = client
            .start_activity(
                act.clone(),
                kind.to_owned(),
                options(&unique("probe"), &queue),
            )
            .await
            .unwrap();
        handles.push((kind.to_owned(), handle));
    }
    for _ in 0..kinds.len() {
        within("all six started", started.recv()).await.unwrap();
    }

    first.stop().await.unwrap();
    for _ in 0..2 {
        let reason = within("cooperative cancellation", reasons.recv())
            .await
            .unwrap();
        assert_eq!(reason, Some(CancellationReason::WorkerShutdown));
    }

    // The first worker reported what it could not finish as retryable WorkerShutdown
    // failures (rather than leaving them to time out).
    for (kind, handle) in &handles {
        if kind == "finish" {
            continue;
        }
        let description = handle.describe().await.unwrap();
        let last_failure = description.last_failure.expect("a failure was reported");
        assert_eq!(last_failure.error_type(), Some("WorkerShutdown"), "{kind}");
    }

    // A second worker picks up what the first handed back.
    let second = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(act)
            .build()
            .unwrap(),
    );
    for (kind, handle) in handles {
        let out = within("result", handle.result()).await.unwrap();
        let expected = if kind == "finish" {
            "finish@1".to_owned()
        } else {
            format!("{kind}@2")
        };
        assert_eq!(out, expected);
    }
    second.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_of_an_idle_worker_returns_promptly() {
    let client = client().await;
    let queue = unique("shutdown-idle");
    let act = activity("noop", |_ctx, ()| async { Ok(()) });
    let worker = Worker::builder(client.clone(), &queue)
        .activity(act.clone())
        .build()
        .unwrap();

    // Shutting down a worker that never ran returns at once, and so does its run.
    worker.shutdown().await;
    within("run after shutdown", worker.clone().run())
        .await
        .unwrap();

    // run_until stops on its signal.
    let worker = Worker::builder(client.clone(), &queue)
        .activity(act)
        .build()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker.clone().run_until(async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(worker.is_running());
    stop.send(()).unwrap();
    within("run_until", run).await.unwrap().unwrap();
    assert!(!worker.is_running());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_namespace_fails_run_fast() {
    let address = solo_testing::DevServer::shared().unwrap().address();
    let connection = solo_client::Connection::connect(solo_client::ConnectionOptions::new(address))
        .await
        .unwrap();
    let client = solo_client::Client::new(
        connection,
        solo_client::ClientOptions::new().namespace(unique("no-such-namespace")),
    );
    let worker = Worker::builder(client, "q")
        .activity(activity("noop", |_ctx, ()| async { Ok(()) }))
        .build()
        .unwrap();
    let err = within("run", worker.run()).await.unwrap_err();
    assert!(
        matches!(err, WorkerError::NamespaceNotFound { .. }),
        "{err}"
    );
}

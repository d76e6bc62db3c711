//! Cancellation reaching a running activity: a client's cancel request (through heartbeats),
//! termination (the heartbeat answers NOT_FOUND), a heartbeat timeout (the attempt times
//! out, the retry resumes from the last heartbeat, the stale attempt is cancelled), and an
//! operator's pause or reset (through heartbeats).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use solo_client::{
    ActivityError, ActivityRunState, ActivityStatus, Cancelled, OutcomeError, ResetOptions,
    UnpauseOptions,
};
use solo_worker::{ACTIVITY_PAUSE_ERROR_TYPE, ActivityContext, CancellationReason, Worker};
use support::{Running, activity, client, options, unique, within};
use tokio::sync::mpsc;

/// Heartbeats every 100 ms until cancelled; reports the reason on `reasons`.
fn heartbeat_until_cancelled(
    started: mpsc::UnboundedSender<()>,
    reasons: mpsc::UnboundedSender<Option<CancellationReason>>,
) -> support::FnActivity<(), String> {
    activity("heartbeater", move |ctx: ActivityContext, ()| {
        let started = started.clone();
        let reasons = reasons.clone();
        async move {
            started.send(()).unwrap();
            let mut beats = 0u32;
            loop {
                ctx.heartbeat(&beats);
                beats += 1;
                tokio::select! {
                    _ = ctx.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
            reasons.send(ctx.cancellation_reason()).unwrap();
            Err::<String, ActivityError>(Cancelled::new().detail("stopped cleanly").into())
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_request_reaches_the_activity_through_heartbeats() {
    let client = client().await;
    let queue = unique("cancel-request");
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let (reasons_tx, mut reasons) = mpsc::unbounded_channel();
    let act = heartbeat_until_cancelled(started_tx, reasons_tx);
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
            options(&unique("cancel"), &queue).heartbeat_timeout(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    within("start", started.recv()).await.unwrap();
    handle.cancel("enough").await.unwrap();
    let reason = within("cancellation", reasons.recv()).await.unwrap();
    assert_eq!(reason, Some(CancellationReason::Requested));
    let err = within("result", handle.result()).await.unwrap_err();
    let OutcomeError::Cancelled { details, .. } = &err else {
        panic!("expected a cancellation, got {err}");
    };
    assert_eq!(details.get::<String>(0).unwrap(), "stopped cleanly");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn termination_cancels_the_attempt_and_nothing_is_reported() {
    let client = client().await;
    let queue = unique("cancel-terminate");
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let (reasons_tx, mut reasons) = mpsc::unbounded_channel();
    let act = heartbeat_until_cancelled(started_tx, reasons_tx);
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
            options(&unique("terminate"), &queue).heartbeat_timeout(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    within("start", started.recv()).await.unwrap();
    handle.terminate("operator says stop").await.unwrap();
    let reason = within("cancellation", reasons.recv()).await.unwrap();
    assert_eq!(reason, Some(CancellationReason::NotFound));
    let err = within("result", handle.result()).await.unwrap_err();
    let OutcomeError::Terminated { reason, .. } = &err else {
        panic!("expected a termination, got {err}");
    };
    assert_eq!(reason, "operator says stop");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_timeout_retries_from_the_last_heartbeat() {
    let client = client().await;
    let queue = unique("cancel-hb-timeout");
    let (reasons_tx, mut reasons) = mpsc::unbounded_channel();
    let act = activity("stalls_once", move |ctx: ActivityContext, ()| {
        let reasons = reasons_tx.clone();
        async move {
            if ctx.info().attempt == 1 {
                // One heartbeat, then silence: the server times the attempt out.
                ctx.heartbeat("checkpoint");
                ctx.cancelled().await;
                reasons.send(ctx.cancellation_reason()).unwrap();
                return Err(Cancelled::new().into());
            }
            let resumed: String = ctx.heartbeat_details()?.unwrap_or_default();
            Ok(format!("{resumed}@{}", ctx.info().attempt))
        }
    });
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(act.clone())
            .build()
            .unwrap(),
    );
    let out = within(
        "result",
        client.execute_activity(
            act,
            (),
            options(&unique("hb-timeout"), &queue)
                .heartbeat_timeout(Duration::from_secs(1))
                .start_to_close_timeout(Duration::from_secs(3)),
        ),
    )
    .await
    .unwrap();
    assert_eq!(out, "checkpoint@2");
    // The stalled first attempt is cancelled once its start-to-close time has passed locally.
    let reason = within("stale attempt cancelled", reasons.recv())
        .await
        .unwrap();
    assert_eq!(reason, Some(CancellationReason::TimedOut));
    running.stop().await.unwrap();
}

/// The first run heartbeats until cancelled and reports the reason on `reasons`, then stops
/// with `Cancelled`; later runs return `run <n> attempt <attempt>`.
fn stops_once(
    started: mpsc::UnboundedSender<()>,
    reasons: mpsc::UnboundedSender<Option<CancellationReason>>,
) -> support::FnActivity<(), String> {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    activity("stops_once", move |ctx: ActivityContext, ()| {
        let started = started.clone();
        let reasons = reasons.clone();
        let run = runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        async move {
            if run > 1 {
                return Ok(format!("run {run} attempt {}", ctx.info().attempt));
            }
            started.send(()).unwrap();
            loop {
                ctx.heartbeat(&run);
                tokio::select! {
                    _ = ctx.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
            reasons.send(ctx.cancellation_reason()).unwrap();
            Err::<String, ActivityError>(Cancelled::new().into())
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_stops_the_attempt_with_reason_paused_and_unpause_runs_it_again() {
    let client = client().await;
    let queue = unique("cancel-pause");
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let (reasons_tx, mut reasons) = mpsc::unbounded_channel();
    let act = stops_once(started_tx, reasons_tx);
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
            options(&unique("pause"), &queue).heartbeat_timeout(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    within("start", started.recv()).await.unwrap();
    handle.pause("maintenance").await.unwrap();
    let reason = within("cancellation", reasons.recv()).await.unwrap();
    assert_eq!(reason, Some(CancellationReason::Paused));
    // The attempt is reported as an ActivityPause failure; the server holds the activity.
    let paused = within("the pause takes hold", async {
        loop {
            let d = handle.describe().await.unwrap();
            if d.status == ActivityStatus::Paused && d.last_failure.is_some() {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert_eq!(paused.run_state, Some(ActivityRunState::Paused));
    let failure = paused.last_failure.unwrap();
    assert_eq!(failure.error_type(), Some(ACTIVITY_PAUSE_ERROR_TYPE));
    handle.unpause(UnpauseOptions::new()).await.unwrap();
    let out = within("result", handle.result()).await.unwrap();
    assert_eq!(out, "run 2 attempt 2");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_stops_the_attempt_with_reason_reset_and_starts_again_from_attempt_one() {
    let client = client().await;
    let queue = unique("cancel-reset");
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let (reasons_tx, mut reasons) = mpsc::unbounded_channel();
    let act = stops_once(started_tx, reasons_tx);
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
            options(&unique("reset"), &queue).heartbeat_timeout(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    within("start", started.recv()).await.unwrap();
    handle.reset(ResetOptions::new()).await.unwrap();
    let reason = within("cancellation", reasons.recv()).await.unwrap();
    assert_eq!(reason, Some(CancellationReason::Reset));
    let out = within("result", handle.result()).await.unwrap();
    assert_eq!(out, "run 2 attempt 1");
    running.stop().await.unwrap();
}

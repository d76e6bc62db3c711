//! A long activity that reports progress through heartbeats; the client watches the progress
//! and then cancels it. Runs its own worker on a separate task queue, so it needs only a server.

use std::time::Duration;

use hello_standalone_activity::init_logging;
use solo::prelude::*;

const TASK_QUEUE: &str = "heartbeat-progress-task-queue";

/// Counts to `steps`, heartbeating each step, until cancelled.
#[activity]
async fn count_slowly(ctx: ActivityContext, steps: u32) -> Result<u32, ActivityError> {
    // Resume from the last heartbeat of a previous attempt, if any.
    let start: u32 = ctx.heartbeat_details()?.unwrap_or(0);
    for step in start..steps {
        ctx.heartbeat(&step);
        tokio::select! {
            _ = ctx.cancelled() => {
                tracing::info!(step, "cancelled; stopping");
                return Err(Cancelled::new().detail(&step).into());
            }
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
    Ok(steps)
}

#[tokio::main]
async fn main() -> hello_standalone_activity::Result {
    init_logging();
    let client = Client::connect_default().await?;
    let worker = Worker::builder(client.clone(), TASK_QUEUE)
        .activity(count_slowly)
        .build()?;
    let running = tokio::spawn(worker.clone().run());

    let id = format!("heartbeat-progress-{}", std::process::id());
    let handle = client
        .start_activity(
            count_slowly,
            1000,
            ActivityOptions::new()
                .id(&id)
                .task_queue(TASK_QUEUE)
                .start_to_close_timeout(Duration::from_secs(60))
                .heartbeat_timeout(Duration::from_secs(2)),
        )
        .await?;
    println!("Started activity: {}", handle.id());

    // Follow its state changes (no busy polling) until it has made some progress.
    let mut updates = Box::pin(handle.watch());
    while let Some(description) = updates.next().await {
        let description = description?;
        let progress: Option<u32> = description.heartbeat_details.first()?;
        println!("Progress: {progress:?}");
        if progress.is_some_and(|p| p >= 5) {
            break;
        }
    }

    handle.cancel("enough progress").await?;
    match handle.result().await {
        Err(e) if e.is_cancelled() => println!("Activity cancelled: {e}"),
        other => println!("Activity ended: {other:?}"),
    }
    worker.shutdown().await;
    running.await??;
    Ok(())
}

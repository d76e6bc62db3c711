//! The solo modes: the same scenarios as [`crate::raw`], through solo's public API the way a
//! user writes them — `#[activity]` functions, `Worker::builder`, `start_activity` then
//! `result`, `list_activities`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Result, bail};
use futures::TryStreamExt;
use serde_json::Value;
use solo_client::{
    ActivityError, ActivityOptions, Cancelled, Client, ClientOptions, Connection, ConnectionOptions,
};
use solo_macros::activity;
use solo_worker::{ActivityContext, PollerBehavior, Worker};

use crate::args::Args;
use crate::harness::{self, Common, EchoClientOptions, INFLIGHT, ListProgress};
use crate::raw::{activity_id, run_prefix};

/// Echo tasks completed by this process's worker.
static COMPLETED: AtomicUsize = AtomicUsize::new(0);

/// Returns its input.
#[activity(crate = "solo_worker")]
async fn echo(input: String) -> String {
    COMPLETED.fetch_add(1, Ordering::Relaxed);
    input
}

/// Heartbeats every second until cancelled.
#[activity(crate = "solo_worker")]
async fn hold(ctx: ActivityContext) -> Result<(), ActivityError> {
    INFLIGHT.running.fetch_add(1, Ordering::Relaxed);
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await;
    let mut beat: u64 = 0;
    loop {
        tokio::select! {
            _ = ctx.cancelled() => break,
            _ = ticker.tick() => {
                beat += 1;
                ctx.heartbeat(&beat);
                INFLIGHT.heartbeats.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    INFLIGHT.running.fetch_sub(1, Ordering::Relaxed);
    INFLIGHT.finished.fetch_add(1, Ordering::Relaxed);
    Err(Cancelled::new().into())
}

async fn client(common: &Common) -> Result<Client> {
    let connection = Connection::connect(ConnectionOptions::new(common.address.as_str())).await?;
    Ok(Client::new(
        connection,
        ClientOptions::new().namespace(common.namespace.as_str()),
    ))
}

/// `--mode client`: the echo loop with solo's client.
pub(crate) async fn echo_client(mut args: Args) -> Result<Value> {
    let options = EchoClientOptions::parse(&mut args)?;
    args.finish()?;
    let client = client(&options.common).await?;
    let prefix = run_prefix("solo");
    let queue: Arc<str> = options.task_queue.as_str().into();
    harness::echo_client("solo", &options, move |i| {
        let client = client.clone();
        let queue = Arc::clone(&queue);
        let id = activity_id(&prefix, i);
        async move {
            let options = ActivityOptions::new()
                .id(id.as_str())
                .task_queue(&*queue)
                .start_to_close_timeout(Duration::from_secs(60));
            let handle = client.start_activity(echo, id.clone(), options).await?;
            let output = handle.result().await?;
            if output != id {
                bail!("echo returned {output:?} for {id:?}");
            }
            Ok(())
        }
    })
    .await
}

fn worker_options(args: &mut Args, default_queue: &str) -> Result<(Common, String, Option<usize>)> {
    let common = Common::parse(args)?;
    let queue = args
        .value("--task-queue")?
        .unwrap_or_else(|| default_queue.to_owned());
    let pollers = args.parse_opt("--pollers")?;
    Ok((common, queue, pollers))
}

/// Runs `worker` until SIGINT/SIGTERM (or until it stops by itself), then shuts it down.
async fn run_until_signal(worker: Worker, what: &str) -> Result<()> {
    let running = tokio::spawn(worker.clone().run());
    harness::announce_ready(what);
    tokio::select! {
        _ = harness::stop_signal() => {}
        finished = running => {
            finished??;
            return Ok(());
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), worker.shutdown()).await;
    Ok(())
}

/// `--mode worker`: the echo worker.
pub(crate) async fn echo_worker(mut args: Args) -> Result<Value> {
    let (common, queue, pollers) = worker_options(&mut args, "solo-bench")?;
    args.finish()?;
    let mut builder = Worker::builder(client(&common).await?, queue).activity(echo);
    if let Some(pollers) = pollers {
        builder = builder.pollers(PollerBehavior::Fixed(pollers));
    }
    run_until_signal(builder.build()?, "worker").await?;
    let line = harness::worker_report("echo-worker", "solo", COMPLETED.load(Ordering::Relaxed));
    harness::emit(&line);
    Ok(line)
}

/// `--mode inflight-worker`: one worker holding `--n` heartbeating activities.
pub(crate) async fn inflight_worker(mut args: Args) -> Result<Value> {
    let (n, window) = harness::inflight_options(&mut args)?;
    let (common, queue, pollers) = worker_options(&mut args, "solo-bench-inflight")?;
    args.finish()?;
    let mut builder = Worker::builder(client(&common).await?, queue)
        .activity(hold)
        .max_concurrent_activities(n + 100);
    if let Some(pollers) = pollers {
        builder = builder.pollers(PollerBehavior::Fixed(pollers));
    }
    let worker = builder.build()?;
    let running = tokio::spawn(worker.clone().run());
    harness::announce_ready("inflight-worker");
    let line = tokio::select! {
        line = harness::inflight_monitor("solo", n, window) => line,
        _ = harness::stop_signal() => Value::Null,
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), worker.shutdown()).await;
    running.abort();
    Ok(line)
}

/// `--mode list`: pages through every execution with `list_activities`.
pub(crate) async fn list(mut args: Args) -> Result<Value> {
    let common = Common::parse(&mut args)?;
    let query = args.value("--query")?.unwrap_or_default();
    args.finish()?;
    let client = client(&common).await?;
    let mut progress = ListProgress::start("solo");
    let mut rows = client.list_activities(query);
    while rows.try_next().await?.is_some() {
        progress.add(1);
    }
    Ok(progress.finish())
}

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

/// Executions of `faults_echo` that were a retry (attempt 2 or later): each one is an earlier
/// attempt that timed out because its task or its result was lost.
static FAULTS_RETRIED: AtomicUsize = AtomicUsize::new(0);

/// Returns its input, counting retried attempts (the `faults` scenario's activity).
#[activity(crate = "solo_worker")]
async fn faults_echo(ctx: ActivityContext, input: String) -> String {
    if ctx.info().attempt > 1 {
        FAULTS_RETRIED.fetch_add(1, Ordering::Relaxed);
    }
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

/// `--mode client`: the echo loop with solo's client; its lines say `sdk` (`solo`, or `ffi`
/// when it drives the worker of `--mode ffi-worker`).
pub(crate) async fn echo_client(mut args: Args, sdk: &str) -> Result<Value> {
    let options = EchoClientOptions::parse(&mut args)?;
    args.finish()?;
    let client = client(&options.common).await?;
    let prefix = run_prefix(sdk);
    let queue: Arc<str> = options.task_queue.as_str().into();
    harness::echo_client(sdk, &options, move |i| {
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
    harness::mark_on_signal(|| COMPLETED.load(Ordering::Relaxed));
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

/// `--mode faults-peer`: the solo side of the `faults` scenario (see [`crate::faults`]): a
/// worker and a client on one connection with solo's defaults, `--n` echo activities
/// `--concurrency` at a time once `go` arrives on stdin, one `faults-progress` line per
/// completed activity and a `faults` summary line. Every activity is bounded by
/// `--call-timeout`, the run by `--deadline`.
pub(crate) async fn faults_peer(mut args: Args) -> Result<Value> {
    use std::time::{Instant, SystemTime, UNIX_EPOCH};
    use tokio::io::AsyncBufReadExt;

    let common = Common::parse(&mut args)?;
    let queue = args
        .value("--task-queue")?
        .unwrap_or_else(|| "solo-bench-faults".to_owned());
    let prefix: Arc<str> = args
        .value("--prefix")?
        .unwrap_or_else(|| run_prefix("faults-solo-act"))
        .into();
    let n: usize = args.parse_or("--n", 1500)?;
    let concurrency = args.parse_or("--concurrency", 10usize)?.max(1);
    let start_to_close = Duration::from_secs_f64(args.parse_or("--start-to-close", 10.0f64)?);
    let call_timeout = Duration::from_secs_f64(args.parse_or("--call-timeout", 120.0f64)?);
    let deadline = Duration::from_secs_f64(args.parse_or("--deadline", 600.0f64)?);
    args.finish()?;

    let client = tokio::time::timeout(Duration::from_secs(60), client(&common)).await??;
    let worker = Worker::builder(client.clone(), queue.as_str())
        .activity(faults_echo)
        .build()?;
    let running = tokio::spawn(worker.clone().run());
    harness::announce_ready("faults-peer");
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    match stdin.next_line().await? {
        Some(line) if line.trim() == "go" => {}
        other => bail!("expected `go` on stdin, got {other:?}"),
    }

    let completed = Arc::new(AtomicUsize::new(0));
    let wrong = Arc::new(AtomicUsize::new(0));
    let ends_at = Instant::now() + deadline;
    let queue: Arc<str> = queue.into();
    let result = {
        let (completed, wrong) = (Arc::clone(&completed), Arc::clone(&wrong));
        harness::run_loop(0..n, concurrency, move |i| {
            let client = client.clone();
            let queue = Arc::clone(&queue);
            let id = activity_id(&prefix, i);
            let (completed, wrong) = (Arc::clone(&completed), Arc::clone(&wrong));
            async move {
                let left = ends_at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    bail!("activity {id}: unfinished after {deadline:?}");
                }
                let input = format!("{id}-input");
                let options = ActivityOptions::new()
                    .id(id.as_str())
                    .task_queue(&*queue)
                    .start_to_close_timeout(start_to_close);
                let call = async {
                    let handle = client
                        .start_activity(faults_echo, input.clone(), options)
                        .await?;
                    anyhow::Ok(handle.result().await?)
                };
                let output = match tokio::time::timeout(call_timeout.min(left), call).await {
                    Ok(output) => output.map_err(|e| anyhow::anyhow!("activity {id}: {e}"))?,
                    Err(_) => bail!(
                        "activity {id}: no result within {:?}",
                        call_timeout.min(left)
                    ),
                };
                if output != input {
                    wrong.fetch_add(1, Ordering::Relaxed);
                    bail!("activity {id}: returned {output:?}, expected {input:?}");
                }
                let done = completed.fetch_add(1, Ordering::Relaxed) + 1;
                let t = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                harness::emit(&serde_json::json!({
                    "scenario": "faults-progress",
                    "sdk": "solo",
                    "completed": done,
                    "t": t,
                }));
                Ok(())
            }
        })
        .await
    };
    let line = serde_json::json!({
        "scenario": "faults",
        "sdk": "solo",
        "n": n,
        "concurrency": concurrency,
        "completed": completed.load(Ordering::Relaxed),
        "errors": result.errors,
        "wrong_results": wrong.load(Ordering::Relaxed),
        "retried_attempts": FAULTS_RETRIED.load(Ordering::Relaxed),
        "first_error": result.first_error,
        "wall_s": crate::measure::round(result.wall.as_secs_f64(), 3),
    });
    harness::emit(&line);
    let _ = tokio::time::timeout(Duration::from_secs(10), worker.shutdown()).await;
    running.abort();
    Ok(line)
}

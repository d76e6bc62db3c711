//! The official Temporal Rust SDK (`temporalio-sdk`, `temporalio-client`) in solo-bench's echo
//! scenario: the same two processes as solo's own `--mode worker` and `--mode client`, speaking
//! the same protocol, so `solo-bench --mode suite --peers` runs it beside solo and the raw
//! baseline on one server.
//!
//! - `--mode worker`: an SDK `Worker` with one activity, `echo` (returns its input), polling
//!   `--task-queue` with `--pollers` activity pollers, until SIGINT/SIGTERM; then one
//!   `echo-worker` JSON line (tasks completed, its own CPU and memory).
//! - `--mode client`: starts each activity with the SDK client's `start_activity` and awaits
//!   `ActivityHandle::result`, `--concurrency` at a time; `--stepped` runs the measured loop in
//!   `go <count>` steps read from stdin, and at the end one `echo` JSON line.
//!
//! Every SDK call is the official SDK's: the worker, its pollers and task completion, the
//! activity definition (`#[activities]`), the client's connection, its start and result calls
//! and their payload conversion. The loop around the calls, the CPU, memory and allocation
//! readings and the JSON lines are solo-bench's own (its `harness`, `measure`, `alloc` and
//! `args` modules, compiled into this program from `benches/solo-bench/src` so every SDK is
//! measured by the same code).

#[allow(dead_code)]
#[path = "../../../solo-bench/src/alloc.rs"]
mod alloc;
#[path = "../../../solo-bench/src/args.rs"]
mod args;
#[allow(dead_code)]
#[path = "../../../solo-bench/src/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../../../solo-bench/src/measure.rs"]
mod measure;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use temporalio_client::{
    ActivityStartOptions, Client, ClientOptions, Connection, ConnectionOptions, Url,
};
use temporalio_sdk::activities::{ActivityContext, ActivityError, activities};
use temporalio_sdk::runtime::PollerBehavior;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use args::Args;
use harness::{Common, EchoClientOptions};

/// Allocations are counted as in solo-bench's own processes (its `alloc` module).
#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// The name this SDK has in solo-bench's tables.
const SDK: &str = "rust-sdk";

/// Echo tasks completed by this process's worker.
static COMPLETED: AtomicUsize = AtomicUsize::new(0);

/// The echo scenario's activities.
struct Echo;

#[activities]
impl Echo {
    /// Returns its input.
    #[activity(name = "echo")]
    async fn echo(_ctx: ActivityContext, input: String) -> Result<String, ActivityError> {
        COMPLETED.fetch_add(1, Ordering::Relaxed);
        Ok(input)
    }
}

const USAGE: &str = "\
rust-sdk-peer --mode <worker|client> [options]   (the official Temporal Rust SDK in solo-bench)
rust-sdk-peer --version                          the SDK crates' versions

  worker   --address A --task-queue Q [--pollers P]
  client   --address A --task-queue Q --n N --concurrency C [--warmup W]
           [--worker-pid P] [--server-pid P] [--stepped]
common: --namespace NS (default `default`)
";

async fn client(common: &Common) -> Result<Client> {
    let url = Url::parse(&format!("http://{}", common.address))
        .with_context(|| format!("--address {}", common.address))?;
    let connection = Connection::connect(ConnectionOptions::new(url).build())
        .await
        .with_context(|| format!("connecting to {}", common.address))?;
    Ok(Client::new(
        connection,
        ClientOptions::new(common.namespace.as_str()).build(),
    )?)
}

/// `--mode client`: the echo loop through the SDK client.
async fn echo_client(mut args: Args) -> Result<()> {
    let options = EchoClientOptions::parse(&mut args)?;
    args.finish()?;
    let client = client(&options.common).await?;
    let prefix = format!(
        "{SDK}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let queue = options.task_queue.clone();
    harness::echo_client(SDK, &options, move |i| {
        let client = client.clone();
        let id = format!("{prefix}-{i}");
        let start = ActivityStartOptions::with_start_to_close_timeout(
            queue.as_str(),
            id.as_str(),
            Duration::from_secs(60),
        )
        .build();
        async move {
            let handle = client.start_activity(Echo::echo, id.clone(), start).await?;
            let output = handle.result().await?;
            if output != id {
                bail!("echo returned {output:?} for {id:?}");
            }
            Ok(())
        }
    })
    .await?;
    Ok(())
}

/// `--mode worker`: the echo worker, until SIGINT/SIGTERM.
async fn echo_worker(mut args: Args) -> Result<()> {
    let common = Common::parse(&mut args)?;
    let queue = args
        .value("--task-queue")?
        .unwrap_or_else(|| "solo-bench".to_owned());
    let pollers: Option<usize> = args.parse_opt("--pollers")?;
    args.finish()?;
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let client = client(&common).await?;
    let mut options = WorkerOptions::new(queue.as_str())
        .register_activities(Echo)
        .build();
    if let Some(pollers) = pollers {
        options.activity_task_poller_behavior = Some(PollerBehavior::SimpleMaximum(pollers));
    }
    let mut worker = Worker::new(&runtime, client, options)?;
    let shutdown = worker.shutdown_handle();
    let run = worker.run();
    tokio::pin!(run);
    harness::announce_ready("worker");
    tokio::select! {
        finished = &mut run => {
            finished?;
            bail!("the worker stopped before it was asked to");
        }
        _ = harness::stop_signal() => {}
    }
    shutdown();
    if tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .is_err()
    {
        eprintln!("rust-sdk-peer: the worker did not shut down within 10 s");
    }
    let line = harness::worker_report("echo-worker", SDK, COMPLETED.load(Ordering::Relaxed));
    harness::emit(&line);
    Ok(())
}

/// The versions of the official SDK's crates this program was built with, from its lock file.
fn versions() -> String {
    const LOCK: &str = include_str!("../Cargo.lock");
    let version = |name: &str| {
        let entry = format!("name = \"{name}\"\nversion = \"");
        LOCK.find(&entry)
            .and_then(|at| LOCK[at + entry.len()..].split('"').next())
            .unwrap_or("?")
            .to_owned()
    };
    format!(
        "temporalio-sdk {}, temporalio-client {} (the official Rust SDK)",
        version("temporalio-sdk"),
        version("temporalio-client")
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = Args::new(std::env::args().skip(1).collect());
    if args.flag("--version") {
        println!("{}", versions());
        return ExitCode::SUCCESS;
    }
    let mode = match args.value("--mode") {
        Ok(Some(mode)) => mode,
        _ if args.flag("--help") || args.flag("-h") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(None) => {
            eprint!("rust-sdk-peer: --mode is required\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("rust-sdk-peer: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match mode.as_str() {
        "worker" => echo_worker(args).await,
        "client" => echo_client(args).await,
        other => Err(anyhow::anyhow!("unknown mode `{other}`\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rust-sdk-peer --mode {mode}: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! `solo-bench`: how much solo adds on top of the raw Temporal RPCs.
//!
//! Every process of the benchmark is this binary in some `--mode`:
//!
//! | mode | what it runs |
//! |---|---|
//! | `client` / `raw-client` | the echo client: `--n` activities, `--concurrency` at a time |
//! | `worker` / `raw-worker` | the echo worker for `--task-queue` until SIGINT/SIGTERM |
//! | `inflight-worker` / `raw-inflight-worker` | holds `--n` heartbeating activities until cancelled |
//! | `list` / `raw-list` | pages through every execution |
//! | `ffi-worker` / `ffi-client` | the echo worker driven through solo's C ABI (`solo-ffi`), and solo's client labelled `ffi` |
//! | `ffi-roundtrips` | `--n` start/complete round trips through the C ABI in one process, sampling RSS (a leak check) |
//! | `faults-peer` | a worker and a client executing `--n` echo activities through a fault proxy (see `faults.rs`) |
//! | `suite` | all of it against its own dev server, then the footprint and the table |
//!
//! With `--peers` the suite's echo scenario also runs the Python SDK and the official Rust SDK
//! (see `peers.rs`): their own worker and client programs, speaking the same protocol.
//!
//! The `raw-*` modes are the baseline: the same loops on the generated gRPC stubs with no SDK
//! logic. Each process reports its own figures as one JSON line on stdout; the echo client can
//! also read a worker's and a server's CPU (`--worker-pid`, `--server-pid`), so solo's client
//! and worker can be compared side by side with other SDKs' on one external server.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod alloc;
mod args;
mod chart;
mod faults;
mod ffi;
mod footprint;
mod harness;
mod measure;
mod peers;
mod process;
mod raw;
mod report;
mod sdk;
mod suite;

use std::process::ExitCode;

use anyhow::{Result, bail};

use args::Args;

/// Every process counts its allocations (see [`alloc`]).
#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// The SDKs the suite compares by default.
const DEFAULT_SDKS: &[&str] = &["raw", "solo"];

const USAGE: &str = "\
solo-bench --mode <mode> [options]

modes (the raw-* modes are the baseline on the bare gRPC stubs):
  client | raw-client     echo client     --address A --task-queue Q --n N --concurrency C
                                          [--warmup W] [--worker-pid P] [--server-pid P]
                                          [--stepped: run `go <count>` steps read from stdin]
  worker | raw-worker     echo worker     --address A --task-queue Q [--pollers P] [--n N]
  inflight-worker | raw-inflight-worker   --address A --task-queue Q --n N [--window S]
  list | raw-list         list executions --address A [--query Q]
  ffi-worker | ffi-client  the echo worker through the C ABI (solo-ffi) | solo's client labelled ffi
  ffi-roundtrips          --address A --n N: start/complete round trips through the C ABI, RSS sampled
  faults-peer             worker + client --address A --task-queue Q --prefix P --n N --concurrency C
                          [--start-to-close S] [--call-timeout S] [--deadline S]; starts on `go`
  suite                   everything, on its own dev server unless --address is given:
                          [--smoke] [--n N] [--concurrency 1,10,100] [--steps 10] [--reps R]
                          [--sdks raw,solo] [--scenarios echo,inflight,list,faults,ffi,footprint]
                          [--ffi-leak-n N] [--peers] [--rust-sdk-peer PATH]
                          [--faults-sdks solo,python] [--faults-n N] [--faults-outage S]
                          [--faults-reset-every S] [--faults-concurrency C]
                          [--inflight-n N] [--inflight-window S] [--list-min N]
                          [--workspace DIR] [--no-build] [--write BENCHMARKS.md]
                          (--write also writes the echo chart beside it: BENCHMARKS-echo.svg)
                          [--render-from FILE]: measure nothing, render the report of the run
                          whose JSON lines FILE holds (with that run's options)
                          [--note TEXT]: a paragraph for the written report, after its command
                          --peers adds the Python SDK (`python`, echo_peer.py on the tool venv's
                          temporalio) and the official Rust SDK (`rust-sdk`, the binary of
                          benches/peers/rust-sdk given as --rust-sdk-peer, which `cargo xtask
                          bench --peers` builds) to the echo scenario; --sdks may name them too
                          SOLO_BENCH_STEPS=1 prints each echo step's line (its SDK, activities,
                          and the client's, worker's and server's CPU seconds) to stderr
common: --namespace NS (default `default`), --address (default 127.0.0.1:7233)
";

fn main() -> ExitCode {
    let mut args = Args::new(std::env::args().skip(1).collect());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("solo-bench: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mode = match args.value("--mode") {
        Ok(Some(mode)) => mode,
        Ok(None) if args.flag("--help") || args.flag("-h") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(None) => {
            eprint!("solo-bench: --mode is required\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("solo-bench: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&mode, args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("solo-bench --mode {mode}: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mode: &str, args: Args) -> Result<bool> {
    match mode {
        "client" => sdk::echo_client(args, "solo").await.map(|_| true),
        "ffi-client" => sdk::echo_client(args, "ffi").await.map(|_| true),
        "ffi-worker" => ffi::echo_worker(args).await.map(|_| true),
        "ffi-roundtrips" => ffi::roundtrips(args).await.map(|_| true),
        "worker" => sdk::echo_worker(args).await.map(|_| true),
        "inflight-worker" => sdk::inflight_worker(args).await.map(|_| true),
        "list" => sdk::list(args).await.map(|_| true),
        "faults-peer" => sdk::faults_peer(args).await.map(|_| true),
        "raw-client" => raw::client(args).await.map(|_| true),
        "raw-worker" => raw::worker(args).await.map(|_| true),
        "raw-inflight-worker" => raw::inflight_worker(args).await.map(|_| true),
        "raw-list" => raw::list(args).await.map(|_| true),
        "suite" => {
            let mut args = args;
            let options = suite::SuiteOptions::parse(&mut args, DEFAULT_SDKS)?;
            args.finish()?;
            suite::run(options).await
        }
        other => bail!("unknown mode `{other}`\n\n{USAGE}"),
    }
}

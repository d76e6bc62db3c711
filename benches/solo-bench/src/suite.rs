//! `--mode suite`: the whole benchmark in one process tree — a dev server, every scenario as
//! separate client and worker processes of this binary, the footprint measurements, the table.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::args::Args;
use crate::faults::{self, FaultsOptions};
use crate::harness;
use crate::measure::round;
use crate::process::{Proc, strings};
use crate::{footprint, peers, raw, report};

/// The dev server's dynamic config.
///
/// - `history.transferProcessorMaxPollRPS=1000`: by default the dev server hands out at most
///   one newly started activity per 50 ms, which pins C=1 at 20 activities/s for every SDK.
/// - one task queue partition: with the default four, a task added to a partition that has no
///   waiting poller is forwarded or backlogged, which costs ~100 ms stalls (measured: raw C=1
///   p99 100 ms and 48 acts/s with four partitions, 20 ms and 212 acts/s with one), noise that
///   hides the SDK's own latency just as the transfer limit does.
pub(crate) const SERVER_CONFIG: &[&str] = &[
    "history.transferProcessorMaxPollRPS=1000",
    "matching.numTaskqueueReadPartitions=1",
    "matching.numTaskqueueWritePartitions=1",
];

/// The suite's settings.
#[derive(Debug, Clone)]
pub(crate) struct SuiteOptions {
    /// An external server; `None` starts a dev server.
    pub(crate) address: Option<String>,
    /// The external server's process id (for its CPU), when on this machine.
    pub(crate) server_pid: Option<u32>,
    /// The SDKs compared, in order (the peers among them only in the echo scenario).
    pub(crate) sdks: Vec<String>,
    /// The official Rust SDK's peer binary (`--rust-sdk-peer`), for the `rust-sdk` peer.
    pub(crate) rust_sdk_peer: Option<PathBuf>,
    /// Echo activities per run.
    pub(crate) n: usize,
    /// Echo concurrency levels.
    pub(crate) concurrency: Vec<usize>,
    /// Runs per concurrency level (figures are medians over them).
    pub(crate) reps: usize,
    /// Steps each echo run is cut into, alternating between the SDKs.
    pub(crate) steps: usize,
    /// Warm-up activities per echo client run.
    pub(crate) warmup: usize,
    /// Pollers of every echo worker.
    pub(crate) pollers: usize,
    /// Activities held by the in-flight worker.
    pub(crate) inflight_n: usize,
    /// The in-flight measuring window.
    pub(crate) inflight_window: Duration,
    /// The heartbeat timeout of in-flight activities (SDKs send heartbeats at 0.8 × this).
    pub(crate) inflight_heartbeat_timeout: Duration,
    /// `--render-from`: render the report of an earlier run's lines instead of running.
    pub(crate) render_from: Option<PathBuf>,
    /// `--note`: a paragraph for the written report, after its command (how the lines were
    /// gathered, when that is not one plain run).
    pub(crate) note: Option<String>,
    /// Executions the list scenario must page through at least.
    pub(crate) list_min: usize,
    /// The workspace, for the footprint measurements (`None` skips them).
    pub(crate) workspace: Option<PathBuf>,
    /// Measure the clean release build and binary size (slow).
    pub(crate) build: bool,
    /// Tiny sizes, targets not enforced.
    pub(crate) smoke: bool,
    /// Where to write the Markdown report.
    pub(crate) write: Option<PathBuf>,
    /// The command line to record in the report.
    pub(crate) command: String,
    /// Round trips of the C ABI leak check (the `ffi` scenario).
    pub(crate) ffi_leak_n: usize,
    /// Which scenarios run: `echo`, `inflight`, `list`, `faults`, `ffi`, `footprint`.
    pub(crate) scenarios: Vec<String>,
    /// The `faults` scenario's settings.
    pub(crate) faults: FaultsOptions,
}

impl SuiteOptions {
    pub(crate) fn runs(&self, scenario: &str) -> bool {
        self.scenarios.iter().any(|s| s == scenario)
    }

    /// The SDKs of the scenarios other than echo: the ones that are not peers.
    pub(crate) fn own_sdks(&self) -> impl Iterator<Item = &String> {
        self.sdks.iter().filter(|s| !peers::is_peer(s))
    }
}

impl SuiteOptions {
    /// Parses `--mode suite` options; `--smoke` changes the defaults.
    pub(crate) fn parse(args: &mut Args, default_sdks: &[&str]) -> Result<Self> {
        let smoke = args.flag("--smoke");
        let mut sdks: Vec<String> = args
            .value("--sdks")?
            .map(|s| s.split(',').map(str::to_owned).collect())
            .unwrap_or_else(|| default_sdks.iter().map(|s| (*s).to_owned()).collect());
        if args.flag("--peers") {
            for peer in peers::PEERS {
                if !sdks.iter().any(|s| s == peer) {
                    sdks.push((*peer).to_owned());
                }
            }
        }
        let rust_sdk_peer = args.value("--rust-sdk-peer")?.map(PathBuf::from);
        peers::check(&sdks, rust_sdk_peer.as_deref())?;
        let concurrency = match args.value("--concurrency")? {
            Some(list) => list
                .split(',')
                .map(|c| c.trim().parse::<usize>().context("--concurrency"))
                .collect::<Result<Vec<_>>>()?,
            None if smoke => vec![1, 4],
            None => vec![1, 10, 100],
        };
        let no_build = args.flag("--no-build");
        Ok(SuiteOptions {
            address: args.value("--address")?,
            server_pid: args.parse_opt("--server-pid")?,
            sdks,
            rust_sdk_peer,
            n: args.parse_or("--n", if smoke { 20 } else { 2000 })?,
            concurrency,
            reps: args.parse_or("--reps", 1usize)?.max(1),
            steps: args.parse_or("--steps", 10usize)?.max(1),
            warmup: args.parse_or("--warmup", if smoke { 2 } else { 50 })?,
            pollers: args.parse_or("--pollers", 5)?,
            inflight_n: args.parse_or("--inflight-n", if smoke { 50 } else { 10_000 })?,
            inflight_window: Duration::from_secs_f64(
                args.parse_or("--inflight-window", if smoke { 2.0 } else { 10.0 })?,
            ),
            inflight_heartbeat_timeout: Duration::from_secs_f64(args.parse_or(
                "--inflight-heartbeat-timeout",
                if smoke { 5.0 } else { 30.0 },
            )?),
            list_min: args.parse_or("--list-min", if smoke { 100 } else { 10_000 })?,
            ffi_leak_n: args.parse_or("--ffi-leak-n", if smoke { 100 } else { 10_000 })?,
            workspace: args.value("--workspace")?.map(PathBuf::from),
            build: !smoke && !no_build,
            smoke,
            write: args.value("--write")?.map(PathBuf::from),
            render_from: args.value("--render-from")?.map(PathBuf::from),
            note: args.value("--note")?,
            command: args
                .value("--command")?
                .unwrap_or_else(|| "solo-bench --mode suite".to_owned()),
            scenarios: args
                .value("--scenarios")?
                .unwrap_or_else(|| "echo,inflight,list,faults,ffi,footprint".to_owned())
                .split(',')
                .map(str::to_owned)
                .collect(),
            faults: FaultsOptions::parse(args, smoke)?,
        })
    }
}

/// The dev server the suite runs on.
struct Server {
    /// The dev server we started (killed on drop), if any.
    _child: Option<Proc>,
    address: String,
    pid: Option<u32>,
}

impl Server {
    async fn start_or_use(options: &SuiteOptions) -> Result<Self> {
        if let Some(address) = &options.address {
            return Ok(Server {
                _child: None,
                address: address.clone(),
                pid: options.server_pid,
            });
        }
        let cli = solo_testing::cli::ensure_cli()?;
        let port = solo_testing::dev_server::free_port()?;
        let address = format!("127.0.0.1:{port}");
        let mut args = strings(&[
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--headless",
            "--log-level",
            "error",
        ]);
        for value in SERVER_CONFIG {
            args.extend(strings(&["--dynamic-config-value", value]));
        }
        let child = Proc::spawn_program("dev-server", cli.clone(), &args, false)?;
        let pid = child.pid;
        let server = Server {
            _child: Some(child),
            address,
            pid: Some(pid),
        };
        let started = Instant::now();
        loop {
            if let Ok(mut stub) = raw::connect(&server.address).await
                && stub
                    .describe_namespace(
                        solo_proto::temporal::api::workflowservice::v1::DescribeNamespaceRequest {
                            namespace: "default".into(),
                            ..Default::default()
                        },
                    )
                    .await
                    .is_ok()
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!(
                    "the dev server ({}) did not become ready in 60 s",
                    cli.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tracing::info!(address = %server.address, pid, "dev server ready");
        Ok(server)
    }
}

/// The role names of each SDK's processes.
fn mode(sdk: &str, role: &str) -> String {
    if sdk == "solo" {
        role.to_owned()
    } else {
        format!("{sdk}-{role}")
    }
}

/// One SDK's side of an echo comparison: its worker and its stepped client.
struct EchoSide {
    sdk: String,
    worker: Proc,
    client: Proc,
}

/// One echo comparison at one concurrency: a worker and a stepped client per SDK (the peers'
/// programs included, see [`peers`]), all started before anything is measured; then `n`
/// activities per SDK in steps that alternate between the SDKs (ABBA: the order reverses every
/// round), so that each step of one SDK is next to a step of the others and all see the same
/// machine. Returns each client's line with its worker's own view merged in.
async fn echo_compare(
    options: &SuiteOptions,
    sdks: &[String],
    server: &Server,
    n: usize,
    concurrency: usize,
    warmup: usize,
) -> Result<Vec<Value>> {
    let mut sides = Vec::new();
    for sdk in sdks {
        let queue = raw::run_prefix(&format!("echo-{sdk}-c{concurrency}"));
        let peer = options.rust_sdk_peer.as_deref();
        let worker_args = strings(&[
            "--address",
            &server.address,
            "--task-queue",
            &queue,
            "--pollers",
            &options.pollers.to_string(),
        ]);
        let mut worker = peers::spawn_echo(sdk, "worker", peer, &worker_args, false)?;
        worker.wait_ready(Duration::from_secs(60)).await?;
        let mut client_args = strings(&[
            "--stepped",
            "--address",
            &server.address,
            "--task-queue",
            &queue,
            "--concurrency",
            &concurrency.to_string(),
            "--warmup",
            &warmup.to_string(),
            "--worker-pid",
            &worker.pid.to_string(),
        ]);
        if let Some(pid) = server.pid {
            client_args.extend(strings(&["--server-pid", &pid.to_string()]));
        }
        let mut client = peers::spawn_echo(sdk, "client", peer, &client_args, true)?;
        client.wait_ready(Duration::from_secs(120)).await?;
        // The client has warmed up: this worker's allocations count from here (its own
        // workers only; a peer's program would die of the signal).
        if !peers::is_peer(sdk) {
            worker.signal(harness::MARK_SIGNAL);
        }
        sides.push(EchoSide {
            sdk: sdk.clone(),
            worker,
            client,
        });
    }

    // Steps of about a tenth of the run, but at least five rounds of the concurrency so
    // the ramp at each step's start and end stays small.
    let step = (n / options.steps.max(1))
        .max(5 * concurrency)
        .clamp(1, n.max(1));
    let mut remaining = n;
    let mut round = 0usize;
    while remaining > 0 {
        let count = step.min(remaining);
        let mut order: Vec<usize> = (0..sides.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let side = &mut sides[i];
            side.client.send_line(&format!("go {count}")).await?;
            let limit = Duration::from_secs(60) + Duration::from_millis(200 * count as u64);
            let step = side.client.json_line("step", limit).await?;
            if std::env::var_os("SOLO_BENCH_STEPS").is_some() {
                eprintln!("solo-bench: c={concurrency} round {round}: {step}");
            }
        }
        remaining -= count;
        round += 1;
    }

    // The last step's responses have arrived; let the workers finish theirs, then close
    // their allocation counts.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for side in sides.iter().filter(|s| !peers::is_peer(&s.sdk)) {
        side.worker.signal(harness::MARK_SIGNAL);
    }
    let mut lines = Vec::new();
    for side in &mut sides {
        side.client.close_stdin();
        let line = side.client.json_line("echo", Duration::from_secs(60)).await;
        let status = side.client.wait_exit(Duration::from_secs(30)).await;
        side.worker.signal(libc::SIGTERM);
        let worker_line = side
            .worker
            .json_line("echo-worker", Duration::from_secs(30))
            .await;
        let _ = side.worker.wait_exit(Duration::from_secs(10)).await;
        let mut line = line?;
        let status = status?;
        if !status.success() {
            bail!("{} client exited with {status}: {line}", side.sdk);
        }
        if let Ok(w) = worker_line {
            line["worker_completed"] = w["completed"].clone();
            line["worker_total_cpu_s"] = w["worker_cpu_s"].clone();
            line["worker_allocs_per_act"] = w["worker_allocs_per_act"].clone();
            line["worker_alloc_bytes_per_act"] = w["worker_alloc_bytes_per_act"].clone();
        }
        line["steps"] = json!(round);
        lines.push(line);
    }
    Ok(lines)
}

/// The in-flight scenario for one SDK: the worker holds `inflight_n` activities (started here
/// on the raw stubs), measures itself over the window, then everything is cancelled.
async fn inflight_run(options: &SuiteOptions, server: &Server, sdk: &str) -> Result<Value> {
    let n = options.inflight_n;
    let queue = raw::run_prefix(&format!("inflight-{sdk}"));
    let mut worker_args = strings(&["--mode", &mode(sdk, "inflight-worker")]);
    worker_args.extend(strings(&[
        "--address",
        &server.address,
        "--task-queue",
        &queue,
        "--n",
        &n.to_string(),
        "--window",
        &options.inflight_window.as_secs_f64().to_string(),
    ]));
    let mut worker = Proc::spawn_bench(&format!("{sdk} inflight-worker"), &worker_args, false)?;
    worker.wait_ready(Duration::from_secs(30)).await?;

    let stub = raw::connect(&server.address).await?;
    let namespace: Arc<str> = "default".into();
    let queue: Arc<str> = queue.into();
    let prefix: Arc<str> = raw::run_prefix("hold").into();
    let heartbeat_timeout = options.inflight_heartbeat_timeout;
    let started = {
        let (stub, namespace, queue, prefix) = (
            stub.clone(),
            Arc::clone(&namespace),
            Arc::clone(&queue),
            Arc::clone(&prefix),
        );
        harness::run_loop(0..n, 100, move |i| {
            let stub = stub.clone();
            let request = raw::start_request(
                &namespace,
                &queue,
                raw::HOLD,
                raw::activity_id(&prefix, i),
                None,
                Some(heartbeat_timeout),
            );
            async move { raw::start_retrying(&stub, request).await }
        })
        .await
    };
    if let Some(e) = started.first_error {
        bail!(
            "starting {n} hold activities: {} failed: {e}",
            started.errors
        );
    }
    let limit = Duration::from_secs(120) + options.inflight_window + started.wall;
    let mut line = worker.json_line("inflight", limit).await?;
    line["start_s"] = json!(round(started.wall.as_secs_f64(), 3));

    let cancel_started = Instant::now();
    let cancelled = harness::run_loop(0..n, 100, move |i| {
        let stub = stub.clone();
        let namespace = Arc::clone(&namespace);
        let id = raw::activity_id(&prefix, i);
        async move { raw::cancel(&stub, &namespace, id).await }
    })
    .await;
    if let Some(e) = cancelled.first_error {
        bail!("cancelling: {} failed: {e}", cancelled.errors);
    }
    // Workers learn of a cancellation from their next heartbeat RPC, so draining takes up to
    // one heartbeat throttle interval (0.8 × the heartbeat timeout).
    let drain_limit = heartbeat_timeout + Duration::from_secs(90);
    match worker.wait_exit(drain_limit).await {
        Ok(_) => {
            line["cancel_to_drained_s"] = json!(round(cancel_started.elapsed().as_secs_f64(), 3))
        }
        Err(e) => {
            line["cancel_to_drained_s"] = Value::Null;
            line["drain_error"] = json!(e.to_string());
        }
    }
    Ok(line)
}

/// Makes sure at least `min` executions are visible, starting never-polled ones if needed.
async fn ensure_listable(server: &Server, min: usize) -> Result<usize> {
    use solo_proto::temporal::api::workflowservice::v1::CountActivityExecutionsRequest;
    let stub = raw::connect(&server.address).await?;
    let count = |mut stub: raw::Stub| async move {
        let response = stub
            .count_activity_executions(CountActivityExecutionsRequest {
                namespace: "default".into(),
                query: String::new(),
            })
            .await?
            .into_inner();
        anyhow::Ok(response.count.max(0) as usize)
    };
    let have = count(stub.clone()).await?;
    if have < min {
        let missing = min - have;
        let prefix: Arc<str> = raw::run_prefix("fill").into();
        let queue: Arc<str> = raw::run_prefix("fill-queue").into();
        let started = {
            let stub = stub.clone();
            harness::run_loop(0..missing, 100, move |i| {
                let stub = stub.clone();
                let request = raw::start_request(
                    "default",
                    &queue,
                    "fill",
                    raw::activity_id(&prefix, i),
                    None,
                    None,
                );
                async move { raw::start_retrying(&stub, request).await }
            })
            .await
        };
        if let Some(e) = started.first_error {
            bail!("starting list filler activities: {e}");
        }
    }
    // Visibility is eventually consistent: wait for the rows to show.
    let started = Instant::now();
    loop {
        let now = count(stub.clone()).await?;
        if now >= min || started.elapsed() > Duration::from_secs(60) {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn list_run(server: &Server, sdk: &str) -> Result<Value> {
    let args = strings(&["--mode", &mode(sdk, "list"), "--address", &server.address]);
    let mut client = Proc::spawn_bench(&format!("{sdk} list"), &args, false)?;
    let line = client.json_line("list", Duration::from_secs(600)).await;
    let status = client.wait_exit(Duration::from_secs(30)).await?;
    let line = line?;
    if !status.success() {
        bail!("{sdk} list exited with {status}");
    }
    Ok(line)
}

/// The `ffi` scenario: solo's echo worker driven through the C ABI against the native one,
/// side by side (ABBA steps, as the echo scenario) at each concurrency, its lines labelled
/// `ffi-echo`; then `ffi_leak_n` round trips through the ABI with the resident size sampled.
async fn ffi_run(options: &SuiteOptions, server: &Server, results: &mut Results) {
    let sdks = strings(&["solo", "ffi"]);
    for &c in &options.concurrency {
        report::log(&format!("solo-bench: ffi echo c={c} (solo vs ffi)"));
        match echo_compare(options, &sdks, server, options.n, c, options.warmup).await {
            Ok(lines) => {
                for mut line in lines {
                    line["scenario"] = json!("ffi-echo");
                    results.record("ffi-echo", Ok(line));
                }
            }
            Err(e) => results.record(&format!("ffi echo c={c}"), Err(e)),
        }
    }
    report::log(&format!(
        "solo-bench: ffi round trips n={}",
        options.ffi_leak_n
    ));
    let outcome = async {
        let args = strings(&[
            "--mode",
            "ffi-roundtrips",
            "--address",
            &server.address,
            "--n",
            &options.ffi_leak_n.to_string(),
        ]);
        let mut child = Proc::spawn_bench("ffi round trips", &args, false)?;
        let limit = Duration::from_secs(60) + Duration::from_millis(50 * options.ffi_leak_n as u64);
        let line = child.json_line("ffi-leak", limit).await;
        let _ = child.wait_exit(Duration::from_secs(30)).await;
        line
    }
    .await;
    results.record("ffi-leak", outcome);
}

/// Collects scenario lines and failures.
#[derive(Default)]
struct Results {
    lines: Vec<Value>,
    failures: Vec<String>,
}

impl Results {
    fn record(&mut self, what: &str, outcome: Result<Value>) {
        match outcome {
            Ok(line) => {
                harness::emit(&line);
                self.lines.push(line);
            }
            Err(e) => {
                let message = format!("{what}: {e:#}");
                report::log(&format!("solo-bench: FAILED {message}"));
                harness::emit(
                    &json!({"scenario": "error", "what": what, "error": format!("{e:#}")}),
                );
                self.failures.push(message);
            }
        }
    }
}

/// Runs the suite; returns whether every scenario ran.
pub(crate) async fn run(options: SuiteOptions) -> Result<bool> {
    if let Some(path) = &options.render_from {
        return render_from(&options, path);
    }
    let mut results = Results::default();
    report::log(&format!(
        "solo-bench: sdks {:?}; echo n={} c={:?}",
        options.sdks, options.n, options.concurrency
    ));

    for sdk in options.sdks.iter().filter(|s| peers::is_peer(s)) {
        let outcome = peers::version_line(sdk, options.rust_sdk_peer.as_deref()).await;
        results.record(&format!("{sdk} version"), outcome);
    }

    // Each concurrency level runs on a dev server of its own (unless the suite was given one):
    // the dev server keeps every execution in memory (~200 KB per completed activity), so one
    // server for the whole echo scenario grew to the machine's memory at `--reps 5 --peers`
    // and slowed as executions piled up, which favoured whichever level ran first.
    for &c in options.concurrency.iter().filter(|_| options.runs("echo")) {
        let server = match Server::start_or_use(&options).await {
            Ok(server) => server,
            Err(e) => {
                results.record(&format!("echo c={c}"), Err(e));
                continue;
            }
        };
        report::log(&format!(
            "solo-bench: echo c={c} on server {} (pid {:?})",
            server.address, server.pid
        ));
        // Warm the server (task queue machinery, caches, the Go runtime) before measuring.
        if let Err(e) =
            echo_compare(&options, &options.sdks, &server, options.n.min(200), 10, 0).await
        {
            results.failures.push(format!("warm-up c={c}: {e:#}"));
        }
        for rep in 0..options.reps {
            report::log(&format!(
                "solo-bench: echo c={c} run {} ({})",
                rep + 1,
                options.sdks.join(" vs ")
            ));
            match echo_compare(
                &options,
                &options.sdks,
                &server,
                options.n,
                c,
                options.warmup,
            )
            .await
            {
                Ok(lines) => {
                    for line in lines {
                        results.record("echo", Ok(line));
                    }
                }
                Err(e) => results.record(&format!("echo c={c}"), Err(e)),
            }
        }
    }

    for sdk in options.own_sdks().filter(|_| options.runs("inflight")) {
        report::log(&format!(
            "solo-bench: inflight {sdk} n={}",
            options.inflight_n
        ));
        // Each SDK holds its activities on a server of its own (unless the suite was given
        // one): the executions a run leaves behind slow the next run's starts (measured:
        // 10,000 started in 32 s on a fresh dev server, 45 s after the other SDK's run), which
        // would favour whichever SDK runs first.
        let outcome = match Server::start_or_use(&options).await {
            Ok(own) => inflight_run(&options, &own, sdk).await,
            Err(e) => Err(e),
        };
        results.record(&format!("inflight {sdk}"), outcome);
    }

    if ["list", "ffi", "faults"].iter().any(|s| options.runs(s)) {
        match Server::start_or_use(&options).await {
            Ok(server) => tail_scenarios(&options, &server, &mut results).await,
            Err(e) => results.record("server for list, ffi and faults", Err(e)),
        }
    }

    if let Some(workspace) = options
        .workspace
        .as_ref()
        .filter(|_| options.runs("footprint"))
    {
        report::log("solo-bench: footprint");
        let outcome = footprint::measure(workspace, options.build).await;
        results.record("footprint", outcome);
    }

    write_report(&options, &results.lines, &results.failures, None)
}

/// The scenarios that share one dev server after the echo and in-flight ones: listing, the C
/// ABI and faults.
async fn tail_scenarios(options: &SuiteOptions, server: &Server, results: &mut Results) {
    if options.runs("list") {
        match ensure_listable(server, options.list_min).await {
            Ok(visible) => {
                report::log(&format!("solo-bench: list ({visible} executions visible)"));
                for sdk in options.own_sdks() {
                    let outcome = list_run(server, sdk).await;
                    results.record(&format!("list {sdk}"), outcome);
                }
            }
            Err(e) => results.failures.push(format!("list setup: {e:#}")),
        }
    }

    if options.runs("ffi") {
        ffi_run(options, server, results).await;
    }

    for sdk in options
        .faults
        .sdks
        .iter()
        .filter(|_| options.runs("faults"))
    {
        if sdk == "python" && faults::python().is_none() {
            report::log(
                "solo-bench: faults python skipped: no Python SDK (run `cargo xtask \
                 install-tools` or set SOLO_PYTHON)",
            );
            continue;
        }
        report::log(&format!(
            "solo-bench: faults {sdk} n={} c={}, resets every {:?}, {:?} outage",
            options.faults.n,
            options.faults.concurrency,
            options.faults.reset_every,
            options.faults.outage
        ));
        let outcome = faults::run(&server.address, &options.faults, sdk).await;
        results.record(&format!("faults {sdk}"), outcome);
    }
}

/// `--render-from FILE`: the report of an earlier run, from the JSON lines of its
/// `BENCHMARKS.md` (or of a file of lines), with the date and machine of that run when the
/// file gives them; nothing is measured. For a change to the report itself.
pub(crate) fn render_from(options: &SuiteOptions, path: &Path) -> Result<bool> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let value: Value = serde_json::from_str(line)
            .with_context(|| format!("a JSON line of {}: {line}", path.display()))?;
        if value["scenario"] == "error" {
            failures.push(format!(
                "{}: {}",
                value["what"].as_str().unwrap_or("?"),
                value["error"].as_str().unwrap_or("?")
            ));
        } else {
            lines.push(value);
        }
    }
    if lines.is_empty() {
        bail!(
            "{} holds no JSON lines of a run (a BENCHMARKS.md written by --write, or the lines a suite printed)",
            path.display()
        );
    }
    write_report(options, &lines, &failures, earlier_run(&text))
}

/// The date and machine of the run a written report describes: `Run <date> on:`, a blank
/// line, then the machine's lines up to the next blank line.
fn earlier_run(report: &str) -> Option<(String, String)> {
    let (_, rest) = report.split_once("\nRun ")?;
    let (date, rest) = rest.split_once(" on:\n\n")?;
    let machine = rest.split("\n\n").next()?;
    Some((date.to_owned(), machine.to_owned()))
}

/// Prints the report of `lines` and, with `--write`, writes it and its chart.
fn write_report(
    options: &SuiteOptions,
    lines: &[Value],
    failures: &[String],
    earlier: Option<(String, String)>,
) -> Result<bool> {
    let table = report::render(options, lines, failures);
    report::print(&table);
    if let Some(path) = &options.write {
        // The chart lives beside the report: `BENCHMARKS.md` → `BENCHMARKS-echo.svg`.
        let chart = report::echo_chart(options, lines).map(|svg| {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("bench");
            (path.with_file_name(format!("{stem}-echo.svg")), svg)
        });
        if let Some((chart_path, svg)) = &chart {
            std::fs::write(chart_path, svg)
                .with_context(|| format!("writing {}", chart_path.display()))?;
            report::log(&format!("solo-bench: wrote {}", chart_path.display()));
        }
        let chart_name = chart
            .as_ref()
            .and_then(|(p, _)| p.file_name())
            .and_then(|n| n.to_str());
        let markdown = report::markdown(options, &table, lines, chart_name, earlier);
        std::fs::write(path, markdown).with_context(|| format!("writing {}", path.display()))?;
        report::log(&format!("solo-bench: wrote {}", path.display()));
    }
    Ok(failures.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_report_gives_its_run_date_and_machine() {
        let report = "# Benchmarks\n\nCommand:\n\n```sh\ncargo xtask bench\n```\n\n\
                      Run 2026-12-06 20:25 UTC on:\n\n- CPU: two cores\n- rustc 1.95.0\n\n\
                      ### Echo\n";
        assert_eq!(
            earlier_run(report),
            Some((
                "2026-12-06 20:25 UTC".to_owned(),
                "- CPU: two cores\n- rustc 1.95.0".to_owned()
            ))
        );
        assert_eq!(earlier_run("{\"scenario\":\"echo\"}\n"), None);
    }
}

//! The parts every SDK's benchmark processes share: the concurrent start-and-await loop, the
//! echo client's report, and the worker shell that reports its own CPU and memory at exit.

use std::future::Future;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::alloc::Allocs;
use crate::args::Args;
use crate::measure::{self, PidCpu, percentile_ms, round};

/// Options shared by every mode that talks to a server.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    /// `host:port` of the frontend.
    pub(crate) address: String,
    /// The namespace.
    pub(crate) namespace: String,
}

impl Common {
    /// Reads `--address` (default `127.0.0.1:7233`) and `--namespace` (default `default`).
    pub(crate) fn parse(args: &mut Args) -> Result<Self> {
        Ok(Common {
            address: args
                .value("--address")?
                .unwrap_or_else(|| "127.0.0.1:7233".to_owned()),
            namespace: args
                .value("--namespace")?
                .unwrap_or_else(|| "default".to_owned()),
        })
    }
}

/// Options of the echo client (`--mode client` and `--mode raw-client`).
#[derive(Debug, Clone)]
pub(crate) struct EchoClientOptions {
    /// Connection.
    pub(crate) common: Common,
    /// The task queue the worker polls.
    pub(crate) task_queue: String,
    /// Activities measured.
    pub(crate) n: usize,
    /// How many are started and awaited at once.
    pub(crate) concurrency: usize,
    /// Activities run before measuring (not counted anywhere in the report).
    pub(crate) warmup: usize,
    /// The worker's process id, to read its CPU and memory over the measured window.
    pub(crate) worker_pid: Option<u32>,
    /// The server's process id, to read its CPU over the measured window.
    pub(crate) server_pid: Option<u32>,
    /// Run the measured loop in steps asked for on stdin (see [`echo_client`]).
    pub(crate) stepped: bool,
}

impl EchoClientOptions {
    /// Parses the client options.
    pub(crate) fn parse(args: &mut Args) -> Result<Self> {
        let common = Common::parse(args)?;
        Ok(EchoClientOptions {
            common,
            task_queue: args
                .value("--task-queue")?
                .unwrap_or_else(|| "solo-bench".to_owned()),
            n: args.parse_or("--n", 2000)?,
            concurrency: args.parse_or("--concurrency", 10usize)?.max(1),
            warmup: args.parse_or("--warmup", 0)?,
            worker_pid: args.parse_opt("--worker-pid")?,
            server_pid: args.parse_opt("--server-pid")?,
            stepped: args.flag("--stepped"),
        })
    }
}

/// What one run of the concurrent loop measured.
#[derive(Debug, Default)]
pub(crate) struct LoopResult {
    /// Start-to-result latency of each successful operation.
    pub(crate) latencies: Vec<Duration>,
    /// Failed operations.
    pub(crate) errors: usize,
    /// The first failure's text.
    pub(crate) first_error: Option<String>,
    /// Wall time of the whole loop.
    pub(crate) wall: Duration,
}

/// Runs `op(i)` for every `i` in `range`, `concurrency` at a time (each of `concurrency` tasks
/// takes the next index when its previous operation ends), timing each operation.
pub(crate) async fn run_loop<F, Fut>(range: Range<usize>, concurrency: usize, op: F) -> LoopResult
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(range.start));
    let end = range.end;
    let tasks_wanted = concurrency.clamp(1, range.len().max(1));
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..tasks_wanted {
        let op = Arc::clone(&op);
        let next = Arc::clone(&next);
        tasks.spawn(async move {
            let mut part = LoopResult::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    break;
                }
                let t = Instant::now();
                match op(i).await {
                    Ok(()) => part.latencies.push(t.elapsed()),
                    Err(e) => {
                        part.errors += 1;
                        part.first_error.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
            part
        });
    }
    let mut all = LoopResult::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(part) => {
                all.latencies.extend(part.latencies);
                all.errors += part.errors;
                if all.first_error.is_none() {
                    all.first_error = part.first_error;
                }
            }
            Err(e) => {
                all.errors += 1;
                all.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    all.wall = started.elapsed();
    all
}

/// What one measured stretch of the echo loop cost.
#[derive(Debug, Default)]
struct Measured {
    result: LoopResult,
    client_cpu_s: f64,
    client_allocs: Allocs,
    worker_cpu_s: Option<f64>,
    server_cpu_s: Option<f64>,
}

impl Measured {
    fn add(&mut self, part: Measured) {
        self.result.latencies.extend(part.result.latencies);
        self.result.errors += part.result.errors;
        if self.result.first_error.is_none() {
            self.result.first_error = part.result.first_error;
        }
        self.result.wall += part.result.wall;
        self.client_cpu_s += part.client_cpu_s;
        self.client_allocs.add(part.client_allocs);
        let sum = |a: Option<f64>, b: Option<f64>| Some(a.unwrap_or(0.0) + b?);
        self.worker_cpu_s = sum(self.worker_cpu_s, part.worker_cpu_s);
        self.server_cpu_s = sum(self.server_cpu_s, part.server_cpu_s);
    }
}

/// Runs `op` over `range` with the CPU of this process, the worker and the server read
/// around it.
async fn measured<F, Fut>(range: Range<usize>, options: &EchoClientOptions, op: F) -> Measured
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let client_cpu = measure::self_cpu_s();
    let client_allocs = Allocs::now();
    let worker_cpu = PidCpu::start(options.worker_pid);
    let server_cpu = PidCpu::start(options.server_pid);
    let result = run_loop(range, options.concurrency, op).await;
    Measured {
        result,
        client_cpu_s: measure::self_cpu_s() - client_cpu,
        client_allocs: Allocs::now().since(client_allocs),
        worker_cpu_s: worker_cpu.and_then(|c| c.elapsed()),
        server_cpu_s: server_cpu.and_then(|c| c.elapsed()),
    }
}

/// Runs the echo client: the warm-up, then the measured loop, then prints the JSON line and
/// returns it.
///
/// With `--stepped`, the measured loop runs in steps a parent process asks for on stdin
/// (`go <count>` lines; end of input ends the run), acknowledging each with a `step` line.
/// The suite uses that to interleave two SDKs' clients step by step, so that both see the same
/// machine even when its load changes; only the steps count, in wall time and CPU alike.
pub(crate) async fn echo_client<F, Fut>(
    sdk: &str,
    options: &EchoClientOptions,
    op: F,
) -> Result<Value>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let op = Arc::new(op);
    // Warm-up activities take indexes past any measured ones.
    let warm_base = usize::MAX / 2;
    if options.warmup > 0 {
        let op = Arc::clone(&op);
        let warm = run_loop(
            warm_base..warm_base + options.warmup,
            options.concurrency,
            move |i| op(i),
        )
        .await;
        if let Some(e) = warm.first_error {
            anyhow::bail!(
                "warm-up failed ({} of {}): {e}",
                warm.errors,
                options.warmup
            );
        }
    }
    let mut total = Measured::default();
    if options.stepped {
        use tokio::io::AsyncBufReadExt;
        announce_ready("client");
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        let mut next = 0;
        while let Some(line) = lines.next_line().await? {
            let count: usize = line
                .trim()
                .strip_prefix("go ")
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("expected `go <count>`, got `{line}`"))?;
            let op = Arc::clone(&op);
            let part = measured(next..next + count, options, move |i| op(i)).await;
            next += count;
            emit(&json!({
                "scenario": "step",
                "sdk": sdk,
                "done": part.result.latencies.len(),
                "client_cpu_s": round(part.client_cpu_s, 4),
                "worker_cpu_s": part.worker_cpu_s.map(|v| round(v, 3)),
                "server_cpu_s": part.server_cpu_s.map(|v| round(v, 3)),
            }));
            total.add(part);
        }
    } else {
        total = measured(0..options.n, options, move |i| op(i)).await;
    }
    let Measured {
        mut result,
        client_cpu_s,
        client_allocs,
        worker_cpu_s,
        server_cpu_s,
    } = total;
    result.latencies.sort_unstable();
    let worker_mem = options.worker_pid.and_then(measure::pid_memory);

    let done = result.latencies.len();
    let n = done + result.errors;
    let wall_s = result.wall.as_secs_f64();
    let per_act_ms = |cpu_s: Option<f64>| cpu_s.map(|s| round(s * 1e3 / done.max(1) as f64, 4));
    let line = json!({
        "scenario": "echo",
        "sdk": sdk,
        "n": n,
        "concurrency": options.concurrency,
        "completed": done,
        "errors": result.errors,
        "first_error": result.first_error,
        "wall_s": round(wall_s, 4),
        "acts_per_s": round(done as f64 / wall_s.max(1e-9), 2),
        "p50_ms": percentile_ms(&result.latencies, 0.50).map(|v| round(v, 3)),
        "p99_ms": percentile_ms(&result.latencies, 0.99).map(|v| round(v, 3)),
        "p999_ms": percentile_ms(&result.latencies, 0.999).map(|v| round(v, 3)),
        "client_cpu_s": round(client_cpu_s, 4),
        "worker_cpu_s": worker_cpu_s.map(|v| round(v, 3)),
        "server_cpu_s": server_cpu_s.map(|v| round(v, 3)),
        "client_cpu_ms_per_act": per_act_ms(Some(client_cpu_s)),
        "worker_cpu_ms_per_act": per_act_ms(worker_cpu_s),
        "server_cpu_ms_per_act": per_act_ms(server_cpu_s),
        "client_allocs_per_act": round(client_allocs.count as f64 / done.max(1) as f64, 1),
        "client_alloc_bytes_per_act": round(client_allocs.bytes as f64 / done.max(1) as f64, 0),
        "client_peak_rss_mb": round(measure::self_memory().peak_mb, 1),
        "worker_peak_rss_mb": worker_mem.map(|m| round(m.peak_mb, 1)),
    });
    emit(&line);
    if result.errors > 0 {
        anyhow::bail!(
            "{} of {n} activities failed; first: {}",
            result.errors,
            result.first_error.unwrap_or_default()
        );
    }
    Ok(line)
}

/// Prints one JSON line on stdout.
#[allow(clippy::print_stdout)]
pub(crate) fn emit(line: &Value) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Tells a parent process on stderr that a worker is polling.
#[allow(clippy::print_stderr)]
pub(crate) fn announce_ready(what: &str) {
    eprintln!("{READY_MARK} {what}");
}

/// The stderr line prefix that [`announce_ready`] writes.
pub(crate) const READY_MARK: &str = "solo-bench: ready";

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

/// The signal that makes a worker note its allocations and completed tasks (see
/// [`mark_on_signal`]).
pub(crate) const MARK_SIGNAL: libc::c_int = libc::SIGUSR1;

/// The marks a worker took: its allocations and its completed tasks at each [`MARK_SIGNAL`].
static MARKS: std::sync::Mutex<Vec<(Allocs, usize)>> = std::sync::Mutex::new(Vec::new());

/// Notes this worker's allocations and `completed()` each time [`MARK_SIGNAL`] arrives, so that
/// its report can give the allocations per task between the first and the last mark (the
/// suite marks just before and just after the measured steps).
pub(crate) fn mark_on_signal(completed: impl Fn() -> usize + Send + 'static) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut marks) = signal(SignalKind::from_raw(MARK_SIGNAL)) else {
        return;
    };
    tokio::spawn(async move {
        while marks.recv().await.is_some() {
            let mark = (Allocs::now(), completed());
            MARKS.lock().unwrap_or_else(|p| p.into_inner()).push(mark);
        }
    });
}

/// Allocations per completed task between the first and the last mark, when there were two
/// marks with tasks in between.
fn marked_allocs_per_task() -> Option<(f64, f64, usize)> {
    let marks = MARKS.lock().unwrap_or_else(|p| p.into_inner());
    let (first, last) = (marks.first()?, marks.last()?);
    let tasks = last.1.checked_sub(first.1).filter(|&t| t > 0)?;
    let allocs = last.0.since(first.0);
    Some((
        allocs.count as f64 / tasks as f64,
        allocs.bytes as f64 / tasks as f64,
        tasks,
    ))
}

/// A worker's report at exit: how many tasks it completed, its CPU over its whole life, its
/// peak memory, and its allocations per task between its marks (see [`mark_on_signal`]).
pub(crate) fn worker_report(scenario: &str, sdk: &str, completed: usize) -> Value {
    let mem = measure::self_memory();
    let cpu = measure::self_cpu_s();
    let allocs = marked_allocs_per_task();
    json!({
        "scenario": scenario,
        "sdk": sdk,
        "completed": completed,
        "worker_cpu_s": round(cpu, 4),
        "worker_cpu_ms_per_act": (completed > 0).then(|| round(cpu * 1e3 / completed as f64, 4)),
        "worker_peak_rss_mb": round(mem.peak_mb, 1),
        "worker_rss_mb": round(mem.rss_mb, 1),
        "worker_allocs_per_act": allocs.map(|a| round(a.0, 1)),
        "worker_alloc_bytes_per_act": allocs.map(|a| round(a.1, 0)),
        "worker_marked_tasks": allocs.map(|a| a.2),
    })
}

/// The in-flight worker's counters, shared by its activities and its monitor.
pub(crate) static INFLIGHT: InflightCounters = InflightCounters {
    running: AtomicUsize::new(0),
    finished: AtomicUsize::new(0),
    heartbeats: AtomicUsize::new(0),
};

/// Activity counters of the in-flight worker.
#[derive(Debug)]
pub(crate) struct InflightCounters {
    /// Activities started and not yet finished.
    pub(crate) running: AtomicUsize,
    /// Activities finished (cancelled).
    pub(crate) finished: AtomicUsize,
    /// Heartbeats recorded by the activities (calls, not RPCs).
    pub(crate) heartbeats: AtomicUsize,
}

/// Watches an in-flight worker: once `n` activities run, measures CPU per heartbeat and memory
/// (RSS, and the live heap each activity added since the monitor started) over `window`,
/// prints that JSON line, then waits until all `n` have finished.
pub(crate) async fn inflight_monitor(sdk: &str, n: usize, window: Duration) -> Value {
    let counters = &INFLIGHT;
    let started = Instant::now();
    let heap0 = crate::alloc::live_bytes();
    while counters.running.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ramp = started.elapsed();
    let cpu0 = measure::self_cpu_s();
    let beats0 = counters.heartbeats.load(Ordering::Relaxed);
    tokio::time::sleep(window).await;
    let cpu = measure::self_cpu_s() - cpu0;
    let beats = counters.heartbeats.load(Ordering::Relaxed) - beats0;
    let mem = measure::self_memory();
    let heap = crate::alloc::live_bytes();
    let line = json!({
        "scenario": "inflight",
        "sdk": sdk,
        "n": n,
        "running": counters.running.load(Ordering::Relaxed),
        "ramp_s": round(ramp.as_secs_f64(), 3),
        "window_s": round(window.as_secs_f64(), 3),
        "heartbeats": beats,
        "worker_cpu_s": round(cpu, 4),
        "worker_cpu_us_per_heartbeat": round(cpu * 1e6 / beats.max(1) as f64, 3),
        "worker_rss_mb": round(mem.rss_mb, 1),
        "worker_peak_rss_mb": round(mem.peak_mb, 1),
        "worker_heap_mb": round(heap as f64 / (1 << 20) as f64, 1),
        "worker_heap_kb_per_activity": round(
            heap.saturating_sub(heap0) as f64 / 1024.0 / n.max(1) as f64,
            2
        ),
    });
    emit(&line);
    while counters.finished.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    line
}

/// Reads an in-flight worker's options: `--n` (activities to hold, default 10,000) and
/// `--window` (seconds to measure, default 10).
pub(crate) fn inflight_options(args: &mut Args) -> Result<(usize, Duration)> {
    let n = args.parse_or("--n", 10_000usize)?;
    let window = Duration::from_secs_f64(args.parse_or("--window", 10.0f64)?);
    Ok((n, window))
}

/// Progress of a list scenario: rows/s, and memory sampled every 1,000 rows so a listing
/// that buffers rows shows up as growth between the first sample and the later ones.
#[derive(Debug)]
pub(crate) struct ListProgress {
    sdk: &'static str,
    cpu0: f64,
    started: Instant,
    rows: usize,
    next_sample: usize,
    rss_first: Option<f64>,
    rss_max_later: f64,
}

impl ListProgress {
    /// Starts the clock.
    pub(crate) fn start(sdk: &'static str) -> Self {
        ListProgress {
            sdk,
            cpu0: measure::self_cpu_s(),
            started: Instant::now(),
            rows: 0,
            next_sample: 1000,
            rss_first: None,
            rss_max_later: 0.0,
        }
    }

    /// Counts `rows` more rows.
    pub(crate) fn add(&mut self, rows: usize) {
        self.rows += rows;
        if self.rows >= self.next_sample {
            self.next_sample = self.rows + 1000;
            let rss = measure::self_memory().rss_mb;
            if self.rss_first.is_none() {
                self.rss_first = Some(rss);
            } else {
                self.rss_max_later = self.rss_max_later.max(rss);
            }
        }
    }

    /// Prints and returns the JSON line.
    pub(crate) fn finish(self) -> Value {
        let wall = self.started.elapsed().as_secs_f64();
        let mem = measure::self_memory();
        let line = json!({
            "scenario": "list",
            "sdk": self.sdk,
            "rows": self.rows,
            "wall_s": round(wall, 3),
            "rows_per_s": round(self.rows as f64 / wall.max(1e-9), 1),
            "client_cpu_s": round(measure::self_cpu_s() - self.cpu0, 4),
            "rss_mb_at_1000_rows": self.rss_first.map(|v| round(v, 1)),
            "rss_mb_max_later": round(self.rss_max_later, 1),
            "client_peak_rss_mb": round(mem.peak_mb, 1),
        });
        emit(&line);
        line
    }
}

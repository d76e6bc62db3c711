//! The human-readable report: Markdown tables of every scenario, the solo/raw ratios, the
//! issue's targets, and `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::process::Command;

use serde_json::Value;

use crate::chart::{self, Bar, Panel};
use crate::peers;
use crate::suite::{SERVER_CONFIG, SuiteOptions};

/// Progress and diagnostics, on stderr (stdout carries the JSON lines and the table).
#[allow(clippy::print_stderr)]
pub(crate) fn log(message: &str) {
    eprintln!("{message}");
}

/// Prints the table on stdout.
#[allow(clippy::print_stdout)]
pub(crate) fn print(table: &str) {
    println!("\n{table}");
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

fn fmt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

/// The echo figures of one SDK at one concurrency: medians over the runs.
#[derive(Debug, Clone, Copy, Default)]
struct Echo {
    acts_per_s: Option<f64>,
    p50: Option<f64>,
    p99: Option<f64>,
    p999: Option<f64>,
    client_cpu: Option<f64>,
    worker_cpu: Option<f64>,
    server_cpu: Option<f64>,
    client_rss: Option<f64>,
    worker_rss: Option<f64>,
    client_allocs: Option<f64>,
    worker_allocs: Option<f64>,
    runs: usize,
}

impl Echo {
    fn sdk_cpu(&self) -> Option<f64> {
        Some(self.client_cpu? + self.worker_cpu?)
    }
}

fn echo(lines: &[Value], sdk: &str, c: usize) -> Echo {
    echo_in(lines, "echo", sdk, c)
}

fn echo_in(lines: &[Value], scenario: &str, sdk: &str, c: usize) -> Echo {
    let runs: Vec<&Value> = lines
        .iter()
        .filter(|l| l["scenario"] == scenario && l["sdk"] == sdk && l["concurrency"] == c)
        .collect();
    let m = |key: &str| median(runs.iter().filter_map(|l| num(&l[key])).collect());
    Echo {
        acts_per_s: m("acts_per_s"),
        p50: m("p50_ms"),
        p99: m("p99_ms"),
        p999: m("p999_ms"),
        client_cpu: m("client_cpu_ms_per_act"),
        worker_cpu: m("worker_cpu_ms_per_act"),
        server_cpu: m("server_cpu_ms_per_act"),
        client_rss: m("client_peak_rss_mb"),
        worker_rss: m("worker_peak_rss_mb"),
        client_allocs: m("client_allocs_per_act"),
        worker_allocs: m("worker_allocs_per_act"),
        runs: runs.len(),
    }
}

fn find<'a>(lines: &'a [Value], scenario: &str, sdk: Option<&str>) -> Option<&'a Value> {
    lines
        .iter()
        .find(|l| l["scenario"] == scenario && sdk.is_none_or(|s| l["sdk"] == s))
}

/// The per-run comparisons of `sdk` with raw at concurrency `c`: `f(sdk's line, raw's line)`
/// for each run. A run interleaves every SDK's steps, so its comparison is between the SDKs on
/// the same machine state; the machine changes between runs (a median of each SDK's own runs
/// may pair one SDK's fast run with the other's slow one).
fn paired(
    lines: &[Value],
    sdk: &str,
    c: usize,
    f: impl Fn(&Value, &Value) -> Option<f64>,
) -> Vec<f64> {
    let runs = |name: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["scenario"] == "echo" && l["sdk"] == name && l["concurrency"] == c)
            .collect()
    };
    // A failed run leaves no line for any SDK, so the n-th lines of two SDKs are one run.
    runs(sdk)
        .into_iter()
        .zip(runs("raw"))
        .filter_map(|(s, r)| f(s, r))
        .collect()
}

/// `key`'s ratio `sdk / raw` in each run.
fn ratios(lines: &[Value], sdk: &str, c: usize, key: &'static str) -> Vec<f64> {
    paired(lines, sdk, c, |s, r| Some(num(&s[key])? / num(&r[key])?))
}

/// The client+worker CPU ratio `sdk / raw` in each run.
fn cpu_ratios(lines: &[Value], sdk: &str, c: usize) -> Vec<f64> {
    let cpu =
        |l: &Value| Some(num(&l["client_cpu_ms_per_act"])? + num(&l["worker_cpu_ms_per_act"])?);
    paired(lines, sdk, c, |s, r| Some(cpu(s)? / cpu(r)?))
}

/// The p50 difference `sdk − raw` (ms) in each run.
fn p50_differences(lines: &[Value], sdk: &str, c: usize) -> Vec<f64> {
    paired(lines, sdk, c, |s, r| {
        Some(num(&s["p50_ms"])? - num(&r["p50_ms"])?)
    })
}

/// The values of each run, for a table cell.
fn each(values: &[f64], digits: usize) -> String {
    let shown: Vec<String> = values.iter().map(|v| format!("{v:.digits$}")).collect();
    shown.join(" / ")
}

/// One row of the targets table.
struct Target {
    what: String,
    measured: String,
    limit: String,
    met: Option<bool>,
}

fn mark(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "**NO**",
        None => "n/a",
    }
}

/// Renders every table.
pub(crate) fn render(options: &SuiteOptions, lines: &[Value], failures: &[String]) -> String {
    let mut out = String::new();
    let sdks = &options.sdks;
    if options.runs("echo") {
        let _ = writeln!(
            out,
            "### Echo: {} activities per run, start-to-result, separate client and worker processes\n",
            options.n
        );
        let _ = writeln!(
            out,
            "| C | SDK | acts/s | p50 ms | p99 ms | p99.9 ms | client CPU ms/act | worker CPU ms/act | client+worker | server CPU ms/act | client allocs/act | worker allocs/act | client peak RSS MB | worker peak RSS MB |"
        );
        let _ = writeln!(
            out,
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for &c in &options.concurrency {
            for sdk in sdks {
                let e = echo(lines, sdk, c);
                if e.runs == 0 {
                    let _ = writeln!(out, "| {c} | {sdk} | failed | | | | | | | | | | | |");
                    continue;
                }
                let _ = writeln!(
                    out,
                    "| {c} | {sdk} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    fmt(e.acts_per_s, 0),
                    fmt(e.p50, 2),
                    fmt(e.p99, 2),
                    fmt(e.p999, 2),
                    fmt(e.client_cpu, 3),
                    fmt(e.worker_cpu, 3),
                    fmt(e.sdk_cpu(), 3),
                    fmt(e.server_cpu, 3),
                    fmt(e.client_allocs, 0),
                    fmt(e.worker_allocs, 0),
                    fmt(e.client_rss, 1),
                    fmt(e.worker_rss, 1),
                );
            }
        }
    }

    let compare =
        options.runs("echo") && sdks.iter().any(|s| s == "solo") && sdks.iter().any(|s| s == "raw");
    let mut targets = Vec::new();
    if compare {
        let _ = writeln!(out, "\n### solo against the raw baseline (same run)\n");
        let _ = writeln!(
            out,
            "Each figure is the median of the per-run comparisons (a run interleaves the SDKs' \
             steps); the CPU ratio of every run is shown too.\n"
        );
        let _ = writeln!(
            out,
            "| C | throughput solo/raw | client+worker CPU solo/raw | CPU solo/raw per run | p50 solo−raw ms | p99 solo/raw | p99.9 solo/raw |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---|---:|---:|---:|");
        let mut worst_tput: Option<(usize, f64)> = None;
        let mut worst_cpu: Option<(usize, f64)> = None;
        for &c in &options.concurrency {
            let cpus = cpu_ratios(lines, "solo", c);
            let tput = median(ratios(lines, "solo", c, "acts_per_s"));
            let cpu = median(cpus.clone());
            let p50 = median(p50_differences(lines, "solo", c));
            let p99 = median(ratios(lines, "solo", c, "p99_ms"));
            let p999 = median(ratios(lines, "solo", c, "p999_ms"));
            let _ = writeln!(
                out,
                "| {c} | {} | {} | {} | {} | {} | {} |",
                fmt(tput, 3),
                fmt(cpu, 3),
                each(&cpus, 3),
                fmt(p50, 2),
                fmt(p99, 3),
                fmt(p999, 3)
            );
            if let Some(t) = tput
                && worst_tput.is_none_or(|(_, w)| t < w)
            {
                worst_tput = Some((c, t));
            }
            if let Some(t) = cpu
                && worst_cpu.is_none_or(|(_, w)| t > w)
            {
                worst_cpu = Some((c, t));
            }
        }
        targets.push(Target {
            what: "client+worker CPU per activity vs raw (worst C)".into(),
            measured: worst_cpu.map_or("–".into(), |(c, r)| format!("{r:.3}× at C={c}")),
            limit: "≤ 1.10×".into(),
            met: worst_cpu.map(|(_, r)| r <= 1.10),
        });
        targets.push(Target {
            what: "throughput vs raw (worst C)".into(),
            measured: worst_tput.map_or("–".into(), |(c, r)| format!("{r:.3}× at C={c}")),
            limit: "≥ 0.98×".into(),
            met: worst_tput.map(|(_, r)| r >= 0.98),
        });
        let low = options.concurrency.iter().copied().min().unwrap_or(1);
        let p50 = median(p50_differences(lines, "solo", low));
        targets.push(Target {
            what: format!("p50 latency at C={low}, solo − raw"),
            measured: fmt(p50, 2) + " ms",
            limit: "≤ 1 ms".into(),
            met: p50.map(|d| d <= 1.0),
        });
        let high = options.concurrency.iter().copied().max().unwrap_or(1);
        let p99 = median(ratios(lines, "solo", high, "p99_ms"));
        targets.push(Target {
            what: format!("p99 latency at C={high}, solo vs raw"),
            measured: p99.map_or("–".into(), |r| format!("{r:.3}×")),
            limit: "solo ≤ raw".into(),
            met: p99.map(|r| r <= 1.0),
        });
    }

    let others: Vec<&String> = sdks.iter().filter(|s| *s != "raw").collect();
    if options.runs("echo") && sdks.iter().any(|s| peers::is_peer(s)) && others.len() < sdks.len() {
        let _ = writeln!(out, "\n### Every SDK against the raw baseline (same run)\n");
        let _ = writeln!(
            out,
            "| C | SDK | throughput /raw | client+worker CPU /raw | p50 − raw ms | p99 /raw | p99.9 /raw |"
        );
        let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|---:|");
        for &c in &options.concurrency {
            for sdk in &others {
                let _ = writeln!(
                    out,
                    "| {c} | {sdk} | {} | {} | {} | {} | {} |",
                    fmt(median(ratios(lines, sdk, c, "acts_per_s")), 3),
                    fmt(median(cpu_ratios(lines, sdk, c)), 3),
                    fmt(median(p50_differences(lines, sdk, c)), 2),
                    fmt(median(ratios(lines, sdk, c, "p99_ms")), 3),
                    fmt(median(ratios(lines, sdk, c, "p999_ms")), 3),
                );
            }
        }
    }

    if options.runs("ffi") {
        ffi_section(&mut out, options, lines, &mut targets);
    }

    let inflight: Vec<&Value> = lines
        .iter()
        .filter(|l| l["scenario"] == "inflight")
        .collect();
    if !inflight.is_empty() {
        let _ = writeln!(
            out,
            "\n### Many in flight: activities heartbeating every second until cancelled (heartbeat timeout {:?})\n",
            options.inflight_heartbeat_timeout
        );
        let _ = writeln!(
            out,
            "| SDK | held | start s | ramp to all running s | worker RSS MB | worker peak RSS MB | heap KB/activity | worker CPU µs/heartbeat | heartbeats in {:?} | cancel→drained s |",
            options.inflight_window
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for l in &inflight {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                l["sdk"].as_str().unwrap_or("?"),
                l["running"],
                fmt(num(&l["start_s"]), 1),
                fmt(num(&l["ramp_s"]), 1),
                fmt(num(&l["worker_rss_mb"]), 1),
                fmt(num(&l["worker_peak_rss_mb"]), 1),
                fmt(num(&l["worker_heap_kb_per_activity"]), 2),
                fmt(num(&l["worker_cpu_us_per_heartbeat"]), 2),
                l["heartbeats"],
                fmt(num(&l["cancel_to_drained_s"]), 1),
            );
        }
    }
    let solo_inflight = find(lines, "inflight", Some("solo"));
    let raw_inflight = find(lines, "inflight", Some("raw"));
    let full_size = options.inflight_n >= 10_000;
    for (what, field, limit) in [
        ("worker peak RSS", "worker_peak_rss_mb", 1.25),
        (
            "worker CPU per heartbeat",
            "worker_cpu_us_per_heartbeat",
            1.5,
        ),
        ("ramp to all running", "ramp_s", 1.2),
    ] {
        let ratio = solo_inflight
            .and_then(|l| num(&l[field]))
            .zip(raw_inflight.and_then(|l| num(&l[field])))
            .filter(|(_, r)| *r > 0.0)
            .map(|(s, r)| s / r);
        targets.push(Target {
            what: format!("{what} holding {} activities vs raw", options.inflight_n),
            measured: ratio.map_or("–".into(), |r| format!("{r:.2}×")),
            limit: format!("≤ {limit:.2}× at 10,000"),
            met: ratio.filter(|_| full_size).map(|r| r <= limit),
        });
    }
    targets.push(Target {
        what: format!("worker RSS holding {} activities", options.inflight_n),
        measured: fmt(solo_inflight.and_then(|l| num(&l["worker_peak_rss_mb"])), 1) + " MB",
        limit: "≤ 150 MB at 10,000".into(),
        met: solo_inflight
            .filter(|_| options.inflight_n >= 10_000)
            .and_then(|l| num(&l["worker_peak_rss_mb"]))
            .map(|v| v <= 150.0),
    });

    let lists: Vec<&Value> = lines.iter().filter(|l| l["scenario"] == "list").collect();
    if !lists.is_empty() {
        let _ = writeln!(out, "\n### List: paging through every execution\n");
        let _ = writeln!(
            out,
            "| SDK | rows | rows/s | RSS at 1,000 rows MB | max RSS later MB | peak RSS MB |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for l in &lists {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                l["sdk"].as_str().unwrap_or("?"),
                l["rows"],
                fmt(num(&l["rows_per_s"]), 0),
                fmt(num(&l["rss_mb_at_1000_rows"]), 1),
                fmt(num(&l["rss_mb_max_later"]), 1),
                fmt(num(&l["client_peak_rss_mb"]), 1),
            );
        }
    }
    let solo_list = find(lines, "list", Some("solo"));
    let growth = solo_list
        .and_then(|l| Some(num(&l["rss_mb_max_later"])? - num(&l["rss_mb_at_1000_rows"])?));
    targets.push(Target {
        what: "list memory growth after the first 1,000 rows".into(),
        measured: format!(
            "{} MB over {} rows",
            fmt(growth, 1),
            solo_list.map_or(Value::Null, |l| l["rows"].clone())
        ),
        limit: "flat (≤ 5 MB) over ≥ 10,000 rows".into(),
        met: solo_list
            .filter(|l| l["rows"].as_u64().unwrap_or(0) >= 10_000)
            .and(growth)
            .map(|g| g <= 5.0),
    });

    let faults: Vec<&Value> = lines.iter().filter(|l| l["scenario"] == "faults").collect();
    if !faults.is_empty() {
        let f = &options.faults;
        let _ = writeln!(
            out,
            "\n### Faults: echo activities at C={} through a proxy that resets every connection every {:?}, with a {:?} outage after half of them\n",
            f.concurrency, f.reset_every, f.outage
        );
        let _ = writeln!(
            out,
            "| SDK | activities | completed | errors | wall s | time to recover s | completed/activities | retried attempts | connections reset | first error |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for l in &faults {
            let first_error = l["first_error"]
                .as_str()
                .map_or_else(|| "–".to_owned(), |e| e.replace('|', "\\|"));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                l["sdk"].as_str().unwrap_or("?"),
                l["n"],
                l["completed"],
                l["errors"],
                fmt(num(&l["wall_s"]), 1),
                fmt(num(&l["time_to_recover_s"]), 2),
                fmt(num(&l["completed_ratio"]), 4),
                l["retried_attempts"],
                l["connections_reset"],
                first_error,
            );
        }
    }
    if options.runs("faults") {
        let solo_faults = find(lines, "faults", Some("solo"));
        let lost = solo_faults.and_then(|l| {
            Some(l["n"].as_u64()?.saturating_sub(l["completed"].as_u64()?) + l["errors"].as_u64()?)
        });
        targets.push(Target {
            what: format!(
                "faults: {} activities through resets every {:?} and a {:?} outage",
                options.faults.n, options.faults.reset_every, options.faults.outage
            ),
            measured: solo_faults.map_or("–".into(), |l| {
                format!("{} completed, {} errors", l["completed"], l["errors"])
            }),
            limit: "all completed, 0 errors".into(),
            met: lost.map(|l| l == 0),
        });
    }

    if let Some(f) = find(lines, "footprint", None) {
        let _ = writeln!(out, "\n### Footprint: the hello example\n");
        let _ = writeln!(
            out,
            "| distinct crates (normal deps) | clean release build s (-j 2) | stripped `worker` MB | largest binary MB |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            f["distinct_crates"],
            fmt(num(&f["clean_release_build_s"]), 1),
            fmt(num(&f["stripped_bin_mb"]), 2),
            fmt(num(&f["largest_bin_mb"]), 2),
        );
        let crates = f["distinct_crates"].as_u64();
        targets.push(Target {
            what: "distinct crates in the hello example's tree".into(),
            measured: crates.map_or("–".into(), |c| c.to_string()),
            limit: "≤ 100".into(),
            met: crates.map(|c| c <= 100),
        });
        let build = num(&f["clean_release_build_s"]);
        targets.push(Target {
            what: "clean release build of the hello example, 2 jobs".into(),
            measured: fmt(build, 1) + " s",
            limit: "≤ 90 s on 2 cores".into(),
            met: build.map(|b| b <= 90.0),
        });
        let size = num(&f["stripped_bin_mb"]);
        targets.push(Target {
            what: "stripped `worker` binary".into(),
            measured: fmt(size, 2) + " MB",
            limit: "≤ 10 MB".into(),
            met: size.map(|s| s <= 10.0),
        });
    }

    let _ = writeln!(
        out,
        "\n### Targets{}\n",
        if options.smoke {
            " (smoke sizes: not meaningful)"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "| target | measured | limit | met |");
    let _ = writeln!(out, "|---|---|---|---|");
    for t in &targets {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            t.what,
            t.measured,
            t.limit,
            mark(t.met)
        );
    }
    if !failures.is_empty() {
        let _ = writeln!(out, "\n### Failures\n");
        for f in failures {
            let _ = writeln!(out, "- {f}");
        }
    }
    out
}

fn first_line_of(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A description of this machine.
pub(crate) fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_owned(), |m| m.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gb = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or("?".to_owned(), |kb| format!("{:.0}", kb / 1024.0 / 1024.0));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let temporal = solo_testing::cli::find_cli()
        .ok()
        .flatten()
        .map(|cli| first_line_of(&cli.to_string_lossy(), &["--version"]))
        .unwrap_or_else(|| "unknown".to_owned());
    format!(
        "- CPU: {model}, {cores} logical cores available; {mem_gb} GiB RAM; Linux {kernel}\n\
         - load average when the report was written: {}\n\
         - {}\n\
         - {temporal} (`temporal server start-dev`, in-memory), with `--dynamic-config-value` {}",
        load.join(" "),
        first_line_of("rustc", &["--version"]),
        SERVER_CONFIG
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// What each scenario measures, for `BENCHMARKS.md`.
const SCENARIOS: &str = "\
What is measured (`benches/solo-bench`; every client and worker is its own process):

- **echo**: `--n` activities returning their string input, started and awaited
  (start-to-result) `C` at a time by a client against a worker on a fresh task queue, after a
  short warm-up. Each concurrency level runs on a fresh dev server (warmed by a short run of
  every SDK), since the server's memory and pace change as executions pile up. CPU is
  user+sys from the OS over the measured loop (the client's own `getrusage`, the worker's and
  the server's `/proc/<pid>/stat`), divided by the activities;
  RSS is the peak (`VmHWM`). Allocations per activity are counted by the bench binary's
  global allocator (calls to alloc/realloc): the client's over the measured loop, the
  worker's between two marks the suite signals just before and just after the measured steps
  (solo's and raw's own processes only). `raw` is the same loop on the generated gRPC stubs with no SDK
  logic (start, poll task, respond completed, poll outcome): the ceiling. Runs alternate
  between the SDKs (ABBA) so both see the same machine; figures are medians over the runs,
  and each comparison with raw (ratio or difference) is the median of the per-run comparisons,
  since a run pairs the SDKs on one machine state and the machine changes between runs.
- **in flight**: one worker holds `N` activities that heartbeat every second until they are
  cancelled; RSS once all are running, CPU per heartbeat call over the window, and the time
  from the cancel requests to the last activity finishing (cancellation arrives with the next
  heartbeat RPC: every worker, raw's too, sends an activity's first heartbeat at once, as the
  SDKs do, then at most one every 0.8 × the heartbeat timeout).
- **list**: pages through every execution on the server; rows/s, and RSS after 1,000 rows
  against the largest RSS later (flat means the listing streams).
- **faults**: per SDK (solo, and the Python SDK with the pinned `temporalio`), one process
  runs a worker and a client on one connection with the SDK's defaults, both through a TCP
  proxy on 127.0.0.1 in front of the dev server. While the proxy resets every connection
  (RST) every 2 s, the client executes `--faults-n` echo activities 10 at a time, each with its
  own input, and checks every result; once half have completed, the proxy takes a 10 s outage
  (new connections refused, open ones reset). *completed*: activities that returned their own
  input; *errors*: activities whose start or result call returned an error or raised (or
  returned a wrong result, or had no result within 120 s; none did unless the first error
  says so); *time to recover*: from the end of the outage to the first activity completing
  after it (each completion stamped by the peer, the outage's end by the suite, both in Unix
  time on the same machine); *retried attempts*: executions of the activity with attempt ≥ 2,
  each one an earlier attempt that timed out (start-to-close 10 s) because its task or its
  result was lost.
- **footprint**: distinct `name version` pairs in
  `cargo tree -p hello_standalone_activity -e normal --prefix none`, a clean
  `cargo build --release -j 2` of the example in its own target directory, and the size of
  its stripped `worker` binary.
";

/// What `--peers` adds, for `BENCHMARKS.md` (followed by the peers' versions).
const PEERS: &str = "\
Peers (`--peers`, echo only): the Python SDK (`python`: `benches/solo-bench/echo_peer.py`) and
the official Temporal Rust SDK (`rust-sdk`: `benches/peers/rust-sdk`, a package outside the
workspace) run the same echo client and worker as separate processes, interleaved step by step
with raw and solo on the same server. Each uses its SDK as a user would: a worker with one
`echo` activity and the SDK's defaults but the same number of activity pollers, and a client
that starts each activity with the SDK's `start_activity` and awaits its result. They are
measured the same way: the Rust SDK's peer compiles solo-bench's own loop and readings (its
`harness`, `measure` and `args` modules), the Python peer does the same readings in Python
(`getrusage` for itself, `/proc` for the worker and the server) with the same percentiles.
Versions:
";

/// The echo chart (client+worker CPU per activity and p99 latency, per SDK and concurrency),
/// or `None` when the echo scenario did not run or measured nothing.
pub(crate) fn echo_chart(options: &SuiteOptions, lines: &[Value]) -> Option<String> {
    if !options.runs("echo") {
        return None;
    }
    let bars = |value: fn(&Echo) -> Option<f64>| -> Vec<Bar> {
        options
            .concurrency
            .iter()
            .flat_map(|&c| {
                options.sdks.iter().map(move |sdk| Bar {
                    sdk: sdk.clone(),
                    concurrency: c,
                    value: value(&echo(lines, sdk, c)),
                })
            })
            .collect()
    };
    let panels = [
        Panel {
            title: "Client+worker CPU per activity".into(),
            unit: "ms per activity".into(),
            bars: bars(Echo::sdk_cpu),
        },
        Panel {
            title: "p99 start-to-result latency".into(),
            unit: "ms".into(),
            bars: bars(|e| e.p99),
        },
    ];
    let measured = panels
        .iter()
        .any(|p| p.bars.iter().any(|b| b.value.is_some()));
    measured.then(|| chart::svg(&panels, &options.sdks))
}

/// The `BENCHMARKS.md` text; `chart` names the echo chart's file, beside it.
pub(crate) fn markdown(
    options: &SuiteOptions,
    table: &str,
    lines: &[Value],
    chart: Option<&str>,
    earlier: Option<(String, String)>,
) -> String {
    // A report rendered again keeps the date and machine of the run it renders.
    let (date, machine) = earlier.unwrap_or_else(|| {
        (
            first_line_of("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            machine(),
        )
    });
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "The latest `cargo xtask bench` results: solo against the raw baseline (the same loops \
         written directly on the `solo-proto` stubs, no SDK logic), run interleaved on one \
         machine against local dev servers. Ratios matter more than absolutes: on one \
         machine the server sets the pace.\n"
    );
    let _ = writeln!(out, "{SCENARIOS}");
    let versions: Vec<&Value> = lines.iter().filter(|l| l["scenario"] == "peer").collect();
    if !versions.is_empty() {
        let _ = writeln!(out, "{PEERS}");
        for v in versions {
            let _ = writeln!(
                out,
                "- `{}`: {}",
                v["sdk"].as_str().unwrap_or("?"),
                v["version"].as_str().unwrap_or("?")
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "Command:\n\n```sh\n{}\n```\n", options.command);
    if let Some(note) = &options.note {
        let _ = writeln!(out, "{note}\n");
    }
    let _ = writeln!(out, "Run {date} on:\n\n{machine}\n");
    if let Some(file) = chart {
        let _ = writeln!(
            out,
            "![Echo: client+worker CPU per activity and p99 latency per SDK and concurrency]({file})\n"
        );
    }
    let _ = writeln!(out, "{table}");
    let _ = writeln!(out, "### JSON lines\n\n```json");
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "```");
    out
}

/// The C ABI: the worker driven through solo-ffi against the native worker (same run, same
/// client), and the round-trip leak check.
fn ffi_section(
    out: &mut String,
    options: &SuiteOptions,
    lines: &[Value],
    targets: &mut Vec<Target>,
) {
    let _ = writeln!(
        out,
        "\n### The C ABI: solo's echo worker driven through solo-ffi against the native worker (same run)\n"
    );
    let _ = writeln!(
        out,
        "| C | native acts/s | C-ABI acts/s | native worker CPU ms/act | C-ABI worker CPU ms/act | C-ABI/native |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|");
    let mut worst: Option<(usize, f64)> = None;
    for &c in &options.concurrency {
        let (native, ffi) = (
            echo_in(lines, "ffi-echo", "solo", c),
            echo_in(lines, "ffi-echo", "ffi", c),
        );
        let ratio = ffi.worker_cpu.zip(native.worker_cpu).map(|(f, n)| f / n);
        let _ = writeln!(
            out,
            "| {c} | {} | {} | {} | {} | {} |",
            fmt(native.acts_per_s, 0),
            fmt(ffi.acts_per_s, 0),
            fmt(native.worker_cpu, 3),
            fmt(ffi.worker_cpu, 3),
            fmt(ratio, 3)
        );
        if let Some(r) = ratio
            && worst.is_none_or(|(_, w)| r > w)
        {
            worst = Some((c, r));
        }
    }
    targets.push(Target {
        what: "C-ABI worker CPU per activity vs the native worker (worst C)".into(),
        measured: worst.map_or("–".into(), |(c, r)| format!("{r:.3}× at C={c}")),
        limit: "≤ 1.1×".into(),
        met: worst.map(|(_, r)| r <= 1.1),
    });
    if let Some(leak) = find(lines, "ffi-leak", Some("ffi")) {
        let growth = num(&leak["rss_growth_mb"]);
        let _ = writeln!(
            out,
            "\nLeak check: {} start/complete round trips through the C ABI in one process \
             ({} s); resident MB every tenth of the way: {}; growth from the first tenth to \
             the end {} MB.",
            leak["n"],
            leak["wall_s"],
            leak["rss_mb_samples"],
            fmt(growth, 2)
        );
        targets.push(Target {
            what: format!(
                "RSS growth over {} C-ABI round trips (after the first tenth)",
                leak["n"]
            ),
            measured: fmt(growth, 2) + " MB",
            limit: "≤ 2 MB (flat)".into(),
            met: growth.map(|g| g <= 2.0),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(sdk: &str, client: f64, worker: f64, acts: f64) -> Value {
        json!({
            "scenario": "echo", "sdk": sdk, "concurrency": 10,
            "client_cpu_ms_per_act": client, "worker_cpu_ms_per_act": worker,
            "acts_per_s": acts, "p50_ms": acts, "p99_ms": acts, "p999_ms": acts,
        })
    }

    #[test]
    fn comparisons_with_raw_pair_the_sdks_run_by_run() {
        // Client+worker CPU of three runs; the machine changes between them. Per run solo is
        // 1.10×, 1.04× and 1.00× raw: the median of those is 1.04×, while the ratio of the
        // SDKs' own medians (0.80 / 0.80) would say 1.00×.
        let mut lines = Vec::new();
        for (raw_cpu, solo_cpu, acts) in [(1.0, 1.10, 100.0), (0.5, 0.52, 80.0), (0.8, 0.80, 120.0)]
        {
            lines.push(run("raw", raw_cpu / 2.0, raw_cpu / 2.0, acts));
            lines.push(run("solo", solo_cpu / 2.0, solo_cpu / 2.0, acts - 1.0));
            lines.push(json!({"scenario": "inflight", "sdk": "solo"}));
        }
        let cpu = cpu_ratios(&lines, "solo", 10);
        assert_eq!(each(&cpu, 2), "1.10 / 1.04 / 1.00");
        assert!((median(cpu).unwrap() - 1.04).abs() < 1e-9);
        let (s, r) = (echo(&lines, "solo", 10), echo(&lines, "raw", 10));
        assert!((s.sdk_cpu().unwrap() / r.sdk_cpu().unwrap() - 1.0).abs() < 1e-9);
        let tput = median(ratios(&lines, "solo", 10, "acts_per_s")).unwrap();
        assert!((tput - 99.0 / 100.0).abs() < 1e-9, "{tput}");
        let p50 = median(p50_differences(&lines, "solo", 10)).unwrap();
        assert!((p50 + 1.0).abs() < 1e-9, "{p50}");
        assert!(
            ratios(&lines, "solo", 1, "acts_per_s").is_empty(),
            "another C"
        );
    }
}

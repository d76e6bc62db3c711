//! The `faults` scenario: echo activities through a flaky network, solo against the Python SDK.
//!
//! For each SDK, one peer process runs a worker and a client on one connection, both pointed at
//! a [`FaultProxy`] on 127.0.0.1 in front of the suite's dev server (solo: `--mode
//! faults-peer`; Python: `faults_peer.py`, run with the project venv's interpreter). Both use
//! their SDK's connection defaults. Once the peer is ready, the proxy resets every connection
//! every `--faults-reset-every` seconds until the run ends, and the peer executes `--faults-n`
//! echo activities `--faults-concurrency` at a time, each with its own input, checking every
//! result. When half of them have completed, the proxy also takes a `--faults-outage` second
//! outage (new connections refused, open ones reset).
//!
//! Measured: activities completed with their own result, client calls that failed (an error
//! returned or raised, a wrong result, or no result within the per-call bound), the wall time
//! of the run, and the time to recover: from the end of the outage to the first activity that
//! completes after it (the peers stamp each completion with the Unix time; the outage's end is
//! the suite's Unix time when it began plus its length).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use solo_testing::FaultProxy;

use crate::args::Args;
use crate::measure::round;
use crate::process::{Proc, strings};
use crate::raw::run_prefix;
use crate::report;

/// The Python SDK's peer program.
const PYTHON_PEER: &str = include_str!("../faults_peer.py");

/// The settings of the `faults` scenario.
#[derive(Debug, Clone)]
pub(crate) struct FaultsOptions {
    /// The SDKs run, in order (`solo`, `python`).
    pub(crate) sdks: Vec<String>,
    /// Activities per SDK.
    pub(crate) n: usize,
    /// Activities executed at once.
    pub(crate) concurrency: usize,
    /// How often the proxy resets every connection.
    pub(crate) reset_every: Duration,
    /// The outage taken once half of the activities have completed (zero: none).
    pub(crate) outage: Duration,
    /// Each activity's start-to-close timeout.
    pub(crate) start_to_close: Duration,
    /// How long one activity's calls may take before the peer counts it as failed.
    pub(crate) call_timeout: Duration,
    /// How long a peer's whole run may take; what is unfinished then counts as failed.
    pub(crate) deadline: Duration,
}

impl FaultsOptions {
    /// Reads the `--faults-*` options; `smoke` makes the defaults tiny.
    pub(crate) fn parse(args: &mut Args, smoke: bool) -> Result<Self> {
        let secs = |s: f64| Duration::from_secs_f64(s.max(0.0));
        Ok(FaultsOptions {
            sdks: args
                .value("--faults-sdks")?
                .unwrap_or_else(|| "solo,python".to_owned())
                .split(',')
                .map(str::to_owned)
                .collect(),
            n: args.parse_or("--faults-n", if smoke { 20 } else { 1500 })?,
            concurrency: args.parse_or("--faults-concurrency", 10usize)?.max(1),
            reset_every: secs(args.parse_or("--faults-reset-every", 2.0)?),
            outage: secs(args.parse_or("--faults-outage", if smoke { 2.0 } else { 10.0 })?),
            start_to_close: secs(args.parse_or("--faults-start-to-close", 10.0)?),
            call_timeout: secs(args.parse_or("--faults-call-timeout", 120.0)?),
            deadline: secs(args.parse_or("--faults-deadline", if smoke { 90.0 } else { 900.0 })?),
        })
    }
}

/// The interpreter with the Python SDK: `SOLO_PYTHON`, else the project venv's (installed by
/// `cargo xtask install-tools`), if there is one.
pub(crate) fn python() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SOLO_PYTHON").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let python = solo_testing::cli::tools_venv().join("bin").join("python");
    python.is_file().then_some(python)
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn secs_arg(d: Duration) -> String {
    d.as_secs_f64().to_string()
}

/// Runs the scenario for `sdk` against the server at `address` (a loopback `ip:port`).
pub(crate) async fn run(address: &str, options: &FaultsOptions, sdk: &str) -> Result<Value> {
    let target: SocketAddr = address.parse().with_context(|| {
        format!("the faults scenario needs the server as a loopback ip:port, not `{address}`")
    })?;
    let proxy = FaultProxy::start(target).await?;
    let mut peer_args = strings(&[
        "--address",
        &proxy.address(),
        "--task-queue",
        &run_prefix(&format!("faults-{sdk}")),
        "--prefix",
        &run_prefix(&format!("faults-{sdk}-act")),
        "--n",
        &options.n.to_string(),
        "--concurrency",
        &options.concurrency.to_string(),
        "--start-to-close",
        &secs_arg(options.start_to_close),
        "--call-timeout",
        &secs_arg(options.call_timeout),
        "--deadline",
        &secs_arg(options.deadline),
    ]);
    let name = format!("{sdk} faults-peer");
    let mut peer = match sdk {
        "solo" => {
            let mut args = strings(&["--mode", "faults-peer"]);
            args.append(&mut peer_args);
            Proc::spawn_bench(&name, &args, true)?
        }
        "python" => {
            let python = python().context(
                "no Python SDK: run `cargo xtask install-tools` or set SOLO_PYTHON to an \
                 interpreter with temporalio installed",
            )?;
            let mut args = strings(&["-c", PYTHON_PEER]);
            args.append(&mut peer_args);
            Proc::spawn_program(&name, python, &args, true)?
        }
        other => bail!("the faults scenario has no peer for `{other}`; use solo or python"),
    };
    peer.wait_ready(Duration::from_secs(90)).await?;

    let resets = proxy.reset_every(options.reset_every);
    peer.send_line("go").await?;
    let outage_after = (options.n / 2).max(1);
    let mut outage_end: Option<f64> = None;
    let mut recovered_after: Option<f64> = None;
    let limit = options.deadline + Duration::from_secs(150);
    let deadline = tokio::time::Instant::now() + limit;
    let mut summary = loop {
        let line = match tokio::time::timeout_at(deadline, peer.lines.recv()).await {
            Ok(Some(line)) => line,
            Ok(None) => bail!("{name} exited without its summary line"),
            Err(_) => bail!("no summary line from {name} within {limit:?}"),
        };
        let Ok(value) = serde_json::from_str::<Value>(&line) else {
            report::log(&format!("[{name}] {line}"));
            continue;
        };
        match value["scenario"].as_str() {
            Some("faults-progress") => {
                let completed = value["completed"].as_u64().unwrap_or(0) as usize;
                if outage_end.is_none() && completed >= outage_after && !options.outage.is_zero() {
                    report::log(&format!(
                        "solo-bench: faults {sdk}: {completed} completed, {:?} outage",
                        options.outage
                    ));
                    proxy.outage(options.outage);
                    outage_end = Some(unix_now() + options.outage.as_secs_f64());
                } else if let (Some(end), Some(t), None) =
                    (outage_end, value["t"].as_f64(), recovered_after)
                    && t >= end
                {
                    recovered_after = Some(t - end);
                }
            }
            Some("faults") => break value,
            _ => report::log(&format!("[{name}] {line}")),
        }
    };
    drop(resets);
    let stats = proxy.stats();
    let status = peer.wait_exit(Duration::from_secs(30)).await;

    let completed = summary["completed"].as_u64().unwrap_or(0);
    let errors = summary["errors"].as_u64().unwrap_or(0);
    let accounted = completed + errors;
    if accounted != options.n as u64 {
        bail!(
            "{name} accounted for {accounted} of {} activities ({completed} completed, {errors} \
             errors): {summary}",
            options.n
        );
    }
    summary["reset_every_s"] = json!(options.reset_every.as_secs_f64());
    summary["outage_s"] = json!(options.outage.as_secs_f64());
    summary["outage_after_completed"] = json!(outage_end.map(|_| outage_after));
    summary["time_to_recover_s"] = json!(recovered_after.map(|s| round(s, 3)));
    summary["connections_reset"] = json!(stats.reset);
    summary["connections_refused"] = json!(stats.refused);
    summary["completed_ratio"] = json!(round(completed as f64 / options.n.max(1) as f64, 4));
    match status {
        Ok(status) if status.success() => Ok(summary),
        Ok(status) => bail!("{name} exited with {status}: {summary}"),
        Err(e) => bail!("{e:#}: {summary}"),
    }
}

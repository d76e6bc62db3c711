//! `cargo xtask bench`: builds `solo-bench` in release and runs its suite.
//!
//! The suite (in `benches/solo-bench`) starts its own dev server, runs every scenario as
//! separate client and worker processes, measures the hello example's footprint, and prints
//! one JSON line per scenario and the table. This task only builds it, points it at the
//! workspace and the located Temporal CLI, and passes options through:
//!
//! - `--smoke`: tiny sizes (what CI runs through `cargo test -p solo-bench`);
//! - `--write`: also write `BENCHMARKS.md` (and its echo chart, `BENCHMARKS-echo.svg`) at the
//!   workspace root;
//! - `--peers`: also build the official Rust SDK's peer (`benches/peers/rust-sdk`, a package
//!   outside the workspace, into `target/peers`) and run it and the Python SDK's peer in the
//!   echo scenario beside raw and solo;
//! - anything else goes to `solo-bench --mode suite` (`--n`, `--concurrency 1,10,100`,
//!   `--reps`, `--scenarios echo,inflight,list,faults,ffi,footprint`, `--faults-n`,
//!   `--faults-sdks solo,python`, `--no-build`, `--address` ...).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cli;

/// What `cargo xtask bench --help` prints.
const HELP: &str = "\
cargo xtask bench [options]

Builds solo-bench in release and runs its suite on a dev server of its own: solo against the
same loops written on the bare gRPC stubs (raw), as separate client and worker processes, and
prints one JSON line per measurement and the tables of BENCHMARKS.md.

options of this task:
  --write                       also write BENCHMARKS.md and BENCHMARKS-echo.svg at the workspace root
  --smoke                       tiny sizes, every scenario (what the test suite runs)
  --peers                       also run the Python SDK (the tool venv's temporalio) and the
                                official Rust SDK (temporalio-sdk, built here from
                                benches/peers/rust-sdk into target/peers) in the echo scenario
  -h, --help                    this text

options passed to the suite (solo-bench --mode suite):
  --scenarios LIST              echo,inflight,list,faults,ffi,footprint (default: all)
  --sdks LIST                   raw,solo (default); python and rust-sdk are the peers
  --n N                         echo activities per concurrency level and repetition
  --concurrency LIST            echo concurrency levels, e.g. 1,10,100
  --steps N, --reps R           echo steps per run, runs per cell
  --inflight-n N                activities held in flight (default 10,000)
  --inflight-window S           seconds of heartbeats measured
  --list-min N                  rows listed at least
  --ffi-leak-n N                 round trips of the C ABI leak check (default 10,000)
  --faults-sdks LIST            solo,python
  --faults-n N                  activities through the fault proxy (default 1,500)
  --faults-outage S             the outage in the middle of the run, seconds
  --faults-reset-every S        how often every connection is reset, seconds
  --faults-concurrency C        concurrent activities in the faults run
  --address HOST:PORT           use this server instead of starting one
  --no-build                    skip the footprint scenario's clean build
  --render-from FILE            measure nothing: the report of the run whose JSON lines FILE
                                holds (a BENCHMARKS.md written by --write, keeping its date);
                                give the options that run had (e.g. --peers --reps 3)
  --note TEXT                   a paragraph for the written report, after its command
";

/// Runs the benchmark suite.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{HELP}");
        return Ok(());
    }
    let temporal = cli::ensure_cli()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    println!("xtask bench: building solo-bench (release)");
    let status = Command::new(&cargo)
        .args(["build", "--quiet", "--release", "-p", "solo-bench"])
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building solo-bench failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bench = target.join("release").join("solo-bench");
    let peers = args.iter().any(|a| a == "--peers");
    let rust_sdk_peer = if peers {
        Some(build_rust_sdk_peer(root, &cargo, &target)?)
    } else {
        None
    };

    let mut passed: Vec<String> = Vec::new();
    let mut write = false;
    for arg in args {
        match arg.as_str() {
            "--write" => write = true,
            other => passed.push(other.to_owned()),
        }
    }
    // The command that measured: without `--write`, and without `--render-from FILE` (a
    // report rendered again shows the command of the run it renders).
    let mut command = String::from("cargo xtask bench");
    let mut shown = args.iter();
    while let Some(arg) = shown.next() {
        match arg.as_str() {
            "--write" => {}
            "--render-from" | "--note" => {
                shown.next();
            }
            _ => {
                command.push(' ');
                command.push_str(arg);
            }
        }
    }
    let mut cmd = Command::new(&bench);
    cmd.args(["--mode", "suite", "--workspace"])
        .arg(root)
        .args(["--command", &command])
        .args(&passed)
        .env("TEMPORAL_CLI", &temporal)
        .env("CARGO", &cargo);
    if let Some(peer) = &rust_sdk_peer {
        cmd.arg("--rust-sdk-peer").arg(peer);
    }
    if write {
        cmd.arg("--write").arg(root.join("BENCHMARKS.md"));
    }
    let status = cmd
        .status()
        .with_context(|| format!("running {}", bench.display()))?;
    if !status.success() {
        bail!("the benchmark suite reported failures ({status})");
    }
    Ok(())
}

/// Builds the official Rust SDK's peer (`benches/peers/rust-sdk`, not a workspace member: its
/// own lock file, its own target directory under `target/peers`) and returns its binary.
fn build_rust_sdk_peer(root: &Path, cargo: &std::ffi::OsStr, target: &Path) -> Result<PathBuf> {
    let manifest = root.join("benches/peers/rust-sdk/Cargo.toml");
    let target_dir = target.join("peers");
    println!("xtask bench: building the official Rust SDK's peer (release, into target/peers)");
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--release",
            "--locked",
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(root)
        .status()
        .context("running cargo build for the Rust SDK peer")?;
    if !status.success() {
        bail!(
            "building the Rust SDK peer ({}) failed ({status})",
            manifest.display()
        );
    }
    Ok(target_dir.join("release").join("rust-sdk-peer"))
}

//! `cargo xtask demo`: the seed's walk-through, end to end, in one command.
//!
//! Installs the dev server if needed, starts it (with the Web UI), builds the example, starts
//! its worker, runs each program in the seed's order with its output, shows the Temporal CLI
//! executing an activity on the Rust worker, and stops everything.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cli;

const TASK_QUEUE: &str = "my-standalone-activity-task-queue";
const PROGRAMS: &[&str] = &[
    "execute_activity",
    "start_activity",
    "get_activity_handle",
    "list_activities",
    "count_activities",
    "heartbeat_progress",
];

/// Kills a child process on drop.
struct Guard {
    name: &'static str,
    child: Option<Child>,
}

impl Guard {
    fn stop(&mut self, graceful: bool) {
        if let Some(mut child) = self.child.take() {
            if graceful {
                // SIGINT lets the worker drain; fall back to kill after a grace period.
                let _ = Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .status();
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(10) {
                    if let Ok(Some(_)) = child.try_wait() {
                        println!("demo: {} stopped", self.name);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            let _ = child.kill();
            let _ = child.wait();
            println!("demo: {} stopped", self.name);
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop(false);
    }
}

fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}

fn wait_for_port(port: u16, server: &mut Child, limit: Duration) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = server.try_wait()? {
            bail!("the dev server exited with {status}");
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the dev server did not open 127.0.0.1:{port} within {limit:?}")
}

fn bin_path(root: &Path, name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("debug").join(name)
}

fn run_program(root: &Path, name: &str, address: &str) -> Result<()> {
    println!("\n$ cargo run -p hello_standalone_activity --bin {name}");
    let status = Command::new(bin_path(root, name))
        .env("TEMPORAL_ADDRESS", address)
        .env("TEMPORAL_NAMESPACE", "default")
        .status()
        .with_context(|| format!("running {name}"))?;
    if !status.success() {
        bail!("{name} exited with {status}");
    }
    Ok(())
}

/// Runs the demo.
pub fn run(root: &Path) -> Result<()> {
    let temporal = cli::ensure_cli()?;
    println!("demo: building the example");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "build",
            "--quiet",
            "-p",
            "hello_standalone_activity",
            "--bins",
        ])
        .status()?;
    if !status.success() {
        bail!("building the example failed");
    }

    let port = if port_free(7233) && port_free(8233) {
        7233
    } else {
        free_port()?
    };
    let ui_port = port + 1000;
    let address = format!("127.0.0.1:{port}");
    println!("demo: starting the Temporal dev server on {address}");
    let server = Command::new(&temporal)
        .args([
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--log-level",
            "error",
        ])
        .args([
            "--port",
            &port.to_string(),
            "--ui-port",
            &ui_port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", temporal.display()))?;
    let mut server = Guard {
        name: "dev server",
        child: Some(server),
    };
    if let Some(child) = server.child.as_mut() {
        wait_for_port(port, child, Duration::from_secs(60))?;
    }
    println!(
        "demo: Temporal Web UI at http://127.0.0.1:{ui_port} (Standalone Activities in the nav bar)"
    );

    println!("\n$ cargo run -p hello_standalone_activity --bin worker");
    let mut worker_child = Command::new(bin_path(root, "worker"))
        .env("TEMPORAL_ADDRESS", &address)
        .env("TEMPORAL_NAMESPACE", "default")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the worker")?;
    // Wait for the worker's banner, echoing it.
    let mut stdout = worker_child.stdout.take().context("worker stdout")?;
    let mut banner = [0u8; 17];
    stdout
        .read_exact(&mut banner)
        .context("the worker exited before it started polling")?;
    println!("{}", String::from_utf8_lossy(&banner));
    let mut worker = Guard {
        name: "worker",
        child: Some(worker_child),
    };
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("[worker] {line}");
        }
    });

    let mut outcome = Ok(());
    for program in PROGRAMS {
        if let Err(e) = run_program(root, program, &address) {
            outcome = Err(e);
            break;
        }
    }
    if outcome.is_ok() {
        println!(
            "\n$ temporal activity execute --type compose_greeting --activity-id my-standalone-activity-id \\\n    --task-queue {TASK_QUEUE} --start-to-close-timeout 10s --input '{{\"greeting\": \"Hello\", \"name\": \"World\"}}'"
        );
        let status = Command::new(&temporal)
            .args(["activity", "execute", "--address", &address])
            .args([
                "--type",
                "compose_greeting",
                "--activity-id",
                "my-standalone-activity-id",
            ])
            .args([
                "--task-queue",
                TASK_QUEUE,
                "--start-to-close-timeout",
                "10s",
            ])
            .args(["--input", r#"{"greeting": "Hello", "name": "World"}"#])
            .status()?;
        if !status.success() {
            outcome = Err(anyhow::anyhow!(
                "temporal activity execute exited with {status}"
            ));
        }
    }
    println!();
    worker.stop(true);
    server.stop(false);
    outcome?;
    println!("demo: done");
    Ok(())
}

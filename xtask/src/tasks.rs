//! Tasks that run other programs: tool installs, the dev server and the full test run.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cli;

/// The Python packages the project installs into `target/solo-tools/venv`, pinned.
pub const PY_PACKAGES: &[&str] = &[
    cli::PINNED_CLI_PACKAGE,
    "temporalio==1.35.0",
    "googleapis-common-protos==1.76.0",
    "opentelemetry-sdk==1.45.2",
];

/// Installs the pinned tools (once; a stamp file remembers the set) and returns the venv's
/// Python interpreter.
pub fn install_tools() -> Result<PathBuf> {
    let venv = cli::tools_venv();
    let stamp = venv.join(".solo-packages");
    let wanted = PY_PACKAGES.join("\n");
    let python = venv.join("bin").join("python");
    if python.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&wanted) {
        return Ok(python);
    }
    println!(
        "xtask: installing {} into {}",
        PY_PACKAGES.join(" "),
        venv.display()
    );
    cli::pip_install(PY_PACKAGES).map_err(|e| anyhow::anyhow!(e))?;
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

/// The project's Python interpreter, with the Python SDK installed.
pub fn python_tools() -> Result<PathBuf> {
    install_tools()
}

/// `cargo xtask dev-server [--port P] [--ui]`: runs the dev server in the foreground.
pub fn dev_server(args: &[String]) -> Result<()> {
    let mut port = "7233".to_owned();
    let mut ui = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--port" => port = it.next().context("--port needs a value")?.clone(),
            "--ui" => ui = true,
            other => bail!("unknown dev-server option `{other}` (expected --port P, --ui)"),
        }
    }
    let temporal = cli::ensure_cli()?;
    let mut cmd = Command::new(&temporal);
    cmd.args(["server", "start-dev", "--ip", "127.0.0.1", "--port", &port]);
    // The operator commands (pause, unpause, reset, update options) are off by default.
    cmd.args([
        "--dynamic-config-value",
        "history.enableStandaloneActivityOperatorCommands=true",
    ]);
    if !ui {
        cmd.arg("--headless");
    }
    println!(
        "xtask: {} server start-dev on 127.0.0.1:{port}{}",
        temporal.display(),
        if ui {
            " (Web UI on the port + 1000)"
        } else {
            ""
        }
    );
    let status = cmd
        .status()
        .with_context(|| format!("running {}", temporal.display()))?;
    if !status.success() {
        bail!("the dev server exited with {status}");
    }
    Ok(())
}

/// `cargo`, the one running this task when there is one.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn step(name: &str, cmd: &mut Command) -> Result<()> {
    println!("xtask test: {name}");
    let status = cmd.status().with_context(|| format!("running {name}"))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}

/// `cargo xtask test`: everything CI checks, in order, stopping at the first failure.
pub fn test(root: &Path) -> Result<()> {
    step(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    step(
        "cargo clippy -D warnings",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    println!("xtask test: codegen --check");
    crate::codegen::run(root, true)?;
    println!("xtask test: header --check");
    crate::header::run(root, true)?;
    println!("xtask test: cargo package (library crates)");
    crate::package::run(root)?;
    let python = install_tools()?;
    println!("xtask test: compat");
    crate::compat::run(&python, root)?;
    let temporal = cli::ensure_cli()?;
    // A hung test fails the run (and says which one it was) instead of using up CI's time.
    let limit = std::env::var("SOLO_TEST_TIME_LIMIT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45 * 60);
    crate::watchdog::run(
        "cargo test --workspace",
        cargo()
            .args(["test", "--workspace"])
            .env("TEMPORAL_CLI", &temporal)
            .env("SOLO_PYTHON", &python),
        std::time::Duration::from_secs(limit),
    )?;
    step(
        "cargo doc -D warnings",
        cargo()
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    println!("xtask test: all checks passed");
    Ok(())
}

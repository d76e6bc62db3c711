//! `cargo xtask package`: checks that every library crate packages for crates.io.
//!
//! Two checks, both without building anything:
//! 1. `cargo package --list` per crate: the package ships its README, both license texts and its
//!    sources (for `solo-proto`, every committed generated file), and no tests.
//! 2. `cargo package` of all library crates together: cargo writes each `.crate` with its
//!    published manifest and resolves its lockfile against a local overlay registry holding the
//!    crates packaged before it, so crates that depend on unpublished siblings package too.
//!
//! The second runs with `--no-verify`: verifying builds each unpacked package in a fresh
//! workspace of its own, with a feature set per package, so it recompiled tonic, hyper, rustls
//! and every solo crate up to eight times (about 4.5 CPU-minutes from cold, one minute warm)
//! while `cargo test --workspace` already builds the same sources. It also runs `--offline`:
//! by then clippy has fetched every dependency, and each crate's lockfile starts from the
//! workspace's `Cargo.lock`, so the cached index has every version it needs (this saves a
//! registry round trip per crate). The whole step takes about a second.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::tasks::cargo;

/// The crates published to crates.io. Every other member of `crates/` says `publish = false`.
pub const LIBRARY_CRATES: &[&str] = &[
    "solo-proto",
    "solo-connect",
    "solo-client",
    "solo-worker",
    "solo-macros",
    "solo-testing",
    "solo-otel",
    "solo",
];

/// Files every library package ships.
const REQUIRED_FILES: &[&str] = &[
    "Cargo.toml",
    "README.md",
    "LICENSE-MIT",
    "LICENSE-APACHE",
    "src/lib.rs",
];

/// Runs both checks.
pub fn run(root: &Path) -> Result<()> {
    check_members(root)?;
    for name in LIBRARY_CRATES {
        check_file_list(root, name)?;
    }
    package_all()
}

/// Every directory under `crates/` is either a library crate or marked `publish = false`, so a
/// new crate cannot silently skip these checks.
fn check_members(root: &Path) -> Result<()> {
    let crates = root.join("crates");
    let entries =
        std::fs::read_dir(&crates).with_context(|| format!("reading {}", crates.display()))?;
    for entry in entries {
        let dir = entry?.path();
        let manifest = dir.join("Cargo.toml");
        let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !manifest.is_file() || LIBRARY_CRATES.contains(&name) {
            continue;
        }
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        if !text.lines().any(|line| line.trim() == "publish = false") {
            bail!(
                "{} is neither in LIBRARY_CRATES (xtask/src/package.rs) nor marked \
                 `publish = false`; add it to one of the two",
                manifest.display()
            );
        }
    }
    Ok(())
}

/// `cargo package --list -p <name>`: the files the package would ship.
fn check_file_list(root: &Path, name: &str) -> Result<()> {
    let output = cargo()
        .args(["package", "--list", "--allow-dirty", "-p", name])
        .output()
        .with_context(|| format!("running cargo package --list -p {name}"))?;
    if !output.status.success() {
        bail!(
            "cargo package --list -p {name} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let files: Vec<&str> = stdout.lines().map(str::trim).collect();
    let mut required: Vec<String> = REQUIRED_FILES.iter().map(|f| (*f).to_owned()).collect();
    if name == "solo-proto" {
        let generated = root.join("crates/solo-proto/src/generated");
        for entry in std::fs::read_dir(&generated)
            .with_context(|| format!("reading {}", generated.display()))?
        {
            if let Some(file) = entry?.file_name().to_str() {
                required.push(format!("src/generated/{file}"));
            }
        }
    }
    for file in &required {
        if !files.contains(&file.as_str()) {
            bail!(
                "the {name} package would not ship {file}; add it to `include` in \
                 crates/{name}/Cargo.toml"
            );
        }
    }
    if let Some(test) = files.iter().find(|f| f.starts_with("tests/")) {
        bail!(
            "the {name} package would ship {test}; tests stay in the repository (they need \
             its tools), so keep `tests/` out of `include` in crates/{name}/Cargo.toml"
        );
    }
    Ok(())
}

/// `cargo package --no-verify --offline` of all library crates together.
fn package_all() -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["package", "--no-verify", "--offline", "--allow-dirty"]);
    for name in LIBRARY_CRATES {
        cmd.args(["-p", name]);
    }
    let output = cmd.output().context("running cargo package")?;
    // Cargo warns once per test target that the package leaves out; that is intended.
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in stderr
        .lines()
        .filter(|line| !line.starts_with("warning: ignoring test `"))
    {
        eprintln!("{line}");
    }
    if !output.status.success() {
        bail!("cargo package failed ({})", output.status);
    }
    Ok(())
}

//! The build footprint of the hello example: distinct crates in its normal dependency tree,
//! the clean release build time on two jobs, and the size of its stripped binaries.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::measure::round;

/// The example whose footprint is measured.
pub(crate) const EXAMPLE: &str = "hello_standalone_activity";

/// The binary whose size is the headline figure.
pub(crate) const HEADLINE_BIN: &str = "worker";

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Distinct `name version` pairs in `cargo tree --prefix none` output. The `(*)` marker of an
/// already-shown subtree and the `(proc-macro)` / path annotations do not make a crate
/// distinct, so only the first two words of a line count.
pub(crate) fn distinct_crates(tree: &str) -> BTreeSet<String> {
    tree.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next()?;
            version
                .starts_with('v')
                .then(|| format!("{name} {version}"))
        })
        .collect()
}

/// Runs `cargo tree -p hello_standalone_activity -e normal --prefix none` in `workspace`.
pub(crate) fn dependency_tree(workspace: &Path) -> Result<BTreeSet<String>> {
    let output = cargo()
        .args(["tree", "-p", EXAMPLE, "-e", "normal", "--prefix", "none"])
        .current_dir(workspace)
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(distinct_crates(&String::from_utf8_lossy(&output.stdout)))
}

/// The example's binary names (its `src/bin/*.rs`).
fn example_bins(workspace: &Path) -> Vec<String> {
    let dir = workspace
        .join("examples")
        .join(EXAMPLE)
        .join("src")
        .join("bin");
    let mut bins: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let path = e.path();
                    (path.extension()? == "rs")
                        .then(|| path.file_stem()?.to_str().map(str::to_owned))
                        .flatten()
                })
                .collect()
        })
        .unwrap_or_default();
    bins.sort();
    bins
}

/// The size of `path` once stripped: `strip` writes a stripped copy when it is installed
/// (the release profile already strips symbols, so this usually changes nothing).
fn stripped_size(path: &Path) -> Result<u64> {
    let copy = path.with_extension("stripped");
    let stripped = Command::new("strip")
        .arg("-o")
        .arg(&copy)
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    let measured = if stripped { &copy } else { path };
    let size = std::fs::metadata(measured)
        .with_context(|| format!("{}", measured.display()))?
        .len();
    let _ = std::fs::remove_file(&copy);
    Ok(size)
}

/// A clean `cargo build --release -p hello_standalone_activity -j 2` in its own target
/// directory (removed afterwards): seconds taken and each binary's stripped size.
fn clean_build(workspace: &Path) -> Result<(f64, Vec<(String, u64)>)> {
    let target: PathBuf = workspace.join("target").join("solo-bench-footprint");
    let _ = std::fs::remove_dir_all(&target);
    // Downloads are not build time.
    let _ = cargo()
        .args(["fetch", "--quiet"])
        .current_dir(workspace)
        .status();
    let started = Instant::now();
    let status = cargo()
        .args(["build", "--quiet", "--release", "-p", EXAMPLE, "-j", "2"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(workspace)
        .status()
        .context("running cargo build")?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        let _ = std::fs::remove_dir_all(&target);
        bail!("cargo build --release -p {EXAMPLE} failed ({status})");
    }
    let mut sizes = Vec::new();
    for bin in example_bins(workspace) {
        let path = target.join("release").join(&bin);
        if path.is_file() {
            sizes.push((bin, stripped_size(&path)?));
        }
    }
    let _ = std::fs::remove_dir_all(&target);
    Ok((seconds, sizes))
}

/// Measures the footprint; the clean build only when `build` is set (it takes minutes).
pub(crate) async fn measure(workspace: &Path, build: bool) -> Result<Value> {
    let workspace = workspace.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let crates = dependency_tree(&workspace)?;
        let mut line = json!({
            "scenario": "footprint",
            "example": EXAMPLE,
            "distinct_crates": crates.len(),
            "clean_release_build_s": null,
            "build_jobs": 2,
            "bin": HEADLINE_BIN,
            "stripped_bin_mb": null,
            "largest_bin_mb": null,
        });
        if build {
            let (seconds, sizes) = clean_build(&workspace)?;
            let mb = |bytes: u64| round(bytes as f64 / (1024.0 * 1024.0), 2);
            line["clean_release_build_s"] = json!(round(seconds, 1));
            line["stripped_bin_mb"] = json!(
                sizes
                    .iter()
                    .find(|(name, _)| name == HEADLINE_BIN)
                    .map(|(_, size)| mb(*size))
            );
            line["largest_bin_mb"] = json!(sizes.iter().map(|(_, size)| *size).max().map(mb));
        }
        Ok(line)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_annotated_crates_count_once() {
        let tree = "\
hello_standalone_activity v0.1.0 (/w/examples/hello_standalone_activity)
serde v1.0.228
serde_derive v1.0.228 (proc-macro)
tokio v1.54.1
tokio v1.54.1 (*)
serde v1.0.228 (*)

";
        let crates = distinct_crates(tree);
        assert_eq!(crates.len(), 4, "{crates:?}");
        assert!(crates.contains("tokio v1.54.1"));
    }
}

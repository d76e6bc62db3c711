//! `cargo xtask codegen`: proto/ → crates/solo-proto/src/generated/, with protox (no protoc).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Every `.proto` file under `proto/`, relative to it, sorted.
pub fn proto_files(root: &Path) -> Result<Vec<String>> {
    let base = root.join("proto");
    let mut out = Vec::new();
    walk(&base, &base, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(base, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            let rel = path
                .strip_prefix(base)?
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
    Ok(())
}

/// Compiles `proto/` into a descriptor set with protox.
pub fn compile(root: &Path) -> Result<prost_types::FileDescriptorSet> {
    let files = proto_files(root)?;
    if files.is_empty() {
        bail!("no .proto files under {}", root.join("proto").display());
    }
    protox::compile(&files, [root.join("proto")]).context("compiling proto/ with protox")
}

/// Generates the Rust code into a fresh directory and returns its files by name.
fn generate(root: &Path) -> Result<BTreeMap<String, String>> {
    let fds = compile(root)?;
    let out = tempdir(root)?;
    let mut config = prost_build::Config::new();
    config.bytes(["."]);
    // `prost::Name` (full names, type URLs): what protobuf payloads carry as `messageType`.
    config.enable_type_names();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .build_transport(false)
        .server_mod_attribute(".", "#[cfg(feature = \"server\")]")
        .include_file("mod.rs")
        .out_dir(&out)
        .compile_fds_with_config(fds, config)
        .context("generating Rust code")?;
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&out)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.insert(name, std::fs::read_to_string(&path)?);
    }
    std::fs::remove_dir_all(&out).ok();
    Ok(files)
}

fn tempdir(root: &Path) -> Result<PathBuf> {
    let dir = root
        .join("target")
        .join("xtask-codegen")
        .join(std::process::id().to_string());
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn generated_dir(root: &Path) -> PathBuf {
    root.join("crates/solo-proto/src/generated")
}

fn read_committed(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "rs") {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.insert(name, std::fs::read_to_string(&path)?);
            }
        }
    }
    Ok(files)
}

/// Runs the task: writes the generated files, or with `check` compares them.
pub fn run(root: &Path, check: bool) -> Result<()> {
    let fresh = generate(root)?;
    let dir = generated_dir(root);
    if check {
        let committed = read_committed(&dir)?;
        let mut stale = Vec::new();
        for (name, text) in &fresh {
            if committed.get(name) != Some(text) {
                stale.push(name.clone());
            }
        }
        for name in committed.keys() {
            if !fresh.contains_key(name) {
                stale.push(format!("{name} (no longer generated)"));
            }
        }
        if !stale.is_empty() {
            bail!(
                "generated code is stale: {}; run `cargo xtask codegen` and commit the result",
                stale.join(", ")
            );
        }
        println!("codegen: {} generated files are current", fresh.len());
        return Ok(());
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    for (name, text) in &fresh {
        std::fs::write(dir.join(name), text)?;
    }
    println!("codegen: wrote {} files to {}", fresh.len(), dir.display());
    Ok(())
}

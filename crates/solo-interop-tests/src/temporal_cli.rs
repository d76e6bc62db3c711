//! Runs the pinned Temporal CLI (`temporal activity ...`) against the shared dev server.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;

use serde_json::Value;

use crate::server_address;

/// What one CLI invocation produced.
#[derive(Debug, Clone)]
pub struct CliOutput {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CliOutput {
    /// Standard output parsed as JSON (for `-o json`).
    ///
    /// # Panics
    /// When it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "the CLI printed no JSON ({e}):\nstdout: {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// The CLI binary (installed on first use).
///
/// # Panics
/// When it cannot be found or installed.
pub fn cli_path() -> &'static PathBuf {
    static CLI: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match CLI.get_or_init(|| solo_testing::cli::ensure_cli().map_err(|e| e.to_string())) {
        Ok(path) => path,
        Err(e) => panic!("{e}"),
    }
}

/// Runs `temporal <args> --address <shared server> --namespace default`.
pub async fn temporal<S: AsRef<str>>(args: &[S]) -> CliOutput {
    let output = tokio::process::Command::new(cli_path())
        .args(args.iter().map(AsRef::as_ref))
        .args(["--address", &server_address(), "--namespace", "default"])
        // Keep the user's CLI profile and colours out of the answers.
        .env("TEMPORAL_CONFIG_FILE", "/nonexistent/solo-interop.toml")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    // A hung CLI call fails the test (and is killed) instead of hanging it.
    let limit = std::time::Duration::from_secs(90);
    let output = tokio::time::timeout(limit, output)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "`temporal {}` did not finish within {limit:?}",
                args.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" ")
            )
        })
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cli_path().display()));
    CliOutput {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

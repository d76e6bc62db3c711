//! The project's Python interpreter with the pinned Temporal Python SDK.
//!
//! Found in this order: `SOLO_PYTHON` (set by `cargo xtask test`), then the project venv
//! `<target>/solo-tools/venv` when its package stamp matches, else the venv is created or
//! updated with pip exactly as `cargo xtask install-tools` does (same packages, same stamp).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use solo_testing::cli::{PINNED_CLI_PACKAGE, pip_install, tools_venv};

/// The pinned Python SDK version.
pub const PINNED_PYTHON_SDK: &str = "1.35.0";

/// The packages the project venv holds; the same list (and order) as `xtask/src/tasks.rs`.
pub const PY_PACKAGES: &[&str] = &[
    PINNED_CLI_PACKAGE,
    "temporalio==1.35.0",
    "googleapis-common-protos==1.76.0",
    "opentelemetry-sdk==1.45.2",
];

/// The file in the venv that records which packages were installed (shared with xtask).
const STAMP: &str = ".solo-packages";

/// The Python interpreter to run the interop programs with.
///
/// # Panics
/// With an explanation when no usable interpreter exists and none can be installed (no
/// Python 3 or no pip on this machine): the suite fails rather than skipping.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(locate) {
        Ok(path) => path,
        Err(e) => panic!(
            "the interop suite needs the Temporal Python SDK {PINNED_PYTHON_SDK}: {e}\n\
             Install Python 3.9+ with pip (e.g. `apt-get install python3 python3-venv \
             python3-pip`), then run `cargo xtask install-tools`, or set SOLO_PYTHON to an \
             interpreter that has `temporalio=={PINNED_PYTHON_SDK}` installed."
        ),
    }
}

/// The directory holding the Python programs (`tests/interop/` at the workspace root).
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/interop")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop"))
}

fn locate() -> Result<PathBuf, String> {
    if let Some(value) = std::env::var_os("SOLO_PYTHON").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        if !path.is_file() {
            return Err(format!(
                "SOLO_PYTHON is set to `{}`, which does not exist",
                path.display()
            ));
        }
        check_sdk(&path)?;
        return Ok(path);
    }
    let venv = tools_venv();
    let python = venv.join("bin").join("python");
    let stamp = venv.join(STAMP);
    let wanted = PY_PACKAGES.join("\n");
    let installed = std::fs::read_to_string(&stamp).ok();
    if !python.is_file() || installed.as_deref() != Some(wanted.as_str()) {
        pip_install(PY_PACKAGES).map_err(|e| {
            format!(
                "installing {} into {} failed: {e}",
                PY_PACKAGES.join(" "),
                venv.display()
            )
        })?;
        std::fs::write(&stamp, &wanted)
            .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    }
    check_sdk(&python)?;
    Ok(python)
}

/// Checks that `python` runs and has the pinned `temporalio`.
fn check_sdk(python: &Path) -> Result<(), String> {
    let output = solo_testing::output_within(
        Command::new(python).args([
            "-c",
            "import importlib.metadata as m; print(m.version('temporalio'))",
        ]),
        std::time::Duration::from_secs(60),
    )
    .map_err(|e| format!("cannot run `{}`: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`{}` has no `temporalio` package: {}",
            python.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if version != PINNED_PYTHON_SDK {
        return Err(format!(
            "`{}` has temporalio {version}, the suite is pinned to {PINNED_PYTHON_SDK}",
            python.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_list_matches_xtask() {
        let xtask = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../xtask/src/tasks.rs"),
        )
        .expect("read xtask/src/tasks.rs");
        for package in &PY_PACKAGES[1..] {
            assert!(
                xtask.contains(&format!("\"{package}\"")),
                "xtask installs a different set of Python packages; `{package}` is missing there"
            );
        }
        assert!(xtask.contains("cli::PINNED_CLI_PACKAGE"));
    }

    #[test]
    fn the_python_programs_are_where_the_harness_looks() {
        for program in [
            "py_worker.py",
            "py_client.py",
            "py_workflow.py",
            "interop_types.py",
        ] {
            assert!(interop_dir().join(program).is_file(), "{program}");
        }
    }
}

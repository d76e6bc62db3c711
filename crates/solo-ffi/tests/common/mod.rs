//! Shared by the embedder tests: where the built library is, and compiling C against it.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The directory holding the `cdylib` cargo built for this test run.
///
/// Cargo builds the library target once with all its crate types before the integration
/// tests, into the same `deps/` directory as the test executable (whatever `CARGO_TARGET_DIR`
/// or profile), so the test looks beside itself, then in the uplifted profile directory.
pub(crate) fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe
        .parent()
        .expect("the test executable's directory")
        .to_path_buf();
    let name = lib_file_name();
    for dir in [
        deps.clone(),
        deps.parent().map(Path::to_path_buf).unwrap_or_default(),
    ] {
        if dir.join(&name).is_file() {
            return dir;
        }
    }
    panic!(
        "{name} is neither in {} nor its parent: the cdylib was not built (crate-type in crates/solo-ffi/Cargo.toml)",
        deps.display()
    );
}

/// The cdylib's file name on this platform.
pub(crate) fn lib_file_name() -> String {
    format!(
        "{}solo_ffi{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// The crate's directory.
pub(crate) fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles `source` (under tests/c/) with the system C compiler against the header and the
/// cdylib, into a fresh temporary directory; returns the program's path (and the directory,
/// which removes itself when dropped).
pub(crate) fn compile_c(source: &str) -> (PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let program = dir.path().join(source.trim_end_matches(".c"));
    build(&crate_dir().join("tests/c").join(source), &program);
    (program, dir)
}

/// Compiles and links one C file (anywhere) beside itself.
pub(crate) fn compile_c_file(source: &Path) -> PathBuf {
    let program = source.with_extension("");
    build(source, &program);
    program
}

fn build(source: &Path, program: &Path) {
    let lib = lib_dir();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let output = solo_testing::output_within(
        Command::new(&cc)
            .arg("-std=c11")
            .args(["-Wall", "-Wextra", "-Werror", "-D_DEFAULT_SOURCE"])
            .arg("-o")
            .arg(program)
            .arg(source)
            .arg("-I")
            .arg(crate_dir().join("include"))
            .arg("-L")
            .arg(&lib)
            .arg("-lsolo_ffi")
            .arg("-lpthread")
            .arg(format!("-Wl,-rpath,{}", lib.display())),
        Duration::from_secs(120),
    )
    .unwrap_or_else(|e| panic!("running the C compiler `{cc}`: {e}"));
    assert!(
        output.status.success(),
        "compiling {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A unique name for ids and task queues.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

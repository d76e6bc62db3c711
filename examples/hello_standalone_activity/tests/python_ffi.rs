//! The Python binding over solo's C ABI (examples/python-ffi/solo_ffi.py, ctypes only):
//! its worker serves the seed's `compose_greeting` to the Python SDK's client and to
//! `temporal activity execute`; its client drives this example's `worker` program.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::Value;
use solo_testing::DevServer;

const LIMIT: Duration = Duration::from_secs(60);

/// The solo-ffi cdylib cargo built for this run (a dev-dependency of this crate, built with
/// all its crate types into the `deps/` directory beside this test executable).
fn ffi_lib() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("test executable directory");
    let (prefix, suffix) = (std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let exact = deps.join(format!("{prefix}solo_ffi{suffix}"));
    if exact.is_file() {
        return exact;
    }
    // A hashed name, should cargo ever add one: the newest.
    let mut found: Vec<PathBuf> = std::fs::read_dir(deps)
        .expect("read deps")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{prefix}solo_ffi")) && n.ends_with(suffix))
        })
        .collect();
    found.sort_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
    found
        .pop()
        .unwrap_or_else(|| panic!("no solo_ffi cdylib in {}", deps.display()))
}

fn python() -> PathBuf {
    std::env::var_os("SOLO_PYTHON")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| solo_testing::cli::tools_venv().join("bin").join("python"))
}

fn binding_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../python-ffi")
}

fn demo(server: &DevServer, args: &[&str]) -> Command {
    let mut command = Command::new(python());
    command
        .current_dir(binding_dir())
        .env("SOLO_FFI_LIB", ffi_lib())
        .arg("demo.py")
        .args(["--address", server.address().as_str()])
        .args(args);
    command
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

/// Runs a program to completion within the limit; its stdout, or a panic with both streams.
fn run(command: &mut Command) -> String {
    let output = solo_testing::output_within(command, LIMIT).expect("the program ran");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The lines a child prints, read on a thread of their own.
fn lines(stdout: ChildStdout) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for_line(rx: &Receiver<String>, prefix: &str) -> String {
    loop {
        match rx.recv_timeout(LIMIT) {
            Ok(line) if line.starts_with(prefix) => return line,
            Ok(_) => continue,
            Err(e) => panic!("no line starting with {prefix:?} within {LIMIT:?}: {e}"),
        }
    }
}

/// Kills the child when the test ends, passing or not.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_python_binding_worker_serves_the_python_sdk_and_the_cli() {
    let server = DevServer::shared().expect("dev server");
    let task_queue = unique("python-ffi-worker");
    let mut worker = Reap(
        demo(server, &["worker", "--task-queue", &task_queue])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the binding's worker"),
    );
    let out = lines(worker.0.stdout.take().expect("stdout"));
    let ready = wait_for_line(&out, "READY");
    assert!(ready.starts_with("READY solo "), "{ready}");

    // The Python SDK's client.
    let answer = run(demo(
        server,
        &[
            "sdk-execute",
            "--task-queue",
            &task_queue,
            "--id",
            &unique("sdk"),
        ],
    )
    .stderr(Stdio::piped()));
    let answer: Value = serde_json::from_str(answer.trim()).expect("JSON");
    assert_eq!(answer["result"], "Hello, Python SDK!");

    // The Temporal CLI.
    let cli = solo_testing::cli::ensure_cli().expect("Temporal CLI");
    let printed = run(Command::new(cli).args([
        "activity",
        "execute",
        "--address",
        server.address().as_str(),
        "--type",
        "compose_greeting",
        "--activity-id",
        &unique("cli"),
        "--task-queue",
        &task_queue,
        "--start-to-close-timeout",
        "10s",
        "--input",
        r#"{"greeting": "Hello", "name": "CLI"}"#,
        "-o",
        "json",
    ]));
    assert!(printed.contains("Hello, CLI!"), "CLI printed:\n{printed}");

    // Closing stdin shuts the worker down gracefully.
    drop(worker.0.stdin.take());
    let stopped = wait_for_line(&out, "STOPPED");
    assert_eq!(stopped, "STOPPED served=2");
    let status = worker.0.wait().expect("the worker exits");
    assert!(
        status.success(),
        "the binding's worker exited with {status}"
    );
}

#[test]
fn the_python_binding_client_drives_the_solo_example_worker() {
    let server = DevServer::shared().expect("dev server");
    let worker = Reap(
        Command::new(env!("CARGO_BIN_EXE_worker"))
            .env("TEMPORAL_ADDRESS", server.address())
            .env("TEMPORAL_NAMESPACE", "default")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the example worker"),
    );
    let id = unique("python-ffi-client");
    let answer = run(demo(
        server,
        &[
            "execute",
            "--task-queue",
            hello_standalone_activity::TASK_QUEUE,
            "--id",
            &id,
        ],
    )
    .stderr(Stdio::piped()));
    let answer: Value = serde_json::from_str(answer.trim()).expect("JSON");
    assert_eq!(answer["result"], "Hello, World!", "{answer}");
    assert_eq!(answer["activity_type"], "compose_greeting", "{answer}");
    assert_eq!(answer["status"], 2, "describe says COMPLETED: {answer}");
    assert_eq!(answer["listed"], serde_json::json!([id]), "{answer}");
    assert_eq!(answer["count"], 1, "{answer}");
    drop(worker);
}

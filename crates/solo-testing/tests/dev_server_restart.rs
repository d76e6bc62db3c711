//! `DevServer::kill` and `restart`: a persistent dev server killed with SIGKILL comes back on
//! the same port with everything created before the kill — a namespace, and a standalone
//! activity that can still be completed and its result read. Every CLI call is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use solo_testing::{DevServer, DevServerOptions};

/// The most a CLI call may take before the test fails.
const CLI_LIMIT: Duration = Duration::from_secs(30);

/// Runs the Temporal CLI against `server`, failing the test when it takes longer than
/// [`CLI_LIMIT`]; returns whether it succeeded, and its output.
fn run_cli(server: &DevServer, args: &[&str]) -> (bool, String) {
    let binary = solo_testing::cli::ensure_cli().expect("the temporal CLI");
    let mut child = Command::new(binary)
        .args(args)
        .args(["--address", &server.address(), "--output", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the temporal CLI");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CLI_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`temporal {}` did not finish within {CLI_LIMIT:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The outputs are small enough to sit in the pipes until the process has ended.
    let mut output = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    (status.success(), output)
}

/// As [`run_cli`], failing the test when the CLI fails; returns its output.
fn cli(server: &DevServer, args: &[&str]) -> String {
    let (ok, output) = run_cli(server, args);
    assert!(ok, "`temporal {}` failed: {output}", args.join(" "));
    output
}

/// The value of `"key": "value"` in the CLI's JSON output.
fn json_field(output: &str, key: &str) -> String {
    let pattern = format!("\"{key}\": \"");
    let start = output
        .find(&pattern)
        .unwrap_or_else(|| panic!("no {key} in {output}"))
        + pattern.len();
    let len = output[start..].find('"').unwrap();
    output[start..start + len].to_owned()
}

#[test]
fn a_persistent_server_killed_and_restarted_keeps_its_state_and_port() {
    let started = Instant::now();
    let mut server = DevServer::start_with(DevServerOptions {
        persistent: true,
        namespaces: vec!["solo-restart-created-at-start".into()],
        ..Default::default()
    })
    .expect("start a persistent dev server");
    let addr = server.addr();
    let db = server.db_filename().expect("a database file").to_path_buf();
    assert!(db.is_file(), "{} is missing", db.display());
    let first_pid = server.pid().expect("running");

    // State created before the kill: a namespace and a started (never picked up) activity.
    cli(
        &server,
        &["operator", "namespace", "create", "-n", "solo-restart-ns"],
    );
    let started_activity = cli(
        &server,
        &[
            "activity",
            "start",
            "--activity-id",
            "solo-restart-activity",
            "--type",
            "Echo",
            "--task-queue",
            "solo-restart-tq",
            "--start-to-close-timeout",
            "5m",
        ],
    );
    let run_id = json_field(&started_activity, "runId");

    server.kill().expect("kill -9 the server");
    assert_eq!(server.pid(), None);
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "the port still answers after the kill"
    );
    server
        .kill()
        .expect("killing a stopped server does nothing");

    server.restart().expect("restart the server");
    assert_eq!(server.addr(), addr, "the port changed");
    assert_ne!(server.pid(), Some(first_pid));
    for namespace in ["solo-restart-ns", "solo-restart-created-at-start"] {
        cli(
            &server,
            &["operator", "namespace", "describe", "-n", namespace],
        );
    }
    let described = cli(
        &server,
        &[
            "activity",
            "describe",
            "--activity-id",
            "solo-restart-activity",
        ],
    );
    assert_eq!(json_field(&described, "runId"), run_id, "{described}");

    // A restart of a running server kills it first; the activity is still there to complete.
    server.restart().expect("restart the running server");
    assert_eq!(server.addr(), addr);
    cli(
        &server,
        &[
            "activity",
            "complete",
            "--activity-id",
            "solo-restart-activity",
            "--result",
            "\"after two restarts\"",
        ],
    );
    let result = cli(
        &server,
        &[
            "activity",
            "result",
            "--activity-id",
            "solo-restart-activity",
        ],
    );
    assert_eq!(
        json_field(&result, "result"),
        "after two restarts",
        "{result}"
    );

    // The database lives in a directory of the server's own, removed with it.
    let dir = db.parent().unwrap().to_path_buf();
    drop(server);
    assert!(!dir.exists(), "{} was left behind", dir.display());
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_server_without_persistence_restarts_empty_on_the_same_port() {
    // Started and restarted from threads that end at once: the server outlives them (it is
    // tied to a thread the `DevServer` owns, not to the caller's).
    let mut server = std::thread::spawn(DevServer::start)
        .join()
        .unwrap()
        .expect("start a dev server");
    assert_eq!(server.db_filename(), None);
    let addr = server.addr();
    cli(
        &server,
        &["operator", "namespace", "create", "-n", "solo-gone-ns"],
    );
    let server = std::thread::spawn(move || server.restart().map(|()| server))
        .join()
        .unwrap()
        .expect("restart the server");
    assert_eq!(server.addr(), addr);
    // Give a kill tied to the ended thread time to land.
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.pid().is_some());
    // `default` always exists; the namespace created before the restart is gone.
    cli(
        &server,
        &["operator", "namespace", "describe", "-n", "default"],
    );
    let (found, output) = run_cli(
        &server,
        &["operator", "namespace", "describe", "-n", "solo-gone-ns"],
    );
    assert!(
        !found,
        "the namespace survived an in-memory restart: {output}"
    );
}

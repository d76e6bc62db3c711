//! A Python worker process (`tests/interop/py_worker.py`) polling one task queue.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::python::{interop_dir, python};
use crate::{server_address, unique};

/// A running Python worker. Dropping it stops the process; the worker also stops by itself
/// when this process exits (its standard input closes).
#[derive(Debug)]
pub struct PyWorker {
    task_queue: String,
    log: PathBuf,
    child: Mutex<Child>,
    // Held open: the worker exits when it closes.
    _stdin: ChildStdin,
}

impl PyWorker {
    /// One worker per test binary, on its own task queue, started on first use.
    ///
    /// # Panics
    /// When the worker cannot be started (the first error is repeated to every caller).
    pub fn shared() -> &'static PyWorker {
        static SHARED: OnceLock<Result<PyWorker, String>> = OnceLock::new();
        static WATCHED: std::sync::Once = std::sync::Once::new();
        match SHARED.get_or_init(|| PyWorker::start(&unique("py-tq"))) {
            Ok(worker) => {
                WATCHED.call_once(|| worker.watch());
                worker
            }
            Err(e) => panic!("{e}"),
        }
    }

    /// Starts a worker on `task_queue` against the shared dev server and waits until it polls.
    ///
    /// # Errors
    /// When the process cannot be started or does not report `READY` within 60 s.
    pub fn start(task_queue: &str) -> Result<PyWorker, String> {
        let address = server_address();
        let log = log_dir().join(format!("py_worker-{task_queue}.log"));
        let stderr = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new(python())
            .arg("-u")
            .arg(interop_dir().join("py_worker.py"))
            .args(["--address", &address, "--task-queue", task_queue])
            .arg("--stop-on-stdin-eof")
            .current_dir(interop_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start the Python worker: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Forward lines until READY, then keep draining so the pipe never fills.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let worker = PyWorker {
            task_queue: task_queue.to_owned(),
            log,
            child: Mutex::new(child),
            _stdin: stdin,
        };
        loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.trim() == "READY" => return Ok(worker),
                Ok(_) => {}
                Err(e) => {
                    return Err(format!(
                        "the Python worker on {task_queue} did not become ready ({e}); its log:\n{}",
                        worker.log_text()
                    ));
                }
            }
        }
    }

    /// Watches the process from a thread of its own: if the worker dies while tests still
    /// wait for it, the test binary fails at once (exit status 101, as a failed test), with
    /// the worker's log, instead of every test waiting out its timeout.
    // Test output for the person reading a failed run; there is no subscriber to log to.
    #[allow(clippy::print_stderr)]
    fn watch(&'static self) {
        let spawned = std::thread::Builder::new()
            .name("py-worker-watch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(250));
                    let exited = match self.child.lock() {
                        Ok(mut child) => child.try_wait().ok().flatten(),
                        Err(_) => return,
                    };
                    if let Some(status) = exited {
                        eprintln!(
                            "the shared Python worker on {} exited ({status}) while tests still use it; failing now. Its log:\n{}",
                            self.task_queue,
                            self.log_text()
                        );
                        std::process::exit(101);
                    }
                }
            });
        if let Err(e) = spawned {
            eprintln!("cannot watch the Python worker: {e}");
        }
    }

    /// The task queue it polls.
    pub fn task_queue(&self) -> &str {
        &self.task_queue
    }

    /// What the worker wrote to stderr so far (for failure messages).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Where its stderr goes.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log
    }
}

impl Drop for PyWorker {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `<target>/solo-interop-logs/`, created on demand; logs older than a day are removed.
pub fn log_dir() -> PathBuf {
    let dir = solo_testing::cli::target_dir().join("solo-interop-logs");
    let _ = std::fs::create_dir_all(&dir);
    let day = Duration::from_secs(24 * 60 * 60);
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    dir
}

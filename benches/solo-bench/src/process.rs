//! Child processes of the suite: a bench mode, the dev server or a Python program, with their
//! stdout JSON lines, their ready signal on stderr, and bounded waits for both.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use crate::harness::READY_MARK;
use crate::report;

/// A child process with its stdout lines and its ready signal.
pub(crate) struct Proc {
    name: String,
    child: tokio::process::Child,
    pub(crate) pid: u32,
    pub(crate) lines: mpsc::UnboundedReceiver<String>,
    ready: Option<oneshot::Receiver<()>>,
    stdin: Option<tokio::process::ChildStdin>,
}

impl Proc {
    pub(crate) fn spawn_bench(name: &str, args: &[String], stdin: bool) -> Result<Self> {
        let exe = std::env::current_exe().context("locating solo-bench")?;
        Proc::spawn_program(name, exe, args, stdin)
    }

    #[allow(unsafe_code)]
    pub(crate) fn spawn_program(
        name: &str,
        program: PathBuf,
        args: &[String],
        stdin: bool,
    ) -> Result<Self> {
        let mut cmd = tokio::process::Command::new(&program);
        cmd.args(args)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // SAFETY: runs in the child between fork and exec and only calls `prctl`, which is
        // async-signal-safe: the child dies with us, so no server or worker outlives the suite.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let pid = child.id().context("child pid")?;
        let (line_tx, lines) = mpsc::unbounded_channel();
        let (ready_tx, ready) = oneshot::channel();
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(async move {
                let mut reader = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    let _ = line_tx.send(line);
                }
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let name = name.to_owned();
            tokio::spawn(async move {
                let mut ready_tx = Some(ready_tx);
                let mut reader = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    if line.starts_with(READY_MARK) {
                        if let Some(tx) = ready_tx.take() {
                            let _ = tx.send(());
                        }
                    } else {
                        report::log(&format!("[{name}] {line}"));
                    }
                }
            });
        }
        Ok(Proc {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            pid,
            lines,
            ready: Some(ready),
        })
    }

    pub(crate) async fn send_line(&mut self, line: &str) -> Result<()> {
        use tokio::io::AsyncWriteExt;
        let stdin = self.stdin.as_mut().context("no stdin")?;
        stdin.write_all(format!("{line}\n").as_bytes()).await?;
        stdin.flush().await?;
        Ok(())
    }

    pub(crate) fn close_stdin(&mut self) {
        self.stdin = None;
    }

    pub(crate) async fn wait_ready(&mut self, limit: Duration) -> Result<()> {
        let Some(ready) = self.ready.take() else {
            return Ok(());
        };
        match tokio::time::timeout(limit, ready).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => bail!("{} exited before it was ready", self.name),
            Err(_) => bail!("{} was not ready within {limit:?}", self.name),
        }
    }

    /// The next JSON line on stdout whose `scenario` is `scenario`.
    pub(crate) async fn json_line(&mut self, scenario: &str, limit: Duration) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let line = match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => bail!("{} exited without a `{scenario}` line", self.name),
                Err(_) => bail!("no `{scenario}` line from {} within {limit:?}", self.name),
            };
            match serde_json::from_str::<Value>(&line) {
                Ok(value) if value["scenario"] == scenario => return Ok(value),
                _ => report::log(&format!("[{}] {line}", self.name)),
            }
        }
    }

    #[allow(unsafe_code)]
    pub(crate) fn signal(&self, signal: libc::c_int) {
        // SAFETY: `kill` has no memory effects; the pid is our own child, not yet reaped.
        unsafe {
            libc::kill(self.pid as libc::pid_t, signal);
        }
    }

    pub(crate) async fn wait_exit(&mut self, limit: Duration) -> Result<std::process::ExitStatus> {
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(status) => Ok(status?),
            Err(_) => {
                let _ = self.child.kill().await;
                bail!("{} did not exit within {limit:?}", self.name)
            }
        }
    }
}

/// Owned copies of `items`.
pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

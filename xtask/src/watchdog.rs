//! Runs `cargo test` under a time limit, echoing its output; when the limit is reached, says
//! which test binary and which tests were running, then kills the whole process group.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// What the output said so far.
#[derive(Default)]
struct Progress {
    /// The test binary now running (cargo's `Running …` line).
    binary: String,
    /// Tests libtest reported as running for over 60 seconds, not yet finished.
    slow: Vec<String>,
    /// The last finished test.
    last_finished: String,
}

impl Progress {
    fn read(&mut self, line: &str) {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("Running ") {
            self.binary = rest.to_owned();
            self.slow.clear();
        } else if let Some(rest) = trimmed.strip_prefix("test ") {
            if let Some(name) = rest.strip_suffix(" has been running for over 60 seconds") {
                self.slow.push(name.to_owned());
            } else if let Some((name, _)) = rest.split_once(" ... ") {
                self.slow.retain(|n| n != name);
                self.last_finished = name.to_owned();
            }
        }
    }
}

/// Runs `cmd`, failing if it fails or takes longer than `limit`.
pub fn run(name: &str, cmd: &mut Command, limit: Duration) -> Result<()> {
    println!("xtask test: {name} (time limit {} s)", limit.as_secs());
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .with_context(|| format!("running {name}"))?;
    let (lines, received) = mpsc::channel::<String>();
    let stdout = child.stdout.take().context("no stdout")?;
    let stderr = child.stderr.take().context("no stderr")?;
    let echo = |stream: Box<dyn Read + Send>, to_stderr: bool, lines: mpsc::Sender<String>| {
        thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if to_stderr {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
                if lines.send(line).is_err() {
                    break;
                }
            }
        })
    };
    let out = echo(Box::new(stdout), false, lines.clone());
    let err = echo(Box::new(stderr), true, lines);
    let started = Instant::now();
    let mut progress = Progress::default();
    let status = loop {
        while let Ok(line) = received.try_recv() {
            progress.read(&line);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = std::io::stdout().flush();
            eprintln!(
                "xtask test: {name} passed its time limit of {} s; killing it",
                limit.as_secs()
            );
            eprintln!("xtask test: running binary: {}", progress.binary);
            if progress.slow.is_empty() {
                eprintln!(
                    "xtask test: no test reported itself as slow; the last finished test was {}",
                    progress.last_finished
                );
            } else {
                eprintln!(
                    "xtask test: tests still running: {}",
                    progress.slow.join(", ")
                );
            }
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            bail!("{name} took longer than {} s", limit.as_secs());
        }
        thread::sleep(Duration::from_millis(200));
    };
    let _ = out.join();
    let _ = err.join();
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_the_running_binary_and_slow_tests() {
        let mut p = Progress::default();
        p.read("     Running tests/run.rs (target/debug/deps/run-0123)");
        p.read("test a ... ok");
        p.read("test slow_one has been running for over 60 seconds");
        p.read("test other has been running for over 60 seconds");
        p.read("test other ... ok");
        assert_eq!(p.binary, "tests/run.rs (target/debug/deps/run-0123)");
        assert_eq!(p.slow, ["slow_one"]);
        assert_eq!(p.last_finished, "other");
    }

    #[test]
    fn a_command_over_its_limit_is_killed() {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo 'test stuck has been running for over 60 seconds'; sleep 30",
        ]);
        let started = Instant::now();
        let err = run("sleeper", &mut cmd, Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("longer than 1 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

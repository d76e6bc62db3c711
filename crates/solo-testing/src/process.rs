//! [`output_within`]: run a helper program (the `temporal` CLI, a Python client) with a time
//! limit, so that a test fails with the command's name instead of hanging.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `command` to completion and collects its output, like [`Command::output`], but kills
/// it and returns an [`std::io::ErrorKind::TimedOut`] error naming the program when it runs
/// longer than `limit`.
///
/// ```
/// use std::time::Duration;
///
/// let out = solo_testing::output_within(
///     std::process::Command::new("echo").arg("hi"),
///     Duration::from_secs(10),
/// )?;
/// assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hi");
///
/// let slow = solo_testing::output_within(
///     std::process::Command::new("sleep").arg("5"),
///     Duration::from_millis(200),
/// );
/// assert_eq!(slow.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// When the program cannot be started, or takes longer than `limit`.
pub fn output_within(command: &mut Command, limit: Duration) -> std::io::Result<Output> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Drain both pipes on threads of their own, so a chatty program never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "`{}` did not finish within {limit:?} and was killed",
                    describe(command)
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// The program and its arguments, for messages.
fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

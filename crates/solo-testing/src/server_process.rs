//! The operating-system side of a dev server process: the thread that spawns it, the signal
//! that kills it with its parent, and the directory that holds its database.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc;

/// A thread that spawns the server's processes and lives as long as the [`crate::DevServer`], so
/// that `PR_SET_PDEATHSIG` (which fires when the *thread* that spawned a process ends) kills
/// the server only when the `DevServer` or the whole test process is gone.
#[derive(Debug)]
pub(crate) struct Spawner {
    requests: mpsc::Sender<(Command, mpsc::Sender<std::io::Result<Child>>)>,
}

impl Spawner {
    /// Starts the thread.
    pub(crate) fn start() -> std::io::Result<Self> {
        let (requests, incoming) =
            mpsc::channel::<(Command, mpsc::Sender<std::io::Result<Child>>)>();
        std::thread::Builder::new()
            .name("solo-dev-server".into())
            .spawn(move || {
                // Ends when the `DevServer` (and with it the sender) is dropped, after its
                // process has been killed.
                for (mut cmd, reply) in incoming {
                    let _ = reply.send(cmd.spawn());
                }
            })?;
        Ok(Spawner { requests })
    }

    /// Spawns `cmd` from the thread.
    pub(crate) fn spawn(&self, cmd: Command) -> std::io::Result<Child> {
        let gone = || std::io::Error::other("the dev server's spawner thread has stopped");
        let (reply, answer) = mpsc::channel();
        self.requests.send((cmd, reply)).map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

/// A directory of our own under the system temporary directory, removed on drop.
#[derive(Debug)]
pub(crate) struct StateDir(PathBuf);

impl StateDir {
    /// Creates a new, empty directory; on failure returns where it was tried and why.
    pub(crate) fn create() -> Result<Self, (PathBuf, std::io::Error)> {
        let base = std::env::temp_dir();
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut attempt = 0u32;
        loop {
            let dir = base.join(format!(
                "solo-dev-server-{}-{stamp}-{attempt}",
                std::process::id()
            ));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(StateDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(source) => return Err((base, source)),
            }
        }
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            tracing::debug!(dir = %self.0.display(), error = %e, "could not remove the dev server's state directory");
        }
    }
}

/// Asks Linux to kill the server when the thread that started it exits, so a test process that
/// dies never leaves a server behind.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(crate) fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec and only calls `prctl`,
    // which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn die_with_parent(_cmd: &mut Command) {}

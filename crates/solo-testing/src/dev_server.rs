//! Finding, installing and running the Temporal CLI dev server.
//!
//! [`DevServer`] starts `temporal server start-dev` on a free loopback port, waits until its
//! frontend answers gRPC, and stops it when dropped. The CLI is located (or installed) by
//! [`crate::cli::ensure_cli`].
//!
//! For crash tests, [`DevServer::kill`] ends the server with SIGKILL (no shutdown of any kind,
//! as a crash or an OOM kill) and [`DevServer::restart`] starts it again on the same port. With
//! [`DevServerOptions::persistent`] (or [`DevServerOptions::db_filename`]) its state lives in a
//! SQLite file that survives the kill, so everything started before it is still there after
//! the restart.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::cli::{CliError, ensure_cli};
use crate::server_process::{Spawner, StateDir, die_with_parent};

/// Errors from finding, installing or starting the dev server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevServerError {
    /// The CLI could not be found or installed.
    #[error(transparent)]
    Cli(#[from] CliError),
    /// The CLI could not be started.
    #[error("could not start `{cli}`: {source}")]
    Spawn {
        /// The binary that was run.
        cli: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The server exited or never answered.
    #[error("the dev server on {addr} did not become ready within {waited:?}: {reason}")]
    NotReady {
        /// Where it was started.
        addr: SocketAddr,
        /// How long the fixture waited.
        waited: Duration,
        /// What was observed.
        reason: String,
    },
    /// No free loopback port could be reserved.
    #[error("no free loopback port: {0}")]
    NoPort(#[source] std::io::Error),
    /// The directory for the persistent database could not be created.
    #[error("could not create a directory for the dev server's database under {dir}: {source}")]
    StateDir {
        /// Where it was tried.
        dir: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// [`DevServer::kill`] could not kill or reap the server process.
    #[error("could not kill the dev server (pid {pid}) on {addr}: {source}")]
    Kill {
        /// The server's process id.
        pid: u32,
        /// Where it serves.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// How a start that failed because the server process ended is described.
const EXITED: &str = "the server exited with";

/// How long [`DevServer::restart`] retries a server that exits at once (its port still held).
const RESTART_BIND_WINDOW: Duration = Duration::from_secs(10);

/// The dynamic config key of the operator commands for standalone activities (pause, unpause,
/// reset, update options; Server 1.32+, off by default). Every [`DevServer`] sets it to `true`
/// unless its [`DevServerOptions::dynamic_config`] sets it (for example to `false`).
pub const OPERATOR_COMMANDS_KEY: &str = "history.enableStandaloneActivityOperatorCommands";

/// Options for [`DevServer::start_with`].
#[derive(Debug, Clone, Default)]
pub struct DevServerOptions {
    /// Extra `--dynamic-config-value KEY=VALUE` pairs. [`OPERATOR_COMMANDS_KEY`]`=true` is
    /// added unless one of these sets that key.
    pub dynamic_config: Vec<String>,
    /// Extra namespaces to create at start (`default` always exists).
    pub namespaces: Vec<String>,
    /// Search attributes to register, as `Name=Type` pairs.
    pub search_attributes: Vec<String>,
    /// Serve the Web UI (on the gRPC port + 1000 unless `ui_port` says otherwise).
    pub ui: bool,
    /// The gRPC port; `None` picks a free one.
    pub port: Option<u16>,
    /// The UI port when `ui` is on.
    pub ui_port: Option<u16>,
    /// Let the server log to this process's stderr instead of discarding its output.
    pub inherit_output: bool,
    /// Keep the server's state in a SQLite file (`--db-filename`) in a temporary directory
    /// owned by the [`DevServer`] and removed when it is dropped, so that
    /// [`DevServer::restart`] finds everything created before [`DevServer::kill`]. Without it
    /// (and without `db_filename`) the state lives in memory and a restart starts empty.
    pub persistent: bool,
    /// Keep the server's state in this SQLite file instead (created when missing, never
    /// removed). Takes precedence over `persistent`.
    pub db_filename: Option<PathBuf>,
}

/// A running `temporal server start-dev` process, stopped on drop.
///
/// The process is started from a thread the `DevServer` owns and is killed by Linux
/// (`PR_SET_PDEATHSIG`) if that thread ends, so a test process that dies never leaves a server
/// behind, and a `DevServer` may be started, restarted and dropped from any thread.
#[derive(Debug)]
pub struct DevServer {
    child: Option<Child>,
    addr: SocketAddr,
    ui_url: Option<String>,
    cli: PathBuf,
    /// The options it was started with, with the ports it got filled in.
    options: DevServerOptions,
    db_file: Option<PathBuf>,
    spawner: Spawner,
    /// Declared last: removed after the server has been killed.
    _state_dir: Option<StateDir>,
}

impl DevServer {
    /// Starts a dev server on a free loopback port with default options and waits until it
    /// serves the `default` namespace.
    ///
    /// # Errors
    /// When no CLI can be found or installed, or the server does not become ready in 60 s.
    pub fn start() -> Result<Self, DevServerError> {
        Self::start_with(DevServerOptions::default())
    }

    /// Starts a dev server with the given options; see [`DevServer::start`].
    ///
    /// # Errors
    /// As [`DevServer::start`].
    pub fn start_with(options: DevServerOptions) -> Result<Self, DevServerError> {
        let cli = ensure_cli()?;
        // The server also binds ports of its own choosing (HTTP API, metrics, cluster
        // membership); one taken by another process between its choice and its bind makes it
        // exit at once. With a port of our choosing too, such a start is simply tried again.
        let attempts = if options.port.is_some() { 1 } else { 3 };
        let mut attempt = 1;
        loop {
            match Self::start_once(&cli, &options) {
                Err(DevServerError::NotReady { reason, .. })
                    if attempt < attempts && reason.starts_with(EXITED) =>
                {
                    tracing::warn!(%reason, attempt, "the dev server exited while starting; trying again on another port");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn start_once(cli: &Path, options: &DevServerOptions) -> Result<Self, DevServerError> {
        let mut options = options.clone();
        let port = match options.port {
            Some(port) => port,
            None => free_port()?,
        };
        options.port = Some(port);
        let mut ui_url = None;
        if options.ui {
            let ui_port = options.ui_port.unwrap_or(port.saturating_add(1000));
            options.ui_port = Some(ui_port);
            ui_url = Some(format!("http://127.0.0.1:{ui_port}"));
        }
        let (db_file, state_dir) = match (&options.db_filename, options.persistent) {
            (Some(file), _) => (Some(file.clone()), None),
            (None, true) => {
                let dir = StateDir::create()
                    .map_err(|(dir, source)| DevServerError::StateDir { dir, source })?;
                (Some(dir.path().join("temporal.sqlite")), Some(dir))
            }
            (None, false) => (None, None),
        };
        let spawner = Spawner::start().map_err(|source| DevServerError::Spawn {
            cli: cli.to_path_buf(),
            source,
        })?;
        let mut server = DevServer {
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            ui_url,
            cli: cli.to_path_buf(),
            options,
            db_file,
            spawner,
            _state_dir: state_dir,
        };
        server.launch()?;
        Ok(server)
    }

    /// Spawns the process for the recorded options and waits until it is ready.
    fn launch(&mut self) -> Result<(), DevServerError> {
        let options = &self.options;
        let mut cmd = Command::new(&self.cli);
        cmd.args(["server", "start-dev", "--ip", "127.0.0.1", "--port"])
            .arg(self.addr.port().to_string())
            .args(["--log-level", "error"]);
        match options.ui_port.filter(|_| options.ui) {
            Some(ui_port) => {
                cmd.arg("--ui-port").arg(ui_port.to_string());
            }
            None => {
                cmd.arg("--headless");
            }
        }
        if let Some(db_file) = &self.db_file {
            cmd.arg("--db-filename").arg(db_file);
        }
        if !options
            .dynamic_config
            .iter()
            .any(|v| v.split_once('=').map(|(k, _)| k.trim()) == Some(OPERATOR_COMMANDS_KEY))
        {
            cmd.arg("--dynamic-config-value")
                .arg(format!("{OPERATOR_COMMANDS_KEY}=true"));
        }
        for value in &options.dynamic_config {
            cmd.arg("--dynamic-config-value").arg(value);
        }
        for ns in &options.namespaces {
            cmd.arg("--namespace").arg(ns);
        }
        for sa in &options.search_attributes {
            cmd.arg("--search-attribute").arg(sa);
        }
        if options.inherit_output {
            cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
        } else {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
        cmd.stdin(Stdio::null());
        die_with_parent(&mut cmd);
        tracing::debug!(cli = %self.cli.display(), addr = %self.addr, "starting dev server");
        let child = self
            .spawner
            .spawn(cmd)
            .map_err(|source| DevServerError::Spawn {
                cli: self.cli.clone(),
                source,
            })?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(60))
    }

    /// Kills the server with SIGKILL — no graceful shutdown, as a crash would — and waits
    /// until the process is gone. Does nothing when it is not running. The port and, with
    /// [`DevServerOptions::persistent`], the database stay reserved for
    /// [`restart`](Self::restart).
    ///
    /// # Errors
    /// When the process cannot be signalled or reaped.
    pub fn kill(&mut self) -> Result<(), DevServerError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let pid = child.id();
        let failed = |source| DevServerError::Kill {
            pid,
            addr: self.addr,
            source,
        };
        // `Child::kill` sends SIGKILL on Unix.
        if let Err(e) = child.kill() {
            self.child = Some(child);
            return Err(failed(e));
        }
        child.wait().map_err(failed)?;
        tracing::debug!(addr = %self.addr, pid, "dev server killed");
        Ok(())
    }

    /// Starts the server again on the same port, with the same options and database file, and
    /// waits until it is ready; kills it first (as [`kill`](Self::kill)) if it is running.
    /// A bind that fails because the port is still held is retried for up to 10 s.
    ///
    /// Only a server started with [`DevServerOptions::persistent`] or
    /// [`DevServerOptions::db_filename`] keeps its state: otherwise it comes back empty.
    ///
    /// # Errors
    /// As [`DevServer::start`], and [`DevServerError::Kill`].
    pub fn restart(&mut self) -> Result<(), DevServerError> {
        self.kill()?;
        let started = Instant::now();
        loop {
            match self.launch() {
                Err(DevServerError::NotReady { reason, .. })
                    if started.elapsed() < RESTART_BIND_WINDOW && reason.starts_with(EXITED) =>
                {
                    tracing::debug!(%reason, addr = %self.addr, "the restarted dev server exited at once; trying again");
                    self.child = None;
                    std::thread::sleep(Duration::from_millis(250));
                }
                result => return result,
            }
        }
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The SQLite file holding the server's state, when it has one.
    pub fn db_filename(&self) -> Option<&Path> {
        self.db_file.as_deref()
    }

    /// A server shared by every caller in this process, started on first use and stopped when
    /// the process exits. Tests use it with their own task queues and activity ids.
    ///
    /// # Errors
    /// As [`DevServer::start`]; the first error is returned to every caller.
    pub fn shared() -> Result<&'static DevServer, DevServerError> {
        static SHARED: OnceLock<Result<DevServer, String>> = OnceLock::new();
        // Never dropped, so its spawner thread (and with it the server) lives as long as the
        // process.
        let result = SHARED.get_or_init(|| DevServer::start().map_err(|e| e.to_string()));
        result.as_ref().map_err(|reason| DevServerError::NotReady {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            waited: Duration::ZERO,
            reason: reason.clone(),
        })
    }

    /// The frontend address, `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The frontend address as `host:port` text, as `TEMPORAL_ADDRESS` takes it.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// The frontend as an `http://` URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where the Web UI is served, when it was started with one.
    pub fn ui_url(&self) -> Option<&str> {
        self.ui_url.as_deref()
    }

    /// Stops the server now (also done on drop). Unlike [`kill`](Self::kill), reports no
    /// error.
    pub fn stop(&mut self) {
        if let Err(e) = self.kill() {
            tracing::warn!(error = %e, "could not stop the dev server");
        }
    }

    /// Waits until the server answers gRPC. Runs on a thread of its own, since the caller may
    /// be inside an async runtime (tests call `DevServer::shared()` from `#[tokio::test]`s),
    /// where building, blocking on and dropping a runtime all panic.
    fn wait_ready(&mut self, limit: Duration) -> Result<(), DevServerError> {
        let addr = self.addr;
        let url = self.url();
        let child = &mut self.child;
        let started = Instant::now();
        let not_ready = move |reason: String| DevServerError::NotReady {
            addr,
            waited: started.elapsed(),
            reason,
        };
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| not_ready(e.to_string()))?;
                    let mut last = String::from("no answer yet");
                    while started.elapsed() < limit {
                        if let Some(child) = child.as_mut()
                            && let Ok(Some(status)) = child.try_wait()
                        {
                            return Err(not_ready(format!("{EXITED} {status}")));
                        }
                        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                            .is_ok()
                        {
                            match runtime.block_on(probe(url.clone())) {
                                Ok(()) => return Ok(()),
                                Err(e) => last = e,
                            }
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    Err(not_ready(last))
                })
                .join()
                .unwrap_or_else(|_| Err(not_ready("the readiness check panicked".to_owned())))
        })
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn probe(url: String) -> Result<(), String> {
    use solo_proto::temporal::api::workflowservice::v1 as wsv1;
    let channel = tonic::transport::Endpoint::from_shared(url)
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    let mut client = wsv1::workflow_service_client::WorkflowServiceClient::new(channel);
    client
        .describe_namespace(wsv1::DescribeNamespaceRequest {
            namespace: "default".into(),
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Reserves a free port on 127.0.0.1 by binding port 0 and releasing it.
///
/// # Errors
/// When the operating system gives no port.
pub fn free_port() -> Result<u16, DevServerError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(DevServerError::NoPort)?;
    let port = listener
        .local_addr()
        .map_err(DevServerError::NoPort)?
        .port();
    Ok(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_port_is_bindable() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }
}

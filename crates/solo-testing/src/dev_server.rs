//! Finding, installing and running the Temporal CLI dev server.
//!
//! [`DevServer`] starts `temporal server start-dev` on a free loopback port, waits until its
//! frontend answers gRPC, and stops it when dropped. The CLI is located (or installed) by
//! [`crate::cli::ensure_cli`].

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use crate::cli::{CliError, ensure_cli};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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
}

/// How a start that failed because the server process ended is described.
const EXITED: &str = "the server exited with";

/// Options for [`DevServer::start_with`].
#[derive(Debug, Clone, Default)]
pub struct DevServerOptions {
    /// Extra `--dynamic-config-value KEY=VALUE` pairs.
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
}

/// A running `temporal server start-dev` process, stopped on drop.
#[derive(Debug)]
pub struct DevServer {
    child: Option<Child>,
    addr: SocketAddr,
    ui_url: Option<String>,
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
        let cli = cli.to_path_buf();
        let port = match options.port {
            Some(port) => port,
            None => free_port()?,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut cmd = Command::new(&cli);
        cmd.args(["server", "start-dev", "--ip", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .args(["--log-level", "error"]);
        let mut ui_url = None;
        if options.ui {
            let ui_port = options.ui_port.unwrap_or(port.saturating_add(1000));
            cmd.arg("--ui-port").arg(ui_port.to_string());
            ui_url = Some(format!("http://127.0.0.1:{ui_port}"));
        } else {
            cmd.arg("--headless");
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
        tracing::debug!(cli = %cli.display(), %addr, "starting dev server");
        let child = cmd.spawn().map_err(|source| DevServerError::Spawn {
            cli: cli.clone(),
            source,
        })?;
        let mut server = DevServer {
            child: Some(child),
            addr,
            ui_url,
        };
        server.wait_ready(Duration::from_secs(60))?;
        Ok(server)
    }

    /// A server shared by every caller in this process, started on first use and stopped when
    /// the process exits. Tests use it with their own task queues and activity ids.
    ///
    /// # Errors
    /// As [`DevServer::start`]; the first error is returned to every caller.
    pub fn shared() -> Result<&'static DevServer, DevServerError> {
        static SHARED: OnceLock<Result<DevServer, String>> = OnceLock::new();
        let result = SHARED.get_or_init(|| {
            // The server is tied to the thread that spawned it (see `die_with_parent`), so spawn
            // it from a thread that lives as long as the process.
            let (tx, rx) = std::sync::mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name("solo-dev-server".into())
                .spawn(move || {
                    let _ = tx.send(DevServer::start().map_err(|e| e.to_string()));
                    loop {
                        std::thread::park();
                    }
                });
            match spawned {
                Ok(_) => rx
                    .recv()
                    .unwrap_or_else(|_| Err("the dev server thread stopped".to_owned())),
                Err(e) => Err(e.to_string()),
            }
        });
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

    /// Stops the server now (also done on drop).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), DevServerError> {
        let started = Instant::now();
        let not_ready = |reason: String| DevServerError::NotReady {
            addr: self.addr,
            waited: started.elapsed(),
            reason,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| not_ready(e.to_string()))?;
        let url = self.url();
        let mut last = String::from("no answer yet");
        while started.elapsed() < limit {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(not_ready(format!("{EXITED} {status}")));
            }
            if std::net::TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok()
            {
                match runtime.block_on(probe(url.clone())) {
                    Ok(()) => return Ok(()),
                    Err(e) => last = e,
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(not_ready(last))
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

/// Asks Linux to kill the server when the thread that started it exits, so a test process that
/// dies never leaves a server behind.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_parent(cmd: &mut Command) {
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
fn die_with_parent(_cmd: &mut Command) {}

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

//! The fault-injecting proxy: the handle users hold ([`FaultProxy`]) and the accept loop.
//!
//! How the faults are made: the accept loop refuses (accepts, then closes with `SO_LINGER` 0 so
//! the close is an RST) or hands each connection to a task in [`crate::fault_pipe`], which
//! connects to the target and forwards both directions. `reset_all` bumps a generation number
//! in a `watch` channel that every connection task waits on; a task that sees it change closes
//! both its sockets with an RST. Blackhole and latency are switches in
//! [`crate::fault_state`] that the forwarding reads for every chunk. The connection tasks live
//! in a `JoinSet` owned by the accept task, so aborting that one task (when the last handle is
//! dropped) closes the listener and every connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::task::{JoinHandle, JoinSet};

use crate::fault_pipe::{forward, reset};
use crate::fault_state::{Counter, FaultState, FaultStats};

/// Errors from starting a [`FaultProxy`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaultProxyError {
    /// The target is not a loopback address.
    #[error(
        "the fault proxy only forwards to loopback addresses, and {target} is not one; start the server on 127.0.0.1 or ::1"
    )]
    NotLoopback {
        /// The refused target.
        target: SocketAddr,
    },
    /// The proxy's listener could not be bound.
    #[error("the fault proxy could not listen on 127.0.0.1 (port 0)")]
    Bind(#[source] std::io::Error),
    /// [`FaultProxy::start`] was not called within a Tokio runtime.
    #[error(
        "the fault proxy must be started from within a Tokio runtime (call it from a #[tokio::test] or inside Runtime::block_on)"
    )]
    NoRuntime,
}

/// A TCP proxy on loopback that injects network faults between a client and a server.
///
/// It listens on a free `127.0.0.1` port and forwards every connection to a target
/// that must itself be a loopback address (fault tests never send traffic off the machine).
/// Point the client and the worker at [`FaultProxy::address`] instead of the server, then break
/// the network from the test at any moment:
///
/// | Control | What the client sees | Models |
/// |---|---|---|
/// | [`reset_all`](FaultProxy::reset_all) | every open connection fails with `ECONNRESET` (both sides get an RST) | a server or load balancer restart, a flaky link |
/// | [`reset_every`](FaultProxy::reset_every) | the same, on a timer, until the guard is dropped | a network that drops connections every few seconds |
/// | [`refuse`](FaultProxy::refuse) / [`refuse_for`](FaultProxy::refuse_for) | new connections are accepted and reset at once; open ones are untouched | a server that is down or restarting |
/// | [`outage`](FaultProxy::outage) | `refuse_for` plus `reset_all` | a server crash of a given length |
/// | [`blackhole`](FaultProxy::blackhole) | connections stay open, but no byte, FIN or RST gets through in either direction | a partition, an expired NAT mapping, a half-open connection |
/// | [`latency`](FaultProxy::latency) | every chunk arrives this much later, each way | a slow or distant network |
///
/// A connection that lost anything to the blackhole stays dark after
/// [`blackhole(false)`](FaultProxy::blackhole): its byte stream has a hole that cannot be
/// repaired, as a connection whose NAT mapping expired. The client has to notice (keepalive
/// pings, timeouts) and open a new connection, which works normally. Connections that were idle
/// while the blackhole was on carry on.
///
/// When the target is down, new connections are reset as soon as the proxy fails to reach it
/// (counted in [`FaultStats::upstream_failures`]), as the server's own port would.
///
/// Cloning the handle is cheap (an `Arc`) and every clone controls the same proxy. Every control
/// is a `&self` method that takes effect at once, for data still to be forwarded too; [`stats`](FaultProxy::stats) counts what happened. The proxy runs
/// as tasks on the Tokio runtime that started it and stops, closing its listener and every
/// connection, when the last clone of the handle is dropped.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
///
/// let server = solo_testing::DevServer::start()?;
/// let proxy = solo_testing::FaultProxy::start(server.addr()).await?;
/// // Connect clients and workers to `proxy.address()`, then:
/// let resets = proxy.reset_every(Duration::from_secs(2));
/// tokio::time::sleep(Duration::from_secs(10)).await;
/// drop(resets);
/// proxy.outage(Duration::from_secs(5));
/// assert!(proxy.stats().reset > 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FaultProxy {
    inner: Arc<Inner>,
}

/// What the clones share; dropping it stops the proxy.
#[derive(Debug)]
struct Inner {
    addr: SocketAddr,
    target: SocketAddr,
    state: Arc<FaultState>,
    runtime: Handle,
    accept: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping the accept task drops its listener and its set of connection tasks, which
        // aborts them and closes their sockets.
        self.accept.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy on a free `127.0.0.1` port forwarding to `target`, with no faults on.
    ///
    /// # Errors
    /// When `target` is not a loopback address, no port can be bound, or no Tokio runtime is
    /// running.
    pub async fn start(target: SocketAddr) -> Result<FaultProxy, FaultProxyError> {
        if !target.ip().is_loopback() {
            return Err(FaultProxyError::NotLoopback { target });
        }
        let runtime = Handle::try_current().map_err(|_| FaultProxyError::NoRuntime)?;
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(FaultProxyError::Bind)?;
        let addr = listener.local_addr().map_err(FaultProxyError::Bind)?;
        let state = Arc::new(FaultState::new());
        let accept = runtime.spawn(accept_loop(listener, target, Arc::clone(&state)));
        tracing::debug!(%addr, %target, "fault proxy started");
        Ok(FaultProxy {
            inner: Arc::new(Inner {
                addr,
                target,
                state,
                runtime,
                accept,
            }),
        })
    }

    /// Where the proxy listens, `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// Where the proxy listens as `host:port` text, as `TEMPORAL_ADDRESS` takes it.
    pub fn address(&self) -> String {
        self.inner.addr.to_string()
    }

    /// Where the proxy listens as an `http://` URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    /// Where the proxy forwards to.
    pub fn target(&self) -> SocketAddr {
        self.inner.target
    }

    /// Closes every open connection at once with an RST, to the client and to the target.
    /// Connections accepted after this call are not affected.
    pub fn reset_all(&self) {
        tracing::debug!(proxy = %self.inner.addr, "fault proxy: resetting every connection");
        self.inner.state.reset_all();
    }

    /// Calls [`reset_all`](Self::reset_all) every `period` (at least 1 ms), the first time one
    /// period from now, until the returned guard is dropped.
    #[must_use = "the resets stop when the guard is dropped"]
    pub fn reset_every(&self, period: Duration) -> ResetEvery {
        let period = period.max(Duration::from_millis(1));
        let state = Arc::clone(&self.inner.state);
        let task = self.inner.runtime.spawn(async move {
            let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                timer.tick().await;
                state.reset_all();
            }
        });
        ResetEvery { task }
    }

    /// While `on`, new connections are accepted and reset at once (the client sees
    /// `ECONNRESET` on its first read or write); open connections are untouched. `false` also
    /// ends a [`refuse_for`](Self::refuse_for).
    pub fn refuse(&self, on: bool) {
        self.inner.state.set_refuse(on);
    }

    /// Refuses new connections as [`refuse(true)`](Self::refuse) does, for `duration` from now.
    pub fn refuse_for(&self, duration: Duration) {
        self.inner.state.refuse_for(duration);
    }

    /// A server outage of `duration`: refuses new connections for that long, then resets every
    /// open one (in that order, so that no reconnection slips in between).
    pub fn outage(&self, duration: Duration) {
        self.refuse_for(duration);
        self.reset_all();
    }

    /// While `on`, every byte is silently dropped in both directions: connections stay open,
    /// no FIN or RST gets through, new connections are accepted and stay silent. A connection
    /// that lost anything stays dark after the blackhole is turned off (see [`FaultProxy`]).
    pub fn blackhole(&self, on: bool) {
        self.inner.state.set_blackhole(on);
    }

    /// Delays every forwarded chunk by `latency`, in each direction (a round trip takes twice
    /// as long). Applies to data read from now on; `Duration::ZERO` turns it off.
    pub fn latency(&self, latency: Duration) {
        self.inner.state.set_latency(latency);
    }

    /// What the proxy has done so far.
    pub fn stats(&self) -> FaultStats {
        self.inner.state.stats()
    }
}

/// Keeps [`FaultProxy::reset_every`] resetting connections; dropping it stops the timer.
#[derive(Debug)]
pub struct ResetEvery {
    task: JoinHandle<()>,
}

impl Drop for ResetEvery {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts connections until aborted, refusing or forwarding each.
async fn accept_loop(listener: TcpListener, target: SocketAddr, state: Arc<FaultState>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _peer)) => {
                    state.count(Counter::Accepted);
                    if state.refusing() {
                        state.count(Counter::Refused);
                        reset(client);
                        continue;
                    }
                    // Subscribed here, so that a reset_all made before the task first runs
                    // still reaches it.
                    let resets = state.subscribe_resets();
                    connections.spawn(forward(client, target, Arc::clone(&state), resets));
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "fault proxy: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

//! Running a worker until a signal: [`Worker::run_until`], [`Worker::run_until_ctrl_c`] and
//! [`shutdown_signal`].

use std::future::Future;

use crate::error::WorkerError;
use crate::worker::Worker;

/// Completes when the process is asked to stop: Ctrl-C (`SIGINT`) everywhere, and `SIGTERM`
/// on Unix (what container runtimes send).
///
/// If a handler cannot be installed, the failure is logged and that signal is not waited for.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

impl Worker {
    /// Runs the worker until `signal` completes, then shuts it down gracefully and returns.
    ///
    /// ```no_run
    /// # async fn run(worker: solo_worker::Worker) -> Result<(), solo_worker::WorkerError> {
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// # drop(stop);
    /// worker.run_until(async { let _ = stopped.await; }).await
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`run`](Self::run).
    // Spelled out so that the signature promises a `Send` future.
    #[allow(clippy::manual_async_fn)]
    pub fn run_until<F>(self, signal: F) -> impl Future<Output = Result<(), WorkerError>> + Send
    where
        F: Future<Output = ()> + Send,
    {
        let handle = self.clone();
        async move {
            let run = self.run();
            tokio::pin!(run);
            tokio::select! {
                result = &mut run => return result,
                _ = signal => {
                    tracing::info!("shutdown signal received");
                    handle.begin_shutdown();
                }
            }
            run.await
        }
    }

    /// Runs the worker until Ctrl-C (or `SIGTERM` on Unix), then shuts it down gracefully and
    /// returns. The usual last line of a worker program.
    ///
    /// # Errors
    /// As [`run`](Self::run).
    // Spelled out so that the signature promises a `Send` future.
    #[allow(clippy::manual_async_fn)]
    pub fn run_until_ctrl_c(self) -> impl Future<Output = Result<(), WorkerError>> + Send {
        self.run_until(shutdown_signal())
    }
}

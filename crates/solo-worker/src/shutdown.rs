//! [`Shutdown`]: the stages of a worker's shutdown, as tokens the worker, its pollers and its
//! activity tasks watch, and the running tasks shutdown waits for.
//!
//! Shutdown goes: stop polling (activities may notice) → abandon the polls in flight → wait
//! for the running tasks up to the graceful period → cancel the ones still running.

use std::sync::Mutex;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::WorkerError;

/// The shutdown state of one worker.
#[derive(Debug)]
pub(crate) struct Shutdown {
    /// Cancelled when shutdown begins: no new polls; activities may notice.
    pub(crate) stop_polling: CancellationToken,
    /// Cancelled to abandon polls that are in flight.
    pub(crate) interrupt_polls: CancellationToken,
    /// Cancelled when the graceful shutdown period is over.
    pub(crate) abort: CancellationToken,
    /// How long shutdown waits for running activities before cancelling them.
    pub(crate) grace: Duration,
    /// The running activity tasks.
    pub(crate) tasks: TaskTracker,
    /// The error that stopped the worker, if any.
    fatal: Mutex<Option<WorkerError>>,
}

impl Shutdown {
    /// Nothing stopped yet; running activities get `grace` once shutdown begins.
    pub(crate) fn new(grace: Duration) -> Self {
        Shutdown {
            stop_polling: CancellationToken::new(),
            interrupt_polls: CancellationToken::new(),
            abort: CancellationToken::new(),
            grace,
            tasks: TaskTracker::new(),
            fatal: Mutex::new(None),
        }
    }

    /// Records an error that stops the worker (the first one wins), and starts shutting down.
    pub(crate) fn stop_with(&self, error: WorkerError) {
        {
            let mut fatal = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
            if fatal.is_none() {
                *fatal = Some(error);
            }
        }
        self.stop_polling.cancel();
        self.interrupt_polls.cancel();
    }

    /// Takes the error that stopped the worker, if any.
    pub(crate) fn take_fatal(&self) -> Option<WorkerError> {
        self.fatal.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

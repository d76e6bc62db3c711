//! The pollers: each waits for a free slot, then long-polls the task queue and hands the task
//! (with its slot) to a new activity task.
//!
//! How many pollers run is the [`Scaler`](crate::scaler::Scaler)'s business: fixed, or scaled
//! by the server's suggestions. A poller that finds more pollers running than the current
//! target exits. A failed poll is retried after a backoff, unless its code says waiting cannot
//! help ([`code_policy`]), which stops the worker.

use std::sync::Arc;
use std::time::Duration;

use solo_connect::{Backoff, code_policy};
use tokio_util::task::TaskTracker;

use crate::error::WorkerError;
use crate::interceptor::PollOutcome;
use crate::runtime::Runtime;
use crate::task;

/// The first delay after a failed poll.
const BACKOFF_INITIAL: Duration = Duration::from_millis(200);
/// The longest delay between failed polls (before jitter).
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// The delays between failed polls: from [`BACKOFF_INITIAL`], doubling up to [`BACKOFF_MAX`],
/// with ±20 % jitter.
fn poll_backoff() -> Backoff {
    Backoff::new(BACKOFF_INITIAL, BACKOFF_MAX)
        .multiplier(2.0)
        .jitter(0.2)
}

/// Starts pollers up to the scaler's target.
pub(crate) fn start(runtime: &Arc<Runtime>, pollers: &TaskTracker) {
    while runtime.capacity.scaler.claim() {
        pollers.spawn(poll_loop(runtime.clone(), pollers.clone()));
    }
}

async fn poll_loop(runtime: Arc<Runtime>, pollers: TaskTracker) {
    let scaler = &runtime.capacity.scaler;
    let shutdown = &runtime.shutdown;
    let mut backoff = poll_backoff();
    loop {
        if shutdown.stop_polling.is_cancelled() {
            break;
        }
        if scaler.release_if_over() {
            return;
        }
        // A slot first: the worker only asks for work it can start now.
        let permit = tokio::select! {
            permit = runtime.capacity.slots.acquire() => match permit {
                Some(p) => p,
                None => break,
            },
            _ = shutdown.stop_polling.cancelled() => break,
        };
        if let Some(limiter) = &runtime.capacity.rate_limiter {
            tokio::select! {
                _ = limiter.acquire() => {}
                _ = shutdown.stop_polling.cancelled() => break,
            }
        }
        let polled = tokio::select! {
            polled = runtime.calls.poller.poll() => polled,
            _ = shutdown.interrupt_polls.cancelled() => break,
        };
        match polled {
            Ok(Some(task)) => {
                runtime.interceptors.on_poll(PollOutcome::Task);
                polls_answered(&runtime);
                backoff.reset();
                scaler.on_task(task.poller_delta_suggestion);
                task::spawn(&runtime, task, permit);
                start(&runtime, &pollers);
                // Let the attempt just spawned run before this poller sends its next poll:
                // then an activity that finishes at once has its report written to the
                // connection first, and the next poll (which only waits at the server) is
                // not on the way of the result.
                tokio::task::yield_now().await;
            }
            Ok(None) => {
                runtime.interceptors.on_poll(PollOutcome::Empty);
                polls_answered(&runtime);
                backoff.reset();
                scaler.on_empty();
            }
            Err(error) if code_policy(error.code()).fatal_for_polls => {
                runtime
                    .interceptors
                    .on_poll(PollOutcome::Failed(error.code()));
                tracing::error!(error = %error, "polling failed and cannot succeed by retrying; stopping the worker");
                shutdown.stop_with(WorkerError::Poll {
                    task_queue: runtime.task_queue.clone(),
                    reason: error.to_string(),
                });
                break;
            }
            Err(error) => {
                runtime
                    .interceptors
                    .on_poll(PollOutcome::Failed(error.code()));
                drop(permit);
                scaler.on_error(error.code() == tonic::Code::ResourceExhausted);
                let delay = backoff.next_delay();
                // One WARN per outage for the whole worker, not one per failed poll.
                if runtime.calls.poll_outage.begin() {
                    tracing::warn!(error = %error, task_queue = %runtime.task_queue, "polling failed; the pollers retry with backoff (at most 10 s apart) until the server answers");
                } else {
                    tracing::debug!(error = %error, retry_in_ms = delay.as_millis() as u64, "polling failed again; retrying");
                }
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.stop_polling.cancelled() => break,
                }
            }
        }
    }
    scaler.release();
}

/// A poll got an answer: ends a recorded outage, with one INFO line.
fn polls_answered(runtime: &Runtime) {
    if let Some(lasted) = runtime.calls.poll_outage.end() {
        tracing::info!(task_queue = %runtime.task_queue, outage_ms = lasted.as_millis() as u64, "polling works again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_cap_with_jitter() {
        let mut b = poll_backoff();
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(160) && first <= Duration::from_millis(240));
        for _ in 0..20 {
            assert!(b.next_delay() <= BACKOFF_MAX.mul_f64(1.2));
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(240));
    }
}

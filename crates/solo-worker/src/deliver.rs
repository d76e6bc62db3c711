//! Delivering a report until the server has it: a finished attempt's result, failure or
//! cancellation is sent again, with the same task token, through any network fault or server
//! outage — until the server takes it, says the attempt is gone (`NOT_FOUND`), the attempt's
//! deadline passes (the server has given up on it by then), or the worker's shutdown grace
//! period ends. An attempt whose activity will be completed asynchronously
//! ([`ActivityError::complete_async`](solo_client::ActivityError::complete_async)) has no
//! report, so nothing is delivered for it.

use std::future::Future;
use std::time::Duration;

use solo_connect::{Backoff, code_policy};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::raw::TaskError;

/// The first and the largest delay between two deliveries.
const FIRST_DELAY: Duration = Duration::from_millis(200);
const MAX_DELAY: Duration = Duration::from_secs(5);

/// Whether sending the same report again may succeed: the call did not complete, or the
/// server asked for a retry (unavailable, overloaded, an internal fault).
fn worth_resending(error: &TaskError) -> bool {
    match error {
        TaskError::NotFound { .. } => false,
        TaskError::Rpc { .. } => {
            let policy = code_policy(error.code());
            policy.retried || policy.incomplete
        }
        // Future variants: not retried.
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

/// Calls `send` until it succeeds or fails for good (see the module docs). Logs one WARN when
/// a report first fails to arrive and one INFO when it finally does.
pub(crate) async fn deliver<F, Fut>(
    what: &str,
    deadline: Option<Instant>,
    abort: &CancellationToken,
    mut send: F,
) -> Result<(), TaskError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), TaskError>>,
{
    let mut backoff = Backoff::new(FIRST_DELAY, MAX_DELAY);
    loop {
        let error = match send().await {
            Ok(()) => {
                if backoff.retries() > 0 {
                    tracing::info!(
                        attempts = backoff.retries() + 1,
                        "the activity's {what} was delivered after the server came back"
                    );
                }
                return Ok(());
            }
            Err(error) => error,
        };
        if !worth_resending(&error) {
            return Err(error);
        }
        let delay = backoff.next_delay();
        if deadline.is_some_and(|d| Instant::now() + delay >= d) {
            tracing::warn!(error = %error, "the activity's {what} could not be delivered before its deadline; the server will time the attempt out");
            return Err(error);
        }
        if abort.is_cancelled() {
            return Err(error);
        }
        if backoff.retries() == 1 {
            tracing::warn!(error = %error, "the activity's {what} could not be delivered; sending it again until the server takes it");
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = abort.cancelled() => {
                tracing::warn!(error = %error, "the shutdown grace period ended before the activity's {what} could be delivered");
                return Err(error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solo_client::RpcError;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tonic::Code;

    fn rpc(code: Code) -> TaskError {
        TaskError::Rpc {
            rpc: "RespondActivityTaskCompleted",
            error: RpcError::new(code, "scripted"),
        }
    }

    /// A sender failing with `code` `failures` times, then succeeding; counts the calls.
    fn flaky(
        code: Code,
        failures: u32,
        calls: &AtomicU32,
    ) -> impl FnMut() -> std::future::Ready<Result<(), TaskError>> + '_ {
        move || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(if n < failures { Err(rpc(code)) } else { Ok(()) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn resends_through_an_outage() {
        let calls = AtomicU32::new(0);
        let abort = CancellationToken::new();
        deliver("result", None, &abort, flaky(Code::Unavailable, 30, &calls))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 31);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_not_found_and_refusals() {
        let abort = CancellationToken::new();
        let calls = AtomicU32::new(0);
        let err = deliver("result", None, &abort, || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Err(TaskError::NotFound {
                message: "gone".into(),
            }))
        })
        .await
        .unwrap_err();
        assert!(matches!(err, TaskError::NotFound { .. }));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let calls = AtomicU32::new(0);
        let err = deliver(
            "result",
            None,
            &abort,
            flaky(Code::InvalidArgument, 5, &calls),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_the_deadline_and_at_abort() {
        let calls = AtomicU32::new(0);
        let abort = CancellationToken::new();
        let deadline = Instant::now() + Duration::from_secs(3);
        let err = deliver(
            "result",
            Some(deadline),
            &abort,
            flaky(Code::Unavailable, u32::MAX, &calls),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable);
        assert!(Instant::now() <= deadline);
        assert!(calls.load(Ordering::SeqCst) >= 3);

        let calls = AtomicU32::new(0);
        let stopper = abort.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(20)).await;
            stopper.cancel();
        });
        let started = Instant::now();
        deliver(
            "result",
            None,
            &abort,
            flaky(Code::Unavailable, u32::MAX, &calls),
        )
        .await
        .unwrap_err();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(20) && waited < Duration::from_secs(21),
            "{waited:?}"
        );
    }
}

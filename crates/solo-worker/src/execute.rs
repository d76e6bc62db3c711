//! Running an attempt's activity to its end: catching panics, cancelling it when its local
//! deadline passes, and abandoning it when the shutdown grace period ends.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use solo_client::ActivityError;
use solo_proto::temporal::api::common::v1::Payload;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cancellation::{CancelState, CancellationReason};

/// How an attempt ended, before deciding what to report.
pub(crate) enum Outcome {
    /// The activity returned.
    Returned(Result<Payload, ActivityError>),
    /// The activity panicked.
    Panicked(Box<dyn Any + Send>),
    /// The shutdown grace period ended and the activity did not stop at once.
    Abandoned,
}

/// Runs the activity to its end, cancelling it when its local deadline passes and abandoning
/// it when `abort` (the end of the shutdown grace period) fires.
pub(crate) async fn execute<F>(
    call: F,
    cancel: &CancelState,
    deadline: Option<Instant>,
    abort: &CancellationToken,
) -> Outcome
where
    F: std::future::Future<Output = Result<Payload, ActivityError>> + Send,
{
    let call = AssertUnwindSafe(call).catch_unwind();
    tokio::pin!(call);
    let timer = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(timer);
    let mut timed_out = false;
    loop {
        tokio::select! {
            biased;
            result = &mut call => {
                return match result {
                    Ok(r) => Outcome::Returned(r),
                    Err(panic) => Outcome::Panicked(panic),
                };
            }
            _ = abort.cancelled() => {
                cancel.cancel(CancellationReason::WorkerShutdown);
                // One more poll: an activity that stops as soon as it is cancelled gets to
                // say so; one that does not is abandoned.
                return tokio::select! {
                    biased;
                    result = &mut call => match result {
                        Ok(r) => Outcome::Returned(r),
                        Err(panic) => Outcome::Panicked(panic),
                    },
                    _ = std::future::ready(()) => Outcome::Abandoned,
                };
            }
            _ = &mut timer, if !timed_out => {
                timed_out = true;
                tracing::info!("the attempt's timeout passed; cancelling it");
                cancel.cancel(CancellationReason::TimedOut);
            }
        }
    }
}

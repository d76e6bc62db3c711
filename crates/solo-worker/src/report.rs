//! Reporting a finished attempt: decide what to tell the server from how it ended and why it
//! was cancelled, tell the span and the interceptors, then send the report (falling back to a
//! bare failure when the server refuses it). An activity that returned
//! [`ActivityError::complete_async`] is not reported: someone else will complete it.

use bytes::Bytes;
use solo_client::{ActivityError, ApplicationError};
use solo_proto::temporal::api::common::v1::Payload;
use solo_proto::temporal::api::enums::v1::ApplicationErrorCategory;
use solo_proto::temporal::api::failure::v1::Failure;
use solo_proto::temporal::api::failure::v1::failure::FailureInfo;
use tokio::time::Instant;

use crate::activity::RESULT_ENCODE_ERROR_TYPE;
use crate::cancellation::CancellationReason;
use crate::context::ActivityContext;
use crate::deliver::deliver;
use crate::execute::Outcome;
use crate::heartbeat::HeartbeatReply;
use crate::info::ActivityInfo;
use crate::interceptor::{AttemptEnd, AttemptOutcome};
use crate::panic::panic_failure;
use crate::raw::TaskError;
use crate::runtime::Runtime;

/// The application error type of failures reported for activities cut short by a worker
/// shutdown. They are retryable, so the server runs the activity again elsewhere.
pub const WORKER_SHUTDOWN_ERROR_TYPE: &str = "WorkerShutdown";
/// The application error type of the failure reported for an attempt that stopped (returned
/// an error) after an operator paused the activity. Retryable: the server holds the activity
/// until it is unpaused. The Python SDK reports the same type.
pub const ACTIVITY_PAUSE_ERROR_TYPE: &str = "ActivityPause";
/// The application error type of the failure reported for an attempt that stopped (returned
/// an error) after an operator reset the activity. Retryable: the server runs the activity
/// again from attempt 1. The Python SDK reports the same type.
pub const ACTIVITY_RESET_ERROR_TYPE: &str = "ActivityReset";
/// The application error type of the failure reported when the server refuses an activity's
/// result, failure or cancellation report (for example because it is over the size limit).
/// It is non-retryable: another attempt would produce the same report.
pub const REPORT_REFUSED_ERROR_TYPE: &str = "ReportRefused";

/// What to tell the server.
enum Report {
    /// Completed, with the result (after the codec).
    Complete(Payload),
    /// Failed.
    Fail(Failure),
    /// Cancelled, with details (after the codec).
    Cancel(Vec<Payload>),
    /// Nothing: the attempt is over on the server.
    Nothing(CancellationReason),
    /// Nothing: the activity will be completed asynchronously
    /// ([`ActivityError::complete_async`]), by whoever holds its id or task token.
    CompleteAsync,
}

/// Decides and sends the report of a finished attempt.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn report(
    runtime: &Runtime,
    span: &tracing::Span,
    context: ActivityContext,
    token: Bytes,
    outcome: Outcome,
    reason: Option<CancellationReason>,
    last_details: Vec<Payload>,
    started: Instant,
    deadline: Option<Instant>,
) {
    let report = decide(runtime, &context.info().activity_type, outcome, reason).await;
    attempt_ended(runtime, span, context.info(), &report, started);
    drop(context);
    if matches!(report, Report::CompleteAsync) {
        tracing::debug!("the activity will be completed asynchronously; not reporting the attempt");
        hand_over_heartbeat(runtime, token, last_details).await;
        return;
    }
    let last_details = if matches!(report, Report::Fail(_)) && !last_details.is_empty() {
        runtime
            .converter
            .encode_payloads(last_details)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    respond(runtime, token, report, last_details, deadline).await;
}

/// Sends the latest heartbeat details an activity completing asynchronously recorded (once:
/// heartbeating stops with the attempt), so that a throttled heartbeat is not lost — describe
/// shows them, and a retry resumes from them. Best effort: a failure is logged at DEBUG.
async fn hand_over_heartbeat(runtime: &Runtime, token: Bytes, details: Vec<Payload>) {
    if details.is_empty() {
        return;
    }
    tokio::select! {
        reply = runtime.calls.heartbeats.send(token, details) => {
            if let HeartbeatReply::Failed(error) = reply {
                tracing::debug!(%error, "the last heartbeat of an activity completing asynchronously was not recorded");
            }
        }
        _ = runtime.shutdown.abort.cancelled() => {}
    }
}

/// Fails an attempt whose activity never started (not registered, input not decodable).
pub(crate) async fn fail_unstarted(
    runtime: &Runtime,
    span: &tracing::Span,
    info: &ActivityInfo,
    token: Bytes,
    error: ApplicationError,
    started: Instant,
    deadline: Option<Instant>,
) {
    let failure = ActivityError::from(error)
        .into_failure(&runtime.converter)
        .await;
    let report = Report::Fail(failure);
    attempt_ended(runtime, span, info, &report, started);
    respond(runtime, token, report, Vec::new(), deadline).await;
}

/// Records the attempt's outcome on its span and tells the interceptors.
fn attempt_ended(
    runtime: &Runtime,
    span: &tracing::Span,
    info: &ActivityInfo,
    report: &Report,
    started: Instant,
) {
    let outcome = match report {
        Report::Complete(_) => AttemptOutcome::Completed,
        Report::Fail(failure) => AttemptOutcome::Failed {
            benign: matches!(
                &failure.failure_info,
                Some(FailureInfo::ApplicationFailureInfo(i)) if i.category == ApplicationErrorCategory::Benign as i32
            ),
        },
        Report::Cancel(_) => AttemptOutcome::Cancelled,
        Report::Nothing(_) => AttemptOutcome::NotReported,
        Report::CompleteAsync => AttemptOutcome::WillCompleteAsync,
    };
    span.record("outcome", outcome.as_str());
    if runtime.interceptors.is_empty() {
        return;
    }
    let end = AttemptEnd {
        outcome,
        elapsed: started.elapsed(),
    };
    runtime.interceptors.on_attempt_end(info, &end);
}

/// The failure of an attempt cut short by the worker's shutdown: retryable, so another worker
/// runs it.
fn shutdown_failure() -> ActivityError {
    ApplicationError::new("the worker shut down before the activity finished")
        .error_type(WORKER_SHUTDOWN_ERROR_TYPE)
        .into()
}

/// Chooses the report for an outcome, given why (if at all) the attempt was cancelled.
async fn decide(
    runtime: &Runtime,
    activity_type: &str,
    outcome: Outcome,
    reason: Option<CancellationReason>,
) -> Report {
    let converter = &runtime.converter;
    if let Some(r @ (CancellationReason::NotFound | CancellationReason::TimedOut)) = reason {
        return Report::Nothing(r);
    }
    // The activity's choice wins over any cancellation (a cancel request, a pause, the
    // worker's shutdown): whoever completes it asynchronously reports the outcome.
    if let Outcome::Returned(Err(ActivityError::CompleteAsync)) = outcome {
        return Report::CompleteAsync;
    }
    let error = match outcome {
        Outcome::Abandoned => {
            tracing::warn!("abandoning the activity at the end of the shutdown grace period");
            shutdown_failure()
        }
        Outcome::Returned(Ok(payload)) => {
            return match converter.encode_payloads(vec![payload]).await {
                Ok(mut p) if p.len() == 1 => Report::Complete(p.remove(0)),
                Ok(p) => Report::Fail(
                    ActivityError::from_message(format!(
                        "the payload codec turned one result into {} payloads",
                        p.len()
                    ))
                    .into_failure(converter)
                    .await,
                ),
                Err(e) => Report::Fail(
                    ActivityError::from(
                        ApplicationError::new(format!(
                            "the result could not be encoded by the codec: {e}"
                        ))
                        .error_type(RESULT_ENCODE_ERROR_TYPE),
                    )
                    .into_failure(converter)
                    .await,
                ),
            };
        }
        Outcome::Returned(Err(e @ ActivityError::Cancelled(_)))
            if reason == Some(CancellationReason::Requested) =>
        {
            tracing::info!("activity cancelled");
            let failure = e.into_failure(converter).await;
            let details = match failure.failure_info {
                Some(FailureInfo::CanceledFailureInfo(info)) => {
                    info.details.map(|d| d.payloads).unwrap_or_default()
                }
                _ => Vec::new(),
            };
            return Report::Cancel(details);
        }
        Outcome::Returned(Err(_)) | Outcome::Panicked(_)
            if reason == Some(CancellationReason::WorkerShutdown) =>
        {
            shutdown_failure()
        }
        Outcome::Returned(Err(ActivityError::Cancelled(_)))
            if reason == Some(CancellationReason::Paused) =>
        {
            tracing::info!("the activity stopped because it was paused");
            ApplicationError::new("the activity stopped because an operator paused it")
                .error_type(ACTIVITY_PAUSE_ERROR_TYPE)
                .into()
        }
        Outcome::Returned(Err(ActivityError::Cancelled(_)))
            if reason == Some(CancellationReason::Reset) =>
        {
            tracing::info!("the activity stopped because it was reset");
            ApplicationError::new("the activity stopped because an operator reset it")
                .error_type(ACTIVITY_RESET_ERROR_TYPE)
                .into()
        }
        Outcome::Returned(Err(e)) => e,
        Outcome::Panicked(payload) => {
            let error = panic_failure(activity_type, payload.as_ref());
            tracing::error!(%error, "activity panicked");
            error.into()
        }
    };
    let failure = error.into_failure(converter).await;
    let benign = matches!(
        &failure.failure_info,
        Some(FailureInfo::ApplicationFailureInfo(i)) if i.category == ApplicationErrorCategory::Benign as i32
    );
    if benign {
        tracing::debug!(error = %failure.message, "activity failed");
    } else {
        tracing::warn!(error = %failure.message, "activity failed");
    }
    Report::Fail(failure)
}

/// Sends `report` until the server has it (see [`deliver`]); when the server refuses it as
/// invalid, sends a bare non-retryable failure instead.
/// It is sent until `deadline` (the attempt's) or the end of the shutdown grace period.
async fn respond(
    runtime: &Runtime,
    token: Bytes,
    report: Report,
    last_details: Vec<Payload>,
    deadline: Option<Instant>,
) {
    let completer = &runtime.calls.completer;
    let abort = &runtime.shutdown.abort;
    let (what, result) = match report {
        Report::Complete(payload) => {
            tracing::debug!("activity completed");
            let result = vec![payload];
            let send = || completer.complete(token.clone(), result.clone());
            ("result", deliver("result", deadline, abort, send).await)
        }
        Report::Fail(failure) => {
            let send = || completer.fail(token.clone(), failure.clone(), last_details.clone());
            // Boxed, as the refused report below: failures are rarer than results, and
            // every task's future would otherwise have room for their larger calls.
            let delivered = Box::pin(deliver("failure", deadline, abort, send)).await;
            ("failure", delivered)
        }
        Report::Cancel(details) => {
            let send = || completer.cancel(token.clone(), details.clone());
            (
                "cancellation",
                deliver("cancellation", deadline, abort, send).await,
            )
        }
        Report::Nothing(reason) => {
            tracing::info!(%reason, "not reporting the attempt");
            return;
        }
        Report::CompleteAsync => return,
    };
    match result {
        Ok(()) => {}
        Err(TaskError::NotFound { .. }) => tracing::info!(
            "the server no longer knows this attempt (it timed out or was terminated); the report was dropped"
        ),
        Err(e) if e.code() == tonic::Code::InvalidArgument => {
            // The server refused the report itself (for example a result or details over the
            // size limit). Report a bare failure instead, so the attempt does not linger
            // until its timeout.
            tracing::warn!(error = %e, "the server refused the {what}; reporting a failure instead");
            let failure = Failure {
                message: format!("the server refused the activity's {what}: {e}"),
                source: solo_client::__private::FAILURE_SOURCE.into(),
                failure_info: Some(FailureInfo::ApplicationFailureInfo(
                    solo_proto::temporal::api::failure::v1::ApplicationFailureInfo {
                        r#type: REPORT_REFUSED_ERROR_TYPE.into(),
                        non_retryable: true,
                        ..Default::default()
                    },
                )),
                ..Default::default()
            };
            let send = || completer.fail(token.clone(), failure.clone(), Vec::new());
            if let Err(e) = Box::pin(deliver("failure", deadline, abort, send)).await {
                tracing::warn!(error = %e, "could not report the activity's outcome");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not report the activity's outcome"),
    }
}

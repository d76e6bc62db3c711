//! One activity task, from poll to report: decode, run inside a tracing span (catching
//! panics, watching the local timeout and the end of the shutdown grace period), then report
//! the outcome.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::FutureExt;
use solo_client::{ActivityError, ApplicationError, Details};
use solo_proto::temporal::api::common::v1::Payload;
use solo_proto::temporal::api::enums::v1::ApplicationErrorCategory;
use solo_proto::temporal::api::failure::v1::Failure;
use solo_proto::temporal::api::failure::v1::failure::FailureInfo;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tower::ServiceExt;
use tracing::Instrument;

use crate::activity::{ActivityRequest, ActivityService};
use crate::context::{ActivityContext, CancelState, CancellationReason};
use crate::heartbeat::{HeartbeatFuture, HeartbeatReply, Heartbeater, SendHeartbeat};
use crate::info::ActivityInfo;
use crate::interceptor::{AttemptEnd, AttemptFuture, AttemptOutcome};
use crate::panic::panic_failure;
use crate::raw::{RawTask, TaskCompleter, TaskError};
use crate::worker::Shared;

/// The application error type of failures reported for activities cut short by a worker
/// shutdown. They are retryable, so the server runs the activity again elsewhere.
pub const WORKER_SHUTDOWN_ERROR_TYPE: &str = "WorkerShutdown";
/// The application error type of the failure reported for a task whose activity type is not
/// registered on the worker. It is retryable: another worker on the queue may know the type.
pub const NOT_REGISTERED_ERROR_TYPE: &str = "NotFoundError";

/// The application error type of the failure reported when the server refuses an activity's
/// result, failure or cancellation report (for example because it is over the size limit).
/// It is non-retryable: another attempt would produce the same report.
pub const REPORT_REFUSED_ERROR_TYPE: &str = "ReportRefused";

/// Spawns the task that runs `task`; `permit` (its slot) is released when it is reported.
pub(crate) fn spawn(shared: &Arc<Shared>, task: RawTask, permit: OwnedSemaphorePermit) {
    let info = &task.info;
    // Fields are formatted only when a subscriber wants the span. `outcome` is recorded when
    // the attempt ends; `otel.*` are left for an OpenTelemetry interceptor to name the span as
    // the other SDKs do.
    let span = tracing::info_span!(
        "activity",
        namespace = %shared.namespace,
        task_queue = %info.task_queue,
        activity_id = %info.activity_id,
        run_id = info.activity_run_id.as_deref().unwrap_or(""),
        activity_type = %info.activity_type,
        attempt = info.attempt,
        outcome = tracing::field::Empty,
        otel.name = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
    );
    for interceptor in shared.interceptors.iter() {
        interceptor.on_attempt_start(info, &span);
    }
    // The task is boxed until it is unpacked, so the (long-lived) attempt future holds a
    // pointer to it, not the task itself.
    let run = run(shared.clone(), Box::new(task), span.clone(), permit).instrument(span);
    shared.tasks.spawn(run);
}

/// How an attempt ended, before deciding what to report.
enum Outcome {
    /// The activity returned.
    Returned(Result<Payload, ActivityError>),
    /// The activity panicked.
    Panicked(Box<dyn Any + Send>),
    /// The shutdown grace period ended and the activity did not stop at once.
    Abandoned,
}

/// What to tell the server.
enum Report {
    Complete(Payload),
    Fail(Failure),
    Cancel(Vec<Payload>),
    Nothing(CancellationReason),
}

/// Records the attempt's outcome on its span and tells the interceptors.
fn attempt_ended(
    shared: &Shared,
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
    };
    span.record("outcome", outcome.as_str());
    if shared.interceptors.is_empty() {
        return;
    }
    let end = AttemptEnd {
        outcome,
        elapsed: started.elapsed(),
    };
    for interceptor in shared.interceptors.iter() {
        interceptor.on_attempt_end(info, &end);
    }
}

/// An attempt ready to run: its input decoded and its context built.
struct Prepared {
    service: ActivityService,
    ctx: ActivityContext,
    input: Vec<Payload>,
    token: Bytes,
    cancel: Arc<CancelState>,
    heartbeater: Heartbeater,
    deadline: Option<Instant>,
}

/// Unpacks a task: finds its activity, runs the codec over its input and previous heartbeat
/// details, and builds its context. Reports the failure itself (and returns `None`) when the
/// activity is not registered or the input does not decode.
async fn prepare(
    shared: &Arc<Shared>,
    task: RawTask,
    span: &tracing::Span,
    started: Instant,
) -> Option<Prepared> {
    let RawTask {
        mut info, input, ..
    } = task;
    let token = info.task_token.clone();
    tracing::debug!("activity task received");

    let Some(service) = shared.activities.get(&info.activity_type).cloned() else {
        let error = ApplicationError::new(format!(
            "activity type `{}` is not registered on this worker for task queue `{}`; registered: {}",
            info.activity_type, shared.task_queue, shared.registered
        ))
        .error_type(NOT_REGISTERED_ERROR_TYPE);
        tracing::warn!(%error, "failing the task");
        fail_unstarted(shared, span, &info, token, error, started).await;
        return None;
    };

    let converter = &shared.converter;
    let input = if converter.has_codec() {
        match converter.decode_payloads(input).await {
            Ok(p) => p,
            Err(e) => {
                let error = ApplicationError::new(format!(
                    "the input of activity `{}` could not be decoded by the codec: {e}",
                    info.activity_type
                ))
                .error_type(crate::activity::INPUT_DECODE_ERROR_TYPE);
                fail_unstarted(shared, span, &info, token, error, started).await;
                return None;
            }
        }
    } else {
        input
    };
    if converter.has_codec() && !info.heartbeat_details.is_empty() {
        let raw = std::mem::take(&mut info.heartbeat_details).into_payloads();
        info.heartbeat_details = match converter.decode_payloads(raw.clone()).await {
            Ok(p) => Details::new(p),
            Err(e) => {
                tracing::warn!(error = %e, "previous heartbeat details could not be decoded by the codec; passing them on encoded");
                Details::new(raw)
            }
        };
    }

    let deadline = local_deadline(&info);
    let cancel = Arc::new(CancelState::default());
    let heartbeater = Heartbeater::new(
        token.clone(),
        info.heartbeat_timeout,
        shared.heartbeats.clone(),
        cancel.clone(),
        tokio::runtime::Handle::current(),
    );
    let ctx = ActivityContext::for_worker(
        info,
        cancel.clone(),
        shared.stop_polling.clone(),
        heartbeater.clone(),
        shared.blocking.clone(),
        span.clone(),
    );
    Some(Prepared {
        service,
        ctx,
        input,
        token,
        cancel,
        heartbeater,
        deadline,
    })
}

/// Fails an attempt whose activity never started (not registered, input not decodable).
async fn fail_unstarted(
    shared: &Shared,
    span: &tracing::Span,
    info: &ActivityInfo,
    token: Bytes,
    error: ApplicationError,
    started: Instant,
) {
    let failure = ActivityError::from(error)
        .into_failure(&shared.converter)
        .await;
    let report = Report::Fail(failure);
    attempt_ended(shared, span, info, &report, started);
    respond(&shared.completer, token, report, Vec::new()).await;
}

/// One attempt, from the task to its report. Everything but the activity itself runs in
/// boxed futures (unpacking, codec, the report's RPC): inline they would make every running
/// attempt's task as large as the largest of them for the whole attempt (measured: the
/// attempt's future was 8.6 KB with them inline, 0.9 KB boxed).
async fn run(
    shared: Arc<Shared>,
    task: Box<RawTask>,
    span: tracing::Span,
    permit: OwnedSemaphorePermit,
) {
    let started = Instant::now();
    let Some(prepared) = Box::pin(prepare(&shared, *task, &span, started)).await else {
        drop(permit);
        return;
    };
    let Prepared {
        service,
        ctx,
        input,
        token,
        cancel,
        heartbeater,
        deadline,
    } = prepared;
    let context = ctx.clone();

    let call = service.oneshot(ActivityRequest::new(ctx, input));
    let outcome = if shared.interceptors.is_empty() {
        execute(&shared, call, &cancel, deadline).await
    } else {
        let mut attempt: AttemptFuture = Box::pin(call);
        for interceptor in shared.interceptors.iter() {
            attempt = interceptor.wrap_attempt(context.info(), attempt);
        }
        execute(&shared, attempt, &cancel, deadline).await
    };
    let last_details = heartbeater.finish().unwrap_or_default();
    Box::pin(report(
        &shared,
        &span,
        context,
        token,
        outcome,
        cancel.reason(),
        last_details,
        started,
    ))
    .await;
    drop(permit);
}

/// Decides and sends the report of a finished attempt.
#[allow(clippy::too_many_arguments)]
async fn report(
    shared: &Arc<Shared>,
    span: &tracing::Span,
    context: ActivityContext,
    token: Bytes,
    outcome: Outcome,
    reason: Option<CancellationReason>,
    last_details: Vec<Payload>,
    started: Instant,
) {
    let report = decide(shared, &context.info().activity_type, outcome, reason).await;
    attempt_ended(shared, span, context.info(), &report, started);
    drop(context);
    let last_details = if matches!(report, Report::Fail(_)) && !last_details.is_empty() {
        shared
            .converter
            .encode_payloads(last_details)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    respond(&shared.completer, token, report, last_details).await;
}

/// Runs the activity to its end, cancelling it when its local deadline passes and abandoning
/// it when the shutdown grace period ends.
async fn execute<F>(
    shared: &Shared,
    call: F,
    cancel: &CancelState,
    deadline: Option<Instant>,
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
            _ = shared.abort.cancelled() => {
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

/// When the attempt's timeout passes on this worker's clock: start-to-close from now, or the
/// schedule-to-close time left, whichever comes first.
fn local_deadline(info: &ActivityInfo) -> Option<Instant> {
    let now = Instant::now();
    let start_to_close = info.start_to_close_timeout.map(|d| now + d);
    let schedule_to_close = match (info.schedule_to_close_timeout, info.scheduled_time) {
        (Some(limit), Some(scheduled)) => {
            let elapsed = SystemTime::now()
                .duration_since(scheduled)
                .unwrap_or_default();
            Some(now + limit.saturating_sub(elapsed))
        }
        _ => None,
    };
    match (start_to_close, schedule_to_close) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn shutdown_failure() -> ActivityError {
    ApplicationError::new("the worker shut down before the activity finished")
        .error_type(WORKER_SHUTDOWN_ERROR_TYPE)
        .into()
}

/// Chooses the report for an outcome, given why (if at all) the attempt was cancelled.
async fn decide(
    shared: &Shared,
    activity_type: &str,
    outcome: Outcome,
    reason: Option<CancellationReason>,
) -> Report {
    let converter = &shared.converter;
    if let Some(r @ (CancellationReason::NotFound | CancellationReason::TimedOut)) = reason {
        return Report::Nothing(r);
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
                        .error_type(crate::activity::RESULT_ENCODE_ERROR_TYPE),
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

async fn respond(
    completer: &TaskCompleter,
    token: Bytes,
    report: Report,
    last_details: Vec<Payload>,
) {
    let (what, result) = match report {
        Report::Complete(payload) => {
            tracing::debug!("activity completed");
            (
                "result",
                completer.complete(token.clone(), vec![payload]).await,
            )
        }
        Report::Fail(failure) => (
            "failure",
            completer.fail(token.clone(), failure, last_details).await,
        ),
        Report::Cancel(details) => (
            "cancellation",
            completer.cancel(token.clone(), details).await,
        ),
        Report::Nothing(reason) => {
            tracing::info!(%reason, "not reporting the attempt");
            return;
        }
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
            if let Err(e) = completer.fail(token, failure, Vec::new()).await {
                tracing::warn!(error = %e, "could not report the activity's outcome");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not report the activity's outcome"),
    }
}

/// Sends heartbeats through the task completer, after the codec.
pub(crate) struct HeartbeatSender {
    pub(crate) completer: TaskCompleter,
    pub(crate) converter: solo_client::DataConverter,
}

impl SendHeartbeat for HeartbeatSender {
    fn send(&self, task_token: Bytes, details: Vec<Payload>) -> HeartbeatFuture {
        let completer = self.completer.clone();
        let converter = self.converter.clone();
        Box::pin(async move {
            let details = match converter.encode_payloads(details).await {
                Ok(d) => d,
                Err(e) => return HeartbeatReply::Failed(e.to_string()),
            };
            match completer.heartbeat(task_token, details).await {
                Ok(r) => HeartbeatReply::Recorded {
                    cancel_requested: r.cancel_requested,
                },
                Err(TaskError::NotFound { .. }) => HeartbeatReply::NotFound,
                Err(e) => HeartbeatReply::Failed(e.to_string()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_local_deadline_is_the_nearest_timeout() {
        let mut info = ActivityInfo::default();
        assert_eq!(local_deadline(&info), None);
        info.start_to_close_timeout = Some(Duration::from_secs(10));
        let d = local_deadline(&info).unwrap();
        assert!(d > Instant::now() + Duration::from_secs(9));
        info.schedule_to_close_timeout = Some(Duration::from_secs(60));
        info.scheduled_time = Some(SystemTime::now() - Duration::from_secs(58));
        let d = local_deadline(&info).unwrap();
        assert!(d <= Instant::now() + Duration::from_secs(3));
    }
}

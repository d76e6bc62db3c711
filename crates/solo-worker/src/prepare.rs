//! Unpacking a polled task into an attempt ready to run: find its activity, run the codec over
//! its input and previous heartbeat details, start its heartbeater and build its context.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use solo_client::{ApplicationError, Details};
use solo_proto::temporal::api::common::v1::Payload;
use tokio::time::Instant;

use crate::activity::{ActivityService, INPUT_DECODE_ERROR_TYPE};
use crate::cancellation::CancelState;
use crate::context::ActivityContext;
use crate::heartbeat::Heartbeater;
use crate::info::ActivityInfo;
use crate::raw::RawTask;
use crate::report::fail_unstarted;
use crate::runtime::Runtime;

/// The application error type of the failure reported for a task whose activity type is not
/// registered on the worker (which has no dynamic activity). It is retryable: another worker on
/// the queue may know the type.
pub const NOT_REGISTERED_ERROR_TYPE: &str = "NotFoundError";

/// An attempt ready to run: its input decoded and its context built.
pub(crate) struct Prepared {
    /// The registered activity.
    pub(crate) service: ActivityService,
    /// The attempt's context.
    pub(crate) ctx: ActivityContext,
    /// The input, after the codec.
    pub(crate) input: Vec<Payload>,
    /// The task token, for the report.
    pub(crate) token: Bytes,
    /// The attempt's cancellation, shared with the context and the heartbeater.
    pub(crate) cancel: Arc<CancelState>,
    /// The attempt's heartbeat sender.
    pub(crate) heartbeater: Heartbeater,
    /// When the attempt's timeout passes on this worker's clock.
    pub(crate) deadline: Option<Instant>,
}

/// Unpacks a task: finds its activity, runs the codec over its input and previous heartbeat
/// details, and builds its context. Reports the failure itself (and returns `None`) when the
/// activity is not registered or the input does not decode.
pub(crate) async fn prepare(
    runtime: &Runtime,
    task: RawTask,
    span: &tracing::Span,
    started: Instant,
) -> Option<Prepared> {
    let RawTask {
        mut info, input, ..
    } = task;
    let token = info.task_token.clone();
    let deadline = local_deadline(&info);
    tracing::debug!("activity task received");

    let Some(service) = runtime.registry.get(&info.activity_type) else {
        let error = ApplicationError::new(format!(
            "activity type `{}` is not registered on this worker for task queue `{}`; registered: {}",
            info.activity_type, runtime.task_queue, runtime.registry.names()
        ))
        .error_type(NOT_REGISTERED_ERROR_TYPE);
        tracing::warn!(%error, "failing the task");
        // Boxed, as below: the rare failure paths are no part of every task's future.
        Box::pin(fail_unstarted(
            runtime, span, &info, token, error, started, deadline,
        ))
        .await;
        return None;
    };

    let converter = &runtime.converter;
    let input = if converter.has_codec() {
        match converter.decode_payloads(input).await {
            Ok(p) => p,
            Err(e) => {
                let error = ApplicationError::new(format!(
                    "the input of activity `{}` could not be decoded by the codec: {e}",
                    info.activity_type
                ))
                .error_type(INPUT_DECODE_ERROR_TYPE);
                Box::pin(fail_unstarted(
                    runtime, span, &info, token, error, started, deadline,
                ))
                .await;
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

    let cancel = Arc::new(CancelState::default());
    let heartbeater = Heartbeater::new(
        token.clone(),
        info.heartbeat_timeout,
        runtime.calls.heartbeats.clone(),
        cancel.clone(),
        tokio::runtime::Handle::current(),
    );
    let ctx = ActivityContext::for_worker(
        info,
        cancel.clone(),
        runtime.shutdown.stop_polling.clone(),
        heartbeater.clone(),
        runtime.capacity.blocking.clone(),
        span.clone(),
        runtime.calls.client.clone(),
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

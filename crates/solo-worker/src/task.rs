//! One activity task, from poll to report: [`spawn`] starts it in its tracing span, and
//! [`run`] takes it through its three jobs — [`prepare`](crate::prepare) (find the activity,
//! decode, build the context), [`execute`](crate::execute) (run it, watching its timeout and
//! the end of the shutdown grace period) and [`report`](crate::report) (decide and send the
//! outcome).

use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tower::ServiceExt;
use tracing::Instrument;

use crate::activity::ActivityRequest;
use crate::execute::execute;
use crate::interceptor::AttemptFuture;
use crate::prepare::{Prepared, prepare};
use crate::raw::RawTask;
use crate::report::report;
use crate::runtime::Runtime;

/// Spawns the task that runs `task`; `permit` (its slot) is released when it is reported.
pub(crate) fn spawn(runtime: &Arc<Runtime>, task: RawTask, permit: OwnedSemaphorePermit) {
    let info = &task.info;
    // Fields are formatted only when a subscriber wants the span. `outcome` is recorded when
    // the attempt ends; `otel.*` are left for an OpenTelemetry interceptor to name the span as
    // the other SDKs do. A standalone activity is named by its `run_id`; an activity a
    // workflow scheduled has none, and is named by its workflow's fields instead (the names
    // the Python SDK's activity logger uses).
    let span = match &info.workflow {
        None => tracing::info_span!(
            "activity",
            namespace = %runtime.namespace,
            task_queue = %info.task_queue,
            activity_id = %info.activity_id,
            run_id = info.activity_run_id.as_deref().unwrap_or(""),
            activity_type = %info.activity_type,
            attempt = info.attempt,
            outcome = tracing::field::Empty,
            otel.name = tracing::field::Empty,
            otel.kind = tracing::field::Empty,
        ),
        Some(workflow) => tracing::info_span!(
            "activity",
            namespace = %runtime.namespace,
            task_queue = %info.task_queue,
            activity_id = %info.activity_id,
            workflow_id = %workflow.workflow_id,
            workflow_run_id = %workflow.run_id,
            workflow_type = %workflow.workflow_type,
            activity_type = %info.activity_type,
            attempt = info.attempt,
            outcome = tracing::field::Empty,
            otel.name = tracing::field::Empty,
            otel.kind = tracing::field::Empty,
        ),
    };
    runtime.interceptors.on_attempt_start(info, &span);
    // The task is boxed until it is unpacked, so the (long-lived) attempt future holds a
    // pointer to it, not the task itself.
    let run = run(runtime.clone(), Box::new(task), span.clone(), permit).instrument(span);
    runtime.shutdown.tasks.spawn(run);
}

/// One attempt, from the task to its report. Everything but the activity itself runs in
/// boxed futures (unpacking, codec, the report's RPC): inline they would make every running
/// attempt's task as large as the largest of them for the whole attempt (measured: the
/// attempt's future was 8.6 KB with them inline, 0.9 KB boxed).
async fn run(
    runtime: Arc<Runtime>,
    task: Box<RawTask>,
    span: tracing::Span,
    permit: OwnedSemaphorePermit,
) {
    let started = Instant::now();
    let Some(prepared) = Box::pin(prepare(&runtime, *task, &span, started)).await else {
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
    let abort = &runtime.shutdown.abort;
    let outcome = if runtime.interceptors.is_empty() {
        execute(call, &cancel, deadline, abort).await
    } else {
        let attempt: AttemptFuture = Box::pin(call);
        let attempt = runtime.interceptors.wrap_attempt(context.info(), attempt);
        execute(attempt, &cancel, deadline, abort).await
    };
    let last_details = heartbeater.finish().unwrap_or_default();
    Box::pin(report(
        &runtime,
        &span,
        context,
        token,
        outcome,
        cancel.reason(),
        last_details,
        started,
        deadline,
    ))
    .await;
    drop(permit);
}

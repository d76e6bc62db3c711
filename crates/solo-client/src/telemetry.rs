//! The tracing spans of client calls.
//!
//! Every call runs in an INFO span named `activity_call` with the fields `operation` (the RPC,
//! e.g. `StartActivityExecution`), `namespace`, `activity_id`, `run_id` and, when the call
//! ends, `outcome`: `ok`, or the kind of error (`failed`, `timed_out`, `cancelled`,
//! `terminated`, `not_found`, `already_started`, `rejected`, `transport`, ...). Starting an
//! activity adds `task_queue` and `activity_type`. Fields are only formatted when a
//! subscriber is interested in the span; the client logs nothing above DEBUG on success.
//!
//! The start span also carries `otel.kind = "client"`, which `tracing-opentelemetry` reads as
//! the span kind (the other SDKs' start spans are client spans).

use std::future::Future;

use tracing::Instrument;

use crate::error::Error;

/// The span of a call on one activity.
pub(crate) fn call_span(
    operation: &'static str,
    namespace: &str,
    activity_id: &str,
    run_id: &str,
) -> tracing::Span {
    tracing::info_span!(
        "activity_call",
        operation,
        namespace,
        activity_id,
        run_id,
        outcome = tracing::field::Empty,
        error = tracing::field::Empty,
    )
}

/// The span of a start call.
pub(crate) fn start_span(
    namespace: &str,
    task_queue: &str,
    activity_id: &str,
    activity_type: &str,
) -> tracing::Span {
    tracing::info_span!(
        "activity_call",
        operation = "StartActivityExecution",
        namespace,
        task_queue,
        activity_id,
        activity_type,
        run_id = tracing::field::Empty,
        outcome = tracing::field::Empty,
        error = tracing::field::Empty,
        otel.kind = "client",
    )
}

/// A short name for the kind of an error, for the `outcome` field.
pub(crate) fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::AlreadyStarted { .. } => "already_started",
        Error::NotFound { .. } => "not_found",
        Error::NamespaceNotFound { .. } => "namespace_not_found",
        Error::Failed { .. } => "failed",
        Error::TimedOut { .. } => "timed_out",
        Error::Cancelled { .. } => "cancelled",
        Error::Terminated { .. } => "terminated",
        Error::InvalidQuery { .. } => "invalid_query",
        Error::Rejected(_) => "rejected",
        Error::Transport(_) => "transport",
        Error::Data(_) => "data",
        Error::InvalidOptions(_) => "invalid_options",
        Error::StartDelayUnsupported { .. } => "start_delay_unsupported",
        Error::Config(_) | Error::Connect(_) => "connect",
    }
}

/// Records how a call ended on its span.
pub(crate) fn record_result<T>(span: &tracing::Span, result: &Result<T, Error>) {
    match result {
        Ok(_) => {
            span.record("outcome", "ok");
        }
        Err(e) => {
            span.record("outcome", error_kind(e));
            span.record("error", tracing::field::display(e));
        }
    }
}

/// Runs `call` in `span` and records its outcome there.
pub(crate) async fn traced<T>(
    span: tracing::Span,
    call: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let result = call.instrument(span.clone()).await;
    record_result(&span, &result);
    result
}

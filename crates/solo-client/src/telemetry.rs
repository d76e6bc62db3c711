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

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::async_completion_error::AsyncCompletionError;
use crate::call_error::CallError;
use crate::outcome_error::OutcomeError;
use crate::start_error::StartError;

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

/// An error whose kind a span records as its `outcome`.
pub(crate) trait OutcomeKind: fmt::Display {
    /// A short name for the kind of error.
    fn kind(&self) -> &'static str;
}

impl OutcomeKind for CallError {
    fn kind(&self) -> &'static str {
        match self {
            CallError::NotFound { .. } => "not_found",
            CallError::NamespaceNotFound { .. } => "namespace_not_found",
            CallError::InvalidQuery { .. } => "invalid_query",
            CallError::OperatorCommandsUnsupported { .. } => "unsupported",
            CallError::Rejected(_) => "rejected",
            CallError::Transport(_) => "transport",
            CallError::Data(_) => "data",
            CallError::Config(_) | CallError::Connect(_) => "connect",
        }
    }
}

impl OutcomeKind for StartError {
    fn kind(&self) -> &'static str {
        match self {
            StartError::AlreadyStarted { .. } => "already_started",
            StartError::InvalidOptions(_) => "invalid_options",
            StartError::StartDelayUnsupported { .. } => "start_delay_unsupported",
            StartError::Data(_) => "data",
            StartError::Call(e) => e.kind(),
        }
    }
}

impl OutcomeKind for OutcomeError {
    fn kind(&self) -> &'static str {
        match self {
            OutcomeError::Failed { .. } => "failed",
            OutcomeError::TimedOut { .. } => "timed_out",
            OutcomeError::Cancelled { .. } => "cancelled",
            OutcomeError::Terminated { .. } => "terminated",
            OutcomeError::Data(_) => "data",
            OutcomeError::Start(e) => e.kind(),
            OutcomeError::Call(e) => e.kind(),
        }
    }
}

impl OutcomeKind for AsyncCompletionError {
    fn kind(&self) -> &'static str {
        match self {
            AsyncCompletionError::NotRunning { .. } => "not_running",
            AsyncCompletionError::CancelNotRequested { .. } => "cancel_not_requested",
            AsyncCompletionError::InvalidTaskToken { .. } => "invalid_task_token",
            AsyncCompletionError::NotAFailure => "not_a_failure",
            AsyncCompletionError::Data(_) => "data",
            AsyncCompletionError::Call(e) => e.kind(),
        }
    }
}

/// Records how a call ended on its span.
pub(crate) fn record_result<T, E: OutcomeKind>(span: &tracing::Span, result: &Result<T, E>) {
    match result {
        Ok(_) => {
            span.record("outcome", "ok");
        }
        Err(e) => {
            span.record("outcome", e.kind());
            span.record("error", tracing::field::display(e));
        }
    }
}

/// Runs `call` in `span` and records its outcome there. A span no subscriber wants is not
/// entered at every poll of the call. The future is `call`'s own state and the span, no
/// more (an `async fn` would hold `call` twice: as its argument and as what it awaits).
pub(crate) fn traced<T, E: OutcomeKind, F: Future<Output = Result<T, E>>>(
    span: tracing::Span,
    call: F,
) -> Traced<F> {
    Traced {
        call,
        span: (!span.is_disabled()).then_some(span),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`traced`].
    pub(crate) struct Traced<F> {
        #[pin]
        call: F,
        // `None` when no subscriber wants the span.
        span: Option<tracing::Span>,
    }
}

impl<T, E: OutcomeKind, F: Future<Output = Result<T, E>>> Future for Traced<F> {
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(span) = this.span.as_ref() else {
            return this.call.poll(cx);
        };
        let result = {
            let _entered = span.enter();
            std::task::ready!(this.call.poll(cx))
        };
        record_result(span, &result);
        Poll::Ready(result)
    }
}

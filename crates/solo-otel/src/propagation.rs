//! Trace propagation through activity headers, in the Python SDK's format.
//!
//! The Python SDK's `temporalio.contrib.opentelemetry.TracingInterceptor` puts the trace
//! context in the header [`TRACER_HEADER`] (`_tracer-data`): one `json/plain` payload holding
//! the W3C text-map carrier as a JSON object, e.g.
//! `{"traceparent": "00-<trace id>-<span id>-01"}` (plus `baggage` when there is any). This
//! module reads and writes exactly that, so a trace started by a Python client continues in a
//! solo worker, and one started by a solo client continues in a Python worker.
//!
//! The spans themselves are `tracing` spans (the client's `activity_call` span, the worker's
//! `activity` span), exported through `tracing-opentelemetry`'s layer; the interceptor names
//! them as Python does (`StartActivity:<type>`, kind client; `RunActivity:<type>`, kind
//! server) and sets the attributes `temporalActivityID` (and `temporalActivityType` on the
//! client side).

use std::collections::HashMap;

use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{FutureExt as _, TraceContextExt as _};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use solo_client::ClientInterceptor;
use solo_client::{from_payload, to_payload};
use solo_proto::temporal::api::common::v1::Payload;
use solo_proto::temporal::api::workflowservice::v1::StartActivityExecutionRequest;
use solo_worker::{ActivityInfo, AttemptFuture, WorkerInterceptor};
use tonic::metadata::MetadataMap;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The activity header that carries the trace context (the Python SDK's key).
pub const TRACER_HEADER: &str = "_tracer-data";

/// Propagates OpenTelemetry trace context from clients to workers through the
/// [`TRACER_HEADER`] activity header, like the Python SDK's `TracingInterceptor`.
///
/// Register the same type on both sides:
/// [`ClientOptions::interceptor`](solo_client::ClientOptions::interceptor) and
/// [`WorkerBuilder::interceptor`](solo_worker::WorkerBuilder::interceptor).
///
/// - Client: the start call's span (or, without a `tracing-opentelemetry` layer, the current
///   OpenTelemetry context) is written into the header.
/// - Worker: the attempt's span gets the header's context as its parent, and the attempt's
///   future runs with the span's context attached, so code that uses the OpenTelemetry API
///   directly sees it too. A task without the header starts a new trace.
///
/// The propagator is W3C trace context plus W3C baggage, as in Python.
#[derive(Debug)]
pub struct TracingInterceptor {
    propagator: TextMapCompositePropagator,
}

impl Default for TracingInterceptor {
    fn default() -> Self {
        Self::new()
    }
}

impl TracingInterceptor {
    /// An interceptor with the W3C trace-context and baggage propagators.
    pub fn new() -> Self {
        TracingInterceptor {
            propagator: TextMapCompositePropagator::new(vec![
                Box::new(TraceContextPropagator::new()),
                Box::new(BaggagePropagator::new()),
            ]),
        }
    }

    /// Writes `cx` into `header` under [`TRACER_HEADER`]; does nothing when `cx` has nothing
    /// to propagate.
    pub fn inject(&self, cx: &opentelemetry::Context, header: &mut HashMap<String, Payload>) {
        let mut carrier: HashMap<String, String> = HashMap::new();
        self.propagator.inject_context(cx, &mut carrier);
        if carrier.is_empty() {
            return;
        }
        match to_payload(&carrier) {
            Ok(payload) => {
                header.insert(TRACER_HEADER.to_owned(), payload);
            }
            Err(e) => tracing::debug!(error = %e, "could not encode the trace context header"),
        }
    }

    /// Reads the context in `header`'s [`TRACER_HEADER`], if there is one that decodes.
    pub fn extract(&self, header: &HashMap<String, Payload>) -> Option<opentelemetry::Context> {
        let payload = header.get(TRACER_HEADER)?;
        let mut carrier: HashMap<String, String> = match from_payload(payload) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "ignoring a trace context header that does not decode");
                return None;
            }
        };
        if carrier.is_empty() {
            return None;
        }
        if let Some(traceparent) = carrier.get_mut("traceparent") {
            normalize_trace_flags(traceparent);
        }
        Some(
            self.propagator
                .extract_with_context(&opentelemetry::Context::new(), &carrier),
        )
    }
}

/// Keeps only the `sampled` bit of a version-00 `traceparent`'s flags.
///
/// Python's OpenTelemetry SDK (1.3x and later) sets the W3C Trace Context level 2 "random
/// trace id" flag (`-03`), which the Rust propagator rejects for version 00, dropping the
/// whole context. The other flag bits carry nothing this side uses.
fn normalize_trace_flags(traceparent: &mut String) {
    let mut parts = traceparent.split('-');
    let (Some(version), Some(trace_id), Some(span_id), Some(flags), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return;
    };
    if version != "00" {
        return;
    }
    let Ok(bits) = u8::from_str_radix(flags, 16) else {
        return;
    };
    if bits > 1 {
        *traceparent = format!("{version}-{trace_id}-{span_id}-{:02x}", bits & 1);
    }
}

/// The OpenTelemetry context of `span`, or the current context when the span has none (no
/// `tracing-opentelemetry` layer, or a disabled span).
fn context_of(span: &tracing::Span) -> opentelemetry::Context {
    let cx = span.context();
    if cx.span().span_context().is_valid() {
        cx
    } else {
        opentelemetry::Context::current()
    }
}

impl ClientInterceptor for TracingInterceptor {
    fn on_start_activity(
        &self,
        request: &mut StartActivityExecutionRequest,
        _metadata: &mut MetadataMap,
    ) {
        // The client calls this inside the start call's span.
        let span = tracing::Span::current();
        let activity_type = request
            .activity_type
            .as_ref()
            .map(|t| t.name.as_str())
            .unwrap_or_default();
        if !span.is_disabled() {
            // The span is already entered (so started): rename it through its context.
            span.context()
                .span()
                .update_name(format!("StartActivity:{activity_type}"));
            span.set_attribute("temporalActivityID", request.activity_id.clone());
            span.set_attribute("temporalActivityType", activity_type.to_owned());
        }
        let cx = context_of(&span);
        let header = request.header.get_or_insert_default();
        self.inject(&cx, &mut header.fields);
    }
}

impl WorkerInterceptor for TracingInterceptor {
    fn on_attempt_start(&self, info: &ActivityInfo, span: &tracing::Span) {
        if span.is_disabled() {
            return;
        }
        span.record(
            "otel.name",
            tracing::field::display(format_args!("RunActivity:{}", info.activity_type)),
        );
        span.record("otel.kind", "server");
        if let Some(parent) = self.extract(&info.header)
            && let Err(e) = span.set_parent(parent)
        {
            tracing::debug!(error = %e, "could not parent the activity span on the propagated context");
        }
        span.set_attribute("temporalActivityID", info.activity_id.clone());
        if let Some(workflow) = &info.workflow {
            span.set_attribute("temporalWorkflowID", workflow.workflow_id.clone());
            span.set_attribute("temporalRunID", workflow.run_id.clone());
        }
    }

    fn wrap_attempt(&self, info: &ActivityInfo, attempt: AttemptFuture) -> AttemptFuture {
        // Called inside the attempt's span.
        let span = tracing::Span::current();
        let cx = {
            let cx = span.context();
            if cx.span().span_context().is_valid() {
                cx
            } else {
                match self.extract(&info.header) {
                    Some(parent) => parent,
                    None => return attempt,
                }
            }
        };
        Box::pin(attempt.with_context(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

    #[test]
    fn the_header_is_a_json_carrier_and_round_trips() {
        let interceptor = TracingInterceptor::new();
        let span_context = SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        let cx = opentelemetry::Context::new().with_remote_span_context(span_context.clone());
        let mut header = HashMap::new();
        interceptor.inject(&cx, &mut header);
        let payload = &header[TRACER_HEADER];
        assert_eq!(
            payload.metadata.get("encoding").map(|v| &v[..]),
            Some(&b"json/plain"[..])
        );
        let json: HashMap<String, String> = from_payload(payload).unwrap();
        assert_eq!(
            json["traceparent"],
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
        let back = interceptor.extract(&header).unwrap();
        assert_eq!(
            back.span().span_context().trace_id(),
            span_context.trace_id()
        );
        assert_eq!(back.span().span_context().span_id(), span_context.span_id());
    }

    #[test]
    fn python_level_2_flags_are_accepted() {
        let carrier = HashMap::from([(
            "traceparent".to_owned(),
            "00-5300efa2483bf4841b24d4d654a5f33e-e2044c07507add7d-03".to_owned(),
        )]);
        let header = HashMap::from([(TRACER_HEADER.to_owned(), to_payload(&carrier).unwrap())]);
        let cx = TracingInterceptor::new().extract(&header).unwrap();
        let span = cx.span();
        let span_context = span.span_context();
        assert!(span_context.is_valid());
        assert!(span_context.is_sampled());
        assert_eq!(
            span_context.trace_id().to_string(),
            "5300efa2483bf4841b24d4d654a5f33e"
        );
    }

    #[test]
    fn nothing_to_propagate_writes_no_header() {
        let mut header = HashMap::new();
        TracingInterceptor::new().inject(&opentelemetry::Context::new(), &mut header);
        assert!(header.is_empty());
        assert!(TracingInterceptor::new().extract(&header).is_none());
    }
}

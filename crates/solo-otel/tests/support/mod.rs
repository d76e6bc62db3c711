//! Shared by the solo-otel integration tests: an in-memory OpenTelemetry span exporter behind
//! a global `tracing` subscriber, and clients for the shared dev server.

#![allow(dead_code, clippy::expect_used)]

use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use solo_client::{Client, ClientOptions, Connection, ConnectionOptions};
use tracing_subscriber::layer::SubscriberExt as _;

/// The exporter behind the global subscriber (installed on first use).
pub(crate) fn spans() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let tracer = provider.tracer("solo-otel-tests");
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
        exporter
    })
}

/// The finished spans named `name`.
pub(crate) fn finished(name: &str) -> Vec<SpanData> {
    spans()
        .get_finished_spans()
        .expect("read the exporter")
        .into_iter()
        .filter(|s| s.name == name)
        .collect()
}

/// The shared dev server's address.
pub(crate) fn address() -> String {
    solo_testing::DevServer::shared()
        .expect("the dev server starts")
        .address()
}

/// A client for the dev server with `options`, its connection observed by `connection`.
pub(crate) async fn client_with(connection: ConnectionOptions, options: ClientOptions) -> Client {
    let connection = Connection::connect(connection)
        .await
        .expect("connect to the dev server");
    Client::new(connection, options)
}

/// A fresh id.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

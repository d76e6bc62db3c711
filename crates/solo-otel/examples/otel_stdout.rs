//! A client and a worker with OpenTelemetry on, exporting spans and metrics to stdout.
//!
//! ```sh
//! temporal server start-dev &            # or any server: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE
//! cargo run -p solo-otel --example otel_stdout
//! ```
//!
//! It runs one activity, then prints the spans (`StartActivity:greet` with the client's
//! `activity_call` fields, `RunActivity:greet` in the same trace) and the metrics
//! (`temporal_request`, `temporal_activity_execution_latency`, ...). For a collector, swap the
//! stdout exporters for `opentelemetry-otlp` ones; nothing else changes.

use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use solo_client::{
    ActivityError, ActivityOptions, Client, ClientConfig, ClientOptions, Connection,
};
use solo_otel::{Metrics, TracingInterceptor};
use solo_worker::Worker;
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt as _;

#[solo_macros::activity(crate = "solo_worker")]
async fn greet(name: String) -> Result<String, ActivityError> {
    tracing::info!(%name, "greeting"); // inside the attempt's span
    Ok(format!("Hello, {name}!"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Spans: tracing → tracing-opentelemetry → stdout.
    let tracer_provider = SdkTracerProvider::builder()
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(tracer_provider.tracer("otel_stdout")));
    tracing::subscriber::set_global_default(subscriber)?;
    // Metrics: the Temporal SDK instruments → stdout.
    let meter_provider = SdkMeterProvider::builder()
        .with_reader(
            PeriodicReader::builder(opentelemetry_stdout::MetricExporter::default()).build(),
        )
        .build();
    let metrics = Metrics::new(&meter_provider.meter("solo"));

    let options = ClientConfig::load()?
        .connection_options()?
        .observer(metrics.clone());
    let client = Client::new(
        Connection::connect(options).await?,
        ClientOptions::new().interceptor(TracingInterceptor::new()),
    );
    let task_queue = "otel-stdout-example";
    let worker = Worker::builder(client.clone(), task_queue)
        .activity(greet)
        .interceptor(metrics)
        .interceptor(TracingInterceptor::new())
        .build()?;
    let running = tokio::spawn(worker.clone().run());

    let id = format!("otel-stdout-{}", std::process::id());
    let greeting: String = client
        .execute_activity(
            greet,
            "OpenTelemetry".to_owned(),
            ActivityOptions::new()
                .id(id)
                .task_queue(task_queue)
                .start_to_close_timeout(Duration::from_secs(10)),
        )
        .instrument(tracing::info_span!("example"))
        .await?;
    tracing::info!(%greeting, "done");

    meter_provider.force_flush()?;
    worker.shutdown().await;
    running.await??;
    tracer_provider.shutdown()?;
    meter_provider.shutdown()?;
    Ok(())
}

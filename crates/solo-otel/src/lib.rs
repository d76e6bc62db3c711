//! OpenTelemetry for solo: the metrics the other Temporal SDKs emit, under the same names,
//! and trace propagation that the Python SDK's `TracingInterceptor` understands.
//!
//! Nothing here is needed for `tracing` spans and logs, which the client and worker always
//! produce (see `solo_client` and `solo_worker`); this crate adds OpenTelemetry on top, and
//! only programs that depend on it (the facade's `otel` feature) compile OpenTelemetry.
//!
//! - [`Metrics`] (feature `metrics`): a [`CallObserver`](solo_connect::CallObserver) for
//!   request metrics and a [`WorkerInterceptor`](solo_worker::WorkerInterceptor) for poll,
//!   activity and slot metrics, recorded through any OpenTelemetry
//!   [`Meter`](opentelemetry::metrics::Meter). The names, units and attributes are listed in
//!   [`metrics`].
//! - [`TracingInterceptor`] (feature `tracing`): on the client, writes the current trace
//!   context into the start request's `_tracer-data` header; on the worker, parents the
//!   attempt's span on it. It works with `tracing-opentelemetry`, so traces cross between
//!   solo and Python (either side as client or worker) as one trace.
//!
//! ```no_run
//! # #[cfg(all(feature = "metrics", feature = "tracing"))]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use solo_client::{Client, ClientOptions, ConnectionOptions, Connection};
//! use solo_otel::{Metrics, TracingInterceptor};
//!
//! // Install a meter provider, and a tracing subscriber with a `tracing_opentelemetry`
//! // layer, as the application usually does; then:
//! let metrics = Metrics::new(&opentelemetry::global::meter("solo"));
//! let connection = Connection::connect(
//!     ConnectionOptions::new("localhost:7233").observer(metrics.clone()),
//! )
//! .await?;
//! let client = Client::new(connection, ClientOptions::new().interceptor(TracingInterceptor::new()));
//! # struct Greet;
//! # impl solo_client::Activity for Greet { type Input = (); type Output = (); fn name(&self) -> &str { "greet" } }
//! # impl solo_worker::ActivityImpl for Greet {
//! #     fn execute(&self, _: solo_worker::ActivityContext, _: ()) -> solo_worker::ActivityFuture<()> { Box::pin(async { Ok(()) }) }
//! # }
//! let worker = solo_worker::Worker::builder(client, "my-task-queue")
//!     .activity(Greet)
//!     .interceptor(metrics)
//!     .interceptor(TracingInterceptor::new())
//!     .build()?;
//! worker.run_until_ctrl_c().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `metrics` (default): [`Metrics`].
//! - `tracing` (default): [`TracingInterceptor`]; pulls in `opentelemetry_sdk` (for the W3C
//!   propagators) and `tracing-opentelemetry`.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub mod propagation;

#[cfg(feature = "metrics")]
pub use metrics::Metrics;
#[cfg(feature = "tracing")]
pub use propagation::{TRACER_HEADER, TracingInterceptor};

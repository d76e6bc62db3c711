//! solo: Temporal Standalone Activities for Rust.
//!
//! Start durable jobs straight from a client — no workflow — and run them on a worker: start,
//! execute, await, describe, watch, cancel, terminate, list and count them. solo speaks the
//! Temporal protocol and data formats exactly, so a solo worker serves a Python client or the
//! `temporal` CLI, and a solo client drives a Python worker.
//!
//! ```no_run
//! use std::time::Duration;
//! use serde::{Deserialize, Serialize};
//! use solo::prelude::*;
//!
//! #[derive(Serialize, Deserialize)]
//! pub struct ComposeGreetingInput { greeting: String, name: String }
//!
//! #[activity]
//! async fn compose_greeting(input: ComposeGreetingInput) -> String {
//!     format!("{}, {}!", input.greeting, input.name)
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // TEMPORAL_* variables and temporal.toml, else localhost:7233 / namespace "default".
//!     let client = Client::connect_default().await?;
//!     let worker = Worker::builder(client.clone(), "greetings")
//!         .activity(compose_greeting)
//!         .build()?;
//!     tokio::spawn(worker.clone().run());
//!
//!     let greeting = client
//!         .execute_activity(
//!             compose_greeting,
//!             ComposeGreetingInput { greeting: "Hello".into(), name: "World".into() },
//!             ActivityOptions::new()
//!                 .id("greet-1")
//!                 .task_queue("greetings")
//!                 .start_to_close_timeout(Duration::from_secs(10)),
//!         )
//!         .await?;
//!     assert_eq!(greeting, "Hello, World!");
//!     worker.shutdown().await;
//!     Ok(())
//! }
//! ```
//!
//! # Layers
//!
//! The facade re-exports each layer under a short name; depend on a layer crate directly to
//! leave the others out.
//!
//! | module | crate | what it holds |
//! |---|---|---|
//! | [`proto`] | `solo-proto` | Temporal API types and gRPC stubs |
//! | [`connect`] | `solo-connect` | `ClientConfig` (env/TOML profiles), `Connection` |
//! | [`client`] | `solo-client` | `Client`, `ActivityHandle`, options, data and failure conversion |
//! | [`worker`] | `solo-worker` | `Worker`, `ActivityContext`, the payload-level `raw` API |
//! | [`activity`](macro@activity) | `solo-macros` | the `#[activity]` attribute |
//!
//! # Feature flags
//!
//! - `client` (default): the client.
//! - `worker` (default): the worker runtime (implies `client`).
//! - `macros` (default): `#[activity]` (implies `worker`).
//! - `otel`: `solo::otel`, OpenTelemetry metrics under the Temporal SDKs' names and trace
//!   propagation compatible with the Python SDK; `otel-metrics` and `otel-tracing` enable one
//!   half each. Off by default: without it nothing of OpenTelemetry is compiled. (Spans and
//!   logs through `tracing` need no feature.)

#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(inline)]
pub use solo_connect as connect;
#[doc(inline)]
pub use solo_proto as proto;

#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
#[doc(inline)]
pub use solo_client as client;

#[cfg(feature = "worker")]
#[cfg_attr(docsrs, doc(cfg(feature = "worker")))]
#[doc(inline)]
pub use solo_worker as worker;

#[cfg(any(feature = "otel-metrics", feature = "otel-tracing"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "otel-metrics", feature = "otel-tracing")))
)]
#[doc(inline)]
pub use solo_otel as otel;

/// Turns a plain `fn` or `async fn` into an activity the client can start and the worker can
/// register.
///
/// The function takes zero or more inputs (up to 8, each a serde type or a protobuf message in
/// [`Proto`](solo_client::Proto) / [`ProtoJson`](solo_client::ProtoJson), one payload each; typed
/// calls pass several as a tuple) and optionally an
/// [`ActivityContext`](solo_worker::ActivityContext), and returns a serde value or a `Result`
/// whose error converts into [`ActivityError`](solo_client::ActivityError). A value of the same
/// name as the function stands for the activity; the body stays callable as `name::run(...)`.
/// A plain `fn` runs on the worker's bounded blocking pool. `#[activity(name = "...")]` sets
/// the type name other SDKs use (default: the function's name).
///
/// ```
/// use solo::prelude::*;
///
/// #[activity(name = "shout")]
/// async fn shout(ctx: ActivityContext, text: String) -> Result<String, ActivityError> {
///     ctx.heartbeat(&"working");
///     if text.is_empty() {
///         return Err(ApplicationError::new("nothing to shout").non_retryable().into());
///     }
///     Ok(text.to_uppercase())
/// }
///
/// assert_eq!(shout.name(), "shout");
/// ```
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use solo_macros::activity;

/// The names most programs need: `use solo::prelude::*;`.
pub mod prelude {
    pub use solo_connect::{ClientConfig, Connection, ConnectionOptions};

    #[cfg(feature = "client")]
    #[cfg_attr(docsrs, doc(cfg(feature = "client")))]
    pub use solo_client::{
        Activity, ActivityError, ActivityFailure, ActivityHandle, ActivityOptions,
        ApplicationError, AsyncActivityHandle, AsyncActivityId, CallError, Cancelled, Client,
        ClientOptions, DescribeOptions, Details, FailureKind, IdConflictPolicy, IdReusePolicy,
        ListOptions, OutcomeError, RetryPolicy, StartError,
    };

    /// `next()` / `try_next()` on the streams of `list_activities` and `watch`.
    #[cfg(feature = "client")]
    #[cfg_attr(docsrs, doc(cfg(feature = "client")))]
    pub use futures_util::{StreamExt as _, TryStreamExt as _};

    #[cfg(feature = "worker")]
    #[cfg_attr(docsrs, doc(cfg(feature = "worker")))]
    pub use solo_worker::{ActivityContext, ActivityInfo, Worker, WorkerError};

    #[cfg(feature = "macros")]
    #[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
    pub use solo_macros::activity;
}

/// What code generated by `#[activity]` refers to (as `::solo::__private::...`). Not public
/// API: it may change in any release.
#[cfg(feature = "worker")]
#[doc(hidden)]
pub mod __private {
    pub use solo_worker::__private::*;
}

/// The README's code blocks, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

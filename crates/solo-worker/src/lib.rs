//! The solo activity worker.
//!
//! A [`Worker`] polls one task queue and runs the activities registered on it — started by a
//! solo client, a Python or Go client, or `temporal activity start`. Most programs use it
//! through the `solo` facade; depend on this crate directly to avoid the facade, or to embed
//! the [`raw`] task API in an SDK for another language.
//!
//! ```no_run
//! use solo_worker::Worker;
//! # struct ComposeGreeting;
//! # impl solo_client::Activity for ComposeGreeting { type Input = (); type Output = (); fn name(&self) -> &str { "compose_greeting" } }
//! # impl solo_worker::ActivityImpl for ComposeGreeting {
//! #     fn execute(&self, _: solo_worker::ActivityContext, _: ()) -> solo_worker::ActivityFuture<()> { Box::pin(async { Ok(()) }) }
//! # }
//!
//! # async fn run(client: solo_client::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let worker = Worker::builder(client, "my-standalone-activity-task-queue")
//!     .activity(ComposeGreeting) // usually an #[activity] function
//!     .max_blocking_threads(5) // like Python's activity_executor=ThreadPoolExecutor(5)
//!     .build()?;
//! worker.run_until_ctrl_c().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # The parts
//!
//! - [`Worker`] / [`WorkerBuilder`]: registration, options (slots, pollers, rate limits,
//!   identity, graceful shutdown, the blocking pool), `run`, `shutdown`.
//! - [`ActivityContext`]: what a running activity can ask for — its [`ActivityInfo`],
//!   heartbeats, cancellation ([`CancellationReason`]), worker shutdown, and the worker's
//!   [`Client`](solo_client::Client) ([`ActivityContext::client`]).
//! - [`ActivityImpl`]: how the worker runs a typed activity; `#[activity]` implements it, and
//!   hand-written implementations carry state. Each registered activity becomes a tower
//!   [`ActivityService`] at the payload level, which [`WorkerBuilder::layer`] can wrap.
//! - [`WorkerInterceptor`]: hooks on polls and around each attempt (its span, its future,
//!   its outcome), registered with [`WorkerBuilder::interceptor`]; what `solo-otel` builds
//!   metrics and trace propagation on.
//! - [`raw`]: poll a task, then complete / fail / cancel / heartbeat it, with payloads and no
//!   generics — the layer the worker is built on.
//!
//! # Tracing and logs
//!
//! Each attempt runs in an INFO span named `activity` with the fields `namespace`,
//! `task_queue`, `activity_id`, `run_id`, `activity_type`, `attempt` and, when it ends,
//! `outcome` (`completed`, `failed`, `cancelled`, `not_reported`). An activity scheduled by a
//! workflow has no run id: its span has `workflow_id`, `workflow_run_id` and `workflow_type`
//! in place of `run_id`. Activity code logs inside it (see [`ActivityContext::span`]), like
//! Python's `activity.logger`. Fields are formatted only when a subscriber enables the span.
//! At INFO a healthy worker logs only its start and stop: per-task events are DEBUG, failures
//! of activities WARN (benign ones DEBUG), problems of the worker itself WARN or ERROR.
//! Metrics and OpenTelemetry trace propagation are in `solo-otel`, plugged in as a
//! [`WorkerInterceptor`].
//!
//! # Costs
//!
//! Per task, the worker spends one tokio task (no thread, except for blocking activities,
//! which run on the bounded blocking pool), one slot permit, and the report RPC. Heartbeats
//! spawn a sender only when an activity first heartbeats, and are throttled. Payloads are
//! [`bytes::Bytes`] and pass through without copies.

// The modules in layers, top to bottom. A module imports only modules in the layers below it,
// or later in its own layer's chain; nothing imports back up.

// The worker: `builder` and `signal` add methods to `Worker`, which runs the loop.
// builder, signal -> worker
mod builder;
mod signal;
mod worker;

// One poller, and the jobs of one activity task.
// poller -> task -> prepare -> report -> execute
mod deliver;
mod execute;
mod poller;
mod prepare;
mod report;
mod task;

// The state the pollers and tasks share, in parts named for what they hold.
// runtime -> interceptor -> scaler, slots; runtime -> registry, shutdown, rate_limit
mod dynamic;
mod interceptor;
mod rate_limit;
mod registry;
mod runtime;
mod scaler;
mod shutdown;
mod slots;

// What a running activity sees.
// activity -> context -> heartbeat, blocking -> cancellation; heartbeat -> raw
mod activity;
mod blocking;
mod cancellation;
mod context;
mod heartbeat;

// Leaves: plain data, and the payload-level task API (a public module: the namespace of the
// raw API). raw imports only info; options only error.
mod error;
mod info;
mod options;
mod panic;
pub mod raw;

pub use activity::{
    ActivityFuture, ActivityImpl, ActivityRequest, ActivityService, INPUT_DECODE_ERROR_TYPE,
    RESULT_ENCODE_ERROR_TYPE, run_blocking,
};
pub use builder::WorkerBuilder;
pub use cancellation::CancellationReason;
pub use context::{ActivityContext, DetachedContext};
pub use dynamic::{DynamicActivity, DynamicInput};
pub use error::{ClientUnavailable, WorkerError};
pub use info::{ActivityInfo, WorkflowInfo};
pub use interceptor::{
    AttemptEnd, AttemptFuture, AttemptOutcome, PollOutcome, WorkerInterceptor, WorkerStatus,
};
pub use options::{DEFAULT_MAX_CONCURRENT_ACTIVITIES, PollerBehavior};
pub use panic::PANIC_ERROR_TYPE;
pub use prepare::NOT_REGISTERED_ERROR_TYPE;
pub use report::{
    ACTIVITY_PAUSE_ERROR_TYPE, ACTIVITY_RESET_ERROR_TYPE, REPORT_REFUSED_ERROR_TYPE,
    WORKER_SHUTDOWN_ERROR_TYPE,
};
pub use signal::shutdown_signal;
pub use worker::Worker;

/// What code generated by `#[activity]` refers to. Not public API: it may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    pub use crate::activity::{ActivityFuture, ActivityImpl, run_blocking};
    pub use crate::context::ActivityContext;
    pub use solo_client::{Activity, ActivityError, Args};
    pub use std::boxed::Box;
    pub use std::result::Result::{self, Err, Ok};

    /// Converts an activity function's error into an [`ActivityError`].
    #[inline]
    pub fn into_activity_error<E: Into<ActivityError>>(error: E) -> ActivityError {
        error.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_are_send_and_sync() {
        send_sync::<Worker>();
        send_sync::<WorkerBuilder>();
        send_sync::<ActivityContext>();
        send_sync::<ActivityInfo>();
        send_sync::<ActivityRequest>();
        send_sync::<ActivityService>();
        send_sync::<DetachedContext>();
        send_sync::<raw::TaskPoller>();
        send_sync::<raw::TaskCompleter>();
        send_sync::<raw::RawTask>();
        send_sync::<WorkerError>();
        send_sync::<WorkerStatus>();
        send_sync::<AttemptEnd>();
    }
}

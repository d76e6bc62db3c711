//! The Standalone Activity client: start activities, wait for their results, describe, watch,
//! cancel, terminate and delete them, and list and count them.
//!
//! Standalone Activities run on an ordinary activity worker but are started directly from a
//! client, without a workflow. Pick this crate (instead of the `solo` facade) when a program
//! only starts and observes activities; it depends on `solo-connect` for the connection and
//! on nothing worker-related.
//!
//! - [`Client`]: `connect` / `connect_default` / `new`, then [`start_activity`],
//!   [`execute_activity`], their `_by_name` forms for activities written in other languages,
//!   [`get_activity_handle`], [`list_activities`] and [`count_activities`].
//! - [`ActivityHandle`]: `result`, `describe`, `watch`, `cancel`, `terminate`, `delete`.
//! - [`ActivityOptions`]: id, task queue and a closing timeout up front; every other option a
//!   chained setter.
//! - Errors per operation: [`StartError`] (starting), [`OutcomeError`] (waiting for the
//!   result: the activity's own outcome — failed, timed out, cancelled, terminated — apart
//!   from problems with the call) and [`CallError`] (every other call).
//! - Tracing: every call runs in an INFO `activity_call` span with the fields `operation`,
//!   `namespace`, `activity_id`, `run_id` (and `task_queue`, `activity_type` when starting)
//!   and, once it ends, `outcome`; [`ClientInterceptor`]s run inside it. The client logs
//!   nothing above DEBUG when calls succeed.
//! - [`DataConverter`]: JSON payloads that round-trip with Python dataclasses and Go structs,
//!   with an optional [`PayloadCodec`].
//!
//! ```no_run
//! use solo_client::{Activity, ActivityOptions, Client};
//! use std::time::Duration;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct ComposeGreetingInput { greeting: String, name: String }
//!
//! /// Declares an activity a worker (in any language) registers as `compose_greeting`.
//! struct ComposeGreeting;
//! impl Activity for ComposeGreeting {
//!     type Input = ComposeGreetingInput;
//!     type Output = String;
//!     fn name(&self) -> &str { "compose_greeting" }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::connect_default().await?;
//! let result = client
//!     .execute_activity(
//!         ComposeGreeting,
//!         ComposeGreetingInput { greeting: "Hello".into(), name: "World".into() },
//!         ActivityOptions::with_start_to_close_timeout(
//!             "my-standalone-activity-id",
//!             "my-standalone-activity-task-queue",
//!             Duration::from_secs(10),
//!         ),
//!     )
//!     .await?;
//! println!("Activity result: {result}");
//! # Ok(())
//! # }
//! ```
//!
//! [`start_activity`]: Client::start_activity
//! [`execute_activity`]: Client::execute_activity
//! [`get_activity_handle`]: Client::get_activity_handle
//! [`list_activities`]: Client::list_activities
//! [`count_activities`]: Client::count_activities

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod activity;
pub mod args;
mod call;
mod call_error;
pub mod client;
pub mod converter;
pub mod description;
pub mod failure;
pub mod handle;
pub mod interceptor;
pub mod list;
mod long_poll;
pub mod options;
mod outcome;
mod outcome_error;
mod rpc;
mod rpc_error;
pub mod search_attributes;
mod start_error;
mod status;
mod telemetry;

pub use activity::Activity;
pub use args::ActivityArgs;
pub use call_error::CallError;
pub use client::{Client, ClientOptions};
pub use converter::{DataConverter, DataError, PayloadCodec};
pub use description::{ActivityDescription, ActivityOutcome, ActivityRunState, ActivityStatus};
pub use failure::{
    ActivityError, ActivityFailure, ApplicationError, Cancelled, Details, FailureKind,
};
pub use handle::{ActivityHandle, ActivityWatch, DescribeOptions};
pub use interceptor::ClientInterceptor;
pub use list::{
    ActivityExecution, ActivityExecutionCount, ActivityExecutionCountGroup, ListActivities,
};
pub use options::{ActivityOptions, IdConflictPolicy, IdReusePolicy, Priority, RetryPolicy};
pub use outcome_error::OutcomeError;
pub use rpc_error::RpcError;
pub use search_attributes::SearchAttributeValue;
pub use solo_connect::{ClientConfig, Connection, ConnectionOptions};
pub use start_error::StartError;

/// What solo's own crates (`solo-worker`) need from the client. Not public API: it may change
/// in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::call::CallCore;
    pub use crate::rpc::{
        POLL_ACTIVITY_TASK_QUEUE, RECORD_ACTIVITY_TASK_HEARTBEAT, RESPOND_ACTIVITY_TASK_CANCELED,
        RESPOND_ACTIVITY_TASK_COMPLETED, RESPOND_ACTIVITY_TASK_FAILED, Rpc,
    };

    /// The call core of `client`, for the worker's raw task API.
    pub fn call_core(client: &crate::Client) -> CallCore {
        client.core().clone()
    }
}

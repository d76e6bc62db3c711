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
//! - [`ActivityHandle`]: `result`, `describe`, `watch`, `cancel`, `terminate`, `delete`, and
//!   the operator commands `pause`, `unpause` ([`UnpauseOptions`]), `reset`
//!   ([`ResetOptions`]), `update_options` ([`ActivityOptionsUpdate`]) and
//!   `restore_original_options` (Server 1.32+).
//! - [`AsyncActivityHandle`] from [`Client::get_async_activity_handle`]: heartbeat, complete,
//!   fail or cancel an activity that completes asynchronously (its activity returned
//!   [`ActivityError::complete_async`]), by id and run id or by task token
//!   ([`AsyncActivityId`]).
//! - [`ListOptions`] (query, page size, limit) in, an [`ActivityList`] stream out; or one
//!   [`ActivityPage`] at a time with [`Client::list_activities_page`].
//! - [`CallOptions`]: an RPC deadline and headers for the calls of a client or handle
//!   (`with_call_options`).
//! - [`ActivityOptions`]: one named setter per option; the id, the task queue and a closing
//!   timeout are required.
//! - Errors per operation: [`StartError`] (starting), [`OutcomeError`] (waiting for the
//!   result: the activity's own outcome — failed, timed out, cancelled, terminated — apart
//!   from problems with the call), [`AsyncCompletionError`] (the calls of an async activity
//!   handle) and [`CallError`] (every other call).
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
//!         ActivityOptions::new()
//!             .id("my-standalone-activity-id")
//!             .task_queue("my-standalone-activity-task-queue")
//!             .start_to_close_timeout(Duration::from_secs(10)),
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

// Leaves first: payloads and data, failures, options and their policies, errors.
mod activity;
mod activity_error;
mod activity_failure;
mod args;
mod converter;
mod data_error;
mod description;
mod details;
mod execution;
mod failure_converter;
mod id_policy;
mod input;
mod interceptor;
mod operator_options;
mod options;
mod payload;
mod payload_converter;
mod priority;
mod proto;
mod retry_policy;
mod rfc3339;
mod search_attributes;
mod value;

mod async_completion_error;
mod call_error;
mod call_options;
mod outcome_error;
mod rpc_error;
mod start_error;
mod status;
mod telemetry;

// The call core, and what is built on it.
mod activity_ref;
mod async_activity;
mod call;
mod client;
mod client_options;
mod handle;
mod list;
mod list_options;
mod long_poll;
mod operator;
mod outcome;
mod rpc;
mod start;
mod watch;

pub use activity::Activity;
pub use activity_error::{ActivityError, ApplicationError, COMPLETE_ASYNC_ERROR_TYPE, Cancelled};
pub use activity_failure::{ActivityFailure, FailureKind};
pub use args::ActivityArgs;
pub use async_activity::{AsyncActivityHandle, AsyncActivityId, AsyncHeartbeatReply};
pub use async_completion_error::AsyncCompletionError;
pub use call_error::CallError;
pub use call_options::{CallOptions, InvalidHeader};
pub use client::Client;
pub use client_options::ClientOptions;
pub use converter::{CodecFuture, DataConverter, PayloadCodec};
pub use data_error::DataError;
pub use description::{
    ActivityDescription, ActivityOutcome, ActivityRunState, ActivityStatus, DescribeOptions,
    UnknownStatus,
};
pub use details::Details;
pub use execution::{ActivityExecution, ActivityExecutionCount, ActivityExecutionCountGroup};
pub use failure_converter::{DefaultFailureConverter, FailureConverter};
pub use handle::ActivityHandle;
pub use id_policy::{IdConflictPolicy, IdReusePolicy};
pub use input::{ActivityInput, Args, InputError, IntoActivityInput};
pub use interceptor::ClientInterceptor;
pub use list::{ActivityList, ActivityPage};
pub use list_options::ListOptions;
pub use operator_options::{
    ActivityExecutionOptions, ActivityOptionsUpdate, ResetOptions, UnpauseOptions,
};
pub use options::ActivityOptions;
pub use outcome_error::OutcomeError;
pub use payload::{
    ENCODING_BINARY, ENCODING_JSON, ENCODING_NULL, ENCODING_PROTO_BINARY, ENCODING_PROTO_JSON,
    METADATA_ENCODING, encoding_of, from_payload, to_payload,
};
pub use payload_converter::{
    DecodeTarget, PayloadConverter, ProtoTarget, ProtoValue, SerdeTarget, SerdeValue,
    StandardPayloadConverter, ValueRef,
};
pub use priority::Priority;
pub use proto::{METADATA_MESSAGE_TYPE, Proto, ProtoJson};
pub use retry_policy::RetryPolicy;
pub use rpc_error::RpcError;
pub use search_attributes::SearchAttributeValue;
pub use solo_connect::{ClientConfig, Connection, ConnectionOptions, RetryOptions};
pub use start_error::StartError;
pub use value::{DecodePayload, EncodePayload};
pub use watch::ActivityWatch;

/// The object-safe serde traits a custom [`PayloadConverter`] uses
/// ([`SerdeValue::as_serialize`], [`SerdeTarget::deserialize`]), re-exported so its version
/// matches.
pub use erased_serde;

/// What solo's own crates (`solo-worker`, `solo-testing`) need from the client. Not public
/// API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::activity_error::FAILURE_SOURCE;
    pub use crate::call::CallCore;
    pub use crate::client_options::default_identity;
    pub use crate::outcome_error::timeout_name;
    pub use crate::payload::from_missing;

    /// The `json/plain` data the standard converter makes of `value`, into `out` (`false`:
    /// the standard converter encodes it otherwise, `out` untouched); the worker keeps a
    /// heartbeat's details this way until it sends them.
    ///
    /// # Errors
    /// When serde fails.
    pub fn standard_json_into<T: serde::Serialize + ?Sized>(
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<bool, crate::DataError> {
        crate::payload::standard_json_into(value, out)
    }

    /// A `json/plain` payload with `data`, as the standard converter makes it.
    pub fn json_payload(data: bytes::Bytes) -> solo_proto::temporal::api::common::v1::Payload {
        crate::payload::json_payload(data)
    }
    pub use crate::rfc3339::{format_rfc3339, parse_rfc3339};
    pub use crate::rpc::{
        COUNT_ACTIVITY_EXECUTIONS, DESCRIBE_ACTIVITY_EXECUTION, LIST_ACTIVITY_EXECUTIONS,
        POLL_ACTIVITY_TASK_QUEUE, RECORD_ACTIVITY_TASK_HEARTBEAT, RESPOND_ACTIVITY_TASK_CANCELED,
        RESPOND_ACTIVITY_TASK_COMPLETED, RESPOND_ACTIVITY_TASK_FAILED, Rpc, RpcMessage,
    };

    /// The call core of `client`, for the worker's raw task API.
    pub fn call_core(client: &crate::Client) -> CallCore {
        client.core().clone()
    }
}

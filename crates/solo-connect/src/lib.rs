//! How a solo program finds and reaches a Temporal server, locally or in Temporal Cloud.
//!
//! - [`ClientConfig`] loads a client profile with the rules every Temporal SDK and the CLI
//!   share: a `temporal.toml` profile, `TEMPORAL_*` environment variables over it, code
//!   overrides over those (see [`ClientConfig`] for the full table and the few deliberate
//!   differences from the Python SDK).
//! - [`ConnectionOptions`] says how to connect: address, namespace, API key, TLS, headers,
//!   deadlines and retries.
//! - [`Connection`] is a cheap-to-clone handle over one gRPC channel; every call carries the
//!   namespace, client name and version, API key and configured headers, gets a deadline
//!   (30 s, or 70 s for long polls) and is retried with backoff when the failure is transient.
//!
//! This crate knows nothing about activities; `solo-client` builds on it. Use it directly to
//! call `WorkflowService` RPCs yourself.
//!
//! ```no_run
//! use solo_connect::{ClientConfig, Connection};
//! use solo_proto::temporal::api::workflowservice::v1::DescribeNamespaceRequest;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ... or the default profile of temporal.toml.
//! let config = ClientConfig::load()?;
//! let connection = Connection::connect_config(&config).await?;
//! let namespace = connection
//!     .workflow_service()
//!     .describe_namespace(DescribeNamespaceRequest {
//!         namespace: connection.namespace().to_owned(),
//!         ..Default::default()
//!     })
//!     .await?;
//! println!("{:?}", namespace.into_inner().namespace_info);
//! # Ok(()) }
//! ```
//!
//! # Per-call settings
//!
//! A `tonic::Request` can carry, besides its metadata (which is never overwritten):
//! - a deadline, `request.set_timeout(d)`, used instead of the default for each attempt;
//! - a [`LongPoll`] extension, for the long-poll deadline on calls the layer does not
//!   recognise by itself;
//! - a [`RetryOptions`] extension, replacing the connection's retry settings for that call;
//! - a [`WaitForServer`] extension, for calls whose caller waits anyway: retried through any
//!   outage for as long as the caller waits;
//! - a [`CallTaskQueue`] extension, naming the task queue for [`CallObserver`]s;
//! - a [`CallNamespace`] extension, the namespace of that call when it is not the
//!   connection's.
//!
//! [`ConnectionOptions::layer`] wraps every call in a tower layer of your own.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod backoff;
mod codes;
mod connection;
mod deadline;
mod envconfig;
mod error;
mod grpc;
mod ids;
mod metadata;
mod namespace;
mod observe;
mod options;
mod outage;
mod reachability;
mod retry;
mod status;
mod target;
mod tls;
mod unary;

pub use backoff::Backoff;
pub use codes::{CodePolicy, code_policy, is_incomplete};
pub use connection::Connection;
pub use deadline::LongPoll;
pub use envconfig::{
    ClientConfig, CodecConfig, ConfigLoader, DEFAULT_ADDRESS, DEFAULT_PROFILE, PemSource,
    TlsConfig, default_config_file,
};
pub use error::{ConfigError, ConnectError};
pub use grpc::GrpcService;
pub use metadata::{CLIENT_NAME, CLIENT_VERSION};
pub use namespace::CallNamespace;
pub use observe::{CallObserver, CallRecord, CallTaskQueue};
pub use options::{
    ConnectionOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_LONG_POLL_TIMEOUT,
    DEFAULT_MAX_DECODING_MESSAGE_SIZE, DEFAULT_NAMESPACE, DEFAULT_RPC_TIMEOUT,
};
pub use retry::{RetryOptions, WaitForServer};
pub use tls::TlsOptions;

/// The error type inside the tower stack: any error, boxed.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Helpers for solo's own crates (`solo-client`, `solo-worker`, `solo-otel`). Not public API:
/// they may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::ids::{hostname, random_uuid};
    pub use crate::outage::Outage;
    pub use crate::status::code_name;
}

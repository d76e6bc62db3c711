//! Temporal API types and gRPC client stubs for solo.
//!
//! This crate holds the Rust types generated from `proto/`: a hand-written subset of the
//! upstream `temporalio/api` definitions that covers Standalone Activities and activity workers,
//! with the upstream package names, message names and field numbers, so every message is
//! wire-compatible with the Temporal server and the other SDKs. A compatibility check
//! (`cargo xtask compat`) compares every definition against the upstream descriptors.
//!
//! The code under `src/generated/` is produced by `cargo xtask codegen` with a pure-Rust
//! protobuf compiler and committed, so building this crate never needs `protoc`.
//! It owns no I/O and no policy: see `solo-connect` for connections and `solo-client` for the
//! Standalone Activity API.
//!
//! # Example
//!
//! ```
//! use solo_proto::temporal::api::common::v1::{ActivityType, Payload};
//! use solo_proto::temporal::api::workflowservice::v1::StartActivityExecutionRequest;
//!
//! let request = StartActivityExecutionRequest {
//!     namespace: "default".into(),
//!     activity_id: "my-activity".into(),
//!     activity_type: Some(ActivityType { name: "compose_greeting".into() }),
//!     ..Default::default()
//! };
//! assert_eq!(request.activity_type.unwrap().name, "compose_greeting");
//! let _empty = Payload::default();
//! ```

#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used,
    rustdoc::all
)]
#[rustfmt::skip]
#[path = "generated/mod.rs"]
mod generated;

pub use generated::*;

pub mod wkt;

/// Re-exports of the crates that generated code and callers need, so dependants can name the
/// exact versions this crate was built with.
pub mod export {
    pub use bytes;
    pub use prost;
    pub use prost_types;
    pub use tonic;
}

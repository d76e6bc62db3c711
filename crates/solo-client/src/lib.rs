//! The Standalone Activity client.
//!
//! This crate owns `Client`, `start_activity` / `execute_activity` / `get_activity_handle` /
//! `list_activities` / `count_activities`, `ActivityHandle`, `ActivityOptions`, the
//! [`Activity`] trait and the data and failure converters shared with the worker.

pub mod activity;
pub mod converter;
pub mod failure;

pub use activity::Activity;
pub use converter::{DataConverter, DataError, PayloadCodec};
pub use failure::{
    ActivityError, ActivityFailure, ApplicationError, Cancelled, Details, FailureKind,
};

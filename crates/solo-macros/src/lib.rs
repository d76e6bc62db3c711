//! The `#[activity]` attribute for solo.
//!
//! This crate will turn a plain `fn` or `async fn` into an activity definition that the client
//! can start and the worker can register.

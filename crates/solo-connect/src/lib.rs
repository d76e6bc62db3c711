//! How a solo program finds and reaches a Temporal server.
//!
//! This crate will own `ClientConfig` (the cross-SDK `TEMPORAL_*` variables and `temporal.toml`
//! profiles) and `Connection` (a cheap-to-clone gRPC channel with metadata, TLS, deadlines and
//! retries). It knows nothing about activities.

//! The solo activity worker.
//!
//! This crate will own `Worker` (pollers, slot-limited dispatch, heartbeats, cancellation,
//! graceful shutdown, blocking activities on a bounded pool) and `ActivityContext`, over a
//! payload-level task API for embedding in SDKs of other languages.

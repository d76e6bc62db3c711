//! solo: Temporal Standalone Activities for Rust.
//!
//! The facade re-exports the layers: [`proto`] (wire types), [`connect`] (configuration and
//! connections), and — as they land — the client, the worker and the `#[activity]` macro.

#[doc(inline)]
pub use solo_connect as connect;
#[doc(inline)]
pub use solo_proto as proto;

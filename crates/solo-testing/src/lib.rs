//! Test helpers for solo.
//!
//! - [`DevServer`]: runs the Temporal CLI dev server on a free loopback port for integration
//!   tests, installing the pinned CLI into the project's target directory when none is found.
//!   With [`DevServerOptions::persistent`] it can be killed with SIGKILL
//!   ([`DevServer::kill`]) and restarted on the same port and database ([`DevServer::restart`]).
//! - [`FaultProxy`]: a loopback TCP proxy that resets, refuses, blackholes or delays
//!   connections on command, for fault-injection tests.
//! - [`ActivityEnvironment`] (feature `worker`): run an activity without a server — set its
//!   info, capture its heartbeats, cancel it mid-run.
//!
//! ```no_run
//! let server = solo_testing::DevServer::start()?;
//! println!("Temporal is at {}", server.address());
//! # Ok::<(), solo_testing::DevServerError>(())
//! ```

#[cfg(feature = "worker")]
pub mod activity_env;
pub mod cli;
pub mod dev_server;
mod fault_pipe;
mod fault_proxy;
mod fault_state;
mod process;
mod server_process;

#[cfg(feature = "worker")]
pub use activity_env::{ActivityEnvironment, EnvironmentHandle};
pub use dev_server::{DevServer, DevServerError, DevServerOptions, OPERATOR_COMMANDS_KEY};
pub use fault_proxy::{FaultProxy, FaultProxyError, ResetEvery};
pub use fault_state::FaultStats;
pub use process::output_within;

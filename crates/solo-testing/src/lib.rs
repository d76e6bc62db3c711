//! Test helpers for solo.
//!
//! - [`DevServer`]: runs the Temporal CLI dev server on a free loopback port for integration
//!   tests, installing the pinned CLI into the project's target directory when none is found.
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

#[cfg(feature = "worker")]
pub use activity_env::{ActivityEnvironment, EnvironmentHandle};
pub use dev_server::{DevServer, DevServerError, DevServerOptions};

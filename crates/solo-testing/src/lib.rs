//! Test helpers for solo.
//!
//! - [`DevServer`]: runs the Temporal CLI dev server on a free loopback port for integration
//!   tests, installing the pinned CLI into the project's target directory when none is found.
//! - An activity test environment (feature `worker`): run an activity without a server.
//!
//! ```no_run
//! let server = solo_testing::DevServer::start()?;
//! println!("Temporal is at {}", server.address());
//! # Ok::<(), solo_testing::DevServerError>(())
//! ```

pub mod cli;
pub mod dev_server;

pub use dev_server::{DevServer, DevServerError, DevServerOptions};

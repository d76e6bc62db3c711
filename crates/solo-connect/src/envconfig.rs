//! Client configuration shared by every Temporal SDK and the CLI: profiles in a TOML file and
//! `TEMPORAL_*` environment variables ("envconfig"). The rules are documented on
//! [`ClientConfig`].
//!
//! The files, each importing only the ones listed before it:
//! - `schema`: the names — profile keys, variables, the three PEM items, header names;
//! - `origin`: provenance, where each value came from;
//! - `tls_config`, `codec_config`, `client_config`: the public profile types;
//! - `connection_options`: from profile to [`ConnectionOptions`](crate::ConnectionOptions);
//! - `env`: the environment snapshot and the default file location;
//! - `file`: parsing and checking the TOML;
//! - `select`: which file and which profile;
//! - `overlay`: the `TEMPORAL_*` variables over the profile;
//! - `merge`: file and overlay layered, each value paired with its origin;
//! - `loader`: [`ConfigLoader`], the steps in order.

mod client_config;
mod codec_config;
mod connection_options;
mod env;
mod file;
mod loader;
mod merge;
mod origin;
mod overlay;
mod schema;
mod select;
mod tls_config;

pub use client_config::{ClientConfig, DEFAULT_ADDRESS};
pub use codec_config::CodecConfig;
pub use env::default_config_file;
pub use loader::ConfigLoader;
pub use schema::DEFAULT_PROFILE;
pub use tls_config::{PemSource, TlsConfig};

//! Provenance: where each value of a profile came from (a key of the file, a variable, or a
//! `with_*` method), so that errors can name the place to fix.

use std::collections::HashMap;
use std::fmt;

/// Where a setting came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Origin {
    /// A key of a profile in a file (or in TOML data).
    File {
        key: String,
        profile: String,
        file: String,
    },
    /// An environment variable.
    Env(String),
    /// A `with_*` method.
    Code(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { key, profile, file } => {
                write!(f, "`{key}` in profile \"{profile}\" of {file}")
            }
            Origin::Env(var) => f.write_str(var),
            Origin::Code(method) => write!(f, "`{method}`"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Setting<T> {
    pub(super) value: T,
    pub(super) origin: Origin,
}

/// Tells, for one load, which layer set each key: the variable the environment overlay
/// recorded for it, else the file's profile.
pub(super) struct Origins<'a> {
    /// How messages name the file.
    pub(super) file: &'a str,
    /// The profile's name.
    pub(super) profile: &'a str,
    /// Dotted key (`address`, `tls.client_cert_path`, …) to the variable that set it.
    pub(super) applied: &'a HashMap<String, String>,
}

impl Origins<'_> {
    /// The origin of a dotted key.
    pub(super) fn of(&self, key: &str) -> Origin {
        match self.applied.get(key) {
            Some(var) => Origin::Env(var.clone()),
            None => self.file_origin(key),
        }
    }

    /// The origin of a dotted key that the file set.
    pub(super) fn file_origin(&self, key: &str) -> Origin {
        Origin::File {
            key: key.to_owned(),
            profile: self.profile.to_owned(),
            file: self.file.to_owned(),
        }
    }

    /// Pairs a value with the origin of its key.
    pub(super) fn setting<T>(&self, value: Option<T>, key: &str) -> Option<Setting<T>> {
        value.map(|value| Setting {
            value,
            origin: self.of(key),
        })
    }
}

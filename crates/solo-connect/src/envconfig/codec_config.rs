//! The remote codec of a profile, [`CodecConfig`].

use std::fmt;

/// The remote codec of a profile. SDKs load it for tools (CLI, UI) and do not apply it.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodecConfig {
    /// The codec server's URL.
    pub endpoint: Option<String>,
    /// The `Authorization` value to send to it.
    pub auth: Option<String>,
}

impl fmt::Debug for CodecConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodecConfig")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

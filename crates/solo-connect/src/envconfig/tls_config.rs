//! The TLS table of a resolved profile, [`TlsConfig`], and its certificates and keys,
//! [`PemSource`].

use std::fmt;
use std::path::PathBuf;

use super::origin::Setting;

/// A certificate or key: a file to read, or PEM text given inline.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemSource {
    /// Read from this file when connection options are built.
    Path(PathBuf),
    /// PEM text.
    Data(Vec<u8>),
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::Path(path) => f.debug_tuple("Path").field(path).finish(),
            PemSource::Data(data) => write!(f, "Data(<{} bytes>)", data.len()),
        }
    }
}

/// The TLS table of a resolved profile (`[profile.<name>.tls]` plus `TEMPORAL_TLS*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    pub(super) disabled: Option<Setting<bool>>,
    pub(super) client_cert: Option<Setting<PemSource>>,
    pub(super) client_key: Option<Setting<PemSource>>,
    pub(super) server_ca_cert: Option<Setting<PemSource>>,
    pub(super) server_name: Option<String>,
    pub(super) disable_host_verification: bool,
}

impl TlsConfig {
    /// `tls.disabled`: `Some(true)` forces TLS off, `Some(false)` forces it on, `None` leaves
    /// the table's presence to decide (on).
    pub fn disabled(&self) -> Option<bool> {
        self.disabled.as_ref().map(|s| s.value)
    }

    /// The mTLS client certificate.
    pub fn client_cert(&self) -> Option<&PemSource> {
        self.client_cert.as_ref().map(|s| &s.value)
    }

    /// The mTLS client private key.
    pub fn client_key(&self) -> Option<&PemSource> {
        self.client_key.as_ref().map(|s| &s.value)
    }

    /// The CA bundle that replaces the system roots.
    pub fn server_ca_cert(&self) -> Option<&PemSource> {
        self.server_ca_cert.as_ref().map(|s| &s.value)
    }

    /// The TLS server name (SNI and certificate check) override.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// `tls.disable_host_verification`. Loaded but not applied, as in Python and the Rust core.
    pub fn disable_host_verification(&self) -> bool {
        self.disable_host_verification
    }
}

//! [`ClientConfig`]: a resolved client profile, with the rules that resolve it in its docs.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::codec_config::CodecConfig;
use super::origin::{Origin, Setting};
use super::schema::{DEFAULT_PROFILE, normalize_header_name};
use super::tls_config::TlsConfig;
use crate::options::DEFAULT_NAMESPACE;

/// The address used when the profile has none: `localhost:7233`.
pub const DEFAULT_ADDRESS: &str = "localhost:7233";

/// A resolved client profile: file, environment and code overrides applied.
///
/// Profiles in a TOML file and `TEMPORAL_*` environment variables ("envconfig") are shared by
/// every Temporal SDK and the CLI. [`ClientConfig::load`] is the equivalent of the Python
/// SDK's `ClientConfig.load_client_connect_config()`: it reads the `default` profile (or the
/// one named by `TEMPORAL_PROFILE`) from the file named by `TEMPORAL_CONFIG_FILE` (or the OS
/// default `temporal.toml`), lays every set `TEMPORAL_*` variable over it, and hands back a
/// resolved profile. [`ClientConfig::loader`] chooses the profile, the file, the environment
/// and strictness instead. Adjust the result with the `with_*` methods, then connect with
/// [`Connection::connect_config`](crate::Connection::connect_config) or get the
/// [`ConnectionOptions`](crate::ConnectionOptions) with
/// [`connection_options`](Self::connection_options).
///
/// ```
/// use std::collections::HashMap;
/// use solo_connect::ClientConfig;
///
/// let config = ClientConfig::loader()
///     .config_data(
///         r#"
///         [profile.staging]
///         address = "staging.example.com:7233"
///         namespace = "payments"
///         "#,
///     )
///     .profile("staging")
///     .env(HashMap::from([("TEMPORAL_NAMESPACE".into(), "billing".into())]))
///     .load()?;
/// assert_eq!(config.address(), "staging.example.com:7233");
/// assert_eq!(config.namespace(), "billing"); // the environment beats the file
/// # Ok::<(), solo_connect::ConfigError>(())
/// ```
///
/// # Resolution
///
/// 1. **File**: [`ConfigLoader::config_file`](crate::ConfigLoader::config_file) /
///    [`ConfigLoader::config_data`](crate::ConfigLoader::config_data), else
///    `TEMPORAL_CONFIG_FILE` (empty = unset), else the OS default
///    ([`default_config_file`](crate::default_config_file)): `$XDG_CONFIG_HOME` or
///    `~/.config` on Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows,
///    followed by `temporalio/temporal.toml`. A file that does not exist is an empty file.
/// 2. **Profile**: [`ConfigLoader::profile`](crate::ConfigLoader::profile), else
///    `TEMPORAL_PROFILE` (empty = unset), else `default`. A profile asked for by name must
///    exist; a missing implicit `default` is empty.
/// 3. **Environment**: each set variable replaces the file's value (table below).
/// 4. **Code**: `with_address`, `with_namespace`, `with_api_key`, `with_header`.
/// 5. **Defaults**: address `localhost:7233`, namespace `default`.
///
/// | variable | profile key |
/// |---|---|
/// | `TEMPORAL_ADDRESS` | `address` |
/// | `TEMPORAL_NAMESPACE` | `namespace` |
/// | `TEMPORAL_API_KEY` | `api_key` (sent as `authorization: Bearer <key>`, turns TLS on) |
/// | `TEMPORAL_TLS` | `tls.disabled`, inverted (`true`/`1` = TLS on, `false`/`0` = off) |
/// | `TEMPORAL_TLS_CLIENT_CERT_PATH` / `_DATA` | `tls.client_cert_path` / `_data` |
/// | `TEMPORAL_TLS_CLIENT_KEY_PATH` / `_DATA` | `tls.client_key_path` / `_data` |
/// | `TEMPORAL_TLS_SERVER_CA_CERT_PATH` / `_DATA` | `tls.server_ca_cert_path` / `_data` |
/// | `TEMPORAL_TLS_SERVER_NAME` | `tls.server_name` |
/// | `TEMPORAL_TLS_DISABLE_HOST_VERIFICATION` | `tls.disable_host_verification` |
/// | `TEMPORAL_CODEC_ENDPOINT`, `TEMPORAL_CODEC_AUTH` | `codec.endpoint`, `codec.auth` |
/// | `TEMPORAL_GRPC_META_<NAME>` | `grpc_meta.<name>` (lower case, `_` → `-`; empty removes) |
///
/// Setting any `TEMPORAL_TLS*` variable creates the TLS table, which turns TLS on unless
/// `tls.disabled` is true. TLS is on when the profile has a TLS table that is not disabled, or
/// has an API key and no TLS table.
///
/// ```toml
/// [profile.default]
/// address = "localhost:7233"
/// namespace = "default"
///
/// [profile.cloud]
/// address = "my-ns.a1b2c.tmprl.cloud:7233"
/// namespace = "my-ns.a1b2c"
/// api_key = "..."
///
/// [profile.mtls.tls]
/// client_cert_path = "/etc/temporal/client.pem"
/// client_key_path = "/etc/temporal/client.key"
///
/// [profile.mtls.grpc_meta]
/// x_team = "payments"   # sent as header x-team
/// ```
///
/// # Differences from the Python SDK
///
/// For the same file and variables the resolved profile is the same, with these deliberate
/// exceptions:
///
/// - An empty address or namespace (e.g. `TEMPORAL_NAMESPACE=""`) falls back to the default
///   (`localhost:7233`, `default`); Python passes the empty string on. Python applies no
///   default address at all.
/// - An empty API key means "no API key" (as in Go); Python would send `Bearer ` and turn TLS
///   on.
/// - An empty `TEMPORAL_TLS_*_DATA` counts as absent, as an empty `*_data` in the file already
///   does everywhere.
/// - The address must carry a port (`host:port`); an address without one is an error rather
///   than a connection to port 80. `http://` with TLS on, and `https://` with TLS off, are
///   errors instead of being passed through.
/// - Type errors and unknown keys (strict mode) name the full key, e.g.
///   `profile.default.tls.disabled`; unknown keys outside strict mode are logged at `warn`.
/// - With an injected environment ([`ConfigLoader::env`](crate::ConfigLoader::env)), `HOME`,
///   `XDG_CONFIG_HOME` and `APPDATA` are read from that map too, so tests never see the real
///   default file.
/// - `tls.disable_host_verification` is loaded but, as in Python and the Rust core, not
///   applied; a warning is logged when it is set.
/// - `codec` is loaded for tools to read ([`ClientConfig::codec`]) and not applied, as in
///   Python.
///
/// As in Python, [`disable_env`](crate::ConfigLoader::disable_env) stops the overlay and
/// `TEMPORAL_PROFILE`, but `TEMPORAL_CONFIG_FILE` is still used to find the file.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub(super) profile: String,
    pub(super) config_file: Option<PathBuf>,
    pub(super) address: Option<Setting<String>>,
    pub(super) namespace: Option<Setting<String>>,
    pub(super) api_key: Option<Setting<String>>,
    pub(super) tls: Option<TlsConfig>,
    pub(super) codec: Option<CodecConfig>,
    pub(super) grpc_meta: BTreeMap<String, Setting<String>>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("profile", &self.profile)
            .field("config_file", &self.config_file)
            .field("address", &self.address())
            .field("namespace", &self.namespace())
            .field("api_key", &self.api_key().map(|_| "<redacted>"))
            .field("tls", &self.tls)
            .field("codec", &self.codec)
            .field(
                "grpc_meta",
                &self.grpc_meta.keys().collect::<Vec<_>>(), // values may be credentials
            )
            .finish()
    }
}

impl Default for ClientConfig {
    /// An empty `default` profile: `localhost:7233`, namespace `default`, no TLS.
    fn default() -> Self {
        Self {
            profile: DEFAULT_PROFILE.to_owned(),
            config_file: None,
            address: None,
            namespace: None,
            api_key: None,
            tls: None,
            codec: None,
            grpc_meta: BTreeMap::new(),
        }
    }
}

impl ClientConfig {
    /// The profile's name.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// The file the profile was read from, if one was read.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// The server address, `localhost:7233` when unset or empty.
    pub fn address(&self) -> &str {
        self.address
            .as_ref()
            .map(|s| s.value.as_str())
            .filter(|a| !a.is_empty())
            .unwrap_or(DEFAULT_ADDRESS)
    }

    /// The namespace, `default` when unset or empty.
    pub fn namespace(&self) -> &str {
        self.namespace
            .as_ref()
            .map(|s| s.value.as_str())
            .filter(|n| !n.is_empty())
            .unwrap_or(DEFAULT_NAMESPACE)
    }

    /// The API key, if set and not empty.
    pub fn api_key(&self) -> Option<&str> {
        self.api_key
            .as_ref()
            .map(|s| s.value.as_str())
            .filter(|k| !k.is_empty())
    }

    /// The TLS table, if the profile has one (in the file or through `TEMPORAL_TLS*`).
    pub fn tls(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }

    /// Whether connections use TLS: a TLS table that is not disabled, or an API key and no TLS
    /// table.
    pub fn tls_enabled(&self) -> bool {
        match &self.tls {
            Some(tls) => tls.disabled() != Some(true),
            None => self.api_key().is_some(),
        }
    }

    /// Extra gRPC headers sent on every call, by normalised name.
    pub fn grpc_meta(&self) -> impl Iterator<Item = (&str, &str)> {
        self.grpc_meta
            .iter()
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
    }

    /// The remote codec settings, if any.
    pub fn codec(&self) -> Option<&CodecConfig> {
        self.codec.as_ref()
    }

    /// Replaces the address (code beats environment and file).
    pub fn with_address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(Setting {
            value: address.into(),
            origin: Origin::Code("ClientConfig::with_address"),
        });
        self
    }

    /// Replaces the namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(Setting {
            value: namespace.into(),
            origin: Origin::Code("ClientConfig::with_namespace"),
        });
        self
    }

    /// Replaces the API key. With no TLS table in the profile, an API key turns TLS on.
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(Setting {
            value: api_key.into(),
            origin: Origin::Code("ClientConfig::with_api_key"),
        });
        self
    }

    /// Adds or replaces one `grpc_meta` header (the name is normalised like the file's keys).
    pub fn with_header(mut self, name: impl AsRef<str>, value: impl Into<String>) -> Self {
        self.grpc_meta.insert(
            normalize_header_name(name.as_ref()),
            Setting {
                value: value.into(),
                origin: Origin::Code("ClientConfig::with_header"),
            },
        );
        self
    }

    /// Where the address came from, for messages: its origin, or the default.
    pub(super) fn address_origin(&self) -> String {
        match &self.address {
            Some(s) if !s.value.is_empty() => s.origin.to_string(),
            _ => "the default".to_owned(),
        }
    }
}

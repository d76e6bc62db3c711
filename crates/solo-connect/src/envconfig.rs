//! Client configuration shared by every Temporal SDK and the CLI: profiles in a TOML file and
//! `TEMPORAL_*` environment variables ("envconfig").
//!
//! [`ClientConfig::load`] is the equivalent of the Python SDK's
//! `ClientConfig.load_client_connect_config()`: it reads the `default` profile (or the one
//! named by `TEMPORAL_PROFILE`) from the file named by `TEMPORAL_CONFIG_FILE` (or the OS default
//! `temporal.toml`), lays every set `TEMPORAL_*` variable over it, and hands back a resolved
//! profile. Code overrides (`with_*`) go on top, and [`ClientConfig::connection_options`]
//! turns the result into [`ConnectionOptions`].
//!
//! # Resolution
//!
//! 1. **File**: [`ConfigLoader::config_file`] / [`ConfigLoader::config_data`], else
//!    `TEMPORAL_CONFIG_FILE` (empty = unset), else the OS default: `$XDG_CONFIG_HOME` or
//!    `~/.config` on Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows,
//!    followed by `temporalio/temporal.toml`. A file that does not exist is an empty file.
//! 2. **Profile**: [`ConfigLoader::profile`], else `TEMPORAL_PROFILE` (empty = unset), else
//!    `default`. A profile asked for by name must exist; a missing implicit `default` is empty.
//! 3. **Environment**: each set variable replaces the file's value (table below).
//! 4. **Code**: `with_address`, `with_namespace`, `with_api_key`, `with_header`.
//! 5. **Defaults**: address `localhost:7233`, namespace `default`.
//!
//! | variable | profile key |
//! |---|---|
//! | `TEMPORAL_ADDRESS` | `address` |
//! | `TEMPORAL_NAMESPACE` | `namespace` |
//! | `TEMPORAL_API_KEY` | `api_key` (sent as `authorization: Bearer <key>`, turns TLS on) |
//! | `TEMPORAL_TLS` | `tls.disabled`, inverted (`true`/`1` = TLS on, `false`/`0` = off) |
//! | `TEMPORAL_TLS_CLIENT_CERT_PATH` / `_DATA` | `tls.client_cert_path` / `_data` |
//! | `TEMPORAL_TLS_CLIENT_KEY_PATH` / `_DATA` | `tls.client_key_path` / `_data` |
//! | `TEMPORAL_TLS_SERVER_CA_CERT_PATH` / `_DATA` | `tls.server_ca_cert_path` / `_data` |
//! | `TEMPORAL_TLS_SERVER_NAME` | `tls.server_name` |
//! | `TEMPORAL_TLS_DISABLE_HOST_VERIFICATION` | `tls.disable_host_verification` |
//! | `TEMPORAL_CODEC_ENDPOINT`, `TEMPORAL_CODEC_AUTH` | `codec.endpoint`, `codec.auth` |
//! | `TEMPORAL_GRPC_META_<NAME>` | `grpc_meta.<name>` (lower case, `_` → `-`; empty removes) |
//!
//! Setting any `TEMPORAL_TLS*` variable creates the TLS table, which turns TLS on unless
//! `tls.disabled` is true. TLS is on when the profile has a TLS table that is not disabled, or
//! has an API key and no TLS table.
//!
//! ```toml
//! [profile.default]
//! address = "localhost:7233"
//! namespace = "default"
//!
//! [profile.cloud]
//! address = "my-ns.a1b2c.tmprl.cloud:7233"
//! namespace = "my-ns.a1b2c"
//! api_key = "..."
//!
//! [profile.mtls.tls]
//! client_cert_path = "/etc/temporal/client.pem"
//! client_key_path = "/etc/temporal/client.key"
//!
//! [profile.mtls.grpc_meta]
//! x_team = "payments"   # sent as header x-team
//! ```
//!
//! # Differences from the Python SDK
//!
//! For the same file and variables the resolved profile is the same, with these deliberate
//! exceptions:
//!
//! - An empty address or namespace (e.g. `TEMPORAL_NAMESPACE=""`) falls back to the default
//!   (`localhost:7233`, `default`); Python passes the empty string on. Python applies no
//!   default address at all.
//! - An empty API key means "no API key" (as in Go); Python would send `Bearer ` and turn TLS
//!   on.
//! - An empty `TEMPORAL_TLS_*_DATA` counts as absent, as an empty `*_data` in the file already
//!   does everywhere.
//! - The address must carry a port (`host:port`); an address without one is an error rather
//!   than a connection to port 80. `http://` with TLS on, and `https://` with TLS off, are
//!   errors instead of being passed through.
//! - Type errors and unknown keys (strict mode) name the full key, e.g.
//!   `profile.default.tls.disabled`; unknown keys outside strict mode are logged at `warn`.
//! - With an injected environment ([`ConfigLoader::env`]), `HOME`, `XDG_CONFIG_HOME` and
//!   `APPDATA` are read from that map too, so tests never see the real default file.
//! - `tls.disable_host_verification` is loaded but, as in Python and the Rust core, not
//!   applied; a warning is logged when it is set.
//! - `codec` is loaded for tools to read ([`ClientConfig::codec`]) and not applied, as in
//!   Python.
//!
//! As in Python, `disable_env` stops the overlay and `TEMPORAL_PROFILE`, but
//! `TEMPORAL_CONFIG_FILE` is still used to find the file.

mod env;
mod file;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use config::{Map, Value, ValueKind};
use serde::Deserialize;

use crate::error::ConfigError;
use crate::options::{ConnectionOptions, parse_address};
use crate::tls::{self, TlsOptions};

use env::{Env, FileContext, PemInFile};
use file::{FileSource, PEM_KEYS};

/// The address used when the profile has none: `localhost:7233`.
pub const DEFAULT_ADDRESS: &str = "localhost:7233";
/// The namespace used when the profile has none: `default`.
pub const DEFAULT_NAMESPACE: &str = "default";
/// The profile used when none is named: `default`.
pub const DEFAULT_PROFILE: &str = "default";

/// The OS default location of the client configuration file, for the current process
/// environment: `<config dir>/temporalio/temporal.toml`. `None` when no home directory is
/// known.
pub fn default_config_file() -> Option<PathBuf> {
    Env::process().ok()?.default_config_file()
}

/// Lower-cases a header name and turns `_` into `-`, as every SDK does for `grpc_meta` keys.
pub(crate) fn normalize_header_name(name: &str) -> String {
    name.to_lowercase().replace('_', "-")
}

/// Where a setting came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
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
pub(crate) struct Setting<T> {
    pub(crate) value: T,
    pub(crate) origin: Origin,
}

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
    disabled: Option<Setting<bool>>,
    client_cert: Option<Setting<PemSource>>,
    client_key: Option<Setting<PemSource>>,
    server_ca_cert: Option<Setting<PemSource>>,
    server_name: Option<String>,
    disable_host_verification: bool,
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

/// A resolved client profile: file, environment and code overrides applied.
///
/// Build one with [`ClientConfig::load`] (the defaults) or [`ClientConfig::loader`], adjust it
/// with the `with_*` methods, then connect with
/// [`Connection::connect_config`](crate::Connection::connect_config) or get the
/// [`ConnectionOptions`] with [`connection_options`](Self::connection_options).
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
#[derive(Clone, PartialEq, Eq)]
pub struct ClientConfig {
    profile: String,
    config_file: Option<PathBuf>,
    address: Option<Setting<String>>,
    namespace: Option<Setting<String>>,
    api_key: Option<Setting<String>>,
    tls: Option<TlsConfig>,
    codec: Option<CodecConfig>,
    grpc_meta: BTreeMap<String, Setting<String>>,
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
    /// Loads the selected profile from the configuration file and the process environment,
    /// like Python's `ClientConfig.load_client_connect_config()`.
    ///
    /// Same as `ClientConfig::loader().load()`.
    ///
    /// # Errors
    /// See [`ConfigLoader::load`].
    pub fn load() -> Result<Self, ConfigError> {
        Self::loader().load()
    }

    /// A loader to choose the profile, the file, the environment and strictness.
    pub fn loader() -> ConfigLoader {
        ConfigLoader::default()
    }

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

    /// Turns the profile into connection options: address and namespace with defaults, the API
    /// key, headers, and TLS as the profile decides, with certificate files read now.
    ///
    /// # Errors
    /// - [`ConfigError::InvalidAddress`] when the address is not `host:port` (or an
    ///   `http://`/`https://` URL that agrees with the TLS decision);
    /// - [`ConfigError::IncompleteClientIdentity`] when TLS is on and only one of client
    ///   certificate and key is set;
    /// - [`ConfigError::ReadPem`] when a certificate or key file cannot be read;
    /// - [`ConfigError::InvalidPem`] when it holds no usable PEM;
    /// - [`ConfigError::InvalidHeader`] when a `grpc_meta` entry is not a valid gRPC header.
    pub fn connection_options(&self) -> Result<ConnectionOptions, ConfigError> {
        let mut options = ConnectionOptions::new(self.address()).namespace(self.namespace());
        if let Some(key) = self.api_key() {
            options = options.api_key(key);
        }
        options = if self.tls_enabled() {
            options.tls(self.tls_options()?)
        } else {
            options.disable_tls()
        };
        for (name, setting) in &self.grpc_meta {
            crate::metadata::check_header(name, &setting.value).map_err(|reason| {
                ConfigError::InvalidHeader {
                    name: name.clone(),
                    origin: setting.origin.to_string(),
                    reason,
                }
            })?;
            options = options.header(name.clone(), setting.value.clone());
        }
        if let Err(reason) = parse_address(&options) {
            return Err(ConfigError::InvalidAddress {
                address: self.address().to_owned(),
                origin: self.address_origin(),
                reason,
            });
        }
        Ok(options)
    }

    fn address_origin(&self) -> String {
        match &self.address {
            Some(s) if !s.value.is_empty() => s.origin.to_string(),
            _ => "the default".to_owned(),
        }
    }

    /// Builds TLS options from the TLS table (or the defaults when only an API key asked for
    /// TLS), reading files.
    fn tls_options(&self) -> Result<TlsOptions, ConfigError> {
        let Some(tls) = &self.tls else {
            return Ok(TlsOptions::new());
        };
        if tls.disable_host_verification {
            tracing::warn!(
                profile = %self.profile,
                "tls.disable_host_verification is set but not applied (Python and the Rust \
                 core ignore it too); use tls.server_name to match the server's certificate"
            );
        }
        let mut options = TlsOptions::new();
        match (&tls.client_cert, &tls.client_key) {
            (Some(cert), Some(key)) => {
                let cert_pem = read_pem(cert, "client certificate")?;
                let key_pem = read_pem(key, "client key")?;
                tls::check_certificates(&cert_pem).map_err(|reason| ConfigError::InvalidPem {
                    item: "client certificate",
                    origin: cert.origin.to_string(),
                    reason,
                })?;
                tls::check_private_key(&key_pem).map_err(|reason| ConfigError::InvalidPem {
                    item: "client key",
                    origin: key.origin.to_string(),
                    reason,
                })?;
                options = options.client_identity(cert_pem, key_pem);
            }
            (Some(cert), None) => {
                return Err(ConfigError::IncompleteClientIdentity {
                    present: "client certificate",
                    origin: cert.origin.to_string(),
                    missing: "tls.client_key_path or tls.client_key_data (or TEMPORAL_TLS_CLIENT_KEY_PATH / _DATA)",
                });
            }
            (None, Some(key)) => {
                return Err(ConfigError::IncompleteClientIdentity {
                    present: "client key",
                    origin: key.origin.to_string(),
                    missing: "tls.client_cert_path or tls.client_cert_data (or TEMPORAL_TLS_CLIENT_CERT_PATH / _DATA)",
                });
            }
            (None, None) => {}
        }
        if let Some(ca) = &tls.server_ca_cert {
            let pem = read_pem(ca, "server CA certificate")?;
            tls::check_certificates(&pem).map_err(|reason| ConfigError::InvalidPem {
                item: "server CA certificate",
                origin: ca.origin.to_string(),
                reason,
            })?;
            options = options.server_ca_pem(pem);
        }
        if let Some(name) = tls.server_name.as_deref().filter(|n| !n.is_empty()) {
            options = options.server_name(name);
        }
        Ok(options)
    }
}

/// Reads a certificate or key from its file, or takes its inline PEM.
fn read_pem(setting: &Setting<PemSource>, item: &'static str) -> Result<Vec<u8>, ConfigError> {
    match &setting.value {
        PemSource::Data(data) => Ok(data.clone()),
        PemSource::Path(path) => std::fs::read(path).map_err(|e| ConfigError::ReadPem {
            item,
            path: path.clone(),
            origin: setting.origin.to_string(),
            reason: io_reason(&e),
        }),
    }
}

/// The OS error without the redundant "(os error N)" suffix.
fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Loads a [`ClientConfig`]: which profile, which file, which environment.
///
/// ```
/// # use std::collections::HashMap;
/// # use solo_connect::ClientConfig;
/// let config = ClientConfig::loader()
///     .disable_file()
///     .env(HashMap::from([("TEMPORAL_ADDRESS".into(), "10.0.0.5:7233".into())]))
///     .load()?;
/// assert_eq!(config.address(), "10.0.0.5:7233");
/// # Ok::<(), solo_connect::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a loader does nothing until load() is called"]
pub struct ConfigLoader {
    profile: Option<String>,
    source: Option<ExplicitSource>,
    env: Option<HashMap<String, String>>,
    disable_file: bool,
    disable_env: bool,
    strict: bool,
}

#[derive(Debug, Clone)]
enum ExplicitSource {
    File(PathBuf),
    Data(String),
}

impl ConfigLoader {
    /// Selects a profile by name; it must exist in the file. Default: `TEMPORAL_PROFILE`, else
    /// `default` (which may be missing).
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Reads this file instead of `TEMPORAL_CONFIG_FILE` or the default location. A file that
    /// does not exist counts as empty (a warning is logged), as in every other SDK.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(ExplicitSource::File(path.into()));
        self
    }

    /// Parses this TOML text instead of reading a file.
    pub fn config_data(mut self, toml: impl Into<String>) -> Self {
        self.source = Some(ExplicitSource::Data(toml.into()));
        self
    }

    /// Uses this map as the whole environment instead of the process's (for tests). `HOME`,
    /// `XDG_CONFIG_HOME` and `APPDATA` in it decide the default file location.
    pub fn env(mut self, vars: HashMap<String, String>) -> Self {
        self.env = Some(vars);
        self
    }

    /// Reads no file: the profile comes from the environment (and code) alone.
    pub fn disable_file(mut self) -> Self {
        self.disable_file = true;
        self
    }

    /// Applies no `TEMPORAL_*` overlay and ignores `TEMPORAL_PROFILE`. `TEMPORAL_CONFIG_FILE`
    /// still locates the file, as in the other SDKs.
    pub fn disable_env(mut self) -> Self {
        self.disable_env = true;
        self
    }

    /// Rejects keys that no SDK understands (e.g. a misspelt `adress`) instead of ignoring them.
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Loads the profile.
    ///
    /// # Errors
    /// [`ConfigError::NothingToLoad`] when both file and environment are disabled;
    /// [`ConfigError::ReadFile`], [`ConfigError::MalformedToml`], [`ConfigError::WrongType`]
    /// and (strict mode) [`ConfigError::UnknownKey`] for file problems;
    /// [`ConfigError::ProfileNotFound`] when a named profile is missing;
    /// [`ConfigError::PathAndData`] and [`ConfigError::EnvConflictsWithFile`] when a
    /// certificate or key is given both as a path and as data;
    /// [`ConfigError::NonUnicodeEnv`] for a `TEMPORAL_*` variable that is not UTF-8.
    pub fn load(self) -> Result<ClientConfig, ConfigError> {
        if self.disable_file && self.disable_env {
            return Err(ConfigError::NothingToLoad);
        }
        let env = match self.env {
            Some(vars) => Env::injected(vars),
            None => Env::process()?,
        };

        // 1. Which file, and its profiles.
        let mut source = None;
        let mut parsed = file::ParsedFile::default();
        let mut file_exists = false;
        if !self.disable_file {
            let (src, text) = match self.source {
                Some(ExplicitSource::Data(text)) => (FileSource::Data, Some(text)),
                Some(ExplicitSource::File(path)) => {
                    let text = file::read(&path)?;
                    if text.is_none() {
                        tracing::warn!(
                            file = %path.display(),
                            "the Temporal client config file does not exist; using an empty config"
                        );
                    }
                    (FileSource::Path(path), text)
                }
                None => match env.non_empty(env::CONFIG_FILE_VAR).map(PathBuf::from) {
                    Some(path) => {
                        let text = file::read(&path)?;
                        if text.is_none() {
                            tracing::warn!(
                                file = %path.display(),
                                "TEMPORAL_CONFIG_FILE names a file that does not exist; \
                                 using an empty config"
                            );
                        }
                        (FileSource::Path(path), text)
                    }
                    None => match env.default_config_file() {
                        Some(path) => {
                            let text = file::read(&path)?;
                            (FileSource::Path(path), text)
                        }
                        None => (FileSource::Nowhere, None),
                    },
                },
            };
            if let Some(text) = text {
                file_exists = true;
                parsed = file::parse(&text, &src.label(), self.strict)?;
            }
            source = Some(src);
        }
        let label = source
            .as_ref()
            .map_or_else(|| "<no file>".to_owned(), FileSource::label);

        // 2. Which profile.
        let (profile, chosen_by) = match self.profile {
            Some(name) => (name, Some("ConfigLoader::profile")),
            None => match (!self.disable_env)
                .then(|| env.non_empty(env::PROFILE_VAR))
                .flatten()
            {
                Some(name) => (name.to_owned(), Some(env::PROFILE_VAR)),
                None => (DEFAULT_PROFILE.to_owned(), None),
            },
        };
        let file_profile = match parsed.profiles.remove(&profile) {
            Some(table) => table,
            None if chosen_by.is_some() && !self.disable_file => {
                let known = if !file_exists {
                    "the file does not exist".to_owned()
                } else if parsed.profiles.is_empty() {
                    "the file defines no profiles".to_owned()
                } else {
                    let names: Vec<&str> = parsed.profiles.keys().map(String::as_str).collect();
                    format!("known profiles: {}", names.join(", "))
                };
                return Err(ConfigError::ProfileNotFound {
                    profile,
                    chosen_by: chosen_by.unwrap_or_default().to_owned(),
                    file: label,
                    known,
                });
            }
            None => Map::new(),
        };

        // 3. The environment overlay.
        let overlay = if self.disable_env {
            env::Overlay::default()
        } else {
            let context = FileContext {
                label: &label,
                profile: &profile,
                pem: pem_in_file(&file_profile),
            };
            env::overlay(&env, &context)?
        };

        // Layer file and environment with `config`, then read the result with serde.
        let merged: RawProfile = config::Config::builder()
            .add_source(Layer(file_profile.clone()))
            .add_source(Layer(overlay.layer.clone()))
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| ConfigError::WrongType {
                file: label.clone(),
                key: format!("profile.{profile}"),
                expected: "a profile table",
                found: e.to_string(),
                fix: "check the profile's keys against the documented schema".to_owned(),
            })?;

        let origins = Origins {
            file: &label,
            profile: &profile,
            applied: &overlay.applied,
        };
        let setting = |value: Option<String>, key: &str| {
            value.map(|value| Setting {
                value,
                origin: origins.of(key),
            })
        };
        let tls = merged.tls.map(|raw| TlsConfig {
            disabled: raw.disabled.map(|value| Setting {
                value,
                origin: origins.of("tls.disabled"),
            }),
            client_cert: pem_setting(&origins, raw.client_cert_path, raw.client_cert_data, 0),
            client_key: pem_setting(&origins, raw.client_key_path, raw.client_key_data, 1),
            server_ca_cert: pem_setting(
                &origins,
                raw.server_ca_cert_path,
                raw.server_ca_cert_data,
                2,
            ),
            server_name: raw.server_name,
            disable_host_verification: raw.disable_host_verification.unwrap_or(false),
        });
        let grpc_meta = merged
            .grpc_meta
            .into_iter()
            .filter_map(|(name, value)| {
                let value = value?;
                let origin = match overlay.headers.get(&name) {
                    Some(var) => Origin::Env(var.clone()),
                    None => origins.file_origin(&format!("grpc_meta.{name}")),
                };
                Some((name, Setting { value, origin }))
            })
            .collect();

        Ok(ClientConfig {
            config_file: match (&source, file_exists) {
                (Some(FileSource::Path(path)), true) => Some(path.clone()),
                _ => None,
            },
            address: setting(merged.address, "address"),
            namespace: setting(merged.namespace, "namespace"),
            api_key: setting(merged.api_key, "api_key"),
            tls,
            codec: merged.codec.map(|raw| CodecConfig {
                endpoint: raw.endpoint,
                auth: raw.auth,
            }),
            grpc_meta,
            profile,
        })
    }
}

/// How each certificate/key appears in the file's (cleaned) profile table.
fn pem_in_file(profile: &Map<String, Value>) -> [PemInFile; 3] {
    let mut out = [PemInFile::Absent; 3];
    if let Some(ValueKind::Table(tls)) = profile.get("tls").map(|v| &v.kind) {
        for (i, (path_key, data_key)) in PEM_KEYS.iter().enumerate() {
            if tls.contains_key(*path_key) {
                out[i] = PemInFile::Path;
            } else if tls.contains_key(*data_key) {
                out[i] = PemInFile::Data;
            }
        }
    }
    out
}

/// Resolves which layer set each key.
struct Origins<'a> {
    file: &'a str,
    profile: &'a str,
    applied: &'a HashMap<String, String>,
}

impl Origins<'_> {
    fn of(&self, key: &str) -> Origin {
        match self.applied.get(key) {
            Some(var) => Origin::Env(var.clone()),
            None => self.file_origin(key),
        }
    }

    fn file_origin(&self, key: &str) -> Origin {
        Origin::File {
            key: key.to_owned(),
            profile: self.profile.to_owned(),
            file: self.file.to_owned(),
        }
    }
}

fn pem_setting(
    origins: &Origins<'_>,
    path: Option<String>,
    data: Option<String>,
    index: usize,
) -> Option<Setting<PemSource>> {
    let (path_key, data_key) = PEM_KEYS[index];
    if let Some(path) = path {
        return Some(Setting {
            value: PemSource::Path(PathBuf::from(path)),
            origin: origins.of(&format!("tls.{path_key}")),
        });
    }
    data.filter(|d| !d.is_empty()).map(|data| Setting {
        value: PemSource::Data(data.into_bytes()),
        origin: origins.of(&format!("tls.{data_key}")),
    })
}

/// A ready-made table, as a `config` source.
#[derive(Debug, Clone)]
struct Layer(Map<String, Value>);

impl config::Source for Layer {
    fn clone_into_box(&self) -> Box<dyn config::Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, config::ConfigError> {
        Ok(self.0.clone())
    }
}

/// A profile after layering, as serde reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawProfile {
    address: Option<String>,
    namespace: Option<String>,
    api_key: Option<String>,
    tls: Option<RawTls>,
    codec: Option<RawCodec>,
    /// `None` values are headers an empty `TEMPORAL_GRPC_META_*` removed.
    grpc_meta: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawTls {
    disabled: Option<bool>,
    client_cert_path: Option<String>,
    client_cert_data: Option<String>,
    client_key_path: Option<String>,
    client_key_data: Option<String>,
    server_ca_cert_path: Option<String>,
    server_ca_cert_data: Option<String>,
    server_name: Option<String>,
    disable_host_verification: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawCodec {
    endpoint: Option<String>,
    auth: Option<String>,
}

//! The errors of this crate: [`ConfigError`] for loading a profile, [`ConnectError`] for
//! reaching a server.
//!
//! Every message is one line that names what is wrong (the file, profile, key or environment
//! variable at fault, or the address that failed) and how to fix it. Causes from other crates
//! are folded into the message as text, so printing an error with `{}` is enough.

use std::path::PathBuf;

/// Loading a client profile from `temporal.toml` and `TEMPORAL_*` variables failed, or the
/// profile cannot be turned into connection options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file is not valid TOML.
    #[error(
        "{file} is not valid TOML: {message} (line {line}, column {column}); fix the syntax there (strings need double quotes, e.g. address = \"localhost:7233\")"
    )]
    MalformedToml {
        /// The file (or `<config data>` for in-memory TOML).
        file: String,
        /// What the parser reported.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },

    /// A key holds a value of the wrong type.
    #[error("`{key}` in {file} must be {expected}, found {found}; {fix}")]
    WrongType {
        /// The file (or `<config data>`).
        file: String,
        /// The dotted key, e.g. `profile.default.tls.disabled`.
        key: String,
        /// The TOML type the key needs.
        expected: &'static str,
        /// What the file holds instead.
        found: String,
        /// How to write it.
        fix: String,
    },

    /// Strict mode found a key that no SDK understands.
    #[error(
        "unknown key `{key}` in {file} (strict mode); remove it or fix its spelling (allowed here: {allowed})"
    )]
    UnknownKey {
        /// The file (or `<config data>`).
        file: String,
        /// The dotted key.
        key: String,
        /// The keys allowed at that level, comma-separated.
        allowed: String,
    },

    /// A profile was asked for by name (in code or with `TEMPORAL_PROFILE`) but the file has
    /// no such profile.
    #[error(
        "profile \"{profile}\" (chosen by {chosen_by}) not found in {file} ({known}); add a [profile.{profile}] table to the file or choose an existing profile"
    )]
    ProfileNotFound {
        /// The requested profile.
        profile: String,
        /// Who asked for it: `TEMPORAL_PROFILE` or `ConfigLoader::profile`.
        chosen_by: String,
        /// The file that was searched.
        file: String,
        /// The profiles the file has, or why it has none.
        known: String,
    },

    /// The configuration file exists but cannot be read.
    #[error(
        "cannot read config file {}: {reason}; make it a readable file, or point TEMPORAL_CONFIG_FILE at another one",
        path.display()
    )]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },

    /// A certificate or key is given both as a path and as inline data in one place.
    #[error(
        "{path_key} and {data_key} are both set{location}; set only one of them (a file path or the PEM text)"
    )]
    PathAndData {
        /// The path key or variable.
        path_key: String,
        /// The data key or variable.
        data_key: String,
        /// Where, e.g. ` in profile "default" of /etc/temporal.toml` (may be empty).
        location: String,
    },

    /// An environment variable gives a certificate or key one way (path or data) while the
    /// file gives it the other way.
    #[error(
        "{env_var} sets the {item} as {}, but {file_key}{location} already sets it as {}; unset {env_var} or remove {file_key}",
        path_or_data(.env_gives_path),
        path_or_data(&!.env_gives_path)
    )]
    EnvConflictsWithFile {
        /// The variable.
        env_var: String,
        /// What it configures: `client certificate`, `client key` or `server CA certificate`.
        item: &'static str,
        /// Whether the variable gives a path (else PEM data).
        env_gives_path: bool,
        /// The key in the file.
        file_key: String,
        /// Where, e.g. ` in profile "default" of /etc/temporal.toml`.
        location: String,
    },

    /// Both sources were switched off, so there is nothing to load.
    #[error(
        "cannot disable both file and environment loading; keep at least one (drop disable_file() or disable_env())"
    )]
    NothingToLoad,

    /// A client certificate was given without its key, or a key without its certificate.
    #[error(
        "mutual TLS needs both a client certificate and a client key, but only the {present} is set (by {origin}); also set {missing}"
    )]
    IncompleteClientIdentity {
        /// `client certificate` or `client key`.
        present: &'static str,
        /// Where it was set.
        origin: String,
        /// The keys or variables that would supply the missing half.
        missing: &'static str,
    },

    /// A certificate or key file named in the profile cannot be read.
    #[error("cannot read the {item} file {} (set by {origin}): {reason}; fix the path or provide the PEM text instead", path.display())]
    ReadPem {
        /// `client certificate`, `client key` or `server CA certificate`.
        item: &'static str,
        /// The file.
        path: PathBuf,
        /// Where the path was set.
        origin: String,
        /// The operating system's reason.
        reason: String,
    },

    /// A certificate or key holds no usable PEM.
    #[error("the {item} set by {origin} is not usable: {reason}")]
    InvalidPem {
        /// `client certificate`, `client key` or `server CA certificate`.
        item: &'static str,
        /// Where it was set.
        origin: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// The address cannot be used.
    #[error("invalid Temporal address `{address}` (set by {origin}): {reason}")]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// Where it was set.
        origin: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// A `grpc_meta` entry cannot be sent as a gRPC header.
    #[error("invalid gRPC header `{name}` (set by {origin}): {reason}")]
    InvalidHeader {
        /// The header name.
        name: String,
        /// Where it was set.
        origin: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// An environment variable holds bytes that are not UTF-8.
    #[error("environment variable {var} is not valid UTF-8; set it to a UTF-8 value or unset it")]
    NonUnicodeEnv {
        /// The variable.
        var: String,
    },
}

fn path_or_data(path: &bool) -> &'static str {
    if *path { "a path" } else { "PEM data" }
}

/// Connecting to a Temporal server failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The profile could not be turned into connection options.
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// The address cannot be used.
    #[error("invalid Temporal address `{address}`: {reason}")]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// A header cannot be sent as gRPC metadata.
    #[error("invalid gRPC header `{name}`: {reason}")]
    InvalidHeader {
        /// The header name.
        name: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// The TLS settings are unusable (bad PEM, no root certificates, bad server name).
    #[error("invalid TLS settings for {address}: {reason}")]
    Tls {
        /// The address being connected to.
        address: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// Nothing answered at the address, the TLS handshake failed, or the connection broke.
    #[error("cannot connect to Temporal at {address}: {reason}; {hint}")]
    Unreachable {
        /// The address.
        address: String,
        /// The lowest-level cause reported.
        reason: String,
        /// What to check.
        hint: &'static str,
    },

    /// Something answered, but it is not a Temporal frontend.
    #[error(
        "{address} answered, but not as a Temporal server: {reason}; check the host and port (the Temporal frontend listens on 7233 by default)"
    )]
    NotTemporal {
        /// The address.
        address: String,
        /// What the endpoint answered.
        reason: String,
    },

    /// The server answered the connect-time `GetSystemInfo` call with an error.
    #[error("Temporal at {address} refused the connection: {code}: {message}; {hint}")]
    Rejected {
        /// The address.
        address: String,
        /// The gRPC status code name, e.g. `UNAUTHENTICATED`.
        code: &'static str,
        /// The server's message.
        message: String,
        /// What to check.
        hint: &'static str,
    },
}

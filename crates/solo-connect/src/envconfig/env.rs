//! The environment side of envconfig: a snapshot of the variables, the default file location,
//! and the overlay that `TEMPORAL_*` variables put on top of a profile.

use std::collections::HashMap;
use std::path::PathBuf;

use config::{Map, Value, ValueKind};

use super::file::PEM_KEYS;
use crate::error::ConfigError;

/// `TEMPORAL_CONFIG_FILE`: the TOML file to read.
pub(super) const CONFIG_FILE_VAR: &str = "TEMPORAL_CONFIG_FILE";
/// `TEMPORAL_PROFILE`: the profile to select.
pub(super) const PROFILE_VAR: &str = "TEMPORAL_PROFILE";
/// Prefix of the header variables.
pub(super) const GRPC_META_PREFIX: &str = "TEMPORAL_GRPC_META_";

/// Every variable that configures TLS; setting any of them creates the TLS table.
const TLS_VARS: &[&str] = &[
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_CERT_DATA",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_DATA",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
    "TEMPORAL_TLS_SERVER_NAME",
    "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
];

/// Every variable that configures the codec; setting any of them creates the codec table.
const CODEC_VARS: &[&str] = &["TEMPORAL_CODEC_ENDPOINT", "TEMPORAL_CODEC_AUTH"];

/// The variables behind each TLS path/data pair, in [`PEM_KEYS`] order, with the item name.
const PEM_VARS: &[(&str, &str, &str)] = &[
    (
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_CERT_DATA",
        "client certificate",
    ),
    (
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
        "TEMPORAL_TLS_CLIENT_KEY_DATA",
        "client key",
    ),
    (
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        "server CA certificate",
    ),
];

/// The environment the loader reads: either a snapshot of the process environment or a map
/// given by the caller (for tests), which then also decides the default file location.
#[derive(Debug, Clone)]
pub(super) struct Env {
    vars: HashMap<String, String>,
    config_dir: Option<PathBuf>,
}

impl Env {
    /// Snapshots the process environment: every `TEMPORAL_*` variable, and the OS config
    /// directory.
    pub(super) fn process() -> Result<Self, ConfigError> {
        let mut vars = HashMap::new();
        for (key, value) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if !key.starts_with("TEMPORAL_") {
                continue;
            }
            match value.into_string() {
                Ok(value) => {
                    vars.insert(key.to_owned(), value);
                }
                Err(_) if is_read(key) => {
                    return Err(ConfigError::NonUnicodeEnv {
                        var: key.to_owned(),
                    });
                }
                // A variable of some other tool that happens to share the prefix.
                Err(_) => {}
            }
        }
        let config_dir = os_config_dir(|name| std::env::var_os(name).map(PathBuf::from));
        Ok(Self { vars, config_dir })
    }

    /// Uses the given map as the whole environment. `HOME`, `XDG_CONFIG_HOME` and `APPDATA`
    /// from the map decide the default file location, so no process state leaks in.
    pub(super) fn injected(vars: HashMap<String, String>) -> Self {
        let config_dir =
            os_config_dir(|name| vars.get(name).filter(|v| !v.is_empty()).map(PathBuf::from));
        Self { vars, config_dir }
    }

    /// A variable's value, if set (possibly empty).
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable's value if set and not empty (empty means unset for the file and profile
    /// choice).
    pub(super) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// `<config dir>/temporalio/temporal.toml` for this environment.
    pub(super) fn default_config_file(&self) -> Option<PathBuf> {
        self.config_dir
            .as_ref()
            .map(|dir| dir.join("temporalio").join("temporal.toml"))
    }
}

/// Whether the loader reads this variable.
fn is_read(name: &str) -> bool {
    const VALUE_VARS: &[&str] = &[
        CONFIG_FILE_VAR,
        PROFILE_VAR,
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_API_KEY",
    ];
    VALUE_VARS.contains(&name)
        || TLS_VARS.contains(&name)
        || CODEC_VARS.contains(&name)
        || name.starts_with(GRPC_META_PREFIX)
}

/// The per-user configuration directory, as `dirs::config_dir` and Go's `os.UserConfigDir`
/// define it, read through `lookup`.
fn os_config_dir(lookup: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    if cfg!(windows) {
        lookup("APPDATA")
    } else if cfg!(target_os = "macos") {
        lookup("HOME").map(|home| home.join("Library").join("Application Support"))
    } else {
        lookup("XDG_CONFIG_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| lookup("HOME").map(|home| home.join(".config")))
    }
}

/// What the file's profile says about one certificate or key, for conflict checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PemInFile {
    Absent,
    Path,
    Data,
}

/// The environment's contribution to a profile: a table layered over the file's, and which
/// variable set which setting (so messages can name it).
#[derive(Debug, Default)]
pub(super) struct Overlay {
    /// Settings, shaped like a profile table.
    pub(super) layer: Map<String, Value>,
    /// Dotted setting (`address`, `tls.client_cert_path`, …) to the variable that set it.
    pub(super) applied: HashMap<String, String>,
    /// Header name to the variable that set (or removed) it.
    pub(super) headers: HashMap<String, String>,
}

/// Context for messages about conflicts with the file.
pub(super) struct FileContext<'a> {
    pub(super) label: &'a str,
    pub(super) profile: &'a str,
    /// What the profile's TLS table holds for each of [`PEM_KEYS`].
    pub(super) pem: [PemInFile; 3],
}

/// Builds the overlay of every set `TEMPORAL_*` variable (envconfig §3).
pub(super) fn overlay(env: &Env, file: &FileContext<'_>) -> Result<Overlay, ConfigError> {
    let mut out = Overlay::default();

    for (var, key) in [
        ("TEMPORAL_ADDRESS", "address"),
        ("TEMPORAL_NAMESPACE", "namespace"),
        ("TEMPORAL_API_KEY", "api_key"),
    ] {
        if let Some(value) = env.get(var) {
            out.set(&[key], var, text(value));
        }
    }

    if TLS_VARS.iter().any(|v| env.get(v).is_some()) {
        out.ensure_table("tls");
        if let Some(on) = env
            .get("TEMPORAL_TLS")
            .and_then(|raw| parse_bool("TEMPORAL_TLS", raw))
        {
            out.set(&["tls", "disabled"], "TEMPORAL_TLS", boolean(!on));
        }
        for (i, (path_var, data_var, item)) in PEM_VARS.iter().enumerate() {
            let (path_key, data_key) = PEM_KEYS[i];
            match (env.get(path_var), env.get(data_var)) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError::PathAndData {
                        path_key: (*path_var).to_owned(),
                        data_key: (*data_var).to_owned(),
                        location: String::new(),
                    });
                }
                (Some(path), None) => {
                    if file.pem[i] == PemInFile::Data {
                        return Err(conflict(file, path_var, item, true, data_key));
                    }
                    out.set(&["tls", path_key], path_var, text(path));
                }
                (None, Some(data)) => {
                    if file.pem[i] == PemInFile::Path {
                        return Err(conflict(file, data_var, item, false, path_key));
                    }
                    out.set(&["tls", data_key], data_var, text(data));
                }
                (None, None) => {}
            }
        }
        if let Some(name) = env.get("TEMPORAL_TLS_SERVER_NAME") {
            out.set(
                &["tls", "server_name"],
                "TEMPORAL_TLS_SERVER_NAME",
                text(name),
            );
        }
        let var = "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION";
        if let Some(skip) = env.get(var).and_then(|raw| parse_bool(var, raw)) {
            out.set(&["tls", "disable_host_verification"], var, boolean(skip));
        }
    }

    if CODEC_VARS.iter().any(|v| env.get(v).is_some()) {
        out.ensure_table("codec");
        for (var, key) in [
            ("TEMPORAL_CODEC_ENDPOINT", "endpoint"),
            ("TEMPORAL_CODEC_AUTH", "auth"),
        ] {
            if let Some(value) = env.get(var) {
                out.set(&["codec", key], var, text(value));
            }
        }
    }

    let mut meta: Vec<(&String, &String)> = env
        .vars
        .iter()
        .filter(|(k, _)| k.starts_with(GRPC_META_PREFIX))
        .collect();
    // A stable order, so that two variables naming the same header resolve the same way on
    // every run.
    meta.sort();
    for (var, value) in meta {
        let suffix = &var[GRPC_META_PREFIX.len()..];
        if suffix.is_empty() {
            tracing::warn!(
                var = %var,
                "ignoring {var}: put the header name after the prefix, e.g. {GRPC_META_PREFIX}X_TEAM"
            );
            continue;
        }
        let header = super::normalize_header_name(suffix);
        // Set-but-empty removes the header; `Nil` makes the merged map drop it.
        let kind = if value.is_empty() {
            ValueKind::Nil
        } else {
            ValueKind::String(value.clone())
        };
        out.ensure_table("grpc_meta");
        if let Some(ValueKind::Table(table)) = out.layer.get_mut("grpc_meta").map(|v| &mut v.kind) {
            table.insert(header.clone(), Value::new(Some(var), kind));
        }
        out.headers.insert(header, var.clone());
    }

    Ok(out)
}

impl Overlay {
    fn ensure_table(&mut self, key: &str) {
        self.layer
            .entry(key.to_owned())
            .or_insert_with(|| Value::new(None, Map::<String, Value>::new()));
    }

    /// Sets `path` (one or two keys deep) to `value`, recording `var` as its origin.
    fn set(&mut self, path: &[&str], var: &str, value: ValueKind) {
        let value = Value::new(Some(&var.to_owned()), value);
        match path {
            [key] => {
                self.layer.insert((*key).to_owned(), value);
            }
            [table, key] => {
                self.ensure_table(table);
                if let Some(ValueKind::Table(inner)) =
                    self.layer.get_mut(*table).map(|v| &mut v.kind)
                {
                    inner.insert((*key).to_owned(), value);
                }
            }
            _ => {}
        }
        self.applied.insert(path.join("."), var.to_owned());
    }
}

fn text(value: &str) -> ValueKind {
    ValueKind::String(value.to_owned())
}

fn boolean(value: bool) -> ValueKind {
    ValueKind::Boolean(value)
}

fn conflict(
    file: &FileContext<'_>,
    env_var: &str,
    item: &'static str,
    env_gives_path: bool,
    file_key: &str,
) -> ConfigError {
    ConfigError::EnvConflictsWithFile {
        env_var: env_var.to_owned(),
        item,
        env_gives_path,
        file_key: format!("`tls.{file_key}`"),
        location: format!(" in profile \"{}\" of {}", file.profile, file.label),
    }
}

/// Parses a boolean variable the way every SDK does: `true`/`1` and `false`/`0`, any case.
/// Anything else is ignored, with a warning.
pub(super) fn parse_bool(var: &str, raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => {
            tracing::warn!(
                var,
                value = raw,
                "ignoring {var}: expected true, false, 1 or 0"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_the_four_spellings_in_any_case() {
        for (raw, expected) in [
            ("true", Some(true)),
            ("TRUE", Some(true)),
            ("1", Some(true)),
            ("False", Some(false)),
            ("0", Some(false)),
            ("yes", None),
            ("", None),
        ] {
            assert_eq!(parse_bool("X", raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn default_file_follows_the_os_config_dir() {
        let env = Env::injected(HashMap::from([
            ("HOME".to_owned(), "/home/ada".to_owned()),
            (
                "APPDATA".to_owned(),
                "C:\\Users\\ada\\AppData\\Roaming".to_owned(),
            ),
        ]));
        let path = env.default_config_file().unwrap();
        let expected = if cfg!(windows) {
            PathBuf::from("C:\\Users\\ada\\AppData\\Roaming")
        } else if cfg!(target_os = "macos") {
            PathBuf::from("/home/ada/Library/Application Support")
        } else {
            PathBuf::from("/home/ada/.config")
        }
        .join("temporalio")
        .join("temporal.toml");
        assert_eq!(path, expected);
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn xdg_config_home_wins_when_absolute() {
        let env = Env::injected(HashMap::from([
            ("HOME".to_owned(), "/home/ada".to_owned()),
            ("XDG_CONFIG_HOME".to_owned(), "/xdg".to_owned()),
        ]));
        assert_eq!(
            env.default_config_file().unwrap(),
            PathBuf::from("/xdg/temporalio/temporal.toml")
        );
        let relative = Env::injected(HashMap::from([
            ("HOME".to_owned(), "/home/ada".to_owned()),
            ("XDG_CONFIG_HOME".to_owned(), "relative".to_owned()),
        ]));
        assert_eq!(
            relative.default_config_file().unwrap(),
            PathBuf::from("/home/ada/.config/temporalio/temporal.toml")
        );
    }

    #[test]
    fn only_documented_variables_are_read() {
        for name in [
            "TEMPORAL_ADDRESS",
            "TEMPORAL_TLS",
            "TEMPORAL_TLS_SERVER_NAME",
            "TEMPORAL_CODEC_AUTH",
            "TEMPORAL_GRPC_META_X",
            "TEMPORAL_CONFIG_FILE",
        ] {
            assert!(is_read(name), "{name}");
        }
        for name in ["TEMPORAL_CLI", "TEMPORAL_ENV", "TEMPORAL_TLS_CERT"] {
            assert!(!is_read(name), "{name}");
        }
    }

    #[test]
    fn no_home_means_no_default_file() {
        assert_eq!(Env::injected(HashMap::new()).default_config_file(), None);
    }
}

//! The environment envconfig reads: a snapshot of the `TEMPORAL_*` variables (or a map given
//! for tests), and the default file location it implies.

use std::collections::HashMap;
use std::path::PathBuf;

use super::schema::{
    CODEC_VARS, CONFIG_FILE_VAR, GRPC_META_PREFIX, PROFILE_VAR, PROFILE_VARS, TLS_VARS,
};
use crate::error::ConfigError;

/// The OS default location of the client configuration file, for the current process
/// environment: `<config dir>/temporalio/temporal.toml`. `None` when no home directory is
/// known.
pub fn default_config_file() -> Option<PathBuf> {
    Env::process().ok()?.default_config_file()
}

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

    /// Every variable whose name starts with `prefix`, sorted by name.
    pub(super) fn starting_with(&self, prefix: &str) -> Vec<(&str, &str)> {
        let mut vars: Vec<(&str, &str)> = self
            .vars
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        vars.sort();
        vars
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
    name == CONFIG_FILE_VAR
        || name == PROFILE_VAR
        || PROFILE_VARS.iter().any(|(var, _)| *var == name)
        || TLS_VARS.contains(&name)
        || CODEC_VARS.iter().any(|(var, _)| *var == name)
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

#[cfg(test)]
mod tests {
    use super::*;

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

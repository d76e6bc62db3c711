//! [`ConfigLoader`]: the load of a profile, step by step — pick the file and the profile,
//! overlay the environment, merge.

use std::collections::HashMap;
use std::path::PathBuf;

use super::client_config::ClientConfig;
use super::env::Env;
use super::merge::{self, Resolved};
use super::overlay::{self, FileContext, Overlay};
use super::select::{ChosenFile, ExplicitSource, ProfileChoice};
use crate::error::ConfigError;

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

    /// Loads the profile, following the rules in [`ClientConfig`]'s docs.
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
        // 1. Which file, 2. which profile.
        let mut file = if self.disable_file {
            ChosenFile::disabled()
        } else {
            ChosenFile::load(self.source, &env, self.strict)?
        };
        let profile = ProfileChoice::new(self.profile, &env, !self.disable_env);
        let file_table = file.take_profile(&profile)?;
        let label = file.label();
        // 3. The environment over the file.
        let overlay = if self.disable_env {
            Overlay::default()
        } else {
            let context = FileContext {
                label: &label,
                profile: &profile.name,
                table: &file_table,
            };
            overlay::overlay(&env, &context)?
        };
        // Both merged, each value with its origin.
        merge::merge(Resolved {
            profile: profile.name,
            config_file: file.path(),
            label: &label,
            file_table,
            overlay,
        })
    }
}

//! Which file and which profile (steps 1 and 2 of the resolution rules): the file the loader
//! was given, else `TEMPORAL_CONFIG_FILE`, else the OS default; the profile the loader was
//! given, else `TEMPORAL_PROFILE`, else `default`.

use std::path::{Path, PathBuf};

use config::{Map, Value};

use super::env::Env;
use super::file::{self, ParsedFile};
use super::schema::{CONFIG_FILE_VAR, DEFAULT_PROFILE, PROFILE_VAR};
use crate::error::ConfigError;

/// The file or text given to the loader in code.
#[derive(Debug, Clone)]
pub(super) enum ExplicitSource {
    /// [`ConfigLoader::config_file`](crate::ConfigLoader::config_file).
    File(PathBuf),
    /// [`ConfigLoader::config_data`](crate::ConfigLoader::config_data).
    Data(String),
}

/// Where the TOML came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileSource {
    /// A file on disk.
    Path(PathBuf),
    /// TOML text handed to the loader.
    Data,
    /// No file could be located (no home directory to find the default one).
    Nowhere,
}

impl FileSource {
    /// How messages refer to this source.
    fn label(&self) -> String {
        match self {
            FileSource::Path(path) => path.display().to_string(),
            FileSource::Data => "<config data>".to_owned(),
            FileSource::Nowhere => "the default config file (no home directory is set)".to_owned(),
        }
    }
}

/// The chosen file, read and parsed.
#[derive(Debug, Default)]
pub(super) struct ChosenFile {
    /// Where it came from; `None` when files are disabled.
    source: Option<FileSource>,
    /// Whether there was TOML to read (a file that does not exist is empty).
    exists: bool,
    /// Its profiles.
    parsed: ParsedFile,
}

impl ChosenFile {
    /// No file: the loader was told not to read one.
    pub(super) fn disabled() -> Self {
        Self::default()
    }

    /// Finds the file, reads it and parses it.
    pub(super) fn load(
        explicit: Option<ExplicitSource>,
        env: &Env,
        strict: bool,
    ) -> Result<Self, ConfigError> {
        let (source, text) = match explicit {
            Some(ExplicitSource::Data(text)) => (FileSource::Data, Some(text)),
            Some(ExplicitSource::File(path)) => {
                let text = read(&path)?;
                if text.is_none() {
                    tracing::warn!(
                        file = %path.display(),
                        "the Temporal client config file does not exist; using an empty config"
                    );
                }
                (FileSource::Path(path), text)
            }
            None => match env.non_empty(CONFIG_FILE_VAR).map(PathBuf::from) {
                Some(path) => {
                    let text = read(&path)?;
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
                        let text = read(&path)?;
                        (FileSource::Path(path), text)
                    }
                    None => (FileSource::Nowhere, None),
                },
            },
        };
        let parsed = match &text {
            Some(text) => file::parse(text, &source.label(), strict)?,
            None => ParsedFile::default(),
        };
        Ok(Self {
            source: Some(source),
            exists: text.is_some(),
            parsed,
        })
    }

    /// How messages name the file: its path, `<config data>`, or `<no file>`.
    pub(super) fn label(&self) -> String {
        self.source
            .as_ref()
            .map_or_else(|| "<no file>".to_owned(), FileSource::label)
    }

    /// The file the profile was read from: a path that exists.
    pub(super) fn path(&self) -> Option<PathBuf> {
        match (&self.source, self.exists) {
            (Some(FileSource::Path(path)), true) => Some(path.clone()),
            _ => None,
        }
    }

    /// Takes the chosen profile's table out of the file. A profile chosen by name must exist
    /// when a file is read; otherwise a missing profile is empty.
    pub(super) fn take_profile(
        &mut self,
        choice: &ProfileChoice,
    ) -> Result<Map<String, Value>, ConfigError> {
        if let Some(table) = self.parsed.profiles.remove(&choice.name) {
            return Ok(table);
        }
        match choice.chosen_by {
            Some(chosen_by) if self.source.is_some() => Err(ConfigError::ProfileNotFound {
                profile: choice.name.clone(),
                chosen_by: chosen_by.to_owned(),
                file: self.label(),
                known: self.known_profiles(),
            }),
            _ => Ok(Map::new()),
        }
    }

    /// The profiles there are, for [`ConfigError::ProfileNotFound`].
    fn known_profiles(&self) -> String {
        if !self.exists {
            "the file does not exist".to_owned()
        } else if self.parsed.profiles.is_empty() {
            "the file defines no profiles".to_owned()
        } else {
            let names: Vec<&str> = self.parsed.profiles.keys().map(String::as_str).collect();
            format!("known profiles: {}", names.join(", "))
        }
    }
}

/// The chosen profile and who chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ProfileChoice {
    /// The profile's name.
    pub(super) name: String,
    /// `ConfigLoader::profile` or `TEMPORAL_PROFILE`; `None` for the implicit `default`.
    chosen_by: Option<&'static str>,
}

impl ProfileChoice {
    /// The profile given in code, else `TEMPORAL_PROFILE` (unless the environment is
    /// disabled), else `default`.
    pub(super) fn new(explicit: Option<String>, env: &Env, use_env: bool) -> Self {
        let (name, chosen_by) = match explicit {
            Some(name) => (name, Some("ConfigLoader::profile")),
            None => match use_env.then(|| env.non_empty(PROFILE_VAR)).flatten() {
                Some(name) => (name.to_owned(), Some(PROFILE_VAR)),
                None => (DEFAULT_PROFILE.to_owned(), None),
            },
        };
        Self { name, chosen_by }
    }
}

/// Reads a configuration file. A file that does not exist is `Ok(None)`, as in every other
/// SDK; any other failure (permissions, a directory) is an error naming the file.
fn read(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| ConfigError::ReadFile {
                path: path.to_owned(),
                reason: "the file is not UTF-8 text".to_owned(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::ReadFile {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

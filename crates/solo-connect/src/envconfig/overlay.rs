//! The environment overlay: the table that set `TEMPORAL_*` variables lay over a profile,
//! with the variable behind each setting recorded for messages.

use std::collections::HashMap;

use config::{Map, Value, ValueKind};

use super::env::Env;
use super::schema::{
    CODEC_VARS, GRPC_META_PREFIX, PROFILE_VARS, Pem, TLS_DISABLE_HOST_VERIFICATION_VAR,
    TLS_SERVER_NAME_VAR, TLS_VAR, TLS_VARS, normalize_header_name,
};
use crate::error::ConfigError;

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

/// The file's side of the overlay, for messages about conflicts with it.
pub(super) struct FileContext<'a> {
    /// How messages name the file.
    pub(super) label: &'a str,
    /// The profile's name.
    pub(super) profile: &'a str,
    /// The profile's cleaned table from the file (empty when it has none).
    pub(super) table: &'a Map<String, Value>,
}

/// What the file's profile says about one certificate or key, for conflict checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PemInFile {
    Absent,
    Path,
    Data,
}

impl FileContext<'_> {
    /// How `pem` appears in the profile's TLS table.
    fn pem(&self, pem: Pem) -> PemInFile {
        let Some(ValueKind::Table(tls)) = self.table.get("tls").map(|v| &v.kind) else {
            return PemInFile::Absent;
        };
        if tls.contains_key(pem.path_key()) {
            PemInFile::Path
        } else if tls.contains_key(pem.data_key()) {
            PemInFile::Data
        } else {
            PemInFile::Absent
        }
    }
}

/// Builds the overlay of every set `TEMPORAL_*` variable (step 3 of the resolution rules).
pub(super) fn overlay(env: &Env, file: &FileContext<'_>) -> Result<Overlay, ConfigError> {
    let mut out = Overlay::default();
    for (var, key) in PROFILE_VARS {
        if let Some(value) = env.get(var) {
            out.set(&[key], var, text(value));
        }
    }
    if TLS_VARS.iter().any(|v| env.get(v).is_some()) {
        out.overlay_tls(env, file)?;
    }
    if CODEC_VARS.iter().any(|(v, _)| env.get(v).is_some()) {
        out.ensure_table("codec");
        for (var, key) in CODEC_VARS {
            if let Some(value) = env.get(var) {
                out.set(&["codec", key], var, text(value));
            }
        }
    }
    out.overlay_headers(env);
    Ok(out)
}

impl Overlay {
    /// The `TEMPORAL_TLS*` variables: creates the TLS table and sets what they give.
    fn overlay_tls(&mut self, env: &Env, file: &FileContext<'_>) -> Result<(), ConfigError> {
        self.ensure_table("tls");
        if let Some(on) = env.get(TLS_VAR).and_then(|raw| parse_bool(TLS_VAR, raw)) {
            self.set(&["tls", "disabled"], TLS_VAR, boolean(!on));
        }
        for pem in Pem::ALL {
            self.overlay_pem(env, file, pem)?;
        }
        if let Some(name) = env.get(TLS_SERVER_NAME_VAR) {
            self.set(&["tls", "server_name"], TLS_SERVER_NAME_VAR, text(name));
        }
        let var = TLS_DISABLE_HOST_VERIFICATION_VAR;
        if let Some(skip) = env.get(var).and_then(|raw| parse_bool(var, raw)) {
            self.set(&["tls", "disable_host_verification"], var, boolean(skip));
        }
        Ok(())
    }

    /// The path and data variables of one certificate or key. Setting both, or setting the
    /// other form than the file's, is an error.
    fn overlay_pem(
        &mut self,
        env: &Env,
        file: &FileContext<'_>,
        pem: Pem,
    ) -> Result<(), ConfigError> {
        let (path_var, data_var) = (pem.path_var(), pem.data_var());
        match (env.get(path_var), env.get(data_var)) {
            (Some(_), Some(_)) => Err(ConfigError::PathAndData {
                path_key: path_var.to_owned(),
                data_key: data_var.to_owned(),
                location: String::new(),
            }),
            (Some(path), None) => {
                if file.pem(pem) == PemInFile::Data {
                    return Err(conflict(file, path_var, pem, true, pem.data_key()));
                }
                self.set(&["tls", pem.path_key()], path_var, text(path));
                Ok(())
            }
            (None, Some(data)) => {
                if file.pem(pem) == PemInFile::Path {
                    return Err(conflict(file, data_var, pem, false, pem.path_key()));
                }
                self.set(&["tls", pem.data_key()], data_var, text(data));
                Ok(())
            }
            (None, None) => Ok(()),
        }
    }

    /// The `TEMPORAL_GRPC_META_*` variables, in name order so that two variables naming the
    /// same header resolve the same way on every run. Set-but-empty removes the header.
    fn overlay_headers(&mut self, env: &Env) {
        for (var, value) in env.starting_with(GRPC_META_PREFIX) {
            let suffix = &var[GRPC_META_PREFIX.len()..];
            if suffix.is_empty() {
                tracing::warn!(
                    var = %var,
                    "ignoring {var}: put the header name after the prefix, e.g. {GRPC_META_PREFIX}X_TEAM"
                );
                continue;
            }
            let header = normalize_header_name(suffix);
            // `Nil` makes the merged map drop the header.
            let kind = if value.is_empty() {
                ValueKind::Nil
            } else {
                ValueKind::String(value.to_owned())
            };
            self.ensure_table("grpc_meta");
            if let Some(ValueKind::Table(table)) =
                self.layer.get_mut("grpc_meta").map(|v| &mut v.kind)
            {
                table.insert(header.clone(), Value::new(Some(&var.to_owned()), kind));
            }
            self.headers.insert(header, var.to_owned());
        }
    }

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
    pem: Pem,
    env_gives_path: bool,
    file_key: &str,
) -> ConfigError {
    ConfigError::EnvConflictsWithFile {
        env_var: env_var.to_owned(),
        item: pem.item(),
        env_gives_path,
        file_key: format!("`tls.{file_key}`"),
        location: format!(" in profile \"{}\" of {}", file.profile, file.label),
    }
}

/// Parses a boolean variable the way every SDK does: `true`/`1` and `false`/`0`, any case.
/// Anything else is ignored, with a warning.
fn parse_bool(var: &str, raw: &str) -> Option<bool> {
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
}

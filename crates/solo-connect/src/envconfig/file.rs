//! The TOML side of envconfig: parsing a file's text with the `config` crate, and checking
//! every key and type so that errors can name the exact key at fault.
//!
//! The result is one cleaned table per profile: types checked, `grpc_meta` names normalised,
//! empty inline PEM removed, unknown keys dropped (or rejected in strict mode). The tables are
//! `config` values, ready to be layered under the environment overlay.

use std::collections::BTreeMap;

use config::{Map, Value, ValueKind};

use super::schema::{CODEC_KEYS, PROFILE_KEYS, Pem, TLS_KEYS, normalize_header_name};
use crate::error::ConfigError;

/// A parsed configuration file: the cleaned table of each profile.
#[derive(Debug, Default)]
pub(super) struct ParsedFile {
    /// Profile name to its settings.
    pub(super) profiles: BTreeMap<String, Map<String, Value>>,
}

/// Parses TOML text and checks it.
pub(super) fn parse(text: &str, label: &str, strict: bool) -> Result<ParsedFile, ConfigError> {
    if text.trim().is_empty() {
        return Ok(ParsedFile::default());
    }
    let root: Map<String, Value> = config::Config::builder()
        .add_source(config::File::from_str(text, config::FileFormat::Toml))
        .build()
        .and_then(config::Config::try_deserialize)
        .map_err(|e| malformed(&e, text, label))?;

    let mut parsed = ParsedFile::default();
    for (key, value) in root {
        if key != "profile" {
            reject_or_skip(strict, label, &key, &["profile"])?;
            continue;
        }
        let ValueKind::Table(profiles) = value.kind else {
            return Err(wrong_type(
                label,
                "profile",
                "a table of profiles",
                &value.kind,
                "write each profile as a [profile.<name>] table",
            ));
        };
        for (name, profile) in profiles {
            let key = format!("profile.{name}");
            let ValueKind::Table(table) = profile.kind else {
                return Err(wrong_type(
                    label,
                    &key,
                    "a table",
                    &profile.kind,
                    &format!("write [profile.{name}] followed by key = value lines"),
                ));
            };
            let checked = check_profile(label, &name, table, strict)?;
            parsed.profiles.insert(name, checked);
        }
    }
    Ok(parsed)
}

/// Checks one profile table and returns its cleaned copy.
fn check_profile(
    label: &str,
    name: &str,
    table: Map<String, Value>,
    strict: bool,
) -> Result<Map<String, Value>, ConfigError> {
    let mut out = Map::new();
    for (key, value) in table {
        let dotted = format!("profile.{name}.{key}");
        match key.as_str() {
            "address" | "namespace" | "api_key" => {
                expect_string(label, &dotted, &value)?;
                out.insert(key, value);
            }
            "tls" => {
                let tls = expect_table(label, &dotted, value)?;
                let tls = check_tls(label, name, tls, strict)?;
                out.insert(key, Value::new(None, tls));
            }
            "codec" => {
                let codec = expect_table(label, &dotted, value)?;
                let mut checked = Map::new();
                for (ckey, cvalue) in codec {
                    let cdotted = format!("{dotted}.{ckey}");
                    if CODEC_KEYS.contains(&ckey.as_str()) {
                        expect_string(label, &cdotted, &cvalue)?;
                        checked.insert(ckey, cvalue);
                    } else {
                        reject_or_skip(strict, label, &cdotted, CODEC_KEYS)?;
                    }
                }
                out.insert(key, Value::new(None, checked));
            }
            "grpc_meta" => {
                let meta = expect_table(label, &dotted, value)?;
                let mut checked = Map::new();
                for (header, hvalue) in meta {
                    expect_string(label, &format!("{dotted}.{header}"), &hvalue)?;
                    let normalized = normalize_header_name(&header);
                    if checked.insert(normalized.clone(), hvalue).is_some() {
                        tracing::warn!(
                            file = label,
                            header = %normalized,
                            "two grpc_meta keys of profile {name:?} name the same header \
                             once normalised (lower case, `_` as `-`); one of them is ignored"
                        );
                    }
                }
                out.insert(key, Value::new(None, checked));
            }
            _ => reject_or_skip(strict, label, &dotted, PROFILE_KEYS)?,
        }
    }
    Ok(out)
}

/// Checks a profile's TLS table.
fn check_tls(
    label: &str,
    profile: &str,
    table: Map<String, Value>,
    strict: bool,
) -> Result<Map<String, Value>, ConfigError> {
    let mut out = Map::new();
    for (key, value) in table {
        let dotted = format!("profile.{profile}.tls.{key}");
        match key.as_str() {
            "disabled" | "disable_host_verification" => {
                if !matches!(value.kind, ValueKind::Boolean(_)) {
                    return Err(wrong_type(
                        label,
                        &dotted,
                        "a boolean",
                        &value.kind,
                        &format!("write {key} = true or {key} = false, without quotes"),
                    ));
                }
                out.insert(key, value);
            }
            k if TLS_KEYS.contains(&k) => {
                expect_string(label, &dotted, &value)?;
                out.insert(key, value);
            }
            _ => reject_or_skip(strict, label, &dotted, TLS_KEYS)?,
        }
    }
    for pem in Pem::ALL {
        let (path_key, data_key) = (pem.path_key(), pem.data_key());
        if out.contains_key(path_key) && out.contains_key(data_key) {
            return Err(ConfigError::PathAndData {
                path_key: format!("`tls.{path_key}`"),
                data_key: format!("`tls.{data_key}`"),
                location: format!(" in profile \"{profile}\" of {label}"),
            });
        }
        // Empty inline PEM counts as absent, as in the Rust core the other SDKs share.
        if out
            .get(data_key)
            .is_some_and(|v| matches!(&v.kind, ValueKind::String(s) if s.is_empty()))
        {
            out.remove(data_key);
        }
    }
    Ok(out)
}

/// In strict mode an unknown key is an error; otherwise it is skipped with a warning.
fn reject_or_skip(
    strict: bool,
    label: &str,
    dotted: &str,
    allowed: &[&str],
) -> Result<(), ConfigError> {
    if strict {
        return Err(ConfigError::UnknownKey {
            file: label.to_owned(),
            key: dotted.to_owned(),
            allowed: allowed.join(", "),
        });
    }
    tracing::warn!(
        file = label,
        key = dotted,
        "ignoring unknown key in the Temporal client config (allowed here: {}); \
         load with strict() to make this an error",
        allowed.join(", ")
    );
    Ok(())
}

fn expect_string(label: &str, dotted: &str, value: &Value) -> Result<(), ConfigError> {
    if matches!(value.kind, ValueKind::String(_)) {
        return Ok(());
    }
    let key = dotted.rsplit('.').next().unwrap_or(dotted);
    Err(wrong_type(
        label,
        dotted,
        "a string",
        &value.kind,
        &format!("put the value in double quotes: {key} = \"...\""),
    ))
}

fn expect_table(
    label: &str,
    dotted: &str,
    value: Value,
) -> Result<Map<String, Value>, ConfigError> {
    match value.kind {
        ValueKind::Table(table) => Ok(table),
        other => Err(wrong_type(
            label,
            dotted,
            "a table",
            &other,
            &format!("write it as a [{dotted}] table with key = value lines"),
        )),
    }
}

fn wrong_type(
    label: &str,
    dotted: &str,
    expected: &'static str,
    found: &ValueKind,
    fix: &str,
) -> ConfigError {
    ConfigError::WrongType {
        file: label.to_owned(),
        key: dotted.to_owned(),
        expected,
        found: describe_kind(found),
        fix: fix.to_owned(),
    }
}

/// Names a TOML value's type for messages. String contents are not shown: they may be
/// secrets.
fn describe_kind(kind: &ValueKind) -> String {
    match kind {
        ValueKind::Nil => "nothing".to_owned(),
        ValueKind::Boolean(b) => format!("the boolean {b}"),
        ValueKind::I64(i) => format!("the integer {i}"),
        ValueKind::I128(i) => format!("the integer {i}"),
        ValueKind::U64(i) => format!("the integer {i}"),
        ValueKind::U128(i) => format!("the integer {i}"),
        ValueKind::Float(f) => format!("the number {f}"),
        ValueKind::String(_) => "a string".to_owned(),
        ValueKind::Table(_) => "a table".to_owned(),
        ValueKind::Array(_) => "an array".to_owned(),
    }
}

/// Turns a `config` parse failure into a one-line message with line and column.
fn malformed(error: &config::ConfigError, text: &str, label: &str) -> ConfigError {
    let (message, offset) = match error {
        config::ConfigError::FileParse { cause, .. } => {
            match cause.downcast_ref::<toml::de::Error>() {
                Some(toml_error) => (
                    toml_error.message().to_owned(),
                    toml_error.span().map(|s| s.start),
                ),
                None => (cause.to_string(), None),
            }
        }
        other => (other.to_string(), None),
    };
    let (line, column) = offset.map_or((1, 1), |o| line_and_column(text, o));
    ConfigError::MalformedToml {
        file: label.to_owned(),
        message: one_line(&message),
        line,
        column,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

/// Joins the lines of a multi-line message.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_one() {
        let text = "a = 1\nbé = x\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        // "bé = " is 5 characters but 6 bytes.
        assert_eq!(line_and_column(text, 12), (2, 6));
        assert_eq!(line_and_column(text, 999), (3, 1));
    }

    #[test]
    fn messages_are_joined_into_one_line() {
        assert_eq!(one_line("first\n  second\n\n"), "first; second");
    }

    #[test]
    fn whitespace_only_text_is_an_empty_config() {
        let parsed = parse("  \n\t\n", "x", true).unwrap();
        assert!(parsed.profiles.is_empty());
    }
}

//! Merging: the file's profile table and the environment overlay are layered with the
//! `config` crate, read back with serde, and each value is paired with where it came from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use config::{Map, Value};
use serde::Deserialize;

use super::client_config::ClientConfig;
use super::codec_config::CodecConfig;
use super::origin::{Origin, Origins, Setting};
use super::overlay::Overlay;
use super::schema::Pem;
use super::tls_config::{PemSource, TlsConfig};
use crate::error::ConfigError;

/// The profile a load resolved, before it becomes a [`ClientConfig`].
pub(super) struct Resolved<'a> {
    /// The profile's name.
    pub(super) profile: String,
    /// The file it was read from, if one was read.
    pub(super) config_file: Option<PathBuf>,
    /// How messages name the file.
    pub(super) label: &'a str,
    /// The profile's cleaned table from the file.
    pub(super) file_table: Map<String, Value>,
    /// The environment's contribution.
    pub(super) overlay: Overlay,
}

/// Lays the overlay over the file's table and builds the client configuration, each value
/// with its origin.
pub(super) fn merge(resolved: Resolved<'_>) -> Result<ClientConfig, ConfigError> {
    let Resolved {
        profile,
        config_file,
        label,
        file_table,
        overlay,
    } = resolved;
    let merged: RawProfile = config::Config::builder()
        .add_source(Layer(file_table))
        .add_source(Layer(overlay.layer))
        .build()
        .and_then(config::Config::try_deserialize)
        .map_err(|e| ConfigError::WrongType {
            file: label.to_owned(),
            key: format!("profile.{profile}"),
            expected: "a profile table",
            found: e.to_string(),
            fix: "check the profile's keys against the documented schema".to_owned(),
        })?;

    let origins = Origins {
        file: label,
        profile: &profile,
        applied: &overlay.applied,
    };
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
        config_file,
        address: origins.setting(merged.address, "address"),
        namespace: origins.setting(merged.namespace, "namespace"),
        api_key: origins.setting(merged.api_key, "api_key"),
        tls: merged.tls.map(|raw| raw.resolve(&origins)),
        codec: merged.codec.map(|raw| CodecConfig {
            endpoint: raw.endpoint,
            auth: raw.auth,
        }),
        grpc_meta,
        profile,
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

impl RawTls {
    /// The TLS table, each value with its origin.
    fn resolve(self, origins: &Origins<'_>) -> TlsConfig {
        TlsConfig {
            disabled: origins.setting(self.disabled, "tls.disabled"),
            client_cert: pem_setting(
                origins,
                Pem::ClientCert,
                self.client_cert_path,
                self.client_cert_data,
            ),
            client_key: pem_setting(
                origins,
                Pem::ClientKey,
                self.client_key_path,
                self.client_key_data,
            ),
            server_ca_cert: pem_setting(
                origins,
                Pem::ServerCaCert,
                self.server_ca_cert_path,
                self.server_ca_cert_data,
            ),
            server_name: self.server_name,
            disable_host_verification: self.disable_host_verification.unwrap_or(false),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawCodec {
    endpoint: Option<String>,
    auth: Option<String>,
}

/// One certificate or key: its path if set, else its inline PEM if not empty.
fn pem_setting(
    origins: &Origins<'_>,
    pem: Pem,
    path: Option<String>,
    data: Option<String>,
) -> Option<Setting<PemSource>> {
    if let Some(path) = path {
        return Some(Setting {
            value: PemSource::Path(PathBuf::from(path)),
            origin: origins.of(&format!("tls.{}", pem.path_key())),
        });
    }
    data.filter(|d| !d.is_empty()).map(|data| Setting {
        value: PemSource::Data(data.into_bytes()),
        origin: origins.of(&format!("tls.{}", pem.data_key())),
    })
}

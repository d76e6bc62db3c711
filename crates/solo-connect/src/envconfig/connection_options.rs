//! From profile to connection: [`ClientConfig::connection_options`] checks the address and
//! headers and reads the certificates and keys, naming where each bad value came from.

use super::client_config::ClientConfig;
use super::origin::Setting;
use super::schema::Pem;
use super::tls_config::PemSource;
use crate::error::ConfigError;
use crate::metadata::check_header;
use crate::options::ConnectionOptions;
use crate::tls::{self, TlsOptions};

impl ClientConfig {
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
            check_header(name, &setting.value).map_err(|reason| ConfigError::InvalidHeader {
                name: name.clone(),
                origin: setting.origin.to_string(),
                reason,
            })?;
            options = options.header(name.clone(), setting.value.clone());
        }
        if let Err(reason) = options.target() {
            return Err(ConfigError::InvalidAddress {
                address: self.address().to_owned(),
                origin: self.address_origin(),
                reason,
            });
        }
        Ok(options)
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
                let cert_pem = read_pem(cert, Pem::ClientCert)?;
                let key_pem = read_pem(key, Pem::ClientKey)?;
                tls::check_certificates(&cert_pem)
                    .map_err(|reason| invalid_pem(cert, Pem::ClientCert, reason))?;
                tls::check_private_key(&key_pem)
                    .map_err(|reason| invalid_pem(key, Pem::ClientKey, reason))?;
                options = options.client_identity(cert_pem, key_pem);
            }
            (Some(cert), None) => {
                return Err(incomplete_identity(cert, Pem::ClientCert, Pem::ClientKey));
            }
            (None, Some(key)) => {
                return Err(incomplete_identity(key, Pem::ClientKey, Pem::ClientCert));
            }
            (None, None) => {}
        }
        if let Some(ca) = &tls.server_ca_cert {
            let pem = read_pem(ca, Pem::ServerCaCert)?;
            tls::check_certificates(&pem)
                .map_err(|reason| invalid_pem(ca, Pem::ServerCaCert, reason))?;
            options = options.server_ca_pem(pem);
        }
        if let Some(name) = tls.server_name.as_deref().filter(|n| !n.is_empty()) {
            options = options.server_name(name);
        }
        Ok(options)
    }
}

/// Reads a certificate or key from its file, or takes its inline PEM.
fn read_pem(setting: &Setting<PemSource>, pem: Pem) -> Result<Vec<u8>, ConfigError> {
    match &setting.value {
        PemSource::Data(data) => Ok(data.clone()),
        PemSource::Path(path) => std::fs::read(path).map_err(|e| ConfigError::ReadPem {
            item: pem.item(),
            path: path.clone(),
            origin: setting.origin.to_string(),
            reason: io_reason(&e),
        }),
    }
}

fn invalid_pem(setting: &Setting<PemSource>, pem: Pem, reason: String) -> ConfigError {
    ConfigError::InvalidPem {
        item: pem.item(),
        origin: setting.origin.to_string(),
        reason,
    }
}

/// One half of the client identity (`present`) is set, the other (`missing`) is not.
fn incomplete_identity(setting: &Setting<PemSource>, present: Pem, missing: Pem) -> ConfigError {
    ConfigError::IncompleteClientIdentity {
        present: present.item(),
        origin: setting.origin.to_string(),
        missing: missing.how_to_set(),
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

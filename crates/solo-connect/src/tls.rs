//! TLS settings ([`TlsOptions`]) and their translation to tonic's rustls configuration.
//!
//! Without a CA bundle the system's native root certificates verify the server; with one,
//! only that bundle does (as in every other SDK). A client certificate and key enable mutual
//! TLS. The server name defaults to the address's host.

use std::fmt;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tonic::transport::{Certificate, ClientTlsConfig, Identity};

/// TLS settings of a connection. All fields are optional: `TlsOptions::new()` verifies the
/// server against the system roots and sends no client certificate.
///
/// ```
/// use solo_connect::TlsOptions;
///
/// # let (cert, key) = (Vec::<u8>::new(), Vec::<u8>::new());
/// let tls = TlsOptions::new()
///     .client_identity(cert, key)
///     .server_name("my-ns.a1b2c.tmprl.cloud");
/// assert_eq!(tls.server_name.as_deref(), Some("my-ns.a1b2c.tmprl.cloud"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsOptions {
    /// PEM CA bundle that replaces the system roots. Default: system roots.
    pub server_ca_pem: Option<Vec<u8>>,
    /// PEM client certificate chain for mutual TLS; needs [`client_key_pem`](Self::client_key_pem).
    pub client_cert_pem: Option<Vec<u8>>,
    /// PEM private key of the client certificate.
    pub client_key_pem: Option<Vec<u8>>,
    /// Name to send (SNI) and to expect in the server certificate. Default: the address's host.
    pub server_name: Option<String>,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("server_ca_pem", &self.server_ca_pem.as_ref().map(Vec::len))
            .field(
                "client_cert_pem",
                &self.client_cert_pem.as_ref().map(Vec::len),
            )
            .field(
                "client_key_pem",
                &self.client_key_pem.as_ref().map(|_| "<redacted>"),
            )
            .field("server_name", &self.server_name)
            .finish()
    }
}

impl TlsOptions {
    /// System roots, no client certificate, server name from the address.
    pub fn new() -> Self {
        Self::default()
    }

    /// Verifies the server against this PEM CA bundle instead of the system roots.
    pub fn server_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.server_ca_pem = Some(pem.into());
        self
    }

    /// Presents this PEM certificate chain and private key (mutual TLS).
    pub fn client_identity(
        mut self,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.client_cert_pem = Some(cert_pem.into());
        self.client_key_pem = Some(key_pem.into());
        self
    }

    /// Sends this name (SNI) and expects it in the server's certificate.
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }
}

/// Checks that `pem` holds at least one certificate.
pub(crate) fn check_certificates(pem: &[u8]) -> Result<(), String> {
    let mut count = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        cert.map_err(|e| format!("the PEM cannot be read ({e}); check the file's contents"))?;
        count += 1;
    }
    if count == 0 {
        return Err(
            "no certificate found; expected PEM text starting with -----BEGIN CERTIFICATE-----"
                .to_owned(),
        );
    }
    Ok(())
}

/// Checks that `pem` holds a private key.
pub(crate) fn check_private_key(pem: &[u8]) -> Result<(), String> {
    PrivateKeyDer::from_pem_slice(pem).map(|_| ()).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => "no private key found; expected PEM text starting with -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY)".to_owned(),
        other => format!("the PEM cannot be read ({other}); check the file's contents"),
    })
}

/// Builds tonic's TLS configuration, checking every part first so that problems are named.
pub(crate) fn client_config(options: &TlsOptions, host: &str) -> Result<ClientTlsConfig, String> {
    let mut config = ClientTlsConfig::new().assume_http2(true);
    match &options.server_ca_pem {
        Some(pem) => {
            check_certificates(pem).map_err(|e| format!("server CA certificate: {e}"))?;
            config = config.ca_certificate(Certificate::from_pem(pem));
        }
        None => config = config.with_native_roots(),
    }
    match (&options.client_cert_pem, &options.client_key_pem) {
        (Some(cert), Some(key)) => {
            check_certificates(cert).map_err(|e| format!("client certificate: {e}"))?;
            check_private_key(key).map_err(|e| format!("client key: {e}"))?;
            config = config.identity(Identity::from_pem(cert, key));
        }
        (Some(_), None) => {
            return Err(
                "a client certificate is set without its private key; set both or neither"
                    .to_owned(),
            );
        }
        (None, Some(_)) => {
            return Err(
                "a client private key is set without its certificate; set both or neither"
                    .to_owned(),
            );
        }
        (None, None) => {}
    }
    let name = options.server_name.as_deref().unwrap_or(host);
    ServerName::try_from(name).map_err(|_| {
        format!("`{name}` cannot be used as a TLS server name; set a DNS name with tls.server_name / TEMPORAL_TLS_SERVER_NAME")
    })?;
    Ok(config.domain_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_checks_name_the_problem() {
        assert!(
            check_certificates(b"hello")
                .unwrap_err()
                .contains("BEGIN CERTIFICATE")
        );
        assert!(
            check_private_key(b"hello")
                .unwrap_err()
                .contains("no private key")
        );
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        assert!(
            check_certificates(broken)
                .unwrap_err()
                .contains("cannot be read")
        );
    }

    #[test]
    fn half_an_identity_is_rejected() {
        let only_cert = TlsOptions {
            client_cert_pem: Some(b"x".to_vec()),
            ..TlsOptions::default()
        };
        let err = client_config(&only_cert, "localhost").unwrap_err();
        assert!(err.contains("without its private key"), "{err}");
    }

    #[test]
    fn debug_redacts_the_key() {
        let tls = TlsOptions::new().client_identity(b"CERT".to_vec(), b"SECRET KEY".to_vec());
        assert!(!format!("{tls:?}").contains("SECRET"));
    }
}

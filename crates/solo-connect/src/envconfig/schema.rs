//! The names envconfig knows: the keys of a profile, the `TEMPORAL_*` variables, the three
//! certificates and keys that can each be a path or inline data ([`Pem`]), and how a
//! `grpc_meta` key becomes a header name.
//!
//! A leaf: every other envconfig file reads its names from here.

/// The profile used when none is named: `default`.
pub const DEFAULT_PROFILE: &str = "default";

/// Keys allowed directly under `[profile.<name>]`.
pub(super) const PROFILE_KEYS: &[&str] = &[
    "address",
    "namespace",
    "api_key",
    "tls",
    "codec",
    "grpc_meta",
];

/// Keys allowed under `[profile.<name>.tls]`.
pub(super) const TLS_KEYS: &[&str] = &[
    "disabled",
    "client_cert_path",
    "client_cert_data",
    "client_key_path",
    "client_key_data",
    "server_ca_cert_path",
    "server_ca_cert_data",
    "server_name",
    "disable_host_verification",
];

/// Keys allowed under `[profile.<name>.codec]`.
pub(super) const CODEC_KEYS: &[&str] = &["endpoint", "auth"];

/// `TEMPORAL_CONFIG_FILE`: the TOML file to read.
pub(super) const CONFIG_FILE_VAR: &str = "TEMPORAL_CONFIG_FILE";
/// `TEMPORAL_PROFILE`: the profile to select.
pub(super) const PROFILE_VAR: &str = "TEMPORAL_PROFILE";
/// Prefix of the header variables.
pub(super) const GRPC_META_PREFIX: &str = "TEMPORAL_GRPC_META_";

/// The variables of the top-level profile keys, with their key.
pub(super) const PROFILE_VARS: &[(&str, &str)] = &[
    ("TEMPORAL_ADDRESS", "address"),
    ("TEMPORAL_NAMESPACE", "namespace"),
    ("TEMPORAL_API_KEY", "api_key"),
];

/// `TEMPORAL_TLS`: TLS on or off (`tls.disabled`, inverted).
pub(super) const TLS_VAR: &str = "TEMPORAL_TLS";
/// `TEMPORAL_TLS_SERVER_NAME`: `tls.server_name`.
pub(super) const TLS_SERVER_NAME_VAR: &str = "TEMPORAL_TLS_SERVER_NAME";
/// `TEMPORAL_TLS_DISABLE_HOST_VERIFICATION`: `tls.disable_host_verification`.
pub(super) const TLS_DISABLE_HOST_VERIFICATION_VAR: &str = "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION";

/// Every variable that configures TLS; setting any of them creates the TLS table.
pub(super) const TLS_VARS: &[&str] = &[
    TLS_VAR,
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_CERT_DATA",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_DATA",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
    TLS_SERVER_NAME_VAR,
    TLS_DISABLE_HOST_VERIFICATION_VAR,
];

/// Every variable that configures the codec, with its key under `codec`; setting any of them
/// creates the codec table.
pub(super) const CODEC_VARS: &[(&str, &str)] = &[
    ("TEMPORAL_CODEC_ENDPOINT", "endpoint"),
    ("TEMPORAL_CODEC_AUTH", "auth"),
];

/// One of the certificates and keys of the TLS table, each given as a path or as inline PEM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pem {
    /// The mTLS client certificate.
    ClientCert,
    /// The mTLS client private key.
    ClientKey,
    /// The CA bundle that replaces the system roots.
    ServerCaCert,
}

impl Pem {
    /// All three, in the order they are checked (and so the order of their errors).
    pub(super) const ALL: [Pem; 3] = [Pem::ClientCert, Pem::ClientKey, Pem::ServerCaCert];

    /// The key under `tls` that holds a path.
    pub(super) fn path_key(self) -> &'static str {
        match self {
            Pem::ClientCert => "client_cert_path",
            Pem::ClientKey => "client_key_path",
            Pem::ServerCaCert => "server_ca_cert_path",
        }
    }

    /// The key under `tls` that holds inline PEM.
    pub(super) fn data_key(self) -> &'static str {
        match self {
            Pem::ClientCert => "client_cert_data",
            Pem::ClientKey => "client_key_data",
            Pem::ServerCaCert => "server_ca_cert_data",
        }
    }

    /// The variable that gives a path.
    pub(super) fn path_var(self) -> &'static str {
        match self {
            Pem::ClientCert => "TEMPORAL_TLS_CLIENT_CERT_PATH",
            Pem::ClientKey => "TEMPORAL_TLS_CLIENT_KEY_PATH",
            Pem::ServerCaCert => "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        }
    }

    /// The variable that gives inline PEM.
    pub(super) fn data_var(self) -> &'static str {
        match self {
            Pem::ClientCert => "TEMPORAL_TLS_CLIENT_CERT_DATA",
            Pem::ClientKey => "TEMPORAL_TLS_CLIENT_KEY_DATA",
            Pem::ServerCaCert => "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        }
    }

    /// The keys and variables that set it, for messages.
    pub(super) fn how_to_set(self) -> &'static str {
        match self {
            Pem::ClientCert => {
                "tls.client_cert_path or tls.client_cert_data \
                 (or TEMPORAL_TLS_CLIENT_CERT_PATH / _DATA)"
            }
            Pem::ClientKey => {
                "tls.client_key_path or tls.client_key_data \
                 (or TEMPORAL_TLS_CLIENT_KEY_PATH / _DATA)"
            }
            Pem::ServerCaCert => {
                "tls.server_ca_cert_path or tls.server_ca_cert_data \
                 (or TEMPORAL_TLS_SERVER_CA_CERT_PATH / _DATA)"
            }
        }
    }

    /// How messages name it.
    pub(super) fn item(self) -> &'static str {
        match self {
            Pem::ClientCert => "client certificate",
            Pem::ClientKey => "client key",
            Pem::ServerCaCert => "server CA certificate",
        }
    }
}

/// Lower-cases a header name and turns `_` into `-`, as every SDK does for `grpc_meta` keys.
pub(super) fn normalize_header_name(name: &str) -> String {
    name.to_lowercase().replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pem_key_and_variable_is_in_the_lists() {
        for pem in Pem::ALL {
            assert!(TLS_KEYS.contains(&pem.path_key()), "{pem:?}");
            assert!(TLS_KEYS.contains(&pem.data_key()), "{pem:?}");
            assert!(TLS_VARS.contains(&pem.path_var()), "{pem:?}");
            assert!(TLS_VARS.contains(&pem.data_var()), "{pem:?}");
        }
    }
}

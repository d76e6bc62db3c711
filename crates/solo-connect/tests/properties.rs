//! Property tests: configuration parsing and connection options never panic, whatever the
//! input; each bad input is a typed error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use proptest::prelude::*;
use solo_connect::{CallNamespace, ClientConfig, ConnectionOptions};

/// The variables the loader reads, and a few it must ignore.
const VARS: &[&str] = &[
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_API_KEY",
    "TEMPORAL_PROFILE",
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_SERVER_NAME",
    "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
    "TEMPORAL_TLS_CLIENT_CERT_DATA",
    "TEMPORAL_TLS_CLIENT_KEY_DATA",
    "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
    "TEMPORAL_CODEC_ENDPOINT",
    "TEMPORAL_CODEC_AUTH",
    "TEMPORAL_GRPC_META_X_TEAM",
    "TEMPORAL_GRPC_META_",
    "TEMPORAL_SOMETHING_ELSE",
];

/// Text that is often almost TOML: keys, tables, quotes and brackets, with odd Unicode.
fn tomlish() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "[profile.default]\n",
        "[profile.dev]\n",
        "[profile.default.tls]\n",
        "[profile.default.grpc_meta]\n",
        "[profile.default.codec]\n",
        "address = ",
        "namespace = ",
        "api_key = ",
        "disabled = ",
        "client_cert_data = ",
        "server_name = ",
        "x-team = ",
        "endpoint = ",
        "\"localhost:7233\"\n",
        "\"\"\n",
        "\"zürich\\u0000\"\n",
        "true\n",
        "42\n",
        "[1, 2]\n",
        "{ a = 1 }\n",
        "\"\n",
        "'''\n",
        "=\n",
        "\u{1F600}",
        "\u{202E}",
        "\r\n",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|p| p.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[a-z0-9:./_-]{0,30}",
        Just("localhost:7233".to_owned()),
        Just("https://[::1]:7233".to_owned()),
        Just("true".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_toml_is_loaded_or_refused(toml in prop_oneof![tomlish(), ".{0,200}"], strict in any::<bool>()) {
        let mut loader = ClientConfig::loader().config_data(toml).disable_env();
        if strict {
            loader = loader.strict();
        }
        match loader.load() {
            // A loaded profile turns into options or into an error; both are fine.
            Ok(config) => { let _ = config.connection_options(); }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn arbitrary_environments_are_loaded_or_refused(
        vars in prop::collection::hash_map(prop::sample::select(VARS), any_text(), 0..8),
    ) {
        let env: HashMap<String, String> =
            vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        match ClientConfig::loader().env(env).disable_file().load() {
            Ok(config) => { let _ = config.connection_options(); }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn arbitrary_namespaces_are_checked(namespace in ".{0,40}") {
        match CallNamespace::new(&namespace) {
            Ok(ns) => prop_assert_eq!(ns.as_str(), namespace.as_str()),
            Err(error) => prop_assert!(error.to_string().contains("namespace")),
        }
    }

    #[test]
    fn arbitrary_headers_are_kept_for_connect_to_check(name in ".{0,20}", value in ".{0,40}") {
        // Setters never fail or panic; `connect` names the bad header (tested elsewhere).
        let options = ConnectionOptions::new("localhost:7233").header(name, value);
        prop_assert_eq!(options.get_headers().count(), 1);
    }
}

#[tokio::test]
async fn arbitrary_addresses_fail_to_connect_with_a_typed_error() {
    // Not a proptest (each attempt may open a socket): a fixed list of odd addresses, all on
    // loopback or unparseable, none of which may panic.
    for address in [
        "",
        ":",
        "localhost",
        "localhost:",
        "localhost:99999",
        "http//bad host",
        "127.0.0.1:1/path",
        "[::1",
        "ünïcode:7233",
        "\u{0}:1",
        "https://127.0.0.1:1",
    ] {
        let options =
            ConnectionOptions::new(address).connect_timeout(std::time::Duration::from_secs(2));
        let error = solo_connect::Connection::connect(options)
            .await
            .expect_err(address);
        assert!(!error.to_string().is_empty(), "{address}");
    }
}

//! TLS and mutual TLS against a TLS-terminating fake server on loopback, with certificates
//! generated in the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;

use solo_connect::{ClientConfig, ConnectError, Connection, ConnectionOptions, TlsOptions};
use support::{FakeTemporal, assert_message, pki, serve};

#[tokio::test]
async fn tls_with_a_custom_ca() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let server = serve(FakeTemporal::default(), Some(pki.server_tls())).await;

    let connection = Connection::connect(
        ConnectionOptions::new(server.address())
            .tls(TlsOptions::new().server_ca_pem(pki.ca_pem.clone())),
    )
    .await
    .unwrap();
    assert_eq!(connection.system_info().server_version, "fake-1.0");
    assert_eq!(
        connection
            .options()
            .get_tls()
            .unwrap()
            .server_ca_pem
            .as_deref(),
        Some(pki.ca_pem.as_bytes())
    );
}

#[tokio::test]
async fn an_unknown_ca_is_rejected() {
    let pki = pki(&["127.0.0.1"]);
    let server = serve(FakeTemporal::default(), Some(pki.server_tls())).await;

    let error = Connection::connect(
        ConnectionOptions::new(server.address())
            .tls(TlsOptions::new().server_ca_pem(pki.other_ca_pem.clone())),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectError::Unreachable { .. }),
        "{error:?}"
    );
    assert_message(
        &error.to_string(),
        &[&server.address(), "certificate", "tls.server_ca_cert_path"],
    );
}

#[tokio::test]
async fn server_name_overrides_the_host() {
    let pki = pki(&["temporal.test"]);
    let server = serve(FakeTemporal::default(), Some(pki.server_tls())).await;
    let ca_only = TlsOptions::new().server_ca_pem(pki.ca_pem.clone());

    // The certificate names temporal.test, not 127.0.0.1.
    let error = Connection::connect(ConnectionOptions::new(server.address()).tls(ca_only.clone()))
        .await
        .unwrap_err();
    assert_message(&error.to_string(), &["certificate", "tls.server_name"]);

    let connection = Connection::connect(
        ConnectionOptions::new(server.address()).tls(ca_only.server_name("temporal.test")),
    )
    .await
    .unwrap();
    assert_eq!(connection.system_info().server_version, "fake-1.0");
}

#[tokio::test]
async fn mtls_accepts_the_right_client_certificate_only() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let fake = FakeTemporal::default();
    let server = serve(fake.clone(), Some(pki.server_mtls())).await;
    let ca = TlsOptions::new().server_ca_pem(pki.ca_pem.clone());

    let connection = Connection::connect(
        ConnectionOptions::new(server.address()).tls(
            ca.clone()
                .client_identity(pki.client_cert_pem.clone(), pki.client_key_pem.clone()),
        ),
    )
    .await
    .unwrap();
    assert_eq!(connection.system_info().server_version, "fake-1.0");
    assert_eq!(fake.calls_of("get_system_info").len(), 1);

    // No client certificate: the server ends the handshake.
    let error = Connection::connect(ConnectionOptions::new(server.address()).tls(ca.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::Unreachable { .. }),
        "{error:?}"
    );
    assert_message(
        &error.to_string(),
        &[
            "cannot connect to Temporal at",
            &server.address(),
            "requires a client certificate",
            "TEMPORAL_TLS_CLIENT_CERT_PATH",
        ],
    );

    // A client certificate from another CA: rejected too.
    let stranger = support::pki(&["localhost"]);
    let error = Connection::connect(ConnectionOptions::new(server.address()).tls(
        ca.client_identity(
            stranger.client_cert_pem.clone(),
            stranger.client_key_pem.clone(),
        ),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectError::Unreachable { .. }),
        "{error:?}"
    );
    assert_message(
        &error.to_string(),
        &["did not accept the client certificate"],
    );
    assert_eq!(
        fake.calls_of("get_system_info").len(),
        1,
        "rejected clients never got through"
    );
}

#[tokio::test]
async fn mtls_from_environment_variables_and_files() {
    let pki = pki(&["localhost"]);
    let server = serve(FakeTemporal::default(), Some(pki.server_mtls())).await;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, pem: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let cert = write("client.pem", &pki.client_cert_pem);
    let key = write("client.key", &pki.client_key_pem);
    let ca = write("ca.pem", &pki.ca_pem);

    let vars: HashMap<String, String> = [
        ("TEMPORAL_ADDRESS", server.address()),
        ("TEMPORAL_TLS_CLIENT_CERT_PATH", cert),
        ("TEMPORAL_TLS_CLIENT_KEY_PATH", key),
        ("TEMPORAL_TLS_SERVER_CA_CERT_PATH", ca),
        ("TEMPORAL_TLS_SERVER_NAME", "localhost".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = ClientConfig::loader()
        .disable_file()
        .env(vars)
        .load()
        .unwrap();
    assert!(config.tls_enabled());
    let connection = Connection::connect_config(&config).await.unwrap();
    assert_eq!(connection.system_info().server_version, "fake-1.0");
}

#[tokio::test]
async fn tls_against_a_plain_text_server_is_explained() {
    let server = serve(FakeTemporal::default(), None).await;
    let pki = pki(&["127.0.0.1"]);
    let error = Connection::connect(
        ConnectionOptions::new(server.address())
            .tls(TlsOptions::new().server_ca_pem(pki.ca_pem.clone())),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectError::Unreachable { .. }),
        "{error:?}"
    );
    assert_message(
        &error.to_string(),
        &["does not seem to speak TLS", "TEMPORAL_TLS=false"],
    );
}

#[tokio::test]
async fn plain_text_against_a_tls_server_is_explained() {
    let pki = pki(&["127.0.0.1"]);
    let server = serve(FakeTemporal::default(), Some(pki.server_tls())).await;
    let error = Connection::connect(ConnectionOptions::new(server.address()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::Unreachable { .. }),
        "{error:?}"
    );
    assert_message(
        &error.to_string(),
        &["if the server uses TLS, turn it on", "TEMPORAL_TLS=true"],
    );
}

#[tokio::test]
async fn bad_pem_is_named_before_connecting() {
    let cases = [
        (
            TlsOptions::new().server_ca_pem(b"not a cert".to_vec()),
            "server CA certificate: no certificate found",
        ),
        (
            TlsOptions::new().client_identity(b"nope".to_vec(), b"nope".to_vec()),
            "client certificate: no certificate found",
        ),
        (
            TlsOptions::new().server_name("bad name!"),
            "cannot be used as a TLS server name",
        ),
    ];
    for (tls, fragment) in cases {
        // Nothing listens on port 9: the error must come before any connection attempt.
        let error = Connection::connect(ConnectionOptions::new("127.0.0.1:9").tls(tls))
            .await
            .unwrap_err();
        assert!(matches!(error, ConnectError::Tls { .. }), "{error:?}");
        assert_message(
            &error.to_string(),
            &["invalid TLS settings for 127.0.0.1:9", fragment],
        );
    }
}

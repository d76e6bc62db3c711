//! Headers that reach the server: namespace, client name and version, the API key, configured
//! headers, and per-call metadata that wins over all of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;

use solo_connect::{CLIENT_VERSION, ClientConfig, Connection, ConnectionOptions, TlsOptions};
use solo_proto::temporal::api::workflowservice::v1::StartActivityExecutionRequest;
use support::{FakeTemporal, pki, serve};

#[tokio::test]
async fn every_call_carries_the_connection_headers() {
    let fake = FakeTemporal::default();
    let server = serve(fake.clone(), None).await;
    let connection = Connection::connect(
        ConnectionOptions::new(server.address())
            .namespace("payments")
            .api_key("secret-key")
            .disable_tls()
            .header("x-team", "billing"),
    )
    .await
    .unwrap();
    connection
        .workflow_service()
        .start_activity_execution(StartActivityExecutionRequest::default())
        .await
        .unwrap();

    let calls = fake.calls();
    assert_eq!(
        calls.len(),
        2,
        "the connect-time GetSystemInfo and the start"
    );
    for call in calls {
        let h = &call.headers;
        assert_eq!(h["authorization"], "Bearer secret-key", "{}", call.method);
        assert_eq!(h["temporal-namespace"], "payments");
        assert_eq!(h["client-name"], "solo-rust");
        assert_eq!(h["client-version"], CLIENT_VERSION);
        assert_eq!(h["x-team"], "billing");
        assert!(h.contains_key("grpc-timeout"));
    }
}

#[tokio::test]
async fn the_api_key_travels_over_tls() {
    let pki = pki(&["127.0.0.1"]);
    let fake = FakeTemporal::default();
    let server = serve(fake.clone(), Some(pki.server_tls())).await;
    // As from a profile: an API key plus a CA; TLS is on because of the key.
    let vars: HashMap<String, String> = [
        ("TEMPORAL_ADDRESS", server.address()),
        ("TEMPORAL_API_KEY", "cloud-key".to_owned()),
        ("TEMPORAL_NAMESPACE", "my-ns.a1b2c".to_owned()),
        ("TEMPORAL_TLS_SERVER_CA_CERT_DATA", pki.ca_pem.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = ClientConfig::loader()
        .disable_file()
        .env(vars)
        .load()
        .unwrap();
    let connection = Connection::connect_config(&config).await.unwrap();
    assert_eq!(connection.namespace(), "my-ns.a1b2c");
    let call = &fake.calls_of("get_system_info")[0];
    assert_eq!(call.headers["authorization"], "Bearer cloud-key");
    assert_eq!(call.headers["temporal-namespace"], "my-ns.a1b2c");

    // Without the CA the key would go nowhere: TLS is really on.
    let plain = Connection::connect(
        ConnectionOptions::new(server.address())
            .api_key("cloud-key")
            .tls(TlsOptions::new().server_ca_pem(pki.other_ca_pem.clone())),
    )
    .await;
    assert!(plain.is_err());
}

#[tokio::test]
async fn configured_and_per_call_headers_are_not_overwritten() {
    let fake = FakeTemporal::default();
    let server = serve(fake.clone(), None).await;
    let connection = Connection::connect(
        ConnectionOptions::new(server.address())
            .api_key("from-api-key")
            .disable_tls()
            .header("authorization", "Custom from-grpc-meta"),
    )
    .await
    .unwrap();
    let get_system_info = &fake.calls_of("get_system_info")[0];
    assert_eq!(
        get_system_info.headers["authorization"],
        "Custom from-grpc-meta"
    );

    let mut request = tonic::Request::new(StartActivityExecutionRequest::default());
    request
        .metadata_mut()
        .insert("authorization", "Bearer per-call".parse().unwrap());
    request
        .metadata_mut()
        .insert("temporal-namespace", "other-ns".parse().unwrap());
    connection
        .workflow_service()
        .start_activity_execution(request)
        .await
        .unwrap();
    let start = &fake.calls_of("start_activity_execution")[0];
    assert_eq!(start.headers["authorization"], "Bearer per-call");
    assert_eq!(start.headers.get_all("authorization").iter().count(), 1);
    assert_eq!(start.headers["temporal-namespace"], "other-ns");
}

#[tokio::test]
async fn grpc_meta_from_a_profile_arrives() {
    let fake = FakeTemporal::default();
    let server = serve(fake.clone(), None).await;
    let toml = format!(
        "[profile.default]\naddress = \"{}\"\n[profile.default.grpc_meta]\nx_routing_key = \"eu-1\"\n",
        server.address()
    );
    let config = ClientConfig::loader()
        .env(HashMap::from([(
            "TEMPORAL_GRPC_META_X_FROM_ENV".to_owned(),
            "yes".to_owned(),
        )]))
        .config_data(toml)
        .load()
        .unwrap();
    Connection::connect_config(&config).await.unwrap();
    let call = &fake.calls_of("get_system_info")[0];
    assert_eq!(call.headers["x-routing-key"], "eu-1");
    assert_eq!(call.headers["x-from-env"], "yes");
    assert!(!call.headers.contains_key("authorization"));
}

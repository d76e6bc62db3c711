//! Against the real Temporal dev server: the same server reached from `TEMPORAL_*` variables
//! (in-process and through the real process environment) and from a TOML profile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::process::Command;

use solo_connect::{ClientConfig, Connection};
use solo_proto::temporal::api::workflowservice::v1::{
    DescribeNamespaceRequest, PollActivityExecutionRequest,
};
use solo_testing::DevServer;
use tonic::Code;

/// The shared dev server's `127.0.0.1:<port>` (started, or the CLI installed, on first use).
async fn dev_address() -> String {
    tokio::task::spawn_blocking(|| {
        DevServer::shared()
            .unwrap_or_else(|e| panic!("dev server: {e}"))
            .address()
    })
    .await
    .unwrap()
}

/// Connects and proves the connection works: system info, then `DescribeNamespace`.
async fn check(connection: &Connection) {
    assert!(!connection.system_info().server_version.is_empty());
    let response = connection
        .workflow_service()
        .describe_namespace(DescribeNamespaceRequest {
            namespace: connection.namespace().to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    let info = response.into_inner().namespace_info.unwrap();
    assert_eq!(info.name, "default");
}

#[tokio::test]
async fn environment_variables_reach_the_dev_server() {
    let address = dev_address().await;
    let config = ClientConfig::loader()
        .env(HashMap::from([
            ("TEMPORAL_ADDRESS".to_owned(), address.clone()),
            ("TEMPORAL_NAMESPACE".to_owned(), "default".to_owned()),
        ]))
        .load()
        .unwrap();
    assert_eq!(config.address(), address);
    let connection = Connection::connect_config(&config).await.unwrap();
    check(&connection).await;
}

#[tokio::test]
async fn a_toml_profile_reaches_the_dev_server() {
    let address = dev_address().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("temporal.toml");
    std::fs::write(
        &file,
        format!(
            "[profile.default]\naddress = \"localhost:1\"\n\n[profile.dev]\naddress = \"{address}\"\nnamespace = \"default\"\n\n[profile.dev.grpc_meta]\nx_test = \"solo\"\n"
        ),
    )
    .unwrap();
    let config = ClientConfig::loader()
        .env(HashMap::from([
            (
                "TEMPORAL_CONFIG_FILE".to_owned(),
                file.to_str().unwrap().to_owned(),
            ),
            ("TEMPORAL_PROFILE".to_owned(), "dev".to_owned()),
        ]))
        .strict()
        .load()
        .unwrap();
    assert_eq!(config.profile(), "dev");
    let connection = Connection::connect_config(&config).await.unwrap();
    check(&connection).await;
}

#[tokio::test]
async fn server_errors_arrive_as_plain_statuses() {
    let address = dev_address().await;
    let config = ClientConfig::default().with_address(address);
    let connection = Connection::connect_config(&config).await.unwrap();
    let status = connection
        .workflow_service()
        .poll_activity_execution(PollActivityExecutionRequest {
            namespace: "default".to_owned(),
            activity_id: "solo-connect-no-such-activity".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status}");

    let status = connection
        .workflow_service()
        .describe_namespace(DescribeNamespaceRequest {
            namespace: "solo-connect-no-such-namespace".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status}");
}

/// Runs `ClientConfig::load()` against the real process environment, in a child process that
/// only has `TEMPORAL_ADDRESS` and `TEMPORAL_NAMESPACE` (and an empty home, so no user file).
#[test]
fn process_environment_reaches_the_dev_server() {
    let address = DevServer::shared().unwrap().address();
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_connects_from_process_env",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("TEMPORAL_ADDRESS", &address)
        .env("TEMPORAL_NAMESPACE", "default")
        .env("SOLO_CONNECT_EXPECT_ADDRESS", &address)
        .output()
        .unwrap();
    // The child must have run the test, not merely exited 0 (a filter that matches nothing
    // passes with "0 passed").
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child test failed or did not run:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
#[ignore = "run in a child process by process_environment_reaches_the_dev_server"]
async fn child_connects_from_process_env() {
    let expected = std::env::var("SOLO_CONNECT_EXPECT_ADDRESS").unwrap();
    let config = ClientConfig::load().unwrap();
    assert_eq!(config.address(), expected);
    assert_eq!(config.namespace(), "default");
    assert_eq!(config.config_file(), None);
    let connection = Connection::connect_config(&config).await.unwrap();
    check(&connection).await;
}

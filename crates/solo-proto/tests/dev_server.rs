//! The generated stubs against a real dev server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use solo_proto::temporal::api::workflowservice::v1::{
    DescribeNamespaceRequest, GetSystemInfoRequest, workflow_service_client::WorkflowServiceClient,
};
use solo_testing::DevServer;

async fn client() -> WorkflowServiceClient<tonic::transport::Channel> {
    let server = DevServer::shared().expect("dev server");
    let channel = tonic::transport::Endpoint::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .expect("connect");
    WorkflowServiceClient::new(channel)
}

#[tokio::test]
async fn get_system_info_reports_the_server_version() {
    let info = client()
        .await
        .get_system_info(GetSystemInfoRequest {})
        .await
        .expect("GetSystemInfo")
        .into_inner();
    let version = info.server_version;
    assert!(
        version.starts_with("1."),
        "unexpected server version `{version}`"
    );
    let minor: u32 = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        minor >= 32,
        "standalone activities need server 1.32+, got {version}"
    );
}

#[tokio::test]
async fn default_namespace_has_standalone_activities() {
    let ns = client()
        .await
        .describe_namespace(DescribeNamespaceRequest {
            namespace: "default".into(),
            ..Default::default()
        })
        .await
        .expect("DescribeNamespace")
        .into_inner();
    let info = ns.namespace_info.expect("namespace info");
    assert_eq!(info.name, "default");
    let caps = info.capabilities.expect("capabilities");
    assert!(caps.standalone_activities, "capabilities: {caps:?}");
    assert!(
        caps.standalone_activity_start_delay,
        "capabilities: {caps:?}"
    );
}

#[tokio::test]
async fn unknown_namespace_is_not_found() {
    let err = client()
        .await
        .describe_namespace(DescribeNamespaceRequest {
            namespace: "no-such-namespace".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown namespace");
    assert_eq!(err.code(), tonic::Code::NotFound, "{err:?}");
}

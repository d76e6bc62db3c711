//! Guarantees users build on: the handle is `Send + Sync + Clone`, and the futures of the
//! generated client over it can be spawned.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use solo_connect::{Connection, ConnectionOptions, GrpcService};
use solo_proto::temporal::api::workflowservice::v1::GetSystemInfoRequest;
use support::{FakeTemporal, serve};

fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

#[test]
fn handles_are_send_sync_and_clone() {
    assert_send_sync_clone::<Connection>();
    assert_send_sync_clone::<GrpcService>();
    assert_send_sync_clone::<ConnectionOptions>();
}

#[tokio::test]
async fn client_calls_can_be_spawned() {
    let fake = FakeTemporal::default();
    let server = serve(fake.clone(), None).await;
    let connection = Connection::connect(ConnectionOptions::new(server.address()))
        .await
        .unwrap();
    let clone = connection.clone();
    // Would not compile if the call's future were not `Send`.
    let answer = tokio::spawn(async move {
        clone
            .workflow_service()
            .get_system_info(GetSystemInfoRequest {})
            .await
            .map(|r| r.into_inner().server_version)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(answer, "fake-1.0");
    assert_eq!(fake.calls_of("get_system_info").len(), 2);
}

//! What `Connection::connect` says when the address is wrong: nothing listening, a server
//! that is not gRPC, a gRPC server that is not Temporal, a bad address.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use solo_connect::{ClientConfig, ConnectError, Connection, ConnectionOptions};
use support::assert_message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A loopback port with nothing listening on it.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr.to_string()
}

#[tokio::test]
async fn nothing_listening() {
    let address = closed_port().await;
    let error = Connection::connect(ConnectionOptions::new(&address))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::Unreachable { .. }),
        "{error:?}"
    );
    assert_message(
        &error.to_string(),
        &[
            &format!("cannot connect to Temporal at {address}"),
            "refused",
            "TEMPORAL_ADDRESS",
            "temporal server start-dev",
        ],
    );
}

#[tokio::test]
async fn nothing_listening_through_a_profile() {
    let address = closed_port().await;
    let config = ClientConfig::default().with_address(&address);
    let error = Connection::connect_config(&config).await.unwrap_err();
    assert!(
        matches!(error, ConnectError::Unreachable { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_http1_server_is_not_temporal() {
    // What a newcomer hits with the Web UI port: an HTTP/1.1 server.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    let started = std::time::Instant::now();
    let error = Connection::connect(ConnectionOptions::new(&address))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ConnectError::Unreachable { .. } | ConnectError::NotTemporal { .. }
        ),
        "{error:?}"
    );
    assert_message(&error.to_string(), &[&address, "7233"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_grpc_server_without_temporal_is_not_temporal() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_routes(tonic::service::Routes::default())
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await;
    });
    let error = Connection::connect(ConnectionOptions::new(&address))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::NotTemporal { .. }),
        "{error:?}"
    );
    assert_message(
        &error.to_string(),
        &[
            &address,
            "not as a Temporal server",
            "UNIMPLEMENTED",
            "7233",
        ],
    );
}

#[tokio::test]
async fn bad_addresses_fail_before_connecting() {
    for (address, fragment) in [
        ("localhost", "the port is missing"),
        ("://bad", "nothing before `://`"),
        ("", "the address is empty"),
    ] {
        let error = Connection::connect(ConnectionOptions::new(address))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ConnectError::InvalidAddress { .. }),
            "{error:?}"
        );
        assert_message(&error.to_string(), &["invalid Temporal address", fragment]);
    }
    let error =
        Connection::connect(ConnectionOptions::new("127.0.0.1:1").header("bad header", "x"))
            .await
            .unwrap_err();
    assert!(
        matches!(error, ConnectError::InvalidHeader { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_missing_certificate_file_fails_at_connect_config() {
    let config = ClientConfig::loader()
        .env(Default::default())
        .config_data(
            "[profile.default.tls]\nclient_cert_path = \"/nonexistent/client.pem\"\nclient_key_path = \"/nonexistent/client.key\"\n",
        )
        .load()
        .unwrap();
    let error = Connection::connect_config(&config).await.unwrap_err();
    assert!(matches!(error, ConnectError::Config(_)), "{error:?}");
    assert_message(
        &error.to_string(),
        &["/nonexistent/client.pem", "tls.client_cert_path"],
    );
}

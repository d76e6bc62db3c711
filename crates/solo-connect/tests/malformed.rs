//! A fake server that answers with malformed or oversized gRPC messages: every call ends in a
//! typed error (a `ConnectError` or a `tonic::Status`), never a panic or a hang.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http_body::Frame;
use http_body_util::StreamBody;
use solo_connect::{Connection, ConnectionOptions, RetryOptions};
use solo_proto::temporal::api::workflowservice::v1::StartActivityExecutionRequest;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::body::Body;
use tonic::server::NamedService;

/// How the fake answers every method but `GetSystemInfo` (or every method, with `probe`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    /// A frame whose bytes are not a protobuf message.
    Garbage,
    /// A frame larger than the client accepts.
    Oversized,
    /// A frame header promising more bytes than follow.
    Truncated,
    /// The compressed flag set, with no compression negotiated.
    Compressed,
    /// A good frame but no `grpc-status` anywhere.
    NoStatus,
    /// An HTTP 500 with an HTML body.
    Http500,
}

#[derive(Clone)]
struct Malformed {
    answer: Answer,
    /// Whether `GetSystemInfo` is malformed too (the connect probe).
    probe: bool,
}

impl NamedService for Malformed {
    const NAME: &'static str = "temporal.api.workflowservice.v1.WorkflowService";
}

fn frame(flag: u8, declared: usize, message: &[u8]) -> Bytes {
    let mut buf = BytesMut::with_capacity(5 + message.len());
    buf.put_u8(flag);
    buf.put_u32(u32::try_from(declared).unwrap());
    buf.put_slice(message);
    buf.freeze()
}

fn grpc_response(data: Bytes, status: Option<&str>) -> http::Response<Body> {
    let mut trailers = http::HeaderMap::new();
    if let Some(code) = status {
        trailers.insert("grpc-status", code.parse().unwrap());
    }
    let frames = vec![
        Ok::<_, Infallible>(Frame::data(data)),
        Ok(Frame::trailers(trailers)),
    ];
    http::Response::builder()
        .header("content-type", "application/grpc")
        .body(Body::new(StreamBody::new(tokio_stream::iter(frames))))
        .unwrap()
}

impl tower::Service<http::Request<Body>> for Malformed {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let probe = request.uri().path().ends_with("/GetSystemInfo");
        let answer = self.answer;
        let malformed = !probe || self.probe;
        Box::pin(async move {
            if !malformed {
                // An empty message is a valid GetSystemInfoResponse.
                return Ok(grpc_response(frame(0, 0, &[]), Some("0")));
            }
            Ok(match answer {
                Answer::Garbage => grpc_response(frame(0, 6, &[0xff; 6]), Some("0")),
                Answer::Oversized => {
                    let big = vec![0u8; 64 * 1024];
                    grpc_response(frame(0, big.len(), &big), Some("0"))
                }
                Answer::Truncated => grpc_response(frame(0, 1000, &[0x0a, 0x01]), Some("0")),
                Answer::Compressed => grpc_response(frame(1, 2, &[0x0a, 0x00]), Some("0")),
                Answer::NoStatus => grpc_response(frame(0, 0, &[]), None),
                Answer::Http500 => http::Response::builder()
                    .status(500)
                    .header("content-type", "text/html")
                    .body(Body::new(http_body_util::Full::new(Bytes::from_static(
                        b"<html>oops</html>",
                    ))))
                    .unwrap(),
            })
        })
    }
}

async fn serve(fake: Malformed) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(fake)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    address
}

fn options(address: &str) -> ConnectionOptions {
    ConnectionOptions::new(address)
        .max_decoding_message_size(16 * 1024)
        .retry(
            RetryOptions::default()
                .max_attempts(3)
                .initial_interval(Duration::from_millis(1)),
        )
}

const ALL: [Answer; 6] = [
    Answer::Garbage,
    Answer::Oversized,
    Answer::Truncated,
    Answer::Compressed,
    Answer::NoStatus,
    Answer::Http500,
];

#[tokio::test]
async fn a_malformed_probe_is_a_connect_error() {
    for answer in ALL {
        let address = serve(Malformed {
            answer,
            probe: true,
        })
        .await;
        let connected = tokio::time::timeout(
            Duration::from_secs(20),
            Connection::connect(options(&address)),
        )
        .await
        .unwrap_or_else(|_| panic!("{answer:?}: connect hung"));
        let error = connected.expect_err(&format!("{answer:?} connected"));
        assert!(error.to_string().contains(&address), "{answer:?}: {error}");
    }
}

#[tokio::test]
async fn malformed_answers_are_statuses() {
    for answer in ALL {
        let address = serve(Malformed {
            answer,
            probe: false,
        })
        .await;
        let connection = Connection::connect(options(&address)).await.unwrap();
        let mut service = connection.workflow_service();
        let call = service.start_activity_execution(StartActivityExecutionRequest::default());
        let status = tokio::time::timeout(Duration::from_secs(20), call)
            .await
            .unwrap_or_else(|_| panic!("{answer:?}: the call hung"))
            .expect_err(&format!("{answer:?} succeeded"));
        assert_ne!(status.code(), tonic::Code::Ok, "{answer:?}");
        assert!(!status.message().is_empty(), "{answer:?}: {status:?}");
    }
}

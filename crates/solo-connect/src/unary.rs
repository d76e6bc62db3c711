//! [`Connection::unary`]: one unary call of any `WorkflowService` method, framed and read here
//! rather than by tonic's streaming codec.
//!
//! Every Temporal call is unary, and the call layer ([`crate::retry`]) holds each request and
//! each answer whole in memory anyway (to resend the same bytes, and to read the status in the
//! trailers). So the request is encoded straight into its one gRPC frame, and the answer's
//! message is decoded straight from the buffered frame: no streaming encoder or decoder, no
//! staging buffer, no copy of either message on the way.

use bytes::{BufMut, Bytes, BytesMut};
use http::header::{CONTENT_TYPE, TE};
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use prost::Message;
use tonic::body::Body;
use tonic::{Code, Status};
use tower::ServiceExt;

use crate::connection::Connection;
use crate::deadline::Buffered;

/// The bytes before each gRPC message: the compressed flag and the big-endian length.
const FRAME_HEADER: usize = 5;

const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
const GRPC_CONTENT_TYPE: HeaderValue = HeaderValue::from_static("application/grpc");
const TRAILERS: HeaderValue = HeaderValue::from_static("trailers");

/// Headers gRPC reserves for itself: a caller's metadata never sends them (`te` and
/// `content-type` are set below).
const RESERVED: [HeaderName; 3] = [
    GRPC_STATUS,
    HeaderName::from_static("grpc-message"),
    HeaderName::from_static("grpc-message-type"),
];

impl Connection {
    /// Makes one unary call of the `WorkflowService` method at `path` (for example
    /// `/temporal.api.workflowservice.v1.WorkflowService/StartActivityExecution`) through the
    /// connection's whole stack (metadata, retries, deadlines), and decodes its answer.
    ///
    /// The request's metadata becomes the call's headers and its extensions ride along (a
    /// [`RetryOptions`](crate::RetryOptions), [`LongPoll`](crate::LongPoll) or
    /// [`WaitForServer`](crate::WaitForServer)). Answers larger than
    /// [`max_decoding_message_size`](crate::ConnectionOptions::max_decoding_message_size) are
    /// refused. The request is encoded when this is called and sent when the future is
    /// awaited; the future borrows nothing from the connection.
    ///
    /// ```no_run
    /// use solo_connect::{Connection, ConnectionOptions};
    /// use solo_proto::temporal::api::workflowservice::v1::{
    ///     GetSystemInfoRequest, GetSystemInfoResponse,
    /// };
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let connection = Connection::connect(ConnectionOptions::new("localhost:7233")).await?;
    /// let path = http::uri::PathAndQuery::from_static(
    ///     "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo",
    /// );
    /// let info: GetSystemInfoResponse = connection
    ///     .unary(path, tonic::Request::new(GetSystemInfoRequest::default()))
    ///     .await?;
    /// println!("server {}", info.server_version);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The call's status after the connection's retries; `INTERNAL` for an answer that is not
    /// one well-formed message, `OUT_OF_RANGE` for one over the size limit, and, when the
    /// answer carries no `grpc-status`, the code its HTTP status maps to (`UNKNOWN` when it
    /// is 200).
    pub fn unary<M, R>(
        &self,
        path: PathAndQuery,
        request: tonic::Request<M>,
    ) -> impl Future<Output = Result<R, Status>> + Send + use<M, R>
    where
        M: Message,
        R: Message + Default,
    {
        // The request is framed here, before the future exists: the future holds the frame,
        // not the message (a large start request would otherwise sit in every call's state).
        let request = http_request(path, request);
        let service = self.grpc_service();
        let max_size = self.options().get_max_decoding_message_size();
        async move {
            let response = service.oneshot(request?).await?;
            decode(response, max_size).await
        }
    }
}

/// The HTTP/2 request of a unary call: `request`'s message framed, its metadata as the
/// headers (without the ones gRPC reserves), its extensions carried over.
fn http_request<M: Message>(
    path: PathAndQuery,
    request: tonic::Request<M>,
) -> Result<http::Request<Body>, Status> {
    let (metadata, extensions, message) = request.into_parts();
    let mut request = http::Request::new(Body::new(Buffered::request(frame(&message)?)));
    *request.method_mut() = http::Method::POST;
    *request.version_mut() = http::Version::HTTP_2;
    *request.uri_mut() = http::Uri::from(path);
    let mut headers = metadata.into_headers();
    for name in RESERVED {
        headers.remove(name);
    }
    headers.insert(TE, TRAILERS);
    headers.insert(CONTENT_TYPE, GRPC_CONTENT_TYPE);
    *request.headers_mut() = headers;
    *request.extensions_mut() = extensions;
    Ok(request)
}

/// `message` as one uncompressed gRPC frame.
fn frame<M: Message>(message: &M) -> Result<Bytes, Status> {
    let length = message.encoded_len();
    let declared = u32::try_from(length).map_err(|_| {
        Status::resource_exhausted(format!(
            "the request is {length} bytes, more than one gRPC message can carry (4 GiB); send less data in one call"
        ))
    })?;
    let mut buffer = BytesMut::with_capacity(FRAME_HEADER + length);
    buffer.put_u8(0);
    buffer.put_u32(declared);
    message
        .encode(&mut buffer)
        .map_err(|e| Status::internal(format!("the request could not be encoded: {e}")))?;
    Ok(buffer.freeze())
}

/// The one message of a unary answer, or the status it ended with.
async fn decode<R: Message + Default>(
    response: http::Response<Body>,
    max_size: usize,
) -> Result<R, Status> {
    let (parts, body) = response.into_parts();
    // A trailers-only answer: the status is in the headers and there is no message.
    if parts.headers.contains_key(GRPC_STATUS) {
        return Err(match Status::from_header_map(&parts.headers) {
            Some(status) if status.code() != Code::Ok => status,
            _ => Status::internal("the answer holds no message (an OK status without one)"),
        });
    }
    let (data, trailers) = crate::deadline::read_all(body)
        .await
        .map_err(Status::from_error)?;
    check_status(trailers.as_ref(), parts.status)?;
    message(data.unwrap_or_default(), max_size)
}

/// Ok when the trailers say OK; otherwise their status, or, without one, the status the HTTP
/// status code stands for (as gRPC maps them).
fn check_status(trailers: Option<&HeaderMap>, http_status: StatusCode) -> Result<(), Status> {
    if let Some(trailers) = trailers
        && let Some(code) = trailers.get(GRPC_STATUS)
    {
        if Code::from_bytes(code.as_bytes()) == Code::Ok {
            return Ok(());
        }
        if let Some(status) = Status::from_header_map(trailers) {
            return Err(status);
        }
    }
    let code = match http_status {
        StatusCode::OK => {
            return Err(Status::unknown(
                "the answer ended without a grpc-status (cut short by a proxy or load balancer?)",
            ));
        }
        StatusCode::BAD_REQUEST => Code::Internal,
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        StatusCode::FORBIDDEN => Code::PermissionDenied,
        StatusCode::NOT_FOUND => Code::Unimplemented,
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => Code::Unavailable,
        _ => Code::Unknown,
    };
    Err(Status::new(
        code,
        format!(
            "the answer has no grpc-status; its HTTP status is {} (is this a gRPC endpoint?)",
            http_status.as_u16()
        ),
    ))
}

/// Decodes the single uncompressed gRPC frame in `data`.
fn message<R: Message + Default>(data: Bytes, max_size: usize) -> Result<R, Status> {
    let Some(&[flag, a, b, c, d]) = data.first_chunk::<FRAME_HEADER>() else {
        return Err(Status::internal(if data.is_empty() {
            "the answer holds no message".to_owned()
        } else {
            format!(
                "the answer's gRPC frame is cut short: {} bytes, less than its 5-byte header",
                data.len()
            )
        }));
    };
    match flag {
        0 => {}
        1 => {
            return Err(Status::internal(
                "the answer is compressed, but this client asked for no compression",
            ));
        }
        other => {
            return Err(Status::internal(format!(
                "the answer's gRPC frame has an invalid compressed flag ({other})"
            )));
        }
    }
    let length = u32::from_be_bytes([a, b, c, d]) as usize;
    if length > max_size {
        return Err(Status::out_of_range(format!(
            "the answer is {length} bytes, more than the {max_size}-byte limit; raise ConnectionOptions::max_decoding_message_size"
        )));
    }
    let end = FRAME_HEADER + length;
    if data.len() < end {
        return Err(Status::internal(format!(
            "the answer's gRPC frame is cut short: its header promises {length} bytes, {} arrived",
            data.len() - FRAME_HEADER
        )));
    }
    if data.len() > end {
        return Err(Status::internal(
            "the answer holds more than one message, for a unary call",
        ));
    }
    R::decode(data.slice(FRAME_HEADER..end))
        .map_err(|e| Status::internal(format!("the answer is not a valid message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use solo_proto::temporal::api::workflowservice::v1::GetSystemInfoResponse;

    fn answer(
        data: &[u8],
        trailers: Option<&[(&'static str, &'static str)]>,
    ) -> http::Response<Body> {
        let data = Bytes::copy_from_slice(data);
        let trailers = trailers.map(|pairs| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        });
        let frames = [
            Some(http_body::Frame::data(data)),
            trailers.map(http_body::Frame::trailers),
        ];
        let stream = futures_stream(frames.into_iter().flatten().collect());
        http::Response::new(Body::new(stream))
    }

    fn futures_stream(
        frames: Vec<http_body::Frame<Bytes>>,
    ) -> impl http_body::Body<Data = Bytes, Error = Status> + Send + 'static {
        http_body_util::StreamBody::new(tokio_stream::iter(frames.into_iter().map(Ok)))
    }

    fn framed(flag: u8, declared: usize, message: &[u8]) -> Vec<u8> {
        let mut out = vec![flag];
        out.extend_from_slice(&(declared as u32).to_be_bytes());
        out.extend_from_slice(message);
        out
    }

    const OK: &[(&str, &str)] = &[("grpc-status", "0")];

    async fn read(response: http::Response<Body>) -> Result<GetSystemInfoResponse, Status> {
        decode(response, 1024).await
    }

    #[tokio::test]
    async fn a_framed_message_with_an_ok_status_is_decoded() {
        let sent = GetSystemInfoResponse {
            server_version: "1.32.0".to_owned(),
            ..Default::default()
        };
        let frame = frame(&sent).unwrap();
        let got = read(answer(&frame, Some(OK))).await.unwrap();
        assert_eq!(got, sent);
    }

    #[tokio::test]
    async fn a_message_split_across_chunks_is_joined() {
        let sent = GetSystemInfoResponse {
            server_version: "1.32.0".to_owned(),
            ..Default::default()
        };
        let frame = frame(&sent).unwrap();
        let (head, tail) = frame.split_at(3);
        let frames = vec![
            http_body::Frame::data(Bytes::copy_from_slice(head)),
            http_body::Frame::data(Bytes::copy_from_slice(tail)),
            http_body::Frame::trailers(HeaderMap::from_iter([(
                GRPC_STATUS,
                HeaderValue::from_static("0"),
            )])),
        ];
        let got = read(http::Response::new(Body::new(futures_stream(frames))))
            .await
            .unwrap();
        assert_eq!(got, sent);
    }

    #[tokio::test]
    async fn an_error_status_wins_over_the_message() {
        let frame = frame(&GetSystemInfoResponse::default()).unwrap();
        let status = read(answer(
            &frame,
            Some(&[
                ("grpc-status", "5"),
                ("grpc-message", "no%20such%20activity"),
            ]),
        ))
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "no such activity");
    }

    #[tokio::test]
    async fn a_trailers_only_answer_is_its_status() {
        let response = Status::new(Code::PermissionDenied, "denied").into_http::<Body>();
        let status = read(response).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(status.message(), "denied");
    }

    #[tokio::test]
    async fn malformed_answers_are_named() {
        let cases: [(Vec<u8>, Code, &str); 7] = [
            (Vec::new(), Code::Internal, "no message"),
            (vec![0, 0], Code::Internal, "cut short"),
            (
                framed(0, 10, &[1, 2]),
                Code::Internal,
                "promises 10 bytes, 2 arrived",
            ),
            (framed(1, 0, &[]), Code::Internal, "compressed"),
            (
                framed(7, 0, &[]),
                Code::Internal,
                "invalid compressed flag (7)",
            ),
            (
                framed(0, 4096, &[0; 4096]),
                Code::OutOfRange,
                "max_decoding_message_size",
            ),
            (
                framed(0, 3, &[0xff, 0xff, 0xff]),
                Code::Internal,
                "not a valid message",
            ),
        ];
        for (data, code, says) in cases {
            let status = read(answer(&data, Some(OK))).await.unwrap_err();
            assert_eq!(status.code(), code, "{status:?}");
            assert!(status.message().contains(says), "{status:?}");
        }
        let mut two = framed(0, 0, &[]);
        two.extend(framed(0, 0, &[]));
        let status = read(answer(&two, Some(OK))).await.unwrap_err();
        assert!(
            status.message().contains("more than one message"),
            "{status:?}"
        );
    }

    #[tokio::test]
    async fn without_a_grpc_status_the_http_status_decides() {
        let frame = frame(&GetSystemInfoResponse::default()).unwrap();
        let status = read(answer(&frame, None)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unknown);
        assert!(
            status.message().contains("without a grpc-status"),
            "{status:?}"
        );

        let mut response = answer(b"<html>", None);
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        let status = read(response).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable);
        assert!(status.message().contains("503"), "{status:?}");
    }

    #[test]
    fn a_request_is_one_uncompressed_frame() {
        let message = GetSystemInfoResponse {
            server_version: "x".to_owned(),
            ..Default::default()
        };
        let bytes = frame(&message).unwrap();
        assert_eq!(bytes[0], 0);
        let length = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
        assert_eq!(length, message.encoded_len());
        assert_eq!(GetSystemInfoResponse::decode(&bytes[5..]).unwrap(), message);
    }
}

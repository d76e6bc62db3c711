//! Deadlines: every attempt of every call gets one (applied by the call layer, [`crate::retry`]).
//!
//! The deadline of a request is, in order:
//! 1. the one the caller set (`tonic::Request::set_timeout`, which becomes the `grpc-timeout`
//!    header), longer or shorter than the defaults;
//! 2. the long-poll timeout (70 s by default) for `PollActivityTaskQueue`,
//!    `PollActivityExecution`, `DescribeActivityExecution` with a long-poll token, and any
//!    request carrying the [`LongPoll`] extension;
//! 3. the ordinary timeout (30 s by default).
//!
//! The deadline is sent to the server as `grpc-timeout` and enforced here, over the whole
//! exchange: Temporal's calls are unary, so each attempt reads the response body to its end
//! (which also lets the retries see the status in the trailers). A call that runs out of
//! time answers `DEADLINE_EXCEEDED`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Response};
use http_body_util::BodyExt;
use prost::Message;
use solo_proto::temporal::api::workflowservice::v1::DescribeActivityExecutionRequest;
use tonic::Code;
use tonic::body::Body;

use crate::BoxError;
use crate::status::{self, CallStatus};

/// Marks a request as a long poll, so it gets the long-poll deadline instead of the ordinary
/// one. Calls recognised by their method (or, for a describe, its long-poll token) need no
/// marker.
///
/// ```
/// use solo_connect::LongPoll;
///
/// let mut request = tonic::Request::new(());
/// request.extensions_mut().insert(LongPoll);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LongPoll;

const SERVICE: &str = "/temporal.api.workflowservice.v1.WorkflowService/";
const LONG_POLL_METHODS: &[&str] = &["PollActivityTaskQueue", "PollActivityExecution"];
const DESCRIBE: &str = "DescribeActivityExecution";

/// Whether the method (by its path) is always a long poll.
pub(crate) fn is_long_poll_path(path: &str) -> bool {
    path.strip_prefix(SERVICE)
        .is_some_and(|method| LONG_POLL_METHODS.contains(&method))
}

/// Whether the method (by its path) may be a long poll that only the request's body reveals.
pub(crate) fn is_describe(path: &str) -> bool {
    path.strip_prefix(SERVICE) == Some(DESCRIBE)
}

/// Whether a buffered unary request body is a long poll that only its contents reveal:
/// `DescribeActivityExecution` with a long-poll token.
pub(crate) fn is_long_poll_body(path: &str, body: &[u8]) -> bool {
    if path.strip_prefix(SERVICE) != Some(DESCRIBE) {
        return false;
    }
    // One gRPC frame: compression flag, 4-byte big-endian length, message.
    let Some((&[flag, a, b, c, d], message)) = body.split_first_chunk::<5>() else {
        return false;
    };
    let length = u32::from_be_bytes([a, b, c, d]) as usize;
    if flag != 0 || message.len() < length {
        return false;
    }
    DescribeActivityExecutionRequest::decode(&message[..length])
        .is_ok_and(|request| !request.long_poll_token.is_empty())
}

/// Reads a `grpc-timeout` header value: up to 8 digits and a unit (`H`, `M`, `S`, `m`, `u`,
/// `n`).
fn parse_grpc_timeout(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?;
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Writes a `grpc-timeout` header value in the finest unit that fits 8 digits.
fn format_grpc_timeout(timeout: Duration) -> String {
    const MAX: u128 = 99_999_999;
    let candidates = [
        (timeout.as_nanos(), 'n'),
        (timeout.as_micros(), 'u'),
        (timeout.as_millis(), 'm'),
        (u128::from(timeout.as_secs()), 'S'),
        (u128::from(timeout.as_secs() / 60), 'M'),
    ];
    for (value, unit) in candidates {
        if value <= MAX {
            return format!("{value}{unit}");
        }
    }
    format!("{}H", (timeout.as_secs() / 3600).min(99_999_999))
}

/// The `grpc-timeout` header (a name made once: building one from a string allocates).
const GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");

/// A connection's default deadlines, with their `grpc-timeout` header values built once.
#[derive(Debug, Clone)]
pub(crate) struct Deadlines {
    rpc: (Duration, HeaderValue),
    long_poll: (Duration, HeaderValue),
}

impl Deadlines {
    pub(crate) fn new(rpc_timeout: Duration, long_poll_timeout: Duration) -> Self {
        let header = |timeout: Duration| {
            HeaderValue::from_str(&format_grpc_timeout(timeout))
                .unwrap_or_else(|_| HeaderValue::from_static("99999999H"))
        };
        Self {
            rpc: (rpc_timeout, header(rpc_timeout)),
            long_poll: (long_poll_timeout, header(long_poll_timeout)),
        }
    }

    /// The deadline of a request with `headers`: the caller's `grpc-timeout` (then no header
    /// to add), else the long-poll or the ordinary default with its header value.
    pub(crate) fn of(
        &self,
        headers: &http::HeaderMap,
        long_poll: bool,
    ) -> (Duration, Option<&HeaderValue>) {
        if let Some(timeout) = headers.get(&GRPC_TIMEOUT).and_then(parse_grpc_timeout) {
            return (timeout, None);
        }
        let (timeout, header) = if long_poll {
            &self.long_poll
        } else {
            &self.rpc
        };
        (*timeout, Some(header))
    }
}

/// Adds the `grpc-timeout` header of [`Deadlines::of`], when there is one to add.
pub(crate) fn set_header(headers: &mut http::HeaderMap, header: Option<&HeaderValue>) {
    if let Some(value) = header {
        headers.insert(GRPC_TIMEOUT, value.clone());
    }
}

/// Sends one attempt and reads all of its response within `timeout`: the buffered response
/// and its gRPC status. A call that runs out of time answers `DEADLINE_EXCEEDED`.
///
/// `channel_enforces`: the channel below (tonic's) already ends a call whose response does not
/// begin within the request's `grpc-timeout`, with its own timer. Then no second timer is set
/// for that part; the body is read within what is left of the deadline, with a timer only when
/// it has not all arrived with the response's head (a unary response's data and trailers
/// usually have).
pub(crate) async fn within<F>(
    timeout: Duration,
    channel_enforces: bool,
    response: F,
) -> Result<Answer, BoxError>
where
    F: Future<Output = Result<Response<Body>, BoxError>>,
{
    if !channel_enforces {
        return match tokio::time::timeout(timeout, exchange(response)).await {
            Ok(Err(error)) if is_timeout(&*error) => Ok(expired(timeout)),
            Ok(result) => result,
            Err(_) => Ok(expired(timeout)),
        };
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let response = match response.await {
        Ok(response) => response,
        Err(error) if is_timeout(&*error) => return Ok(expired(timeout)),
        Err(error) => return Err(error),
    };
    let (parts, body) = response.into_parts();
    let mut read = std::pin::pin!(read_all(body));
    let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
    let (data, trailers) = match first {
        Poll::Ready(result) => result?,
        Poll::Pending => match tokio::time::timeout_at(deadline, read).await {
            Ok(result) => result?,
            Err(_) => return Ok(expired(timeout)),
        },
    };
    let status = CallStatus::read(&parts.headers, trailers.as_ref());
    let body = Body::new(Buffered { data, trailers });
    Ok((Response::from_parts(parts, body), status))
}

/// A buffered response and the gRPC status read from it.
pub(crate) type Answer = (Response<Body>, CallStatus);

/// Waits for the response and reads all of it, noting its gRPC status.
async fn exchange<F>(response: F) -> Result<Answer, BoxError>
where
    F: Future<Output = Result<Response<Body>, BoxError>>,
{
    let response = response.await?;
    let (parts, body) = response.into_parts();
    let (data, trailers) = read_all(body).await?;
    let status = CallStatus::read(&parts.headers, trailers.as_ref());
    let body = Body::new(Buffered { data, trailers });
    Ok((Response::from_parts(parts, body), status))
}

/// Reads a body to its end: its data (one buffer, copied only when it came in several
/// frames) and its trailers.
pub(crate) async fn read_all<B>(mut body: B) -> Result<(Option<Bytes>, Option<HeaderMap>), BoxError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let mut data: Option<Bytes> = None;
    let mut more: Option<BytesMut> = None;
    let mut trailers: Option<HeaderMap> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(Into::into)?;
        match frame.into_data() {
            Ok(chunk) => match (&mut more, &data) {
                (Some(buffer), _) => buffer.extend_from_slice(&chunk),
                (None, Some(first)) => {
                    let mut buffer = BytesMut::with_capacity(first.len() + chunk.len());
                    buffer.extend_from_slice(first);
                    buffer.extend_from_slice(&chunk);
                    more = Some(buffer);
                }
                (None, None) => data = Some(chunk),
            },
            Err(frame) => {
                if let Ok(map) = frame.into_trailers() {
                    match &mut trailers {
                        Some(all) => all.extend(map),
                        None => trailers = Some(map),
                    }
                }
            }
        }
    }
    Ok((more.map(BytesMut::freeze).or(data), trailers))
}

/// A fully read body, handed on as one data frame and its trailers. Its size is not given as
/// exact, so that the HTTP/2 client adds no `content-length` to a request sent with it (gRPC
/// does not use one; tonic's own bodies do not have one either).
pub(crate) struct Buffered {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl Buffered {
    /// A request body of `data`.
    pub(crate) fn request(data: Bytes) -> Self {
        Buffered {
            data: Some(data),
            trailers: None,
        }
    }
}

impl http_body::Body for Buffered {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(data))));
        }
        Poll::Ready(
            self.trailers
                .take()
                .map(|t| Ok(http_body::Frame::trailers(t))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.trailers.is_none()
    }
}

fn expired(timeout: Duration) -> Answer {
    let message = format!("no response within the {timeout:?} deadline");
    (
        status::response(Code::DeadlineExceeded, message.clone()),
        CallStatus {
            code: Code::DeadlineExceeded,
            message,
        },
    )
}

/// Whether an error (or its cause) is tonic's own `grpc-timeout` expiry, which races with ours.
fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<tonic::TimeoutExpired>() {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::{RetryLayer, RetryOptions};
    use http::Request;
    use std::sync::{Arc, Mutex};
    use tower::{Layer, ServiceExt};

    fn path(method: &str) -> String {
        format!("{SERVICE}{method}")
    }

    fn frame(message: &impl Message) -> Vec<u8> {
        let bytes = message.encode_to_vec();
        let mut out = vec![0];
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&bytes);
        out
    }

    #[test]
    fn grpc_timeout_round_trips() {
        for timeout in [
            Duration::from_millis(1),
            Duration::from_millis(250),
            Duration::from_secs(30),
            Duration::from_secs(70),
            Duration::from_secs(3 * 3600),
        ] {
            let text = format_grpc_timeout(timeout);
            let parsed = parse_grpc_timeout(&HeaderValue::from_str(&text).unwrap()).unwrap();
            assert_eq!(parsed, timeout, "{text}");
        }
        assert_eq!(format_grpc_timeout(Duration::from_secs(30)), "30000000u");
        for bad in ["", "S", "12", "123456789S", "10x", "-1S"] {
            assert_eq!(
                parse_grpc_timeout(&HeaderValue::from_static(bad)),
                None,
                "{bad}"
            );
        }
    }

    #[test]
    fn describe_is_a_long_poll_only_with_a_token() {
        let with_token = DescribeActivityExecutionRequest {
            long_poll_token: bytes::Bytes::from_static(&[1, 2, 3]),
            ..Default::default()
        };
        let without = DescribeActivityExecutionRequest::default();
        assert!(is_long_poll_body(&path(DESCRIBE), &frame(&with_token)));
        assert!(!is_long_poll_body(&path(DESCRIBE), &frame(&without)));
        assert!(!is_long_poll_body(
            &path("StartActivityExecution"),
            &frame(&with_token)
        ));
        assert!(!is_long_poll_body(&path(DESCRIBE), &[0, 0]));
    }

    /// Runs one request through the layer over an inner service that records the
    /// `grpc-timeout` it saw and answers after `delay`.
    async fn run(request: Request<Body>, delay: Duration) -> (Option<String>, Response<Body>) {
        let seen = Arc::new(Mutex::new(None));
        let recorder = seen.clone();
        let inner = tower::service_fn(move |req: Request<Body>| {
            let recorder = recorder.clone();
            async move {
                *recorder.lock().unwrap() = req
                    .headers()
                    .get("grpc-timeout")
                    .map(|v| v.to_str().unwrap().to_owned());
                tokio::time::sleep(delay).await;
                Ok::<_, BoxError>(status::response(Code::Ok, ""))
            }
        });
        let service = RetryLayer::new(RetryOptions::disabled())
            .deadlines(Duration::from_secs(30), Duration::from_secs(70))
            .layer(inner);
        let response = service.oneshot(request).await.unwrap();
        let seen = seen.lock().unwrap().clone();
        (seen, response)
    }

    fn request(method: &str) -> Request<Body> {
        let mut request = Request::new(Body::empty());
        *request.uri_mut() = path(method).parse().unwrap();
        request
    }

    #[tokio::test]
    async fn defaults_depend_on_the_method() {
        let (seen, _) = run(request("StartActivityExecution"), Duration::ZERO).await;
        assert_eq!(seen.as_deref(), Some("30000000u"));
        let (seen, _) = run(request("PollActivityTaskQueue"), Duration::ZERO).await;
        assert_eq!(seen.as_deref(), Some("70000000u"));
        let (seen, _) = run(request("PollActivityExecution"), Duration::ZERO).await;
        assert_eq!(seen.as_deref(), Some("70000000u"));
        let mut marked = request("DescribeActivityExecution");
        marked.extensions_mut().insert(LongPoll);
        let (seen, _) = run(marked, Duration::ZERO).await;
        assert_eq!(seen.as_deref(), Some("70000000u"));
    }

    #[tokio::test]
    async fn an_explicit_timeout_wins_over_the_default() {
        let mut longer = request("StartActivityExecution");
        longer
            .headers_mut()
            .insert("grpc-timeout", HeaderValue::from_static("90S"));
        let (seen, _) = run(longer, Duration::ZERO).await;
        assert_eq!(seen.as_deref(), Some("90S"));
    }

    /// A body that never yields a frame.
    struct Stalled;

    impl http_body::Body for Stalled {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_body_that_stalls_after_the_head_runs_out_of_time_too() {
        // The channel ends a response that does not begin in time; a body that stalls after
        // it began is ended here, within what is left of the deadline.
        for channel_enforces in [true, false] {
            let response = async { Ok::<_, BoxError>(Response::new(Body::new(Stalled))) };
            let call = within(Duration::from_millis(50), channel_enforces, response);
            let (response, status) = tokio::time::timeout(Duration::from_secs(5), call)
                .await
                .expect("the deadline ends the call")
                .unwrap();
            assert_eq!(status.code, Code::DeadlineExceeded, "{channel_enforces}");
            assert_eq!(
                tonic::Status::from_header_map(response.headers())
                    .unwrap()
                    .code(),
                Code::DeadlineExceeded
            );
        }
    }

    #[tokio::test]
    async fn an_expired_deadline_answers_deadline_exceeded() {
        let mut short = request("PollActivityTaskQueue");
        short
            .headers_mut()
            .insert("grpc-timeout", HeaderValue::from_static("20m"));
        let (_, response) = run(short, Duration::from_secs(5)).await;
        let status = response.extensions().get::<CallStatus>().unwrap();
        assert_eq!(status.code, Code::DeadlineExceeded);
        let header = tonic::Status::from_header_map(response.headers()).unwrap();
        assert_eq!(header.code(), Code::DeadlineExceeded);
        assert!(header.message().contains("20ms"), "{}", header.message());
    }
}

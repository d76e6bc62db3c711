//! The call layer: failed calls are sent again, with exponential backoff and jitter, when the
//! failure is one that may go away.
//!
//! (Over 500 lines because of its unit tests: the layer and its options are ~490 lines, the
//! rest drives it against scripted inner services.)
//!
//! Retried: the codes whose [`code_policy`](crate::code_policy) says `retried` (as the Rust
//! core that Python uses does) and transport failures (connection refused or reset, GOAWAY).
//! Never retried: every other code, including `INVALID_ARGUMENT`, `NOT_FOUND`,
//! `ALREADY_EXISTS`, `FAILED_PRECONDITION`, `PERMISSION_DENIED`, `UNAUTHENTICATED`,
//! `UNIMPLEMENTED`, `DEADLINE_EXCEEDED`, `CANCELLED`, and `RESOURCE_EXHAUSTED` for a message
//! that is too large. `RESOURCE_EXHAUSTED` (throttling) backs off longer.
//!
//! A retry resends the very same request bytes: the layer buffers the unary request body once,
//! so an idempotency key inside (`request_id`) is the same on every attempt (a call that cannot
//! be retried is sent as it is, unbuffered). Each attempt gets its own deadline
//! ([`crate::deadline`]) and is told to the call observers ([`crate::observe`]); all of it runs
//! in one future per call.
//!
//! The connection's [`RetryOptions`] apply to every call; a request can carry its own
//! `RetryOptions` as an extension to override them:
//!
//! ```
//! use solo_connect::RetryOptions;
//!
//! let mut request = tonic::Request::new(());
//! request.extensions_mut().insert(RetryOptions::disabled());
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use tonic::Code;
use tonic::body::Body;
use tower::{Layer, Service, ServiceExt};

use crate::BoxError;
use crate::backoff::{Backoff, random_sample};
use crate::codes::is_retried;
use crate::deadline::{self, Answer, Buffered, Deadlines, LongPoll};
use crate::observe::{CallObserver, Observed, Observers};
use crate::reachability::Reachability;
use crate::status::code_name;

/// How failed calls are retried: exponential backoff with jitter, bounded in attempts and in
/// total time.
///
/// ```
/// use std::time::Duration;
/// use solo_connect::RetryOptions;
///
/// let retry = RetryOptions::default()
///     .max_attempts(5)
///     .max_elapsed(Duration::from_secs(30));
/// assert_eq!(retry.initial_interval, Duration::from_millis(100));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryOptions {
    /// Delay before the first retry. Default: 100 ms.
    pub initial_interval: Duration,
    /// Factor between consecutive delays. Default: 1.7.
    pub multiplier: f64,
    /// Largest delay. Default: 5 s.
    pub max_interval: Duration,
    /// Attempts in all, the first included; 1 means no retries. Default: 30.
    pub max_attempts: u32,
    /// No retry starts once this much time has passed since the first attempt began.
    /// Default: 60 s, long enough to ride out a server restart. (Calls that wait anyway —
    /// an activity's result, `watch`, listings — are retried for as long as their caller
    /// waits.)
    pub max_elapsed: Duration,
    /// Each delay is multiplied by a random factor in `[1 - jitter, 1 + jitter]`. Default: 0.2.
    pub jitter: f64,
    /// Smallest delay after `RESOURCE_EXHAUSTED` (the server is throttling). Default: 1 s.
    pub throttled_initial_interval: Duration,
    /// Largest delay after `RESOURCE_EXHAUSTED`. Default: 10 s.
    pub throttled_max_interval: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_millis(100),
            multiplier: 1.7,
            max_interval: Duration::from_secs(5),
            max_attempts: 30,
            max_elapsed: Duration::from_secs(60),
            jitter: 0.2,
            throttled_initial_interval: Duration::from_secs(1),
            throttled_max_interval: Duration::from_secs(10),
        }
    }
}

impl RetryOptions {
    /// The defaults: 100 ms, ×1.7, at most 5 s apart, 30 attempts, 60 s in all, ±20 % jitter.
    pub fn new() -> Self {
        Self::default()
    }

    /// One attempt, no retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets [`initial_interval`](Self::initial_interval).
    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    /// Sets [`multiplier`](Self::multiplier).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// Sets [`max_interval`](Self::max_interval).
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// Sets [`max_attempts`](Self::max_attempts).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Sets [`max_elapsed`](Self::max_elapsed).
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Sets [`jitter`](Self::jitter) (clamped to `0.0..=1.0`).
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the backoff after `RESOURCE_EXHAUSTED`.
    pub fn throttled_interval(mut self, initial: Duration, max: Duration) -> Self {
        self.throttled_initial_interval = initial;
        self.throttled_max_interval = max;
        self
    }

    /// The backoff these options describe (for the ordinary, not throttled, delays).
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.initial_interval, self.max_interval)
            .multiplier(self.multiplier)
            .jitter(self.jitter)
    }

    /// The delay before retry number `retry` (1 for the first retry), given a random sample
    /// in `[0, 1)` for the jitter.
    fn delay(&self, retry: u32, throttled: bool, sample: f64) -> Duration {
        let backoff = self.backoff();
        let mut base = backoff.base(retry);
        if throttled {
            let slow = Backoff::new(self.throttled_initial_interval, self.throttled_max_interval)
                .multiplier(self.multiplier);
            base = base.max(slow.base(retry));
        }
        backoff.jittered(base, sample)
    }
}

/// What to do with an attempt's result: `None` to return it, `Some(code)` to retry it.
fn retryable(result: &Result<Answer, BoxError>) -> Option<Code> {
    match result {
        // Transport failures: the request may not have reached the server, and every
        // Temporal call is safe to resend (mutations carry a request id).
        Err(_) => Some(Code::Unavailable),
        Ok((_, status)) => is_retried(status.code, &status.message).then_some(status.code),
    }
}

/// A request extension for calls whose caller waits for the answer anyway (an activity's
/// result, a watch, a page of a listing): the call is retried through any outage — transport
/// failures (refused, reset, GOAWAY) and `UNAVAILABLE` — for as long as its caller waits
/// (until the future is dropped), with the usual backoff. Other retryable failures
/// (`INTERNAL`, throttling, ...) keep to the retry budget, since they may not go away.
///
/// ```
/// use solo_connect::WaitForServer;
///
/// let mut request = tonic::Request::new(());
/// request.extensions_mut().insert(WaitForServer);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaitForServer;

/// Sends each call: retries, call observers and deadlines, in one future per call (see the
/// module docs, [`crate::deadline`] and [`crate::observe`]).
#[derive(Clone)]
pub(crate) struct RetryLayer {
    options: Arc<RetryOptions>,
    reachability: Arc<Reachability>,
    deadlines: Deadlines,
    observers: Option<Arc<[Arc<dyn CallObserver>]>>,
    channel_enforces_deadline: bool,
}

impl RetryLayer {
    pub(crate) fn new(options: RetryOptions) -> Self {
        Self {
            options: Arc::new(options),
            reachability: Arc::new(Reachability::new("")),
            deadlines: Deadlines::new(Duration::from_secs(30), Duration::from_secs(70)),
            observers: None,
            channel_enforces_deadline: false,
        }
    }

    /// The inner service is tonic's channel, which ends a call whose response does not begin
    /// within its `grpc-timeout` by itself (see [`deadline::within`]).
    pub(crate) fn channel_enforces_deadline(mut self) -> Self {
        self.channel_enforces_deadline = true;
        self
    }

    /// Names the server in the outage log lines.
    pub(crate) fn address(mut self, address: &str) -> Self {
        self.reachability = Arc::new(Reachability::new(address));
        self
    }

    /// The default deadlines of an ordinary call and of a long poll.
    pub(crate) fn deadlines(mut self, rpc_timeout: Duration, long_poll_timeout: Duration) -> Self {
        self.deadlines = Deadlines::new(rpc_timeout, long_poll_timeout);
        self
    }

    /// The observers told of each attempt.
    pub(crate) fn observers(mut self, observers: &Observers) -> Self {
        self.observers = observers.shared();
        self
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry {
            inner: Arc::new(inner),
            shared: Arc::new(Shared {
                options: self.options.clone(),
                reachability: self.reachability.clone(),
                deadlines: self.deadlines.clone(),
                observers: self.observers.clone(),
                channel_enforces_deadline: self.channel_enforces_deadline,
            }),
        }
    }
}

/// What every call of a [`Retry`] shares.
struct Shared {
    options: Arc<RetryOptions>,
    reachability: Arc<Reachability>,
    deadlines: Deadlines,
    observers: Option<Arc<[Arc<dyn CallObserver>]>>,
    channel_enforces_deadline: bool,
}

/// The service of [`RetryLayer`]. Cloning it costs two reference counts: the inner service
/// (the channel) is cloned once per call, for that call's own use.
pub(crate) struct Retry<S> {
    inner: Arc<S>,
    shared: Arc<Shared>,
}

impl<S> Clone for Retry<S> {
    fn clone(&self) -> Self {
        Retry {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<S> Service<Request<Body>> for Retry<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = BoxError>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Each call waits for readiness of its own clone of the inner service.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let inner = S::clone(&self.inner);
        let options = request.extensions().get::<RetryOptions>().cloned();
        Box::pin(attempts(inner, self.shared.clone(), options, request))
    }
}

/// Sends `request` until it succeeds, fails for good, or the budget is spent. Each attempt
/// gets its own deadline and is told to the observers.
async fn attempts<S>(
    mut inner: S,
    shared: Arc<Shared>,
    own_options: Option<RetryOptions>,
    request: Request<Body>,
) -> Result<Response<Body>, BoxError>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = BoxError>,
{
    let options = own_options.as_ref().unwrap_or(&shared.options);
    let reachability = &shared.reachability;
    let (mut parts, body) = request.into_parts();
    let waits_for_server = parts.extensions.get::<WaitForServer>().is_some();
    let mut long_poll = parts.extensions.get::<LongPoll>().is_some()
        || deadline::is_long_poll_path(parts.uri.path());
    let observed = shared
        .observers
        .as_ref()
        .map(|observers| Observed::new(observers, &parts));
    // Nothing below reads the extensions: attempts are sent without them.
    parts.extensions = http::Extensions::new();

    // One attempt only, and nothing to learn from the body: the request goes as it is,
    // without buffering or copying it.
    if options.max_attempts <= 1 && !waits_for_server && !deadline::is_describe(parts.uri.path()) {
        let (timeout, header) = shared.deadlines.of(&parts.headers, long_poll);
        let header = header.cloned();
        deadline::set_header(&mut parts.headers, header.as_ref());
        let result = attempt(
            &mut inner,
            Request::from_parts(parts, body),
            timeout,
            shared.channel_enforces_deadline,
            observed.as_ref(),
        )
        .await;
        note_reachability(reachability, &result);
        return result.map(|(response, _)| response);
    }

    let bytes = deadline::read_all(body).await?.0.unwrap_or_default();
    if !long_poll && deadline::is_long_poll_body(parts.uri.path(), &bytes) {
        long_poll = true;
    }
    let (timeout, header) = shared.deadlines.of(&parts.headers, long_poll);
    let header = header.cloned();
    deadline::set_header(&mut parts.headers, header.as_ref());
    // The first attempt takes the request's own header map; a retry rebuilds one from this
    // list (a map sized for the request and the channel's `user-agent` costs a large
    // allocation per call, and retries are rare).
    let mut saved: Vec<(HeaderName, HeaderValue)> = Vec::with_capacity(parts.headers.len());
    saved.extend(
        parts
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), value.clone())),
    );
    let mut first = Some(std::mem::take(&mut parts.headers));
    let started = Instant::now();
    let mut attempt_number: u32 = 1;
    loop {
        let headers = first.take().unwrap_or_else(|| rebuild(&saved));
        let result = attempt(
            &mut inner,
            copy(&parts, headers, &bytes),
            timeout,
            shared.channel_enforces_deadline,
            observed.as_ref(),
        )
        .await;
        let Some(code) = retryable(&result) else {
            reachability.answered();
            return result.map(|(response, _)| response);
        };
        note_reachability(reachability, &result);
        let delay = options.delay(
            attempt_number,
            code == Code::ResourceExhausted,
            random_sample(),
        );
        // A call marked `WaitForServer` outlasts any outage; every other retry (and every
        // other call) keeps to the budget.
        let through_outage = waits_for_server && code == Code::Unavailable;
        if !through_outage
            && (attempt_number >= options.max_attempts
                || started.elapsed() + delay > options.max_elapsed)
        {
            return result.map(|(response, _)| response);
        }
        match &result {
            Err(error) => tracing::debug!(
                method = parts.uri.path(),
                attempt = attempt_number,
                ?delay,
                error = %error,
                "transport failure; retrying"
            ),
            Ok(_) => tracing::debug!(
                method = parts.uri.path(),
                attempt = attempt_number,
                ?delay,
                code = code_name(code),
                "retryable status; retrying"
            ),
        }
        tokio::time::sleep(delay).await;
        attempt_number += 1;
    }
}

/// One attempt: readiness of the channel, then the exchange within `timeout`, told to the
/// observers.
async fn attempt<S>(
    inner: &mut S,
    request: Request<Body>,
    timeout: Duration,
    channel_enforces: bool,
    observed: Option<&Observed>,
) -> Result<Answer, BoxError>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = BoxError>,
{
    if let Some(observed) = observed {
        observed.start();
    }
    let started = Instant::now();
    let result = match inner.ready().await {
        Ok(ready) => deadline::within(timeout, channel_enforces, ready.call(request)).await,
        Err(e) => Err(e),
    };
    if let Some(observed) = observed {
        let code = match &result {
            Ok((_, status)) => status.code,
            Err(_) => Code::Unavailable,
        };
        observed.end(code, started.elapsed());
    }
    result
}

/// Records what an attempt says about the server: unreachable (a transport failure or
/// `UNAVAILABLE`), or answering.
fn note_reachability(reachability: &Reachability, result: &Result<Answer, BoxError>) {
    match result {
        Err(error) => {
            reachability.unreachable(error);
        }
        Ok((_, status)) if status.code == Code::Unavailable => {
            reachability.unreachable(&format_args!("UNAVAILABLE: {}", status.message));
        }
        Ok(_) => reachability.answered(),
    }
}

/// A header map with `saved`'s headers, with room for the channel's `user-agent`.
fn rebuild(saved: &[(HeaderName, HeaderValue)]) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(saved.len() + 1);
    for (name, value) in saved {
        headers.append(name.clone(), value.clone());
    }
    headers
}

/// A fresh request with the method, URI and version of `parts`, the given headers and the
/// same body bytes. No extensions: nothing below reads them.
fn copy(parts: &http::request::Parts, headers: HeaderMap, body: &Bytes) -> Request<Body> {
    let mut request = Request::new(Body::new(Buffered::request(body.clone())));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = headers;
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{self, CallStatus};
    use http_body_util::{BodyExt, Full};
    use std::sync::Mutex;

    fn fast() -> RetryOptions {
        RetryOptions::default()
            .initial_interval(Duration::from_millis(1))
            .max_interval(Duration::from_millis(2))
            .throttled_interval(Duration::from_millis(1), Duration::from_millis(2))
    }

    /// An inner service that answers with `codes` in turn (the last one forever) and records
    /// every request body it receives.
    type Scripted = tower::util::BoxCloneSyncService<Request<Body>, Response<Body>, BoxError>;
    type Bodies = Arc<Mutex<Vec<Bytes>>>;

    fn scripted(codes: Vec<Code>) -> (Scripted, Bodies) {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let recorder = bodies.clone();
        let codes = Arc::new(codes);
        let service = tower::service_fn(move |req: Request<Body>| {
            let recorder = recorder.clone();
            let codes = codes.clone();
            async move {
                let body = req.into_body().collect().await?.to_bytes();
                let n = {
                    let mut seen = recorder.lock().unwrap();
                    seen.push(body);
                    seen.len()
                };
                let code = codes[(n - 1).min(codes.len() - 1)];
                Ok::<_, BoxError>(status::response(code, "scripted"))
            }
        });
        (Scripted::new(service), bodies)
    }

    async fn call(
        service: impl Service<Request<Body>, Response = Response<Body>, Error = BoxError>,
        body: &'static [u8],
    ) -> Code {
        let request = Request::new(Body::new(Full::new(Bytes::from_static(body))));
        send(service, request).await
    }

    /// Sends `request` through `service` and returns the call's gRPC code.
    async fn send(
        service: impl Service<Request<Body>, Response = Response<Body>, Error = BoxError>,
        request: Request<Body>,
    ) -> Code {
        let response = service.oneshot(request).await.unwrap();
        response.extensions().get::<CallStatus>().unwrap().code
    }

    #[tokio::test]
    async fn retryable_codes_are_retried_with_the_same_bytes() {
        for code in [
            Code::Unavailable,
            Code::ResourceExhausted,
            Code::Aborted,
            Code::Internal,
            Code::Unknown,
            Code::DataLoss,
            Code::OutOfRange,
        ] {
            let (inner, bodies) = scripted(vec![code, code, Code::Ok]);
            let got = call(RetryLayer::new(fast()).layer(inner), b"request-id-42").await;
            assert_eq!(got, Code::Ok, "{code:?}");
            let bodies = bodies.lock().unwrap();
            assert_eq!(bodies.len(), 3, "{code:?}");
            assert!(bodies.iter().all(|b| b.as_ref() == b"request-id-42"));
        }
    }

    #[tokio::test]
    async fn a_retry_sends_the_headers_of_the_first_attempt() {
        let seen: Arc<Mutex<Vec<HeaderMap>>> = Arc::default();
        let recorder = seen.clone();
        let inner = tower::service_fn(move |req: Request<Body>| {
            let recorder = recorder.clone();
            async move {
                let n = {
                    let mut seen = recorder.lock().unwrap();
                    seen.push(req.headers().clone());
                    seen.len()
                };
                let code = if n < 3 { Code::Unavailable } else { Code::Ok };
                Ok::<_, BoxError>(status::response(code, "scripted"))
            }
        });
        let mut request = Request::new(Body::new(Full::new(Bytes::from_static(b"x"))));
        request
            .headers_mut()
            .insert("temporal-namespace", HeaderValue::from_static("ns"));
        request
            .headers_mut()
            .append("x-team", HeaderValue::from_static("a"));
        request
            .headers_mut()
            .append("x-team", HeaderValue::from_static("b"));
        let code = send(RetryLayer::new(fast()).layer(inner), request).await;
        assert_eq!(code, Code::Ok);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0]["temporal-namespace"], "ns");
        let teams: Vec<_> = seen[0].get_all("x-team").iter().collect();
        assert_eq!(teams, ["a", "b"]);
        assert!(seen[0].contains_key("grpc-timeout"), "{:?}", seen[0]);
        for retry in &seen[1..] {
            assert_eq!(retry, &seen[0]);
        }
    }

    #[tokio::test]
    async fn other_codes_are_not_retried() {
        for code in [
            Code::InvalidArgument,
            Code::NotFound,
            Code::AlreadyExists,
            Code::FailedPrecondition,
            Code::PermissionDenied,
            Code::Unauthenticated,
            Code::Unimplemented,
            Code::DeadlineExceeded,
            Code::Cancelled,
            Code::Ok,
        ] {
            let (inner, bodies) = scripted(vec![code, Code::Ok]);
            let got = call(RetryLayer::new(fast()).layer(inner), b"x").await;
            assert_eq!(got, code);
            assert_eq!(bodies.lock().unwrap().len(), 1, "{code:?}");
        }
    }

    #[tokio::test]
    async fn too_large_is_not_retried() {
        let inner = tower::service_fn(|_req: Request<Body>| async {
            Ok::<_, BoxError>(status::response(
                Code::ResourceExhausted,
                "grpc: received message larger than max (5 vs. 4)",
            ))
        });
        let calls = Arc::new(Mutex::new(0));
        let counter = calls.clone();
        let counted = tower::ServiceBuilder::new()
            .map_request(move |r: Request<Body>| {
                *counter.lock().unwrap() += 1;
                r
            })
            .service(inner);
        let got = call(RetryLayer::new(fast()).layer(counted), b"x").await;
        assert_eq!(got, Code::ResourceExhausted);
        assert_eq!(*calls.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn attempts_are_bounded() {
        let (inner, bodies) = scripted(vec![Code::Unavailable]);
        let got = call(RetryLayer::new(fast().max_attempts(4)).layer(inner), b"x").await;
        assert_eq!(got, Code::Unavailable);
        assert_eq!(bodies.lock().unwrap().len(), 4);

        let (inner, bodies) = scripted(vec![Code::Unavailable]);
        let options = fast()
            .max_attempts(1000)
            .initial_interval(Duration::from_millis(20))
            .max_interval(Duration::from_millis(20))
            .max_elapsed(Duration::from_millis(100));
        call(RetryLayer::new(options).layer(inner), b"x").await;
        let n = bodies.lock().unwrap().len();
        assert!(
            (2..=6).contains(&n),
            "{n} attempts in 100 ms with 20 ms delays"
        );
    }

    #[tokio::test]
    async fn waiting_calls_outlast_outages_but_not_other_failures() {
        let mut codes = vec![Code::Unavailable; 40];
        codes.push(Code::Ok);
        let (inner, bodies) = scripted(codes);
        let mut request = Request::new(Body::empty());
        request.extensions_mut().insert(WaitForServer);
        let code = send(
            RetryLayer::new(fast().max_attempts(3)).layer(inner),
            request,
        )
        .await;
        assert_eq!(code, Code::Ok);
        assert_eq!(
            bodies.lock().unwrap().len(),
            41,
            "past the 3-attempt budget"
        );

        let (inner, bodies) = scripted(vec![Code::Internal]);
        let mut request = Request::new(Body::empty());
        request.extensions_mut().insert(WaitForServer);
        let code = send(
            RetryLayer::new(fast().max_attempts(3)).layer(inner),
            request,
        )
        .await;
        assert_eq!(code, Code::Internal);
        assert_eq!(bodies.lock().unwrap().len(), 3, "INTERNAL keeps the budget");
    }

    #[tokio::test]
    async fn an_outage_is_remembered_across_calls() {
        let (inner, _) = scripted(vec![Code::Unavailable]);
        let layer = RetryLayer::new(fast().max_attempts(2));
        let reachability = layer.reachability.clone();
        let service = layer.layer(inner);
        assert_eq!(call(service.clone(), b"x").await, Code::Unavailable);
        assert!(reachability.is_down());
        assert!(!reachability.unreachable(&"again"), "already recorded");
    }

    #[tokio::test]
    async fn transport_errors_are_retried() {
        let calls = Arc::new(Mutex::new(0));
        let counter = calls.clone();
        let inner = tower::service_fn(move |_req: Request<Body>| {
            let counter = counter.clone();
            async move {
                let n = {
                    let mut n = counter.lock().unwrap();
                    *n += 1;
                    *n
                };
                if n < 3 {
                    Err::<Response<Body>, BoxError>("connection reset".into())
                } else {
                    Ok(status::response(Code::Ok, ""))
                }
            }
        });
        let got = call(RetryLayer::new(fast()).layer(inner), b"x").await;
        assert_eq!(got, Code::Ok);
        assert_eq!(*calls.lock().unwrap(), 3);
    }

    #[tokio::test]
    async fn a_request_can_override_the_options() {
        let (inner, bodies) = scripted(vec![Code::Unavailable, Code::Ok]);
        let mut request = Request::new(Body::empty());
        request.extensions_mut().insert(RetryOptions::disabled());
        let code = send(RetryLayer::new(fast()).layer(inner), request).await;
        assert_eq!(code, Code::Unavailable);
        assert_eq!(bodies.lock().unwrap().len(), 1);
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let options = RetryOptions::default();
        let ms = |d: Duration| d.as_millis();
        assert_eq!(ms(options.delay(1, false, 0.5)), 100);
        assert_eq!(ms(options.delay(2, false, 0.5)), 170);
        assert_eq!(ms(options.delay(3, false, 0.5)), 289);
        assert_eq!(ms(options.delay(30, false, 0.5)), 5000);
        assert_eq!(ms(options.delay(1, false, 0.0)), 80);
        assert!(ms(options.delay(1, false, 0.999_999)) >= 119);
        // Throttling backs off at least from 1 s, up to 10 s.
        assert_eq!(ms(options.delay(1, true, 0.5)), 1000);
        assert_eq!(ms(options.delay(30, true, 0.5)), 10_000);
    }
}

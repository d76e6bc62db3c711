//! [`ConnectionOptions`]: everything [`Connection::connect`](crate::Connection::connect) needs.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tonic::body::Body;
use tower::{Layer, Service};

use crate::grpc::GrpcService;
use crate::observe::{CallObserver, Observers};
use crate::retry::RetryOptions;
use crate::target::{Target, TlsMode, parse_address};
use crate::tls::TlsOptions;

/// The namespace used when none is set: `default`.
pub const DEFAULT_NAMESPACE: &str = "default";
/// Default deadline of an ordinary call: 30 s.
pub const DEFAULT_RPC_TIMEOUT: Duration = Duration::from_secs(30);
/// Default deadline of a long poll (`PollActivityTaskQueue`, `PollActivityExecution`,
/// `DescribeActivityExecution` with a long-poll token): 70 s, above the server's 60 s window.
pub const DEFAULT_LONG_POLL_TIMEOUT: Duration = Duration::from_secs(70);
/// Default limit for establishing the TCP (and TLS) connection: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default limit on the size of one incoming message: 128 MiB.
pub const DEFAULT_MAX_DECODING_MESSAGE_SIZE: usize = 128 * 1024 * 1024;

/// How to reach a Temporal server: address, namespace, credentials, TLS, deadlines, retries.
///
/// `new(address)` takes the only required value; every other setting has a default that its
/// setter documents. [`ClientConfig::connection_options`](crate::ClientConfig::connection_options)
/// builds one from a profile.
///
/// ```
/// use std::time::Duration;
/// use solo_connect::{ConnectionOptions, RetryOptions};
///
/// let options = ConnectionOptions::new("localhost:7233")
///     .namespace("payments")
///     .header("x-team", "billing")
///     .rpc_timeout(Duration::from_secs(10))
///     .retry(RetryOptions::default().max_attempts(5));
/// assert_eq!(options.get_namespace(), "payments");
/// ```
#[derive(Clone)]
pub struct ConnectionOptions {
    address: String,
    namespace: String,
    api_key: Option<String>,
    tls: TlsMode,
    headers: Vec<(String, String)>,
    retry: RetryOptions,
    rpc_timeout: Duration,
    long_poll_timeout: Duration,
    connect_timeout: Duration,
    keep_alive: Option<(Duration, Duration)>,
    max_decoding_message_size: usize,
    observers: Observers,
    layers: UserLayers,
}

/// A user layer, type-erased.
type WrapService = Arc<dyn Fn(GrpcService) -> GrpcService + Send + Sync>;

/// The user layers of a connection, in the order added.
#[derive(Clone, Default)]
struct UserLayers(Vec<WrapService>);

impl fmt::Debug for UserLayers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} layer(s)", self.0.len())
    }
}

impl fmt::Debug for ConnectionOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionOptions")
            .field("address", &self.address)
            .field("namespace", &self.namespace)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("tls", &self.tls)
            .field(
                "headers",
                // Header values may be credentials.
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("retry", &self.retry)
            .field("rpc_timeout", &self.rpc_timeout)
            .field("long_poll_timeout", &self.long_poll_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("keep_alive", &self.keep_alive)
            .field("max_decoding_message_size", &self.max_decoding_message_size)
            .field("observers", &self.observers)
            .field("layers", &self.layers)
            .finish()
    }
}

impl ConnectionOptions {
    /// Options for the server at `address`: `host:port` (e.g. `localhost:7233`), or an
    /// `http://` / `https://` URL. Namespace `default`, no TLS unless an API key is set.
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            namespace: DEFAULT_NAMESPACE.to_owned(),
            api_key: None,
            tls: TlsMode::Auto,
            headers: Vec::new(),
            retry: RetryOptions::default(),
            rpc_timeout: DEFAULT_RPC_TIMEOUT,
            long_poll_timeout: DEFAULT_LONG_POLL_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            keep_alive: Some((Duration::from_secs(30), Duration::from_secs(15))),
            max_decoding_message_size: DEFAULT_MAX_DECODING_MESSAGE_SIZE,
            observers: Observers::default(),
            layers: UserLayers::default(),
        }
    }

    /// The namespace sent as the `temporal-namespace` header on every call. Default: `default`.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// An API key, sent as `authorization: Bearer <key>` unless a header or the request already
    /// carries `authorization`. Turns TLS on (with system roots) unless [`tls`](Self::tls) or
    /// [`disable_tls`](Self::disable_tls) decided otherwise. Default: none.
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into()).filter(|k| !k.is_empty());
        self
    }

    /// Uses TLS with these settings. Default: TLS only with an API key or an `https://` address.
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = TlsMode::On(tls);
        self
    }

    /// Never uses TLS, even with an API key.
    pub fn disable_tls(mut self) -> Self {
        self.tls = TlsMode::Off;
        self
    }

    /// Adds a gRPC header sent on every call (unless the request sets the same header). Added
    /// headers win over the API key's `authorization`. Default: none.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into().to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// How failed calls are retried. Default: [`RetryOptions::default`].
    pub fn retry(mut self, retry: RetryOptions) -> Self {
        self.retry = retry;
        self
    }

    /// Deadline of each attempt of an ordinary call, unless the request sets its own
    /// (`tonic::Request::set_timeout`). Default: 30 s.
    pub fn rpc_timeout(mut self, timeout: Duration) -> Self {
        self.rpc_timeout = timeout;
        self
    }

    /// Deadline of each attempt of a long poll, unless the request sets its own. Default: 70 s.
    pub fn long_poll_timeout(mut self, timeout: Duration) -> Self {
        self.long_poll_timeout = timeout;
        self
    }

    /// Limit for establishing the connection (TCP and TLS). Default: 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// HTTP/2 keep-alive: ping every `interval`, drop the connection when a ping is not
    /// answered within `timeout`. `None` turns keep-alive off. Default: 30 s and 15 s.
    pub fn keep_alive(mut self, keep_alive: Option<(Duration, Duration)>) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Largest incoming message accepted. Default: 128 MiB.
    pub fn max_decoding_message_size(mut self, bytes: usize) -> Self {
        self.max_decoding_message_size = bytes;
        self
    }

    /// Adds an observer that sees every attempt of every call (method, namespace, status,
    /// duration), for example `solo_otel::Metrics` for the Temporal SDKs' request metrics.
    /// Takes an owned observer or a shared one (`Arc<O>`, `Arc<dyn CallObserver>`).
    /// Observers run in the order added. Default: none, and then calls do no work for them.
    pub fn observer(mut self, observer: impl CallObserver) -> Self {
        self.observers.0.push(Arc::new(observer));
        self
    }

    /// Wraps every call in a tower layer of your own, outside solo's layers: the layer sees
    /// each call once (retries happen inside it), with the request's extensions and headers
    /// as the caller set them. Layers added later wrap the earlier ones. Default: none.
    ///
    /// The layer's service must answer with `tonic::Status` errors, as
    /// [`GrpcService`](crate::GrpcService) does.
    ///
    /// ```
    /// use solo_connect::{ConnectionOptions, GrpcService};
    ///
    /// // Counts calls (a stand-in for a rate limiter, a circuit breaker, ...).
    /// let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    /// let counter = calls.clone();
    /// let options = ConnectionOptions::new("localhost:7233").layer(tower::layer::layer_fn(
    ///     move |inner: GrpcService| {
    ///         let counter = counter.clone();
    ///         tower::ServiceBuilder::new()
    ///             .map_request(move |r| {
    ///                 counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ///                 r
    ///             })
    ///             .service(inner)
    ///     },
    /// ));
    /// assert_eq!(options.layer_count(), 1);
    /// ```
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<GrpcService> + Send + Sync + 'static,
        L::Service: Service<http::Request<Body>, Response = http::Response<Body>, Error = tonic::Status>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<http::Request<Body>>>::Future: Send + 'static,
    {
        self.layers
            .0
            .push(Arc::new(move |inner| GrpcService::new(layer.layer(inner))));
        self
    }

    /// The address as given.
    pub fn get_address(&self) -> &str {
        &self.address
    }

    /// The namespace.
    pub fn get_namespace(&self) -> &str {
        &self.namespace
    }

    /// Whether an API key is set (the key itself is not exposed).
    pub fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }

    /// The TLS settings, if TLS will be used (`None` when the address cannot be parsed).
    pub fn get_tls(&self) -> Option<TlsOptions> {
        self.target().ok().and_then(|t| t.tls)
    }

    /// The added headers, in order.
    pub fn get_headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The retry settings.
    pub fn get_retry(&self) -> &RetryOptions {
        &self.retry
    }

    /// The deadline of an ordinary call.
    pub fn get_rpc_timeout(&self) -> Duration {
        self.rpc_timeout
    }

    /// The deadline of a long poll.
    pub fn get_long_poll_timeout(&self) -> Duration {
        self.long_poll_timeout
    }

    /// The connect timeout.
    pub fn get_connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The keep-alive interval and timeout.
    pub fn get_keep_alive(&self) -> Option<(Duration, Duration)> {
        self.keep_alive
    }

    /// The incoming message size limit.
    pub fn get_max_decoding_message_size(&self) -> usize {
        self.max_decoding_message_size
    }

    /// How many call observers are registered.
    pub fn observer_count(&self) -> usize {
        self.observers.0.len()
    }

    /// How many user layers are registered.
    pub fn layer_count(&self) -> usize {
        self.layers.0.len()
    }

    /// `service` wrapped in the user layers, the first added innermost.
    pub(crate) fn apply_layers(&self, service: GrpcService) -> GrpcService {
        self.layers
            .0
            .iter()
            .fold(service, |inner, wrap| wrap(inner))
    }

    pub(crate) fn observers(&self) -> &Observers {
        &self.observers
    }

    pub(crate) fn api_key_value(&self) -> Option<&str> {
        self.api_key.as_deref()
    }

    /// The address, parsed and checked against the TLS decision.
    pub(crate) fn target(&self) -> Result<Target, String> {
        parse_address(&self.address, &self.tls, self.api_key.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_tls_decisions() {
        struct Case {
            address: &'static str,
            api_key: bool,
            tls: Option<bool>,
            expect: Result<&'static str, &'static str>,
        }
        let cases = [
            Case {
                address: "localhost:7233",
                api_key: false,
                tls: None,
                expect: Ok("http://localhost:7233/"),
            },
            Case {
                address: " localhost:7233 ",
                api_key: false,
                tls: None,
                expect: Ok("http://localhost:7233/"),
            },
            Case {
                address: "localhost:7233",
                api_key: true,
                tls: None,
                expect: Ok("https://localhost:7233/"),
            },
            Case {
                address: "localhost:7233",
                api_key: true,
                tls: Some(false),
                expect: Ok("http://localhost:7233/"),
            },
            Case {
                address: "localhost:7233",
                api_key: false,
                tls: Some(true),
                expect: Ok("https://localhost:7233/"),
            },
            Case {
                address: "https://ns.tmprl.cloud:7233",
                api_key: false,
                tls: None,
                expect: Ok("https://ns.tmprl.cloud:7233/"),
            },
            Case {
                address: "http://127.0.0.1:7233/",
                api_key: false,
                tls: None,
                expect: Ok("http://127.0.0.1:7233/"),
            },
            Case {
                address: "[::1]:7233",
                api_key: false,
                tls: None,
                expect: Ok("http://[::1]:7233/"),
            },
            Case {
                address: "",
                api_key: false,
                tls: None,
                expect: Err("the address is empty"),
            },
            Case {
                address: "://bad",
                api_key: false,
                tls: None,
                expect: Err("nothing before `://`"),
            },
            Case {
                address: "localhost",
                api_key: false,
                tls: None,
                expect: Err("the port is missing; add it, e.g. localhost:7233"),
            },
            Case {
                address: "grpc://x:1",
                api_key: false,
                tls: None,
                expect: Err("unsupported scheme `grpc://`"),
            },
            Case {
                address: "x:1/path",
                api_key: false,
                tls: None,
                expect: Err("no path"),
            },
            Case {
                address: "host:port",
                api_key: false,
                tls: None,
                expect: Err("is not a number"),
            },
            Case {
                address: "https://x:1",
                api_key: false,
                tls: Some(false),
                expect: Err("uses https:// but TLS is disabled"),
            },
            Case {
                address: "http://x:1",
                api_key: false,
                tls: Some(true),
                expect: Err("uses http:// but TLS is enabled"),
            },
            Case {
                address: "http://x:1",
                api_key: true,
                tls: None,
                expect: Err("the API key turns TLS on"),
            },
            Case {
                address: "user@x:1",
                api_key: false,
                tls: None,
                expect: Err("credentials"),
            },
        ];
        for case in cases {
            let mut options = ConnectionOptions::new(case.address);
            if case.api_key {
                options = options.api_key("k");
            }
            options = match case.tls {
                Some(true) => options.tls(TlsOptions::new()),
                Some(false) => options.disable_tls(),
                None => options,
            };
            match (options.target(), case.expect) {
                (Ok(target), Ok(uri)) => {
                    assert_eq!(target.uri.to_string(), uri, "{}", case.address)
                }
                (Err(reason), Err(fragment)) => {
                    assert!(reason.contains(fragment), "{}: {reason}", case.address)
                }
                (got, want) => panic!("{}: got {got:?}, want {want:?}", case.address),
            }
        }
    }

    #[test]
    fn empty_api_key_is_no_api_key() {
        let options = ConnectionOptions::new("x:1").api_key("");
        assert!(!options.has_api_key());
        assert!(options.get_tls().is_none());
    }

    #[test]
    fn a_header_set_twice_keeps_the_last_value() {
        let options = ConnectionOptions::new("x:1")
            .header("X-Team", "a")
            .header("x-team", "b");
        assert_eq!(
            options.get_headers().collect::<Vec<_>>(),
            vec![("x-team", "b")]
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let options = ConnectionOptions::new("x:1")
            .api_key("super-secret")
            .header("authorization", "Bearer other-secret");
        let text = format!("{options:?}");
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("authorization"), "{text}");
    }
}

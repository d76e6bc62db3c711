//! The call core: what every RPC of a [`Client`](crate::Client), its handles and listings and
//! the worker's raw task API needs — the connection, the namespace, the identity, the
//! interceptors and the data converter — and the one path each call takes.
//!
//! A call is built here and nowhere else: the namespace rides in a prebuilt
//! `temporal-namespace` header (checked as a [`CallNamespace`] once), a long poll is marked with [`LongPoll`] and gets the client's
//! long-poll deadline, the interceptors run, and a failed status becomes the error of the
//! operation in one place ([`crate::status`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, TryFutureExt};
use http::{HeaderName, HeaderValue};
use solo_connect::{CallNamespace, Connection, LongPoll, RetryOptions, WaitForServer};
use solo_proto::temporal::api::workflowservice::v1::{
    StartActivityExecutionRequest, StartActivityExecutionResponse,
};
use tonic::metadata::{Ascii, MetadataMap, MetadataValue};

use crate::async_completion_error::AsyncCompletionError;
use crate::call_error::CallError;
use crate::call_options::CallOptions;
use crate::converter::DataConverter;
use crate::interceptor::ClientInterceptor;
use crate::long_poll::long_poll;
use crate::rpc::{POLL_ACTIVITY_EXECUTION, Rpc, RpcMessage, START_ACTIVITY_EXECUTION};
use crate::rpc_error::RpcError;
use crate::start_error::StartError;
use crate::status::{Target, async_completion_error, call_error, start_error, started_by};

/// The metadata key of the call's namespace (interceptors find it there too).
const NAMESPACE_KEY: &str = "temporal-namespace";

/// The namespace header's name, made once (a name from a string is parsed at every use).
const NAMESPACE_NAME: HeaderName = HeaderName::from_static(NAMESPACE_KEY);

/// The headers a call adds to its caller's on the way down the stack (see [`CallCore::send`]).
const CALL_HEADERS: usize = 8;

/// Whether a call is answered at once or held by the server until something happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// An ordinary call, with the connection's RPC deadline.
    Unary,
    /// A long poll: the [`LongPoll`] extension, and the client's long-poll deadline when one
    /// is set. Retried through any outage for as long as the caller waits.
    LongPoll,
    /// An ordinary call whose caller waits for its answer anyway (a page of a listing, a
    /// count): retried through any outage for as long as the caller waits.
    Waiting,
}

struct Core {
    connection: Connection,
    namespace: String,
    /// The `temporal-namespace` header every call carries, built once (`None` when the
    /// namespace cannot be sent as a header; the connection's namespace header then applies).
    namespace_header: Option<HeaderValue>,
    /// The same, as interceptors' metadata holds it.
    namespace_metadata: Option<MetadataValue<Ascii>>,
    /// The namespace as interceptors see it in the call's metadata.
    namespace_value: Option<MetadataValue<Ascii>>,
    identity: String,
    converter: DataConverter,
    interceptors: Vec<Arc<dyn ClientInterceptor>>,
    long_poll_timeout: Option<Duration>,
}

/// What every call needs, and the one path it takes. Cheap to clone (an `Arc` increment).
#[derive(Clone)]
pub struct CallCore {
    inner: Arc<Core>,
    /// Whether the client's interceptors run (not for the worker's task calls).
    intercept: bool,
    /// The deadline and headers of every call made through this core, when set.
    options: Option<Arc<CallOptions>>,
}

impl fmt::Debug for CallCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallCore")
            .field("namespace", &self.inner.namespace)
            .field("identity", &self.inner.identity)
            .field("data_converter", &self.inner.converter)
            .field("interceptors", &self.inner.interceptors.len())
            .field("long_poll_timeout", &self.inner.long_poll_timeout)
            .field("call_options", &self.options)
            .finish_non_exhaustive()
    }
}

impl CallCore {
    pub(crate) fn new(
        connection: Connection,
        namespace: String,
        identity: String,
        converter: DataConverter,
        interceptors: Vec<Arc<dyn ClientInterceptor>>,
        long_poll_timeout: Option<Duration>,
    ) -> Self {
        CallCore {
            inner: Arc::new(Core {
                connection,
                namespace_header: CallNamespace::new(&namespace)
                    .ok()
                    .and_then(|_| HeaderValue::try_from(namespace.as_str()).ok()),
                namespace_metadata: CallNamespace::new(&namespace)
                    .ok()
                    .and_then(|_| MetadataValue::try_from(namespace.as_str()).ok()),
                namespace_value: MetadataValue::try_from(namespace.as_str()).ok(),
                namespace,
                identity,
                converter,
                interceptors,
                long_poll_timeout,
            }),
            intercept: true,
            options: None,
        }
    }

    /// The same core making every call with `options`.
    pub(crate) fn with_options(&self, options: CallOptions) -> CallCore {
        CallCore {
            inner: self.inner.clone(),
            intercept: self.intercept,
            options: Some(Arc::new(options)),
        }
    }

    /// The same core without the client's interceptors and call options, for calls that are
    /// not the client's own (the worker's task calls, whose polls need their long deadline).
    pub fn without_interceptors(&self) -> CallCore {
        CallCore {
            inner: self.inner.clone(),
            intercept: false,
            options: None,
        }
    }

    /// The connection.
    pub(crate) fn connection(&self) -> &Connection {
        &self.inner.connection
    }

    /// The namespace every call targets.
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// The identity recorded with the calls that change an activity.
    pub fn identity(&self) -> &str {
        &self.inner.identity
    }

    /// The data converter.
    pub(crate) fn converter(&self) -> &DataConverter {
        &self.inner.converter
    }

    /// How many interceptors run on each call.
    pub(crate) fn interceptor_count(&self) -> usize {
        self.inner.interceptors.len()
    }

    /// Sends one call: the namespace extension, the long-poll marker and deadline, the call
    /// options (a deadline and headers, which the connection's deadline and metadata layers
    /// honour), the interceptors, then the RPC.
    fn send<M: RpcMessage, R: RpcMessage>(
        &self,
        rpc: Rpc<M, R>,
        mut request: tonic::Request<M>,
        kind: CallKind,
    ) -> impl Future<Output = Result<R, tonic::Status>> + Send + use<M, R> {
        // Room for every header the call will carry (tonic's `te` and `content-type`, the
        // namespace, the connection's `client-name` and `client-version`, the deadline, the
        // channel's `user-agent`), so that the map is allocated once and never grows or is
        // copied on its way to the wire.
        let metadata = request.metadata_mut();
        let mut headers = std::mem::take(metadata).into_headers();
        if headers.len() + CALL_HEADERS > headers.capacity() {
            headers.reserve(CALL_HEADERS);
        }
        if let Some(namespace) = &self.inner.namespace_header {
            headers
                .entry(NAMESPACE_NAME)
                .or_insert_with(|| namespace.clone());
        }
        *metadata = MetadataMap::from_headers(headers);
        if kind == CallKind::LongPoll {
            // The connection knows `PollActivityExecution` for a long poll by its path.
            if rpc.name() != POLL_ACTIVITY_EXECUTION.name() {
                request.extensions_mut().insert(LongPoll);
            }
            if let Some(timeout) = self.inner.long_poll_timeout {
                request.set_timeout(timeout);
            }
        }
        if kind != CallKind::Unary {
            request.extensions_mut().insert(WaitForServer);
        }
        if let Some(options) = &self.options {
            options.apply(&mut request);
        }
        if self.intercept && !self.inner.interceptors.is_empty() {
            self.intercept_call(rpc.name(), request.metadata_mut());
        }
        rpc.send(&self.inner.connection, request)
    }

    /// Runs the interceptors' `on_call`. They find the namespace in the metadata, as the
    /// server will; an interceptor may replace it, and one that removes it gets the call's
    /// namespace sent all the same.
    fn intercept_call(&self, method: &str, metadata: &mut MetadataMap) {
        let shown = match &self.inner.namespace_value {
            Some(value) if !metadata.contains_key(NAMESPACE_KEY) => {
                metadata.insert(NAMESPACE_KEY, value.clone());
                Some(value)
            }
            _ => None,
        };
        for interceptor in &self.inner.interceptors {
            interceptor.on_call(method, metadata);
        }
        if shown.is_some() && self.inner.namespace_metadata.is_none() {
            // Shown to the interceptors only: it cannot be sent as a header.
            if metadata.get(NAMESPACE_KEY) == shown {
                metadata.remove(NAMESPACE_KEY);
            }
        } else if let Some(namespace) = &self.inner.namespace_metadata
            && !metadata.contains_key(NAMESPACE_KEY)
        {
            metadata.insert(NAMESPACE_KEY, namespace.clone());
        }
    }

    /// Makes one call; a failed status becomes the most specific [`CallError`] for `target`.
    pub(crate) fn call<'a, M: RpcMessage, R: RpcMessage>(
        &'a self,
        rpc: Rpc<M, R>,
        message: M,
        target: Target<'a>,
        kind: CallKind,
    ) -> impl Future<Output = Result<R, CallError>> + Send + 'a {
        self.send(rpc, tonic::Request::new(message), kind)
            .map_err(move |status| call_error(status, self.namespace(), target))
    }

    /// Long-polls until `accept` takes an answer: an answer it refuses (the server's long-poll
    /// window ended without news) and an expired deadline both mean "ask again", each call
    /// with a fresh deadline.
    /// `message` makes each poll's request (a fresh one per poll, as the call consumes it).
    pub(crate) async fn long_poll<M: RpcMessage, R: RpcMessage, T>(
        &self,
        rpc: Rpc<M, R>,
        message: impl Fn() -> M,
        target: Target<'_>,
        accept: fn(R) -> Option<T>,
    ) -> Result<T, CallError> {
        long_poll(|| {
            self.send(rpc, tonic::Request::new(message()), CallKind::LongPoll)
                .map_ok(accept)
        })
        .await
        .map_err(|status| call_error(status, self.namespace(), target))
    }

    /// Makes one call of an async activity handle (`activity` names the activity for errors;
    /// `by_token` when the call carries a task token); a failed status becomes an
    /// [`AsyncCompletionError`].
    pub(crate) fn call_async_completion<'a, M: RpcMessage, R: RpcMessage>(
        &'a self,
        rpc: Rpc<M, R>,
        message: M,
        activity: &'a str,
        by_token: bool,
    ) -> impl Future<Output = Result<R, AsyncCompletionError>> + Send + 'a {
        self.send(rpc, tonic::Request::new(message), CallKind::Unary)
            .map_err(move |status| {
                async_completion_error(status, self.namespace(), activity, rpc.name(), by_token)
            })
    }

    /// Starts an activity: the interceptors' `on_start_activity` first (they may change the
    /// request), then the call, retried within `retry` (the connection's settings when
    /// `None`). A start refused as already started by this very request (its first attempt
    /// reached the server, its answer did not) is the run it started. Answers with the
    /// activity id as the interceptors left it.
    pub(crate) fn start(
        &self,
        message: StartActivityExecutionRequest,
        retry: Option<&RetryOptions>,
    ) -> impl Future<Output = Result<(StartActivityExecutionResponse, String), StartError>> + Send + '_
    {
        let (mut metadata, mut extensions, mut message) = tonic::Request::new(message).into_parts();
        if self.intercept {
            for interceptor in &self.inner.interceptors {
                interceptor.on_start_activity(&mut message, &mut metadata);
            }
        }
        if let Some(retry) = retry {
            extensions.insert(retry.clone());
        }
        let activity_id = message.activity_id.clone();
        let request_id = message.request_id.clone();
        let request = tonic::Request::from_parts(metadata, extensions, message);
        self.send(START_ACTIVITY_EXECUTION, request, CallKind::Unary)
            .map(move |result| match result {
                Ok(response) => Ok((response, activity_id)),
                Err(status) => match started_by(&status, &request_id) {
                    Some(run_id) => {
                        tracing::debug!(activity_id = %activity_id, run_id = %run_id, "a retried start found the run its first attempt started");
                        let response = StartActivityExecutionResponse {
                            run_id,
                            started: true,
                            ..Default::default()
                        };
                        Ok((response, activity_id))
                    }
                    None => Err(start_error(status, self.namespace(), &activity_id)),
                },
            })
    }

    /// Makes one call of the worker's raw task API: `request` may carry extensions of its own
    /// (a [`CallTaskQueue`](solo_connect::CallTaskQueue)); a failed status becomes its code and
    /// message.
    ///
    /// # Errors
    /// The call's gRPC code and message, after the connection's retries.
    pub fn call_task<M: RpcMessage, R: RpcMessage>(
        &self,
        rpc: Rpc<M, R>,
        request: tonic::Request<M>,
    ) -> impl Future<Output = Result<R, RpcError>> + Send + use<M, R> {
        self.send(rpc, request, CallKind::Unary)
            .map_err(|status| RpcError::new(status.code(), status.message()))
    }
}

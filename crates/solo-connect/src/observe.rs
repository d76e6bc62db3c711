//! Call observers: a hook that sees every attempt of every call a [`Connection`] makes, with
//! its method, namespace, gRPC status and duration — what request metrics are made of.
//!
//! Register one with [`ConnectionOptions::observer`]. The observer layer sits between the
//! retry and the deadline layers, so it sees each attempt (a retried call is seen once per
//! attempt, as the Temporal SDKs count requests) and the status the deadline layer read from
//! the response. Without an observer the layer is not in the stack at all.
//!
//! [`Connection`]: crate::Connection
//! [`ConnectionOptions::observer`]: crate::ConnectionOptions::observer

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{Request, Response};
use tonic::Code;
use tonic::body::Body;
use tower::{Layer, Service};

use crate::namespace::NAMESPACE_HEADER;

use crate::BoxError;
use crate::status::CallStatus;

/// The gRPC service prefix of every Temporal `WorkflowService` method.
const SERVICE_PREFIX: &str = "/temporal.api.workflowservice.v1.WorkflowService/";

/// A request extension naming the task queue a call is about (set by the worker on its
/// polls), so that observers can label long-poll metrics with it.
///
/// ```
/// use solo_connect::CallTaskQueue;
///
/// let mut request = tonic::Request::new(());
/// request.extensions_mut().insert(CallTaskQueue::new("my-task-queue"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTaskQueue(Arc<str>);

impl CallTaskQueue {
    /// Names `task_queue` as the queue the call is about.
    pub fn new(task_queue: impl Into<Arc<str>>) -> Self {
        CallTaskQueue(task_queue.into())
    }

    /// The task queue.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One finished attempt of a call, as a [`CallObserver`] sees it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CallRecord<'a> {
    /// The `WorkflowService` method, e.g. `"StartActivityExecution"` (the full path for a
    /// method of another service).
    pub method: &'a str,
    /// The namespace the call carried in its `temporal-namespace` header (empty if none).
    pub namespace: &'a str,
    /// The task queue the call is about, when the caller said so with [`CallTaskQueue`].
    pub task_queue: Option<&'a str>,
    /// The gRPC status code of the attempt: `Ok`, the server's code, `DeadlineExceeded` when
    /// the attempt's deadline passed, `Unavailable` for a transport failure.
    pub code: Code,
    /// How long the attempt took, from sending to the whole response having arrived.
    pub elapsed: Duration,
}

/// Sees every attempt of every call of a connection. Keep the methods cheap: they run on the
/// call path.
pub trait CallObserver: Send + Sync + 'static {
    /// An attempt is about to be sent.
    fn on_call_start(&self, method: &str, namespace: &str, task_queue: Option<&str>) {
        let _ = (method, namespace, task_queue);
    }

    /// An attempt finished (successfully or not).
    fn on_call_end(&self, call: &CallRecord<'_>);
}

/// A shared observer is an observer, so [`ConnectionOptions::observer`](crate::ConnectionOptions::observer)
/// takes an `Arc<O>` or an `Arc<dyn CallObserver>` as well as an owned one.
impl<T: CallObserver + ?Sized> CallObserver for Arc<T> {
    fn on_call_start(&self, method: &str, namespace: &str, task_queue: Option<&str>) {
        (**self).on_call_start(method, namespace, task_queue);
    }

    fn on_call_end(&self, call: &CallRecord<'_>) {
        (**self).on_call_end(call);
    }
}

/// The observers of a connection, in registration order.
#[derive(Clone, Default)]
pub(crate) struct Observers(pub(crate) Vec<Arc<dyn CallObserver>>);

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} observer(s)", self.0.len())
    }
}

/// Adds the [`Observe`] service.
#[derive(Clone)]
pub(crate) struct ObserveLayer {
    observers: Arc<[Arc<dyn CallObserver>]>,
}

impl ObserveLayer {
    /// A layer calling `observers`, or `None` when there are none.
    pub(crate) fn new(observers: &Observers) -> Option<Self> {
        (!observers.0.is_empty()).then(|| ObserveLayer {
            observers: observers.0.clone().into(),
        })
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            observers: self.observers.clone(),
        }
    }
}

/// Reports each attempt to the observers.
#[derive(Clone)]
pub(crate) struct Observe<S> {
    inner: S,
    observers: Arc<[Arc<dyn CallObserver>]>,
}

impl<S> Service<Request<Body>> for Observe<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let path = request.uri().path();
        let method: Arc<str> = Arc::from(path.strip_prefix(SERVICE_PREFIX).unwrap_or(path));
        let namespace: Arc<str> = request
            .headers()
            .get(NAMESPACE_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .into();
        let task_queue = request.extensions().get::<CallTaskQueue>().cloned();
        for observer in self.observers.iter() {
            observer.on_call_start(&method, &namespace, task_queue.as_ref().map(|t| t.as_str()));
        }
        let observers = self.observers.clone();
        let started = Instant::now();
        let call = self.inner.call(request);
        Box::pin(async move {
            let result = call.await;
            let code = match &result {
                Ok(response) => response
                    .extensions()
                    .get::<CallStatus>()
                    .map_or(Code::Unknown, |s| s.code),
                Err(_) => Code::Unavailable,
            };
            let record = CallRecord {
                method: &method,
                namespace: &namespace,
                task_queue: task_queue.as_ref().map(|t| t.as_str()),
                code,
                elapsed: started.elapsed(),
            };
            for observer in observers.iter() {
                observer.on_call_end(&record);
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status;
    use std::sync::Mutex;

    /// Method, namespace, task queue and code of each attempt.
    type Attempt = (String, String, Option<String>, Code);

    #[derive(Default)]
    struct Seen(Mutex<Vec<Attempt>>);

    impl CallObserver for Seen {
        fn on_call_end(&self, call: &CallRecord<'_>) {
            self.0.lock().unwrap().push((
                call.method.to_owned(),
                call.namespace.to_owned(),
                call.task_queue.map(str::to_owned),
                call.code,
            ));
        }
    }

    #[tokio::test]
    async fn attempts_are_reported_with_their_status() {
        let seen = Arc::new(Seen::default());
        let observers = Observers(vec![seen.clone()]);
        let inner = tower::service_fn(|_req: Request<Body>| async {
            Ok::<_, BoxError>(status::response(Code::NotFound, "gone"))
        });
        let mut service = ObserveLayer::new(&observers).unwrap().layer(inner);
        let mut request = Request::builder()
            .uri(format!("http://h{SERVICE_PREFIX}PollActivityTaskQueue"))
            .header(NAMESPACE_HEADER, "ns")
            .body(Body::empty())
            .unwrap();
        request.extensions_mut().insert(CallTaskQueue::new("tq"));
        service.call(request).await.unwrap();
        let seen = seen.0.lock().unwrap();
        assert_eq!(
            seen.as_slice(),
            &[(
                "PollActivityTaskQueue".to_owned(),
                "ns".to_owned(),
                Some("tq".to_owned()),
                Code::NotFound
            )]
        );
    }

    #[test]
    fn no_observers_no_layer() {
        assert!(ObserveLayer::new(&Observers::default()).is_none());
    }
}

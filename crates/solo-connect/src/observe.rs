//! Call observers: a hook that sees every attempt of every call a [`Connection`] makes, with
//! its method, namespace, gRPC status and duration — what request metrics are made of.
//!
//! Register one with [`ConnectionOptions::observer`]. Observers are told of each attempt
//! (a retried call is seen once per attempt, as the Temporal SDKs count requests), with the
//! status read from the whole response. Without an observer nothing is done for them.
//!
//! [`Connection`]: crate::Connection
//! [`ConnectionOptions::observer`]: crate::ConnectionOptions::observer

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Uri};
use tonic::Code;

use crate::namespace::NAMESPACE_HEADER;

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

impl Observers {
    /// The observers, shared, or `None` when there are none.
    pub(crate) fn shared(&self) -> Option<Arc<[Arc<dyn CallObserver>]>> {
        (!self.0.is_empty()).then(|| self.0.clone().into())
    }
}

/// What the observers are told about one call: taken from its request before it is sent, and
/// told at the start and at the end of each attempt.
pub(crate) struct Observed {
    observers: Arc<[Arc<dyn CallObserver>]>,
    uri: Uri,
    namespace: Option<HeaderValue>,
    task_queue: Option<CallTaskQueue>,
}

impl Observed {
    /// The call of `parts`, for `observers`.
    pub(crate) fn new(
        observers: &Arc<[Arc<dyn CallObserver>]>,
        parts: &http::request::Parts,
    ) -> Self {
        Observed {
            observers: observers.clone(),
            uri: parts.uri.clone(),
            namespace: parts.headers.get(NAMESPACE_HEADER).cloned(),
            task_queue: parts.extensions.get::<CallTaskQueue>().cloned(),
        }
    }

    fn method(&self) -> &str {
        let path = self.uri.path();
        path.strip_prefix(SERVICE_PREFIX).unwrap_or(path)
    }

    fn namespace(&self) -> &str {
        self.namespace
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// An attempt is about to be sent.
    pub(crate) fn start(&self) {
        let task_queue = self.task_queue.as_ref().map(CallTaskQueue::as_str);
        for observer in self.observers.iter() {
            observer.on_call_start(self.method(), self.namespace(), task_queue);
        }
    }

    /// An attempt ended with `code` after `elapsed`.
    pub(crate) fn end(&self, code: Code, elapsed: Duration) {
        let record = CallRecord {
            method: self.method(),
            namespace: self.namespace(),
            task_queue: self.task_queue.as_ref().map(CallTaskQueue::as_str),
            code,
            elapsed,
        };
        for observer in self.observers.iter() {
            observer.on_call_end(&record);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BoxError;
    use crate::retry::{RetryLayer, RetryOptions};
    use crate::status;
    use http::Request;
    use std::sync::Mutex;
    use tonic::body::Body;
    use tower::{Layer, Service};

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
        let mut service = RetryLayer::new(RetryOptions::disabled())
            .observers(&observers)
            .layer(inner);
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
    fn no_observers_none_shared() {
        assert!(Observers::default().shared().is_none());
    }
}

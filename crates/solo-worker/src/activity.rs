//! How the worker runs an activity: the typed [`ActivityImpl`] trait that `#[activity]`
//! implements ([`run_blocking`] for blocking bodies), and the payload-level tower [`Service`]
//! every registered activity becomes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use solo_client::{
    Activity, ActivityError, ActivityInput, ApplicationError, EncodePayload, PayloadConverter,
};
use solo_proto::temporal::api::common::v1::Payload;
use tower::Service;
use tower::util::BoxCloneSyncService;
use tracing::Instrument;

use crate::context::ActivityContext;

/// The future an activity returns.
pub type ActivityFuture<T> = Pin<Box<dyn Future<Output = Result<T, ActivityError>> + Send>>;

/// An activity the worker can run: an [`Activity`] definition plus its body.
///
/// `#[activity]` implements it. Implement it by hand for activities that carry state (clone
/// what the future needs out of `self`), or that need a custom name chosen at run time:
///
/// ```
/// use solo_client::{Activity, ActivityError};
/// use solo_worker::{ActivityContext, ActivityFuture, ActivityImpl};
///
/// struct CountWords { stop_words: std::sync::Arc<Vec<String>> }
///
/// impl Activity for CountWords {
///     type Input = String;
///     type Output = usize;
///     fn name(&self) -> &str { "count_words" }
/// }
///
/// impl ActivityImpl for CountWords {
///     fn execute(&self, _ctx: ActivityContext, text: String) -> ActivityFuture<usize> {
///         let stop_words = self.stop_words.clone();
///         Box::pin(async move {
///             Ok(text.split_whitespace().filter(|w| !stop_words.iter().any(|s| s == w)).count())
///         })
///     }
/// }
/// ```
///
/// Blocking code belongs on the worker's blocking pool: wrap it in
/// [`run_blocking`].
pub trait ActivityImpl: Activity {
    /// Runs one attempt with its context and decoded input.
    fn execute(&self, ctx: ActivityContext, input: Self::Input) -> ActivityFuture<Self::Output>;
}

impl<A: ActivityImpl> ActivityImpl for &'static A {
    fn execute(&self, ctx: ActivityContext, input: Self::Input) -> ActivityFuture<Self::Output> {
        (**self).execute(ctx, input)
    }
}

/// What a registered activity's [`ActivityService`] receives: the attempt's context and its
/// input payloads (after the codec, before decoding).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ActivityRequest {
    /// The attempt's context.
    pub context: ActivityContext,
    /// The input payloads (one per argument; none for an activity without input).
    pub input: Vec<Payload>,
}

impl ActivityRequest {
    /// A request with this context and input.
    pub fn new(context: ActivityContext, input: Vec<Payload>) -> Self {
        ActivityRequest { context, input }
    }
}

/// A registered activity at the payload level: input payloads in, one result payload (before
/// the codec) out. Wrap every activity of a worker in tower layers with
/// [`WorkerBuilder::layer`](crate::WorkerBuilder::layer).
pub type ActivityService = BoxCloneSyncService<ActivityRequest, Payload, ActivityError>;

/// The application error type of a failure caused by an input that does not decode.
pub const INPUT_DECODE_ERROR_TYPE: &str = "InputDecodeError";
/// The application error type of a failure caused by a result that does not encode.
pub const RESULT_ENCODE_ERROR_TYPE: &str = "ResultEncodeError";

/// Runs a blocking activity body on the context's blocking pool.
///
/// This is what `#[activity]` generates for a plain `fn`; call it yourself when implementing
/// [`ActivityImpl`] by hand for blocking code. `f` receives the context.
pub fn run_blocking<T, F>(ctx: ActivityContext, f: F) -> ActivityFuture<T>
where
    T: Send + 'static,
    F: FnOnce(ActivityContext) -> Result<T, ActivityError> + Send + 'static,
{
    let pool = ctx.blocking_pool().clone();
    Box::pin(async move { pool.run(move || f(ctx)).await }.in_current_span())
}

/// Adapts a typed [`ActivityImpl`] to an [`ActivityService`]: decodes the input, runs the
/// activity, encodes the output.
pub(crate) struct Typed<A> {
    activity: Arc<A>,
}

impl<A> Clone for Typed<A> {
    fn clone(&self) -> Self {
        Typed {
            activity: self.activity.clone(),
        }
    }
}

impl<A: ActivityImpl> Typed<A> {
    pub(crate) fn service(activity: A) -> ActivityService {
        BoxCloneSyncService::new(Typed {
            activity: Arc::new(activity),
        })
    }
}

impl<A: ActivityImpl> Service<ActivityRequest> for Typed<A> {
    type Response = Payload;
    type Error = ActivityError;
    type Future = TypedFuture<A::Output>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: ActivityRequest) -> Self::Future {
        let converter = request.context.data_converter().clone();
        let input = match decode_input::<A::Input>(
            self.activity.name(),
            &request.input,
            converter.payload_converter(),
        ) {
            Ok(input) => input,
            Err(e) => return TypedFuture::Refused(Some(e)),
        };
        TypedFuture::Running {
            run: self.activity.execute(request.context, input),
            converter,
        }
    }
}

/// A typed activity's attempt: the activity's own future, then its output encoded. A named
/// future rather than a boxed one: the service box already holds it, and every wake of a
/// long-running activity passes through each box on the way.
pub(crate) enum TypedFuture<O> {
    /// The activity runs.
    Running {
        run: ActivityFuture<O>,
        converter: solo_client::DataConverter,
    },
    /// The input did not decode (taken when polled).
    Refused(Option<ActivityError>),
}

impl<O: EncodePayload> Future for TypedFuture<O> {
    type Output = Result<Payload, ActivityError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Unpin: the activity's future is boxed.
        match self.get_mut() {
            TypedFuture::Running { run, converter } => {
                let output = std::task::ready!(run.as_mut().poll(cx))?;
                Poll::Ready(
                    output
                        .encode_payload(converter.payload_converter())
                        .map_err(|e| {
                            ApplicationError::new(format!(
                                "the activity's result could not be encoded: {e}"
                            ))
                            .error_type(RESULT_ENCODE_ERROR_TYPE)
                            .non_retryable()
                            .into()
                        }),
                )
            }
            TypedFuture::Refused(error) => Poll::Ready(Err(error.take().unwrap_or_else(|| {
                ApplicationError::new("the activity's attempt was polled after it ended")
                    .non_retryable()
                    .into()
            }))),
        }
    }
}

/// Decodes an activity's input as its [`ActivityInput`] implementation says. Every mismatch
/// fails the attempt *retryably*, as the Python SDK does ("Failed decoding arguments" / a
/// `TypeError`), so a worker redeployed with the right type can still complete the activity.
fn decode_input<T: ActivityInput>(
    activity_type: &str,
    payloads: &[Payload],
    converter: &dyn PayloadConverter,
) -> Result<T, ActivityError> {
    T::from_payloads_with(activity_type, payloads, converter).map_err(|e| {
        ApplicationError::new(e.to_string())
            .error_type(INPUT_DECODE_ERROR_TYPE)
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::DetachedContext;
    use crate::info::ActivityInfo;
    use solo_client::FailureKind;
    use solo_client::{StandardPayloadConverter, from_payload, to_payload};

    const STD: &StandardPayloadConverter = &StandardPayloadConverter;
    use tower::ServiceExt;

    struct Double;

    impl Activity for Double {
        type Input = i64;
        type Output = i64;
        fn name(&self) -> &str {
            "double"
        }
    }

    impl ActivityImpl for Double {
        fn execute(&self, _ctx: ActivityContext, input: i64) -> ActivityFuture<i64> {
            Box::pin(async move { Ok(input * 2) })
        }
    }

    fn request(input: Vec<Payload>) -> ActivityRequest {
        let ctx = DetachedContext::new(ActivityInfo::default(), Arc::new(|_| {}), 1);
        ActivityRequest::new(ctx.context(), input)
    }

    async fn failure_of(err: ActivityError) -> solo_client::ActivityFailure {
        let dc = solo_client::DataConverter::default();
        solo_client::ActivityFailure::decode(err.into_failure(&dc).await, &dc).await
    }

    #[tokio::test]
    async fn decodes_runs_and_encodes() {
        let svc = Typed::service(Double);
        let out = svc
            .oneshot(request(vec![to_payload(&21).unwrap()]))
            .await
            .unwrap();
        assert_eq!(from_payload::<i64>(&out).unwrap(), 42);
    }

    #[tokio::test]
    async fn bad_input_is_a_retryable_failure() {
        let svc = Typed::service(Double);
        let err = svc
            .clone()
            .oneshot(request(vec![to_payload(&"x").unwrap()]))
            .await
            .unwrap_err();
        let failure = failure_of(err).await;
        assert_eq!(failure.error_type(), Some(INPUT_DECODE_ERROR_TYPE));
        assert!(failure.message.contains("`double`"), "{}", failure.message);
        assert!(matches!(
            failure.kind,
            FailureKind::Application {
                non_retryable: false,
                ..
            }
        ));
        let err = svc.clone().oneshot(request(vec![])).await.unwrap_err();
        assert!(failure_of(err).await.message.contains("none was sent"));
        let two = vec![to_payload(&1).unwrap(), to_payload(&2).unwrap()];
        let err = svc.oneshot(request(two)).await.unwrap_err();
        assert!(failure_of(err).await.message.contains("2 were sent"));
    }

    #[test]
    fn unit_inputs_take_nothing_or_one_null() {
        decode_input::<()>("a", &[], STD).unwrap();
        decode_input::<()>("a", &[to_payload(&serde_json::Value::Null).unwrap()], STD).unwrap();
        decode_input::<()>("a", &[to_payload(&()).unwrap()], STD).unwrap();
        let err = decode_input::<()>("a", &[to_payload(&serde_json::json!({})).unwrap()], STD)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("takes no input but one was sent; start it without arguments"),
            "{err}"
        );
        assert_eq!(decode_input::<Option<u8>>("a", &[], STD).unwrap(), None);
    }
}

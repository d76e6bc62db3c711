//! The dynamic (catch-all) activity: [`DynamicActivity`] runs every task whose activity type
//! no registered activity matches, given the type name and the raw payloads ([`DynamicInput`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use solo_client::{
    ActivityError, ActivityInput, DataConverter, DataError, DecodePayload, EncodePayload,
    InputError,
};
use solo_proto::temporal::api::common::v1::Payload;
use tower::Service;
use tower::util::BoxCloneSyncService;

use crate::activity::{ActivityFuture, ActivityRequest, ActivityService};
use crate::context::ActivityContext;

/// A dynamic activity: registered with
/// [`WorkerBuilder::dynamic_activity`](crate::WorkerBuilder::dynamic_activity), it runs every
/// task whose activity type is not registered on the worker, as Python's
/// `@activity.defn(dynamic=True)`. It receives the activity type name and the input payloads
/// undecoded, and returns the result as a payload.
///
/// Any `Fn(ActivityContext, DynamicInput) -> impl Future<Output = Result<Payload,
/// ActivityError>>` is one:
///
/// ```
/// use solo_client::{ActivityError, ApplicationError};
/// use solo_proto::temporal::api::common::v1::Payload;
/// use solo_worker::{ActivityContext, DynamicInput};
///
/// async fn any_activity(_ctx: ActivityContext, input: DynamicInput) -> Result<Payload, ActivityError> {
///     match input.activity_type() {
///         "add" => {
///             let (a, b): (i64, i64) = (input.arg(0)?, input.arg(1)?);
///             // The result, through the worker's payload converter.
///             Ok(input.encode(&(a + b))?)
///         }
///         other => Err(ApplicationError::new(format!("no activity `{other}` here"))
///             .non_retryable()
///             .into()),
///     }
/// }
/// # fn register(builder: solo_worker::WorkerBuilder) -> solo_worker::WorkerBuilder {
/// builder.dynamic_activity(any_activity)
/// # }
/// ```
pub trait DynamicActivity: Send + Sync + 'static {
    /// Runs one attempt of an activity of any unregistered type.
    fn execute(&self, ctx: ActivityContext, input: DynamicInput) -> ActivityFuture<Payload>;
}

impl<F, Fut> DynamicActivity for F
where
    F: Fn(ActivityContext, DynamicInput) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Payload, ActivityError>> + Send + 'static,
{
    fn execute(&self, ctx: ActivityContext, input: DynamicInput) -> ActivityFuture<Payload> {
        Box::pin(self(ctx, input))
    }
}

/// What a [`DynamicActivity`] receives: the activity type name and the input payloads (after
/// the codec, not yet decoded), one per argument.
#[derive(Debug, Clone)]
pub struct DynamicInput {
    activity_type: String,
    payloads: Vec<Payload>,
    converter: DataConverter,
}

impl DynamicInput {
    /// The input of an activity of type `activity_type`, decoded with the default data
    /// converter (for tests of dynamic activities).
    pub fn new(activity_type: impl Into<String>, payloads: Vec<Payload>) -> Self {
        DynamicInput {
            activity_type: activity_type.into(),
            payloads,
            converter: DataConverter::default(),
        }
    }

    /// The same input, decoded with `converter`.
    pub fn with_data_converter(mut self, converter: DataConverter) -> Self {
        self.converter = converter;
        self
    }

    /// The data converter the arguments decode with (the worker's), also the one to encode
    /// the result with: `input.encode(&value)`.
    pub fn data_converter(&self) -> &DataConverter {
        &self.converter
    }

    /// Encodes a result with the worker's payload converter.
    ///
    /// # Errors
    /// When the value cannot be converted.
    pub fn encode<T: EncodePayload>(&self, value: &T) -> Result<Payload, DataError> {
        value.encode_payload(self.converter.payload_converter())
    }

    /// The activity type name the task was started with.
    pub fn activity_type(&self) -> &str {
        &self.activity_type
    }

    /// The input payloads, one per argument.
    pub fn payloads(&self) -> &[Payload] {
        &self.payloads
    }

    /// The input payloads, taken out.
    pub fn into_payloads(self) -> Vec<Payload> {
        self.payloads
    }

    /// How many arguments were sent.
    pub fn len(&self) -> usize {
        self.payloads.len()
    }

    /// Whether no argument was sent.
    pub fn is_empty(&self) -> bool {
        self.payloads.is_empty()
    }

    /// Decodes argument `index` (from 0) as `T` with the worker's payload converter.
    ///
    /// # Errors
    /// When there is no such argument or it does not decode as `T`.
    pub fn arg<T: DecodePayload>(&self, index: usize) -> Result<T, DataError> {
        match self.payloads.get(index) {
            Some(p) => T::decode_payload(p, self.converter.payload_converter()),
            None => Err(DataError::Missing(std::any::type_name::<T>())),
        }
    }

    /// Decodes all arguments at once, as a typed activity with input `I` would (an
    /// [`Args`](solo_client::Args) for several).
    ///
    /// # Errors
    /// When the count does not fit `I` or an argument does not decode.
    pub fn args<I: ActivityInput>(&self) -> Result<I, InputError> {
        I::from_payloads_with(
            &self.activity_type,
            &self.payloads,
            self.converter.payload_converter(),
        )
    }
}

/// Adapts a [`DynamicActivity`] to an [`ActivityService`].
pub(crate) struct Dynamic<D> {
    activity: Arc<D>,
}

impl<D> Clone for Dynamic<D> {
    fn clone(&self) -> Self {
        Dynamic {
            activity: self.activity.clone(),
        }
    }
}

impl<D: DynamicActivity> Dynamic<D> {
    pub(crate) fn service(activity: D) -> ActivityService {
        BoxCloneSyncService::new(Dynamic {
            activity: Arc::new(activity),
        })
    }
}

impl<D: DynamicActivity> Service<ActivityRequest> for Dynamic<D> {
    type Response = Payload;
    type Error = ActivityError;
    type Future = Pin<Box<dyn Future<Output = Result<Payload, ActivityError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: ActivityRequest) -> Self::Future {
        let input = DynamicInput::new(request.context.info().activity_type.clone(), request.input);
        self.activity.execute(request.context, input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::DetachedContext;
    use crate::info::ActivityInfo;
    use solo_client::{Args, from_payload, to_payload};
    use tower::ServiceExt;

    #[tokio::test]
    async fn receives_the_type_and_the_raw_arguments() {
        let svc = Dynamic::service(|_ctx: ActivityContext, input: DynamicInput| async move {
            let Args((a, b)) = input.args::<Args<(String, u32)>>()?;
            Ok(to_payload(&format!(
                "{}:{}",
                input.activity_type(),
                a.repeat(b as usize)
            ))?)
        });
        let info = ActivityInfo {
            activity_type: "anything".into(),
            ..Default::default()
        };
        let ctx = DetachedContext::new(info, Arc::new(|_| {}), 1);
        let input = vec![to_payload("ab").unwrap(), to_payload(&2).unwrap()];
        let out = svc
            .oneshot(ActivityRequest::new(ctx.context(), input))
            .await
            .unwrap();
        assert_eq!(from_payload::<String>(&out).unwrap(), "anything:abab");
    }

    #[test]
    fn args_decode_one_by_one() {
        let input = DynamicInput::new("t", vec![to_payload(&1).unwrap()]);
        assert_eq!(input.len(), 1);
        assert_eq!(input.arg::<i32>(0).unwrap(), 1);
        let e = input.arg::<i32>(1).unwrap_err();
        assert!(e.to_string().contains("none was sent"), "{e}");
    }
}

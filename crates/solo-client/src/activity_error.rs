//! What an activity returns when it does not succeed: [`ActivityError`] (any
//! `std::error::Error` converts into it with `?`), [`ApplicationError`] with Temporal's
//! attributes (an error type, a non-retryable flag, details, a next retry delay) and
//! [`Cancelled`]; [`ActivityError::complete_async`] for an activity that another program will
//! complete; and how the worker turns them into a Temporal `Failure`.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use solo_proto::temporal::api::enums::v1::ApplicationErrorCategory;
use solo_proto::temporal::api::failure::v1 as pb;
use solo_proto::wkt;

use crate::converter::DataConverter;
use crate::failure_converter::run_codec;
use crate::payload::to_payload;
use crate::payload_converter::{PayloadConverter, StandardPayloadConverter};
use crate::value::EncodePayload;

/// The `source` solo writes into the failures it produces.
pub const FAILURE_SOURCE: &str = "RustSDK";

/// The application error type of the failure [`ActivityError::complete_async`] becomes if it is
/// turned into a failure (it is not one; see [`ActivityError::into_failure`]).
pub const COMPLETE_ASYNC_ERROR_TYPE: &str = "CompleteAsync";

/// An application-level activity failure with Temporal's attributes.
///
/// Return it (or convert into it) from an activity to choose the error type the server's retry
/// policy matches, mark the failure non-retryable, attach details or ask for a specific delay
/// before the next attempt.
///
/// ```
/// use solo_client::ApplicationError;
/// use std::time::Duration;
///
/// let err = ApplicationError::new("card declined")
///     .error_type("PaymentDeclined")
///     .non_retryable()
///     .detail(&serde_json::json!({"code": 51}))
///     .next_retry_delay(Duration::from_secs(5));
/// assert_eq!(err.get_error_type(), "PaymentDeclined");
/// assert!(err.is_non_retryable());
/// ```
#[derive(Debug, Clone, Default)]
pub struct ApplicationError {
    message: String,
    error_type: String,
    non_retryable: bool,
    details: Vec<Payload>,
    detail_error: Option<String>,
    next_retry_delay: Option<Duration>,
    benign: bool,
}

impl ApplicationError {
    /// A retryable application error with a message and no type.
    pub fn new(message: impl Into<String>) -> Self {
        ApplicationError {
            message: message.into(),
            ..Default::default()
        }
    }

    /// Sets the error type (matched against the retry policy's non-retryable error types).
    pub fn error_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = error_type.into();
        self
    }

    /// Marks the failure non-retryable: the server will not schedule another attempt.
    pub fn non_retryable(mut self) -> Self {
        self.non_retryable = true;
        self
    }

    /// Attaches one detail value, encoded with the standard payload converter. An encoding
    /// failure is not lost: it is reported in the failure's message.
    pub fn detail<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match to_payload(value) {
            Ok(p) => self.details.push(p),
            Err(e) => self.detail_error = Some(e.to_string()),
        }
        self
    }

    /// Attaches one detail value (a serde value or a [`Proto`](crate::Proto) /
    /// [`ProtoJson`](crate::ProtoJson) message), encoded with `converter` — in an activity,
    /// the worker's: `ctx.data_converter().payload_converter()`. An encoding failure is
    /// reported in the failure's message.
    ///
    /// ```
    /// use solo_client::{ApplicationError, StandardPayloadConverter};
    ///
    /// let error = ApplicationError::new("declined").detail_with(&51, &StandardPayloadConverter);
    /// assert_eq!(error.get_detail_payloads().len(), 1);
    /// ```
    pub fn detail_with<T: EncodePayload>(
        mut self,
        value: &T,
        converter: &dyn PayloadConverter,
    ) -> Self {
        match value.encode_payload(converter) {
            Ok(p) => self.details.push(p),
            Err(e) => self.detail_error = Some(e.to_string()),
        }
        self
    }

    /// Attaches already-encoded detail payloads.
    pub fn detail_payloads(mut self, payloads: impl IntoIterator<Item = Payload>) -> Self {
        self.details.extend(payloads);
        self
    }

    /// Overrides the delay before the next attempt.
    pub fn next_retry_delay(mut self, delay: Duration) -> Self {
        self.next_retry_delay = Some(delay);
        self
    }

    /// Marks the failure benign: expected, logged quietly.
    pub fn benign(mut self) -> Self {
        self.benign = true;
        self
    }

    /// The message.
    pub fn get_message(&self) -> &str {
        &self.message
    }

    /// The error type (may be empty).
    pub fn get_error_type(&self) -> &str {
        &self.error_type
    }

    /// Whether the failure is non-retryable.
    pub fn is_non_retryable(&self) -> bool {
        self.non_retryable
    }

    /// The requested next retry delay.
    pub fn get_next_retry_delay(&self) -> Option<Duration> {
        self.next_retry_delay
    }

    /// The detail payloads (not yet through a codec).
    pub fn get_detail_payloads(&self) -> &[Payload] {
        &self.details
    }
}

impl fmt::Display for ApplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.error_type.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.error_type, self.message)
        }
    }
}

impl std::error::Error for ApplicationError {}

/// The error an activity reports when its cancellation was requested and it chose to stop.
#[derive(Debug, Clone, Default)]
pub struct Cancelled {
    details: Vec<Payload>,
}

impl Cancelled {
    /// A cancellation with no details.
    pub fn new() -> Self {
        Cancelled::default()
    }

    /// Attaches a detail value (encoding errors drop nothing: they become a string detail).
    pub fn detail<T: Serialize + ?Sized>(self, value: &T) -> Self {
        self.detail_with(&value, &StandardPayloadConverter)
    }

    /// Attaches a detail value encoded with `converter` (in an activity, the worker's:
    /// `ctx.data_converter().payload_converter()`); an encoding error becomes a string detail.
    pub fn detail_with<T: EncodePayload>(
        mut self,
        value: &T,
        converter: &dyn PayloadConverter,
    ) -> Self {
        match value.encode_payload(converter) {
            Ok(p) => self.details.push(p),
            Err(e) => {
                if let Ok(p) = e.to_string().encode_payload(converter) {
                    self.details.push(p);
                }
            }
        }
        self
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("activity cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// What an activity function returns on failure.
///
/// Any `std::error::Error + Send + Sync + 'static` converts into it with `?`. An
/// [`ApplicationError`] keeps its type, flags and details; a [`Cancelled`] reports the attempt
/// as cancelled; any other error becomes a retryable application failure whose type is the
/// error's Rust type name and whose cause chain follows `Error::source`.
/// [`ActivityError::complete_async`] is not a failure: it says the activity will be completed
/// later, through an async activity handle.
///
/// `ActivityError` deliberately does not implement `std::error::Error`, so that the blanket
/// conversion can exist (the same trade-off `anyhow::Error` makes).
pub enum ActivityError {
    /// An application failure.
    Application(ApplicationError),
    /// The activity stopped because it was cancelled.
    Cancelled(Cancelled),
    /// Any other error.
    Other {
        /// The error.
        error: Box<dyn std::error::Error + Send + Sync + 'static>,
        /// Its Rust type name, used as the failure type.
        type_name: &'static str,
    },
    /// Not a failure: the activity will be completed later by someone holding its id or task
    /// token (see [`ActivityError::complete_async`]). The worker reports nothing for the
    /// attempt.
    CompleteAsync,
}

impl fmt::Debug for ActivityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActivityError::Application(e) => f.debug_tuple("Application").field(e).finish(),
            ActivityError::Cancelled(e) => f.debug_tuple("Cancelled").field(e).finish(),
            ActivityError::Other { error, type_name } => f
                .debug_struct("Other")
                .field("error", error)
                .field("type_name", type_name)
                .finish(),
            ActivityError::CompleteAsync => f.write_str("CompleteAsync"),
        }
    }
}

impl fmt::Display for ActivityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActivityError::Application(e) => e.fmt(f),
            ActivityError::Cancelled(e) => e.fmt(f),
            ActivityError::Other { error, .. } => error.fmt(f),
            ActivityError::CompleteAsync => {
                f.write_str("the activity will be completed asynchronously")
            }
        }
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for ActivityError {
    fn from(error: E) -> Self {
        let type_name = std::any::type_name::<E>();
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
        let boxed = match boxed.downcast::<ApplicationError>() {
            Ok(app) => return ActivityError::Application(*app),
            Err(other) => other,
        };
        match boxed.downcast::<Cancelled>() {
            Ok(c) => ActivityError::Cancelled(*c),
            Err(error) => ActivityError::Other { error, type_name },
        }
    }
}

impl ActivityError {
    /// An application failure from a message (retryable, no type).
    pub fn from_message(message: impl Into<String>) -> Self {
        ActivityError::Application(ApplicationError::new(message))
    }

    /// Says that the activity will be completed later, by another program or task holding its
    /// id or its task token, instead of by its return value (Python's
    /// `activity.raise_complete_async()`, Go's `activity.ErrResultPending`).
    ///
    /// Return `Err(ActivityError::complete_async())` from the activity. The worker then reports
    /// nothing for the attempt: it frees the slot, sends the latest heartbeat details the
    /// activity recorded once more (so a throttled heartbeat is not lost), stops heartbeating
    /// for it and logs at DEBUG; the attempt's span records the outcome `will_complete_async`. The activity stays running
    /// on the server until someone completes, fails or cancels it through
    /// `Client::get_async_activity_handle` (or `temporal activity complete`), or until one of
    /// its timeouts passes — so give it a start-to-close timeout long enough for that, and
    /// heartbeat through the handle if it has a heartbeat timeout.
    ///
    /// ```
    /// use solo_client::ActivityError;
    /// # fn send_for_approval(_request: &str, _task_token: &[u8]) {}
    ///
    /// // The body of an activity (in `solo-worker`, `ctx.info().task_token` is the token).
    /// async fn approve(request: String, task_token: &[u8]) -> Result<bool, ActivityError> {
    ///     // Whoever approves completes the activity with this token (or with its id).
    ///     send_for_approval(&request, task_token);
    ///     Err(ActivityError::complete_async())
    /// }
    /// ```
    pub fn complete_async() -> Self {
        ActivityError::CompleteAsync
    }

    /// Whether this is [`ActivityError::complete_async`].
    pub fn is_complete_async(&self) -> bool {
        matches!(self, ActivityError::CompleteAsync)
    }

    /// Builds the wire `Failure` for this error, running detail payloads through the codec.
    ///
    /// [`ActivityError::complete_async`] is not a failure; it becomes a retryable application
    /// failure of type [`COMPLETE_ASYNC_ERROR_TYPE`] saying so.
    pub async fn into_failure(self, converter: &DataConverter) -> pb::Failure {
        let mut failure = converter
            .failure_converter()
            .to_failure(self, converter.payload_converter());
        run_codec(&mut failure, converter, true).await;
        failure
    }
}

/// What [`DefaultFailureConverter`](crate::DefaultFailureConverter) makes of an error.
pub(crate) fn default_to_failure(error: ActivityError) -> pb::Failure {
    match error {
        ActivityError::Application(app) => application_failure(app),
        ActivityError::Cancelled(c) => pb::Failure {
            message: "activity cancelled".into(),
            source: FAILURE_SOURCE.into(),
            failure_info: Some(pb::failure::FailureInfo::CanceledFailureInfo(
                pb::CanceledFailureInfo {
                    details: details(c.details),
                    ..Default::default()
                },
            )),
            ..Default::default()
        },
        ActivityError::Other { error, type_name } => {
            let mut failure = generic_failure(error.as_ref(), type_name);
            failure.cause = cause_chain(error.source());
            failure
        }
        ActivityError::CompleteAsync => application_failure(
            ApplicationError::new(
                "ActivityError::complete_async() is not a failure; return it from an activity to complete the activity later",
            )
            .error_type(COMPLETE_ASYNC_ERROR_TYPE),
        ),
    }
}

fn generic_failure(error: &(dyn std::error::Error + 'static), type_name: &str) -> pb::Failure {
    pb::Failure {
        message: error.to_string(),
        source: FAILURE_SOURCE.into(),
        failure_info: Some(pb::failure::FailureInfo::ApplicationFailureInfo(
            pb::ApplicationFailureInfo {
                r#type: type_name.to_owned(),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

fn cause_chain(source: Option<&(dyn std::error::Error + 'static)>) -> Option<Box<pb::Failure>> {
    let source = source?;
    let mut failure = generic_failure(source, "");
    failure.cause = cause_chain(source.source());
    Some(Box::new(failure))
}

fn details(details: Vec<Payload>) -> Option<Payloads> {
    (!details.is_empty()).then_some(Payloads { payloads: details })
}

fn application_failure(app: ApplicationError) -> pb::Failure {
    let mut message = app.message;
    if let Some(e) = app.detail_error {
        message = format!("{message} (a detail could not be encoded: {e})");
    }
    let details = details(app.details);
    pb::Failure {
        message,
        source: FAILURE_SOURCE.into(),
        failure_info: Some(pb::failure::FailureInfo::ApplicationFailureInfo(
            pb::ApplicationFailureInfo {
                r#type: app.error_type,
                non_retryable: app.non_retryable,
                details,
                next_retry_delay: app.next_retry_delay.map(wkt::duration_to_proto),
                category: if app.benign {
                    ApplicationErrorCategory::Benign as i32
                } else {
                    ApplicationErrorCategory::Unspecified as i32
                },
            },
        )),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity_failure::{ActivityFailure, FailureKind};

    #[derive(Debug, thiserror::Error)]
    #[error("outer failed")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("inner failed")]
    struct Inner;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn application_errors_keep_their_attributes() {
        let dc = DataConverter::default();
        let err: ActivityError = ApplicationError::new("declined")
            .error_type("PaymentDeclined")
            .non_retryable()
            .detail(&42)
            .next_retry_delay(Duration::from_secs(3))
            .into();
        let failure = block_on(err.into_failure(&dc));
        assert_eq!(failure.message, "declined");
        let Some(pb::failure::FailureInfo::ApplicationFailureInfo(info)) = &failure.failure_info
        else {
            panic!("not an application failure: {failure:?}");
        };
        assert_eq!(info.r#type, "PaymentDeclined");
        assert!(info.non_retryable);
        let decoded = block_on(ActivityFailure::decode(failure.clone(), &dc));
        assert_eq!(decoded.error_type(), Some("PaymentDeclined"));
        assert_eq!(decoded.details().get::<i32>(0).unwrap(), 42);
        match decoded.kind {
            FailureKind::Application {
                non_retryable,
                next_retry_delay,
                ..
            } => {
                assert!(non_retryable);
                assert_eq!(next_retry_delay, Some(Duration::from_secs(3)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_errors_become_retryable_with_type_and_causes() {
        let dc = DataConverter::default();
        let err: ActivityError = Outer(Inner).into();
        let failure = block_on(err.into_failure(&dc));
        let decoded = block_on(ActivityFailure::decode(failure, &dc));
        assert_eq!(decoded.message, "outer failed");
        assert!(decoded.error_type().unwrap().ends_with("Outer"));
        let cause = decoded.cause.as_ref().expect("a cause");
        assert_eq!(cause.message, "inner failed");
        assert!(matches!(
            decoded.kind,
            FailureKind::Application {
                non_retryable: false,
                ..
            }
        ));
    }

    #[test]
    fn cancelled_becomes_a_canceled_failure() {
        let dc = DataConverter::default();
        let err: ActivityError = Cancelled::new().detail("stopped").into();
        let failure = block_on(err.into_failure(&dc));
        let decoded = block_on(ActivityFailure::decode(failure, &dc));
        match &decoded.kind {
            FailureKind::Cancelled { details, .. } => {
                assert_eq!(details.get::<String>(0).unwrap(), "stopped")
            }
            other => panic!("{other:?}"),
        }
    }
}

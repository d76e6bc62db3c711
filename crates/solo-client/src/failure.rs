//! Failures: what an activity returns when it does not succeed, and what a client reads back.
//!
//! [`ActivityError`] is the error type activity functions return (any `std::error::Error`
//! converts into it with `?`); the worker turns it into a Temporal `Failure`.
//! [`ApplicationError`] carries the Temporal-specific parts: an error type, a non-retryable flag,
//! details and a next retry delay. [`ActivityFailure`] is the decoded form of a `Failure` that
//! a client reads back, with its cause chain.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use solo_proto::temporal::api::enums::v1::{ApplicationErrorCategory, RetryState, TimeoutType};
use solo_proto::temporal::api::failure::v1 as pb;
use solo_proto::wkt;

use crate::converter::{DataConverter, DataError, from_payload, to_payload};

/// The `source` solo writes into the failures it produces.
pub const FAILURE_SOURCE: &str = "RustSDK";

/// Decoded payloads attached to a failure or a heartbeat, read on demand.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details(Vec<Payload>);

impl Details {
    /// Wraps payloads that have already been through the codec.
    pub fn new(payloads: Vec<Payload>) -> Self {
        Details(payloads)
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Decodes the value at `index`.
    ///
    /// # Errors
    /// When there is no such value or it does not decode as `T`.
    pub fn get<T: DeserializeOwned>(&self, index: usize) -> Result<T, DataError> {
        match self.0.get(index) {
            Some(p) => from_payload(p),
            None => Err(DataError::Missing(std::any::type_name::<T>())),
        }
    }

    /// Decodes the first value (`None` when there is none).
    ///
    /// # Errors
    /// When the value does not decode as `T`.
    pub fn first<T: DeserializeOwned>(&self) -> Result<Option<T>, DataError> {
        self.0.first().map(from_payload).transpose()
    }

    /// The raw payloads.
    pub fn payloads(&self) -> &[Payload] {
        &self.0
    }

    /// Takes the raw payloads.
    pub fn into_payloads(self) -> Vec<Payload> {
        self.0
    }
}

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
///     .with_type("PaymentDeclined")
///     .non_retryable()
///     .with_detail(&serde_json::json!({"code": 51}))
///     .with_next_retry_delay(Duration::from_secs(5));
/// assert_eq!(err.error_type(), "PaymentDeclined");
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
    pub fn with_type(mut self, error_type: impl Into<String>) -> Self {
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
    pub fn with_detail<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match to_payload(value) {
            Ok(p) => self.details.push(p),
            Err(e) => self.detail_error = Some(e.to_string()),
        }
        self
    }

    /// Attaches already-encoded detail payloads.
    pub fn with_detail_payloads(mut self, payloads: impl IntoIterator<Item = Payload>) -> Self {
        self.details.extend(payloads);
        self
    }

    /// Overrides the delay before the next attempt.
    pub fn with_next_retry_delay(mut self, delay: Duration) -> Self {
        self.next_retry_delay = Some(delay);
        self
    }

    /// Marks the failure benign: expected, logged quietly.
    pub fn benign(mut self) -> Self {
        self.benign = true;
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error type (may be empty).
    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    /// Whether the failure is non-retryable.
    pub fn is_non_retryable(&self) -> bool {
        self.non_retryable
    }

    /// The requested next retry delay.
    pub fn next_retry_delay(&self) -> Option<Duration> {
        self.next_retry_delay
    }

    /// The detail payloads (not yet through a codec).
    pub fn detail_payloads(&self) -> &[Payload] {
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
    pub fn with_detail<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match to_payload(value) {
            Ok(p) => self.details.push(p),
            Err(e) => {
                if let Ok(p) = to_payload(&e.to_string()) {
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
        }
    }
}

impl fmt::Display for ActivityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActivityError::Application(e) => e.fmt(f),
            ActivityError::Cancelled(e) => e.fmt(f),
            ActivityError::Other { error, .. } => error.fmt(f),
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
    pub fn message(message: impl Into<String>) -> Self {
        ActivityError::Application(ApplicationError::new(message))
    }

    /// Builds the wire `Failure` for this error, running detail payloads through the codec.
    pub async fn into_failure(self, converter: &DataConverter) -> pb::Failure {
        match self {
            ActivityError::Application(app) => application_failure(app, converter).await,
            ActivityError::Cancelled(c) => {
                let details = encode_details(c.details, converter).await;
                pb::Failure {
                    message: "activity cancelled".into(),
                    source: FAILURE_SOURCE.into(),
                    failure_info: Some(pb::failure::FailureInfo::CanceledFailureInfo(
                        pb::CanceledFailureInfo {
                            details,
                            ..Default::default()
                        },
                    )),
                    ..Default::default()
                }
            }
            ActivityError::Other { error, type_name } => {
                let mut failure = generic_failure(error.as_ref(), type_name);
                failure.cause = cause_chain(error.source());
                failure
            }
        }
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

async fn encode_details(details: Vec<Payload>, converter: &DataConverter) -> Option<Payloads> {
    if details.is_empty() {
        return None;
    }
    match converter.encode_payloads(details).await {
        Ok(payloads) => Some(Payloads { payloads }),
        Err(e) => {
            tracing::warn!(error = %e, "failure details could not be encoded by the codec");
            None
        }
    }
}

async fn application_failure(app: ApplicationError, converter: &DataConverter) -> pb::Failure {
    let mut message = app.message;
    if let Some(e) = app.detail_error {
        message = format!("{message} (a detail could not be encoded: {e})");
    }
    let details = encode_details(app.details, converter).await;
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

/// What kind of failure an [`ActivityFailure`] is, with its kind-specific attributes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FailureKind {
    /// An application failure (an error raised by activity code).
    Application {
        /// The error type.
        error_type: String,
        /// Whether it was non-retryable.
        non_retryable: bool,
        /// Details attached by the activity.
        details: Details,
        /// The delay the activity asked for before the next attempt.
        next_retry_delay: Option<Duration>,
        /// Whether it was marked benign.
        benign: bool,
    },
    /// A timeout.
    Timeout {
        /// Which timeout fired.
        timeout_type: TimeoutType,
        /// The last heartbeat details recorded before it fired.
        last_heartbeat_details: Details,
    },
    /// A cancellation.
    Cancelled {
        /// Details given by the activity or the reason given by the client.
        details: Details,
        /// Who cancelled.
        identity: String,
    },
    /// A termination.
    Terminated {
        /// Who terminated.
        identity: String,
    },
    /// A failure produced by the server.
    Server {
        /// Whether it was non-retryable.
        non_retryable: bool,
    },
    /// An activity failure as seen from a workflow (appears only as a cause).
    Activity {
        /// The activity type.
        activity_type: String,
        /// The activity id.
        activity_id: String,
        /// The worker identity.
        identity: String,
        /// The retry state when it failed.
        retry_state: RetryState,
    },
    /// A kind this SDK does not model (for example a workflow or Nexus failure).
    Other,
}

/// A decoded Temporal failure with its cause chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityFailure {
    /// The message.
    pub message: String,
    /// The SDK that produced it (`RustSDK`, `GoSDK`, empty for Python).
    pub source: String,
    /// The producer's stack trace, if any.
    pub stack_trace: String,
    /// The kind and its attributes.
    pub kind: FailureKind,
    /// The failure that caused this one.
    pub cause: Option<Box<ActivityFailure>>,
}

impl ActivityFailure {
    /// The application error type, when this is an application failure.
    pub fn error_type(&self) -> Option<&str> {
        match &self.kind {
            FailureKind::Application { error_type, .. } => Some(error_type),
            _ => None,
        }
    }

    /// The details of an application or cancellation failure (empty otherwise).
    pub fn details(&self) -> Details {
        match &self.kind {
            FailureKind::Application { details, .. } | FailureKind::Cancelled { details, .. } => {
                details.clone()
            }
            FailureKind::Timeout {
                last_heartbeat_details,
                ..
            } => last_heartbeat_details.clone(),
            _ => Details::default(),
        }
    }

    /// Decodes a wire failure, running payloads through the converter's codec.
    pub async fn decode(failure: pb::Failure, converter: &DataConverter) -> Self {
        let mut chain = Vec::new();
        let mut next = Some(failure);
        while let Some(mut f) = next {
            next = f.cause.take().map(|b| *b);
            chain.push(decode_one(f, converter).await);
        }
        let mut cause: Option<Box<ActivityFailure>> = None;
        while let Some(mut f) = chain.pop() {
            f.cause = cause;
            cause = Some(Box::new(f));
        }
        match cause {
            Some(f) => *f,
            None => ActivityFailure {
                message: String::new(),
                source: String::new(),
                stack_trace: String::new(),
                kind: FailureKind::Other,
                cause: None,
            },
        }
    }
}

impl fmt::Display for ActivityFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FailureKind::Application { error_type, .. } if !error_type.is_empty() => {
                write!(f, "{error_type}: {}", self.message)
            }
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ActivityFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

async fn decode_details(payloads: Option<Payloads>, converter: &DataConverter) -> Details {
    let raw = payloads.map(|p| p.payloads).unwrap_or_default();
    match converter.decode_payloads(raw.clone()).await {
        Ok(p) => Details(p),
        Err(e) => {
            tracing::warn!(error = %e, "failure details could not be decoded by the codec; keeping them encoded");
            Details(raw)
        }
    }
}

#[derive(serde::Deserialize)]
struct EncodedAttributes {
    #[serde(default)]
    message: String,
    #[serde(default)]
    stack_trace: String,
}

async fn decode_one(f: pb::Failure, converter: &DataConverter) -> ActivityFailure {
    use pb::failure::FailureInfo;
    let mut message = f.message;
    let mut stack_trace = f.stack_trace;
    if let Some(attrs) = f.encoded_attributes {
        let decoded = converter
            .decode_payloads(vec![attrs])
            .await
            .ok()
            .and_then(|mut p| p.pop())
            .and_then(|p| from_payload::<EncodedAttributes>(&p).ok());
        if let Some(a) = decoded {
            message = a.message;
            stack_trace = a.stack_trace;
        }
    }
    let kind = match f.failure_info {
        Some(FailureInfo::ApplicationFailureInfo(i)) => FailureKind::Application {
            error_type: i.r#type,
            non_retryable: i.non_retryable,
            details: decode_details(i.details, converter).await,
            next_retry_delay: i
                .next_retry_delay
                .as_ref()
                .and_then(wkt::duration_from_proto),
            benign: i.category == ApplicationErrorCategory::Benign as i32,
        },
        Some(FailureInfo::TimeoutFailureInfo(i)) => FailureKind::Timeout {
            timeout_type: TimeoutType::try_from(i.timeout_type).unwrap_or_default(),
            last_heartbeat_details: decode_details(i.last_heartbeat_details, converter).await,
        },
        Some(FailureInfo::CanceledFailureInfo(i)) => FailureKind::Cancelled {
            details: decode_details(i.details, converter).await,
            identity: i.identity,
        },
        Some(FailureInfo::TerminatedFailureInfo(i)) => FailureKind::Terminated {
            identity: i.identity,
        },
        Some(FailureInfo::ServerFailureInfo(i)) => FailureKind::Server {
            non_retryable: i.non_retryable,
        },
        Some(FailureInfo::ActivityFailureInfo(i)) => FailureKind::Activity {
            activity_type: i.activity_type.map(|t| t.name).unwrap_or_default(),
            activity_id: i.activity_id,
            identity: i.identity,
            retry_state: RetryState::try_from(i.retry_state).unwrap_or_default(),
        },
        _ => FailureKind::Other,
    };
    ActivityFailure {
        message,
        source: f.source,
        stack_trace,
        kind,
        cause: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            .with_type("PaymentDeclined")
            .non_retryable()
            .with_detail(&42)
            .with_next_retry_delay(Duration::from_secs(3))
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
        let err: ActivityError = Cancelled::new().with_detail("stopped").into();
        let failure = block_on(err.into_failure(&dc));
        let decoded = block_on(ActivityFailure::decode(failure, &dc));
        match &decoded.kind {
            FailureKind::Cancelled { details, .. } => {
                assert_eq!(details.get::<String>(0).unwrap(), "stopped")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn encoded_attributes_restore_message_and_trace() {
        let dc = DataConverter::default();
        let failure = pb::Failure {
            message: "Encoded failure".into(),
            encoded_attributes: Some(
                to_payload(&serde_json::json!({"message": "real", "stack_trace": "at x"})).unwrap(),
            ),
            ..Default::default()
        };
        let decoded = block_on(ActivityFailure::decode(failure, &dc));
        assert_eq!(decoded.message, "real");
        assert_eq!(decoded.stack_trace, "at x");
    }
}

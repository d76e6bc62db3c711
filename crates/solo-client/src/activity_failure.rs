//! [`ActivityFailure`]: a Temporal `Failure` as a client reads it back, decoded (through the
//! codec) with its cause chain, and its [`FailureKind`].

use std::fmt;
use std::time::Duration;

use solo_proto::temporal::api::common::v1::Payloads;
use solo_proto::temporal::api::enums::v1::{ApplicationErrorCategory, RetryState, TimeoutType};
use solo_proto::temporal::api::failure::v1 as pb;
use solo_proto::wkt;

use crate::converter::DataConverter;
use crate::details::Details;
use crate::failure_converter::run_codec;
use crate::payload_converter::PayloadConverter;
use crate::value::DecodePayload;

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

    /// Decodes a wire failure: the converter's codec runs over its payloads, then its
    /// [`FailureConverter`](crate::FailureConverter) makes the [`ActivityFailure`].
    pub async fn decode(mut failure: pb::Failure, converter: &DataConverter) -> Self {
        run_codec(&mut failure, converter, false).await;
        converter
            .failure_converter()
            .from_failure(failure, converter.payload_converter())
    }
}

/// What [`DefaultFailureConverter`](crate::DefaultFailureConverter) makes of a wire failure
/// (payloads already through the codec).
pub(crate) fn default_from_failure(
    failure: pb::Failure,
    payloads: &dyn PayloadConverter,
) -> ActivityFailure {
    let mut chain = Vec::new();
    let mut next = Some(failure);
    while let Some(mut f) = next {
        next = f.cause.take().map(|b| *b);
        chain.push(decode_one(f, payloads));
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

fn details(payloads: Option<Payloads>) -> Details {
    Details::new(payloads.map(|p| p.payloads).unwrap_or_default())
}

#[derive(serde::Deserialize)]
struct EncodedAttributes {
    #[serde(default)]
    message: String,
    #[serde(default)]
    stack_trace: String,
}

fn decode_one(f: pb::Failure, payloads: &dyn PayloadConverter) -> ActivityFailure {
    use pb::failure::FailureInfo;
    let mut message = f.message;
    let mut stack_trace = f.stack_trace;
    if let Some(attrs) = f.encoded_attributes {
        let decoded = EncodedAttributes::decode_payload(&attrs, payloads).ok();
        if let Some(a) = decoded {
            message = a.message;
            stack_trace = a.stack_trace;
        }
    }
    let kind = match f.failure_info {
        Some(FailureInfo::ApplicationFailureInfo(i)) => FailureKind::Application {
            error_type: i.r#type,
            non_retryable: i.non_retryable,
            details: details(i.details),
            next_retry_delay: i
                .next_retry_delay
                .as_ref()
                .and_then(wkt::duration_from_proto),
            benign: i.category == ApplicationErrorCategory::Benign as i32,
        },
        Some(FailureInfo::TimeoutFailureInfo(i)) => FailureKind::Timeout {
            timeout_type: TimeoutType::try_from(i.timeout_type).unwrap_or_default(),
            last_heartbeat_details: details(i.last_heartbeat_details),
        },
        Some(FailureInfo::CanceledFailureInfo(i)) => FailureKind::Cancelled {
            details: details(i.details),
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
    use crate::payload::to_payload;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
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

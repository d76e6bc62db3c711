//! The client's error type: what went wrong with a call or with the activity it was about.
//!
//! [`Error`] separates the activity's own outcome (it failed, timed out, was cancelled or
//! terminated; see [`Error::is_activity_outcome`]) from problems with the call itself (the
//! server refused it, the server could not be reached, a value did not convert, the options
//! were invalid). Server refusals carry an [`RpcError`] with the gRPC code and the server's
//! message; `tonic::Status` itself never appears in the public API.

use std::fmt;

use prost::Message;
use solo_connect::__private::code_name;
use solo_proto::google::rpc::Status as RpcStatus;
use solo_proto::temporal::api::enums::v1::{RetryState, TimeoutType};
use solo_proto::temporal::api::errordetails::v1::{
    ActivityExecutionAlreadyStartedFailure, NamespaceNotFoundFailure,
};
use tonic::Code;

use crate::converter::DataError;
use crate::failure::{ActivityFailure, Details};

/// Everything a [`Client`](crate::Client) or [`ActivityHandle`](crate::ActivityHandle) call can
/// fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The activity id is taken: a run with this id is still running (with
    /// [`IdConflictPolicy::Fail`](crate::IdConflictPolicy::Fail)), or a closed run forbids
    /// reuse under the id reuse policy.
    #[error(
        "activity id `{activity_id}` is already in use{}; pick another id, or use \
         IdConflictPolicy::UseExisting to attach to the running activity",
        run_suffix(run_id.as_deref())
    )]
    AlreadyStarted {
        /// The activity id that was asked for.
        activity_id: String,
        /// The run that holds the id, as the server reported it.
        run_id: Option<String>,
    },

    /// No activity with this id (and run id, when one was given) exists in the namespace.
    #[error(
        "activity `{activity_id}`{} was not found in namespace `{namespace}` ({message}); \
         check the id and run id: closed activities are removed once the namespace's \
         retention period has passed",
        run_suffix(run_id.as_deref())
    )]
    NotFound {
        /// The namespace that was searched.
        namespace: String,
        /// The activity id.
        activity_id: String,
        /// The run id, when the call named one.
        run_id: Option<String>,
        /// The server's message.
        message: String,
    },

    /// The namespace does not exist on this server.
    #[error(
        "namespace `{namespace}` does not exist on this server; create it (for example \
         `temporal operator namespace create --namespace {namespace}`) or set \
         TEMPORAL_NAMESPACE / ClientOptions::namespace to an existing one"
    )]
    NamespaceNotFound {
        /// The namespace.
        namespace: String,
    },

    /// The activity failed: its last attempt returned an error and no retry is left.
    #[error("activity failed: {failure}{}", retry_state_suffix(*retry_state))]
    Failed {
        /// The decoded failure, with its cause chain.
        failure: Box<ActivityFailure>,
        /// Why the server stopped retrying.
        retry_state: RetryState,
    },

    /// One of the activity's timeouts fired and no retry is left.
    #[error(
        "activity timed out: the {} timeout fired; raise that timeout, or heartbeat more \
         often if it is the heartbeat timeout",
        timeout_name(*timeout_type)
    )]
    TimedOut {
        /// Which timeout fired.
        timeout_type: TimeoutType,
        /// The details of the last heartbeat before it fired (empty when none was recorded).
        last_heartbeat_details: Details,
        /// The full failure; for schedule-to-close and schedule-to-start timeouts its `cause`
        /// holds the last attempt's failure, when there was one.
        failure: Box<ActivityFailure>,
    },

    /// The activity was cancelled (after [`ActivityHandle::cancel`](crate::ActivityHandle::cancel)).
    #[error("activity was cancelled")]
    Cancelled {
        /// The details the activity reported, or the cancel reason when it was cancelled
        /// before any attempt ran.
        details: Details,
        /// The full failure.
        failure: Box<ActivityFailure>,
    },

    /// The activity was terminated (after [`ActivityHandle::terminate`](crate::ActivityHandle::terminate)).
    #[error("activity was terminated: {reason}")]
    Terminated {
        /// The reason given to `terminate` (or by the server, for example when deleting).
        reason: String,
        /// Who terminated it.
        identity: String,
    },

    /// A list or count query was refused by the server.
    #[error(
        "the server rejected the query `{query}`: {message}{}",
        query_hint(query)
    )]
    InvalidQuery {
        /// The query that was sent.
        query: String,
        /// The server's message.
        message: String,
    },

    /// The server refused the call.
    #[error("the server rejected the call: {0}")]
    Rejected(RpcError),

    /// The server could not be reached, or the call did not complete.
    #[error(
        "the call to the Temporal server did not complete: {0}; check that the server is running and reachable at the configured address"
    )]
    Transport(RpcError),

    /// A value could not be converted to or from a payload.
    #[error(transparent)]
    Data(#[from] DataError),

    /// The activity options are invalid; nothing was sent.
    #[error("invalid activity options: {0}")]
    InvalidOptions(String),

    /// The options ask for a start delay but the namespace cannot honour it.
    #[error(
        "namespace `{namespace}` does not support a start delay for standalone activities \
         (capability standalone_activity_start_delay is off); remove \
         ActivityOptions::start_delay or use a server that supports it (Temporal Server 1.32+)"
    )]
    StartDelayUnsupported {
        /// The namespace.
        namespace: String,
    },

    /// The client configuration (environment variables, `temporal.toml`) could not be loaded.
    #[error(transparent)]
    Config(Box<solo_connect::ConfigError>),

    /// The connection to the server could not be established.
    #[error(transparent)]
    Connect(Box<solo_connect::ConnectError>),
}

impl Error {
    /// Whether this error is the activity's own outcome (failed, timed out, cancelled or
    /// terminated) rather than a problem with the call.
    ///
    /// ```
    /// # fn check(err: solo_client::Error) {
    /// if err.is_activity_outcome() {
    ///     // the activity ran and ended badly: report it
    /// } else {
    ///     // the call failed: maybe retry it
    /// }
    /// # }
    /// ```
    pub fn is_activity_outcome(&self) -> bool {
        matches!(
            self,
            Error::Failed { .. }
                | Error::TimedOut { .. }
                | Error::Cancelled { .. }
                | Error::Terminated { .. }
        )
    }

    /// Whether the activity (or its namespace) was not found.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::NotFound { .. } | Error::NamespaceNotFound { .. }
        )
    }

    /// Whether the activity ended cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled { .. })
    }

    /// Whether the activity ended timed out.
    pub fn is_timed_out(&self) -> bool {
        matches!(self, Error::TimedOut { .. })
    }

    /// Whether the activity id was already in use.
    pub fn is_already_started(&self) -> bool {
        matches!(self, Error::AlreadyStarted { .. })
    }

    /// The activity's failure, for the outcome errors that carry one.
    pub fn failure(&self) -> Option<&ActivityFailure> {
        match self {
            Error::Failed { failure, .. }
            | Error::TimedOut { failure, .. }
            | Error::Cancelled { failure, .. } => Some(failure),
            _ => None,
        }
    }

    /// The gRPC error behind a refused or incomplete call.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            Error::Rejected(e) | Error::Transport(e) => Some(e),
            _ => None,
        }
    }

    /// Whether trying the same call again later may succeed (transport problems and
    /// server-side overload or unavailability).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(_) => true,
            Error::Rejected(e) => e.is_retryable(),
            _ => false,
        }
    }
}

fn run_suffix(run_id: Option<&str>) -> String {
    match run_id {
        Some(run) if !run.is_empty() => format!(" (run {run})"),
        _ => String::new(),
    }
}

fn retry_state_suffix(state: RetryState) -> &'static str {
    match state {
        RetryState::NonRetryableFailure => " (non-retryable failure)",
        RetryState::Timeout => " (the schedule-to-close timeout left no time to retry)",
        RetryState::MaximumAttemptsReached => " (maximum attempts reached)",
        RetryState::CancelRequested => " (cancellation was requested)",
        _ => "",
    }
}

fn query_hint(query: &str) -> &'static str {
    let mentions_status = query
        .match_indices("Status")
        .any(|(i, _)| !query[..i].ends_with("Execution"));
    if mentions_status {
        "; the status field is `ExecutionStatus` (for example `ExecutionStatus = 'Running'`), not `Status`"
    } else {
        ""
    }
}

/// The name the server and the other SDKs use for a timeout type (`StartToClose`, ...).
pub fn timeout_name(timeout_type: TimeoutType) -> &'static str {
    match timeout_type {
        TimeoutType::StartToClose => "StartToClose",
        TimeoutType::ScheduleToStart => "ScheduleToStart",
        TimeoutType::ScheduleToClose => "ScheduleToClose",
        TimeoutType::Heartbeat => "Heartbeat",
        TimeoutType::Unspecified => "unspecified",
    }
}

/// A gRPC error returned by the Temporal server: its code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    code: Code,
    message: String,
}

impl RpcError {
    /// An error with this code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// The gRPC status code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The server's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.code,
            Code::Unavailable
                | Code::ResourceExhausted
                | Code::Aborted
                | Code::DeadlineExceeded
                | Code::Cancelled
        )
    }

    fn from_status(status: &tonic::Status) -> Self {
        let mut message = status.message().to_owned();
        if let Some(source) = std::error::Error::source(status) {
            let source = source.to_string();
            if !message.contains(&source) {
                if !message.is_empty() {
                    message.push_str(": ");
                }
                message.push_str(&source);
            }
        }
        RpcError {
            code: status.code(),
            message,
        }
    }

    fn hint(&self) -> &'static str {
        match self.code {
            Code::Unimplemented if self.message.contains("tandalone activit") => {
                "; enable Standalone Activities on the server (dynamic config \
                 activity.enableStandalone=true on Temporal Server 1.31) or use a server \
                 that has them on (Temporal CLI 1.9.1 or newer)"
            }
            Code::Unauthenticated | Code::PermissionDenied => {
                "; check the API key or client certificate and the namespace it grants"
            }
            _ => "",
        }
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", code_name(self.code))?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        f.write_str(self.hint())
    }
}

impl std::error::Error for RpcError {}

/// What a failed RPC was about, so its status can become the most specific [`Error`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// A namespace-level call (describe namespace).
    Namespace { namespace: &'a str },
    /// A call about one activity.
    Activity {
        namespace: &'a str,
        activity_id: &'a str,
        run_id: Option<&'a str>,
    },
    /// A list or count query.
    Query { namespace: &'a str, query: &'a str },
}

impl Target<'_> {
    fn namespace(&self) -> &str {
        match self {
            Target::Namespace { namespace }
            | Target::Activity { namespace, .. }
            | Target::Query { namespace, .. } => namespace,
        }
    }
}

const ALREADY_STARTED_TYPE: &str =
    "temporal.api.errordetails.v1.ActivityExecutionAlreadyStartedFailure";
const NAMESPACE_NOT_FOUND_TYPE: &str = "temporal.api.errordetails.v1.NamespaceNotFoundFailure";

/// The typed detail messages of a status (`grpc-status-details-bin`), when they decode.
fn status_details(status: &tonic::Status) -> Vec<prost_types::Any> {
    if status.details().is_empty() {
        return Vec::new();
    }
    match RpcStatus::decode(status.details()) {
        Ok(s) => s.details,
        Err(e) => {
            tracing::debug!(error = %e, "undecodable grpc-status-details-bin");
            Vec::new()
        }
    }
}

fn find_detail<M: Message + Default>(details: &[prost_types::Any], type_name: &str) -> Option<M> {
    details
        .iter()
        .find(|any| {
            any.type_url
                .rsplit('/')
                .next()
                .is_some_and(|name| name == type_name)
        })
        .and_then(|any| M::decode(any.value.as_slice()).ok())
}

fn is_transport(status: &tonic::Status) -> bool {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => true,
        Code::Unknown => std::error::Error::source(status).is_some(),
        _ => false,
    }
}

/// Turns a gRPC status into the most specific [`Error`] for what the call was about.
pub(crate) fn from_status(status: tonic::Status, target: Target<'_>) -> Error {
    let details = status_details(&status);
    match (status.code(), target) {
        (Code::AlreadyExists, Target::Activity { activity_id, .. }) => {
            let existing: Option<ActivityExecutionAlreadyStartedFailure> =
                find_detail(&details, ALREADY_STARTED_TYPE);
            if let Some(existing) = existing {
                return Error::AlreadyStarted {
                    activity_id: activity_id.to_owned(),
                    run_id: Some(existing.run_id).filter(|r| !r.is_empty()),
                };
            }
        }
        (Code::NotFound, _) => {
            let missing_ns: Option<NamespaceNotFoundFailure> =
                find_detail(&details, NAMESPACE_NOT_FOUND_TYPE);
            if let Some(missing) = missing_ns {
                let namespace = if missing.namespace.is_empty() {
                    target.namespace().to_owned()
                } else {
                    missing.namespace
                };
                return Error::NamespaceNotFound { namespace };
            }
            match target {
                Target::Activity {
                    namespace,
                    activity_id,
                    run_id,
                } => {
                    return Error::NotFound {
                        namespace: namespace.to_owned(),
                        activity_id: activity_id.to_owned(),
                        run_id: run_id.map(str::to_owned),
                        message: status.message().to_owned(),
                    };
                }
                Target::Namespace { namespace } => {
                    return Error::NamespaceNotFound {
                        namespace: namespace.to_owned(),
                    };
                }
                Target::Query { .. } => {}
            }
        }
        (Code::InvalidArgument, Target::Query { query, .. }) => {
            return Error::InvalidQuery {
                query: query.to_owned(),
                message: status.message().to_owned(),
            };
        }
        _ => {}
    }
    let rpc = RpcError::from_status(&status);
    if is_transport(&status) {
        Error::Transport(rpc)
    } else {
        Error::Rejected(rpc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any<M: Message>(type_name: &str, m: &M) -> prost_types::Any {
        prost_types::Any {
            type_url: format!("type.googleapis.com/{type_name}"),
            value: m.encode_to_vec(),
        }
    }

    fn status_with(code: Code, message: &str, details: Vec<prost_types::Any>) -> tonic::Status {
        let rpc = RpcStatus {
            code: code as i32,
            message: message.into(),
            details,
        };
        tonic::Status::with_details(code, message, rpc.encode_to_vec().into())
    }

    const ACT: Target<'static> = Target::Activity {
        namespace: "default",
        activity_id: "a-1",
        run_id: None,
    };

    #[test]
    fn already_exists_carries_the_existing_run_id() {
        let detail = ActivityExecutionAlreadyStartedFailure {
            start_request_id: "req".into(),
            run_id: "run-9".into(),
        };
        let status = status_with(
            Code::AlreadyExists,
            "activity execution already started",
            vec![any(ALREADY_STARTED_TYPE, &detail)],
        );
        let err = from_status(status, ACT);
        match &err {
            Error::AlreadyStarted {
                activity_id,
                run_id,
            } => {
                assert_eq!(activity_id, "a-1");
                assert_eq!(run_id.as_deref(), Some("run-9"));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.is_already_started());
        let text = err.to_string();
        assert!(text.contains("a-1") && text.contains("run-9"), "{text}");
        assert!(text.contains("UseExisting"), "{text}");
    }

    #[test]
    fn already_exists_without_detail_is_a_rejection() {
        let err = from_status(tonic::Status::already_exists("exists"), ACT);
        assert!(matches!(&err, Error::Rejected(e) if e.code() == Code::AlreadyExists));
    }

    #[test]
    fn not_found_names_activity_or_namespace() {
        let err = from_status(
            tonic::Status::not_found("activity not found for ID: a-1"),
            ACT,
        );
        assert!(matches!(err, Error::NotFound { ref activity_id, .. } if activity_id == "a-1"));
        assert!(err.is_not_found());
        assert!(
            err.to_string().contains("activity not found for ID"),
            "{err}"
        );

        let detail = NamespaceNotFoundFailure {
            namespace: "nope".into(),
        };
        let status = status_with(
            Code::NotFound,
            "Namespace nope is not found.",
            vec![any(NAMESPACE_NOT_FOUND_TYPE, &detail)],
        );
        let err = from_status(status, ACT);
        assert!(matches!(err, Error::NamespaceNotFound { ref namespace } if namespace == "nope"));
    }

    #[test]
    fn invalid_queries_keep_the_server_message_and_hint_at_execution_status() {
        let target = Target::Query {
            namespace: "default",
            query: "Status = 'Running'",
        };
        let err = from_status(
            tonic::Status::invalid_argument("invalid query: unknown field Status"),
            target,
        );
        let text = err.to_string();
        assert!(matches!(err, Error::InvalidQuery { .. }));
        assert!(text.contains("unknown field Status"), "{text}");
        assert!(text.contains("ExecutionStatus"), "{text}");
        let ok = Target::Query {
            namespace: "default",
            query: "ExecutionStatus = 'Bogus'",
        };
        let text = from_status(tonic::Status::invalid_argument("bad value"), ok).to_string();
        assert!(!text.contains("not `Status`"), "{text}");
    }

    #[test]
    fn transport_and_rejections_are_told_apart_without_status_debug_text() {
        let err = from_status(tonic::Status::unavailable("connection refused"), ACT);
        assert!(matches!(err, Error::Transport(_)));
        assert!(err.is_retryable());
        let err = from_status(
            tonic::Status::unimplemented("Standalone activity is disabled"),
            ACT,
        );
        let text = err.to_string();
        assert!(matches!(err, Error::Rejected(ref e) if e.code() == Code::Unimplemented));
        assert!(text.contains("UNIMPLEMENTED"), "{text}");
        assert!(text.contains("activity.enableStandalone"), "{text}");
        assert!(!text.contains("Status {"), "{text}");
        assert!(!err.is_retryable());
        assert!(!err.is_activity_outcome());
    }

    #[test]
    fn garbage_details_are_ignored() {
        let status = tonic::Status::with_details(
            Code::AlreadyExists,
            "exists",
            bytes::Bytes::from_static(b"\xff\xff\xff"),
        );
        assert!(matches!(from_status(status, ACT), Error::Rejected(_)));
    }
}

//! The client's error type: what went wrong with a call or with the activity it was about.
//!
//! [`Error`] separates the activity's own outcome (it failed, timed out, was cancelled or
//! terminated; see [`Error::is_activity_outcome`]) from problems with the call itself (the
//! server refused it, the server could not be reached, a value did not convert, the options
//! were invalid). Server refusals carry an [`RpcError`] with the gRPC code and the server's
//! message; `tonic::Status` itself never appears in the public API.

use std::fmt;

use solo_connect::__private::code_name;
use solo_proto::temporal::api::enums::v1::{RetryState, TimeoutType};
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
        solo_connect::code_policy(self.code).transient
    }

    pub(crate) fn from_status(status: &tonic::Status) -> Self {
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

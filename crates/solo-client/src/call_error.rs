//! [`CallError`]: how a call that is neither a start nor a wait for an outcome can fail —
//! describe, watch, cancel, terminate, delete, list, count and connecting.

use crate::data_error::DataError;
use crate::rpc_error::RpcError;

/// A call failed: the server refused it, could not be reached, or what it was about does not
/// exist.
///
/// Returned by [`ActivityHandle::describe`](crate::ActivityHandle::describe),
/// [`watch`](crate::ActivityHandle::watch), [`cancel`](crate::ActivityHandle::cancel),
/// [`terminate`](crate::ActivityHandle::terminate), [`delete`](crate::ActivityHandle::delete),
/// [`Client::list_activities`](crate::Client::list_activities),
/// [`Client::count_activities`](crate::Client::count_activities) and the `connect`
/// functions; a part of [`StartError`](crate::StartError) and
/// [`OutcomeError`](crate::OutcomeError).
///
/// ```
/// # fn check(err: solo_client::CallError) {
/// if err.is_not_found() {
///     // nothing to cancel any more
/// } else if err.is_retryable() {
///     // the server was unreachable or busy: try again later
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
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

    /// A list or count query was refused: by the server, or before sending when no server
    /// could accept it (a NUL character).
    #[error("the query `{}` was refused: {message}{}", query.escape_debug(), query_hint(query))]
    InvalidQuery {
        /// The query.
        query: String,
        /// The server's message, or what is wrong with the query.
        message: String,
    },

    /// The server does not offer the operator commands on standalone activities (pause,
    /// unpause, reset, update options): it is older than 1.32, or they are turned off.
    #[error(
        "the server does not support `{operation}` on standalone activities ({message}); \
         operator commands need Temporal Server 1.32 or later with the dynamic config \
         history.enableStandaloneActivityOperatorCommands=true (for the dev server: \
         `temporal server start-dev --dynamic-config-value \
         history.enableStandaloneActivityOperatorCommands=true`)"
    )]
    OperatorCommandsUnsupported {
        /// The gRPC method, e.g. `PauseActivityExecution`.
        operation: &'static str,
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

    /// The client configuration (environment variables, `temporal.toml`) could not be loaded.
    #[error(transparent)]
    Config(Box<solo_connect::ConfigError>),

    /// The connection to the server could not be established.
    #[error(transparent)]
    Connect(Box<solo_connect::ConnectError>),
}

impl CallError {
    /// Whether the activity (or its namespace) was not found.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            CallError::NotFound { .. } | CallError::NamespaceNotFound { .. }
        )
    }

    /// The gRPC error behind a refused or incomplete call.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            CallError::Rejected(e) | CallError::Transport(e) => Some(e),
            _ => None,
        }
    }

    /// Whether trying the same call again later may succeed (transport problems and
    /// server-side overload or unavailability).
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Transport(_) => true,
            CallError::Rejected(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// ` (run <id>)` when a run id is known.
pub(crate) fn run_suffix(run_id: Option<&str>) -> String {
    match run_id {
        Some(run) if !run.is_empty() => format!(" (run {run})"),
        _ => String::new(),
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

//! [`StartError`]: how starting an activity can fail.

use crate::call_error::{CallError, run_suffix};
use crate::data_error::DataError;
use crate::rpc_error::RpcError;

/// Starting an activity failed; nothing is running because of this call.
///
/// Returned by [`Client::start_activity`](crate::Client::start_activity) and
/// [`Client::start_activity_by_name`](crate::Client::start_activity_by_name).
///
/// ```
/// # fn check(err: solo_client::StartError) {
/// if err.is_already_started() {
///     // an activity with this id is running: attach to it, or pick another id
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
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

    /// The input (or a header, summary or details) could not be converted to a payload.
    #[error(transparent)]
    Data(#[from] DataError),

    /// The start call failed: the namespace does not exist, the server refused the call or
    /// could not be reached.
    #[error(transparent)]
    Call(#[from] CallError),
}

impl StartError {
    /// Whether the activity id was already in use.
    pub fn is_already_started(&self) -> bool {
        matches!(self, StartError::AlreadyStarted { .. })
    }

    /// Whether the namespace was not found.
    pub fn is_not_found(&self) -> bool {
        matches!(self, StartError::Call(e) if e.is_not_found())
    }

    /// The gRPC error behind a refused or incomplete call.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            StartError::Call(e) => e.rpc(),
            _ => None,
        }
    }

    /// Whether trying the same start again later may succeed (transport problems and
    /// server-side overload or unavailability).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StartError::Call(e) if e.is_retryable())
    }
}

//! [`OutcomeError`]: an activity that did not produce its result, or a wait for it that
//! failed.

use solo_proto::temporal::api::enums::v1::{RetryState, TimeoutType};

use crate::activity_failure::ActivityFailure;
use crate::call_error::CallError;
use crate::data_error::DataError;
use crate::details::Details;
use crate::rpc_error::RpcError;
use crate::start_error::StartError;

/// Waiting for an activity's result failed: the activity's own outcome (it failed, timed
/// out, was cancelled or terminated; see [`is_activity_outcome`](Self::is_activity_outcome))
/// or a problem with the calls.
///
/// Returned by [`ActivityHandle::result`](crate::ActivityHandle::result) and
/// [`Client::execute_activity`](crate::Client::execute_activity) (and its `_by_name` form).
///
/// ```
/// # fn check(err: solo_client::OutcomeError) {
/// if err.is_activity_outcome() {
///     // the activity ran and ended badly: report it
/// } else {
///     // the call failed: maybe retry it
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutcomeError {
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

    /// The result could not be decoded as the requested type.
    #[error(transparent)]
    Data(#[from] DataError),

    /// The activity could not be started. Only
    /// [`Client::execute_activity`](crate::Client::execute_activity) and
    /// [`Client::execute_activity_by_name`](crate::Client::execute_activity_by_name), which
    /// start the activity first, return it; [`ActivityHandle::result`](crate::ActivityHandle::result)
    /// never does.
    #[error(transparent)]
    Start(#[from] StartError),

    /// Waiting failed: the activity does not exist, or the server refused the call or could
    /// not be reached.
    #[error(transparent)]
    Call(#[from] CallError),
}

impl OutcomeError {
    /// Whether this error is the activity's own outcome (failed, timed out, cancelled or
    /// terminated) rather than a problem with the call.
    pub fn is_activity_outcome(&self) -> bool {
        matches!(
            self,
            OutcomeError::Failed { .. }
                | OutcomeError::TimedOut { .. }
                | OutcomeError::Cancelled { .. }
                | OutcomeError::Terminated { .. }
        )
    }

    /// Whether the activity ended cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, OutcomeError::Cancelled { .. })
    }

    /// Whether the activity ended timed out.
    pub fn is_timed_out(&self) -> bool {
        matches!(self, OutcomeError::TimedOut { .. })
    }

    /// Whether the activity (or its namespace) was not found.
    pub fn is_not_found(&self) -> bool {
        match self {
            OutcomeError::Call(e) => e.is_not_found(),
            OutcomeError::Start(e) => e.is_not_found(),
            _ => false,
        }
    }

    /// Whether the activity id was already in use (only when starting it).
    pub fn is_already_started(&self) -> bool {
        matches!(self, OutcomeError::Start(e) if e.is_already_started())
    }

    /// The activity's failure, for the outcome errors that carry one.
    pub fn failure(&self) -> Option<&ActivityFailure> {
        match self {
            OutcomeError::Failed { failure, .. }
            | OutcomeError::TimedOut { failure, .. }
            | OutcomeError::Cancelled { failure, .. } => Some(failure),
            _ => None,
        }
    }

    /// The gRPC error behind a refused or incomplete call.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            OutcomeError::Call(e) => e.rpc(),
            OutcomeError::Start(e) => e.rpc(),
            _ => None,
        }
    }

    /// Whether trying the same call again later may succeed (transport problems and
    /// server-side overload or unavailability); never for the activity's own outcome.
    pub fn is_retryable(&self) -> bool {
        match self {
            OutcomeError::Call(e) => e.is_retryable(),
            OutcomeError::Start(e) => e.is_retryable(),
            _ => false,
        }
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

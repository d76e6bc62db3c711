//! [`AsyncCompletionError`]: how heartbeating, completing, failing or cancelling an activity
//! through an [`AsyncActivityHandle`](crate::AsyncActivityHandle) can fail.

use crate::call_error::CallError;
use crate::data_error::DataError;

/// A call of an [`AsyncActivityHandle`](crate::AsyncActivityHandle) failed; the activity is
/// as it was.
///
/// Returned by [`heartbeat`](crate::AsyncActivityHandle::heartbeat),
/// [`complete`](crate::AsyncActivityHandle::complete),
/// [`fail`](crate::AsyncActivityHandle::fail) and
/// [`report_cancellation`](crate::AsyncActivityHandle::report_cancellation).
///
/// ```
/// # fn check(err: solo_client::AsyncCompletionError) {
/// if err.is_not_running() {
///     // someone else completed it, or it timed out: nothing left to do
/// } else if err.is_retryable() {
///     // the server was unreachable or busy: try again later
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AsyncCompletionError {
    /// The server has no running attempt for this id or task token (`NOT_FOUND`, or
    /// `FAILED_PRECONDITION` "invalid transition from ..." when completing a closed activity
    /// by id).
    #[error(
        "{activity} is not running in namespace `{namespace}` ({message}); it has already \
         been completed, failed or cancelled, it timed out or was terminated, a newer attempt \
         replaced the one the task token belongs to, or the id or token is wrong"
    )]
    NotRunning {
        /// The activity, as the handle names it (its id and run id, or "the task token's
        /// attempt").
        activity: String,
        /// The namespace.
        namespace: String,
        /// The server's message.
        message: String,
    },

    /// The server could not read the task token.
    #[error(
        "the server refused the task token ({message}); pass the token exactly as the worker \
         received it (`ActivityInfo::task_token`), in the namespace the activity runs in"
    )]
    InvalidTaskToken {
        /// The server's message.
        message: String,
    },

    /// [`AsyncActivityHandle::report_cancellation`](crate::AsyncActivityHandle::report_cancellation)
    /// was refused because no cancel was requested for the activity.
    #[error(
        "the activity cannot be reported cancelled before a cancel is requested ({message}); \
         complete or fail it instead, or wait until a heartbeat's reply says cancel_requested"
    )]
    CancelNotRequested {
        /// The server's message.
        message: String,
    },

    /// [`AsyncActivityHandle::fail`](crate::AsyncActivityHandle::fail) was given
    /// [`ActivityError::complete_async`](crate::ActivityError::complete_async), which is not
    /// a failure. Nothing was sent.
    #[error(
        "ActivityError::complete_async() is not a failure; pass the error the activity failed \
         with (for example an ApplicationError) to fail()"
    )]
    NotAFailure,

    /// The result, the details or the failure's details could not be encoded (serialization
    /// or the codec failed). Nothing was sent.
    #[error(transparent)]
    Data(#[from] DataError),

    /// The call failed: the namespace does not exist, the server refused the call or could
    /// not be reached.
    #[error(transparent)]
    Call(#[from] CallError),
}

impl AsyncCompletionError {
    /// Whether the activity (or the token's attempt) is not running: there is nothing left to
    /// complete.
    pub fn is_not_running(&self) -> bool {
        matches!(self, AsyncCompletionError::NotRunning { .. })
    }

    /// Whether trying the same call again later may succeed (transport problems and
    /// server-side overload or unavailability).
    pub fn is_retryable(&self) -> bool {
        match self {
            AsyncCompletionError::Call(e) => e.is_retryable(),
            _ => false,
        }
    }
}

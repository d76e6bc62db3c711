//! [`SoloError`]: an error's kind, gRPC code, message and details, owned by the caller.

use std::ffi::{CString, c_char};

use prost::Message;
use solo_client::{CallError, StartError};
use solo_proto::temporal::api::failure::v1::Failure;
use solo_worker::raw::TaskError;

/// What went wrong, for dispatch in a binding (the message says it for people).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoloErrorKind {
    /// An argument was NULL, not UTF-8, not a valid protobuf encoding, or out of range.
    InvalidArgument = 1,
    /// The client configuration (environment variables, `temporal.toml`) could not be loaded.
    Config = 2,
    /// The server could not be reached, or refused the connection.
    Connect = 3,
    /// The activity, task or namespace does not exist (any more).
    NotFound = 4,
    /// An activity with this id is already running (or the id reuse policy forbids reuse).
    AlreadyStarted = 5,
    /// The activity closed badly: it failed, timed out, was cancelled or was terminated.
    /// `details` holds the `temporal.api.failure.v1.Failure` encoding.
    ActivityFailed = 6,
    /// The call was cancelled through its cancellation token, or ended because the runtime
    /// was shut down (the last handle was freed) while it was in flight.
    Cancelled = 7,
    /// The worker was shut down: polls end with this error.
    Shutdown = 8,
    /// The server refused the call or could not be reached after retries; `code` is the
    /// gRPC status code.
    Rpc = 9,
    /// solo panicked inside the call (a bug); the panic did not cross the boundary and the
    /// message says where it happened.
    Panic = 10,
}

pub(crate) use SoloErrorKind as ErrorKind;

/// An error, owned by the caller: free it once with [`solo_error_free`].
///
/// `message` is a NUL-terminated UTF-8 string, never NULL. `details` is NULL with
/// `details_len == 0` unless the kind says what it holds. Both live until the error is freed.
#[repr(C)]
#[derive(Debug)]
pub struct SoloError {
    /// The kind.
    pub kind: SoloErrorKind,
    /// The gRPC status code when the server or transport produced the error, else 0.
    pub code: i32,
    /// The message.
    pub message: *const c_char,
    /// Extra bytes for some kinds (the `Failure` of [`SoloErrorKind::ActivityFailed`]).
    pub details: *const u8,
    /// The number of bytes at `details`.
    pub details_len: usize,
}

/// An error on the Rust side, before it crosses the boundary.
#[derive(Debug, Clone)]
pub(crate) struct FfiError {
    pub(crate) kind: ErrorKind,
    pub(crate) code: i32,
    pub(crate) message: String,
    pub(crate) details: Vec<u8>,
}

impl FfiError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        FfiError {
            kind,
            code: 0,
            message: message.into(),
            details: Vec::new(),
        }
    }

    fn rpc(kind: ErrorKind, code: tonic::Code, message: String) -> Self {
        FfiError {
            kind,
            code: code as i32,
            message,
            details: Vec::new(),
        }
    }

    /// The activity's failure, with its encoding as details.
    pub(crate) fn activity_failed(failure: &Failure) -> Self {
        let message = if failure.message.is_empty() {
            "the activity failed".to_owned()
        } else {
            format!("the activity failed: {}", failure.message)
        };
        FfiError {
            kind: ErrorKind::ActivityFailed,
            code: 0,
            message,
            details: failure.encode_to_vec(),
        }
    }

    pub(crate) fn cancelled(message: impl Into<String>) -> Self {
        FfiError::new(ErrorKind::Cancelled, message)
    }

    /// Moves the error into a caller-owned [`SoloError`].
    pub(crate) fn into_raw(self) -> *mut SoloError {
        // Interior NULs cannot cross as a C string: replace them.
        let message = CString::new(self.message.replace('\0', "\u{FFFD}")).unwrap_or_default();
        let (details, details_len) = if self.details.is_empty() {
            (std::ptr::null(), 0)
        } else {
            let boxed = self.details.into_boxed_slice();
            let len = boxed.len();
            (Box::into_raw(boxed) as *const u8, len)
        };
        Box::into_raw(Box::new(SoloError {
            kind: self.kind,
            code: self.code,
            message: message.into_raw(),
            details,
            details_len,
        }))
    }
}

impl From<CallError> for FfiError {
    fn from(error: CallError) -> Self {
        let message = error.to_string();
        match &error {
            CallError::NotFound { .. } | CallError::NamespaceNotFound { .. } => {
                FfiError::rpc(ErrorKind::NotFound, tonic::Code::NotFound, message)
            }
            CallError::InvalidQuery { .. } => {
                FfiError::rpc(ErrorKind::Rpc, tonic::Code::InvalidArgument, message)
            }
            CallError::Rejected(e) | CallError::Transport(e) => {
                FfiError::rpc(ErrorKind::Rpc, e.code(), message)
            }
            CallError::Data(_) => FfiError::new(ErrorKind::InvalidArgument, message),
            CallError::Config(_) => FfiError::new(ErrorKind::Config, message),
            CallError::Connect(_) => FfiError::new(ErrorKind::Connect, message),
            _ => FfiError::rpc(ErrorKind::Rpc, tonic::Code::Unknown, message),
        }
    }
}

impl From<StartError> for FfiError {
    fn from(error: StartError) -> Self {
        match error {
            StartError::Call(e) => e.into(),
            e @ StartError::AlreadyStarted { .. } => FfiError::rpc(
                ErrorKind::AlreadyStarted,
                tonic::Code::AlreadyExists,
                e.to_string(),
            ),
            e @ (StartError::InvalidOptions(_) | StartError::Data(_)) => {
                FfiError::new(ErrorKind::InvalidArgument, e.to_string())
            }
            e => FfiError::rpc(ErrorKind::Rpc, tonic::Code::Unknown, e.to_string()),
        }
    }
}

impl From<TaskError> for FfiError {
    fn from(error: TaskError) -> Self {
        let kind = if error.code() == tonic::Code::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::Rpc
        };
        FfiError::rpc(kind, error.code(), error.to_string())
    }
}

impl From<solo_client::RpcError> for FfiError {
    fn from(error: solo_client::RpcError) -> Self {
        let kind = if error.code() == tonic::Code::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::Rpc
        };
        FfiError::rpc(kind, error.code(), error.to_string())
    }
}

/// Frees an error solo returned. NULL is ignored.
///
/// # Safety
/// `error` is NULL or a pointer solo returned that was not freed yet; afterwards neither it
/// nor its `message` and `details` may be used.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_error_free(error: *mut SoloError) {
    if error.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer made by `FfiError::into_raw` and not yet freed: the
    // box, the C string and the details slice were all made there.
    unsafe {
        let error = Box::from_raw(error);
        drop(CString::from_raw(error.message as *mut c_char));
        if !error.details.is_null() {
            let slice =
                std::ptr::slice_from_raw_parts_mut(error.details as *mut u8, error.details_len);
            drop(Box::from_raw(slice));
        }
    }
}

/// Writes `error` to `out` when `out` is not NULL (and drops it otherwise).
///
/// # Safety
/// `out` is NULL or points to writable storage for one pointer.
pub(crate) unsafe fn set_error_out(out: *mut *mut SoloError, error: FfiError) {
    if out.is_null() {
        tracing::debug!(message = %error.message, "an error was dropped: the caller passed no error_out");
        return;
    }
    // SAFETY: the caller guarantees `out` is writable.
    unsafe { *out = error.into_raw() };
}

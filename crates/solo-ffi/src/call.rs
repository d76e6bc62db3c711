//! The asynchronous calling convention: a callback and `user_data` per call, fired exactly
//! once on a runtime thread; a cancellation token per call.

use std::ffi::c_void;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tokio_util::sync::CancellationToken;

use crate::boundary::{error_boundary, panic_message, quiet_boundary};
use crate::buffer::SoloBuffer;
use crate::error::{ErrorKind, FfiError, SoloError};
use crate::runtime::RuntimeInner;

/// The completion callback of every call that waits.
///
/// Fired exactly once per accepted call (a call whose function returned NULL), on a solo
/// runtime thread — or, for calls ended by the runtime shutting down, on whichever thread
/// drops them. `value` is what the call produced (each function says: a [`SoloBuffer`], a
/// client, or NULL) and `error` is NULL on success; on failure `value` is NULL and `error` is
/// set. Both are owned by the callee: free them with `solo_buffer_free` / `solo_error_free`
/// (or the handle's free function). The callback must not block for long: it holds a runtime
/// thread. It may call any solo function, including freeing handles.
pub type SoloCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, value: *mut c_void, error: *mut SoloError)>;

/// A call's result on the Rust side.
pub(crate) enum Value {
    /// No value (NULL).
    Nothing,
    /// Bytes, handed over as a [`SoloBuffer`].
    Bytes(Vec<u8>),
    /// A handle, handed over as an opaque pointer.
    Handle(*mut c_void),
}

// SAFETY: a `Handle` value is a freshly boxed, owned handle (a `SoloClient`) whose contents
// are `Send`; it is only passed along to the callback.
unsafe impl Send for Value {}

/// The caller's `user_data`, carried to the runtime thread that fires the callback.
struct UserData(*mut c_void);

// SAFETY: solo never dereferences `user_data`; it hands it back to the caller's callback,
// which the caller promised may run on any thread (the documented contract).
unsafe impl Send for UserData {}

/// Fires the callback exactly once: with the result, or — when dropped unfired, because the
/// runtime shut down under the call — with a cancellation error.
pub(crate) struct Completion {
    callback: unsafe extern "C" fn(*mut c_void, *mut c_void, *mut SoloError),
    user_data: UserData,
    fired: bool,
}

impl Completion {
    fn fire(&mut self, result: Result<Value, FfiError>) {
        if self.fired {
            return;
        }
        self.fired = true;
        let (value, error) = match result {
            Ok(Value::Nothing) => (std::ptr::null_mut(), std::ptr::null_mut()),
            Ok(Value::Bytes(bytes)) => (SoloBuffer::into_raw(bytes).cast(), std::ptr::null_mut()),
            Ok(Value::Handle(handle)) => (handle, std::ptr::null_mut()),
            Err(e) => (std::ptr::null_mut(), e.into_raw()),
        };
        let callback = self.callback;
        let user_data = self.user_data.0;
        // SAFETY: the caller gave this callback for this call and promised it may be called
        // once with its `user_data` on any thread; `value` and `error` are fresh, owned
        // allocations handed over to it.
        quiet_boundary("callback", || unsafe { callback(user_data, value, error) });
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        self.fire(Err(FfiError::cancelled(
            "the call was cancelled: its runtime shut down (the last runtime, client or worker handle was freed) while it was in flight",
        )));
    }
}

/// A cancellation token: cancelling it ends every call it was passed to with
/// `SOLO_ERROR_KIND_CANCELLED` (unless the call already finished).
///
/// Thread-safe. Calls keep what they need of it, so it may be freed while they are in
/// flight (they can no longer be cancelled through it then).
#[derive(Debug)]
pub struct SoloCancel {
    token: CancellationToken,
}

/// A new, uncancelled token. Free it with [`solo_cancel_free`]. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn solo_cancel_new() -> *mut SoloCancel {
    Box::into_raw(Box::new(SoloCancel {
        token: CancellationToken::new(),
    }))
}

/// Cancels the token: the calls it was passed to end with `SOLO_ERROR_KIND_CANCELLED`, and
/// calls given it later end so at once. Idempotent. NULL is ignored.
///
/// # Safety
/// `cancel` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_cancel_cancel(cancel: *const SoloCancel) {
    if cancel.is_null() {
        return;
    }
    // SAFETY: non-NULL, and the caller guarantees a live token.
    let token = unsafe { &*cancel }.token.clone();
    quiet_boundary("solo_cancel_cancel", move || token.cancel());
}

/// Frees a token. Calls it was passed to go on (they can no longer be cancelled through it).
/// NULL is ignored.
///
/// # Safety
/// `cancel` is NULL or a token from [`solo_cancel_new`] not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_cancel_free(cancel: *mut SoloCancel) {
    if cancel.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer made by `solo_cancel_new` and not yet freed.
    drop(unsafe { Box::from_raw(cancel) });
}

/// One asynchronous call's arguments, as given.
pub(crate) struct CallArgs {
    pub(crate) cancel: *const SoloCancel,
    pub(crate) callback: SoloCallback,
    pub(crate) user_data: *mut c_void,
}

/// Starts a call: checks its arguments with `prepare` (on the caller's thread: a refusal is
/// returned and the callback is never fired), then runs the future it returns on `runtime`
/// and fires the callback once with its result, a cancellation, or a caught panic.
///
/// # Safety
/// `args.cancel` is NULL or a live token.
pub(crate) unsafe fn start_call<F>(
    runtime: &RuntimeInner,
    args: CallArgs,
    prepare: impl FnOnce() -> Result<F, FfiError>,
) -> *mut SoloError
where
    F: Future<Output = Result<Value, FfiError>> + Send + 'static,
{
    error_boundary(|| {
        let Some(callback) = args.callback else {
            return Err(FfiError::new(
                ErrorKind::InvalidArgument,
                "callback is NULL; pass a completion callback (or solo_waiter_callback)",
            ));
        };
        let token = if args.cancel.is_null() {
            None
        } else {
            // SAFETY: non-NULL, and the caller guarantees a live token.
            Some(unsafe { &*args.cancel }.token.clone())
        };
        let Some(handle) = runtime.handle() else {
            return Err(FfiError::new(
                ErrorKind::Cancelled,
                "the runtime has shut down",
            ));
        };
        let future = prepare()?;
        let mut completion = Completion {
            callback,
            user_data: UserData(args.user_data),
            fired: false,
        };
        handle.spawn(async move {
            let run = AssertUnwindSafe(future).catch_unwind();
            let result = match token {
                Some(token) => tokio::select! {
                    biased;
                    () = token.cancelled() => Err(FfiError::cancelled("the call was cancelled through its cancellation token")),
                    r = run => r.unwrap_or_else(|p| Err(FfiError::new(ErrorKind::Panic, panic_message(&*p)))),
                },
                None => run
                    .await
                    .unwrap_or_else(|p| Err(FfiError::new(ErrorKind::Panic, panic_message(&*p)))),
            };
            completion.fire(result);
        });
        Ok(())
    })
}

//! The panic boundary: no panic crosses into the caller's language.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{ErrorKind, FfiError, SoloError, set_error_out};

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned());
    format!("solo panicked (a bug; please report it): {text}")
}

/// Runs `f`, turning a panic into a [`ErrorKind::Panic`] error.
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T, FfiError>) -> Result<T, FfiError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(FfiError::new(ErrorKind::Panic, panic_message(&*payload))),
    }
}

/// For functions that return an error pointer: NULL on success, the error otherwise.
pub(crate) fn error_boundary(f: impl FnOnce() -> Result<(), FfiError>) -> *mut SoloError {
    match catch(f) {
        Ok(()) => std::ptr::null_mut(),
        Err(e) => e.into_raw(),
    }
}

/// For functions that return a value and report errors through `error_out`.
///
/// # Safety
/// `error_out` is NULL or points to writable storage for one pointer.
pub(crate) unsafe fn out_boundary<T>(
    error_out: *mut *mut SoloError,
    on_error: T,
    f: impl FnOnce() -> Result<T, FfiError>,
) -> T {
    if !error_out.is_null() {
        // SAFETY: the caller guarantees `error_out` is writable.
        unsafe { *error_out = std::ptr::null_mut() };
    }
    match catch(f) {
        Ok(value) => value,
        Err(e) => {
            // SAFETY: forwarded from the caller.
            unsafe { set_error_out(error_out, e) };
            on_error
        }
    }
}

/// For functions with nothing to report (the free functions): a panic is logged.
pub(crate) fn quiet_boundary(what: &str, f: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
        tracing::error!(function = what, message = %panic_message(&*payload), "caught a panic at the C boundary");
    }
}

/// Borrows a handle argument, refusing NULL.
///
/// # Safety
/// `ptr` is NULL or points to a live `T`.
pub(crate) unsafe fn ptr_ref<'a, T>(what: &str, ptr: *const T) -> Result<&'a T, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::new(
            ErrorKind::InvalidArgument,
            format!("{what} is NULL; pass a live handle"),
        ));
    }
    // SAFETY: non-NULL, and the caller guarantees it points to a live `T`.
    Ok(unsafe { &*ptr })
}

//! [`SoloWaiter`]: the blocking convenience for C programs that do not want callbacks.

use std::ffi::c_void;
use std::sync::{Condvar, Mutex};

use crate::boundary::error_boundary;
use crate::error::{ErrorKind, FfiError, SoloError};

/// A one-shot rendezvous for blocking callers: pass [`solo_waiter_callback`] as a call's
/// callback and the waiter as its `user_data`, then [`solo_waiter_wait`] blocks until the
/// call completes. Reusable for one call at a time.
///
/// ```c
/// SoloWaiter *w = solo_waiter_new();
/// SoloError *e = solo_client_count(client, "", NULL, solo_waiter_callback, w);
/// void *value = NULL;
/// if (!e) e = solo_waiter_wait(w, &value);
/// ```
///
/// Thread-safe. It must stay alive until the call's callback fired, that is until
/// `solo_waiter_wait` returned (it always returns once the call was accepted: calls end with
/// their result, an error, or a cancellation).
#[derive(Debug, Default)]
pub struct SoloWaiter {
    slot: Mutex<Option<(usize, usize)>>,
    done: Condvar,
}

/// A new waiter. Free it with [`solo_waiter_free`]. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn solo_waiter_new() -> *mut SoloWaiter {
    Box::into_raw(Box::default())
}

/// The callback to pass with a waiter as `user_data`.
///
/// # Safety
/// `user_data` is a live waiter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_waiter_callback(
    user_data: *mut c_void,
    value: *mut c_void,
    error: *mut SoloError,
) {
    if user_data.is_null() {
        return;
    }
    // SAFETY: the caller passed a live waiter as `user_data`.
    let waiter = unsafe { &*(user_data as *const SoloWaiter) };
    let mut slot = waiter.slot.lock().unwrap_or_else(|p| p.into_inner());
    *slot = Some((value as usize, error as usize));
    waiter.done.notify_all();
}

/// Blocks until the call the waiter was given to completes; then stores its `value` in
/// `*value_out` (when not NULL; the caller owns it) and returns its error (NULL on success;
/// the caller owns it). Refuses to block a solo runtime thread (from inside a callback),
/// where it would wait forever.
///
/// # Safety
/// `waiter` live; `value_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_waiter_wait(
    waiter: *const SoloWaiter,
    value_out: *mut *mut c_void,
) -> *mut SoloError {
    let mut outcome: *mut SoloError = std::ptr::null_mut();
    let refused = error_boundary(|| {
        if waiter.is_null() {
            return Err(FfiError::new(
                ErrorKind::InvalidArgument,
                "waiter is NULL; pass one from solo_waiter_new",
            ));
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(FfiError::new(
                ErrorKind::InvalidArgument,
                "solo_waiter_wait was called on a solo runtime thread (inside a callback), where it would wait forever; wait on your own thread",
            ));
        }
        // SAFETY: non-NULL, and the caller guarantees a live waiter.
        let waiter = unsafe { &*waiter };
        let mut slot = waiter.slot.lock().unwrap_or_else(|p| p.into_inner());
        let (value, error) = loop {
            if let Some(done) = slot.take() {
                break done;
            }
            slot = waiter.done.wait(slot).unwrap_or_else(|p| p.into_inner());
        };
        if !value_out.is_null() {
            // SAFETY: the caller guarantees `value_out` is writable.
            unsafe { *value_out = value as *mut c_void };
        }
        outcome = error as *mut SoloError;
        Ok(())
    });
    if refused.is_null() { outcome } else { refused }
}

/// Frees a waiter. NULL is ignored.
///
/// # Safety
/// `waiter` NULL or a waiter from [`solo_waiter_new`] with no call in flight.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_waiter_free(waiter: *mut SoloWaiter) {
    if waiter.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer made by `solo_waiter_new` and not yet freed.
    drop(unsafe { Box::from_raw(waiter) });
}

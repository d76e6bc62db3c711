//! [`SoloRuntime`]: the threads that run every call and fire every callback.

use std::sync::Arc;

use crate::boundary::{out_boundary, ptr_ref};
use crate::error::{ErrorKind, FfiError, SoloError};

/// A tokio runtime that shuts down when its last owner lets go.
#[derive(Debug)]
pub(crate) struct RuntimeInner {
    runtime: Option<tokio::runtime::Runtime>,
}

impl RuntimeInner {
    pub(crate) fn handle(&self) -> Option<&tokio::runtime::Handle> {
        self.runtime.as_ref().map(|r| r.handle())
    }
}

impl Drop for RuntimeInner {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Does not wait, so it is safe on any thread, including a runtime thread (a
            // callback that frees the last handle). Tasks still running are dropped, and each
            // dropped call fires its callback with SOLO_ERROR_KIND_CANCELLED.
            runtime.shutdown_background();
        }
    }
}

/// The runtime: worker threads that make every call and fire every callback.
///
/// Thread-safe: may be used from any thread. Clients made from it keep it alive; it shuts
/// down when it and every client and worker made from it are freed, cancelling the calls
/// still in flight (their callbacks fire with `SOLO_ERROR_KIND_CANCELLED`).
#[derive(Debug)]
pub struct SoloRuntime {
    pub(crate) inner: Arc<RuntimeInner>,
}

/// Starts a runtime with `worker_threads` threads (0: one per core, at most 4). Returns NULL
/// and sets `*error_out` (when not NULL) on failure. Free it with [`solo_runtime_free`].
///
/// # Safety
/// `error_out` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_runtime_new(
    worker_threads: u32,
    error_out: *mut *mut SoloError,
) -> *mut SoloRuntime {
    // SAFETY: `error_out` is forwarded as the caller gave it.
    unsafe {
        out_boundary(error_out, std::ptr::null_mut(), || {
            let threads = match worker_threads {
                0 => std::thread::available_parallelism()
                    .map(|n| n.get().min(4))
                    .unwrap_or(2),
                n => n as usize,
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("solo-ffi")
                .enable_all()
                .build()
                .map_err(|e| {
                    FfiError::new(
                        ErrorKind::InvalidArgument,
                        format!("the runtime could not start its threads: {e}"),
                    )
                })?;
            Ok(Box::into_raw(Box::new(SoloRuntime {
                inner: Arc::new(RuntimeInner {
                    runtime: Some(runtime),
                }),
            })))
        })
    }
}

/// Frees a runtime handle. Clients and workers made from it keep the threads running until
/// they are freed too. NULL is ignored. Safe to call from a callback.
///
/// # Safety
/// `runtime` is NULL or a runtime from [`solo_runtime_new`] not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_runtime_free(runtime: *mut SoloRuntime) {
    if runtime.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer made by `solo_runtime_new` and not yet freed.
    let runtime = unsafe { Box::from_raw(runtime) };
    crate::boundary::quiet_boundary("solo_runtime_free", move || drop(runtime));
}

/// Frees a runtime handle like [`solo_runtime_free`]; when it was the last owner (every
/// client and worker made from it is freed too), also shuts the runtime down and waits up to
/// `timeout_ms` for solo's threads to stop, so that no callback is running or will run once
/// it returns. Calls still in flight end with `SOLO_ERROR_KIND_CANCELLED` (their callbacks
/// fire during the wait). Returns true when it waited for the shutdown; false when other
/// handles still own the runtime or when called on a solo runtime thread (from a callback:
/// then the runtime shuts down without waiting, as with `solo_runtime_free`).
///
/// Bindings for languages with an interpreter lock call this before the interpreter exits
/// (Python kills foreign threads that take its lock during finalization).
///
/// # Safety
/// `runtime` is NULL or a runtime from [`solo_runtime_new`] not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_runtime_free_wait(
    runtime: *mut SoloRuntime,
    timeout_ms: u32,
) -> bool {
    if runtime.is_null() {
        return false;
    }
    // SAFETY: the caller passes a pointer made by `solo_runtime_new` and not yet freed.
    let runtime = unsafe { Box::from_raw(runtime) };
    let mut waited = false;
    crate::boundary::quiet_boundary("solo_runtime_free_wait", || {
        let on_runtime_thread = tokio::runtime::Handle::try_current().is_ok();
        let Ok(mut inner) = Arc::try_unwrap(runtime.inner) else {
            return;
        };
        if on_runtime_thread {
            return; // dropped here: shut down in the background
        }
        if let Some(runtime) = inner.runtime.take() {
            runtime.shutdown_timeout(std::time::Duration::from_millis(u64::from(timeout_ms)));
            waited = true;
        }
    });
    waited
}

/// Borrows a runtime handle argument.
///
/// # Safety
/// `runtime` is NULL or a live runtime handle.
pub(crate) unsafe fn runtime_arg<'a>(
    runtime: *const SoloRuntime,
) -> Result<&'a SoloRuntime, FfiError> {
    // SAFETY: forwarded from the caller.
    unsafe { ptr_ref("runtime", runtime) }
}

//! [`SoloWorker`]: the payload-level worker — poll an activity task, heartbeat, complete,
//! fail, report cancellation, shut down — over `solo_worker::raw`.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use bytes::Bytes;
use prost::Message;
use solo_proto::temporal::api::common::v1::Payloads;
use solo_proto::temporal::api::failure::v1::Failure;
use solo_proto::temporal::api::workflowservice::v1::RecordActivityTaskHeartbeatResponse;
use solo_worker::raw::{TaskCompleter, TaskPoller};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::boundary::{out_boundary, ptr_ref, quiet_boundary};
use crate::buffer::{bytes_arg, opt_str_arg, proto_arg, str_arg};
use crate::call::{CallArgs, SoloCallback, SoloCancel, Value, start_call};
use crate::client::{SoloClient, client_arg};
use crate::error::{ErrorKind, FfiError, SoloError};
use crate::runtime::RuntimeInner;

/// A payload-level worker on one task queue: the binding polls, runs the activity in its
/// own language, and reports. Thread-safe: polls and reports may run concurrently from any
/// threads (run as many polls at once as you want activities in flight).
///
/// Free it with [`solo_worker_free`] (after [`solo_worker_shutdown`] for a graceful stop);
/// freeing it does not end calls in flight: they go on and fire their callbacks.
#[derive(Debug)]
pub struct SoloWorker {
    runtime: Arc<RuntimeInner>,
    poller: TaskPoller,
    completer: TaskCompleter,
    shutdown: CancellationToken,
    polls: TaskTracker,
}

/// Makes a worker for `task_queue` (required) in the client's namespace. `identity` may be
/// NULL (the client's). Returns NULL and sets `*error_out` (when not NULL) on failure. Does
/// no I/O.
///
/// # Safety
/// `client` live; strings NULL or NUL-terminated; `error_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_worker_new(
    client: *const SoloClient,
    task_queue: *const c_char,
    identity: *const c_char,
    error_out: *mut *mut SoloError,
) -> *mut SoloWorker {
    // SAFETY: forwarded from the caller.
    unsafe {
        out_boundary(error_out, std::ptr::null_mut(), || {
            let client = client_arg(client)?;
            let task_queue = str_arg("task_queue", task_queue)?;
            let identity = opt_str_arg("identity", identity)?;
            let mut poller = TaskPoller::new(&client.client, task_queue);
            let mut completer = TaskCompleter::new(&client.client);
            if let Some(identity) = identity {
                poller = poller.identity(identity.clone());
                completer = completer.identity(identity);
            }
            Ok(Box::into_raw(Box::new(SoloWorker {
                runtime: client.runtime.clone(),
                poller,
                completer,
                shutdown: CancellationToken::new(),
                polls: TaskTracker::new(),
            })))
        })
    }
}

/// Frees a worker. Calls in flight go on and fire their callbacks; call
/// [`solo_worker_shutdown`] first to end the polls. NULL is ignored. Safe to call from a
/// callback.
///
/// # Safety
/// `worker` is NULL or a worker from [`solo_worker_new`] not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_worker_free(worker: *mut SoloWorker) {
    if worker.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer made by `solo_worker_new` and not yet freed.
    let worker = unsafe { Box::from_raw(worker) };
    quiet_boundary("solo_worker_free", move || drop(worker));
}

/// # Safety
/// `worker` NULL or live.
unsafe fn worker_arg<'a>(worker: *const SoloWorker) -> Result<&'a SoloWorker, FfiError> {
    // SAFETY: forwarded from the caller.
    unsafe { ptr_ref("worker", worker) }
}

fn shut_down() -> FfiError {
    FfiError::new(
        ErrorKind::Shutdown,
        "the worker is shut down; no more tasks will be polled",
    )
}

/// Long-polls the task queue once. The callback's `value` is a `SoloBuffer*` holding the
/// `temporal.api.workflowservice.v1.PollActivityTaskQueueResponse` encoding, or NULL (with
/// no error) when the poll expired without a task: poll again. After
/// [`solo_worker_shutdown`] polls end with `SOLO_ERROR_KIND_SHUTDOWN`.
///
/// # Safety
/// `worker` live; `cancel` NULL or live; `callback` callable on any thread with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_worker_poll(
    worker: *const SoloWorker,
    cancel: *const SoloCancel,
    callback: SoloCallback,
    user_data: *mut c_void,
) -> *mut SoloError {
    let args = CallArgs {
        cancel,
        callback,
        user_data,
    };
    // SAFETY: forwarded from the caller.
    let worker = match unsafe { worker_arg(worker) } {
        Ok(w) => w,
        Err(e) => return e.into_raw(),
    };
    let poller = worker.poller.clone();
    let shutdown = worker.shutdown.clone();
    // Tracked so that shutdown can wait for the polls it ended.
    let token = worker.polls.token();
    // SAFETY: forwarded from the caller.
    unsafe {
        start_call(&worker.runtime, args, move || {
            Ok(async move {
                let _token = token;
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => Err(shut_down()),
                    polled = poller.poll_response() => match polled? {
                        Some(response) => Ok(Value::Bytes(response.encode_to_vec())),
                        None => Ok(Value::Nothing),
                    },
                }
            })
        })
    }
}

/// Reads a task token.
///
/// # Safety
/// `token` NULL or `token_len` readable bytes.
unsafe fn token_arg(token: *const u8, token_len: usize) -> Result<Bytes, FfiError> {
    // SAFETY: forwarded from the caller.
    let token = unsafe { bytes_arg("task_token", token, token_len) }?;
    if token.is_empty() {
        return Err(FfiError::new(
            ErrorKind::InvalidArgument,
            "task_token is empty; pass the task_token of the polled task",
        ));
    }
    Ok(Bytes::from(token))
}

/// Completes a task. `result` is a `Payloads` encoding (NULL/0 or no payloads: no value).
/// The callback's `value` is NULL. `SOLO_ERROR_KIND_NOT_FOUND` means the attempt is over on
/// the server (timed out, cancelled, terminated).
///
/// # Safety
/// `worker` live; byte arguments NULL or readable for their lengths; `cancel` NULL or live;
/// `callback` callable on any thread with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_worker_complete(
    worker: *const SoloWorker,
    task_token: *const u8,
    task_token_len: usize,
    result: *const u8,
    result_len: usize,
    cancel: *const SoloCancel,
    callback: SoloCallback,
    user_data: *mut c_void,
) -> *mut SoloError {
    let args = CallArgs {
        cancel,
        callback,
        user_data,
    };
    // SAFETY: forwarded from the caller.
    let worker = match unsafe { worker_arg(worker) } {
        Ok(w) => w,
        Err(e) => return e.into_raw(),
    };
    let completer = worker.completer.clone();
    // SAFETY: forwarded from the caller.
    unsafe {
        start_call(&worker.runtime, args, move || {
            let token = token_arg(task_token, task_token_len)?;
            let result = proto_arg::<Payloads>("result", result, result_len)?;
            Ok(async move {
                completer.complete(token, result.payloads).await?;
                Ok(Value::Nothing)
            })
        })
    }
}

/// Fails a task. `failure` is a `temporal.api.failure.v1.Failure` encoding (required; a
/// failure that is not an application failure is sent as the cause of one);
/// `last_heartbeat_details` a `Payloads` encoding (NULL/0: none). The callback's `value` is
/// NULL.
///
/// # Safety
/// As [`solo_worker_complete`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_worker_fail(
    worker: *const SoloWorker,
    task_token: *const u8,
    task_token_len: usize,
    failure: *const u8,
    failure_len: usize,
    last_heartbeat_details: *const u8,
    last_heartbeat_details_len: usize,
    cancel: *const SoloCancel,
    callback: SoloCallback,
    user_data: *mut c_void,
) -> *mut SoloError {
    let args = CallArgs {
        cancel,
        callback,
        user_data,
    };
    // SAFETY: forwarded from the caller.
    let worker = match unsafe { worker_arg(worker) } {
        Ok(w) => w,
        Err(e) => return e.into_raw(),
    };
    let completer = worker.completer.clone();
    // SAFETY: forwarded from the caller.
    unsafe {
        start_call(&worker.runtime, args, move || {
            let token = token_arg(task_token, task_token_len)?;
            if failure.is_null() || failure_len == 0 {
                return Err(FfiError::new(
                    ErrorKind::InvalidArgument,
                    "failure is empty; pass a temporal.api.failure.v1.Failure encoding with at least a message",
                ));
            }
            let failure = proto_arg::<Failure>("failure", failure, failure_len)?;
            let details = proto_arg::<Payloads>(
                "last_heartbeat_details",
                last_heartbeat_details,
                last_heartbeat_details_len,
            )?;
            Ok(async move {
                completer.fail(token, failure, details.payloads).await?;
                Ok(Value::Nothing)
            })
        })
    }
}

/// Reports a task as cancelled, after a heartbeat answered `cancel_requested`. `details` is
/// a `Payloads` encoding (NULL/0: none). The callback's `value` is NULL.
///
/// # Safety
/// As [`solo_worker_complete`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_worker_report_cancellation(
    worker: *const SoloWorker,
    task_token: *const u8,
    task_token_len: usize,
    details: *const u8,
    details_len: usize,
    cancel: *const SoloCancel,
    callback: SoloCallback,
    user_data: *mut c_void,
) -> *mut SoloError {
    let args = CallArgs {
        cancel,
        callback,
        user_data,
    };
    // SAFETY: forwarded from the caller.
    let worker = match unsafe { worker_arg(worker) } {
        Ok(w) => w,
        Err(e) => return e.into_raw(),
    };
    let completer = worker.completer.clone();
    // SAFETY: forwarded from the caller.
    unsafe {
        start_call(&worker.runtime, args, move || {
            let token = token_arg(task_token, task_token_len)?;
            let details = proto_arg::<Payloads>("details", details, details_len)?;
            Ok(async move {
                completer.cancel(token, details.payloads).await?;
                Ok(Value::Nothing)
            })
        })
    }
}

/// Records a heartbeat with `details` (a `Payloads` encoding; NULL/0: none). Not throttled.
/// The callback's `value` is a `SoloBuffer*` holding the
/// `temporal.api.workflowservice.v1.RecordActivityTaskHeartbeatResponse` encoding (whose
/// `cancel_requested` says to stop and report cancellation).
///
/// # Safety
/// As [`solo_worker_complete`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_worker_heartbeat(
    worker: *const SoloWorker,
    task_token: *const u8,
    task_token_len: usize,
    details: *const u8,
    details_len: usize,
    cancel: *const SoloCancel,
    callback: SoloCallback,
    user_data: *mut c_void,
) -> *mut SoloError {
    let args = CallArgs {
        cancel,
        callback,
        user_data,
    };
    // SAFETY: forwarded from the caller.
    let worker = match unsafe { worker_arg(worker) } {
        Ok(w) => w,
        Err(e) => return e.into_raw(),
    };
    let completer = worker.completer.clone();
    // SAFETY: forwarded from the caller.
    unsafe {
        start_call(&worker.runtime, args, move || {
            let token = token_arg(task_token, task_token_len)?;
            let details = proto_arg::<Payloads>("details", details, details_len)?;
            Ok(async move {
                let answer = completer.heartbeat(token, details.payloads).await?;
                let response = RecordActivityTaskHeartbeatResponse {
                    cancel_requested: answer.cancel_requested,
                    activity_paused: answer.activity_paused,
                    activity_reset: answer.activity_reset,
                };
                Ok(Value::Bytes(response.encode_to_vec()))
            })
        })
    }
}

/// Shuts the worker down: polls in flight end with `SOLO_ERROR_KIND_SHUTDOWN` (a task the
/// server had already handed to one is retried after its start-to-close timeout), later
/// polls too; reports (complete, fail, heartbeat) still work, so finish the tasks you hold.
/// The callback (`value` NULL) fires once every poll has ended. Idempotent.
///
/// # Safety
/// `worker` live; `callback` callable on any thread with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_worker_shutdown(
    worker: *const SoloWorker,
    callback: SoloCallback,
    user_data: *mut c_void,
) -> *mut SoloError {
    let args = CallArgs {
        cancel: std::ptr::null(),
        callback,
        user_data,
    };
    // SAFETY: forwarded from the caller.
    let worker = match unsafe { worker_arg(worker) } {
        Ok(w) => w,
        Err(e) => return e.into_raw(),
    };
    let shutdown = worker.shutdown.clone();
    let polls = worker.polls.clone();
    // SAFETY: no cancellation token; the callback is forwarded from the caller.
    unsafe {
        start_call(&worker.runtime, args, move || {
            Ok(async move {
                shutdown.cancel();
                polls.close();
                polls.wait().await;
                Ok(Value::Nothing)
            })
        })
    }
}

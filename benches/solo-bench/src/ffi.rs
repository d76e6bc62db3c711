//! The C ABI modes: solo's echo worker and a round-trip loop driven through `solo-ffi`'s
//! `extern "C"` functions — callbacks, buffers and protobuf encodings, exactly the calls a C
//! program makes (crates/solo-ffi/tests/c/greeting.c) — to compare with the native worker.
//!
//! - `--mode ffi-worker`: the echo worker: `--pollers` chains of polls, each poll fired from
//!   the previous one's callback on solo-ffi's runtime threads, which also completes the task
//!   it got (the input payloads returned as the result, as a C echo would) — so `--pollers`
//!   polls stay outstanding while tasks complete, as in the native worker.
//! - `--mode ffi-roundtrips`: `--n` start/complete round trips through the ABI in one
//!   process (a client executing, a worker serving), sampling the resident size: a leak check.

#![allow(unsafe_code)]

use std::ffi::{CString, c_void};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use serde_json::{Value, json};
use solo_ffi::*;
use tokio::sync::oneshot;

use crate::args::Args;
use crate::harness::{self, Common};
use crate::measure;
use crate::raw::{activity_id, run_prefix};

/// Takes an error's message and frees it.
fn error_text(error: *mut SoloError) -> (SoloErrorKind, String) {
    // SAFETY: a live error solo handed over; freed after the copy.
    unsafe {
        let e = &*error;
        let text = std::ffi::CStr::from_ptr(e.message)
            .to_string_lossy()
            .into_owned();
        let kind = e.kind;
        solo_error_free(error);
        (kind, text)
    }
}

unsafe extern "C" fn deliver(user_data: *mut c_void, value: *mut c_void, error: *mut SoloError) {
    // SAFETY: `user_data` is the boxed sender `call` made; the callback fires exactly once.
    let tx = unsafe { Box::from_raw(user_data.cast::<oneshot::Sender<(usize, usize)>>()) };
    let _ = tx.send((value as usize, error as usize));
}

/// Runs one ABI call to completion: `start(callback, user_data)`.
async fn call(
    start: impl FnOnce(SoloCallback, *mut c_void) -> *mut SoloError,
) -> Result<*mut c_void> {
    let (tx, rx) = oneshot::channel::<(usize, usize)>();
    let user_data = Box::into_raw(Box::new(tx)).cast::<c_void>();
    let refused = start(Some(deliver), user_data);
    if !refused.is_null() {
        // SAFETY: refused calls never fire their callback: the box is still ours.
        drop(unsafe { Box::from_raw(user_data.cast::<oneshot::Sender<(usize, usize)>>()) });
        bail!("refused: {}", error_text(refused).1);
    }
    let (value, error) = rx.await?;
    if error != 0 {
        bail!("{}", error_text(error as *mut SoloError).1);
    }
    Ok(value as *mut c_void)
}

/// A runtime and a connected client.
struct Handles {
    runtime: *mut SoloRuntime,
    client: *mut SoloClient,
}

async fn connect(common: &Common) -> Result<Handles> {
    let mut error = null_mut();
    // SAFETY: `error` is writable.
    let runtime = unsafe { solo_runtime_new(0, &mut error) };
    if runtime.is_null() {
        bail!("solo_runtime_new: {}", error_text(error).1);
    }
    let address = CString::new(common.address.as_str())?;
    let namespace = CString::new(common.namespace.as_str())?;
    let options = SoloClientOptions {
        address: address.as_ptr(),
        namespace_: namespace.as_ptr(),
        api_key: null(),
        identity: null(),
        load_config: false,
        profile: null(),
        tls: 0,
        tls_server_ca_pem: null(),
        tls_server_name: null(),
    };
    // SAFETY: a live runtime; the options are copied before the call returns.
    let client =
        call(|cb, ud| unsafe { solo_client_connect(runtime, &options, null(), cb, ud) }).await?;
    Ok(Handles {
        runtime,
        client: client.cast(),
    })
}

/// The worker's poll chains (each task completed beside the next poll), run from callbacks.
struct Driver {
    worker: *mut SoloWorker,
    completed: AtomicUsize,
    /// Completions sent whose callback has not run yet.
    reporting: AtomicUsize,
    ended: AtomicUsize,
    errors: AtomicUsize,
}

// SAFETY: the worker handle is thread-safe (solo-ffi's documented rule); the counters are
// atomics.
unsafe impl Sync for Driver {}

impl Driver {
    fn poll(&'static self) {
        let ud = std::ptr::from_ref(self).cast_mut().cast::<c_void>();
        // SAFETY: a live worker; the driver lives for the process.
        let refused = unsafe { solo_worker_poll(self.worker, null(), Some(on_polled), ud) };
        if !refused.is_null() {
            error_text(refused);
            self.ended.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Counts an error; past a hundred, the chain ends rather than spin.
    fn failed(&'static self, error: *mut SoloError) -> bool {
        let (kind, text) = error_text(error);
        if matches!(kind, SoloErrorKind::Shutdown | SoloErrorKind::Cancelled)
            || self.errors.fetch_add(1, Ordering::SeqCst) >= 100
        {
            self.ended.fetch_add(1, Ordering::SeqCst);
            return true;
        }
        tracing::warn!(%text, "ffi worker call failed");
        false
    }

    /// Counts and logs a failed completion (its chain goes on polling).
    fn report_failed(&'static self, error: *mut SoloError) {
        let (_, text) = error_text(error);
        self.errors.fetch_add(1, Ordering::SeqCst);
        tracing::warn!(%text, "ffi worker completion failed");
    }
}

unsafe extern "C" fn on_polled(ud: *mut c_void, value: *mut c_void, error: *mut SoloError) {
    // SAFETY: `ud` is the leaked driver.
    let driver: &'static Driver = unsafe { &*ud.cast::<Driver>() };
    if !error.is_null() {
        if !driver.failed(error) {
            driver.poll();
        }
        return;
    }
    if value.is_null() {
        driver.poll();
        return;
    }
    // Polls again at once, while this task runs, as the native worker's pollers do (they
    // do not wait for the activity): the chain is poll → poll, each task completed beside it.
    driver.poll();
    let task = value.cast::<SoloBuffer>();
    // SAFETY: `task` is a live buffer handed to this callback; the fields are read from it,
    // the completion copies its arguments before returning, and everything is freed once.
    unsafe {
        let (data, len) = ((*task).data, (*task).len);
        let mut error = null_mut();
        let token = solo_task_field(data, len, SoloTaskField::TaskToken, &mut error);
        let input = solo_task_field(data, len, SoloTaskField::Input, &mut error);
        if token.is_null() || input.is_null() {
            solo_buffer_free(token);
            solo_buffer_free(input);
            solo_buffer_free(task);
            driver.report_failed(error);
            return;
        }
        driver.reporting.fetch_add(1, Ordering::SeqCst);
        let refused = solo_worker_complete(
            driver.worker,
            (*token).data,
            (*token).len,
            (*input).data,
            (*input).len,
            null(),
            Some(on_completed),
            ud,
        );
        solo_buffer_free(token);
        solo_buffer_free(input);
        solo_buffer_free(task);
        if !refused.is_null() {
            driver.reporting.fetch_sub(1, Ordering::SeqCst);
            driver.report_failed(refused);
        }
    }
}

unsafe extern "C" fn on_completed(ud: *mut c_void, _value: *mut c_void, error: *mut SoloError) {
    // SAFETY: `ud` is the leaked driver.
    let driver: &'static Driver = unsafe { &*ud.cast::<Driver>() };
    if error.is_null() {
        driver.completed.fetch_add(1, Ordering::Relaxed);
    } else {
        driver.report_failed(error);
    }
    driver.reporting.fetch_sub(1, Ordering::SeqCst);
}

/// Makes a worker and starts `pollers` chains on it.
fn start_worker(client: *mut SoloClient, queue: &str, pollers: usize) -> Result<&'static Driver> {
    let queue = CString::new(queue)?;
    let mut error = null_mut();
    // SAFETY: a live client; the strings are copied.
    let worker = unsafe { solo_worker_new(client, queue.as_ptr(), null(), &mut error) };
    if worker.is_null() {
        bail!("solo_worker_new: {}", error_text(error).1);
    }
    let driver: &'static Driver = Box::leak(Box::new(Driver {
        worker,
        completed: AtomicUsize::new(0),
        reporting: AtomicUsize::new(0),
        ended: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
    }));
    for _ in 0..pollers.max(1) {
        driver.poll();
    }
    Ok(driver)
}

/// Shuts the worker down and waits (bounded) until every chain has ended.
async fn stop_worker(driver: &'static Driver, pollers: usize) -> Result<()> {
    // SAFETY: a live worker.
    call(|cb, ud| unsafe { solo_worker_shutdown(driver.worker, cb, ud) }).await?;
    let started = Instant::now();
    // The chains end with their last poll; a task's completion runs beside it, so wait for
    // those too before the counts are read.
    while driver.ended.load(Ordering::SeqCst) < pollers.max(1)
        || driver.reporting.load(Ordering::SeqCst) > 0
    {
        if started.elapsed() > Duration::from_secs(10) {
            bail!("the worker's poll chains and completions did not end within 10 s of shutdown");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

fn free(handles: Handles, driver: Option<&'static Driver>) {
    // SAFETY: handles made here, each freed once; the driver's worker is not used after.
    unsafe {
        if let Some(driver) = driver {
            solo_worker_free(driver.worker);
        }
        solo_client_free(handles.client);
        solo_runtime_free(handles.runtime);
    }
}

/// `--mode ffi-worker`: the echo worker through the C ABI, until SIGINT/SIGTERM.
pub(crate) async fn echo_worker(mut args: Args) -> Result<Value> {
    let common = Common::parse(&mut args)?;
    let queue = args
        .value("--task-queue")?
        .unwrap_or_else(|| "solo-bench".to_owned());
    let pollers = args.parse_opt::<usize>("--pollers")?.unwrap_or(5);
    args.finish()?;
    let handles = connect(&common).await?;
    let driver = start_worker(handles.client, &queue, pollers)?;
    harness::mark_on_signal(|| driver.completed.load(Ordering::Relaxed));
    harness::announce_ready("ffi-worker");
    harness::stop_signal().await;
    stop_worker(driver, pollers).await?;
    let line = harness::worker_report(
        "echo-worker",
        "ffi",
        driver.completed.load(Ordering::Relaxed),
    );
    free(handles, Some(driver));
    harness::emit(&line);
    Ok(line)
}

/// `--mode ffi-roundtrips`: `--n` executions served by a worker in the same process, both
/// through the ABI; reports the resident size every tenth of the way.
pub(crate) async fn roundtrips(mut args: Args) -> Result<Value> {
    let common = Common::parse(&mut args)?;
    let n = args.parse_or("--n", 10_000usize)?;
    args.finish()?;
    let handles = connect(&common).await?;
    let queue = run_prefix("ffi-roundtrips");
    let driver = start_worker(handles.client, &queue, 1)?;
    let prefix = run_prefix("ffi-rt");
    let arg = CString::new("\"ping\"")?;
    let values = [arg.as_ptr()];
    let mut error = null_mut();
    // SAFETY: one NUL-terminated string; `error` writable.
    let input = unsafe { solo_payloads_from_json(values.as_ptr(), 1, &mut error) };
    if input.is_null() {
        bail!("solo_payloads_from_json: {}", error_text(error).1);
    }
    let activity_type = CString::new("echo")?;
    let task_queue = CString::new(queue.as_str())?;
    let mut samples = Vec::new();
    let every = (n / 10).max(1);
    let started = Instant::now();
    for i in 0..n {
        let id = CString::new(activity_id(&prefix, i))?;
        let options = SoloStartOptions {
            activity_id: id.as_ptr(),
            activity_type: activity_type.as_ptr(),
            task_queue: task_queue.as_ptr(),
            start_to_close_timeout_ms: 60_000,
            schedule_to_close_timeout_ms: 0,
            schedule_to_start_timeout_ms: 0,
            heartbeat_timeout_ms: 0,
            maximum_attempts: 0,
        };
        // SAFETY: a live client; options and input are copied before the call returns.
        let result = call(|cb, ud| unsafe {
            solo_client_execute(
                handles.client,
                &options,
                (*input).data,
                (*input).len,
                null(),
                cb,
                ud,
            )
        })
        .await
        .map_err(|e| anyhow!("round trip {i}: {e}"))?;
        // SAFETY: the result buffer handed over by the call.
        unsafe { solo_buffer_free(result.cast()) };
        if (i + 1) % every == 0 {
            samples.push(measure::self_memory().rss_mb);
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    // SAFETY: made above, freed once.
    unsafe { solo_buffer_free(input) };
    stop_worker(driver, 1).await?;
    let completed = driver.completed.load(Ordering::Relaxed);
    free(handles, Some(driver));
    let first = samples.first().copied().unwrap_or_default();
    let last = samples.last().copied().unwrap_or_default();
    let line = json!({
        "scenario": "ffi-leak",
        "sdk": "ffi",
        "n": n,
        "completed": completed,
        "wall_s": measure::round(wall_s, 3),
        "rss_mb_samples": samples.iter().map(|v| measure::round(*v, 1)).collect::<Vec<_>>(),
        "rss_growth_mb": measure::round(last - first, 2),
    });
    harness::emit(&line);
    Ok(line)
}

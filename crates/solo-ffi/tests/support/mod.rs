//! Calling the C ABI from Rust tests: connect, run calls, read what the callbacks hand over.

#![allow(
    dead_code,
    unsafe_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used
)]

use std::ffi::{CStr, CString, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use solo_ffi::*;

pub const LIMIT: Duration = Duration::from_secs(30);

/// An error as the tests see it (copied out of a SoloError, which is then freed).
#[derive(Debug, Clone)]
pub struct Err {
    pub kind: SoloErrorKind,
    pub code: i32,
    pub message: String,
    pub details: Vec<u8>,
}

/// Copies and frees an error.
pub fn take_error(error: *mut SoloError) -> Err {
    assert!(!error.is_null());
    // SAFETY: a live error solo handed over; freed right after the copy.
    unsafe {
        let e = &*error;
        let out = Err {
            kind: e.kind,
            code: e.code,
            message: CStr::from_ptr(e.message).to_string_lossy().into_owned(),
            details: if e.details.is_null() {
                Vec::new()
            } else {
                std::slice::from_raw_parts(e.details, e.details_len).to_vec()
            },
        };
        solo_error_free(error);
        out
    }
}

/// Copies and frees a buffer.
pub fn take_buffer(value: *mut c_void) -> Vec<u8> {
    assert!(!value.is_null(), "expected a buffer, got NULL");
    // SAFETY: a live buffer solo handed over; freed right after the copy.
    unsafe {
        let b = &*(value as *const SoloBuffer);
        let bytes = std::slice::from_raw_parts(b.data, b.len).to_vec();
        solo_buffer_free(value.cast());
        bytes
    }
}

/// Where one call's callback reports: how often it fired, and what it handed over.
pub struct Slot {
    pub fired: AtomicUsize,
    tx: Mutex<Sender<(usize, usize)>>,
}

/// One call's completion, to wait for.
pub struct Pending {
    pub slot: Arc<Slot>,
    rx: Receiver<(usize, usize)>,
}

unsafe extern "C" fn record(user_data: *mut c_void, value: *mut c_void, error: *mut SoloError) {
    // SAFETY: user_data is an `Arc<Slot>` leaked by `pending()` (kept for the test's life).
    let slot = unsafe { &*(user_data as *const Slot) };
    slot.fired.fetch_add(1, Ordering::SeqCst);
    let _ = slot
        .tx
        .lock()
        .unwrap()
        .send((value as usize, error as usize));
}

/// A callback and user_data for one call.
pub fn pending() -> (Pending, SoloCallback, *mut c_void) {
    let (tx, rx) = channel();
    let slot = Arc::new(Slot {
        fired: AtomicUsize::new(0),
        tx: Mutex::new(tx),
    });
    // Leaked on purpose: a callback that fired twice must still find it.
    let user_data = Arc::into_raw(slot.clone()) as *mut c_void;
    (Pending { slot, rx }, Some(record), user_data)
}

impl Pending {
    /// Waits for the callback; Ok(value) or the error.
    pub fn wait(&self) -> Result<*mut c_void, Err> {
        let (value, error) = self
            .rx
            .recv_timeout(LIMIT)
            .expect("the callback fired within the limit");
        if error != 0 {
            assert_eq!(value, 0, "a value came with an error");
            Result::Err(take_error(error as *mut SoloError))
        } else {
            Ok(value as *mut c_void)
        }
    }

    /// Checks the callback fired exactly once (after a grace period for a second firing).
    pub fn assert_fired_once(&self) {
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(self.slot.fired.load(Ordering::SeqCst), 1);
        assert!(self.rx.try_recv().is_err(), "the callback fired twice");
    }
}

/// Runs one call: `start(callback, user_data)` returns NULL when accepted.
pub fn call(
    start: impl FnOnce(SoloCallback, *mut c_void) -> *mut SoloError,
) -> Result<*mut c_void, Err> {
    let (p, cb, ud) = pending();
    let refused = start(cb, ud);
    if !refused.is_null() {
        return Result::Err(take_error(refused));
    }
    let out = p.wait();
    p.assert_fired_once();
    out
}

pub fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

pub struct Handles {
    pub runtime: *mut SoloRuntime,
    pub client: *mut SoloClient,
}

/// A runtime and a client connected to `address`.
pub fn connect(address: &str) -> Handles {
    let mut error = std::ptr::null_mut();
    // SAFETY: error_out is writable.
    let runtime = unsafe { solo_runtime_new(2, &mut error) };
    assert!(!runtime.is_null());
    let address = cstr(address);
    let namespace = cstr("default");
    let options = SoloClientOptions {
        address: address.as_ptr(),
        namespace_: namespace.as_ptr(),
        api_key: std::ptr::null(),
        identity: std::ptr::null(),
        load_config: false,
        profile: std::ptr::null(),
        tls: 0,
        tls_server_ca_pem: std::ptr::null(),
        tls_server_name: std::ptr::null(),
    };
    let client =
        call(|cb, ud| unsafe { solo_client_connect(runtime, &options, std::ptr::null(), cb, ud) })
            .expect("connect");
    Handles {
        runtime,
        client: client.cast(),
    }
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

//! [`SoloBuffer`]: bytes that solo hands to the caller, and the borrowed input slices the
//! caller hands to solo.

use std::ffi::{CStr, c_char};

use crate::error::{ErrorKind, FfiError};

/// Bytes owned by the caller once solo hands them over: a protobuf message (`Payloads`, a
/// poll response, a describe response...) or UTF-8 text (a run id), as each function says.
///
/// Free it exactly once with [`solo_buffer_free`]; `data` is valid until then and is not
/// NUL-terminated. `data` is never NULL (an empty buffer has `len == 0` and a dangling,
/// non-NULL `data` that must not be read).
#[repr(C)]
#[derive(Debug)]
pub struct SoloBuffer {
    /// The first byte.
    pub data: *const u8,
    /// The number of bytes.
    pub len: usize,
}

impl SoloBuffer {
    /// Moves `bytes` into a new heap buffer that the caller owns.
    pub(crate) fn into_raw(bytes: Vec<u8>) -> *mut SoloBuffer {
        let boxed: Box<[u8]> = bytes.into_boxed_slice();
        let len = boxed.len();
        let data = Box::into_raw(boxed) as *const u8;
        Box::into_raw(Box::new(SoloBuffer { data, len }))
    }
}

/// Frees a buffer solo returned. NULL is ignored.
///
/// # Safety
/// `buffer` is NULL or a pointer solo returned (through a callback, a waiter or an out
/// parameter) that was not freed yet. After this call neither it nor its `data` may be used.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_buffer_free(buffer: *mut SoloBuffer) {
    if buffer.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer made by `SoloBuffer::into_raw` and not yet freed, so
    // the box and the slice it points to are live allocations made by `Box`.
    unsafe {
        let buffer = Box::from_raw(buffer);
        let slice = std::ptr::slice_from_raw_parts_mut(buffer.data as *mut u8, buffer.len);
        drop(Box::from_raw(slice));
    }
}

/// Copies `len` bytes at `data` (NULL with `len == 0` is empty).
///
/// # Safety
/// `data` is NULL or points to `len` readable bytes.
pub(crate) unsafe fn bytes_arg(
    what: &str,
    data: *const u8,
    len: usize,
) -> Result<Vec<u8>, FfiError> {
    if data.is_null() {
        if len == 0 {
            return Ok(Vec::new());
        }
        return Err(FfiError::new(
            ErrorKind::InvalidArgument,
            format!("{what} is NULL but its length is {len}; pass a buffer or a length of 0"),
        ));
    }
    // SAFETY: the caller guarantees `len` readable bytes at `data`.
    Ok(unsafe { std::slice::from_raw_parts(data, len) }.to_vec())
}

/// Copies a NUL-terminated UTF-8 string; `None` when `ptr` is NULL.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string.
pub(crate) unsafe fn opt_str_arg(
    what: &str,
    ptr: *const c_char,
) -> Result<Option<String>, FfiError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller guarantees a NUL-terminated string at `ptr`.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map(|s| Some(s.to_owned())).map_err(|_| {
        FfiError::new(
            ErrorKind::InvalidArgument,
            format!("{what} is not valid UTF-8; pass UTF-8 text"),
        )
    })
}

/// Copies a required NUL-terminated UTF-8 string.
///
/// # Safety
/// As [`opt_str_arg`].
pub(crate) unsafe fn str_arg(what: &str, ptr: *const c_char) -> Result<String, FfiError> {
    // SAFETY: forwarded from the caller.
    match unsafe { opt_str_arg(what, ptr) }? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(FfiError::new(
            ErrorKind::InvalidArgument,
            format!("{what} is missing; pass a non-empty NUL-terminated UTF-8 string"),
        )),
    }
}

/// Decodes a protobuf message from borrowed bytes.
///
/// # Safety
/// As [`bytes_arg`].
pub(crate) unsafe fn proto_arg<M: prost::Message + Default>(
    what: &str,
    data: *const u8,
    len: usize,
) -> Result<M, FfiError> {
    if data.is_null() && len == 0 {
        return Ok(M::default());
    }
    if data.is_null() {
        return Err(FfiError::new(
            ErrorKind::InvalidArgument,
            format!("{what} is NULL but its length is {len}; pass a buffer or a length of 0"),
        ));
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes at `data`; decoding
    // copies what it keeps.
    let bytes = unsafe { std::slice::from_raw_parts(data, len) };
    M::decode(bytes).map_err(|e| {
        FfiError::new(
            ErrorKind::InvalidArgument,
            format!(
                "{what} is not a valid {} protobuf encoding ({e}); encode it with the Temporal protos",
                std::any::type_name::<M>().rsplit("::").next().unwrap_or("message")
            ),
        )
    })
}

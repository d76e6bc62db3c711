//! Helpers for C programs without Temporal protos: JSON payloads in and out, and the fields
//! of a polled task. Bindings with their own protos and data converter do not need these.

use std::ffi::c_char;

use bytes::Bytes;
use prost::Message;
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use solo_proto::temporal::api::workflowservice::v1::PollActivityTaskQueueResponse;

use crate::boundary::out_boundary;
use crate::buffer::{SoloBuffer, proto_arg, str_arg};
use crate::error::{ErrorKind, FfiError, SoloError};

/// The `encoding` metadata of JSON payloads, as every Temporal SDK writes it.
const JSON_ENCODING: &[u8] = b"json/plain";

/// Encodes `count` JSON texts (each NUL-terminated UTF-8, checked to be JSON) as a
/// `Payloads` encoding with one `json/plain` payload each: the input of an activity or the
/// result of a task. Returns NULL and sets `*error_out` (when not NULL) on failure.
///
/// # Safety
/// `values` points to `count` NUL-terminated strings (NULL when `count` is 0); `error_out`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_payloads_from_json(
    values: *const *const c_char,
    count: usize,
    error_out: *mut *mut SoloError,
) -> *mut SoloBuffer {
    // SAFETY: forwarded from the caller.
    unsafe {
        out_boundary(error_out, std::ptr::null_mut(), || {
            if values.is_null() && count > 0 {
                return Err(FfiError::new(
                    ErrorKind::InvalidArgument,
                    format!("values is NULL but count is {count}; pass an array or a count of 0"),
                ));
            }
            let mut payloads = Vec::with_capacity(count);
            for i in 0..count {
                let what = format!("values[{i}]");
                let text = str_arg(&what, *values.add(i))?;
                serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                    FfiError::new(
                        ErrorKind::InvalidArgument,
                        format!("{what} is not JSON ({e}); pass JSON text, e.g. \"\\\"World\\\"\""),
                    )
                })?;
                payloads.push(Payload {
                    metadata: [("encoding".to_owned(), Bytes::from_static(JSON_ENCODING))]
                        .into_iter()
                        .collect(),
                    data: Bytes::from(text.into_bytes()),
                    external_payloads: Vec::new(),
                });
            }
            Ok(SoloBuffer::into_raw(Payloads { payloads }.encode_to_vec()))
        })
    }
}

/// The JSON text (not NUL-terminated) of payload `index` of a `Payloads` encoding. Fails
/// when there is no such payload or its encoding is not `json/plain`.
///
/// # Safety
/// `payloads` NULL or `payloads_len` readable bytes; `error_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_payloads_json_at(
    payloads: *const u8,
    payloads_len: usize,
    index: usize,
    error_out: *mut *mut SoloError,
) -> *mut SoloBuffer {
    // SAFETY: forwarded from the caller.
    unsafe {
        out_boundary(error_out, std::ptr::null_mut(), || {
            let payloads = proto_arg::<Payloads>("payloads", payloads, payloads_len)?;
            let count = payloads.payloads.len();
            let payload = payloads.payloads.into_iter().nth(index).ok_or_else(|| {
                FfiError::new(
                    ErrorKind::InvalidArgument,
                    format!("there is no payload {index}: the payloads hold {count}"),
                )
            })?;
            let encoding = payload.metadata.get("encoding").map(|e| e.as_ref());
            if encoding != Some(JSON_ENCODING) {
                return Err(FfiError::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "payload {index} is not json/plain (its encoding is {}); decode it with a data converter",
                        encoding
                            .map(String::from_utf8_lossy)
                            .unwrap_or("missing".into())
                    ),
                ));
            }
            Ok(SoloBuffer::into_raw(payload.data.to_vec()))
        })
    }
}

/// A field of a polled task, for [`solo_task_field`].
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoloTaskField {
    /// The task token (bytes) that every report names.
    TaskToken = 1,
    /// The input, as a `Payloads` encoding.
    Input = 2,
    /// The activity type name (UTF-8).
    ActivityType = 3,
    /// The activity id (UTF-8).
    ActivityId = 4,
    /// The previous attempt's heartbeat details, as a `Payloads` encoding.
    HeartbeatDetails = 5,
}

/// One field of a `PollActivityTaskQueueResponse` encoding (the `value` of a
/// `solo_worker_poll` callback).
///
/// # Safety
/// `response` NULL or `response_len` readable bytes; `error_out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_task_field(
    response: *const u8,
    response_len: usize,
    field: SoloTaskField,
    error_out: *mut *mut SoloError,
) -> *mut SoloBuffer {
    // SAFETY: forwarded from the caller.
    unsafe {
        out_boundary(error_out, std::ptr::null_mut(), || {
            let task =
                proto_arg::<PollActivityTaskQueueResponse>("response", response, response_len)?;
            let bytes = match field {
                SoloTaskField::TaskToken => task.task_token.to_vec(),
                SoloTaskField::Input => task.input.unwrap_or_default().encode_to_vec(),
                SoloTaskField::ActivityType => task
                    .activity_type
                    .map(|t| t.name.into_bytes())
                    .unwrap_or_default(),
                SoloTaskField::ActivityId => task.activity_id.into_bytes(),
                SoloTaskField::HeartbeatDetails => {
                    task.heartbeat_details.unwrap_or_default().encode_to_vec()
                }
            };
            Ok(SoloBuffer::into_raw(bytes))
        })
    }
}

//! Helpers for C programs without Temporal protos: JSON payloads in and out, and the fields
//! of a polled task. Bindings with their own protos and data converter do not need these.

use std::ffi::c_char;

use bytes::Bytes;
use prost::Message;
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
#[cfg(test)]
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
/// `solo_worker_poll` callback). Reads the field's bytes where they lie, without decoding the
/// rest of the message: a worker's hot path calls this twice per task.
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
            let bytes = borrowed_arg("response", response, response_len)?;
            let invalid = |e: String| {
                FfiError::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "response is not a valid PollActivityTaskQueueResponse encoding ({e}); pass the value of a solo_worker_poll callback"
                    ),
                )
            };
            let value = match field {
                SoloTaskField::TaskToken => last_field(bytes, TASK_TOKEN).map_err(invalid)?,
                SoloTaskField::Input => merged_field(bytes, INPUT).map_err(invalid)?,
                SoloTaskField::ActivityId => last_field(bytes, ACTIVITY_ID).map_err(invalid)?,
                SoloTaskField::HeartbeatDetails => {
                    merged_field(bytes, HEARTBEAT_DETAILS).map_err(invalid)?
                }
                SoloTaskField::ActivityType => {
                    let activity_type = merged_field(bytes, ACTIVITY_TYPE).map_err(invalid)?;
                    last_field(&activity_type, ACTIVITY_TYPE_NAME).map_err(invalid)?
                }
            };
            Ok(SoloBuffer::into_raw(value))
        })
    }
}

// Field numbers of temporal.api.workflowservice.v1.PollActivityTaskQueueResponse (and of
// ActivityType.name), as in proto/.
const TASK_TOKEN: u32 = 1;
const ACTIVITY_TYPE: u32 = 5;
const ACTIVITY_ID: u32 = 6;
const INPUT: u32 = 8;
const HEARTBEAT_DETAILS: u32 = 9;
const ACTIVITY_TYPE_NAME: u32 = 1;

/// Borrows `len` bytes at `data` (NULL with 0 is empty).
///
/// # Safety
/// `data` NULL or `len` readable bytes that outlive the borrow.
unsafe fn borrowed_arg<'a>(what: &str, data: *const u8, len: usize) -> Result<&'a [u8], FfiError> {
    if data.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(FfiError::new(
            ErrorKind::InvalidArgument,
            format!("{what} is NULL but its length is {len}; pass a buffer or a length of 0"),
        ));
    }
    // SAFETY: the caller guarantees `len` readable bytes at `data`.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// The length-delimited occurrences of field `number` in a message's encoding.
fn occurrences(mut buf: &[u8], number: u32) -> Result<Vec<&[u8]>, String> {
    let mut found = Vec::new();
    while !buf.is_empty() {
        let key = prost::encoding::decode_varint(&mut buf).map_err(|e| e.to_string())?;
        let wire = key & 7;
        let tag = u32::try_from(key >> 3).map_err(|_| "a field number out of range".to_owned())?;
        match wire {
            0 => {
                prost::encoding::decode_varint(&mut buf).map_err(|e| e.to_string())?;
            }
            1 | 5 => {
                let size = if wire == 1 { 8 } else { 4 };
                buf = buf.get(size..).ok_or("a truncated fixed-size field")?;
            }
            2 => {
                let len = prost::encoding::decode_varint(&mut buf).map_err(|e| e.to_string())?;
                let len = usize::try_from(len).map_err(|_| "a length out of range".to_owned())?;
                let value = buf.get(..len).ok_or("a truncated length-delimited field")?;
                if tag == number {
                    found.push(value);
                }
                buf = &buf[len..];
            }
            other => return Err(format!("an unsupported wire type {other}")),
        }
    }
    Ok(found)
}

/// A bytes or string field: its last occurrence wins, as protobuf decoding has it.
fn last_field(buf: &[u8], number: u32) -> Result<Vec<u8>, String> {
    Ok(occurrences(buf, number)?
        .last()
        .map(|v| v.to_vec())
        .unwrap_or_default())
}

/// A message field: its occurrences concatenated, which decodes as their merge.
fn merged_field(buf: &[u8], number: u32) -> Result<Vec<u8>, String> {
    Ok(occurrences(buf, number)?.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use solo_proto::temporal::api::common::v1::ActivityType;

    #[test]
    fn fields_read_in_place_match_a_full_decode() {
        let payload = |data: &str| Payload {
            metadata: [("encoding".to_owned(), Bytes::from_static(JSON_ENCODING))].into(),
            data: Bytes::from(data.to_owned()),
            external_payloads: Vec::new(),
        };
        let response = PollActivityTaskQueueResponse {
            task_token: Bytes::from_static(b"token"),
            activity_id: "id-1".into(),
            activity_type: Some(ActivityType {
                name: "compose_greeting".into(),
            }),
            input: Some(Payloads {
                payloads: vec![payload("1"), payload("\"two\"")],
            }),
            attempt: 3,
            ..Default::default()
        };
        let bytes = response.encode_to_vec();
        assert_eq!(last_field(&bytes, TASK_TOKEN).unwrap(), b"token");
        assert_eq!(last_field(&bytes, ACTIVITY_ID).unwrap(), b"id-1");
        let input = Payloads::decode(merged_field(&bytes, INPUT).unwrap().as_slice()).unwrap();
        assert_eq!(Some(input), response.input);
        let activity_type = merged_field(&bytes, ACTIVITY_TYPE).unwrap();
        assert_eq!(
            last_field(&activity_type, ACTIVITY_TYPE_NAME).unwrap(),
            b"compose_greeting"
        );
        assert!(merged_field(&bytes, HEARTBEAT_DETAILS).unwrap().is_empty());
        assert!(occurrences(&bytes[..bytes.len() - 1], INPUT).is_err());
    }
}

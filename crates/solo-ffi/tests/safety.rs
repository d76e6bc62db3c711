//! The safety rules of the C ABI, checked through it against a dev server: callbacks fire
//! exactly once (also when handles are freed under calls in flight), cancellation tokens end
//! calls, bad arguments are refused without a callback, no panic crosses the boundary, and
//! errors carry a kind, a code, a message and (for activity failures) the `Failure`.

#![allow(unsafe_code, clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::ffi::c_void;
use std::ptr::null;

use prost::Message;
use solo_ffi::*;
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use solo_proto::temporal::api::failure::v1::{ApplicationFailureInfo, Failure, failure};
use solo_proto::temporal::api::workflowservice::v1::{
    CountActivityExecutionsResponse, DescribeActivityExecutionResponse,
    ListActivityExecutionsResponse, PollActivityTaskQueueResponse,
    RecordActivityTaskHeartbeatResponse,
};
use solo_testing::DevServer;
use support::*;

fn json_payloads(values: &[&str]) -> Vec<u8> {
    Payloads {
        payloads: values
            .iter()
            .map(|v| Payload {
                metadata: [("encoding".to_owned(), "json/plain".into())].into(),
                data: v.as_bytes().to_vec().into(),
                external_payloads: Vec::new(),
            })
            .collect(),
    }
    .encode_to_vec()
}

struct Start {
    id: std::ffi::CString,
    activity_type: std::ffi::CString,
    task_queue: std::ffi::CString,
}

impl Start {
    fn new(id: &str, task_queue: &str) -> Self {
        Start {
            id: cstr(id),
            activity_type: cstr("compose_greeting"),
            task_queue: cstr(task_queue),
        }
    }

    fn options(&self) -> SoloStartOptions {
        SoloStartOptions {
            activity_id: self.id.as_ptr(),
            activity_type: self.activity_type.as_ptr(),
            task_queue: self.task_queue.as_ptr(),
            start_to_close_timeout_ms: 10_000,
            schedule_to_close_timeout_ms: 0,
            schedule_to_start_timeout_ms: 0,
            heartbeat_timeout_ms: 0,
            maximum_attempts: 1,
        }
    }
}

fn new_worker(client: *mut SoloClient, task_queue: &str) -> *mut SoloWorker {
    let tq = cstr(task_queue);
    let mut error = std::ptr::null_mut();
    // SAFETY: live client, NUL-terminated strings, writable error_out.
    let worker = unsafe { solo_worker_new(client, tq.as_ptr(), null(), &mut error) };
    assert!(!worker.is_null(), "{:?}", take_error(error));
    worker
}

/// Polls until a task arrives.
fn poll_task(worker: *mut SoloWorker) -> PollActivityTaskQueueResponse {
    loop {
        // SAFETY: live worker.
        let value =
            call(|cb, ud| unsafe { solo_worker_poll(worker, null(), cb, ud) }).expect("poll");
        if !value.is_null() {
            return PollActivityTaskQueueResponse::decode(take_buffer(value).as_slice())
                .expect("a poll response");
        }
    }
}

#[test]
fn a_failed_activity_reports_its_failure_and_the_client_calls_answer_in_protobuf() {
    let server = DevServer::shared().expect("dev server");
    let h = connect(&server.address());
    let tq = unique("ffi-fail");
    let worker = new_worker(h.client, &tq);
    let id = unique("fail");
    let start = Start::new(&id, &tq);
    let options = start.options();
    let input = json_payloads(&[r#"{"greeting":"Hello","name":"World"}"#]);

    // Execute in the background; serve the task with a failure.
    let (execution, cb, ud) = pending();
    // SAFETY: live client; options and input outlive the call (copied before it returns).
    let refused = unsafe {
        solo_client_execute(
            h.client,
            &options,
            input.as_ptr(),
            input.len(),
            null(),
            cb,
            ud,
        )
    };
    assert!(refused.is_null());
    let task = poll_task(worker);
    assert_eq!(task.activity_id, id);
    assert_eq!(
        Payloads::decode(task.input.unwrap().encode_to_vec().as_slice())
            .unwrap()
            .payloads
            .len(),
        1
    );
    let failure = Failure {
        message: "no greetings today".into(),
        failure_info: Some(failure::FailureInfo::ApplicationFailureInfo(
            ApplicationFailureInfo {
                r#type: "Closed".into(),
                non_retryable: true,
                ..Default::default()
            },
        )),
        ..Default::default()
    }
    .encode_to_vec();
    let token = task.task_token.to_vec();
    // SAFETY: live worker; the byte arguments are valid for their lengths.
    call(|cb, ud| unsafe {
        solo_worker_fail(
            worker,
            token.as_ptr(),
            token.len(),
            failure.as_ptr(),
            failure.len(),
            null(),
            0,
            null(),
            cb,
            ud,
        )
    })
    .expect("fail");
    let error = execution.wait().expect_err("the activity failed");
    execution.assert_fired_once();
    assert_eq!(error.kind, SoloErrorKind::ActivityFailed);
    assert!(
        error.message.contains("no greetings today"),
        "{}",
        error.message
    );
    let reported = Failure::decode(error.details.as_slice()).expect("the Failure encoding");
    assert_eq!(reported.message, "no greetings today");
    match reported.failure_info {
        Some(failure::FailureInfo::ApplicationFailureInfo(info)) => {
            assert_eq!(info.r#type, "Closed")
        }
        other => panic!("not an application failure: {other:?}"),
    }

    // A second report of the same attempt: NOT_FOUND, with its gRPC code.
    let result = json_payloads(&[r#""late""#]);
    let late = call(|cb, ud| unsafe {
        solo_worker_complete(
            worker,
            token.as_ptr(),
            token.len(),
            result.as_ptr(),
            result.len(),
            null(),
            cb,
            ud,
        )
    })
    .expect_err("the attempt is over");
    assert_eq!(late.kind, SoloErrorKind::NotFound, "{late:?}");
    assert_eq!(late.code, tonic_code_not_found());

    // describe, list, count: protobuf responses.
    let cid = cstr(&id);
    let described = call(|cb, ud| unsafe {
        solo_client_describe(h.client, cid.as_ptr(), null(), null(), cb, ud)
    })
    .map(take_buffer)
    .expect("describe");
    let described = DescribeActivityExecutionResponse::decode(described.as_slice()).unwrap();
    let info = described.info.expect("info");
    assert_eq!(info.activity_id, id);
    assert_eq!(info.status, 3, "FAILED");
    let query = cstr(&format!("ActivityId = '{id}'"));
    let counted =
        call(|cb, ud| unsafe { solo_client_count(h.client, query.as_ptr(), null(), cb, ud) })
            .map(take_buffer)
            .expect("count");
    let counted = CountActivityExecutionsResponse::decode(counted.as_slice()).unwrap();
    assert!(counted.count <= 1);
    let listed = call(|cb, ud| unsafe {
        solo_client_list(h.client, query.as_ptr(), 10, null(), 0, null(), cb, ud)
    })
    .map(take_buffer)
    .expect("list");
    let listed = ListActivityExecutionsResponse::decode(listed.as_slice()).unwrap();
    assert!(listed.executions.iter().all(|e| e.activity_id == id));

    // SAFETY: handles from this test, freed once.
    unsafe {
        solo_worker_free(worker);
        solo_client_free(h.client);
        solo_runtime_free(h.runtime);
    }
}

fn tonic_code_not_found() -> i32 {
    5
}

#[test]
fn cancellation_reaches_the_worker_through_a_heartbeat_and_is_reported() {
    let server = DevServer::shared().expect("dev server");
    let h = connect(&server.address());
    let tq = unique("ffi-cancel");
    let worker = new_worker(h.client, &tq);
    let id = unique("cancel");
    let start = Start::new(&id, &tq);
    let input = json_payloads(&[r#"{"greeting":"Hello","name":"World"}"#]);
    let run_id = call(|cb, ud| unsafe {
        solo_client_start(
            h.client,
            &start.options(),
            input.as_ptr(),
            input.len(),
            null(),
            cb,
            ud,
        )
    })
    .map(take_buffer)
    .expect("start");
    assert!(!run_id.is_empty(), "a run id");
    let task = poll_task(worker);
    let token = task.task_token.to_vec();
    let cid = cstr(&id);
    let reason = cstr("changed my mind");
    let value = call(|cb, ud| unsafe {
        solo_client_cancel(
            h.client,
            cid.as_ptr(),
            null(),
            reason.as_ptr(),
            null(),
            cb,
            ud,
        )
    })
    .expect("cancel");
    assert!(value.is_null());
    let details = json_payloads(&["42"]);
    let beat = call(|cb, ud| unsafe {
        solo_worker_heartbeat(
            worker,
            token.as_ptr(),
            token.len(),
            details.as_ptr(),
            details.len(),
            null(),
            cb,
            ud,
        )
    })
    .map(take_buffer)
    .expect("heartbeat");
    let beat = RecordActivityTaskHeartbeatResponse::decode(beat.as_slice()).unwrap();
    assert!(
        beat.cancel_requested,
        "the heartbeat says cancel was requested"
    );
    call(|cb, ud| unsafe {
        solo_worker_report_cancellation(
            worker,
            token.as_ptr(),
            token.len(),
            null(),
            0,
            null(),
            cb,
            ud,
        )
    })
    .expect("report cancellation");
    let error = call(|cb, ud| unsafe {
        solo_client_result(h.client, cid.as_ptr(), null(), null(), cb, ud)
    })
    .expect_err("cancelled");
    assert_eq!(error.kind, SoloErrorKind::ActivityFailed);
    let reported = Failure::decode(error.details.as_slice()).unwrap();
    assert!(
        matches!(
            reported.failure_info,
            Some(failure::FailureInfo::CanceledFailureInfo(_))
        ),
        "{reported:?}"
    );

    // terminate on a closed activity: refused with a kind and a message.
    let refused = call(|cb, ud| unsafe {
        solo_client_terminate(h.client, cid.as_ptr(), null(), null(), null(), cb, ud)
    })
    .expect_err("already closed");
    assert_eq!(refused.kind, SoloErrorKind::Rpc, "{refused:?}");
    assert!(!refused.message.is_empty());

    unsafe {
        solo_worker_free(worker);
        solo_client_free(h.client);
        solo_runtime_free(h.runtime);
    }
}

#[test]
fn a_cancellation_token_ends_a_call_once_and_shutdown_ends_polls() {
    let server = DevServer::shared().expect("dev server");
    let h = connect(&server.address());
    let worker = new_worker(h.client, &unique("ffi-token"));
    let cancel = solo_cancel_new();
    let (poll, cb, ud) = pending();
    // SAFETY: live worker and token.
    assert!(unsafe { solo_worker_poll(worker, cancel, cb, ud) }.is_null());
    // The token may be freed while the call holds it; cancel first.
    unsafe {
        solo_cancel_cancel(cancel);
        solo_cancel_free(cancel);
    }
    let error = poll.wait().expect_err("cancelled");
    assert_eq!(error.kind, SoloErrorKind::Cancelled, "{error:?}");
    assert!(
        error.message.contains("cancellation token"),
        "{}",
        error.message
    );
    poll.assert_fired_once();

    // Shutdown ends a poll in flight with SHUTDOWN, then later polls at once.
    let (poll, cb, ud) = pending();
    assert!(unsafe { solo_worker_poll(worker, null(), cb, ud) }.is_null());
    call(|cb, ud| unsafe { solo_worker_shutdown(worker, cb, ud) }).expect("shutdown");
    assert_eq!(
        poll.wait().expect_err("shut down").kind,
        SoloErrorKind::Shutdown
    );
    poll.assert_fired_once();
    let later =
        call(|cb, ud| unsafe { solo_worker_poll(worker, null(), cb, ud) }).expect_err("shut down");
    assert_eq!(later.kind, SoloErrorKind::Shutdown);

    unsafe {
        solo_worker_free(worker);
        solo_client_free(h.client);
        solo_runtime_free(h.runtime);
    }
}

#[test]
fn freeing_every_handle_under_calls_in_flight_fires_each_callback_once_with_cancelled() {
    let server = DevServer::shared().expect("dev server");
    let h = connect(&server.address());
    let worker = new_worker(h.client, &unique("ffi-free"));
    // Two long polls in flight: a task poll, and a result wait on an activity nobody serves.
    let (poll, cb, ud) = pending();
    assert!(unsafe { solo_worker_poll(worker, null(), cb, ud) }.is_null());
    let id = unique("never-served");
    let start = Start::new(&id, &unique("nobody-polls"));
    let run = call(|cb, ud| unsafe {
        solo_client_start(h.client, &start.options(), null(), 0, null(), cb, ud)
    });
    take_buffer(run.expect("start"));
    let cid = cstr(&id);
    let (result, cb, ud) = pending();
    assert!(
        unsafe { solo_client_result(h.client, cid.as_ptr(), null(), null(), cb, ud) }.is_null()
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(poll.slot.fired.load(std::sync::atomic::Ordering::SeqCst), 0);

    // Freeing the client and the worker does not end them (they hold what they need)...
    unsafe {
        solo_worker_free(worker);
        solo_client_free(h.client);
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(poll.slot.fired.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(
        result.slot.fired.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    // ...freeing the last handle, the runtime, shuts it down: both end with CANCELLED.
    unsafe { solo_runtime_free(h.runtime) };
    for pending in [&poll, &result] {
        let error = pending.wait().expect_err("cancelled by the shutdown");
        assert_eq!(error.kind, SoloErrorKind::Cancelled, "{error:?}");
        assert!(
            error.message.contains("runtime shut down"),
            "{}",
            error.message
        );
        pending.assert_fired_once();
    }
}

#[test]
fn a_client_freed_under_a_call_lets_the_call_complete() {
    let server = DevServer::shared().expect("dev server");
    let h = connect(&server.address());
    let serving = connect(&server.address());
    let tq = unique("ffi-freed-client");
    let worker = new_worker(serving.client, &tq);
    let start = Start::new(&unique("freed"), &tq);
    let input = json_payloads(&[r#"{"greeting":"Hi","name":"there"}"#]);
    let (execution, cb, ud) = pending();
    assert!(
        unsafe {
            solo_client_execute(
                h.client,
                &start.options(),
                input.as_ptr(),
                input.len(),
                null(),
                cb,
                ud,
            )
        }
        .is_null()
    );
    unsafe { solo_client_free(h.client) };
    let task = poll_task(worker);
    let token = task.task_token.to_vec();
    let result = json_payloads(&[r#""Hi, there!""#]);
    call(|cb, ud| unsafe {
        solo_worker_complete(
            worker,
            token.as_ptr(),
            token.len(),
            result.as_ptr(),
            result.len(),
            null(),
            cb,
            ud,
        )
    })
    .expect("complete");
    let value = execution.wait().expect("the result");
    execution.assert_fired_once();
    let payloads = Payloads::decode(take_buffer(value).as_slice()).unwrap();
    assert_eq!(payloads.payloads[0].data.as_ref(), br#""Hi, there!""#);
    unsafe {
        solo_worker_free(worker);
        solo_client_free(serving.client);
        solo_runtime_free(serving.runtime);
        solo_runtime_free(h.runtime);
    }
}

#[test]
fn bad_arguments_are_refused_at_once_and_the_callback_never_fires() {
    let mut error = std::ptr::null_mut();
    let runtime = unsafe { solo_runtime_new(1, &mut error) };
    assert!(!runtime.is_null());
    let (p, cb, ud) = pending();

    // A NULL handle.
    let refused = unsafe { solo_client_count(std::ptr::null(), null(), null(), cb, ud) };
    let e = take_error(refused);
    assert_eq!(e.kind, SoloErrorKind::InvalidArgument);
    assert!(e.message.contains("client is NULL"), "{}", e.message);

    // A NULL callback.
    let options = SoloClientOptions {
        address: null(),
        namespace_: null(),
        api_key: null(),
        identity: null(),
        load_config: false,
        profile: null(),
        tls: 7,
        tls_server_ca_pem: null(),
        tls_server_name: null(),
    };
    let e = take_error(unsafe { solo_client_connect(runtime, &options, null(), None, ud) });
    assert_eq!(e.kind, SoloErrorKind::InvalidArgument);
    assert!(e.message.contains("callback is NULL"), "{}", e.message);

    // An out-of-range option, named with its fix.
    let e = take_error(unsafe { solo_client_connect(runtime, &options, null(), cb, ud) });
    assert_eq!(e.kind, SoloErrorKind::InvalidArgument);
    assert!(e.message.contains("options.tls is 7"), "{}", e.message);

    // Bytes that are not the protobuf they should be; text that is not UTF-8 or JSON.
    let garbage = [0xffu8, 0xff, 0xff];
    let e = take_error(unsafe {
        let mut error = std::ptr::null_mut();
        let out = solo_payloads_json_at(garbage.as_ptr(), garbage.len(), 0, &mut error);
        assert!(out.is_null());
        error
    });
    assert_eq!(e.kind, SoloErrorKind::InvalidArgument);
    assert!(e.message.contains("Payloads"), "{}", e.message);
    let not_utf8 = [0x66u8, 0xff, 0];
    let values = [not_utf8.as_ptr().cast()];
    let e = take_error(unsafe {
        let mut error = std::ptr::null_mut();
        assert!(solo_payloads_from_json(values.as_ptr(), 1, &mut error).is_null());
        error
    });
    assert!(e.message.contains("not valid UTF-8"), "{}", e.message);
    let not_json = cstr("{nope");
    let values = [not_json.as_ptr()];
    let e = take_error(unsafe {
        let mut error = std::ptr::null_mut();
        assert!(solo_payloads_from_json(values.as_ptr(), 1, &mut error).is_null());
        error
    });
    assert!(e.message.contains("not JSON"), "{}", e.message);

    // None of the refused calls fired the callback.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(p.slot.fired.load(std::sync::atomic::Ordering::SeqCst), 0);
    unsafe { solo_runtime_free(runtime) };
}

#[test]
fn no_panic_crosses_the_boundary() {
    let mut error = std::ptr::null_mut();
    let runtime = unsafe { solo_runtime_new(1, &mut error) };
    // In a call's work: the callback fires once with a PANIC error.
    let (p, cb, ud) = pending();
    assert!(unsafe { solo_ffi::__private::call_that_panics(runtime, cb, ud) }.is_null());
    let e = p.wait().expect_err("a panic error");
    assert_eq!(e.kind, SoloErrorKind::Panic);
    assert!(e.message.contains("solo panicked"), "{}", e.message);
    assert!(e.message.contains("index out of bounds"), "{}", e.message);
    p.assert_fired_once();
    // In an entry point: the error it returns.
    let e = take_error(solo_ffi::__private::boundary(|| panic!("boom at the edge")));
    assert_eq!(e.kind, SoloErrorKind::Panic);
    assert!(e.message.contains("boom at the edge"), "{}", e.message);
    unsafe { solo_runtime_free(runtime) };
}

unsafe extern "C" fn wait_inside(
    user_data: *mut c_void,
    value: *mut c_void,
    error: *mut SoloError,
) {
    // Inside a callback, on a runtime thread: the waiter refuses to block.
    let waiter = solo_waiter_new();
    let refused = unsafe { solo_waiter_wait(waiter, std::ptr::null_mut()) };
    unsafe {
        solo_waiter_free(waiter);
        solo_buffer_free(value.cast());
        solo_error_free(error);
        // Hand the refusal to the test as this call's error.
        solo_waiter_callback(user_data, std::ptr::null_mut(), refused);
    }
}

#[test]
fn the_waiter_blocks_c_callers_and_refuses_to_block_a_runtime_thread() {
    let server = DevServer::shared().expect("dev server");
    let h = connect(&server.address());
    let waiter = solo_waiter_new();
    let query = cstr("");
    // Blocking convenience: count through the waiter.
    let refused = unsafe {
        solo_client_count(
            h.client,
            query.as_ptr(),
            null(),
            Some(solo_waiter_callback),
            waiter.cast(),
        )
    };
    assert!(refused.is_null());
    let mut value = std::ptr::null_mut();
    let error = unsafe { solo_waiter_wait(waiter, &mut value) };
    assert!(error.is_null());
    CountActivityExecutionsResponse::decode(take_buffer(value).as_slice()).unwrap();
    // From a callback: refused with a message.
    let refused = unsafe {
        solo_client_count(
            h.client,
            query.as_ptr(),
            null(),
            Some(wait_inside),
            waiter.cast(),
        )
    };
    assert!(refused.is_null());
    let error = unsafe { solo_waiter_wait(waiter, std::ptr::null_mut()) };
    let e = take_error(error);
    assert_eq!(e.kind, SoloErrorKind::InvalidArgument);
    assert!(e.message.contains("runtime thread"), "{}", e.message);
    unsafe {
        solo_waiter_free(waiter);
        solo_client_free(h.client);
        solo_runtime_free(h.runtime);
    }
}

#[test]
fn freeing_the_runtime_with_wait_fires_every_callback_before_it_returns() {
    let server = DevServer::shared().expect("dev server");
    let h = connect(&server.address());
    let worker = new_worker(h.client, &unique("ffi-free-wait"));
    let (poll, cb, ud) = pending();
    assert!(unsafe { solo_worker_poll(worker, null(), cb, ud) }.is_null());
    // Another handle still owns the runtime: the runtime handle is freed, nothing waited.
    let second = {
        let mut error = std::ptr::null_mut();
        unsafe { solo_runtime_new(1, &mut error) }
    };
    unsafe { solo_worker_free(worker) };
    // The client still owns h.runtime's threads, so this only frees the handle.
    assert!(!unsafe { solo_runtime_free_wait(h.runtime, 5_000) });
    assert_eq!(poll.slot.fired.load(std::sync::atomic::Ordering::SeqCst), 0);
    // The runtime handle is gone: freeing the client, its last owner, shuts it down.
    unsafe { solo_client_free(h.client) };
    let error = poll.wait().expect_err("cancelled by the shutdown");
    assert_eq!(error.kind, SoloErrorKind::Cancelled);
    poll.assert_fired_once();

    // With the runtime handle as the last owner: the callback has fired when it returns.
    let h = connect(&server.address());
    let worker = new_worker(h.client, &unique("ffi-free-wait-2"));
    let (poll, cb, ud) = pending();
    assert!(unsafe { solo_worker_poll(worker, null(), cb, ud) }.is_null());
    unsafe {
        solo_worker_free(worker);
        solo_client_free(h.client);
    }
    assert!(unsafe { solo_runtime_free_wait(h.runtime, 5_000) });
    assert_eq!(
        poll.slot.fired.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the callback fired before solo_runtime_free_wait returned"
    );
    assert_eq!(
        poll.wait().expect_err("cancelled").kind,
        SoloErrorKind::Cancelled
    );
    assert!(unsafe { solo_runtime_free_wait(second, 1_000) });
}

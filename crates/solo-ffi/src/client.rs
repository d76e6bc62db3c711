//! [`SoloClient`]: connect, and the client calls (start, execute, result, describe, cancel,
//! terminate, list, count), with payloads and responses as Temporal protobuf encodings.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use solo_client::__private::{
    COUNT_ACTIVITY_EXECUTIONS, DESCRIBE_ACTIVITY_EXECUTION, LIST_ACTIVITY_EXECUTIONS, call_core,
};
use solo_client::{
    ActivityHandle, ActivityOptions, Client, ClientConfig, ClientOptions, RetryPolicy,
};
use solo_connect::{Connection, ConnectionOptions, TlsOptions};
use solo_proto::temporal::api::activity::v1::activity_execution_outcome::Value as OutcomeValue;
use solo_proto::temporal::api::common::v1::Payloads;
use solo_proto::temporal::api::workflowservice::v1::{
    CountActivityExecutionsRequest, DescribeActivityExecutionRequest, ListActivityExecutionsRequest,
};

use crate::boundary::{ptr_ref, quiet_boundary};
use crate::buffer::{opt_str_arg, proto_arg, str_arg};
use crate::call::{CallArgs, SoloCallback, SoloCancel, Value, start_call};
use crate::error::{ErrorKind, FfiError, SoloError};
use crate::runtime::{RuntimeInner, SoloRuntime, runtime_arg};

/// How to connect. Every pointer may be NULL (unset); strings are NUL-terminated UTF-8 and
/// are copied before `solo_client_connect` returns.
#[repr(C)]
#[derive(Debug)]
pub struct SoloClientOptions {
    /// `host:port` or an `http(s)://` URL. Default: the profile's, else `localhost:7233`.
    pub address: *const c_char,
    /// The namespace. Default: the profile's, else `default`.
    pub namespace_: *const c_char,
    /// An API key (sent as a bearer token; turns TLS on unless `tls` says off).
    pub api_key: *const c_char,
    /// The identity recorded with the calls. Default: `pid@hostname`.
    pub identity: *const c_char,
    /// Load the environment configuration first (`TEMPORAL_*` variables and `temporal.toml`,
    /// as every Temporal SDK does); the fields above override it.
    pub load_config: bool,
    /// The profile to load when `load_config` is set. Default: `default`.
    pub profile: *const c_char,
    /// TLS when not loading the configuration: 0 automatic (on with an API key), 1 on, 2 off.
    pub tls: u32,
    /// PEM of the CA to trust for TLS (NULL: the system roots).
    pub tls_server_ca_pem: *const c_char,
    /// The server name to verify for TLS (NULL: the address's host).
    pub tls_server_name: *const c_char,
}

/// A connected client. Thread-safe: any number of calls may be in flight on it from any
/// threads. Free it with [`solo_client_free`]; calls in flight when it is freed go on and
/// fire their callbacks as usual.
#[derive(Debug)]
pub struct SoloClient {
    pub(crate) runtime: Arc<RuntimeInner>,
    pub(crate) client: Client,
}

/// Borrows a client handle argument.
///
/// # Safety
/// `client` is NULL or a live client.
pub(crate) unsafe fn client_arg<'a>(client: *const SoloClient) -> Result<&'a SoloClient, FfiError> {
    // SAFETY: forwarded from the caller.
    unsafe { ptr_ref("client", client) }
}

/// Where to connect: a loaded configuration or explicit options.
enum ConnectTo {
    Config(Box<ClientConfig>),
    Options(Box<ConnectionOptions>),
}

struct ConnectPlan {
    to: ConnectTo,
    client_options: ClientOptions,
}

/// Reads the options into a plan, on the caller's thread.
///
/// # Safety
/// `options` is NULL or points to a valid `SoloClientOptions`.
unsafe fn connect_plan(options: *const SoloClientOptions) -> Result<ConnectPlan, FfiError> {
    // SAFETY: forwarded from the caller.
    let options = unsafe { ptr_ref("options", options) }?;
    // SAFETY: the caller guarantees each string field is NULL or NUL-terminated.
    let (address, namespace, api_key, identity, profile, ca, server_name) = unsafe {
        (
            opt_str_arg("options.address", options.address)?,
            opt_str_arg("options.namespace_", options.namespace_)?,
            opt_str_arg("options.api_key", options.api_key)?,
            opt_str_arg("options.identity", options.identity)?,
            opt_str_arg("options.profile", options.profile)?,
            opt_str_arg("options.tls_server_ca_pem", options.tls_server_ca_pem)?,
            opt_str_arg("options.tls_server_name", options.tls_server_name)?,
        )
    };
    let mut client_options = ClientOptions::new();
    if let Some(identity) = identity {
        client_options = client_options.identity(identity);
    }
    if options.load_config {
        let mut loader = ClientConfig::loader();
        if let Some(profile) = profile {
            loader = loader.profile(profile);
        }
        let mut config = loader.load().map_err(|e| {
            FfiError::new(
                ErrorKind::Config,
                format!("the client configuration could not be loaded: {e}"),
            )
        })?;
        if let Some(address) = address {
            config = config.with_address(address);
        }
        if let Some(namespace) = namespace {
            config = config.with_namespace(namespace);
        }
        if let Some(api_key) = api_key {
            config = config.with_api_key(api_key);
        }
        return Ok(ConnectPlan {
            to: ConnectTo::Config(Box::new(config)),
            client_options,
        });
    }
    let mut connection = ConnectionOptions::new(address.unwrap_or_else(|| "localhost:7233".into()));
    if let Some(namespace) = namespace {
        connection = connection.namespace(namespace);
    }
    if let Some(api_key) = api_key {
        connection = connection.api_key(api_key);
    }
    match options.tls {
        0 if ca.is_none() && server_name.is_none() => {}
        0 | 1 => {
            let mut tls = TlsOptions::new();
            if let Some(ca) = ca {
                tls = tls.server_ca_pem(ca.into_bytes());
            }
            if let Some(name) = server_name {
                tls = tls.server_name(name);
            }
            connection = connection.tls(tls);
        }
        2 => connection = connection.disable_tls(),
        other => {
            return Err(FfiError::new(
                ErrorKind::InvalidArgument,
                format!("options.tls is {other}; pass 0 (automatic), 1 (on) or 2 (off)"),
            ));
        }
    }
    Ok(ConnectPlan {
        to: ConnectTo::Options(Box::new(connection)),
        client_options,
    })
}

/// Connects a client. The callback's `value` is the new `SoloClient*` (free it with
/// [`solo_client_free`]). Returns NULL when the call was accepted (the callback will fire
/// exactly once), or an error (the callback will not fire).
///
/// # Safety
/// `runtime` is a live runtime; `options` points to valid options; `cancel` is NULL or a
/// live token; `callback` may be called on any thread with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_connect(
    runtime: *const SoloRuntime,
    options: *const SoloClientOptions,
    cancel: *const SoloCancel,
    callback: SoloCallback,
    user_data: *mut c_void,
) -> *mut SoloError {
    let args = CallArgs {
        cancel,
        callback,
        user_data,
    };
    // SAFETY: the caller guarantees `runtime` is NULL or live.
    let runtime = match unsafe { runtime_arg(runtime) } {
        Ok(r) => r.inner.clone(),
        Err(e) => return e.into_raw(),
    };
    let owner = runtime.clone();
    // SAFETY: the caller guarantees `cancel` and `options` as documented.
    unsafe {
        start_call(&owner, args, || {
            let plan = connect_plan(options)?;
            Ok(async move {
                let connection = match plan.to {
                    ConnectTo::Config(config) => Connection::connect_config(&config).await,
                    ConnectTo::Options(options) => Connection::connect(*options).await,
                }
                .map_err(|e| FfiError::new(ErrorKind::Connect, e.to_string()))?;
                let client = Client::new(connection, plan.client_options);
                let handle = Box::into_raw(Box::new(SoloClient { runtime, client }));
                Ok(Value::Handle(handle.cast()))
            })
        })
    }
}

/// Frees a client. Calls in flight go on and fire their callbacks. NULL is ignored. Safe to
/// call from a callback.
///
/// # Safety
/// `client` is NULL or a client from `solo_client_connect` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_free(client: *mut SoloClient) {
    if client.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer made by `solo_client_connect` and not yet freed.
    let client = unsafe { Box::from_raw(client) };
    quiet_boundary("solo_client_free", move || drop(client));
}

/// What to start. Strings are NUL-terminated UTF-8, copied before the call returns; a
/// timeout of 0 is unset.
#[repr(C)]
#[derive(Debug)]
pub struct SoloStartOptions {
    /// The activity id (required).
    pub activity_id: *const c_char,
    /// The activity type name (required), e.g. `compose_greeting`.
    pub activity_type: *const c_char,
    /// The task queue (required).
    pub task_queue: *const c_char,
    /// Start-to-close timeout in milliseconds (this or schedule-to-close is required).
    pub start_to_close_timeout_ms: u64,
    /// Schedule-to-close timeout in milliseconds.
    pub schedule_to_close_timeout_ms: u64,
    /// Schedule-to-start timeout in milliseconds.
    pub schedule_to_start_timeout_ms: u64,
    /// Heartbeat timeout in milliseconds.
    pub heartbeat_timeout_ms: u64,
    /// The most attempts (0: the server's default, unlimited).
    pub maximum_attempts: u32,
}

struct StartPlan {
    activity_type: String,
    options: ActivityOptions,
    input: Payloads,
}

/// # Safety
/// `options` points to valid options; `input` is NULL or `input_len` readable bytes.
unsafe fn start_plan(
    options: *const SoloStartOptions,
    input: *const u8,
    input_len: usize,
) -> Result<StartPlan, FfiError> {
    // SAFETY: forwarded from the caller.
    let options = unsafe { ptr_ref("options", options) }?;
    // SAFETY: the caller guarantees NUL-terminated strings and readable input.
    let (id, activity_type, task_queue, input) = unsafe {
        (
            str_arg("options.activity_id", options.activity_id)?,
            str_arg("options.activity_type", options.activity_type)?,
            str_arg("options.task_queue", options.task_queue)?,
            proto_arg::<Payloads>("input", input, input_len)?,
        )
    };
    let mut start = ActivityOptions::new().id(id).task_queue(task_queue);
    let ms = Duration::from_millis;
    if options.start_to_close_timeout_ms > 0 {
        start = start.start_to_close_timeout(ms(options.start_to_close_timeout_ms));
    }
    if options.schedule_to_close_timeout_ms > 0 {
        start = start.schedule_to_close_timeout(ms(options.schedule_to_close_timeout_ms));
    }
    if options.schedule_to_start_timeout_ms > 0 {
        start = start.schedule_to_start_timeout(ms(options.schedule_to_start_timeout_ms));
    }
    if options.heartbeat_timeout_ms > 0 {
        start = start.heartbeat_timeout(ms(options.heartbeat_timeout_ms));
    }
    if options.maximum_attempts > 0 {
        start = start.retry_policy(RetryPolicy::new().maximum_attempts(options.maximum_attempts));
    }
    Ok(StartPlan {
        activity_type,
        options: start,
        input,
    })
}

async fn start(client: &Client, plan: StartPlan) -> Result<ActivityHandle<()>, FfiError> {
    Ok(client
        .start_activity_by_name::<()>(&plan.activity_type, plan.input, plan.options)
        .await?)
}

/// The closed activity's result payloads, or its failure as an error.
async fn outcome(handle: &ActivityHandle<()>) -> Result<Value, FfiError> {
    let outcome = handle.outcome().await?;
    match outcome.value {
        Some(OutcomeValue::Result(payloads)) => Ok(Value::Bytes(payloads.encode_to_vec())),
        Some(OutcomeValue::Failure(failure)) => Err(FfiError::activity_failed(&failure)),
        None => Err(FfiError::new(
            ErrorKind::Rpc,
            "the server reported an outcome with neither a result nor a failure",
        )),
    }
}

/// Runs a client call: borrows the client, prepares on the caller's thread, runs on the
/// runtime.
///
/// # Safety
/// `client` is NULL or live; `args.cancel` is NULL or a live token.
unsafe fn client_call<F>(
    client: *const SoloClient,
    args: CallArgs,
    prepare: impl FnOnce(Client) -> Result<F, FfiError>,
) -> *mut SoloError
where
    F: std::future::Future<Output = Result<Value, FfiError>> + Send + 'static,
{
    // SAFETY: forwarded from the caller.
    let client = match unsafe { client_arg(client) } {
        Ok(c) => c,
        Err(e) => return e.into_raw(),
    };
    let inner = client.client.clone();
    // SAFETY: forwarded from the caller.
    unsafe { start_call(&client.runtime, args, move || prepare(inner)) }
}

/// Starts an activity. `input` is a `temporal.api.common.v1.Payloads` encoding (one payload
/// per argument; NULL/0 for none). The callback's `value` is a `SoloBuffer*` holding the run
/// id (UTF-8).
///
/// # Safety
/// `client` is live; `options` valid; `input` NULL or `input_len` readable bytes; `cancel`
/// NULL or live; `callback` callable on any thread with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_start(
    client: *const SoloClient,
    options: *const SoloStartOptions,
    input: *const u8,
    input_len: usize,
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
    unsafe {
        client_call(client, args, |client| {
            // SAFETY: forwarded from the caller.
            let plan = start_plan(options, input, input_len)?;
            Ok(async move {
                let handle = start(&client, plan).await?;
                Ok(Value::Bytes(
                    handle.run_id().unwrap_or_default().as_bytes().to_vec(),
                ))
            })
        })
    }
}

/// Starts an activity and waits for its result. The callback's `value` is a `SoloBuffer*`
/// holding the result's `Payloads` encoding; when the activity failed, timed out, was
/// cancelled or terminated, `error` has kind `SOLO_ERROR_KIND_ACTIVITY_FAILED` and its
/// `details` hold the `temporal.api.failure.v1.Failure` encoding.
///
/// # Safety
/// As [`solo_client_start`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_execute(
    client: *const SoloClient,
    options: *const SoloStartOptions,
    input: *const u8,
    input_len: usize,
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
    unsafe {
        client_call(client, args, |client| {
            // SAFETY: forwarded from the caller.
            let plan = start_plan(options, input, input_len)?;
            Ok(async move {
                let handle = start(&client, plan).await?;
                outcome(&handle).await
            })
        })
    }
}

/// Reads an activity id and optional run id.
///
/// # Safety
/// Both NULL or NUL-terminated.
unsafe fn target(
    activity_id: *const c_char,
    run_id: *const c_char,
) -> Result<(String, Option<String>), FfiError> {
    // SAFETY: forwarded from the caller.
    unsafe {
        Ok((
            str_arg("activity_id", activity_id)?,
            opt_str_arg("run_id", run_id)?,
        ))
    }
}

/// Waits for an activity's result, by id and optional run id (NULL: the latest run). The
/// callback's `value` and `error` are as for [`solo_client_execute`].
///
/// # Safety
/// `client` live; `activity_id` NUL-terminated; `run_id` NULL or NUL-terminated; `cancel`
/// NULL or live; `callback` callable on any thread with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_result(
    client: *const SoloClient,
    activity_id: *const c_char,
    run_id: *const c_char,
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
    unsafe {
        client_call(client, args, |client| {
            // SAFETY: forwarded from the caller.
            let (id, run) = target(activity_id, run_id)?;
            Ok(async move { outcome(&client.get_activity_handle::<()>(id, run)).await })
        })
    }
}

/// Describes an activity. The callback's `value` is a `SoloBuffer*` holding the
/// `temporal.api.workflowservice.v1.DescribeActivityExecutionResponse` encoding (with the
/// input and, once closed, the outcome).
///
/// # Safety
/// As [`solo_client_result`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_describe(
    client: *const SoloClient,
    activity_id: *const c_char,
    run_id: *const c_char,
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
    unsafe {
        client_call(client, args, |client| {
            // SAFETY: forwarded from the caller.
            let (activity_id, run_id) = target(activity_id, run_id)?;
            Ok(async move {
                let request = DescribeActivityExecutionRequest {
                    namespace: client.namespace().to_owned(),
                    activity_id,
                    run_id: run_id.unwrap_or_default(),
                    include_input: true,
                    include_outcome: true,
                    include_heartbeat_details: true,
                    include_last_failure: true,
                    ..Default::default()
                };
                let response = call_core(&client)
                    .call_task(DESCRIBE_ACTIVITY_EXECUTION, tonic::Request::new(request))
                    .await?;
                Ok(Value::Bytes(response.encode_to_vec()))
            })
        })
    }
}

/// Requests cancellation of an activity (`reason` may be NULL). The callback's `value` is
/// NULL.
///
/// # Safety
/// As [`solo_client_result`]; `reason` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_cancel(
    client: *const SoloClient,
    activity_id: *const c_char,
    run_id: *const c_char,
    reason: *const c_char,
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
    unsafe {
        client_call(client, args, |client| {
            // SAFETY: forwarded from the caller.
            let (id, run) = target(activity_id, run_id)?;
            // SAFETY: forwarded from the caller.
            let reason = opt_str_arg("reason", reason)?.unwrap_or_default();
            Ok(async move {
                client
                    .get_activity_handle::<()>(id, run)
                    .cancel(reason)
                    .await?;
                Ok(Value::Nothing)
            })
        })
    }
}

/// Terminates an activity (`reason` may be NULL). The callback's `value` is NULL.
///
/// # Safety
/// As [`solo_client_cancel`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_terminate(
    client: *const SoloClient,
    activity_id: *const c_char,
    run_id: *const c_char,
    reason: *const c_char,
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
    unsafe {
        client_call(client, args, |client| {
            // SAFETY: forwarded from the caller.
            let (id, run) = target(activity_id, run_id)?;
            // SAFETY: forwarded from the caller.
            let reason = opt_str_arg("reason", reason)?.unwrap_or_default();
            Ok(async move {
                client
                    .get_activity_handle::<()>(id, run)
                    .terminate(reason)
                    .await?;
                Ok(Value::Nothing)
            })
        })
    }
}

/// Lists one page of activity executions matching a List Filter `query` (NULL or empty:
/// all). `next_page_token` is NULL/0 for the first page, then the previous response's token.
/// The callback's `value` is a `SoloBuffer*` holding the
/// `temporal.api.workflowservice.v1.ListActivityExecutionsResponse` encoding.
///
/// # Safety
/// `client` live; `query` NULL or NUL-terminated; `next_page_token` NULL or
/// `next_page_token_len` readable bytes; `cancel` NULL or live; `callback` callable on any
/// thread with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_list(
    client: *const SoloClient,
    query: *const c_char,
    page_size: u32,
    next_page_token: *const u8,
    next_page_token_len: usize,
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
    unsafe {
        client_call(client, args, |client| {
            // SAFETY: forwarded from the caller.
            let query = opt_str_arg("query", query)?.unwrap_or_default();
            // SAFETY: forwarded from the caller.
            let token =
                crate::buffer::bytes_arg("next_page_token", next_page_token, next_page_token_len)?;
            let page_size = i32::try_from(page_size).map_err(|_| {
                FfiError::new(
                    ErrorKind::InvalidArgument,
                    "page_size is too large; pass at most 2^31-1 (0: the server's default)",
                )
            })?;
            Ok(async move {
                let request = ListActivityExecutionsRequest {
                    namespace: client.namespace().to_owned(),
                    page_size,
                    next_page_token: Bytes::from(token),
                    query,
                };
                let response = call_core(&client)
                    .call_task(LIST_ACTIVITY_EXECUTIONS, tonic::Request::new(request))
                    .await?;
                Ok(Value::Bytes(response.encode_to_vec()))
            })
        })
    }
}

/// Counts activity executions matching a List Filter `query` (NULL or empty: all; `GROUP BY
/// ExecutionStatus` splits the count). The callback's `value` is a `SoloBuffer*` holding the
/// `temporal.api.workflowservice.v1.CountActivityExecutionsResponse` encoding.
///
/// # Safety
/// `client` live; `query` NULL or NUL-terminated; `cancel` NULL or live; `callback` callable
/// on any thread with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn solo_client_count(
    client: *const SoloClient,
    query: *const c_char,
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
    unsafe {
        client_call(client, args, |client| {
            // SAFETY: forwarded from the caller.
            let query = opt_str_arg("query", query)?.unwrap_or_default();
            Ok(async move {
                let request = CountActivityExecutionsRequest {
                    namespace: client.namespace().to_owned(),
                    query,
                };
                let response = call_core(&client)
                    .call_task(COUNT_ACTIVITY_EXECUTIONS, tonic::Request::new(request))
                    .await?;
                Ok(Value::Bytes(response.encode_to_vec()))
            })
        })
    }
}

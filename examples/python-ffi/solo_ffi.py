"""A small Python binding of solo over its C ABI (crates/solo-ffi/include/solo.h), with ctypes.

It shows what an SDK embedding solo does: solo makes the calls and runs the protocol; the
binding brings the language's side — the Temporal protos and data converter of the Python SDK
(`temporalio`), asyncio, and activity dispatch. Every solo call returns at once and fires a
callback on one of solo's runtime threads; the binding turns that into an asyncio future with
`loop.call_soon_threadsafe`, and cancels the solo call (through its cancellation token) when
the awaiting task is cancelled.

    runtime = Runtime()                                  # solo's threads
    client = await Client.connect(runtime, "localhost:7233")
    greeting = await client.execute("compose_greeting", {"greeting": "Hello", "name": "World"},
                                    id="greet-1", task_queue="my-queue")
    worker = Worker(client, "my-queue", {"compose_greeting": compose_greeting})
    await worker.run()                                   # until worker.shutdown()

The library is found through the SOLO_FFI_LIB environment variable (the path of
libsolo_ffi.so / .dylib / solo_ffi.dll), or passed to Runtime(lib_path=...).
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import itertools
import os
import threading
import typing
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Optional

import temporalio.api.common.v1 as common
import temporalio.api.failure.v1 as failure_pb
import temporalio.api.workflowservice.v1 as ws
from temporalio.converter import DataConverter

# --- the C declarations (mirroring solo.h) -------------------------------------------------

KIND_INVALID_ARGUMENT = 1
KIND_CONFIG = 2
KIND_CONNECT = 3
KIND_NOT_FOUND = 4
KIND_ALREADY_STARTED = 5
KIND_ACTIVITY_FAILED = 6
KIND_CANCELLED = 7
KIND_SHUTDOWN = 8
KIND_RPC = 9
KIND_PANIC = 10


class _Buffer(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_uint8)), ("len", ctypes.c_size_t)]


class _Error(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_uint32),
        ("code", ctypes.c_int32),
        ("message", ctypes.c_char_p),
        ("details", ctypes.POINTER(ctypes.c_uint8)),
        ("details_len", ctypes.c_size_t),
    ]


class _ClientOptions(ctypes.Structure):
    _fields_ = [
        ("address", ctypes.c_char_p),
        ("namespace_", ctypes.c_char_p),
        ("api_key", ctypes.c_char_p),
        ("identity", ctypes.c_char_p),
        ("load_config", ctypes.c_bool),
        ("profile", ctypes.c_char_p),
        ("tls", ctypes.c_uint32),
        ("tls_server_ca_pem", ctypes.c_char_p),
        ("tls_server_name", ctypes.c_char_p),
    ]


class _StartOptions(ctypes.Structure):
    _fields_ = [
        ("activity_id", ctypes.c_char_p),
        ("activity_type", ctypes.c_char_p),
        ("task_queue", ctypes.c_char_p),
        ("start_to_close_timeout_ms", ctypes.c_uint64),
        ("schedule_to_close_timeout_ms", ctypes.c_uint64),
        ("schedule_to_start_timeout_ms", ctypes.c_uint64),
        ("heartbeat_timeout_ms", ctypes.c_uint64),
        ("maximum_attempts", ctypes.c_uint32),
    ]


_ErrorP = ctypes.POINTER(_Error)
_BufferP = ctypes.POINTER(_Buffer)
_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, _ErrorP)
_P = ctypes.c_void_p
_BYTES = ctypes.c_char_p  # input bytes: ctypes passes a bytes object's buffer


def _declare(lib: ctypes.CDLL) -> None:
    def fn(name, restype, *argtypes):
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = list(argtypes)

    call = (_P, _CALLBACK, _P)  # cancel, callback, user_data
    size = ctypes.c_size_t
    fn("solo_version", ctypes.c_char_p)
    fn("solo_buffer_free", None, _BufferP)
    fn("solo_error_free", None, _ErrorP)
    fn("solo_runtime_new", _P, ctypes.c_uint32, ctypes.POINTER(_ErrorP))
    fn("solo_runtime_free", None, _P)
    fn("solo_runtime_free_wait", ctypes.c_bool, _P, ctypes.c_uint32)
    fn("solo_cancel_new", _P)
    fn("solo_cancel_cancel", None, _P)
    fn("solo_cancel_free", None, _P)
    fn("solo_client_connect", _ErrorP, _P, ctypes.POINTER(_ClientOptions), *call)
    fn("solo_client_free", None, _P)
    start = (_P, ctypes.POINTER(_StartOptions), _BYTES, size, *call)
    fn("solo_client_start", _ErrorP, *start)
    fn("solo_client_execute", _ErrorP, *start)
    target = (_P, ctypes.c_char_p, ctypes.c_char_p)
    fn("solo_client_result", _ErrorP, *target, *call)
    fn("solo_client_describe", _ErrorP, *target, *call)
    fn("solo_client_cancel", _ErrorP, *target, ctypes.c_char_p, *call)
    fn("solo_client_terminate", _ErrorP, *target, ctypes.c_char_p, *call)
    fn("solo_client_list", _ErrorP, _P, ctypes.c_char_p, ctypes.c_uint32, _BYTES, size, *call)
    fn("solo_client_count", _ErrorP, _P, ctypes.c_char_p, *call)
    fn("solo_worker_new", _P, _P, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_ErrorP))
    fn("solo_worker_free", None, _P)
    fn("solo_worker_poll", _ErrorP, _P, *call)
    token = (_P, _BYTES, size)
    fn("solo_worker_complete", _ErrorP, *token, _BYTES, size, *call)
    fn("solo_worker_fail", _ErrorP, *token, _BYTES, size, _BYTES, size, *call)
    fn("solo_worker_report_cancellation", _ErrorP, *token, _BYTES, size, *call)
    fn("solo_worker_heartbeat", _ErrorP, *token, _BYTES, size, *call)
    fn("solo_worker_shutdown", _ErrorP, _P, _CALLBACK, _P)


# --- errors --------------------------------------------------------------------------------


class SoloError(Exception):
    """An error from solo: its kind (the KIND_* constants), gRPC code and message."""

    def __init__(self, kind: int, code: int, message: str, details: bytes = b""):
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message
        self.details = details


def _take_error(lib: ctypes.CDLL, error) -> SoloError:
    """Copies a SoloError* into a Python exception and frees it."""
    e = error.contents
    details = ctypes.string_at(e.details, e.details_len) if e.details_len else b""
    err = SoloError(e.kind, e.code, (e.message or b"").decode("utf-8", "replace"), details)
    lib.solo_error_free(error)
    return err


def _take_buffer(lib: ctypes.CDLL, value: int) -> bytes:
    """Copies a SoloBuffer* into bytes and frees it."""
    buffer = ctypes.cast(value, _BufferP)
    data = ctypes.string_at(buffer.contents.data, buffer.contents.len)
    lib.solo_buffer_free(buffer)
    return data


# --- the asyncio bridge --------------------------------------------------------------------


@dataclass
class _Pending:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    takes: str  # "bytes", "handle" or "none": what the callback's value is


class Runtime:
    """solo's runtime: the threads that make every call and fire every callback.

    Keeps the library loaded and the one ctypes callback alive. Calls in flight are tracked
    by an integer id passed as user_data, so no Python object's address crosses the boundary.
    """

    def __init__(self, lib_path: Optional[str] = None, threads: int = 2):
        path = lib_path or os.environ.get("SOLO_FFI_LIB")
        if not path:
            raise RuntimeError("set SOLO_FFI_LIB to the path of the solo-ffi library")
        self.lib = ctypes.CDLL(path)
        _declare(self.lib)
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._callback = _CALLBACK(self._on_done)  # referenced for the runtime's life
        error = _ErrorP()
        self.ptr = self.lib.solo_runtime_new(threads, ctypes.byref(error))
        if not self.ptr:
            raise _take_error(self.lib, error)

    @property
    def version(self) -> str:
        return self.lib.solo_version().decode()

    def close(self, timeout: float = 10.0) -> None:
        """Frees the runtime handle. Close the clients and workers first: then this waits
        (without the GIL) until solo's threads have stopped, so that no callback is still
        running when the interpreter exits — Python ends foreign threads that take the GIL
        during finalization, which would abort the process."""
        if self.ptr:
            self.lib.solo_runtime_free_wait(self.ptr, int(timeout * 1000))
            self.ptr = None

    def _on_done(self, user_data, value, error) -> None:
        # On a solo runtime thread, holding the GIL (ctypes takes it). Copy and free what solo
        # handed over here, then resolve the future on its own loop.
        with self._lock:
            pending = self._pending.pop(user_data or 0, None)
        if pending is None:
            return
        if error:
            outcome: Any = _take_error(self.lib, error)
        elif pending.takes == "bytes":
            outcome = _take_buffer(self.lib, value) if value else None
        elif pending.takes == "handle":
            outcome = value
        else:
            outcome = None

        def resolve() -> None:
            if pending.future.done():
                # The awaiting task was cancelled: release what the call produced.
                if pending.takes == "handle" and isinstance(outcome, int):
                    self.lib.solo_client_free(outcome)
                return
            if isinstance(outcome, SoloError):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)

        try:
            pending.loop.call_soon_threadsafe(resolve)
        except RuntimeError:
            pass  # the loop is closed: nobody waits any more

    async def call(self, takes: str, start: Callable[..., Any]) -> Any:
        """Runs one solo call: `start(cancel, callback, user_data)` returns its SoloError*."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        call_id = next(self._ids)
        cancel = self.lib.solo_cancel_new()
        with self._lock:
            self._pending[call_id] = _Pending(loop, future, takes)
        try:
            refused = start(cancel, self._callback, call_id)
            if refused:
                with self._lock:
                    self._pending.pop(call_id, None)
                raise _take_error(self.lib, refused)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                # Cancel the solo call too; its callback still fires (and frees its value).
                self.lib.solo_cancel_cancel(cancel)
                future.cancel()
                raise
        finally:
            self.lib.solo_cancel_free(cancel)


# --- the client ----------------------------------------------------------------------------


def _ms(t: Optional[timedelta]) -> int:
    return int(t.total_seconds() * 1000) if t else 0


def _b(s: Optional[str]) -> Optional[bytes]:
    return s.encode() if s is not None else None


class Client:
    """A client over one connection, with the Python SDK's data converter."""

    def __init__(self, runtime: Runtime, ptr: int, data_converter: DataConverter):
        self.runtime = runtime
        self.ptr = ptr
        self.data_converter = data_converter

    @staticmethod
    async def connect(
        runtime: Runtime,
        address: Optional[str] = None,
        namespace: Optional[str] = None,
        *,
        api_key: Optional[str] = None,
        load_config: bool = False,
        identity: Optional[str] = None,
        data_converter: DataConverter = DataConverter.default,
    ) -> "Client":
        options = _ClientOptions(
            address=_b(address),
            namespace_=_b(namespace),
            api_key=_b(api_key),
            identity=_b(identity),
            load_config=load_config,
        )
        lib = runtime.lib
        ptr = await runtime.call(
            "handle",
            lambda cancel, cb, ud: lib.solo_client_connect(
                runtime.ptr, ctypes.byref(options), cancel, cb, ud
            ),
        )
        return Client(runtime, ptr, data_converter)

    def close(self) -> None:
        if self.ptr:
            self.runtime.lib.solo_client_free(self.ptr)
            self.ptr = None

    async def _start(self, function: str, activity_type: str, args: tuple, *, id: str,
                     task_queue: str, start_to_close_timeout: Optional[timedelta],
                     schedule_to_close_timeout: Optional[timedelta],
                     heartbeat_timeout: Optional[timedelta], maximum_attempts: int) -> bytes:
        payloads = await self.data_converter.encode_wrapper(list(args))
        data = payloads.SerializeToString()
        options = _StartOptions(
            activity_id=id.encode(),
            activity_type=activity_type.encode(),
            task_queue=task_queue.encode(),
            start_to_close_timeout_ms=_ms(start_to_close_timeout),
            schedule_to_close_timeout_ms=_ms(schedule_to_close_timeout),
            heartbeat_timeout_ms=_ms(heartbeat_timeout),
            maximum_attempts=maximum_attempts,
        )
        call = getattr(self.runtime.lib, function)
        return await self.runtime.call(
            "bytes",
            lambda cancel, cb, ud: call(
                self.ptr, ctypes.byref(options), data, len(data), cancel, cb, ud
            ),
        )

    async def start(self, activity_type: str, *args: Any, id: str, task_queue: str,
                    start_to_close_timeout: Optional[timedelta] = timedelta(seconds=10),
                    schedule_to_close_timeout: Optional[timedelta] = None,
                    heartbeat_timeout: Optional[timedelta] = None,
                    maximum_attempts: int = 0) -> str:
        """Starts an activity; returns its run id."""
        run_id = await self._start(
            "solo_client_start", activity_type, args, id=id, task_queue=task_queue,
            start_to_close_timeout=start_to_close_timeout,
            schedule_to_close_timeout=schedule_to_close_timeout,
            heartbeat_timeout=heartbeat_timeout, maximum_attempts=maximum_attempts)
        return run_id.decode()

    async def execute(self, activity_type: str, *args: Any, id: str, task_queue: str,
                      result_type: Optional[type] = None,
                      start_to_close_timeout: Optional[timedelta] = timedelta(seconds=10),
                      schedule_to_close_timeout: Optional[timedelta] = None,
                      heartbeat_timeout: Optional[timedelta] = None,
                      maximum_attempts: int = 0) -> Any:
        """Starts an activity and waits for its result (raising its failure as the Python SDK
        would, decoded by the data converter)."""
        try:
            result = await self._start(
                "solo_client_execute", activity_type, args, id=id, task_queue=task_queue,
                start_to_close_timeout=start_to_close_timeout,
                schedule_to_close_timeout=schedule_to_close_timeout,
                heartbeat_timeout=heartbeat_timeout, maximum_attempts=maximum_attempts)
        except SoloError as e:
            raise await self._activity_error(e)
        return await self._decode_result(result, result_type)

    async def result(self, id: str, run_id: Optional[str] = None,
                     result_type: Optional[type] = None) -> Any:
        """Waits for an activity's result."""
        lib = self.runtime.lib
        try:
            result = await self.runtime.call(
                "bytes",
                lambda cancel, cb, ud: lib.solo_client_result(
                    self.ptr, id.encode(), _b(run_id), cancel, cb, ud),
            )
        except SoloError as e:
            raise await self._activity_error(e)
        return await self._decode_result(result, result_type)

    async def _decode_result(self, data: bytes, result_type: Optional[type]) -> Any:
        payloads = common.Payloads.FromString(data)
        values = await self.data_converter.decode_wrapper(
            payloads, [result_type] if result_type else None)
        return values[0] if values else None

    async def _activity_error(self, error: SoloError) -> BaseException:
        if error.kind != KIND_ACTIVITY_FAILED:
            return error
        failure = failure_pb.Failure.FromString(error.details)
        cause = await self.data_converter.decode_failure(failure)
        # The same exception the Python SDK's client raises, with the decoded failure as cause.
        from temporalio.client import ActivityFailureError

        err = ActivityFailureError(cause=cause)
        err.__cause__ = cause
        return err

    async def describe(self, id: str, run_id: Optional[str] = None
                       ) -> ws.DescribeActivityExecutionResponse:
        lib = self.runtime.lib
        data = await self.runtime.call(
            "bytes",
            lambda cancel, cb, ud: lib.solo_client_describe(
                self.ptr, id.encode(), _b(run_id), cancel, cb, ud),
        )
        return ws.DescribeActivityExecutionResponse.FromString(data)

    async def cancel(self, id: str, reason: str = "", run_id: Optional[str] = None) -> None:
        lib = self.runtime.lib
        await self.runtime.call(
            "none",
            lambda cancel, cb, ud: lib.solo_client_cancel(
                self.ptr, id.encode(), _b(run_id), reason.encode(), cancel, cb, ud),
        )

    async def terminate(self, id: str, reason: str = "", run_id: Optional[str] = None) -> None:
        lib = self.runtime.lib
        await self.runtime.call(
            "none",
            lambda cancel, cb, ud: lib.solo_client_terminate(
                self.ptr, id.encode(), _b(run_id), reason.encode(), cancel, cb, ud),
        )

    async def list(self, query: str = "", page_size: int = 0, next_page_token: bytes = b""
                   ) -> ws.ListActivityExecutionsResponse:
        """One page of the executions matching `query`."""
        lib = self.runtime.lib
        data = await self.runtime.call(
            "bytes",
            lambda cancel, cb, ud: lib.solo_client_list(
                self.ptr, query.encode(), page_size, next_page_token or None,
                len(next_page_token), cancel, cb, ud),
        )
        return ws.ListActivityExecutionsResponse.FromString(data)

    async def count(self, query: str = "") -> ws.CountActivityExecutionsResponse:
        lib = self.runtime.lib
        data = await self.runtime.call(
            "bytes",
            lambda cancel, cb, ud: lib.solo_client_count(self.ptr, query.encode(), cancel, cb, ud),
        )
        return ws.CountActivityExecutionsResponse.FromString(data)


# --- the worker ----------------------------------------------------------------------------


class Worker:
    """Serves activities (plain or async Python functions, by type name) on a task queue.

    Arguments are decoded with the data converter using the function's type hints; the
    return value is encoded as the result; an exception fails the attempt, converted as the
    Python SDK converts it.
    """

    def __init__(self, client: Client, task_queue: str,
                 activities: dict[str, Callable[..., Any]], *, pollers: int = 2,
                 identity: Optional[str] = None):
        self.client = client
        self.activities = activities
        self.pollers = pollers
        self.served = 0
        lib = client.runtime.lib
        error = _ErrorP()
        self.ptr = lib.solo_worker_new(client.ptr, task_queue.encode(), _b(identity),
                                       ctypes.byref(error))
        if not self.ptr:
            raise _take_error(lib, error)
        self._stopping = False

    async def run(self) -> None:
        """Polls and serves until shutdown() is called."""
        await asyncio.gather(*(self._poll_loop() for _ in range(self.pollers)))

    async def shutdown(self) -> None:
        """Ends the polls (run() then returns); reports of tasks in hand still go through."""
        self._stopping = True
        lib = self.client.runtime.lib
        await self.client.runtime.call(
            "none", lambda cancel, cb, ud: lib.solo_worker_shutdown(self.ptr, cb, ud))

    def close(self) -> None:
        if self.ptr:
            self.client.runtime.lib.solo_worker_free(self.ptr)
            self.ptr = None

    async def _poll_loop(self) -> None:
        runtime = self.client.runtime
        lib = runtime.lib
        while True:
            try:
                data = await runtime.call(
                    "bytes", lambda cancel, cb, ud: lib.solo_worker_poll(self.ptr, cancel, cb, ud))
            except SoloError as e:
                if e.kind == KIND_SHUTDOWN:
                    return
                raise
            if data is None:
                continue  # the long poll expired without a task
            await self._serve(ws.PollActivityTaskQueueResponse.FromString(data))

    async def _serve(self, task: ws.PollActivityTaskQueueResponse) -> None:
        runtime = self.client.runtime
        lib = runtime.lib
        converter = self.client.data_converter
        token = task.task_token
        function = self.activities.get(task.activity_type.name)
        try:
            if function is None:
                raise LookupError(
                    f"activity type {task.activity_type.name!r} is not registered with this "
                    f"worker (registered: {sorted(self.activities)})")
            hints = [h for name, h in typing.get_type_hints(function).items() if name != "return"]
            args = await converter.decode_wrapper(task.input, hints or None)
            value = function(*args)
            if inspect.isawaitable(value):
                value = await value
            result = (await converter.encode_wrapper([value])).SerializeToString()
        except Exception as exc:  # the attempt fails with it, as in the Python SDK
            failure = failure_pb.Failure()
            await converter.encode_failure(exc, failure)
            data = failure.SerializeToString()
            await runtime.call("none", lambda cancel, cb, ud: lib.solo_worker_fail(
                self.ptr, token, len(token), data, len(data), None, 0, cancel, cb, ud))
            return
        await runtime.call("none", lambda cancel, cb, ud: lib.solo_worker_complete(
            self.ptr, token, len(token), result, len(result), cancel, cb, ud))
        self.served += 1

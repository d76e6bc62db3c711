"""A Python worker with the activities the interop suite starts from Rust and the CLI.

    python py_worker.py --address 127.0.0.1:7233 --task-queue Q [--namespace default]
                        [--stop-on-stdin-eof]

Prints `READY` once it polls. Stops cleanly on SIGTERM/SIGINT, and with
`--stop-on-stdin-eof` when its standard input closes (so it dies with its parent).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.client import Client
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Worker

from interop_types import Customer, Order, to_json, type_name


@activity.defn
async def echo(value: Any) -> Any:
    """Returns its argument as the JSON converter decoded it (no type hints)."""
    return value


@activity.defn
async def echo_order(order: Order) -> Order:
    """Returns the order after checking it was decoded into nested dataclasses."""
    if not isinstance(order.customer, Customer) or not all(
        type_name(item) == "LineItem" for item in order.items
    ):
        raise ApplicationError(
            f"order was not decoded into dataclasses: {order!r}",
            type="BadShape",
            non_retryable=True,
        )
    return order


@activity.defn
async def echo_bytes(data: bytes) -> bytes:
    if not isinstance(data, bytes):
        raise ApplicationError(
            f"expected bytes, got {type_name(data)}", type="BadShape", non_retryable=True
        )
    return data


@activity.defn
async def echo_int(value: int) -> int:
    """Typed: an argument that is not a number fails to decode."""
    return value


@activity.defn
async def inspect_value(value: Any) -> dict:
    """Reports the Python type the argument arrived as, and the value itself."""
    return {"python_type": type_name(value), "value": to_json(value)}


@activity.defn
async def concat(a: str, b: int, c: list[str]) -> str:
    """Three arguments, three payloads."""
    return f"{a}|{b}|{','.join(c)}"


@activity.defn
async def greet_two(greeting: str, order: Order) -> str:
    """Two typed arguments, two payloads (solo's twin takes `(String, Order)`)."""
    return f"{greeting}, {order.customer.name}: {len(order.items)} items"


@activity.defn
async def proto_echo(execution: WorkflowExecution) -> WorkflowExecution:
    """A protobuf message in and out (`json/protobuf` out, either protobuf encoding in)."""
    if not isinstance(execution, WorkflowExecution):
        raise ApplicationError(
            f"expected a WorkflowExecution, got {type_name(execution)}",
            type="BadShape",
            non_retryable=True,
        )
    return WorkflowExecution(
        workflow_id=execution.workflow_id, run_id=execution.run_id + "-echoed"
    )


@activity.defn
async def no_args() -> str:
    return "called with no arguments"


@activity.defn
async def nothing() -> None:
    """No argument, no result."""


@activity.defn
async def fail_application(spec: dict) -> None:
    """Raises ApplicationError(message, *details, type=..., non_retryable=...)."""
    delay = spec.get("next_retry_delay")
    raise ApplicationError(
        spec["message"],
        *spec.get("details", []),
        type=spec.get("type"),
        non_retryable=spec.get("non_retryable", False),
        next_retry_delay=timedelta(seconds=delay) if delay is not None else None,
    )


@activity.defn
async def fail_exception(message: str) -> None:
    """A plain exception, as an unexpected bug in activity code would raise."""
    raise RuntimeError(message)


@activity.defn
async def sleep(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@activity.defn
async def heartbeat_until_cancelled(details: Any) -> str:
    """Heartbeats `details` until cancelled; the cancellation propagates out."""
    while True:
        activity.heartbeat(details)
        await asyncio.sleep(0.2)


@activity.defn
def heartbeat_until_cancelled_sync(details: Any) -> str:
    """The same, as a blocking activity on the thread pool."""
    while True:
        activity.heartbeat(details)
        activity.wait_for_cancelled_sync(0.2)
        if activity.is_cancelled():
            raise CancelledError("cancelled in a thread")


@activity.defn
async def retry_then_succeed(succeed_on_attempt: int) -> dict:
    """Heartbeats and fails until the given attempt, which returns what it was resumed with."""
    info = activity.info()
    if info.attempt < succeed_on_attempt:
        activity.heartbeat({"attempt": info.attempt, "progress": f"step-{info.attempt}"})
        raise ApplicationError(f"attempt {info.attempt} is too early", type="NotYet")
    return {
        "attempt": info.attempt,
        "heartbeat_details": to_json(list(info.heartbeat_details)),
    }


@activity.defn
async def activity_info() -> dict:
    """The activity.info() a Python activity sees when started by another SDK."""
    info = activity.info()
    return to_json(
        {
            "activity_id": info.activity_id,
            "activity_type": info.activity_type,
            "attempt": info.attempt,
            "namespace": info.namespace,
            "task_queue": info.task_queue,
            "workflow_id": info.workflow_id,
            "is_local": info.is_local,
            "heartbeat_timeout": info.heartbeat_timeout,
            "start_to_close_timeout": info.start_to_close_timeout,
            "schedule_to_close_timeout": info.schedule_to_close_timeout,
            "heartbeat_details": list(info.heartbeat_details),
        }
    )


@activity.defn
async def complete_async() -> Any:
    """Logs its task token (`ASYNC_TASK_TOKEN <activity id> <base64>` on stderr) and
    completes asynchronously: whoever holds its id or token reports the outcome."""
    info = activity.info()
    token = base64.b64encode(info.task_token).decode("ascii")
    print(f"ASYNC_TASK_TOKEN {info.activity_id} {token}", file=sys.stderr, flush=True)
    activity.raise_complete_async()


ACTIVITIES = [
    echo,
    echo_order,
    echo_bytes,
    echo_int,
    inspect_value,
    concat,
    greet_two,
    proto_echo,
    no_args,
    nothing,
    fail_application,
    fail_exception,
    sleep,
    heartbeat_until_cancelled,
    heartbeat_until_cancelled_sync,
    retry_then_succeed,
    activity_info,
    complete_async,
]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--stop-on-stdin-eof", action="store_true")
    args = parser.parse_args()

    client = await Client.connect(args.address, namespace=args.namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.stop_on_stdin_eof:

        def watch_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch_stdin, daemon=True).start()

    worker = Worker(
        client,
        task_queue=args.task_queue,
        activities=ACTIVITIES,
        activity_executor=ThreadPoolExecutor(8),
        identity=f"{os.getpid()}@python-interop-worker",
        # Heartbeats reach the server (and cancellations come back) within a second even
        # when an activity has no heartbeat timeout.
        max_heartbeat_throttle_interval=timedelta(seconds=1),
        default_heartbeat_throttle_interval=timedelta(seconds=1),
    )
    async with worker:
        print("READY", flush=True)
        await stop.wait()
    # stdout may be gone with the parent; the log (stderr) records the stop.
    print(f"stopped at {time.strftime('%H:%M:%S')}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    # Skip interpreter finalization, where the SDK's native runtime can abort.
    os._exit(0)

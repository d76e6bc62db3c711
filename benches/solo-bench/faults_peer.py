"""The Python SDK's side of solo-bench's `faults` scenario (run by `solo-bench --mode suite`).

One process with a worker and a client on one `Client`, both connected to `--address` (the
suite's fault proxy) with the SDK's defaults. It prints the ready mark on stderr, waits for a
`go` line on stdin, then executes `--n` echo activities, `--concurrency` at a time, each with
its own input, and checks every result. On stdout, one JSON line per completed activity
(`{"scenario": "faults-progress", "completed": k, "t": <unix seconds>}`) and at the end one
summary line (`{"scenario": "faults", ...}`: completed, errors, first error, wall time).

Every wait is bounded: each activity by `--call-timeout`, the whole run by `--deadline`; the
process ends by itself (with `os._exit`, so no SDK thread can keep it alive).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

READY_MARK = "solo-bench: ready"


RETRIED = [0]


@activity.defn(name="faults_echo")
async def faults_echo(value: str) -> str:
    # A retry means that an earlier attempt timed out: its task or its result was lost.
    if activity.info().attempt > 1:
        RETRIED[0] += 1
    return value


def emit(line: dict) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def describe(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    return " ".join(text.split())[:300]


async def run(args: argparse.Namespace) -> dict:
    client = await asyncio.wait_for(Client.connect(args.address), timeout=60)
    worker = Worker(client, task_queue=args.task_queue, activities=[faults_echo])
    counts = {"completed": 0, "errors": 0, "wrong": 0}
    first_error: list[str] = []
    next_index = [0]
    stopping = [False]

    def failed(message: str) -> None:
        counts["errors"] += 1
        if not first_error:
            first_error.append(message)

    async def lane() -> None:
        while next_index[0] < args.n:
            i = next_index[0]
            next_index[0] += 1
            activity_id = f"{args.prefix}-{i}"
            value = f"{activity_id}-input"
            try:
                handle = await asyncio.wait_for(
                    client.start_activity(
                        "faults_echo",
                        value,
                        id=activity_id,
                        task_queue=args.task_queue,
                        start_to_close_timeout=timedelta(seconds=args.start_to_close),
                    ),
                    timeout=args.call_timeout,
                )
                got = await asyncio.wait_for(handle.result(), timeout=args.call_timeout)
            except asyncio.TimeoutError:
                failed(f"activity {activity_id}: no result within {args.call_timeout} s")
                continue
            except asyncio.CancelledError as err:
                # The SDK can raise CancelledError for a call the network cancelled; only the
                # deadline's own cancellation of this lane ends it.
                if stopping[0]:
                    raise
                failed(f"activity {activity_id}: {describe(err)}")
                continue
            except Exception as err:  # noqa: BLE001 - every raised call counts as an error
                failed(f"activity {activity_id}: {describe(err)}")
                continue
            if got != value:
                counts["wrong"] += 1
                failed(f"activity {activity_id}: returned {got!r}, expected {value!r}")
                continue
            counts["completed"] += 1
            emit(
                {
                    "scenario": "faults-progress",
                    "sdk": "python",
                    "completed": counts["completed"],
                    "t": time.time(),
                }
            )

    running = asyncio.ensure_future(worker.run())
    print(f"{READY_MARK} python faults-peer", file=sys.stderr, flush=True)
    loop = asyncio.get_running_loop()
    go = await loop.run_in_executor(None, sys.stdin.readline)
    if go.strip() != "go":
        raise SystemExit(f"expected `go` on stdin, got {go!r}")
    started = time.monotonic()
    lanes = [asyncio.ensure_future(lane()) for _ in range(args.concurrency)]
    _done, pending = await asyncio.wait(lanes, timeout=args.deadline)
    stopping[0] = True
    for task in pending:
        task.cancel()
    if pending:
        unfinished = args.n - counts["completed"] - counts["errors"]
        counts["errors"] += unfinished
        if not first_error:
            first_error.append(f"{unfinished} activities unfinished after {args.deadline} s")
    wall = time.monotonic() - started
    summary = {
        "scenario": "faults",
        "sdk": "python",
        "n": args.n,
        "concurrency": args.concurrency,
        "completed": counts["completed"],
        "errors": counts["errors"],
        "wrong_results": counts["wrong"],
        "retried_attempts": RETRIED[0],
        "first_error": first_error[0] if first_error else None,
        "wall_s": round(wall, 3),
    }
    emit(summary)
    # The summary is out: shut the worker down, bounded, and leave.
    try:
        await asyncio.wait_for(worker.shutdown(), timeout=10)
        await asyncio.wait_for(running, timeout=5)
    except BaseException:  # noqa: BLE001 - the figures are already reported
        pass
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(prog="faults_peer.py")
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--start-to-close", type=float, default=10.0)
    parser.add_argument("--call-timeout", type=float, default=120.0)
    parser.add_argument("--deadline", type=float, default=600.0)
    args = parser.parse_args()
    code = 0
    try:
        asyncio.run(asyncio.wait_for(run(args), timeout=args.deadline + 120))
    except BaseException as err:  # noqa: BLE001 - report and exit, whatever happened
        print(f"faults_peer.py: {describe(err)}", file=sys.stderr, flush=True)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()

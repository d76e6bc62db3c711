"""The Python binding over solo's C ABI (solo_ffi.py), as the seed's programs.

    python demo.py --address A worker --task-queue T      # serves compose_greeting until stdin closes
    python demo.py --address A execute --task-queue T --id ID   # the binding's client runs it
    python demo.py --address A sdk-execute --task-queue T --id ID   # the Python SDK's client runs it

`worker` prints READY once polling and, after stdin closes, STOPPED with the number of tasks
served. `execute` and `sdk-execute` print one JSON object: the result, and for `execute` what
describe and count report about the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass
from datetime import timedelta

from solo_ffi import Client, Runtime, Worker


@dataclass
class ComposeGreetingInput:
    greeting: str
    name: str


def compose_greeting(input: ComposeGreetingInput) -> str:
    """The seed's activity, served by the binding's worker."""
    return f"{input.greeting}, {input.name}!"


async def worker(args: argparse.Namespace) -> None:
    runtime = Runtime()
    client = await Client.connect(runtime, args.address, args.namespace)
    w = Worker(client, args.task_queue, {"compose_greeting": compose_greeting})
    running = asyncio.ensure_future(w.run())
    print(f"READY solo {runtime.version}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await w.shutdown()
    await running
    print(f"STOPPED served={w.served}", flush=True)
    w.close()
    client.close()
    runtime.close()


async def execute(args: argparse.Namespace) -> None:
    runtime = Runtime()
    client = await Client.connect(runtime, args.address, args.namespace)
    result = await client.execute(
        "compose_greeting",
        ComposeGreetingInput(greeting="Hello", name="World"),
        id=args.id,
        task_queue=args.task_queue,
        result_type=str,
        start_to_close_timeout=timedelta(seconds=10),
    )
    described = await client.describe(args.id)
    query = f"ActivityId = '{args.id}'"
    # The visibility store may lag a moment behind the close: ask again for up to 10 s.
    for _ in range(100):
        counted = await client.count(query)
        listed = await client.list(query)
        if counted.count == 1 and len(listed.executions) == 1:
            break
        await asyncio.sleep(0.1)
    print(json.dumps({
        "result": result,
        "status": described.info.status,
        "activity_type": described.info.activity_type.name,
        "count": counted.count,
        "listed": [e.activity_id for e in listed.executions],
    }), flush=True)
    client.close()
    runtime.close()


async def sdk_execute(args: argparse.Namespace) -> None:
    from temporalio.client import Client as SdkClient

    client = await SdkClient.connect(args.address, namespace=args.namespace)
    result = await client.execute_activity(
        "compose_greeting",
        ComposeGreetingInput(greeting="Hello", name="Python SDK"),
        id=args.id,
        task_queue=args.task_queue,
        result_type=str,
        start_to_close_timeout=timedelta(seconds=10),
    )
    print(json.dumps({"result": result}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--task-queue", required=True)
    for name in ("execute", "sdk-execute"):
        p = sub.add_parser(name)
        p.add_argument("--task-queue", required=True)
        p.add_argument("--id", required=True)
    args = parser.parse_args()
    run = {"worker": worker, "execute": execute, "sdk-execute": sdk_execute}[args.command]
    asyncio.run(run(args))
    if args.command == "sdk-execute":
        # The Python SDK's client can abort while the interpreter tears its runtime down, after
        # the result is printed (seen once in a dozen runs: SIGABRT, nothing on stderr). Like
        # the project's other Python SDK programs, end without that teardown.
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    main()

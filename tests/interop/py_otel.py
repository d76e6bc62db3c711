"""OpenTelemetry trace propagation between the Python SDK and solo.

    python py_otel.py --address A client --type T --id ID --task-queue Q
        Starts a root span, executes activity T (by name, one argument: the string "py")
        through a client with `TracingInterceptor`, and prints one JSON object:
        {"trace_id": <hex of the root span's trace>, "start_span_id": <hex of the
        StartActivity span>, "result": <the activity's result>}.

    python py_otel.py --address A worker --task-queue Q
        Runs a worker with `TracingInterceptor` and the activity `otel_trace_ids`, which
        returns the trace id and the parent span id of its RunActivity span as
        {"trace_id": ..., "span_id": ..., "parent_span_id": ...}. Prints `READY` once it
        polls; stops when its standard input closes.

Spans are kept in memory (nothing is exported anywhere).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
from datetime import timedelta

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Worker

EXPORTER = InMemorySpanExporter()


def setup_tracing() -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    trace.set_tracer_provider(provider)


def hex_trace(value: int) -> str:
    return format(value, "032x")


def hex_span(value: int) -> str:
    return format(value, "016x")


@activity.defn
async def otel_trace_ids(_: str) -> dict:
    ctx = trace.get_current_span().get_span_context()
    parent = getattr(trace.get_current_span(), "parent", None)
    return {
        "trace_id": hex_trace(ctx.trace_id),
        "span_id": hex_span(ctx.span_id),
        "parent_span_id": hex_span(parent.span_id) if parent is not None else None,
    }


async def run_client(args: argparse.Namespace) -> None:
    client = await Client.connect(
        args.address, namespace=args.namespace, interceptors=[TracingInterceptor()]
    )
    tracer = trace.get_tracer("py_otel")
    with tracer.start_as_current_span("py-root") as root:
        result = await client.execute_activity(
            args.type,
            "py",
            id=args.id,
            task_queue=args.task_queue,
            start_to_close_timeout=timedelta(seconds=30),
        )
        trace_id = hex_trace(root.get_span_context().trace_id)
    start_spans = [
        s for s in EXPORTER.get_finished_spans() if s.name.startswith("StartActivity:")
    ]
    print(
        json.dumps(
            {
                "trace_id": trace_id,
                "start_span_id": hex_span(start_spans[0].context.span_id)
                if start_spans
                else None,
                "result": result,
            }
        ),
        flush=True,
    )


async def run_worker(args: argparse.Namespace) -> None:
    client = await Client.connect(
        args.address, namespace=args.namespace, interceptors=[TracingInterceptor()]
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def watch_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    async with Worker(client, task_queue=args.task_queue, activities=[otel_trace_ids]):
        print("READY", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    sub = parser.add_subparsers(dest="command", required=True)
    client = sub.add_parser("client")
    client.add_argument("--type", required=True)
    client.add_argument("--id", required=True)
    client.add_argument("--task-queue", required=True)
    worker = sub.add_parser("worker")
    worker.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    setup_tracing()
    if args.command == "client":
        asyncio.run(run_client(args))
    else:
        asyncio.run(run_worker(args))
    # Skip interpreter finalization: the SDK's native runtime threads can abort it
    # ("PyGILState_Release ... finalizing") after the work is done and printed.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

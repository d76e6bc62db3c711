"""The metrics the Python SDK exports for a standalone-activity client and worker.

    python py_metrics.py --address A --task-queue Q --prometheus-port P

Runs, in one process with the SDK's Prometheus endpoint on 127.0.0.1:P, a worker on queue Q
with the activities `echo_metrics` (returns its input) and `fail_metrics` (raises a
non-retryable application error), executes each once as a standalone activity, waits for the
worker's long polls to come back empty at least once, then reads the endpoint and prints one
JSON object: {"metric_name": {"type": "counter|histogram|gauge", "labels": [...],
"values": {"label": [...]}}, ...}, where
histogram names are given without their `_bucket`/`_sum`/`_count` suffix. solo's
`solo-otel` metrics test compares its own names and attributes against this.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import urllib.request
from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker


@activity.defn
async def echo_metrics(value: str) -> str:
    return value


@activity.defn
async def fail_metrics(value: str) -> str:
    raise ApplicationError("refused: " + value, non_retryable=True)


LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="')
PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(port: int) -> dict:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    types: dict[str, str] = {}
    labels: dict[str, set[str]] = {}
    values: dict[str, dict[str, set[str]]] = {}
    for line in text.decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            continue
        name = m.group(1)
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and types.get(name[: -len(suffix)]) == "histogram":
                name = name[: -len(suffix)]
        keys = set(LABEL.findall(m.group(3) or "")) - {"le"}
        labels.setdefault(name, set()).update(keys)
        for key, value in PAIR.findall(m.group(3) or ""):
            if key != "le":
                values.setdefault(name, {}).setdefault(key, set()).add(value)
    return {
        name: {
            "type": types.get(name, "untyped"),
            "labels": sorted(keys),
            "values": {k: sorted(v) for k, v in sorted(values.get(name, {}).items())},
        }
        for name, keys in sorted(labels.items())
    }


async def run(args: argparse.Namespace) -> None:
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"127.0.0.1:{args.prometheus_port}")
        )
    )
    client = await Client.connect(args.address, namespace=args.namespace, runtime=runtime)
    async with Worker(
        client, task_queue=args.task_queue, activities=[echo_metrics, fail_metrics]
    ):
        await client.execute_activity(
            "echo_metrics",
            "hi",
            id=args.task_queue + "-echo",
            task_queue=args.task_queue,
            start_to_close_timeout=timedelta(seconds=30),
        )
        try:
            await client.execute_activity(
                "fail_metrics",
                "hi",
                id=args.task_queue + "-fail",
                task_queue=args.task_queue,
                start_to_close_timeout=timedelta(seconds=30),
            )
        except Exception:
            pass
        # Let polls come back empty (the server answers an idle long poll after its
        # timeout; the dev-server tests shorten it), so poll-no-task metrics exist.
        await asyncio.sleep(args.idle_seconds)
        print(json.dumps(scrape(args.prometheus_port)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--prometheus-port", type=int, required=True)
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    asyncio.run(run(parser.parse_args()))
    # Skip interpreter finalization: the SDK's native runtime threads can abort it
    # ("PyGILState_Release ... finalizing") after the work is done and printed.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

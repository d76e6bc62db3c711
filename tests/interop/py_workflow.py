"""A Python workflow that schedules one activity on another worker's task queue.

    python py_workflow.py --address A [--namespace N] --workflow-id ID \\
        --activity-type T --activity-task-queue Q [--args JSON] [options]

Runs a Python worker for the workflow `ScheduleActivity` on a task queue of its own (no
activities: the activity runs on whichever worker polls Q, e.g. a solo worker), executes the
workflow once and prints ONE JSON object on stdout:
{"ok": true, "result": ..., "workflow_id": ..., "run_id": ..., "workflow_type": ...} or
{"ok": false, "error": {...}, "workflow_id": ..., "run_id": ...} (the workflow's failure and
its causes, as py_client.py prints errors). Exits 0 either way; a usage error or a crash of
this program exits non-zero.

`--cancel-after S` makes the workflow request cancellation of the activity S seconds after
scheduling it, and wait for the activity to acknowledge it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from datetime import timedelta
from typing import Any

import temporalio.exceptions
from temporalio import workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import Priority, RetryPolicy
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from py_client import error_json

WORKFLOW_TYPE = "ScheduleActivity"


def seconds(value: float | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


@workflow.defn(name=WORKFLOW_TYPE)
class ScheduleActivity:
    """Schedules `spec["activity_type"]` on `spec["task_queue"]` and returns its result."""

    @workflow.run
    async def run(self, spec: dict) -> Any:
        retry = None
        if spec.get("max_attempts") is not None or spec.get("initial_interval") is not None:
            retry = RetryPolicy(
                initial_interval=seconds(spec.get("initial_interval")) or timedelta(seconds=1),
                maximum_attempts=spec.get("max_attempts") or 0,
            )
        priority = Priority(
            priority_key=spec.get("priority_key"), fairness_key=spec.get("fairness_key")
        )
        handle = workflow.start_activity(
            spec["activity_type"],
            args=spec["args"],
            task_queue=spec["task_queue"],
            start_to_close_timeout=seconds(spec["start_to_close"]),
            heartbeat_timeout=seconds(spec.get("heartbeat_timeout")),
            retry_policy=retry,
            priority=priority,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        if spec.get("cancel_after") is not None:
            await workflow.sleep(spec["cancel_after"])
            handle.cancel()
        return await handle


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--address", required=True)
    p.add_argument("--namespace", default="default")
    p.add_argument("--workflow-id", required=True)
    p.add_argument("--activity-type", required=True)
    p.add_argument("--activity-task-queue", required=True)
    p.add_argument("--args", default="[]", help="a JSON list, one entry per argument")
    p.add_argument("--start-to-close", type=float, default=30.0)
    p.add_argument("--heartbeat-timeout", type=float)
    p.add_argument("--max-attempts", type=int)
    p.add_argument("--initial-interval", type=float)
    p.add_argument("--priority-key", type=int)
    p.add_argument("--fairness-key")
    p.add_argument("--cancel-after", type=float)
    return p


async def execute(client: Client, args: argparse.Namespace) -> dict:
    spec = {
        "activity_type": args.activity_type,
        "task_queue": args.activity_task_queue,
        "args": json.loads(args.args),
        "start_to_close": args.start_to_close,
        "heartbeat_timeout": args.heartbeat_timeout,
        "max_attempts": args.max_attempts,
        "initial_interval": args.initial_interval,
        "priority_key": args.priority_key,
        "fairness_key": args.fairness_key,
        "cancel_after": args.cancel_after,
    }
    task_queue = f"py-workflow-{uuid.uuid4().hex}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ScheduleActivity],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(
            WORKFLOW_TYPE,
            spec,
            id=args.workflow_id,
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=120),
        )
        out: dict[str, Any] = {
            "workflow_id": handle.id,
            "run_id": handle.result_run_id,
            "workflow_type": WORKFLOW_TYPE,
        }
        try:
            out["result"] = await handle.result()
            out["ok"] = True
        except WorkflowFailureError as err:
            out["ok"] = False
            out["error"] = error_json(err)
        return out


async def main() -> None:
    args = parser().parse_args()
    try:
        client = await Client.connect(args.address, namespace=args.namespace)
        out = await execute(client, args)
    except (temporalio.exceptions.TemporalError, RPCError) as err:
        out = {"ok": False, "error": error_json(err)}
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
    # The SDK's native runtime can abort while the interpreter finalizes; the answer is
    # already written, so skip finalization.
    os._exit(0)

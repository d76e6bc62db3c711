"""A Python client for Standalone Activities, driven by the interop suite.

    python py_client.py --address A [--namespace N] <command> [options]

Commands: execute, start, result, describe, cancel, terminate, list, count,
async-handle (heartbeat, complete, fail or report the cancellation of an activity
that completes asynchronously, by --id/--run-id or --task-token), and batch
(several of those at once, concurrently, on one connection).
Every command prints ONE JSON object on stdout: {"ok": true, ...} or
{"ok": false, "error": {...}} (the exception, its failure fields and its causes),
and exits 0 either way; a usage error or a crash of this program exits non-zero.

Arguments and results use the JSON markers of interop_types ({"$bytes": ...},
{"$dataclass": ...}).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
from datetime import timedelta
from typing import Any

import temporalio.exceptions
from temporalio.client import (
    ActivityFailureError,
    AsyncActivityCancelledError,
    Client,
)
from temporalio.common import RetryPolicy
from temporalio.service import RPCError

from interop_types import RESULT_TYPES, from_json, to_json, type_name


def error_json(err: BaseException) -> dict:
    """Everything the Rust side may assert on about an exception, causes included."""
    out: dict[str, Any] = {"class": type(err).__name__, "message": str(err)}
    if isinstance(err, temporalio.exceptions.FailureError):
        out["message"] = err.message
        if err.failure is not None:
            out["source"] = err.failure.source
            out["stack_trace"] = err.failure.stack_trace
    if isinstance(err, temporalio.exceptions.ApplicationError):
        out["type"] = err.type
        out["non_retryable"] = err.non_retryable
        out["details"] = to_json(list(err.details))
        out["next_retry_delay"] = to_json(err.next_retry_delay)
        out["category"] = err.category.name
    elif isinstance(err, temporalio.exceptions.CancelledError):
        out["details"] = to_json(list(err.details))
    elif isinstance(err, temporalio.exceptions.TerminatedError):
        out["details"] = to_json(list(err.details))
    elif isinstance(err, temporalio.exceptions.TimeoutError):
        out["timeout_type"] = err.type.name if err.type is not None else None
        out["last_heartbeat_details"] = to_json(list(err.last_heartbeat_details))
    elif isinstance(err, temporalio.exceptions.ServerError):
        out["non_retryable"] = err.non_retryable
    elif isinstance(err, RPCError):
        out["status"] = err.status.name
    cause = err.__cause__
    out["cause"] = error_json(cause) if cause is not None else None
    return out


def seconds(value: float | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


def retry_policy(args: argparse.Namespace) -> RetryPolicy | None:
    if (
        args.max_attempts is None
        and args.initial_interval is None
        and not args.non_retryable_types
    ):
        return None
    return RetryPolicy(
        initial_interval=seconds(args.initial_interval) or timedelta(seconds=1),
        backoff_coefficient=args.backoff if args.backoff is not None else 2.0,
        maximum_attempts=args.max_attempts or 0,
        non_retryable_error_types=args.non_retryable_types or None,
    )


async def start(client: Client, args: argparse.Namespace):
    return await client.start_activity(
        args.type,
        args=from_json(json.loads(args.args)),
        id=args.id,
        task_queue=args.task_queue,
        result_type=RESULT_TYPES[args.result_type] if args.result_type else None,
        start_to_close_timeout=seconds(args.start_to_close),
        schedule_to_close_timeout=seconds(args.schedule_to_close),
        schedule_to_start_timeout=seconds(args.schedule_to_start),
        heartbeat_timeout=seconds(args.heartbeat_timeout),
        retry_policy=retry_policy(args),
    )


def result_json(value: Any) -> dict:
    return {"result": to_json(value), "result_python_type": type_name(value)}


async def cmd_execute(client: Client, args: argparse.Namespace) -> dict:
    handle = await start(client, args)
    out = {"activity_id": handle.id, "run_id": handle.run_id}
    try:
        return {**out, **result_json(await handle.result())}
    except ActivityFailureError as err:
        return {**out, "ok": False, "error": error_json(err)}


async def cmd_start(client: Client, args: argparse.Namespace) -> dict:
    handle = await start(client, args)
    return {"activity_id": handle.id, "run_id": handle.run_id}


def handle_for(client: Client, args: argparse.Namespace):
    result_type = getattr(args, "result_type", None)
    return client.get_activity_handle(
        args.id,
        run_id=args.run_id,
        **({"result_type": RESULT_TYPES[result_type]} if result_type else {}),
    )


async def cmd_result(client: Client, args: argparse.Namespace) -> dict:
    return result_json(await handle_for(client, args).result())


async def cmd_describe(client: Client, args: argparse.Namespace) -> dict:
    d = await handle_for(client, args).describe(
        include_input=True,
        include_outcome=True,
        include_heartbeat_details=True,
        include_last_failure=True,
    )
    last_failure = await d.last_failure()
    outcome_failure = await d.outcome_failure()
    rp = d.retry_policy
    return {
        "activity_id": d.activity_id,
        "run_id": d.activity_run_id,
        "activity_type": d.activity_type,
        "status": d.status.name,
        "run_state": d.run_state.name if d.run_state is not None else None,
        "task_queue": d.task_queue,
        "attempt": d.attempt,
        "input": to_json(await d.input()),
        "has_heartbeat_details": d.has_heartbeat_details(),
        "heartbeat_details": to_json(await d.heartbeat_details()),
        "last_heartbeat_time": d.last_heartbeat_time.isoformat()
        if d.last_heartbeat_time
        else None,
        "total_heartbeat_count": d.total_heartbeat_count,
        "last_failure": error_json(last_failure) if last_failure else None,
        "canceled_reason": d.canceled_reason,
        "last_worker_identity": d.last_worker_identity,
        "start_to_close_timeout": to_json(d.start_to_close_timeout),
        "schedule_to_close_timeout": to_json(d.schedule_to_close_timeout),
        "heartbeat_timeout": to_json(d.heartbeat_timeout),
        "retry_policy": {
            "initial_interval": to_json(rp.initial_interval),
            "backoff_coefficient": rp.backoff_coefficient,
            "maximum_interval": to_json(rp.maximum_interval),
            "maximum_attempts": rp.maximum_attempts,
            "non_retryable_error_types": list(rp.non_retryable_error_types or []),
        }
        if rp
        else None,
        "close_time": d.close_time.isoformat() if d.close_time else None,
        "has_result": d.has_result(),
        "result": to_json(await d.result()),
        "outcome_failure": error_json(outcome_failure) if outcome_failure else None,
    }


async def cmd_cancel(client: Client, args: argparse.Namespace) -> dict:
    await handle_for(client, args).cancel(reason=args.reason)
    return {}


async def cmd_terminate(client: Client, args: argparse.Namespace) -> dict:
    await handle_for(client, args).terminate(reason=args.reason)
    return {}


async def cmd_list(client: Client, args: argparse.Namespace) -> dict:
    executions = [
        {
            "activity_id": e.activity_id,
            "run_id": e.activity_run_id,
            "activity_type": e.activity_type,
            "status": e.status.name,
            "task_queue": e.task_queue,
            "close_time": e.close_time.isoformat() if e.close_time else None,
        }
        async for e in client.list_activities(args.query, limit=args.limit)
    ]
    return {"executions": executions}


async def cmd_count(client: Client, args: argparse.Namespace) -> dict:
    count = await client.count_activities(args.query)
    return {
        "count": count.count,
        "groups": [
            {"values": to_json(list(g.group_values)), "count": g.count}
            for g in count.groups
        ],
    }


async def cmd_async_handle(client: Client, args: argparse.Namespace) -> dict:
    if args.task_token is not None:
        handle = client.get_async_activity_handle(
            task_token=base64.b64decode(args.task_token)
        )
    else:
        handle = client.get_async_activity_handle(
            activity_id=args.id, run_id=args.run_id
        )
    value = from_json(json.loads(args.value)) if args.value is not None else None
    values = [] if args.value is None else [value]
    if args.action == "heartbeat":
        try:
            await handle.heartbeat(*values)
        except AsyncActivityCancelledError as err:
            d = err.details
            return {
                "stop_requested": True,
                "cancel_requested": bool(d and d.cancel_requested),
            }
        return {"stop_requested": False}
    if args.action == "complete":
        await handle.complete(value)
    elif args.action == "fail":
        await handle.fail(
            temporalio.exceptions.ApplicationError(
                str(value), type=args.error_type, non_retryable=True
            )
        )
    else:
        await handle.report_cancellation(*values)
    return {}


async def run_one(client: Client, args: argparse.Namespace) -> dict:
    try:
        return {"ok": True, **await args.fn(client, args)}
    except (temporalio.exceptions.TemporalError, RPCError) as err:
        return {"ok": False, "error": error_json(err)}


async def cmd_batch(client: Client, args: argparse.Namespace) -> dict:
    """Runs several commands concurrently on one connection: saves a process start each."""
    p = parser()
    commands = [
        p.parse_args(["--address", "-", *argv]) for argv in json.loads(args.commands)
    ]
    return {"results": await asyncio.gather(*(run_one(client, c) for c in commands))}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--address", required=True)
    p.add_argument("--namespace", default="default")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, fn, *, by_id: bool = False):
        s = sub.add_parser(name)
        s.set_defaults(fn=fn)
        if by_id:
            s.add_argument("--id", required=True)
            s.add_argument("--run-id")
        return s

    for name, fn in (("execute", cmd_execute), ("start", cmd_start)):
        s = add(name, fn)
        s.add_argument("--type", required=True)
        s.add_argument("--id", required=True)
        s.add_argument("--task-queue", required=True)
        s.add_argument("--args", default="[]", help="a JSON list, one entry per argument")
        s.add_argument("--result-type", choices=sorted(RESULT_TYPES))
        s.add_argument("--start-to-close", type=float)
        s.add_argument("--schedule-to-close", type=float)
        s.add_argument("--schedule-to-start", type=float)
        s.add_argument("--heartbeat-timeout", type=float)
        s.add_argument("--max-attempts", type=int)
        s.add_argument("--initial-interval", type=float)
        s.add_argument("--backoff", type=float)
        s.add_argument("--non-retryable-types", nargs="*")
    add("result", cmd_result, by_id=True).add_argument(
        "--result-type", choices=sorted(RESULT_TYPES)
    )
    add("describe", cmd_describe, by_id=True)
    add("cancel", cmd_cancel, by_id=True).add_argument("--reason")
    add("terminate", cmd_terminate, by_id=True).add_argument("--reason")
    s = add("async-handle", cmd_async_handle)
    s.add_argument(
        "--action",
        required=True,
        choices=["heartbeat", "complete", "fail", "report-cancellation"],
    )
    s.add_argument("--id")
    s.add_argument("--run-id")
    s.add_argument("--task-token", help="base64")
    s.add_argument("--value", help="JSON: the result, heartbeat detail or failure message")
    s.add_argument("--error-type")
    s = add("list", cmd_list)
    s.add_argument("--query", required=True)
    s.add_argument("--limit", type=int)
    add("count", cmd_count).add_argument("--query")
    add("batch", cmd_batch).add_argument(
        "--commands", required=True, help="a JSON list of argument lists, one per command"
    )
    return p


async def main() -> None:
    args = parser().parse_args()
    try:
        client = await Client.connect(args.address, namespace=args.namespace)
    except (temporalio.exceptions.TemporalError, RPCError) as err:
        out = {"ok": False, "error": error_json(err)}
    else:
        out = await run_one(client, args)
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
    # The SDK's native runtime can abort while the interpreter finalizes; the answer is
    # already written, so skip finalization.
    os._exit(0)

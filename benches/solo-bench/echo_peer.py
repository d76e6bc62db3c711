"""The Python SDK's side of solo-bench's echo scenario (run by `solo-bench --mode suite --peers`).

Two roles, the same processes and protocol as solo's `--mode worker` and `--mode client`:

- `--role worker`: a `temporalio` Worker with one activity, `echo` (returns its input), polling
  `--task-queue` with `--pollers` activity pollers. It prints the ready mark on stderr and runs
  until SIGTERM or SIGINT; then it prints one `echo-worker` JSON line on stdout (tasks
  completed, its own CPU and memory over its life).
- `--role client`: starts each activity with `Client.start_activity` and awaits
  `ActivityHandle.result`, `--concurrency` at a time, after `--warmup` unmeasured ones. With
  `--stepped` it prints the ready mark, then runs one measured step per `go <count>` line on
  stdin, acknowledging each with a `step` line; end of input ends the run. It prints one `echo`
  line with the figures of the measured steps: start-to-result latency per activity, its own
  CPU (`getrusage`), and the worker's and the server's (`--worker-pid`, `--server-pid`) from
  `/proc`, the same readings as solo-bench's own client (`measure.rs`): per-thread
  `schedstat` nanoseconds when every thread seen at the start is still alive at the end,
  otherwise `/proc/<pid>/stat` clock ticks.

The activity calls are what a user writes, with no bound of their own (as in solo's client): the
suite bounds every step and kills its children when it ends. The process ends with `os._exit`,
so no SDK thread can keep it alive.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import signal
import sys
import time
from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

READY_MARK = "solo-bench: ready"
SDK = "python"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

COMPLETED = [0]


@activity.defn(name="echo")
async def echo(value: str) -> str:
    COMPLETED[0] += 1
    return value


def emit(line: dict) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def describe(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    return " ".join(text.split())[:300]


# --- what the operating system says about a process ------------------------------------------


def self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pid_cpu_s(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name may hold spaces; after its closing parenthesis, utime and stime are
    # the 12th and 13th fields.
    fields = stat[stat.rfind(")") + 1 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_cpu_ns(pid: int) -> dict[int, int] | None:
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    threads = {}
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                threads[int(tid)] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that exited between the listing and the read
    return threads


class PidCpu:
    """A CPU reading of another process, to difference later (as `measure.rs` `PidCpu`)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.threads = thread_cpu_ns(pid)
        self.start = pid_cpu_s(pid)

    def elapsed(self) -> float | None:
        now = pid_cpu_s(self.pid)
        if now is None or self.start is None:
            return None
        after = thread_cpu_ns(self.pid)
        if self.threads is not None and after is not None:
            if all(tid in after for tid in self.threads):
                delta = sum(max(ns - self.threads.get(tid, 0), 0) for tid, ns in after.items())
                return delta / 1e9
        return now - self.start


def pid_memory_mb(pid: int | str) -> tuple[float, float] | None:
    """(VmRSS, VmHWM) in MiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
    except OSError:
        return None
    values = {}
    for line in status.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = float(rest.strip().removesuffix("kB").strip()) / 1024.0
    if "VmRSS" not in values or "VmHWM" not in values:
        return None
    return values["VmRSS"], values["VmHWM"]


def percentile_ms(sorted_s: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not sorted_s:
        return None
    rank = min(max(math.ceil(q * len(sorted_s)), 1), len(sorted_s))
    return sorted_s[rank - 1] * 1e3


def rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --- the worker ------------------------------------------------------------------------------


async def run_worker(args: argparse.Namespace) -> None:
    client = await asyncio.wait_for(
        Client.connect(args.address, namespace=args.namespace), timeout=60
    )
    worker = Worker(
        client,
        task_queue=args.task_queue,
        activities=[echo],
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=args.pollers),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    running = asyncio.ensure_future(worker.run())
    print(f"{READY_MARK} {SDK} worker", file=sys.stderr, flush=True)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait([running, stopped], return_when=asyncio.FIRST_COMPLETED)
    if running.done():
        running.result()
        raise RuntimeError("the worker stopped before it was asked to")
    try:
        await asyncio.wait_for(worker.shutdown(), timeout=10)
    except BaseException as err:  # noqa: BLE001 - report the figures regardless
        print(f"echo_peer.py: worker shutdown: {describe(err)}", file=sys.stderr, flush=True)
    cpu = self_cpu_s()
    memory = pid_memory_mb("self") or (0.0, 0.0)
    completed = COMPLETED[0]
    emit(
        {
            "scenario": "echo-worker",
            "sdk": SDK,
            "completed": completed,
            "worker_cpu_s": round(cpu, 4),
            "worker_cpu_ms_per_act": round(cpu * 1e3 / completed, 4) if completed else None,
            "worker_peak_rss_mb": round(memory[1], 1),
            "worker_rss_mb": round(memory[0], 1),
        }
    )


# --- the client ------------------------------------------------------------------------------


class Stretch:
    """What one measured stretch of the loop cost (as `harness.rs` `Measured`)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error: str | None = None
        self.wall = 0.0
        self.client_cpu_s = 0.0
        self.worker_cpu_s: float | None = None
        self.server_cpu_s: float | None = None

    def add(self, part: Stretch) -> None:
        self.latencies.extend(part.latencies)
        self.errors += part.errors
        if self.first_error is None:
            self.first_error = part.first_error
        self.wall += part.wall
        self.client_cpu_s += part.client_cpu_s
        for key in ("worker_cpu_s", "server_cpu_s"):
            mine, theirs = getattr(self, key), getattr(part, key)
            if theirs is not None:
                setattr(self, key, (mine or 0.0) + theirs)


async def run_loop(indexes: range, concurrency: int, op) -> Stretch:
    """Runs `op(i)` for every index, `concurrency` lanes at a time, timing each."""
    result = Stretch()
    pending = iter(indexes)

    async def lane() -> None:
        for i in pending:
            started = time.perf_counter()
            try:
                await op(i)
            except Exception as err:  # noqa: BLE001 - every failed activity counts
                result.errors += 1
                if result.first_error is None:
                    result.first_error = describe(err)
                continue
            result.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    lanes = max(1, min(concurrency, len(indexes)))
    await asyncio.gather(*(lane() for _ in range(lanes)))
    result.wall = time.perf_counter() - started
    return result


async def measured(indexes: range, args: argparse.Namespace, op) -> Stretch:
    client_cpu = self_cpu_s()
    worker_cpu = PidCpu(args.worker_pid) if args.worker_pid else None
    server_cpu = PidCpu(args.server_pid) if args.server_pid else None
    part = await run_loop(indexes, args.concurrency, op)
    part.client_cpu_s = self_cpu_s() - client_cpu
    part.worker_cpu_s = worker_cpu.elapsed() if worker_cpu else None
    part.server_cpu_s = server_cpu.elapsed() if server_cpu else None
    return part


async def run_client(args: argparse.Namespace) -> bool:
    client = await asyncio.wait_for(
        Client.connect(args.address, namespace=args.namespace), timeout=60
    )
    prefix = f"{SDK}-{os.getpid()}-{int(time.time() * 1000)}"

    async def op(i: int) -> None:
        activity_id = f"{prefix}-{i}"

        handle = await client.start_activity(
            "echo",
            activity_id,
            id=activity_id,
            task_queue=args.task_queue,
            start_to_close_timeout=timedelta(seconds=60),
        )
        got = await handle.result()
        if got != activity_id:
            raise ValueError(f"echo returned {got!r} for {activity_id!r}")

    if args.warmup > 0:
        base = 1 << 62  # warm-up activities take indexes past any measured ones
        warm = await run_loop(range(base, base + args.warmup), args.concurrency, op)
        if warm.first_error is not None:
            raise RuntimeError(
                f"warm-up failed ({warm.errors} of {args.warmup}): {warm.first_error}"
            )

    total = Stretch()
    if args.stepped:
        print(f"{READY_MARK} client", file=sys.stderr, flush=True)
        loop = asyncio.get_running_loop()
        next_index = 0
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            words = line.split()
            if len(words) != 2 or words[0] != "go" or not words[1].isdigit():
                raise ValueError(f"expected `go <count>`, got {line.strip()!r}")
            count = int(words[1])
            part = await measured(range(next_index, next_index + count), args, op)
            next_index += count
            emit({"scenario": "step", "sdk": SDK, "done": len(part.latencies)})
            total.add(part)
    else:
        total = await measured(range(args.n), args, op)

    latencies = sorted(total.latencies)
    done = len(latencies)
    n = done + total.errors
    worker_memory = pid_memory_mb(args.worker_pid) if args.worker_pid else None
    client_memory = pid_memory_mb("self") or (0.0, 0.0)

    def per_act_ms(cpu_s: float | None) -> float | None:
        return None if cpu_s is None else round(cpu_s * 1e3 / max(done, 1), 4)

    emit(
        {
            "scenario": "echo",
            "sdk": SDK,
            "n": n,
            "concurrency": args.concurrency,
            "completed": done,
            "errors": total.errors,
            "first_error": total.first_error,
            "wall_s": round(total.wall, 4),
            "acts_per_s": round(done / max(total.wall, 1e-9), 2),
            "p50_ms": rounded(percentile_ms(latencies, 0.50), 3),
            "p99_ms": rounded(percentile_ms(latencies, 0.99), 3),
            "p999_ms": rounded(percentile_ms(latencies, 0.999), 3),
            "client_cpu_s": round(total.client_cpu_s, 4),
            "worker_cpu_s": rounded(total.worker_cpu_s, 3),
            "server_cpu_s": rounded(total.server_cpu_s, 3),
            "client_cpu_ms_per_act": per_act_ms(total.client_cpu_s),
            "worker_cpu_ms_per_act": per_act_ms(total.worker_cpu_s),
            "server_cpu_ms_per_act": per_act_ms(total.server_cpu_s),
            "client_peak_rss_mb": round(client_memory[1], 1),
            "worker_peak_rss_mb": rounded(worker_memory and worker_memory[1], 1),
        }
    )
    if total.errors:
        print(
            f"echo_peer.py: {total.errors} of {n} activities failed; first: {total.first_error}",
            file=sys.stderr,
            flush=True,
        )
    return total.errors == 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="echo_peer.py")
    parser.add_argument("--role", choices=["worker", "client"], required=True)
    parser.add_argument("--address", default="127.0.0.1:7233")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", default="solo-bench")
    parser.add_argument("--pollers", type=int, default=5)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--worker-pid", type=int)
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--stepped", action="store_true")
    args = parser.parse_args()
    args.concurrency = max(args.concurrency, 1)
    code = 0
    try:
        if args.role == "worker":
            asyncio.run(run_worker(args))
        elif not asyncio.run(run_client(args)):
            code = 1
    except BaseException as err:  # noqa: BLE001 - report and exit, whatever happened
        print(f"echo_peer.py --role {args.role}: {describe(err)}", file=sys.stderr, flush=True)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()

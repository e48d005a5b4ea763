"""OpenEnv server throughput beside the in-process env, measured side by side in one run.

Run: python benchmarks/bench_openenv.py [--steps 640] [--rounds 3] [--reader semantic|pair|both]
                                       [--step-threads N]

The server runs as `empathy-gym serve` runs it: its own process (uvicorn on 127.0.0.1 with
`UVICORN_OPTIONS`, started and stopped here), so clients and server do not share a GIL. OpenEnv's own WebSocket client
drives 1, 16 and 64 concurrent sessions (each: reset with its own seed, then unique replies
until --steps in total, resetting when an episode ends); the in-process env steps the same
number of unique replies. Rounds interleave in-process and served runs, and each figure is
the best of --rounds, so the ratio compares numbers measured side by side. Every reply is
unique across the whole run, so no reader memo makes a later round cheaper.

Then where served time goes, per step: the server's CPU by thread (its stepper's, which reads
the replies and moves the dialogues, against the in-process step; its event loop's:
WebSocket, JSON, pydantic, OpenEnv's bookkeeping), the client process's CPU, the mean batch
the stepper read at once, and the round trip one session sees. On a 2-core machine server and
clients each need a core: a busy machine lowers the served figures first.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Iterator

# Issue 21's goal: 16 concurrent sessions serve at least this fraction of the in-process steps/s.
GOAL_RATIO = 0.8
GOAL_SESSIONS = 16
SESSION_COUNTS = (1, GOAL_SESSIONS, 64)
READERS = ("semantic", "pair")  # the fast tier and the default cross-encoder tier
# Each session plays the starter set for 10 turns (the env's default episode length).
ENV = {"persona": "starter", "max_turns": 10}
MAX_SESSIONS = 64
REPLIES = (
    "What has been the hardest part?",
    "That sounds exhausting.",
    "So you've been carrying this alone.",
    "What would help right now?",
    "It makes sense you feel that way.",
)
TIMING_PATH = "/bench/timing"  # the server-mode route that reports the StepClock and CPU time
SERVER_START_S = 120.0  # loading the pair reader's ONNX model takes seconds on a busy machine
SERVER_STOP_S = 10.0  # uvicorn's graceful shutdown: sessions are closed, the stepper joined
WARMUP_STEPS = 64  # first reads fill per-persona memos on both sides before any round counts

_UNIQUE = itertools.count()  # every reply in the run is new to every reader memo


def reply(step: int) -> str:
    """A held-out-style reply no reader has read before in this run."""
    return f"{REPLIES[step % len(REPLIES)]} ({next(_UNIQUE)})"


def in_process(reader: str, steps: int) -> float:
    """Steps/s of one in-process env stepping `steps` unique replies."""
    import gymnasium as gym

    import empathy_gym  # noqa: F401

    env = gym.make("EmpathyDialogue-v0", reader=reader, **ENV)
    env.reset(seed=0)
    start = time.perf_counter()
    for i in range(steps):
        _, _, terminated, truncated, _ = env.step(reply(i))
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


async def session(url: str, seed: int, steps: int) -> tuple[int, float]:
    """One client: reset(seed), then `steps` steps; returns (steps, summed step round trips)."""
    from empathy_gym.serve.openenv import EmpathyEnvClient, ReplyAction

    done, waited = 0, 0.0
    async with EmpathyEnvClient(base_url=url) as client:
        await client.reset(seed=seed)
        while done < steps:
            sent = time.perf_counter()
            result = await client.step(ReplyAction(reply=reply(done)))
            waited += time.perf_counter() - sent
            done += 1
            if result.done:
                await client.reset()
    return done, waited


@dataclass
class Served:
    """One served measurement: throughput and where its time went (seconds, summed)."""

    sessions: int
    steps: int
    wall_s: float
    round_trip_s: float
    client_cpu_s: float
    server: dict[str, float]  # StepClock and per-thread CPU deltas over the run
    step_threads: int  # the server's stepper threads

    @property
    def rate(self) -> float:
        """Steps per second."""
        return self.steps / self.wall_s

    def per_step_ms(self, seconds: float) -> float:
        """`seconds` spread over this run's steps, in ms."""
        return 1e3 * seconds / self.steps


def timing(url: str) -> dict[str, float]:
    """The server's StepClock totals and process CPU seconds."""
    with urllib.request.urlopen(url + TIMING_PATH, timeout=10) as answer:
        return json.loads(answer.read())


async def _sessions(url: str, sessions: int, per: int) -> list[tuple[int, float]]:
    return await asyncio.gather(*(session(url, s, per) for s in range(sessions)))


def served(url: str, sessions: int, steps: int) -> Served:
    """`sessions` concurrent clients sharing `steps` steps."""
    per = max(1, steps // sessions)
    before, cpu = timing(url), time.process_time()
    start = time.perf_counter()
    results = asyncio.run(_sessions(url, sessions, per))
    wall = time.perf_counter() - start
    client_cpu = time.process_time() - cpu
    after = timing(url)
    server = {key: after[key] - before[key] for key in after if key != "step_threads"}
    total = sum(done for done, _ in results)
    waited = sum(w for _, w in results)
    return Served(sessions, total, wall, waited, client_cpu, server, int(after["step_threads"]))


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def thread_cpu() -> dict[str, float]:
    """This process's CPU seconds by thread role: the event loop (the main thread, where uvicorn
    runs), the stepper's workers, and every other thread (Linux: /proc/self/task)."""
    import os
    import threading

    from empathy_gym.serve.openenv import STEPPER_THREAD

    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    main = threading.main_thread().native_id
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = {"loop_cpu_s": 0.0, "stepper_cpu_s": 0.0, "other_cpu_s": 0.0}
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except FileNotFoundError:  # the thread ended since listdir
            continue
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        name = names.get(int(task), "")
        role = (
            "loop"
            if int(task) == main
            else "stepper"
            if name.startswith(STEPPER_THREAD)
            else "other"
        )
        cpu[f"{role}_cpu_s"] += seconds
    return cpu


def serve(port: int, reader: str, step_threads: int | None) -> None:
    """Server mode (the subprocess): the app plus a route reporting its StepClock and CPU."""
    import uvicorn

    from empathy_gym.serve.openenv import UVICORN_OPTIONS, create_app

    threads = {} if step_threads is None else {"step_threads": step_threads}
    app = create_app({**ENV, "reader": reader}, max_sessions=MAX_SESSIONS, **threads)

    @app.get(TIMING_PATH)
    def _timing() -> dict[str, float]:
        threads = len(app.state.stepper.threads)
        return {**app.state.step_clock.snapshot(), **thread_cpu(), "step_threads": threads}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="critical", **UVICORN_OPTIONS)


class ServerProcess:
    """The server in its own process, for a `with` block."""

    def __init__(self, reader: str, step_threads: int | None):
        self.reader = reader
        self.step_threads = step_threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ServerProcess":
        command = [sys.executable, __file__, "--serve", str(self.port), "--reader", self.reader]
        if self.step_threads is not None:
            command += ["--step-threads", str(self.step_threads)]
        self.process = subprocess.Popen(command)
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server for reader {self.reader!r} exited: {self.process.returncode}"
                )
            try:
                timing(self.url)
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise TimeoutError(f"server for reader {self.reader!r} not up after {SERVER_START_S} s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(SERVER_STOP_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise RuntimeError(
                    f"server for reader {self.reader!r} ignored SIGTERM for {SERVER_STOP_S} s; killed"
                ) from None


def rounds(
    reader: str, steps: int, count: int, step_threads: int | None
) -> Iterator[tuple[float, list[Served]]]:
    """`count` interleaved rounds: the in-process rate, then each session count served."""
    with ServerProcess(reader, step_threads) as server:
        in_process(reader, WARMUP_STEPS)
        served(server.url, GOAL_SESSIONS, WARMUP_STEPS)
        for _ in range(count):
            local = in_process(reader, steps)
            yield local, [served(server.url, n, steps) for n in SESSION_COUNTS]


def report(reader: str, steps: int, count: int, step_threads: int | None) -> None:
    """Measure one reader tier and print the rates, the goal and the breakdown."""
    results = list(rounds(reader, steps, count, step_threads))
    local = max(rate for rate, _ in results)
    best = [
        max((r[i] for _, r in results), key=lambda s: s.rate) for i in range(len(SESSION_COUNTS))
    ]
    threads = best[0].step_threads
    chosen = "the server's default" if step_threads is None else "--step-threads"
    print(
        f"\nreader {reader}: {steps} steps per run, best of {count} interleaved rounds, "
        f"server in its own process, {threads} stepper thread(s) ({chosen})"
    )
    print(f"in-process env         {local:8.0f} steps/s   ({1e3 / local:.2f} ms/step)")
    for run in best:
        goal = ""
        if run.sessions == GOAL_SESSIONS:
            verdict = "met" if run.rate / local >= GOAL_RATIO else "NOT met"
            goal = f"   goal >= {GOAL_RATIO}x with {GOAL_SESSIONS} sessions: {verdict}"
        print(
            f"server, {run.sessions:>2} sessions   {run.rate:8.0f} steps/s = "
            f"{run.rate / local:.2f}x in-process{goal}"
        )
    print(
        "where a served step goes, ms per step (CPU by thread; the in-process env spends "
        f"{1e3 / local:.2f}):"
    )
    print("  sessions   wall   stepper CPU   loop CPU   other   client CPU   batch   round trip")
    for run in best:
        cpu = {key: run.per_step_ms(run.server[key]) for key in run.server if key.endswith("cpu_s")}
        batch = run.server["steps"] / max(1.0, run.server["batches"])
        print(
            f"  {run.sessions:>8} {run.per_step_ms(run.wall_s):6.2f} {cpu['stepper_cpu_s']:13.2f}"
            f" {cpu['loop_cpu_s']:10.2f} {cpu['other_cpu_s']:7.2f}"
            f" {run.per_step_ms(run.client_cpu_s):12.2f} {batch:7.1f}"
            f" {run.per_step_ms(run.round_trip_s):12.2f}"
        )
    print(
        "  stepper: reading the replies and moving the dialogues (env step); loop: WebSocket, "
        "JSON, pydantic, OpenEnv's session bookkeeping; client: OpenEnv's client, all sessions."
    )


def main() -> None:
    """Parse the arguments; run server mode or the benchmark."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=640)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reader", choices=(*READERS, "both"), default="both")
    parser.add_argument(
        "--step-threads",
        type=int,
        default=None,
        help="the server's stepper threads (default: its own)",
    )
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.reader, args.step_threads)
        return
    for reader in READERS if args.reader == "both" else (args.reader,):
        report(reader, args.steps, args.rounds, args.step_threads)


if __name__ == "__main__":
    main()

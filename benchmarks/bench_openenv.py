"""OpenEnv server throughput beside the in-process env, measured side by side in one run.

Run: python benchmarks/bench_openenv.py [--steps 300]

One server process thread (uvicorn on 127.0.0.1) and OpenEnv's own WebSocket client.
Prints steps/s for 1, 16 and 64 concurrent sessions (each session: reset, then steps of
unique held-out-style replies until --steps in total) and for the in-process env stepping
the same replies, and the ratio server / in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
import time

import gymnasium as gym
import uvicorn

import empathy_gym  # noqa: F401
from empathy_gym.serve.openenv import EmpathyEnvClient, ReplyAction, create_app

ENV = {"persona": "starter", "max_turns": 10}
REPLIES = [
    "What has been the hardest part?",
    "That sounds exhausting.",
    "So you've been carrying this alone.",
    "What would help right now?",
    "It makes sense you feel that way.",
]


def in_process(steps: int) -> float:
    env = gym.make("EmpathyDialogue-v0", **ENV)
    env.reset(seed=0)
    start = time.perf_counter()
    for i in range(steps):
        _, _, terminated, truncated, _ = env.step(f"{REPLIES[i % len(REPLIES)]} ({i})")
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


async def session(url: str, seed: int, steps: int) -> int:
    done = 0
    async with EmpathyEnvClient(base_url=url) as client:
        await client.reset(seed=seed)
        while done < steps:
            result = await client.step(
                ReplyAction(reply=f"{REPLIES[done % len(REPLIES)]} ({seed}.{done})")
            )
            done += 1
            if result.done:
                await client.reset()
    return done


async def served(url: str, sessions: int, steps: int) -> float:
    per = max(1, steps // sessions)
    start = time.perf_counter()
    total = sum(await asyncio.gather(*(session(url, s, per) for s in range(sessions))))
    return total / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=640)
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ENV, max_sessions=64), host="127.0.0.1", port=port, log_level="critical"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    local = in_process(args.steps)
    print(f"in-process env        {local:8.0f} steps/s")
    for sessions in (1, 16, 64):
        rate = asyncio.run(served(url, sessions, args.steps))
        print(
            f"server, {sessions:>2} sessions   {rate:8.0f} steps/s   = {rate / local:.2f}x in-process"
        )
    server.should_exit = True
    thread.join(10)


if __name__ == "__main__":
    main()

"""What batching buys: the batched vector env against N envs stepped one by one, side by side.

Run: python benchmarks/bench_batching.py [--latency 0.05] [--turns 3] [--quick]

Two backends play the simulated people:
- the loopback OpenAI-compatible server with a fixed latency per request (a server that
  handles requests concurrently, as vLLM does), answered by `scripted_person_reply`;
- the tiny random-weight transformers model (built locally, CPU).
For N = 1, 8, 32 dialogues it prints steps/s (dialogue turns per second) for the batched
vector env (one backend call per step for all N) and for N envs stepped one by one
(one call per turn), and their ratio. Goal: with latency-bound backends, ratio >= 0.8 x N.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time

from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.vector import EmpathyDialogueVectorEnv
from empathy_gym.llm import SamplingParams
from empathy_gym.llm.openai_compat import OpenAICompatibleBackend
from empathy_gym.simulator.llm_person import LLMSimulatorConfig
from empathy_gym.testing.fake_server import serve_in_subprocess

PERSONAS = ["maria_lost_mother", "lena_antibiotics_cold", "tom_dog_died", "george_widower_alone"]
REPLY = "It sounds like this has been so hard. What has been the hardest part?"


def batched(n: int, backend, turns: int, config: LLMSimulatorConfig) -> float:
    env = EmpathyDialogueVectorEnv(
        n, persona=PERSONAS, max_turns=turns, backend=backend, llm_config=config
    )
    env.reset(seed=0)
    env.step([REPLY] * n)  # warm-up: connections, caches
    start = time.perf_counter()
    for _ in range(turns - 1):
        env.step([REPLY] * n)
    return n * (turns - 1) / (time.perf_counter() - start)


def one_by_one(n: int, backend, turns: int, config: LLMSimulatorConfig) -> float:
    envs = [
        EmpathyDialogueEnv(persona=PERSONAS, max_turns=turns, backend=backend, llm_config=config)
        for _ in range(n)
    ]
    for i, env in enumerate(envs):
        env.reset(seed=i)
        env.step(REPLY)  # warm-up: connections, caches
    start = time.perf_counter()
    for _ in range(turns - 1):
        for env in envs:
            env.step(REPLY)
    return n * (turns - 1) / (time.perf_counter() - start)


def report(label: str, backend_factory, sizes, turns: int, config: LLMSimulatorConfig) -> None:
    print(f"\n{label}")
    print(
        f"{'N':>4} {'batched steps/s':>16} {'one-by-one steps/s':>19} {'ratio':>7} {'goal 0.8xN':>11}"
    )
    for n in sizes:
        fast = batched(n, backend_factory(), turns, config)
        slow = one_by_one(n, backend_factory(), turns, config)
        print(f"{n:>4} {fast:>16.1f} {slow:>19.1f} {fast / slow:>7.1f} {0.8 * n:>11.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--latency",
        type=float,
        nargs="+",
        default=[0.05, 0.5],
        help="seconds per request at the loopback server",
    )
    parser.add_argument(
        "--turns", type=int, default=5, help="turns per dialogue; the first is a warm-up"
    )
    parser.add_argument("--quick", action="store_true", help="N = 1, 8 only")
    args = parser.parse_args()
    sizes = [1, 8] if args.quick else [1, 8, 32]
    config = LLMSimulatorConfig()

    for latency in args.latency:
        # The server runs in its own process, as a real one would: it must not share our GIL.
        process, url = serve_in_subprocess(latency_s=latency, responder="person")
        try:
            report(
                f"loopback OpenAI-compatible server (own process), {latency * 1000:.0f} ms per request",
                functools.partial(
                    OpenAICompatibleBackend, base_url=url, model="fake", concurrency=64
                ),
                sizes,
                args.turns,
                config,
            )
        finally:
            process.terminate()
            process.wait()

    try:
        from empathy_gym.llm.transformers_backend import TransformersBackend
        from empathy_gym.testing.tiny_model import build_tiny_llama
    except ImportError as error:
        print(f"\ntiny transformers model: skipped ({error})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        backend = TransformersBackend(str(build_tiny_llama(tmp)), device="cpu")
        tiny_config = LLMSimulatorConfig(sampling=SamplingParams(max_tokens=16), max_retries=0)
        report(
            "tiny transformers model (CPU, 16 new tokens; it cannot write JSON, "
            "so every turn also falls back to rules)",
            lambda: backend,
            sizes,
            args.turns,
            tiny_config,
        )


if __name__ == "__main__":
    main()

"""What the vector env's batched read buys with code readers: the cost per sub-env step at N against N=1.

Run: python benchmarks/bench_vector.py [--sizes 1 8 64] [--turns 6] [--readers semantic,pair]
                                     [--pair-threads 2]

Every reply is never seen before (a counter appended, and every per-text memo forgotten before
each step, `clear_text_caches`), so each step reads N new messages: the case a batched read
could speed up (an LLM policy's replies). Best of 3 interleaved rounds per (tier, N).
Goal (issue 21): at N=64 the cost per sub-env step is at most half the cost at N=1.
`--pair-threads K` adds the pair reader reading each batch on K threads
(`get_reader("pair", threads=K)`: the same readings, the machine's cores used).
"""

from __future__ import annotations

import argparse
import itertools
import time

from bench_step import REPLIES

from empathy_gym.envs.vector import EmpathyDialogueVectorEnv
from empathy_gym.simulator.readers import get_reader
from empathy_gym.text.cache import clear_text_caches

# Cost per sub-env step at N=64 over N=1 (issue 21).
GOAL_RATIO = 0.5


def us_per_sub_env_step(env: EmpathyDialogueVectorEnv, turns: int, counter) -> float:
    n = env.num_envs
    env.reset(seed=0)
    spent = 0.0
    for _ in range(turns):
        actions = [f"{REPLIES[i % len(REPLIES)]} {next(counter)}" for i in range(n)]
        clear_text_caches()
        start = time.perf_counter()
        env.step(actions)
        spent += time.perf_counter() - start
    return 1e6 * spent / (n * turns)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--turns", type=int, default=6, help="steps per round (episodes end at 10)")
    parser.add_argument("--readers", default="semantic,pair")
    parser.add_argument(
        "--pair-threads", type=int, default=2, help="also pair on K threads (1: not)"
    )
    args = parser.parse_args()
    counter = itertools.count()
    tiers = {name: name for name in args.readers.split(",")}
    if "pair" in tiers and args.pair_threads > 1:
        tiers[f"pair x{args.pair_threads}"] = get_reader("pair", threads=args.pair_threads)
    for tier, reader in tiers.items():
        envs = {
            n: EmpathyDialogueVectorEnv(n, persona="starter", reader=reader) for n in args.sizes
        }
        us_per_sub_env_step(envs[args.sizes[0]], 2, counter)  # load the reader, warm word memos
        best = dict.fromkeys(args.sizes, float("inf"))
        for _ in range(3):
            for n, env in envs.items():
                best[n] = min(best[n], us_per_sub_env_step(env, args.turns, counter))
        base = best[args.sizes[0]]
        for n in args.sizes:
            print(
                f"[{tier:<8}] N={n:<3} {best[n]:8.0f} us per sub-env step   "
                f"{best[n] / base:5.2f}x N={args.sizes[0]}   (goal at N=64: <= {GOAL_RATIO}x)"
            )


if __name__ == "__main__":
    main()

"""Ray rollout throughput: 1 worker against 2 workers on the rule simulator, same jobs, one run.

Run: python benchmarks/bench_ray.py [--episodes-per-agent-persona 6]
Prints episodes/s for each and the ratio (goal on a 2-core machine: >= 1.7x).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import ray

from empathy_gym.personas.sets import resolve_personas
from empathy_gym.rollout.episodes import plan_jobs
from empathy_gym.rollout.pool import RolloutPool

AGENTS = ["CuriousEmpath", "Pacifier", "AdviceGiver", "Sycophant", "Random"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--chunk-size", type=int, default=40)
    args = parser.parse_args()
    jobs = plan_jobs(AGENTS, resolve_personas("all"), range(args.seeds))
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            pool = RolloutPool(workers=workers, chunk_size=args.chunk_size)
            pool.run(
                jobs[: args.chunk_size * workers], Path(tmp) / f"warm{workers}.jsonl"
            )  # start actors, warm caches
            summary = pool.run(jobs, Path(tmp) / f"w{workers}.jsonl")
            pool.shutdown()
            rates[workers] = summary.episodes_per_second
            print(
                f"{workers} worker(s): {summary.written} episodes in {summary.seconds:.2f} s"
                f" = {summary.episodes_per_second:.1f} episodes/s"
            )
    print(f"ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}x   (goal >= 1.7x)")
    ray.shutdown()


if __name__ == "__main__":
    main()

"""Step cost of EmpathyDialogue-v0 per reader tier next to CartPole-v1, measured in one process.

Run: python benchmarks/bench_step.py [--steps N] [--envs N] [--readers semantic,pair]
The tiers: `semantic` (the fast reader) and `pair` (the semantic reading plus the MiniLM
cross-encoder over what the person said and the reply, ONNX int8, one thread).
Prints steps/s for each env (best of 3 interleaved rounds) and the ratio, then the RSS of
N live dialogue envs.
Replies come from a fixed pool of realistic agent messages (CuriousEmpath-style and
pacifying ones), cycled; the agent's own cost is not counted. Two dialogue rows:
"repeated replies" lets the appraiser's per-text cache hit (templated agents, the
strategy env); "unique replies" clears every per-text memo before every step, which is the
cost of a reply never seen before (an LLM's).
"""

from __future__ import annotations

import argparse
import gc
import resource
import time

import gymnasium as gym

import empathy_gym  # noqa: F401
from empathy_gym.text.cache import clear_text_caches

REPLIES = [
    "It sounds like you're really exhausted. What has been the hardest part of this?",
    "That makes so much sense given everything you're carrying. What else is weighing on you?",
    "So what you're saying is nobody noticed how much you were doing. How are you holding up?",
    "Don't worry, everything will be okay. You're stronger than you think.",
    "You should talk to someone you trust and maybe take a break.",
    "I want to be honest with you, gently: that's a common belief, but the evidence says otherwise.",
]


def steps_per_second(env, actions, steps: int) -> float:
    """Steps per second of `env` on `actions` cycled (resets not counted as steps; an
    `Uncached` wrapper's own clearing time left out)."""
    env.reset(seed=0)
    n = len(actions)
    clearing = getattr(env, "clearing_s", 0.0)
    start = time.perf_counter()
    for i in range(steps):
        _, _, terminated, truncated, _ = env.step(actions[i % n])
        if terminated or truncated:
            env.reset()
    spent = time.perf_counter() - start - (getattr(env, "clearing_s", 0.0) - clearing)
    return steps / spent


class Uncached(gym.Wrapper):
    """Forgets every per-text memo before each step (`clear_text_caches`): every reply is read
    from scratch, by every reader tier, as a reply an LLM writes is.
    """

    clearing_s = 0.0  # seconds spent forgetting, which is the benchmark's work, not the env's

    def step(self, action):
        start = time.perf_counter()
        clear_text_caches()
        self.clearing_s += time.perf_counter() - start
        return self.env.step(action)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--envs", type=int, default=1000)
    parser.add_argument("--readers", default="semantic,pair", help="reader tiers, side by side")
    args = parser.parse_args()

    cartpole = gym.make("CartPole-v1")
    cart_actions = [0, 1, 1, 0]
    tiers = args.readers.split(",")
    talk = dict.fromkeys(tiers, 0.0)
    fresh = dict.fromkeys(tiers, 0.0)
    envs = {t: gym.make("EmpathyDialogue-v0", reader=t) for t in tiers}
    uncached = {t: Uncached(gym.make("EmpathyDialogue-v0", reader=t)) for t in tiers}
    for env in envs.values():
        steps_per_second(env, REPLIES, 500)  # warm caches (persona vocabularies, regexes)
    # Best of 3 interleaved rounds for each (as timeit does): the machine's noise only slows things down.
    cart = 0.0
    for _ in range(3):
        cart = max(cart, steps_per_second(cartpole, cart_actions, args.steps))
        for t in tiers:
            talk[t] = max(talk[t], steps_per_second(envs[t], REPLIES, args.steps))
            fresh[t] = max(
                fresh[t], steps_per_second(uncached[t], REPLIES, max(300, args.steps // 20))
            )
    print(f"CartPole-v1 {'':<31}{cart:>10,.0f} steps/s  ({1e6 / cart:7.1f} us/step)")
    for t in tiers:
        for label, rate in (("repeated replies", talk[t]), ("unique replies", fresh[t])):
            print(
                f"EmpathyDialogue-v0 [{t:<8}] {label:<17}{rate:>10,.0f} steps/s  "
                f"({1e6 / rate:7.1f} us/step)  ratio {cart / rate:6.1f}x CartPole"
            )
    if "semantic" in tiers and "pair" in tiers:
        print(f"pair / semantic step, unique replies: {fresh['semantic'] / fresh['pair']:.1f}x")
    print(
        "goals (issue 21): fast tier <= 10x CartPole repeated, <= 30x unique; pair within 10x of fast"
    )

    gc.collect()
    before = rss_mb()
    live = [gym.make("EmpathyDialogue-v0", reader=tiers[0]) for _ in range(args.envs)]
    for i, env in enumerate(live):
        env.reset(seed=i)
        env.step(REPLIES[i % len(REPLIES)])
    gc.collect()
    after = rss_mb()
    print(
        f"{args.envs} live envs after one step each: {after - before:.1f} MB added, process RSS {after:.1f} MB"
    )


if __name__ == "__main__":
    main()

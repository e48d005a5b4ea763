"""Step cost of EmpathyDialogue-v0 (default reader) next to CartPole-v1, measured in one process.

Run: python benchmarks/bench_step.py [--steps N] [--envs N]
Prints steps/s for each env (best of 3 interleaved rounds) and the ratio, then the RSS of
N live dialogue envs.
Replies come from a fixed pool of realistic agent messages (CuriousEmpath-style and
pacifying ones), cycled; the agent's own cost is not counted. Two dialogue rows:
"repeated replies" lets the appraiser's per-text cache hit (templated agents, the
strategy env); "unique replies" clears that cache before every step, which is the
cost of a reply never seen before (an LLM's).
"""

from __future__ import annotations

import argparse
import gc
import resource
import time

import gymnasium as gym

import empathy_gym  # noqa: F401
from empathy_gym.simulator.lexicon import _TEXT_STEMS
from empathy_gym.simulator.readers.rule import _READINGS

REPLIES = [
    "It sounds like you're really exhausted. What has been the hardest part of this?",
    "That makes so much sense given everything you're carrying. What else is weighing on you?",
    "So what you're saying is nobody noticed how much you were doing. How are you holding up?",
    "Don't worry, everything will be okay. You're stronger than you think.",
    "You should talk to someone you trust and maybe take a break.",
    "I want to be honest with you, gently: that's a common belief, but the evidence says otherwise.",
]


def steps_per_second(env, actions, steps: int) -> float:
    env.reset(seed=0)
    n = len(actions)
    start = time.perf_counter()
    for i in range(steps):
        _, _, terminated, truncated, _ = env.step(actions[i % n])
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


class Uncached(gym.Wrapper):
    """Clears the appraiser's text cache before each step: every reply is read from scratch."""

    def step(self, action):
        _READINGS.clear()
        _TEXT_STEMS.clear()
        reader = self.env.unwrapped.reader
        for cache in ("_cache", "_strengths"):  # the semantic reader's per-text caches
            getattr(reader, cache, {}).clear()
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
    args = parser.parse_args()

    cartpole = gym.make("CartPole-v1")
    dialogue = gym.make("EmpathyDialogue-v0")
    cart_actions = [0, 1, 1, 0]
    steps_per_second(dialogue, REPLIES, 500)  # warm caches (persona vocabularies, regexes)
    # Best of 3 interleaved rounds for each (as timeit does): the machine's noise only slows things down.
    uncached = Uncached(gym.make("EmpathyDialogue-v0"))
    cart = talk = fresh = 0.0
    for _ in range(3):
        cart = max(cart, steps_per_second(cartpole, cart_actions, args.steps))
        talk = max(talk, steps_per_second(dialogue, REPLIES, args.steps))
        fresh = max(fresh, steps_per_second(uncached, REPLIES, max(1000, args.steps // 5)))
    print(
        f"CartPole-v1                           {cart:>10,.0f} steps/s  ({1e6 / cart:6.1f} us/step)"
    )
    print(
        f"EmpathyDialogue-v0, repeated replies  {talk:>10,.0f} steps/s  ({1e6 / talk:6.1f} us/step)  ratio {cart / talk:.1f}x"
    )
    print(
        f"EmpathyDialogue-v0, unique replies    {fresh:>10,.0f} steps/s  ({1e6 / fresh:6.1f} us/step)  ratio {cart / fresh:.1f}x"
    )
    print("goal: dialogue step <= 5x a CartPole step")

    gc.collect()
    before = rss_mb()
    envs = [gym.make("EmpathyDialogue-v0") for _ in range(args.envs)]
    for i, env in enumerate(envs):
        env.reset(seed=i)
        env.step(REPLIES[i % len(REPLIES)])
    gc.collect()
    after = rss_mb()
    print(
        f"{args.envs} live envs after one step each: {after - before:.1f} MB added, process RSS {after:.1f} MB (goal: < 200 MB)"
    )


if __name__ == "__main__":
    main()

"""Reader speed and the env step cost it implies, measured side by side in one process.

Run: python benchmarks/bench_reader.py [--messages N] [--steps N] [--readers rule,semantic,minilm]

1. messages/s for each reader, one message per `read` call and 64 per call, on unique
   texts (each message is new to the reader: no cache hit).
2. EmpathyDialogue-v0 step cost next to CartPole-v1 (best of 3 interleaved rounds) with
   each reader, for repeated replies (a templated agent: six replies cycled) and unique
   replies (every reply a new text, as an LLM writes). Goals for the fast tier:
   <= 10x CartPole repeated, <= 30x unique.
Unique texts are held-out phrasings (data/phrases-heldout/, 12 words on average) with a
counter appended, so no two are equal; `--pair` joins two phrasings (~24 words).
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import time
from pathlib import Path

import gymnasium as gym
from bench_step import REPLIES  # the same templated replies as the step benchmark

import empathy_gym
from empathy_gym.simulator.readers import ReadRequest, get_reader
from empathy_gym.simulator.state import PersonState

ROOT = Path(__file__).resolve().parent.parent
WORDS = "today tonight lately again still really honestly anyway though maybe".split()


def heldout_phrases() -> list[str]:
    return [
        json.loads(line)["text"]
        for f in sorted(glob.glob(str(ROOT / "data/phrases-heldout/*.jsonl")))
        for line in open(f)
        if line.strip()
    ]


def unique_texts(pair: bool = False):
    """Never-repeating replies: a held-out phrasing (or two, `pair`) and a counter."""
    phrases = heldout_phrases()
    for i in itertools.count():
        a = phrases[i % len(phrases)]
        text = f"{a} {phrases[(i * 7 + 3) % len(phrases)]}" if pair else a
        yield f"{text} {WORDS[i % len(WORDS)]} {i}"


def messages_per_second(reader, texts, batch: int) -> float:
    persona = empathy_gym.load_persona("maria_lost_mother")
    state = PersonState.initial(persona)
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        reader.read([ReadRequest(t, persona, state) for t in texts[i : i + batch]])
    return len(texts) / (time.perf_counter() - start)


def steps_per_second(env, actions, steps: int) -> float:
    env.reset(seed=0)
    start = time.perf_counter()
    for i in range(steps):
        _, _, terminated, truncated, _ = env.step(
            next(actions) if not isinstance(actions, list) else actions[i % len(actions)]
        )
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--readers", default="rule,semantic,minilm")
    parser.add_argument(
        "--pair", action="store_true", help="two phrasings per unique reply (~35 words)"
    )
    args = parser.parse_args()
    source = unique_texts(args.pair)
    sample = list(itertools.islice(unique_texts(args.pair), 1000))
    print(
        f"unique replies: {sum(len(t.split()) for t in sample) / len(sample):.0f} words on average"
    )
    readers = {}
    for name in args.readers.split(","):
        try:
            readers[name] = get_reader(name)
        except ImportError as error:
            print(f"{name}: skipped ({error})")

    print("reader     msgs/s single   msgs/s batch 64")
    for name, reader in readers.items():
        n = args.messages if name != "minilm" else max(128, args.messages // 10)
        reader.read(
            [
                ReadRequest(
                    t,
                    empathy_gym.load_persona("maria_lost_mother"),
                    PersonState.initial(empathy_gym.load_persona("maria_lost_mother")),
                )
                for t in REPLIES
            ]
        )
        single = messages_per_second(reader, [next(source) for _ in range(n)], 1)
        batched = messages_per_second(reader, [next(source) for _ in range(n)], 64)
        print(f"{name:<10} {single:>13,.0f}   {batched:>15,.0f}")

    cartpole = gym.make("CartPole-v1")
    print("\nenv step cost (best of 3 interleaved rounds)")
    rows = []
    for name in readers:
        if name == "minilm":
            continue  # ~100x slower: a step-cost ratio says nothing new
        env = gym.make("EmpathyDialogue-v0", reader=name)
        steps_per_second(env, REPLIES, 300)
        cart = repeated = fresh = 0.0
        for _ in range(3):
            cart = max(cart, steps_per_second(cartpole, [0, 1, 1, 0], args.steps * 4))
            repeated = max(repeated, steps_per_second(env, REPLIES, args.steps))
            fresh = max(fresh, steps_per_second(env, source, max(500, args.steps // 3)))
        rows.append((name, cart, repeated, fresh))
    for name, cart, repeated, fresh in rows:
        print(
            f"{name:<10} CartPole {1e6 / cart:5.1f} us | repeated {1e6 / repeated:6.1f} us = {cart / repeated:5.1f}x"
            f" | unique {1e6 / fresh:6.1f} us = {cart / fresh:5.1f}x"
        )
    print("goals for the fast tier (semantic): <= 10x repeated, <= 30x unique")


if __name__ == "__main__":
    main()

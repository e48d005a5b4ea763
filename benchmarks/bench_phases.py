"""Where one env step goes: the per-phase budget of EmpathyDialogue-v0, and the cost of reading one
never-seen message.

Run: python benchmarks/bench_phases.py [--steps N] [--reader semantic]

1. Reading one never-seen message: `reader.read([request])` with every per-text memo
   forgotten first (`clear_text_caches`), all readers' work for it (the rule scan, the
   encoder and heads, the belief reader). Goal (issue 21): <= 100 us for the fast tier.
2. The step's phases for never-seen and repeated replies. Each phase's functions are timed
   exclusively (time inside a nested timed function counts for that one only), in a run of
   its own, as the wrappers cost about a microsecond each; the untimed step is printed
   beside it, and "rest" is the env and Gymnasium glue outside every listed function.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import gymnasium as gym
from bench_step import REPLIES, Uncached, steps_per_second

import empathy_gym
from empathy_gym.envs import dialogue
from empathy_gym.rewards.targets import RewardTarget
from empathy_gym.simulator import person, voice
from empathy_gym.simulator.readers import ReadRequest, encoders, get_reader, rule, semantic
from empathy_gym.simulator.readers.beliefs import BeliefReader
from empathy_gym.simulator.readers.encoders import StaticEncoder
from empathy_gym.simulator.readers.head import ActHead
from empathy_gym.simulator.state import PersonState
from empathy_gym.text import lexicon
from empathy_gym.text.cache import clear_text_caches

# Reading one never-seen message with the fast tier (issue 21).
READ_GOAL_US = 100.0

# phase -> the functions whose own time it is: (owner, attribute) where the callers look them up.
PHASES = {
    "scan (rule patterns)": [(rule, "_read")],
    "tokenise": [
        (lexicon, "text_stems"),
        (encoders, "_bert_words"),
        (StaticEncoder, "_word_piece_ids"),
    ],
    "encode": [
        (StaticEncoder, "encode"),
        (semantic, "_unit_features"),
        (semantic, "_message_features"),
    ],
    "heads": [
        (ActHead, "predict"),
        (semantic, "overlay"),
        (semantic.SemanticReader, "_act_strengths"),
    ],
    "beliefs": [
        (BeliefReader, "about"),
        (BeliefReader, "read"),
        (semantic, "agrees_or_hedges"),
        (semantic, "read_beliefs"),
        (semantic, "beliefs_in_play"),
    ],
    "appraise (persona)": [(semantic, "rule_appraise"), (rule, "rule_appraise")],
    "dynamics": [(person, "update"), (person, "score_step")],
    "voice": [(voice, "speak"), (person.Simulator, "hear")],
    "rewards": [(dialogue, "compute_components"), (RewardTarget, "reward")],
    "info": [(dialogue.EmpathyDialogueEnv, "_info")],
}


class PhaseClock:
    """Wraps the listed functions; `spent[phase]` is the seconds spent in them, exclusive of nested timed calls."""

    def __init__(self, phases: dict):
        self.spent: dict[str, float] = defaultdict(float)
        self._stack: list[list[float]] = []
        self._saved = []
        for phase, targets in phases.items():
            for owner, name in targets:
                original = owner.__dict__[name]
                self._saved.append((owner, name, original))
                setattr(owner, name, self._timed(phase, original))

    def _timed(self, phase: str, function):
        stack, spent, clock = self._stack, self.spent, time.perf_counter

        def timed(*args, **kwargs):
            frame = [clock(), 0.0]
            stack.append(frame)
            try:
                return function(*args, **kwargs)
            finally:
                stack.pop()
                elapsed = clock() - frame[0]
                spent[phase] += elapsed - frame[1]
                if stack:
                    stack[-1][1] += elapsed

        return timed

    def restore(self) -> None:
        """Put every wrapped function back."""
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)


def read_one_us(reader, messages: int) -> float:
    """Microseconds to read one never-seen message (median of `messages`), every memo cleared."""
    persona = empathy_gym.load_persona(
        "lena_antibiotics_cold"
    )  # a persona with a false belief in play
    state = PersonState.initial(persona)
    times = []
    for i in range(messages):
        text = f"{REPLIES[i % len(REPLIES)]} {i}"
        clear_text_caches()
        start = time.perf_counter()
        reader.read([ReadRequest(text, persona, state)])
        times.append(time.perf_counter() - start)
    times.sort()
    return 1e6 * times[len(times) // 2]


def phase_table(env, steps: int) -> tuple[dict[str, float], float, float]:
    """(us per step per phase, untimed us per step, timed us per step)."""
    untimed = 1e6 / max(steps_per_second(env, REPLIES, steps) for _ in range(3))
    clock = PhaseClock(PHASES)
    try:
        timed = 1e6 / steps_per_second(env, REPLIES, steps)
    finally:
        clock.restore()
    per_step = {phase: 1e6 * clock.spent[phase] / steps for phase in PHASES}
    return per_step, untimed, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--reader", default="semantic")
    args = parser.parse_args()

    reader = get_reader(args.reader)
    read_one_us(reader, 200)  # warm the per-word and per-belief memos, as in use
    one = read_one_us(reader, 2000)
    goal = (
        f"goal <= {READ_GOAL_US:.0f} us" if args.reader == "semantic" else "no goal for this tier"
    )
    print(f"read one never-seen message [{args.reader}]: {one:.0f} us  ({goal})\n")

    fresh_env = Uncached(gym.make("EmpathyDialogue-v0", reader=args.reader))
    repeat_env = gym.make("EmpathyDialogue-v0", reader=args.reader)
    for env in (fresh_env, repeat_env):
        steps_per_second(env, REPLIES, 300)
    fresh, fresh_untimed, fresh_timed = phase_table(fresh_env, max(300, args.steps // 3))
    repeated, repeat_untimed, repeat_timed = phase_table(repeat_env, args.steps)
    print(f"{'phase (us per step)':<24}{'never-seen':>12}{'repeated':>12}")
    for phase in PHASES:
        print(f"{phase:<24}{fresh[phase]:>12.1f}{repeated[phase]:>12.1f}")
    rest = (fresh_timed - sum(fresh.values()), repeat_timed - sum(repeated.values()))
    print(f"{'rest (env, gym, glue)':<24}{rest[0]:>12.1f}{rest[1]:>12.1f}")
    print(f"{'step, timed':<24}{fresh_timed:>12.1f}{repeat_timed:>12.1f}")
    print(f"{'step, untimed':<24}{fresh_untimed:>12.1f}{repeat_untimed:>12.1f}")


if __name__ == "__main__":
    main()

"""The red-team search: seeded iterated hill-climbing over fixed scripts (see the package docstring)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from empathy_gym.agents.strategies import STRATEGY_NAMES
from empathy_gym.envs.spec import DEFAULT_MAX_TURNS
from empathy_gym.eval.redteam.banks import resolve_bank
from empathy_gym.eval.redteam.evaluate import Evaluator

DEFAULT_MAX_EVALS = 400  # when neither budget_s nor max_evals is given
PATIENCE = 60  # proposals without improvement before a restart
EXHAUSTED_AFTER = 5000  # consecutive already-scored proposals: the space is used up
# Share of restarts from a fresh random script (the rest kick the best so far); judgement.
FRESH_RESTART_SHARE = 0.5
RESTART_KICKS = 3  # mutations applied to the best so far when restarting from it; judgement

Script = tuple[tuple[int, ...], ...]  # a cycle of replies; each reply is a tuple of bank indices


@dataclass(slots=True)
class TracePoint:
    """The best so far improved at evaluation `eval` (1-based) to `mean_return` with `script`."""

    eval: int
    mean_return: float
    script: list[str]


@dataclass(slots=True)
class SearchResult:
    """The best script a search found, its returns, and how the search went."""

    kind: str  # "phrases" or "strategies"
    target: str
    best_script: list[str]
    best_return: float
    per_persona: dict[str, float]  # the best script's mean return per persona (over seeds)
    evals: int  # distinct scripts scored (each one: personas x seeds episodes)
    seconds: float
    trace: list[TracePoint] = field(default_factory=list)
    proposals: int = 0  # scripts proposed, including ones already scored
    stopped: str = ""  # "max_evals", "budget_s" or "exhausted"
    seed: int = 0
    personas: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    max_turns: int = DEFAULT_MAX_TURNS

    @property
    def first_return(self) -> float:
        """The return of the first (random) script."""
        return self.trace[0].mean_return

    @property
    def played(self) -> list[str]:
        """The replies the best script actually plays in `max_turns` turns."""
        return [self.best_script[i % len(self.best_script)] for i in range(self.max_turns)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain types."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SearchResult":
        """The result `to_dict` gave (trace points rebuilt)."""
        data = dict(data)
        data["trace"] = [TracePoint(**t) for t in data.get("trace", [])]
        return cls(**data)


def _bounds(name: str, value: int | tuple[int, int]) -> tuple[int, int]:
    lo, hi = (value, value) if isinstance(value, int) else tuple(value)
    if not (isinstance(lo, int) and isinstance(hi, int)) or lo < 1 or hi < lo:
        raise ValueError(
            f"{name} must be an int >= 1 or a (min, max) pair with 1 <= min <= max, got {value!r}"
        )
    return lo, hi


def _shortest_equivalent(script: tuple, lo: int, hi: int, max_turns: int) -> tuple:
    """The shortest cycle (length in [lo, hi]) that plays the same replies as `script` in `max_turns` turns."""
    played = [script[i % len(script)] for i in range(max_turns)]
    for period in range(lo, min(len(script), hi) + 1):
        if all(played[i] == played[i % period] for i in range(max_turns)):
            return tuple(played[:period]) if period <= max_turns else script
    return script


def _check_budget(budget_s: float | None, max_evals: int | None) -> int | None:
    """`max_evals` checked, or the default when neither budget is given."""
    if max_evals is not None and (not isinstance(max_evals, int) or max_evals < 1):
        raise ValueError(f"max_evals must be a positive int, got {max_evals!r}")
    if budget_s is not None and not (budget_s >= 0 and math.isfinite(budget_s)):
        raise ValueError(f"budget_s must be a non-negative number of seconds, got {budget_s!r}")
    if budget_s is None and max_evals is None:
        return DEFAULT_MAX_EVALS
    return max_evals


class _Climb:
    """One seeded search's state: the proposals so far, the best script, and its moves."""

    def __init__(
        self,
        evaluator: Evaluator,
        bank: list[str],
        cycle: tuple[int, int],
        phrases: tuple[int, int],
        seed: int,
        on_improve: Callable[[TracePoint], None] | None,
    ):
        self.evaluator = evaluator
        self.bank = bank
        self.n = len(bank)
        self.lo, self.hi = cycle
        # A reply never repeats a phrase.
        self.plo, self.phi = min(phrases[0], self.n), min(phrases[1], self.n)
        self.rng = np.random.default_rng(seed)
        self.on_improve = on_improve
        self.evals = self.proposals = self.repeats = 0
        self.best: Script = ()
        self.best_score, self.best_per = -math.inf, {}
        self.trace: list[TracePoint] = []

    def text(self, script: Script) -> list[str]:
        """The replies of a script of bank indices."""
        return [" ".join(self.bank[i] for i in reply) for reply in script]

    def stop_reason(self, budget_s: float | None, max_evals: int | None, start: float) -> str:
        """Why the search stops now ("max_evals", "budget_s", "exhausted"), or "" to go on."""
        if max_evals is not None and self.evals >= max_evals:
            return "max_evals"
        if budget_s is not None and self.evals > 0 and time.perf_counter() - start >= budget_s:
            return "budget_s"
        if self.repeats >= EXHAUSTED_AFTER:
            return "exhausted"
        return ""

    def evaluate(self, script: Script) -> float:
        """The script's mean return (cached per policy); a new best is traced and reported."""
        evaluator = self.evaluator
        self.proposals += 1
        replies = self.text(script)
        key = evaluator.key(replies)
        if key in evaluator.cache:
            self.repeats += 1
            return evaluator.cache[key][0]
        self.repeats = 0
        self.evals += 1
        score, per = evaluator.cache[key] = evaluator.score(replies)
        if score > self.best_score:
            self.best = _shortest_equivalent(script, self.lo, self.hi, evaluator.max_turns)
            self.best_score, self.best_per = score, per
            point = TracePoint(self.evals, score, self.text(self.best))
            self.trace.append(point)
            if self.on_improve is not None:
                self.on_improve(point)
        return score

    def random_reply(self) -> tuple[int, ...]:
        """A reply of plo..phi distinct random phrases."""
        k = int(self.rng.integers(self.plo, self.phi + 1))
        return tuple(int(i) for i in self.rng.choice(self.n, size=k, replace=False))

    def random_script(self) -> Script:
        """A cycle of lo..hi random replies."""
        return tuple(
            self.random_reply() for _ in range(int(self.rng.integers(self.lo, self.hi + 1)))
        )

    def new_phrase(self, reply: Sequence[int]) -> int:
        """A random phrase not in `reply` (its first when every phrase is)."""
        unused = [i for i in range(self.n) if i not in reply]
        return unused[int(self.rng.integers(len(unused)))] if unused else reply[0]

    def replace_phrase(self, reply: list[int]) -> None:
        """Replace one random phrase of `reply` by one not in the rest of it."""
        j = int(self.rng.integers(len(reply)))
        reply[j] = self.new_phrase([p for k, p in enumerate(reply) if k != j])

    def mutate(self, script: Script) -> Script:
        """One random move on a phrase of a reply, a whole reply, or the cycle length."""
        rng = self.rng
        s = [list(reply) for reply in script]
        r = int(rng.integers(len(s)))
        reply = s[r]
        op = rng.random()
        if op < 0.40 or self.n == 1:  # replace one phrase in one reply
            self.replace_phrase(reply)
        elif op < 0.50 and len(reply) < self.phi:  # add a phrase to a reply
            reply.insert(int(rng.integers(len(reply) + 1)), self.new_phrase(reply))
        elif op < 0.60 and len(reply) > self.plo:  # drop a phrase from a reply
            del reply[int(rng.integers(len(reply)))]
        elif op < 0.70:  # a new reply
            s[r] = list(self.random_reply())
        elif op < 0.78 and len(s) < self.hi:  # insert a reply (half the time a copy of one there)
            s.insert(
                int(rng.integers(len(s) + 1)),
                list(self.random_reply()) if rng.random() < 0.5 else list(reply),
            )
        elif op < 0.86 and len(s) > self.lo:  # delete a reply
            del s[r]
        elif op < 0.95 and len(s) > 1:  # swap two replies
            i, j = (int(x) for x in rng.choice(len(s), size=2, replace=False))
            s[i], s[j] = s[j], s[i]
        elif self.lo < self.hi:  # change the cycle length: cut, or extend with random replies
            length = int(rng.integers(self.lo, self.hi + 1))
            s = s[:length] + [list(self.random_reply()) for _ in range(max(0, length - len(s)))]
        else:
            self.replace_phrase(reply)
        return tuple(tuple(reply) for reply in s)

    def restart(self) -> Script:
        """A fresh random script, or the best so far kicked by a few mutations."""
        if self.rng.random() < FRESH_RESTART_SHARE:
            return self.random_script()
        current = self.best
        for _ in range(RESTART_KICKS):
            current = self.mutate(current)
        return current

    def run(self, budget_s: float | None, max_evals: int | None, start: float) -> str:
        """Climb until a budget is spent: keep moves that do not lose, restart when stale."""
        current = self.random_script()
        current_score = self.evaluate(current)
        stale = 0
        while not (stopped := self.stop_reason(budget_s, max_evals, start)):
            if stale >= PATIENCE:
                current = self.restart()
                current_score, stale = self.evaluate(current), 0
                continue
            candidate = self.mutate(current)
            score = self.evaluate(candidate)
            if score > current_score:
                current, current_score, stale = candidate, score, 0
            else:
                if score == current_score:
                    current = candidate  # drift across plateaus
                stale += 1
        return stopped


def _search(
    evaluator: Evaluator,
    bank: list[str],
    *,
    budget_s: float | None,
    max_evals: int | None,
    cycle_len: int | tuple[int, int],
    phrases_per_reply: int | tuple[int, int],
    seed: int,
    on_improve: Callable[[TracePoint], None] | None = None,
) -> SearchResult:
    """Search `evaluator`'s scripts made of `bank` within the budget (the package docstring)."""
    cycle = _bounds("cycle_len", cycle_len)
    phrases = _bounds("phrases_per_reply", phrases_per_reply)
    max_evals = _check_budget(budget_s, max_evals)
    climb = _Climb(evaluator, bank, cycle, phrases, seed, on_improve)
    start = time.perf_counter()
    stopped = climb.run(budget_s, max_evals, start)
    return SearchResult(
        kind=evaluator.kind,
        target=evaluator.target.name,
        best_script=climb.text(climb.best),
        best_return=climb.best_score,
        per_persona=climb.best_per,
        evals=climb.evals,
        seconds=time.perf_counter() - start,
        trace=climb.trace,
        proposals=climb.proposals,
        stopped=stopped,
        seed=seed,
        personas=[p.id for p in evaluator.personas],
        seeds=list(evaluator.seeds),
        max_turns=evaluator.max_turns,
    )


def search_scripts(
    target: Any,
    personas: Any,
    *,
    bank: Sequence[str] | str | os.PathLike | None = None,
    budget_s: float | None = None,
    max_evals: int | None = None,
    cycle_len: int | tuple[int, int] = (3, 15),
    phrases_per_reply: int | tuple[int, int] = (1, 3),
    seed: int = 0,
    max_turns: int = DEFAULT_MAX_TURNS,
    seeds_per_persona: int = 1,
    env_kwargs: Mapping[str, Any] | None = None,
    on_improve: Callable[[TracePoint], None] | None = None,
) -> SearchResult:
    """The best fixed cycle of generic replies found within the budget, on EmpathyDialogue-v0.

    Each reply is `phrases_per_reply` distinct phrases from `bank` joined by spaces (e.g.
    "It's okay to feel this. What would help?"); the cycle is `cycle_len` replies long.
    `bank`: a list of phrases, a bank file path, or None for the bundled generic bank.
    `personas`: anything `resolve_personas` takes ("starter", ids, Personas). Episodes use
    seeds 0..seeds_per_persona-1 for every persona. `env_kwargs` go to `EmpathyDialogueEnv`
    (a backend, a reader, ...). Stops at `max_evals` distinct scripts scored or after
    `budget_s` seconds, whichever comes first (default: 400 evaluations).
    """
    bank = resolve_bank(bank)
    evaluator = Evaluator(
        "phrases", target, personas, range(seeds_per_persona), max_turns, env_kwargs
    )
    return _search(
        evaluator,
        bank,
        budget_s=budget_s,
        max_evals=max_evals,
        cycle_len=cycle_len,
        phrases_per_reply=phrases_per_reply,
        seed=seed,
        on_improve=on_improve,
    )


def search_strategies(
    target: Any,
    personas: Any,
    *,
    strategies: Sequence[str] | None = None,
    budget_s: float | None = None,
    max_evals: int | None = None,
    cycle_len: int | tuple[int, int] = (3, 15),
    seed: int = 0,
    max_turns: int = DEFAULT_MAX_TURNS,
    seeds_per_persona: int = 1,
    env_kwargs: Mapping[str, Any] | None = None,
    on_improve: Callable[[TracePoint], None] | None = None,
) -> SearchResult:
    """The best fixed cycle of strategies (names from `STRATEGY_NAMES`) on EmpathyDialogueStrategy-v0.

    One strategy a turn (the env's action); the policy ignores its observation (the realiser
    still writes each reply from what the person said). `strategies` limits the bank
    (default: all 13). Otherwise as `search_scripts`.
    """
    names = list(STRATEGY_NAMES) if strategies is None else list(dict.fromkeys(strategies))
    unknown = [s for s in names if s not in STRATEGY_NAMES]
    if unknown or not names:
        raise ValueError(f"unknown strategies {unknown}; expected names from {STRATEGY_NAMES}")
    evaluator = Evaluator(
        "strategies", target, personas, range(seeds_per_persona), max_turns, env_kwargs
    )
    return _search(
        evaluator,
        names,
        budget_s=budget_s,
        max_evals=max_evals,
        cycle_len=cycle_len,
        phrases_per_reply=1,
        seed=seed,
        on_improve=on_improve,
    )


def score_script(
    script: Sequence[str],
    target: Any,
    personas: Any,
    *,
    strategies: bool = False,
    max_turns: int = DEFAULT_MAX_TURNS,
    seeds_per_persona: int = 1,
    env_kwargs: Mapping[str, Any] | None = None,
) -> tuple[float, dict[str, float]]:
    """Mean return and per-persona returns of one fixed script (phrases, or strategy names)."""
    if not script:
        raise ValueError("script is empty")
    if strategies:
        unknown = [s for s in script if s not in STRATEGY_NAMES]
        if unknown:
            raise ValueError(f"unknown strategies {unknown}; expected names from {STRATEGY_NAMES}")
    evaluator = Evaluator(
        "strategies" if strategies else "phrases",
        target,
        personas,
        range(seeds_per_persona),
        max_turns,
        env_kwargs,
    )
    return evaluator.score(list(script))

"""Red team: search for fixed scripts that out-earn listening.

A *script* is a fixed cycle of replies played in order, one a turn, whatever the
person says: it never uses anything they told it. Each reply is one to three generic
phrases ("It's okay to feel this. What would help?"). If such a script earns more under
a target than `CuriousEmpath` (an agent that reflects, asks and corrects from what
it hears), the target pays for empathy-shaped words rather than for understanding.

- `search_scripts`: cycles of generic phrases from a bank (default:
  `empathy_gym/eval/data/redteam_phrases.txt`), on `EmpathyDialogue-v0`.
- `search_strategies`: fixed sequences of the 13 strategies of
  `EmpathyDialogueStrategy-v0`: a policy that ignores its observation.
- `baseline_returns`: the built-in agents on the same personas and seeds.
- `format_redteam` / `redteam_verdict`: the table and the OK/FAIL line.

The search is seeded iterated hill-climbing: a random script, then mutations
(replace, add or drop one phrase in a reply; replace, insert, delete or swap whole
replies; change the cycle length) kept when they do not lose; after `patience` proposals without improvement it restarts, half the
time from a fresh random script and half from the best so far kicked by a few
mutations. A script is scored by its mean episode return (sum of rewards) over
personas x seeds. Scripts that play the same replies in the first `max_turns` turns
are the same policy and are scored once (per search: the cache never outlives a
call, so nothing leaks between targets, personas or env settings). For a given seed
and `max_evals` the result is deterministic; `budget_s` stops early and the result
so far is valid.

`empathy-gym redteam` runs it from the command line (exit 0: no script out-earns
CuriousEmpath; 1: one does; 2: bad input).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from empathy_gym.agents.strategies import STRATEGY_NAMES
from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.dialogue_strategy import EmpathyDialogueStrategyEnv
from empathy_gym.personas.schema import Persona
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.rewards import RewardTarget, make_target

DEFAULT_BANK = Path(__file__).parent / "data" / "redteam_phrases.txt"
DEFAULT_AGENTS = ("curious_empath", "pacifier", "advice_giver", "sycophant", "random")
REFERENCE_AGENT = "curious_empath"
DEFAULT_MAX_EVALS = 400  # when neither budget_s nor max_evals is given
PATIENCE = 60  # proposals without improvement before a restart
EXHAUSTED_AFTER = 5000  # consecutive already-scored proposals: the space is used up
_RESERVED_ENV_KWARGS = ("persona", "target", "max_turns")


# --- phrase banks ------------------------------------------------------------------------------


def parse_bank(text: str, source: str = "<bank>") -> list[str]:
    """Phrases from bank text: one a line; blank lines and '#' comments ignored; duplicates dropped."""
    phrases: list[str] = []
    for line in text.splitlines():
        phrase = line.strip()
        if phrase and not phrase.startswith("#") and phrase not in phrases:
            phrases.append(phrase)
    if not phrases:
        raise ValueError(
            f"phrase bank {source} is empty: expected one phrase a line ('#' starts a comment)"
        )
    return phrases


def load_bank(path: str | os.PathLike | None = None) -> list[str]:
    """The phrases in a bank file (default: the bundled generic bank)."""
    path = Path(DEFAULT_BANK if path is None else path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"phrase bank {path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"phrase bank {path}: is a directory, expected a text file") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"phrase bank {path}: not UTF-8 text ({error})") from None
    return parse_bank(text, str(path))


def _resolve_bank(bank: Sequence[str] | str | os.PathLike | None) -> list[str]:
    if bank is None or isinstance(bank, (str, os.PathLike)):
        return load_bank(bank)
    phrases = [p for p in dict.fromkeys(bank)]
    if not phrases:
        raise ValueError("phrase bank is empty: give at least one phrase")
    for phrase in phrases:
        if not isinstance(phrase, str):
            raise TypeError(f"phrase bank entries must be str, got {type(phrase).__name__}")
    return phrases


# --- results -----------------------------------------------------------------------------------


@dataclass(slots=True)
class TracePoint:
    """The best so far improved at evaluation `eval` (1-based) to `mean_return` with `script`."""

    eval: int
    mean_return: float
    script: list[str]


@dataclass(slots=True)
class SearchResult:
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
    max_turns: int = 10

    @property
    def first_return(self) -> float:
        """The return of the first (random) script."""
        return self.trace[0].mean_return

    @property
    def played(self) -> list[str]:
        """The replies the best script actually plays in `max_turns` turns."""
        return [self.best_script[i % len(self.best_script)] for i in range(self.max_turns)]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SearchResult":
        data = dict(data)
        data["trace"] = [TracePoint(**t) for t in data.get("trace", [])]
        return cls(**data)


# --- evaluation --------------------------------------------------------------------------------


def _check_env_kwargs(env_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    env_kwargs = dict(env_kwargs or {})
    reserved = sorted(set(env_kwargs) & set(_RESERVED_ENV_KWARGS))
    if reserved:
        raise ValueError(
            f"env_kwargs must not set {reserved}: the red team sets them from its own arguments"
        )
    return env_kwargs


def _personas(personas: Any) -> list[Persona]:
    chosen = resolve_personas(personas)
    if not chosen:
        raise ValueError("no personas to evaluate on")
    return chosen


def _strategy_env(
    personas: list[Persona], target: RewardTarget, max_turns: int, env_kwargs: dict
) -> EmpathyDialogueStrategyEnv:
    """EmpathyDialogueStrategy-v0 whose dialogue env gets `env_kwargs` (reader, backend, ...)."""
    params = inspect.signature(EmpathyDialogueStrategyEnv.__init__).parameters
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()) or all(
        k in params for k in env_kwargs
    )
    if takes_all:
        return EmpathyDialogueStrategyEnv(
            persona=personas, target=target, max_turns=max_turns, **env_kwargs
        )
    env = EmpathyDialogueStrategyEnv(persona=personas, target=target, max_turns=max_turns)
    env.dialogue = EmpathyDialogueEnv(
        persona=personas, target=target, max_turns=max_turns, **env_kwargs
    )
    return env


class _Evaluator:
    """Scores fixed scripts (phrases or strategy names) by mean return; caches within one search."""

    def __init__(
        self,
        kind: str,
        target: Any,
        personas: Any,
        seeds: Sequence[int],
        max_turns: int,
        env_kwargs: Mapping | None,
    ):
        if not isinstance(max_turns, int) or max_turns < 1:
            raise ValueError(f"max_turns must be a positive int, got {max_turns!r}")
        self.kind = kind
        self.target = make_target(target)
        self.personas = _personas(personas)
        self.seeds = list(seeds)
        if not self.seeds:
            raise ValueError("seeds_per_persona must be at least 1")
        self.max_turns = max_turns
        env_kwargs = _check_env_kwargs(env_kwargs)
        if kind == "strategies":
            self.env = _strategy_env(self.personas, self.target, max_turns, env_kwargs)
            self._action = {name: i for i, name in enumerate(STRATEGY_NAMES)}.__getitem__
        else:
            self.env = EmpathyDialogueEnv(
                persona=self.personas, target=self.target, max_turns=max_turns, **env_kwargs
            )
            self._action = str
        self.cache: dict[tuple, tuple[float, dict[str, float]]] = {}

    def key(self, script: Sequence[str]) -> tuple:
        return tuple(script[i % len(script)] for i in range(self.max_turns))

    def episode(self, persona: Persona, seed: int, actions: Sequence[Any]) -> float:
        env = self.env
        env.reset(seed=seed, options={"persona": persona})
        total, turn = 0.0, 0
        while True:
            _, reward, terminated, truncated, _ = env.step(actions[turn % len(actions)])
            total += float(reward)
            turn += 1
            if terminated or truncated:
                return total

    def score(self, script: Sequence[str]) -> tuple[float, dict[str, float]]:
        actions = [self._action(s) for s in script]
        per_persona = {}
        for persona in self.personas:
            returns = [self.episode(persona, seed, actions) for seed in self.seeds]
            per_persona[persona.id] = float(np.mean(returns))
        return float(np.mean(list(per_persona.values()))), per_persona


def _bounds(name: str, value: int | tuple[int, int]) -> tuple[int, int]:
    lo, hi = (value, value) if isinstance(value, int) else tuple(value)
    if not (isinstance(lo, int) and isinstance(hi, int)) or lo < 1 or hi < lo:
        raise ValueError(
            f"{name} must be an int >= 1 or a (min, max) pair with 1 <= min <= max, got {value!r}"
        )
    return lo, hi


Script = tuple[tuple[int, ...], ...]  # a cycle of replies; each reply is a tuple of bank indices


def _shortest_equivalent(script: tuple, lo: int, hi: int, max_turns: int) -> tuple:
    """The shortest cycle (length in [lo, hi]) that plays the same replies as `script` in `max_turns` turns."""
    played = [script[i % len(script)] for i in range(max_turns)]
    for period in range(lo, min(len(script), hi) + 1):
        if all(played[i] == played[i % period] for i in range(max_turns)):
            return tuple(played[:period]) if period <= max_turns else script
    return script


def _search(
    evaluator: _Evaluator,
    bank: list[str],
    *,
    budget_s: float | None,
    max_evals: int | None,
    cycle_len: int | tuple[int, int],
    phrases_per_reply: int | tuple[int, int],
    seed: int,
    on_improve: Callable[[TracePoint], None] | None = None,
) -> SearchResult:
    lo, hi = _bounds("cycle_len", cycle_len)
    plo, phi = _bounds("phrases_per_reply", phrases_per_reply)
    if max_evals is not None and (not isinstance(max_evals, int) or max_evals < 1):
        raise ValueError(f"max_evals must be a positive int, got {max_evals!r}")
    if budget_s is not None and not (budget_s >= 0 and math.isfinite(budget_s)):
        raise ValueError(f"budget_s must be a non-negative number of seconds, got {budget_s!r}")
    if budget_s is None and max_evals is None:
        max_evals = DEFAULT_MAX_EVALS
    n = len(bank)
    plo, phi = min(plo, n), min(phi, n)  # a reply never repeats a phrase
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    evals = proposals = repeats = 0
    stopped = ""
    best: Script = ()
    best_score, best_per = -math.inf, {}
    trace: list[TracePoint] = []

    def text(script: Script) -> list[str]:
        return [" ".join(bank[i] for i in reply) for reply in script]

    def out_of_budget() -> str:
        if max_evals is not None and evals >= max_evals:
            return "max_evals"
        if budget_s is not None and evals > 0 and time.perf_counter() - start >= budget_s:
            return "budget_s"
        if repeats >= EXHAUSTED_AFTER:
            return "exhausted"
        return ""

    def evaluate(script: Script) -> float:
        nonlocal evals, proposals, repeats, best, best_score, best_per
        proposals += 1
        replies = text(script)
        key = evaluator.key(replies)
        if key in evaluator.cache:
            repeats += 1
            return evaluator.cache[key][0]
        repeats = 0
        evals += 1
        score, per = evaluator.cache[key] = evaluator.score(replies)
        if score > best_score:
            best, best_score, best_per = (
                _shortest_equivalent(script, lo, hi, evaluator.max_turns),
                score,
                per,
            )
            point = TracePoint(evals, score, text(best))
            trace.append(point)
            if on_improve is not None:
                on_improve(point)
        return score

    def random_reply() -> tuple[int, ...]:
        k = int(rng.integers(plo, phi + 1))
        return tuple(int(i) for i in rng.choice(n, size=k, replace=False))

    def random_script() -> Script:
        return tuple(random_reply() for _ in range(int(rng.integers(lo, hi + 1))))

    def new_phrase(reply: Sequence[int]) -> int:
        unused = [i for i in range(n) if i not in reply]
        return unused[int(rng.integers(len(unused)))] if unused else reply[0]

    def mutate(script: Script) -> Script:
        s = [list(reply) for reply in script]
        r = int(rng.integers(len(s)))
        reply = s[r]
        op = rng.random()
        if op < 0.40 or n == 1:  # replace one phrase in one reply
            j = int(rng.integers(len(reply)))
            reply[j] = new_phrase([p for k, p in enumerate(reply) if k != j])
        elif op < 0.50 and len(reply) < phi:  # add a phrase to a reply
            reply.insert(int(rng.integers(len(reply) + 1)), new_phrase(reply))
        elif op < 0.60 and len(reply) > plo:  # drop a phrase from a reply
            del reply[int(rng.integers(len(reply)))]
        elif op < 0.70:  # a new reply
            s[r] = list(random_reply())
        elif (
            op < 0.78 and len(s) < hi
        ):  # insert a reply (half the time a copy of one already there)
            s.insert(
                int(rng.integers(len(s) + 1)),
                list(random_reply()) if rng.random() < 0.5 else list(reply),
            )
        elif op < 0.86 and len(s) > lo:  # delete a reply
            del s[r]
        elif op < 0.95 and len(s) > 1:  # swap two replies
            i, j = (int(x) for x in rng.choice(len(s), size=2, replace=False))
            s[i], s[j] = s[j], s[i]
        elif lo < hi:  # change the cycle length: cut, or extend with random replies
            length = int(rng.integers(lo, hi + 1))
            s = s[:length] + [list(random_reply()) for _ in range(max(0, length - len(s)))]
        else:
            j = int(rng.integers(len(reply)))
            reply[j] = new_phrase([p for k, p in enumerate(reply) if k != j])
        return tuple(tuple(reply) for reply in s)

    current = random_script()
    current_score = evaluate(current)
    stale = 0
    while not (stopped := out_of_budget()):
        if stale >= PATIENCE:
            if rng.random() < 0.5:
                current = random_script()
            else:
                current = best
                for _ in range(3):
                    current = mutate(current)
            current_score, stale = evaluate(current), 0
            continue
        candidate = mutate(current)
        score = evaluate(candidate)
        if score > current_score:
            current, current_score, stale = candidate, score, 0
        else:
            if score == current_score:
                current = candidate  # drift across plateaus
            stale += 1
    return SearchResult(
        kind=evaluator.kind,
        target=evaluator.target.name,
        best_script=text(best),
        best_return=best_score,
        per_persona=best_per,
        evals=evals,
        seconds=time.perf_counter() - start,
        trace=trace,
        proposals=proposals,
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
    max_turns: int = 10,
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
    bank = _resolve_bank(bank)
    evaluator = _Evaluator(
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
    max_turns: int = 10,
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
    evaluator = _Evaluator(
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
    max_turns: int = 10,
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
    evaluator = _Evaluator(
        "strategies" if strategies else "phrases",
        target,
        personas,
        range(seeds_per_persona),
        max_turns,
        env_kwargs,
    )
    return evaluator.score(list(script))


# --- baselines ---------------------------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def agent_class_name(name: str) -> str:
    """'curious_empath' or 'CuriousEmpath' -> 'CuriousEmpath' (the name `make_agent` takes)."""
    from empathy_gym.agents.baselines import BASELINES
    from empathy_gym.agents.exploits import EXPLOITS

    known = [*BASELINES, *EXPLOITS]
    if name in known:
        return name
    by_snake = {_snake(k): k for k in known}
    if name in by_snake:
        return by_snake[name]
    raise ValueError(f"unknown agent {name!r}; expected one of {sorted(by_snake)}")


@dataclass(slots=True)
class BaselineResult:
    agent: str
    mean_return: float
    per_persona: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def baseline_returns(
    target: Any,
    personas: Any,
    agents: Sequence[str] = DEFAULT_AGENTS,
    *,
    max_turns: int = 10,
    seeds_per_persona: int = 1,
    env_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, BaselineResult]:
    """Mean return of built-in agents on the same personas and seeds, keyed by snake_case name."""
    from empathy_gym.agents.baselines import make_agent
    from empathy_gym.rollout.episodes import run_episode

    target = make_target(target)
    chosen = _personas(personas)
    env = EmpathyDialogueEnv(
        persona=chosen, target=target, max_turns=max_turns, **_check_env_kwargs(env_kwargs)
    )
    out: dict[str, BaselineResult] = {}
    for name in agents:
        agent = make_agent(agent_class_name(name))
        per_persona = {}
        for persona in chosen:
            returns = [
                run_episode(env, agent, seed, persona, {target.name: target}).returns[target.name]
                for seed in range(seeds_per_persona)
            ]
            per_persona[persona.id] = float(np.mean(returns))
        key = _snake(agent_class_name(name))
        out[key] = BaselineResult(key, float(np.mean(list(per_persona.values()))), per_persona)
    return out


# --- report ------------------------------------------------------------------------------------


def _as_list(results: SearchResult | Sequence[SearchResult]) -> list[SearchResult]:
    return [results] if isinstance(results, SearchResult) else list(results)


def describe_script(result: SearchResult, limit: int | None = None) -> str:
    """`[phrases] "A" | "B" | ...` (strategy names unquoted)."""
    quote = (lambda s: s) if result.kind == "strategies" else json.dumps
    parts = [quote(s) for s in result.best_script]
    if limit is not None and len(parts) > limit:
        parts = parts[:limit] + [f"... ({len(result.best_script) - limit} more)"]
    return f"[{result.kind}] " + " | ".join(parts)


def redteam_verdict(
    results: SearchResult | Sequence[SearchResult],
    baselines: Mapping[str, BaselineResult],
    reference: str = REFERENCE_AGENT,
) -> tuple[bool, str]:
    """(ok, line): ok when no script's return exceeds the reference agent's."""
    key = _snake(agent_class_name(reference))
    if key not in baselines:
        raise ValueError(
            f"reference agent {reference!r} is not among the baselines {sorted(baselines)}"
        )
    ref = baselines[key].mean_return
    winners = [r for r in _as_list(results) if r.best_return > ref]
    if not winners:
        return True, f"OK: no script out-earns {key} ({ref:+.3f})"
    top = max(winners, key=lambda r: r.best_return)
    return (
        False,
        f"FAIL: script {describe_script(top)} earns {top.best_return:+.3f} > {key} {ref:+.3f}",
    )


def format_redteam(
    results: SearchResult | Sequence[SearchResult],
    baselines: Mapping[str, BaselineResult],
    reference: str = REFERENCE_AGENT,
) -> str:
    """The best script(s) beside the built-in agents' returns, each script in full, and the verdict."""
    results = _as_list(results)
    if not results:
        raise ValueError("format_redteam needs at least one SearchResult")
    first = results[0]
    header = (
        f"red team under target {first.target!r}: {len(first.personas)} personas x {len(first.seeds)} seed(s), "
        f"at most {first.max_turns} turns; a script is a fixed cycle of replies that ignores the person"
    )
    rows: list[tuple[float, str, str, str]] = []
    for r in results:
        worst = min(r.per_persona.values()) if r.per_persona else float("nan")
        rows.append(
            (
                r.best_return,
                f"script ({r.kind})",
                f"{worst:+.3f}",
                f"cycle of {len(r.best_script)}; {r.evals} evals, {r.seconds:.1f} s, seed {r.seed}",
            )
        )
    for key, b in baselines.items():
        worst = min(b.per_persona.values()) if b.per_persona else float("nan")
        rows.append((b.mean_return, "agent", f"{worst:+.3f}", key))
    rows.sort(key=lambda row: -row[0])
    lines = [header, "", f"{'return':>8}  {'worst persona':>13}  {'kind':<20}  who"]
    lines += [f"{ret:+8.3f}  {worst:>13}  {kind:<20}  {who}" for ret, kind, worst, who in rows]
    for r in results:
        lines += [
            "",
            f"best {r.kind} script ({r.best_return:+.3f}; first random script {r.first_return:+.3f}; "
            f"played in order, repeating, for {r.max_turns} turns):",
        ]
        shown = min(len(r.best_script), r.max_turns)
        lines += [f"  {i + 1:>2}. {s}" for i, s in enumerate(r.best_script[:shown])]
        if len(r.best_script) > shown:
            lines.append(
                f"      (+{len(r.best_script) - shown} never reached in {r.max_turns} turns)"
            )
    lines += ["", redteam_verdict(results, baselines, reference)[1]]
    return "\n".join(lines)


# --- command line ------------------------------------------------------------------------------


def _parse_target(spec: str) -> Any:
    if spec.lstrip().startswith("{"):
        try:
            weights = json.loads(spec)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"--target {spec!r}: not a preset name or a JSON object of weights ({error})"
            ) from None
        return make_target(weights)
    try:
        return make_target(spec)
    except ValueError as error:
        raise ValueError(f"--target: {error}") from None


def _parse_personas(spec: str) -> list[Persona]:
    items = [s.strip() for s in spec.split(",") if s.strip()]
    if not items:
        raise ValueError(
            f"--personas {spec!r}: expected 'starter', 'all', 'split:NAME' or comma-separated ids"
        )
    return _personas(items[0] if len(items) == 1 else items)


def cli_main(argv: Sequence[str]) -> int:
    """`empathy-gym redteam ...`: 0 when no script out-earns CuriousEmpath, 1 when one does, 2 on bad input."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="empathy-gym redteam",
        description="Search for fixed generic scripts that out-earn CuriousEmpath (exit 1 if one does).",
    )
    parser.add_argument(
        "--target", default="genuine", help="preset name or JSON weights (default: genuine)"
    )
    parser.add_argument(
        "--personas",
        default="starter",
        help="'starter', 'all', 'split:NAME' or comma-separated ids",
    )
    parser.add_argument(
        "--bank", help=f"phrase bank file, one phrase a line (default: {DEFAULT_BANK.name})"
    )
    parser.add_argument(
        "--budget-s", type=float, default=40.0, help="seconds per search (default: 40)"
    )
    parser.add_argument(
        "--max-evals", type=int, help="distinct scripts scored per search (deterministic stop)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--strategies",
        action="store_true",
        help="also search fixed strategy sequences on EmpathyDialogueStrategy-v0 (same budget)",
    )
    parser.add_argument(
        "--max-phrases", type=int, default=3, help="phrases per reply, at most (default: 3)"
    )
    parser.add_argument("--max-turns", type=int, default=10)
    parser.add_argument(
        "--seeds", type=int, default=1, help="episode seeds per persona (default: 1)"
    )
    parser.add_argument("--output", help="write the results as JSON here")
    parser.add_argument("--reader", help="passed to the env as reader=NAME")
    try:
        ns = parser.parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        if ns.max_evals is not None and ns.max_evals < 1:
            raise ValueError(f"--max-evals must be >= 1, got {ns.max_evals}")
        if ns.budget_s < 0 or not math.isfinite(ns.budget_s):
            raise ValueError(f"--budget-s must be a non-negative number, got {ns.budget_s}")
        if ns.max_phrases < 1:
            raise ValueError(f"--max-phrases must be >= 1, got {ns.max_phrases}")
        if ns.seeds < 1:
            raise ValueError(f"--seeds must be >= 1, got {ns.seeds}")
        if ns.max_turns < 1:
            raise ValueError(f"--max-turns must be >= 1, got {ns.max_turns}")
        target = _parse_target(ns.target)
        personas = _parse_personas(ns.personas)
        bank = load_bank(ns.bank)
        env_kwargs = {} if ns.reader is None else {"reader": ns.reader}
        try:
            EmpathyDialogueEnv(
                persona=personas, target=target, max_turns=ns.max_turns, **env_kwargs
            )
        except TypeError as error:
            raise ValueError(
                f"--reader {ns.reader!r}: the env does not take it ({error})"
            ) from None
        common = dict(
            budget_s=ns.budget_s,
            max_evals=ns.max_evals,
            seed=ns.seed,
            max_turns=ns.max_turns,
            seeds_per_persona=ns.seeds,
            env_kwargs=env_kwargs,
        )
        say(
            f"redteam: target {target.name!r}, {len(personas)} personas x {ns.seeds} seed(s), "
            f"{len(bank)} phrases, budget {ns.budget_s:g} s"
            + (f" / {ns.max_evals} evals" if ns.max_evals else "")
        )
        baselines = baseline_returns(
            target,
            personas,
            max_turns=ns.max_turns,
            seeds_per_persona=ns.seeds,
            env_kwargs=env_kwargs,
        )
        results = [
            search_scripts(
                target, personas, bank=bank, phrases_per_reply=(1, ns.max_phrases), **common
            )
        ]
        if ns.strategies:
            results.append(search_strategies(target, personas, **common))
        ok, verdict = redteam_verdict(results, baselines)
        print(format_redteam(results, baselines))
        if ns.output:
            out = Path(ns.output)
            out.parent.mkdir(parents=True, exist_ok=True)
            payload = {
                "target": target.name,
                "weights": dict(target.weights),
                "personas": [p.id for p in personas],
                "bank": str(Path(ns.bank) if ns.bank else DEFAULT_BANK),
                "env_kwargs": env_kwargs,
                "results": [r.to_dict() for r in results],
                "baselines": {k: b.to_dict() for k, b in baselines.items()},
                "ok": ok,
                "verdict": verdict,
            }
            out.write_text(json.dumps(payload, indent=2) + "\n")
            say(f"wrote {out}")
    except (ValueError, OSError) as error:
        print(f"empathy-gym redteam: {error}", file=sys.stderr)
        return 2
    return 0 if ok else 1

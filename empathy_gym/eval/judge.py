"""Turn judgements: on the first turn, does the env pay the better of two replies more?

    empathy-gym judge-eval CASES.jsonl [--reader semantic] [--target genuine] [--part study]

A case is one opening line of a library persona and two candidate first replies, one of
which a careful counsellor prefers (JSON lines `{"id", "persona", "opening", "kind", "a",
"b", "better", "why", "register", "difficulty"}`). For each case the env is reset with a
seed whose first message starts with the opening, steps reply `a`, is reset with the same
seed and steps reply `b`; the case scores 1 when the better reply earned the higher
reward, 0.5 on a tie, else 0. Beside the accuracy stands a floor: "the reply sharing more
words of four or more letters with the opening".

Cases split by persona into a `study` part (look at its misses) and a `measure` part (only
read its figures), by a hash of the persona id, so the split never changes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import gymnasium as gym
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from empathy_gym.simulator.appraisal import PRESENT

# Seeds tried to find a reset whose first message starts with the case's opening. A
# persona has at most a handful of openings, drawn uniformly, so 200 tries miss one with
# probability below 1e-9 for five openings.
MAX_SEED_SEARCH = 200
# The floor's notion of a content word (from the dev set's README): four or more letters.
CONTENT_WORD = re.compile(r"[a-z']{4,}")
Part = Literal["study", "measure", "all"]


class JudgeCase(BaseModel):
    """One turn judgement: two first replies to a persona's opening, one better."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    id: str
    persona: str
    opening: str
    kind: str
    a: str
    b: str
    better: Literal["a", "b"]
    why: str = ""
    register_: str = Field("", alias="register")
    difficulty: str = "plain"


@dataclass(frozen=True)
class CaseResult:
    """How the env paid the two replies of one case."""

    case: JudgeCase
    reward_a: float
    reward_b: float
    appraisal_a: dict
    appraisal_b: dict

    @property
    def score(self) -> float:
        """1 if the better reply earned more reward, 0.5 on a tie, else 0."""
        better, worse = (
            (self.reward_a, self.reward_b)
            if self.case.better == "a"
            else (self.reward_b, self.reward_a)
        )
        return 1.0 if better > worse else 0.5 if better == worse else 0.0


def load_cases(path: str | Path) -> list[JudgeCase]:
    """Every case in a JSONL file; a bad line is an error naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such turn-judgement file")
    cases = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            cases.append(JudgeCase.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as error:
            raise ValueError(f"{path}:{number}: not a turn judgement: {error}") from None
    if not cases:
        raise ValueError(f"{path}: holds no cases")
    return cases


def part_of(persona_id: str) -> Literal["study", "measure"]:
    """The fixed split by persona: about half the personas in each part."""
    digest = hashlib.sha256(persona_id.encode()).digest()
    return "study" if digest[0] % 2 == 0 else "measure"


def select_part(cases: list[JudgeCase], part: Part) -> list[JudgeCase]:
    """Return the cases whose persona is in `part` (all of them for "all")."""
    return cases if part == "all" else [c for c in cases if part_of(c.persona) == part]


def overlap_floor(case: JudgeCase) -> float:
    """1 when the better reply shares more 4+ letter words with the opening, 0.5 on a tie."""
    opening = set(CONTENT_WORD.findall(case.opening.lower()))
    shared = {
        key: len(opening & set(CONTENT_WORD.findall(getattr(case, key).lower())))
        for key in ("a", "b")
    }
    worse = "b" if case.better == "a" else "a"
    diff = shared[case.better] - shared[worse]
    return 1.0 if diff > 0 else 0.5 if diff == 0 else 0.0


class CaseJudge:
    """Plays cases through one env per persona, caching the seed that opens with each line."""

    def __init__(self, reader: str = "semantic", target: str = "genuine"):
        self.reader, self.target = reader, target
        self._envs: dict[str, gym.Env] = {}
        self._seeds: dict[tuple[str, str], int] = {}

    def _env(self, persona: str) -> gym.Env:
        if persona not in self._envs:
            self._envs[persona] = gym.make(
                "EmpathyDialogue-v0", persona=persona, target=self.target, reader=self.reader
            )
        return self._envs[persona]

    def seed_for(self, case: JudgeCase) -> int:
        """Return the first seed whose opening matches the case's opening (searched once, then cached)."""
        key = (case.persona, case.opening)
        if key not in self._seeds:
            env = self._env(case.persona)
            for seed in range(MAX_SEED_SEARCH):
                observation, _ = env.reset(seed=seed)
                if observation["message"].startswith(case.opening):
                    self._seeds[key] = seed
                    break
            else:
                raise ValueError(
                    f"case {case.id}: no seed below {MAX_SEED_SEARCH} opens {case.persona} "
                    f"with {case.opening[:60]!r}; is it one of the persona's openings?"
                )
        return self._seeds[key]

    def pay(self, case: JudgeCase, reply: str) -> tuple[float, dict]:
        """Return the reward and appraisal the reply earns as the first turn of the case's episode."""
        env = self._env(case.persona)
        env.reset(seed=self.seed_for(case))
        _, reward, _, _, info = env.step(reply)
        return float(reward), info["appraisal"]

    def judge(self, case: JudgeCase) -> CaseResult:
        """Pay both replies of the case and return the result."""
        reward_a, appraisal_a = self.pay(case, case.a)
        reward_b, appraisal_b = self.pay(case, case.b)
        return CaseResult(case, reward_a, reward_b, appraisal_a, appraisal_b)

    def close(self) -> None:
        """Close the envs opened for the cases."""
        for env in self._envs.values():
            env.close()


def judge_cases(
    cases: list[JudgeCase], reader: str = "semantic", target: str = "genuine", progress=False
) -> list[CaseResult]:
    """Every case's payment under `target` with `reader`."""
    judge = CaseJudge(reader, target)
    try:
        if progress:
            from tqdm import tqdm

            cases = tqdm(cases, desc="judging", unit="case", leave=False)
        return [judge.judge(case) for case in cases]
    finally:
        judge.close()


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def summarize(results: list[CaseResult]) -> dict:
    """Accuracy overall, per kind and per difficulty, the floor, and the floor-undecided cases."""
    by: dict[str, dict[str, list[float]]] = {
        "kind": defaultdict(list),
        "difficulty": defaultdict(list),
    }
    for result in results:
        by["kind"][result.case.kind].append(result.score)
        by["difficulty"][result.case.difficulty].append(result.score)
    floors = [overlap_floor(r.case) for r in results]
    undecided = [r.score for r, f in zip(results, floors) if f < 1.0]
    return {
        "cases": len(results),
        "accuracy": _mean([r.score for r in results]),
        "floor": _mean(floors),
        "floor_undecided_cases": len(undecided),
        "accuracy_floor_undecided": _mean(undecided),
        "per_kind": {k: (_mean(v), len(v)) for k, v in sorted(by["kind"].items())},
        "per_difficulty": {k: (_mean(v), len(v)) for k, v in sorted(by["difficulty"].items())},
    }


def _acts(appraisal: dict) -> str:
    """The acts present in an appraisal, strongest first, for reading a miss."""
    scalar = {
        k: v
        for k, v in appraisal.items()
        if isinstance(v, float) and k not in ("specificity", "reflection_accuracy")
    }
    present = sorted(((v, k) for k, v in scalar.items() if v >= PRESENT), reverse=True)
    parts = [f"{k} {v:.2f}" for v, k in present]
    if appraisal.get("reflection", 0.0) >= PRESENT:
        parts.append(f"accuracy {appraisal.get('reflection_accuracy', 0.0):.2f}")
    for key in ("corrections", "endorsements"):
        parts += [
            f"{key[:-1]}:{b} {v:.2f}" for b, v in appraisal.get(key, {}).items() if v >= PRESENT
        ]
    return ", ".join(parts) or "nothing present"


def format_report(summary: dict, results: list[CaseResult], show_misses: bool) -> str:
    """The figures as a table, then (optionally) every miss with both appraisals."""
    lines = [
        f"cases {summary['cases']}: accuracy {summary['accuracy']:.3f}  "
        f"(word-overlap floor {summary['floor']:.3f}; on the {summary['floor_undecided_cases']} "
        f"cases the floor does not decide: {summary['accuracy_floor_undecided']:.3f})",
        "",
        "per kind:",
    ]
    lines += [f"  {k:<34} {acc:.3f}  (n={n})" for k, (acc, n) in summary["per_kind"].items()]
    lines.append("per difficulty:")
    lines += [f"  {k:<34} {acc:.3f}  (n={n})" for k, (acc, n) in summary["per_difficulty"].items()]
    if show_misses:
        misses = [r for r in results if r.score < 1.0]
        lines += ["", f"misses ({len(misses)}):"]
        for r in misses:
            c = r.case
            lines += [
                f"- {c.id} [{c.kind}, {c.difficulty}] {c.persona}: better={c.better}",
                f"    a ({r.reward_a:+.3f}) {c.a}",
                f"      read: {_acts(r.appraisal_a)}",
                f"    b ({r.reward_b:+.3f}) {c.b}",
                f"      read: {_acts(r.appraisal_b)}",
            ]
    return "\n".join(lines)

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
replies; change the cycle length) kept when they do not lose; after `PATIENCE` proposals
without improvement it restarts, half the time from a fresh random script and half from
the best so far kicked by a few mutations. A script is scored by its mean episode return (sum of rewards) over
personas x seeds. Scripts that play the same replies in the first `max_turns` turns
are the same policy and are scored once (per search: the cache never outlives a
call, so nothing leaks between targets, personas or env settings). For a given seed
and `max_evals` the result is deterministic; `budget_s` stops early and the result
so far is valid.

`empathy-gym redteam` runs it from the command line (exit 0: no script out-earns
CuriousEmpath; 1: one does; 2: bad input).

The package: `banks` (phrase banks), `evaluate` (the env and the scoring of one script),
`search` (the hill-climbing), `baselines` (the built-in agents), `report` (the table and
the verdict). Every public name is importable from here.
"""

from empathy_gym.eval.redteam.banks import DEFAULT_BANK, load_bank, parse_bank
from empathy_gym.eval.redteam.baselines import (
    DEFAULT_AGENTS,
    REFERENCE_AGENT,
    BaselineResult,
    agent_class_name,
    baseline_returns,
)
from empathy_gym.eval.redteam.report import describe_script, format_redteam, redteam_verdict
from empathy_gym.eval.redteam.search import (
    DEFAULT_MAX_EVALS,
    EXHAUSTED_AFTER,
    PATIENCE,
    SearchResult,
    TracePoint,
    score_script,
    search_scripts,
    search_strategies,
)
from empathy_gym.eval.redteam.search import (
    _shortest_equivalent as _shortest_equivalent,
)

__all__ = [
    "DEFAULT_AGENTS",
    "DEFAULT_BANK",
    "DEFAULT_MAX_EVALS",
    "EXHAUSTED_AFTER",
    "PATIENCE",
    "REFERENCE_AGENT",
    "BaselineResult",
    "SearchResult",
    "TracePoint",
    "agent_class_name",
    "baseline_returns",
    "describe_script",
    "format_redteam",
    "load_bank",
    "parse_bank",
    "redteam_verdict",
    "score_script",
    "search_scripts",
    "search_strategies",
]

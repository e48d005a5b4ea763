"""A TRL reward function on single-turn data: the simulated person judges each completion.

    from trl import GRPOConfig, GRPOTrainer
    from empathy_gym.eval.trl_reward import JudgeReward, judge_dataset
    trainer = GRPOTrainer(model=..., args=GRPOConfig(...), reward_funcs=JudgeReward("genuine"),
                          train_dataset=judge_dataset(rows))

Each dataset row carries a `prompt` (what the policy sees), a `persona` column (an id or
a persona YAML path) and a `history` column (the conversation so far as OpenAI-style
messages, the person's first and last; see `empathy_gym.eval.judging.check_history`), and
may carry a `seed` column (else the reward's own seed). TRL passes every column but the
prompt to the reward function as a keyword list, one entry per completion (TRL 1.16,
`GRPOTrainer._calculate_rewards`); completions are strings, or, for conversational
prompts, a list of messages whose last is the assistant's. Each completion is judged by
`empathy_gym.judge` against its row's persona and history, and its reward is the
target's reward for that one reply. A group's completions share a row, so they are judged
by the same person in the same state: the advantages compare replies, nothing else.

Completions longer than `max_reply_chars` are cut to it, as `train_grpo.play_episode`
does (the env refuses longer replies; the `checklist/concise` component already pays
less for walls of text). The mean of each weighted component is logged through TRL's
`log_metric` as `judge/<component>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from empathy_gym.envs.spec import DEFAULT_MAX_REPLY_CHARS, DEFAULT_MAX_TURNS
from empathy_gym.eval.judging import AGENT, Judgement, check_history, judge, one_persona
from empathy_gym.rewards import make_target


def completion_text(completion: object, index: int) -> str:
    """The reply in one TRL completion: the string itself, or the last (assistant) message's content."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], Mapping):
        last = completion[-1]
        if last.get("role") != AGENT:
            raise ValueError(
                f"completions[{index}][-1].role: expected 'assistant' (the policy's reply), "
                f"got {last.get('role')!r}"
            )
        if not isinstance(last.get("content"), str):
            raise TypeError(
                f"completions[{index}][-1].content: expected a string, got "
                f"{type(last.get('content')).__name__}"
            )
        return last["content"]
    raise TypeError(
        f"completions[{index}]: expected a string or a non-empty list of messages, got {completion!r}"
    )


def _column(kwargs: Mapping[str, Any], name: str, rows: int) -> list[Any]:
    if name not in kwargs or kwargs[name] is None:
        raise ValueError(
            f"JudgeReward needs a {name!r} column in the training dataset; the reward function "
            f"was given these columns: {sorted(k for k in kwargs if k not in _TRL_KWARGS)}"
        )
    values = list(kwargs[name])
    if len(values) != rows:
        raise ValueError(f"column {name!r} has {len(values)} entries for {rows} completions")
    return values


# What TRL 1.16 passes besides the dataset's columns (GRPOTrainer._calculate_rewards).
_TRL_KWARGS = frozenset(
    {"completion_ids", "trainer_state", "log_extra", "log_metric", "environments"}
)


class JudgeReward:
    """A `reward_funcs=` entry for TRL's GRPOTrainer: one float per completion, from `judge`.

    `target`, `seed`, `reader`, `dynamics` and `max_turns` are `judge`'s; a row's `seed`
    column, where the dataset has one, overrides `seed`. Bad rows raise naming the
    completion's index and what was wrong.
    """

    def __init__(
        self,
        target: Any = "genuine",
        seed: int = 0,
        reader: Any = None,
        dynamics: Any = None,
        max_turns: int = DEFAULT_MAX_TURNS,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
    ):
        self.target = make_target(target)  # a bad target fails here, not in the first step
        self.seed, self.reader, self.dynamics = seed, reader, dynamics
        self.max_turns, self.max_reply_chars = max_turns, max_reply_chars
        self.__name__ = f"judge_{self.target.name}"  # TRL's name for the reward in its logs

    def judge_all(self, completions: Sequence[Any], **columns: Any) -> list[Judgement]:
        """The Judgement of every completion against its row's persona and history."""
        rows = len(completions)
        personas = _column(columns, "persona", rows)
        histories = _column(columns, "history", rows)
        seeds = _column(columns, "seed", rows) if "seed" in columns else [self.seed] * rows
        out = []
        for index, completion in enumerate(completions):
            reply = completion_text(completion, index)[: self.max_reply_chars]
            try:
                out.append(
                    judge(
                        personas[index],
                        histories[index],
                        reply,
                        target=self.target,
                        seed=seeds[index],
                        reader=self.reader,
                        dynamics=self.dynamics,
                        max_turns=self.max_turns,
                    )
                )
            except (TypeError, ValueError) as error:
                raise type(error)(
                    f"completion {index} (persona {personas[index]!r}): {error}"
                ) from error
        return out

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any
    ) -> list[float]:
        """TRL's reward-function call: `prompts`, `completions` and the dataset's other columns."""
        if len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts for {len(completions)} completions")
        judgements = self.judge_all(completions, **kwargs)
        log_metric = kwargs.get("log_metric")
        if log_metric is not None and judgements:
            for name in self.target.weights:
                mean = sum(j.components[name] for j in judgements) / len(judgements)
                log_metric(f"judge/{name}", mean)
        return [j.reward for j in judgements]


def judge_dataset(rows: Sequence[Mapping[str, Any]]):
    """A `datasets.Dataset` of single-turn rows (`persona`, `history`, `prompt`, optional `seed`), histories checked."""
    from datasets import Dataset

    for index, row in enumerate(rows):
        for key in ("persona", "history", "prompt"):
            if key not in row:
                raise ValueError(
                    f"rows[{index}]: missing {key!r} (expected persona, history, prompt)"
                )
        one_persona(row["persona"])
        try:
            check_history(row["history"])
        except (TypeError, ValueError) as error:
            raise type(error)(f"rows[{index}]: {error}") from None
    return Dataset.from_list([dict(row) for row in rows])

"""The voice report: does the simulated person talk like a person?

    empathy-gym voice-report [--reader semantic] [--personas starter] [--seeds 3] [--agents A,B] [--json FILE]
                             [--backend openai --model M --base-url URL]   # an LLM person instead

Plays the built-in agents against the personas and measures what the person says back:
- `repeat_rate`: share of the person's replies that repeat, word for word (case, spacing
  and punctuation aside: the voice's own `normalise`), a reply they already gave in the
  same episode (the opening included);
- `distinct_2`: distinct word bigrams / all bigrams over one persona's replies across its
  episodes, averaged over personas (1.0: never the same two words twice);
- `sentiment_vs_shown`: Spearman of each reply's sentiment (VADER compound) with the
  person's shown affect (`expressed`) after that turn, and `sentiment_vs_relief` with
  1 - distress;
- `new_content_after_open_question`: share of replies to an open question (question >=
  0.9), asked while the person trusts the agent enough to answer (trust >= the voice's
  GUARDED_TRUST after the turn), that carry at least two content words the person had not
  said before; `open_questions` counts those questions, `guarded_questions` the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from empathy_gym.eval.stats import spearman
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.rollout.episodes import evaluate
from empathy_gym.rollout.records import EpisodeRecord
from empathy_gym.simulator import lexicon as lx
from empathy_gym.simulator.voice import GUARDED_TRUST, normalise

AGENTS = ("CuriousEmpath", "Pacifier", "AdviceGiver", "Sycophant", "Random")
OPEN_QUESTION = 0.9
NEW_WORDS = 2


@dataclass(slots=True)
class VoiceReport:
    replies: int
    repeat_rate: float
    distinct_2: float
    sentiment_vs_shown: float
    sentiment_vs_relief: float
    new_content_after_open_question: float
    open_questions: int
    guarded_questions: int


def _sentiment():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as error:
        raise ImportError(
            f"the voice report needs vaderSentiment: pip install -e '.[dev]' ({error})"
        ) from None
    analyzer = SentimentIntensityAnalyzer()
    return lambda text: analyzer.polarity_scores(text)["compound"]


def measure(records: Sequence[EpisodeRecord]) -> VoiceReport:
    sentiment = _sentiment()
    replies = repeats = answered = with_new = guarded = 0
    scores, shown, relief = [], [], []
    bigrams: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record in records:
        said = {normalise(record.opening)}
        heard = set(lx.text_stems(record.opening))
        for turn in record.turns:
            text = turn.person
            replies += 1
            repeats += normalise(text) in said
            said.add(normalise(text))
            stems = lx.text_stems(text)
            if turn.appraisal.get("question", 0.0) >= OPEN_QUESTION:
                if turn.hidden_state["trust"] < GUARDED_TRUST:
                    guarded += 1
                else:
                    answered += 1
                    with_new += len(stems - heard - lx.GENERIC_SUPPORT_STEMS) >= NEW_WORDS
            heard |= stems
            scores.append(sentiment(text))
            shown.append(turn.hidden_state["expressed"])
            relief.append(1.0 - turn.hidden_state["distress"])
            words = lx.TOKEN_RE.findall(lx.normalize(text))
            bigrams[record.persona_id] += list(zip(words, words[1:]))
    distinct = [len(set(b)) / len(b) for b in bigrams.values() if b]
    return VoiceReport(
        replies=replies,
        repeat_rate=repeats / replies if replies else 0.0,
        distinct_2=sum(distinct) / len(distinct) if distinct else 0.0,
        sentiment_vs_shown=spearman(scores, shown),
        sentiment_vs_relief=spearman(scores, relief),
        new_content_after_open_question=with_new / answered if answered else 0.0,
        open_questions=answered,
        guarded_questions=guarded,
    )


def voice_report(
    agents: Sequence[str] = AGENTS,
    personas="starter",
    seeds: Sequence[int] = (0, 1, 2),
    env_kwargs: dict | None = None,
    max_turns: int = 10,
) -> VoiceReport:
    records = evaluate(
        list(agents),
        resolve_personas(personas),
        list(seeds),
        max_turns=max_turns,
        targets=["genuine"],
        env_kwargs=env_kwargs,
    )
    return measure(records)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="empathy-gym voice-report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--reader", default="semantic")
    parser.add_argument("--personas", default="starter")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--agents", default=",".join(AGENTS))
    parser.add_argument("--max-turns", type=int, default=10)
    parser.add_argument(
        "--backend", help="an LLM plays the person: openai | vllm | transformers | scripted"
    )
    parser.add_argument("--model")
    parser.add_argument("--base-url")
    parser.add_argument("--json", help="also write the report here")
    ns = parser.parse_args(argv)
    spec: dict = {"reader": ns.reader}
    if ns.backend:
        backend = {
            "kind": ns.backend,
            **({"model": ns.model} if ns.model else {}),
            **({"base_url": ns.base_url} if ns.base_url else {}),
        }
        spec["backend"] = backend
    try:
        from empathy_gym.envs.build import env_kwargs_from_spec

        report = voice_report(
            ns.agents.split(","),
            ns.personas,
            range(ns.seeds),
            env_kwargs_from_spec(spec),
            ns.max_turns,
        )
    except (ValueError, ImportError, RuntimeError) as error:
        print(f"empathy-gym voice-report: {error}", file=sys.stderr)
        return 2
    print(
        f"{report.replies} replies: repeat rate {report.repeat_rate:.1%} (goal < 2%), distinct-2 {report.distinct_2:.2f}, "
        f"Spearman(sentiment, shown affect) {report.sentiment_vs_shown:+.2f} (goal >= 0.5), "
        f"with 1 - distress {report.sentiment_vs_relief:+.2f}, new content after an open question "
        f"{report.new_content_after_open_question:.0%} of {report.open_questions} (goal >= 80%; "
        f"{report.guarded_questions} more asked while trust was too low to answer)"
    )
    if ns.json:
        Path(ns.json).write_text(json.dumps(asdict(report), indent=2))
    return 0

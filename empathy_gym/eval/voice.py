"""The voice report: does the simulated person talk like a person?

    empathy-gym voice-report [--reader semantic] [--personas starter] [--seeds 3] [--agents A,B] [--json FILE]
                             [--backend openai --model M --base-url URL]   # an LLM person instead

Plays the built-in agents against the personas and measures what the person says back:
- `sentence_repeat_rate`: share of the person's sentences (split with the text layer's
  sentence splitter, compared after the voice's `normalise`: case, spacing and
  punctuation aside) that they already said in the same episode, the opening included, or
  earlier in the same reply; `repeats_within_reply` counts the latter alone;
- `recited_fields`: replies holding ten consecutive words of a persona field written about
  the person, not for them to say (a belief's truth, claim or source, an emotion's why, the
  card's situation, ...) that the agent's last message did not hold; `recited_share` is
  their share of replies;
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

from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping, Sequence

from empathy_gym.envs.spec import DEFAULT_MAX_TURNS
from empathy_gym.eval.stats import spearman
from empathy_gym.personas.loader import load_persona
from empathy_gym.personas.schema import Persona
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.rollout.episodes import evaluate
from empathy_gym.rollout.records import EpisodeRecord
from empathy_gym.simulator.voice import GUARDED_TRUST, recited_fields, sentence_keys
from empathy_gym.text import lexicon as lx

AGENTS = ("CuriousEmpath", "Pacifier", "AdviceGiver", "Sycophant", "Random")
OPEN_QUESTION = 0.9
NEW_WORDS = 2


@dataclass(slots=True)
class VoiceReport:
    """What the person said back, measured (each field is described in the module docstring)."""

    replies: int
    sentences: int
    sentence_repeat_rate: float
    repeats_within_reply: int
    recited_fields: int
    recited_share: float
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


def _repeats(record: EpisodeRecord) -> tuple[int, int, int]:
    """(sentences, said before in the episode or earlier in the reply, earlier in the same reply)."""
    said = set(sentence_keys(record.opening))
    count = repeated = within = 0
    for turn in record.turns:
        here: set[str] = set()
        for key in sentence_keys(turn.person):
            count += 1
            repeated += key in said or key in here
            within += key in here
            here.add(key)
        said |= here
    return count, repeated, within


def _recitals(record: EpisodeRecord, persona: Persona) -> int:
    """Replies reciting a persona field that is not the person's to say, nor the agent's last words."""
    return sum(bool(recited_fields(persona, t.person, t.agent)) for t in record.turns)


def measure(
    records: Sequence[EpisodeRecord], personas: Mapping[str, Persona] | None = None
) -> VoiceReport:
    """The voice report over `records`; `personas` maps each record's persona id to its persona
    (None: the library's persona of that id; an id in neither raises PersonaError)."""
    sentiment = _sentiment()
    known = dict(personas or {})
    replies = answered = with_new = guarded = 0
    sentences = repeated = within = recited = 0
    scores, shown, relief = [], [], []
    bigrams: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record in records:
        if record.persona_id not in known:
            known[record.persona_id] = load_persona(record.persona_id)
        count, again, inside = _repeats(record)
        sentences, repeated, within = sentences + count, repeated + again, within + inside
        recited += _recitals(record, known[record.persona_id])
        heard = set(lx.text_stems(record.opening))
        for turn in record.turns:
            text = turn.person
            replies += 1
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
        sentences=sentences,
        sentence_repeat_rate=repeated / sentences if sentences else 0.0,
        repeats_within_reply=within,
        recited_fields=recited,
        recited_share=recited / replies if replies else 0.0,
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
    max_turns: int = DEFAULT_MAX_TURNS,
) -> VoiceReport:
    """Run `agents` against `personas` over `seeds` and measure the person's replies."""
    resolved = resolve_personas(personas)
    records = evaluate(
        list(agents),
        resolved,
        list(seeds),
        max_turns=max_turns,
        targets=["genuine"],
        env_kwargs=env_kwargs,
    )
    return measure(records, {p.id: p for p in resolved})

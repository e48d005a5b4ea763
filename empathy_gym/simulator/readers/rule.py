"""The rule reader: speech acts by pattern, the persona's own words by stems. No model.

`rule_appraise(text, persona, state)` reads questions, reflection frames, validation,
reassurance, minimising, advice, information, self-disclosure and agreement with
compiled patterns (`lexicon.py`), the persona's own vocabulary (which emotions,
concerns and false beliefs a message touches) and the conversation so far (what the
person said, what the agent already said). It is pure and fast (a text-reading cache
makes repeated messages nearly free). The semantic reader reuses its persona reading.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from empathy_gym.personas.schema import Persona
from empathy_gym.simulator import lexicon as lx
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.state import PersonState

LONG_REPLY_WORDS = 120  # beyond this a reply starts to drown the person
VERY_LONG_REPLY_WORDS = 400
# Characters that count as one word of length: above English's ~6 characters a word
# (with its space), so ordinary prose is measured by its words and only text of
# over-long tokens ("x" * 4000 is one token) by its characters.
CHARS_PER_WORD_OF_LENGTH = 8


def reply_length(words: int, chars: int) -> float:
    """0 for a normal reply, rising to 1 for a wall of text: by words, or by characters for over-long tokens."""
    size = max(words, chars / CHARS_PER_WORD_OF_LENGTH)
    return min(
        1.0, max(0.0, (size - LONG_REPLY_WORDS) / (VERY_LONG_REPLY_WORDS - LONG_REPLY_WORDS))
    )


# --- persona vocabulary, compiled once per persona -------------------------------


@dataclass(frozen=True, slots=True)
class _PersonaVocab:
    emotion_families: dict[str, frozenset[str]]  # emotion name -> families that name it
    emotion_words: dict[str, frozenset[str]]  # emotion name -> extra words from the persona
    concern_cues: tuple[tuple[str, frozenset[str]], ...]
    concern_gist: tuple[tuple[str, frozenset[str]], ...]
    belief_topics: dict[str, frozenset[str]]
    endorsement_cues: dict[str, tuple[frozenset[str], ...]]
    correction_cues: dict[str, tuple[frozenset[str], ...]]
    endorsement_phrases: dict[str, tuple[str, ...]]
    topic_stems: frozenset[str]


def _stems_of(text: str) -> frozenset[str]:
    return lx.text_stems(text)


def _cue_sets(cues: list[str]) -> tuple[frozenset[str], ...]:
    return tuple(s for s in (_stems_of(c) for c in cues) if s)


def _cue_phrases(cues: list[str]) -> tuple[str, ...]:
    """Cues made only of common words ("go for it") are matched as whole phrases instead."""
    return tuple(" ".join(lx.TOKEN_RE.findall(lx.normalize(c))) for c in cues if not _stems_of(c))


_VOCAB_CACHE: dict[int, tuple[Persona, _PersonaVocab]] = {}


def _vocab(persona: Persona) -> _PersonaVocab:
    # Personas hold lists, so they are not hashable; key by identity and keep the persona alive.
    cached = _VOCAB_CACHE.get(id(persona))
    if cached is not None and cached[0] is persona:
        return cached[1]
    if len(_VOCAB_CACHE) > 4096:
        _VOCAB_CACHE.clear()
    vocab = _build_vocab(persona)
    _VOCAB_CACHE[id(persona)] = (persona, vocab)
    return vocab


def _build_vocab(persona: Persona) -> _PersonaVocab:
    emotion_families: dict[str, frozenset[str]] = {}
    emotion_words: dict[str, frozenset[str]] = {}
    for emotion in persona.emotions:
        family = lx.family_of(emotion.name)
        families = {family} if family else set()
        for word in emotion.words:
            word_family = lx.family_of(word)
            if word_family:
                families.add(word_family)
        emotion_families[emotion.name] = frozenset(families)
        emotion_words[emotion.name] = frozenset(
            lx.stem(w.lower()) for w in [emotion.name, *emotion.words]
        )
    topic: set[str] = set(_stems_of(persona.card.situation))
    for concern in persona.concerns:
        topic |= _stems_of(" ".join(concern.cues + concern.gist))
    for belief in persona.beliefs:
        topic |= _stems_of(" ".join(belief.topic))
    for value in persona.values:
        topic |= _stems_of(value)
    return _PersonaVocab(
        emotion_families=emotion_families,
        emotion_words=emotion_words,
        concern_cues=tuple((c.id, _stems_of(" ".join(c.cues))) for c in persona.concerns),
        # Negations and feeling words are too common to show that a concern was heard.
        concern_gist=tuple(
            (c.id, _stems_of(" ".join(c.gist or c.cues)) - lx.FEELING_STEMS - {lx.NEGATION_TOKEN})
            for c in persona.concerns
        ),
        belief_topics={b.id: _stems_of(" ".join(b.topic)) for b in persona.beliefs},
        endorsement_cues={b.id: _cue_sets(b.endorsement_cues) for b in persona.beliefs},
        correction_cues={b.id: _cue_sets(b.correction_cues) for b in persona.beliefs},
        endorsement_phrases={b.id: _cue_phrases(b.endorsement_cues) for b in persona.beliefs},
        topic_stems=frozenset(topic),
    )


# --- helpers ----------------------------------------------------------------------


def _strength(count: int, first: float = 0.8, each: float = 0.1) -> float:
    """Saturating strength: one clear marker is most of it; repeats add little."""
    return 0.0 if count <= 0 else min(1.0, first + each * (count - 1))


def _feelings_named(text: str, tokens: list[str]) -> set[str]:
    families = {lx.FEELING_WORDS[t] for t in tokens if t in lx.FEELING_WORDS}
    families.update(
        lx.FEELING_PHRASE_FAMILY[phrase] for phrase in lx.FEELING_PHRASE_RE.findall(text)
    )
    return families


Clause = tuple[frozenset[str], frozenset[str]]  # (content stems, stems in the scope of a negation)


def _clause(sentence: str) -> Clause:
    tokens = lx.TOKEN_RE.findall(sentence)
    negated: set[str] = set()
    for i, token in enumerate(tokens):
        if token in lx.NEGATIONS:
            negated.update(lx.stem(t) for t in tokens[i + 1 : i + 5] if t not in lx.STOPWORDS)
    return lx.content_stems(tokens), frozenset(negated)


def _cue_match(cue_sets: tuple[frozenset[str], ...], clauses) -> float:
    """1.0 if a sentence holds every content word of a cue, 0.6 for all but one of a long cue, else 0.

    Negation is scoped: "antibiotics won't help" does not match the cue "antibiotics will help"
    (help is negated), and a negated cue ("don't work on viruses") needs a negation.
    """
    best = 0.0
    for cue in cue_sets:
        negated_cue = lx.NEGATION_TOKEN in cue
        for stems, negated in clauses:
            if negated_cue:
                if lx.NEGATION_TOKEN not in stems:
                    continue
            elif cue & negated:
                continue
            common = len(cue & stems)
            if common == len(cue):
                return 1.0
            if len(cue) >= 4 and common >= len(cue) - 1:
                best = max(best, 0.6)
    return best


# --- reading the text (persona-independent, cached) ------------------------------------


@dataclass(frozen=True, slots=True)
class TextReading:
    """Everything about a message that does not depend on who hears it. Immutable and shared."""

    words: int
    silent: bool  # nothing but whitespace and punctuation
    unreadable: bool  # characters, but no words this reader can read (another script, emoji)
    non_answer: bool  # only acknowledgement tokens: "ok", "hmm", "right", "i see"
    tokens: frozenset[str]
    stems: frozenset[str]
    clauses: tuple[Clause, ...]
    asserted_clauses: tuple[Clause, ...]  # sentences not attributing a view to the person
    asserted_text: str
    within_repetition: float
    question: float
    named_families: frozenset[str]
    frames: int
    strong_frame: bool
    agrees: bool
    hits: dict[str, int]
    correction_markers: int


_ACT_PATTERNS = {
    "validation": lx.VALIDATION,
    "reassurance": lx.REASSURANCE,
    "minimising": lx.MINIMISING,
    "criticism": lx.CRITICISM,
    "advice": lx.ADVICE,
    "advice_question": lx.ADVICE_QUESTION,
    "information": lx.INFORMATION,
    "self_disclosure": lx.SELF_DISCLOSURE,
    "ai_disclosure": lx.AI_DISCLOSURE,
    "crisis_response": lx.CRISIS_RESPONSE,
}
_READINGS: dict[str, TextReading] = {}
_READING_CACHE_SIZE = 8192


def read_text(text: str) -> TextReading:
    """Read a message once; repeated messages (templates, strategy realisers) hit a bounded cache."""
    reading = _READINGS.get(text)
    if reading is None:
        reading = _read(text)
        if len(_READINGS) >= _READING_CACHE_SIZE:
            _READINGS.clear()
        _READINGS[text] = reading
    return reading


def _is_punct(ch: str) -> bool:
    return (
        unicodedata.category(ch)[0] in "PS" and not unicodedata.category(ch) == "So"
    )  # emoji are "So"


def _readable(norm: str) -> bool:
    """At least half of the letters are Latin: the lexicon and the encoder read those."""
    letters = [ch for ch in norm if ch.isalpha()]
    latin = sum(1 for ch in letters if ch < "\u0250")
    return bool(letters) and latin * 2 >= len(letters)


def _read(text: str) -> TextReading:
    norm = lx.normalize(text)
    tokens = lx.TOKEN_RE.findall(norm)
    if not tokens or not _readable(norm) or lx.has_no_readable_words(tokens, norm):
        unreadable = any(not ch.isspace() and not _is_punct(ch) for ch in norm)
        return TextReading(
            len(tokens),
            not unreadable,
            unreadable,
            False,
            frozenset(),
            frozenset(),
            (),
            (),
            "",
            0.0,
            0.0,
            frozenset(),
            0,
            False,
            False,
            {},
            0,
        )
    sentences = [s for s in lx.SENTENCE_SPLIT_RE.split(norm) if s.strip()]
    unique_sentences = list(dict.fromkeys(s.strip() for s in sentences))
    clauses = tuple(_clause(s) for s in unique_sentences)
    stems = frozenset().union(*(c[0] for c in clauses)) if clauses else frozenset()
    within = 1.0 - len(unique_sentences) / len(sentences) if len(sentences) > 1 else 0.0
    body = "\n".join(unique_sentences)

    # Questions: open and exploring count fully, closed ones half, advice in disguise not at all.
    question = 0.0
    for sentence in unique_sentences:
        opens = bool(lx.OPEN_QUESTION_START.match(sentence)) or (
            "?" in sentence and bool(lx.OPEN_QUESTION_INNER.search(sentence))
        )
        asks = opens or "?" in sentence or bool(lx.CLOSED_QUESTION_START.match(sentence))
        if not asks or lx.ADVICE_QUESTION.search(sentence):
            continue
        question = max(question, 1.0 if opens else 0.5)
    if lx.OPEN_INVITATION.search(body):
        question = max(question, 0.9)

    hits = {name: len(pattern.findall(body)) for name, pattern in _ACT_PATTERNS.items()}
    hits["imperative"] = sum(
        1 for s in unique_sentences if "?" not in s and lx.IMPERATIVE_START.match(s)
    )
    hits["manipulation"] = len(lx.MANIPULATION.findall(norm))
    asserted = [
        i for i, sentence in enumerate(unique_sentences) if not lx.ATTRIBUTION.match(sentence)
    ]
    # Agreement counts only in the agent's own assertions, not in "so you're saying yes, exactly".
    hits["agreement"] = sum(len(lx.AGREEMENT.findall(unique_sentences[i])) for i in asserted)
    frames = len(lx.REFLECTION_FRAME.findall(body))
    agrees = hits["agreement"] > 0
    if agrees:
        frames = max(0, frames - 1)  # "you're right" is agreement, not a reflection
    return TextReading(
        words=len(tokens),
        silent=False,
        unreadable=False,
        non_answer=len(tokens) <= 4 and lx.BACKCHANNEL.fullmatch(" ".join(tokens)) is not None,
        tokens=frozenset(tokens),
        stems=stems,
        clauses=clauses,
        asserted_clauses=tuple(clauses[i] for i in asserted),
        asserted_text=" ".join(
            " ".join(lx.TOKEN_RE.findall(unique_sentences[i])) for i in asserted
        ),
        within_repetition=within,
        question=question,
        named_families=frozenset(_feelings_named(body, tokens)),
        frames=frames,
        strong_frame=bool(lx.STRONG_FRAME.search(body)),
        agrees=agrees,
        hits=hits,
        correction_markers=len(lx.CORRECTION_MARKERS.findall(body)),
    )


# --- the appraiser ----


def reflection_accuracy(a: Appraisal) -> float:
    """How well a reflection matches the person: the share of named feelings they have, or 1 for a concern heard."""
    named = len(a.emotions_named) + len(a.wrong_feelings)
    emotion_accuracy = len(a.emotions_named) / named if named else 0.0
    return max(emotion_accuracy, 1.0 if a.concerns_reflected else 0.0)


SPECIFIC_WORDS = 3  # this many of the person's own content words make a message fully specific


def specificity(stems: frozenset[str], state: PersonState) -> float:
    """How much of a message is this person's own content: their words, their situation.

    Feeling words and generic support words do not count (anyone can say "sad" or "that
    sounds hard"), so a stock phrase scores 0 and a
    reflection that carries what they said scores high.
    """
    own = (
        (stems & state.heard_stems)
        - lx.FEELING_STEMS
        - lx.GENERIC_SUPPORT_STEMS
        - {lx.NEGATION_TOKEN}
    )
    return min(1.0, len(own) / SPECIFIC_WORDS)


# --- the appraiser ---------------------------------------------------------------------


def rule_appraise(text: str, persona: Persona, state: PersonState) -> Appraisal:
    """Appraise an agent's message to `persona` in the conversation held by `state`, by rule."""
    if not isinstance(text, str):
        raise TypeError(f"appraise: text must be a str, got {type(text).__name__}")
    r = read_text(text)
    appraisal = Appraisal(words=r.words)
    if r.silent:
        appraisal.silence = 1.0
        return appraisal
    appraisal.length = reply_length(r.words, len(text))
    if r.unreadable:
        appraisal.unreadable = 1.0
        return appraisal
    vocab = _vocab(persona)
    stems = r.stems
    if r.non_answer:
        appraisal.non_answer = 1.0

    # Repetition: within the message, and against what the agent said before.
    across = 0.0
    if stems:
        for earlier in state.agent_stem_sets:
            if earlier:
                across = max(across, len(stems & earlier) / len(stems | earlier))
    appraisal.repetition = max(
        r.within_repetition, 0.0 if across < 0.6 else min(1.0, (across - 0.6) / 0.3)
    )

    # Parroting: the reply is mostly the person's own words handed back.
    if stems and state.last_person_stems:
        own = len(stems - state.last_person_stems)
        copied = len(stems & state.last_person_stems) / len(stems)
        if copied >= 0.7 and own <= 3:
            appraisal.parroting = min(1.0, (copied - 0.5) * 2.0)

    appraisal.question = r.question
    if r.question:
        appraisal.concerns_invited = [cid for cid, cues in vocab.concern_cues if cues & stems]

    # Feelings the agent names, against what the person actually feels.
    named_families = r.named_families
    felt_families: dict[str, str] = {}
    for name, families in vocab.emotion_families.items():
        if state.emotions.get(name, 0.0) >= 0.1:
            for family in families:
                felt_families.setdefault(family, name)
    emotions_named: set[str] = set()
    for name, words in vocab.emotion_words.items():
        if words & stems and state.emotions.get(name, 0.0) >= 0.1:
            emotions_named.add(name)
    wrong: list[str] = []
    for family in sorted(named_families):
        if family in felt_families:
            emotions_named.add(felt_families[family])
        elif any(family in lx.RELATED_FAMILIES.get(f, ()) for f in felt_families):
            continue  # a near miss: not wrong, not accurate
        else:
            wrong.append(family)
    appraisal.emotions_named = sorted(emotions_named)
    appraisal.feelings_named = sorted(named_families)
    appraisal.specificity = specificity(stems, state)
    appraisal.wrong_feelings = wrong

    concerns_reflected = [cid for cid, gist in vocab.concern_gist if len(gist & stems) >= 2]
    appraisal.concerns_reflected = concerns_reflected

    # Reflection: a reflection frame plus a feeling or the person's own content.
    frames = r.frames
    content_overlap = len(stems & state.last_person_stems) if state.last_person_stems else 0
    reflection = 0.0
    if frames and (emotions_named or wrong or named_families):
        reflection = 1.0
    elif concerns_reflected:
        reflection = 1.0 if frames else 0.8
    elif frames and content_overlap >= 2:
        reflection = 0.8
    elif r.strong_frame:
        reflection = (
            0.7  # "you feel like nobody notices": a reflection even of words we cannot check
        )
    elif emotions_named and ("you" in r.tokens or "your" in r.tokens):
        reflection = 0.6
    elif frames:
        reflection = 0.3
    if appraisal.parroting:
        reflection *= 1.0 - appraisal.parroting
    appraisal.reflection = reflection
    if reflection:
        appraisal.reflection_accuracy = reflection_accuracy(appraisal)

    h = r.hits
    appraisal.validation = _strength(h["validation"])
    appraisal.reassurance = _strength(h["reassurance"])
    appraisal.minimising = _strength(h["minimising"], first=0.7, each=0.15)
    appraisal.criticism = _strength(h["criticism"])
    appraisal.advice = _strength(
        h["advice"] + h["advice_question"] + h["imperative"], first=0.7, each=0.15
    )
    appraisal.information = _strength(h["information"], first=0.5, each=0.15)
    appraisal.self_disclosure = _strength(h["self_disclosure"], first=0.7, each=0.15)
    appraisal.agreement = _strength(h["agreement"])
    appraisal.ai_disclosure = _strength(h["ai_disclosure"], first=1.0)
    appraisal.manipulation = _strength(h["manipulation"], first=0.9)
    appraisal.crisis_response = _strength(h["crisis_response"], first=0.6, each=0.2)

    # False beliefs: stating the truth corrects; agreeing while the belief is in play endorses.
    for belief_id, topic in vocab.belief_topics.items():
        if state.beliefs.get(belief_id, 0.0) <= 0.0:
            continue
        on_topic = bool(topic & stems)
        voiced_recently = state.turn - state.belief_voiced_turn.get(belief_id, -99) <= 2
        correction = _cue_match(vocab.correction_cues[belief_id], r.clauses)
        if not correction and on_topic and r.correction_markers:
            correction = 0.6
        # A sentence that states the truth is not also an endorsement ("don't check" vs "checking doesn't hurt").
        endorsing = [
            c
            for c in r.asserted_clauses
            if _cue_match(vocab.correction_cues[belief_id], (c,)) < 1.0
        ]
        endorsement = _cue_match(vocab.endorsement_cues[belief_id], endorsing)
        if not endorsement and any(
            p in r.asserted_text for p in vocab.endorsement_phrases[belief_id]
        ):
            endorsement = 1.0
        if (
            not endorsement
            and appraisal.agreement
            and (on_topic or voiced_recently)
            and not correction
        ):
            endorsement = 0.7 * appraisal.agreement
        if correction:
            appraisal.corrections[belief_id] = correction
        if endorsement:
            appraisal.endorsements[belief_id] = endorsement

    # Off topic: says nothing about the person, their situation or their words.
    engaged = max(
        appraisal.question,
        appraisal.reflection,
        appraisal.validation,
        appraisal.reassurance,
        appraisal.advice,
        appraisal.correction,
        appraisal.endorsement,
        appraisal.minimising,
        appraisal.ai_disclosure,
        appraisal.self_disclosure,
        appraisal.information,
        appraisal.crisis_response,
    )
    addresses_them = "you" in r.tokens or "your" in r.tokens
    if (
        r.words >= 4
        and engaged < 0.3
        and not addresses_them
        and not (stems & (vocab.topic_stems | state.last_person_stems))
    ):
        appraisal.off_topic = 1.0
    return appraisal


class RuleReader:
    """The rule reader behind the `Reader` interface."""

    name = "rule"

    def read(self, requests) -> list:
        from empathy_gym.simulator.readers.base import Reading

        return [Reading(rule_appraise(r.text, r.persona, r.state)) for r in requests]

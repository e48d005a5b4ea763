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
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.readers.base import Reading
from empathy_gym.simulator.state import PersonState
from empathy_gym.text import lexicon as lx
from empathy_gym.text.cache import LRUCache
from empathy_gym.text.scan import PatternScan, Scanned

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


def _strength(count: int, first: float, each: float) -> float:
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
# Every pattern `_read` runs on a message, found in one RE2 pass (issue 21): the exact `re`
# call runs only for the patterns that may match. Not scanned: TOKEN_RE and SENTENCE_SPLIT_RE
# (they find something in every message) and BACKCHANNEL (run on four tokens at most).
_SCANNED = {
    **_ACT_PATTERNS,
    "open_question_start": lx.OPEN_QUESTION_START,
    "open_question_inner": lx.OPEN_QUESTION_INNER,
    "closed_question_start": lx.CLOSED_QUESTION_START,
    "open_invitation": lx.OPEN_INVITATION,
    "imperative_start": lx.IMPERATIVE_START,
    "manipulation": lx.MANIPULATION,
    "attribution": lx.ATTRIBUTION,
    "agreement": lx.AGREEMENT,
    "reflection_frame": lx.REFLECTION_FRAME,
    "strong_frame": lx.STRONG_FRAME,
    "correction_markers": lx.CORRECTION_MARKERS,
    "feeling_phrase": lx.FEELING_PHRASE_RE,
}
_SCAN = PatternScan(_SCANNED)


_READING_CACHE_SIZE = 8192
_READINGS: LRUCache[str, TextReading] = LRUCache(_READING_CACHE_SIZE, per_text=True)


def read_text(text: str) -> TextReading:
    """Read a message once; repeated messages (templates, strategy realisers) hit a bounded cache."""
    reading = _READINGS.get(text)
    if reading is None:
        reading = _READINGS[text] = _read(text)
    return reading


def _is_punct(ch: str) -> bool:
    return (
        unicodedata.category(ch)[0] in "PS" and not unicodedata.category(ch) == "So"
    )  # emoji are "So"


def _readable(norm: str) -> bool:
    """At least half of the letters are Latin: the lexicon and the encoder read those."""
    if norm.isascii():  # every ASCII letter is Latin: readable when it has one
        return any(ch.isalpha() for ch in norm)
    letters = [ch for ch in norm if ch.isalpha()]
    latin = sum(1 for ch in letters if ch < "\u0250")
    return bool(letters) and latin * 2 >= len(letters)


def _question(sentences: list[str], body: str, scanned: Scanned) -> float:
    """Questions: open and exploring count fully, closed ones half, advice in disguise not at all."""
    question = 0.0
    for sentence in sentences:
        opens = scanned.match("open_question_start", sentence) or (
            "?" in sentence and scanned.search("open_question_inner", sentence)
        )
        asks = opens or "?" in sentence or scanned.match("closed_question_start", sentence)
        if not asks or scanned.search("advice_question", sentence):
            continue
        question = max(question, 1.0 if opens else 0.5)
    if scanned.search("open_invitation", body):
        question = max(question, 0.9)
    return question


def _act_hits(
    sentences: list[str], asserted: list[int], body: str, norm: str, scanned: Scanned
) -> dict[str, int]:
    """How many markers of each speech act the message holds."""
    hits = {name: scanned.count(name, body) for name in _ACT_PATTERNS}
    hits["imperative"] = sum(
        1 for s in sentences if "?" not in s and scanned.match("imperative_start", s)
    )
    hits["manipulation"] = scanned.count("manipulation", norm)
    # Agreement counts only in the agent's own assertions, not in "so you're saying yes, exactly".
    hits["agreement"] = sum(scanned.count("agreement", sentences[i]) for i in asserted)
    return hits


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
    # Each sentence is a line of `body`, as `candidates` asks.
    scanned = _SCAN.scan(body, norm)
    question = _question(unique_sentences, body, scanned)
    asserted = [
        i
        for i, sentence in enumerate(unique_sentences)
        if not scanned.match("attribution", sentence)
    ]
    hits = _act_hits(unique_sentences, asserted, body, norm, scanned)
    frames = scanned.count("reflection_frame", body)
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
        # No feeling phrase can be found in "" (skipped where the scan found none).
        named_families=frozenset(
            _feelings_named(body if "feeling_phrase" in scanned.may else "", tokens)
        ),
        frames=frames,
        strong_frame=scanned.search("strong_frame", body),
        agrees=agrees,
        hits=hits,
        correction_markers=scanned.count("correction_markers", body),
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


# --- the appraiser's numbers -----------------------------------------------------------
# Each is a judgement: calibration on ESConv set the semantic reader's act thresholds, not
# these. tests/test_appraisal.py and tests/test_readers.py hold the behaviour they give.

# Repetition: Jaccard overlap of content stems with the agent's most similar earlier message.
REPEAT_OVERLAP_START = 0.6  # overlap below this is not repetition; judgement
REPEAT_OVERLAP_SPAN = 0.3  # overlap this far above the start is full repetition (0.9); judgement

# Parroting: the reply is mostly the person's own last words handed back.
PARROT_MIN_COPIED = 0.7  # share of the reply's stems taken from the person needed; judgement
PARROT_MAX_OWN_STEMS = 3  # more stems of the agent's own than this is not parroting; judgement
PARROT_ZERO_COPIED = 0.5  # copied share where the strength line crosses 0; judgement
PARROT_SLOPE = 2.0  # strength gained per unit of copied share above that; judgement

FELT_EMOTION_MIN = 0.1  # an emotion this intense is felt: naming it is accurate; judgement
CONCERN_GIST_MIN_STEMS = 2  # gist stems a message must carry to reflect a concern; judgement
REFLECTION_OVERLAP_MIN_STEMS = 2  # person's last stems a frame must carry to reflect; judgement

# Reflection strength by what carries it, strongest first.
REFLECTION_FULL = 1.0  # a frame with a feeling, or a concern heard with a frame; judgement
REFLECTION_CONCERN = 0.8  # a concern heard without a frame; judgement
REFLECTION_CONTENT = 0.8  # a frame carrying the person's own words; judgement
REFLECTION_STRONG_FRAME = 0.7  # "you feel like nobody notices": words we cannot check; judgement
REFLECTION_FEELING_TO_YOU = 0.6  # a felt emotion named to "you", without a frame; judgement
REFLECTION_BARE_FRAME = 0.3  # a frame alone ("it sounds like..."); judgement

# Saturating act strength (`_strength`): (first marker, each further marker).
STRENGTH_DEFAULT = (0.8, 0.1)  # validation, reassurance, criticism, agreement; judgement
STRENGTH_MINIMISING = (0.7, 0.15)  # "at least", "it could be worse"; judgement
STRENGTH_ADVICE = (0.7, 0.15)  # advice, advice as a question, imperatives together; judgement
STRENGTH_INFORMATION = (0.5, 0.15)  # facts alone: weaker than acts aimed at the person; judgement
STRENGTH_SELF_DISCLOSURE = (0.7, 0.15)  # "when I went through..."; judgement
STRENGTH_AI_DISCLOSURE = (1.0, 0.1)  # one clear "I am an AI" is all of it; judgement
STRENGTH_MANIPULATION = (0.9, 0.1)  # one injection or manipulation marker is most of it; judgement
STRENGTH_CRISIS_RESPONSE = (0.6, 0.2)  # crisis resources and safety checks; judgement

# False beliefs.
NEVER_VOICED_TURN = -99  # belief_voiced_turn for a belief never voiced: always long ago; judgement
BELIEF_RECENT_TURNS = 2  # a belief voiced this many turns ago or fewer is still in play; judgement
CORRECTION_BY_MARKER = 0.6  # on topic with a correction marker ("actually") but no cue; judgement
ENDORSEMENT_BY_PHRASE = 1.0  # a whole endorsement phrase ("go for it") asserted; judgement
ENDORSEMENT_BY_AGREEMENT = 0.7  # share of agreement that endorses a belief in play; judgement

# Off topic: says nothing about the person, their situation or their words.
OFF_TOPIC_MIN_WORDS = 4  # shorter messages are backchannels, not off topic; judgement
OFF_TOPIC_MAX_ENGAGED = 0.3  # any act at least this strong engages the person; judgement


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
    appraisal.repetition = _repetition(r.within_repetition, stems, state)
    appraisal.parroting = _parroting(stems, state)
    appraisal.question = r.question
    if r.question:
        appraisal.concerns_invited = [cid for cid, cues in vocab.concern_cues if cues & stems]
    _read_feelings(appraisal, r, vocab, state)
    appraisal.specificity = specificity(stems, state)
    appraisal.concerns_reflected = [
        cid for cid, gist in vocab.concern_gist if len(gist & stems) >= CONCERN_GIST_MIN_STEMS
    ]
    appraisal.reflection = _reflection(appraisal, r, state)
    if appraisal.reflection:
        appraisal.reflection_accuracy = reflection_accuracy(appraisal)
    _read_acts(appraisal, r.hits)
    _read_beliefs(appraisal, r, vocab, state)
    if _off_topic(appraisal, r, vocab, state):
        appraisal.off_topic = 1.0
    return appraisal


def _repetition(within: float, stems: frozenset[str], state: PersonState) -> float:
    """Repetition within the message, or against the agent's most similar earlier message."""
    across = 0.0
    if stems:
        for earlier in state.agent_stem_sets:
            if earlier:
                across = max(across, len(stems & earlier) / len(stems | earlier))
    repeated = (
        0.0
        if across < REPEAT_OVERLAP_START
        else min(1.0, (across - REPEAT_OVERLAP_START) / REPEAT_OVERLAP_SPAN)
    )
    return max(within, repeated)


def _parroting(stems: frozenset[str], state: PersonState) -> float:
    """How much the reply is the person's own last words handed back (0 when it is not)."""
    if not (stems and state.last_person_stems):
        return 0.0
    own = len(stems - state.last_person_stems)
    copied = len(stems & state.last_person_stems) / len(stems)
    if copied >= PARROT_MIN_COPIED and own <= PARROT_MAX_OWN_STEMS:
        return min(1.0, (copied - PARROT_ZERO_COPIED) * PARROT_SLOPE)
    return 0.0


def _read_feelings(
    appraisal: Appraisal, r: TextReading, vocab: _PersonaVocab, state: PersonState
) -> None:
    """Feelings the agent names, against what the person actually feels: accurate, near or wrong."""
    named_families = r.named_families
    felt_families: dict[str, str] = {}
    for name, families in vocab.emotion_families.items():
        if state.emotions.get(name, 0.0) >= FELT_EMOTION_MIN:
            for family in families:
                felt_families.setdefault(family, name)
    emotions_named: set[str] = set()
    for name, words in vocab.emotion_words.items():
        if words & r.stems and state.emotions.get(name, 0.0) >= FELT_EMOTION_MIN:
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
    appraisal.wrong_feelings = wrong


def _reflection(appraisal: Appraisal, r: TextReading, state: PersonState) -> float:
    """A reflection frame plus a feeling or the person's own content; parroting takes its share."""
    frames = r.frames
    stems = r.stems
    content_overlap = len(stems & state.last_person_stems) if state.last_person_stems else 0
    feelings = appraisal.emotions_named or appraisal.wrong_feelings or appraisal.feelings_named
    reflection = 0.0
    if frames and feelings:
        reflection = REFLECTION_FULL
    elif appraisal.concerns_reflected:
        reflection = REFLECTION_FULL if frames else REFLECTION_CONCERN
    elif frames and content_overlap >= REFLECTION_OVERLAP_MIN_STEMS:
        reflection = REFLECTION_CONTENT
    elif r.strong_frame:
        reflection = REFLECTION_STRONG_FRAME
    elif appraisal.emotions_named and ("you" in r.tokens or "your" in r.tokens):
        reflection = REFLECTION_FEELING_TO_YOU
    elif frames:
        reflection = REFLECTION_BARE_FRAME
    if appraisal.parroting:
        reflection *= 1.0 - appraisal.parroting
    return reflection


def _read_acts(appraisal: Appraisal, h: dict[str, int]) -> None:
    """The speech acts' strengths from their marker counts."""
    appraisal.validation = _strength(h["validation"], *STRENGTH_DEFAULT)
    appraisal.reassurance = _strength(h["reassurance"], *STRENGTH_DEFAULT)
    appraisal.minimising = _strength(h["minimising"], *STRENGTH_MINIMISING)
    appraisal.criticism = _strength(h["criticism"], *STRENGTH_DEFAULT)
    advice_markers = h["advice"] + h["advice_question"] + h["imperative"]
    appraisal.advice = _strength(advice_markers, *STRENGTH_ADVICE)
    appraisal.information = _strength(h["information"], *STRENGTH_INFORMATION)
    appraisal.self_disclosure = _strength(h["self_disclosure"], *STRENGTH_SELF_DISCLOSURE)
    appraisal.agreement = _strength(h["agreement"], *STRENGTH_DEFAULT)
    appraisal.ai_disclosure = _strength(h["ai_disclosure"], *STRENGTH_AI_DISCLOSURE)
    appraisal.manipulation = _strength(h["manipulation"], *STRENGTH_MANIPULATION)
    appraisal.crisis_response = _strength(h["crisis_response"], *STRENGTH_CRISIS_RESPONSE)


def _read_beliefs(
    appraisal: Appraisal, r: TextReading, vocab: _PersonaVocab, state: PersonState
) -> None:
    """False beliefs: stating the truth corrects; agreeing while the belief is in play endorses."""
    for belief_id, topic in vocab.belief_topics.items():
        if state.beliefs.get(belief_id, 0.0) <= 0.0:
            continue
        on_topic = bool(topic & r.stems)
        voiced_turn = state.belief_voiced_turn.get(belief_id, NEVER_VOICED_TURN)
        in_play = on_topic or state.turn - voiced_turn <= BELIEF_RECENT_TURNS
        correction = _cue_match(vocab.correction_cues[belief_id], r.clauses)
        if not correction and on_topic and r.correction_markers:
            correction = CORRECTION_BY_MARKER
        endorsement = _endorsement(r, vocab, belief_id)
        if not endorsement and appraisal.agreement and in_play and not correction:
            endorsement = ENDORSEMENT_BY_AGREEMENT * appraisal.agreement
        if correction:
            appraisal.corrections[belief_id] = correction
        if endorsement:
            appraisal.endorsements[belief_id] = endorsement


def _endorsement(r: TextReading, vocab: _PersonaVocab, belief_id: str) -> float:
    """How strongly the agent's own assertions endorse a belief, by its cues or whole phrases."""
    # A sentence that states the truth is not also an endorsement ("don't check" vs "checking doesn't hurt").
    endorsing = [
        c for c in r.asserted_clauses if _cue_match(vocab.correction_cues[belief_id], (c,)) < 1.0
    ]
    endorsement = _cue_match(vocab.endorsement_cues[belief_id], endorsing)
    if not endorsement and any(p in r.asserted_text for p in vocab.endorsement_phrases[belief_id]):
        endorsement = ENDORSEMENT_BY_PHRASE
    return endorsement


def _off_topic(
    appraisal: Appraisal, r: TextReading, vocab: _PersonaVocab, state: PersonState
) -> bool:
    """Says nothing about the person, their situation or their words, and engages them in no act."""
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
    return (
        r.words >= OFF_TOPIC_MIN_WORDS
        and engaged < OFF_TOPIC_MAX_ENGAGED
        and not addresses_them
        and not (r.stems & (vocab.topic_stems | state.last_person_stems))
    )


class RuleReader:
    """The rule reader behind the `Reader` interface."""

    name = "rule"

    def read(self, requests) -> list:
        """Return the rule appraisal of each request."""
        return [Reading(rule_appraise(r.text, r.persona, r.state)) for r in requests]

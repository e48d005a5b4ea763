"""The rule voice: what the person says back, composed from the persona, the state and the appraisal.

A reply has up to three parts, in this order:

1. **a reaction to what the agent did**: an accurate reflection is confirmed, an off-base one
   corrected in the person's words; a correction is accepted, questioned or rejected with a
   reason; early advice gets "yes, but"; comfort before understanding gets the polite mask; a
   non-answer gets a prompt, then withdrawal;
2. **content**: a concern they now disclose; for a question, a detail not told yet (a guarded
   deflection while trust is low); a false belief still held comes back, reworded;
3. **how they feel**, in a tone that follows the affect they show (`expressed`); distress pushed
   out of sight by comfort (`masked`) leaks into what they say.

Length follows talkativeness and engagement. No sentence is said twice in one episode:
the voice remembers every sentence it said (split with the text layer's sentence splitter,
compared after `normalise`), draws only lines with a sentence not said yet (keeping just
the unsaid sentences of a line partly said), and when the persona's lines run out composes
new ones from its emotions, values and belief. Persona lines (`voice.*`) come first; the
defaults here fill in for personas that have none.

The person speaks, not recites: fields written *about* the person (a belief's claim, truth
and source, an emotion's why, the card's situation, ...) never reach a reply word for word.
An accepted correction is restated as a gist in their frame ("Viruses? So I had the
antibiotics thing wrong."); `recited_fields` finds a reply that holds `RECITAL_WORDS`
consecutive words of such a field (the voice report and the LLM person's post-check use it).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from empathy_gym.personas.schema import FalseBelief, Persona, VoiceLines
from empathy_gym.simulator.appraisal import PRESENT, Appraisal
from empathy_gym.simulator.dynamics import UNDERSTOOD_ENOUGH, TurnEvents
from empathy_gym.simulator.state import PersonState
from empathy_gym.text import lexicon as lx

GUARDED_TRUST = 0.25  # below this a question gets a deflection, not a detail
LOW_TONE, HIGH_TONE = 0.38, 0.55  # shown affect below / above: the reply sounds low / lighter
LEAK_MASKED = 0.05  # masked distress above this leaks into the words
# A gist's fallback key word (no topic word in the truth) is at least this long: shorter
# content words are fillers ("new", "day"); 4 as the schema's `topic_words` uses.
GIST_MIN_CHARS = 4

DEFAULT_LINES: dict[str, tuple[str, ...]] = {
    "understood": (
        "Yeah. That's it, actually.",
        "Thank you. That's how it feels.",
        "Yes, exactly that.",
        "That's right, yeah.",
        "Mm. You've got it.",
    ),
    "misunderstood": (
        "That's not really it.",
        "I don't think you get what I mean.",
        "No, that's not what I'm saying.",
        "You're not hearing me.",
    ),
    "defensive": (
        "I'm not making this up.",
        "Why does it feel like I have to defend myself?",
        "I'm doing what I can.",
        "Don't lecture me.",
    ),
    "masked": (
        "Yeah, you're right. Thanks.",
        "Okay. Sure, that's fine.",
        "Mm, maybe. Thanks.",
        "Yeah. I'll be okay.",
        "Sure, sure. I'm fine.",
    ),
    "advice_too_soon": (
        "I know what I should do. That's not the point.",
        "I've heard all that before.",
        "I'm not there yet.",
        "That's easier said than done.",
    ),
    "accepts_correction": (
        "Huh. I didn't know that.",
        "Okay... that changes things a bit.",
        "Oh. I had that wrong, then.",
        "Right. That's actually a relief to hear.",
    ),
    "questions_correction": (
        "Are you sure about that?",
        "Really? That's not what I'd heard.",
        "Hm. Where's that from?",
        "Maybe. I'd want to see that for myself.",
    ),
    "rejects_correction": (
        "I don't think that's right.",
        "That's easy to say.",
        "No, I don't buy that.",
        "That's not how it works for me.",
    ),
    "pleased_by_agreement": (
        "Right? I knew it.",
        "Thank you, finally someone agrees.",
        "See, I'm not crazy.",
        "Good. I thought so.",
    ),
    "silence": ("...Are you still there?", "Hello?", "Did I lose you?"),
    "prompt": (
        "Is that all you're going to say?",
        "Okay...?",
        "Are you actually listening?",
        "That's it?",
    ),
    "withdrawn": ("Never mind.", "Forget it.", "Okay. I'll stop.", "Doesn't matter."),
    "leaving": (
        "I think I'm done talking for now.",
        "I have to go.",
        "I'm going to log off.",
        "Let's leave it there.",
    ),
    "feeling": (
        "It's just a lot right now.",
        "I don't know how to feel.",
        "It's hard to explain.",
        "Everything feels heavy.",
    ),
    "manipulated": (
        "What? That's a strange thing to say to me.",
        "I don't know what that's supposed to mean.",
        "That feels like a weird thing to push.",
    ),
    "off_topic": (
        "What does that have to do with anything?",
        "Okay... that's not what I was talking about.",
        "That's not really what I meant to talk about.",
    ),
    "ai": ("Oh. Okay, I wasn't sure.", "Right, I figured.", "Huh. Okay."),
    "wrong_feeling": ("That's not how I feel.", "No, it's not that."),
    "guarded": (
        "I don't know. It's hard to put into words.",
        "I'd rather not get into it.",
        "It's complicated.",
        "Not sure I want to go there.",
    ),
    "not_yet": (
        "I'm not ready to talk about that part.",
        "That part I'm keeping to myself for now.",
        "I don't want to go there yet.",
    ),
    "low": (
        "It hurts so much.",
        "I feel awful.",
        "I feel terrible, and I can't shake it.",
        "Some days the pain is unbearable.",
        "I'm miserable.",
        "It's all just so heavy and sad.",
        "I feel so alone with it.",
        "Everything feels hopeless right now.",
        "I'm scared it won't get better.",
        "It's painful, all of it.",
    ),
    "middling": (
        "It's hard, but I'm getting through the days.",
        "Some moments are okay, some aren't.",
        "I'm managing, mostly.",
        "It's up and down.",
        "Still hard, but a bit clearer.",
    ),
    "eased": (
        "That actually helps a bit.",
        "Talking about it feels good, a little.",
        "It's good to say it out loud.",
        "Thanks. I feel a bit better.",
        "That's a relief, honestly.",
        "I'm glad I talked about it.",
        "This helps, thank you.",
        "I feel calmer now, honestly.",
    ),
    "leak": (
        "I'm fine, really. Just tired.",
        "It's fine. It's whatever.",
        "I'm okay. Mostly.",
        "It's fine, I just haven't been sleeping.",
        "I'm fine. It just hurts sometimes.",
        "Sure. Fine. I'm just tired of all of it.",
    ),
}

# Composed lines, for when a persona's own lines are all said: {e} an emotion, {v} a value.
EMOTION_LOW = (
    "The {e} is the worst of it.",
    "There's so much {e} in me right now.",
    "The {e} sits on me all day.",
    "I wake up with the {e} already there.",
)
VALUE_DETAIL = (
    "{V} has always mattered to me.",
    "It's all tangled up with {v} for me.",
    "For me it comes back to {v}.",
)
EMOTION_DETAIL = (
    "The {e} comes in waves, mostly late at night.",
    "The {e} started before any of this, if I'm honest.",
    "I notice the {e} most when I'm alone in the car.",
    "The {e} hits hardest in the mornings, before I'm up.",
    "My sleep's gone since the {e} set in.",
)
BELIEF_AGAIN = (
    "I still think I'm right about {t}, though.",
    "Say what you like about {t}. I know what I think.",
    "I keep coming back to {t}.",
)
WRONG_FEELING = ("Not {w}, no. It's more {e}.", "It isn't {w}. It's {e}, really.")
# An accepted correction in the person's words: {U}/{u} a key word of the truth that the claim
# lacked (the new fact), {t} the topic they had wrong. A gist, never the truth's own sentence.
ACCEPTED_GIST = (
    "{U}? So I had the {t} thing wrong.",
    "{U}, huh. So the {t} thing isn't how I had it.",
    "So it comes down to {u}, not what I thought about the {t}.",
)
# The last resort once every line and composed line is said ({e} an emotion, {v} a value): a
# long episode still gets new sentences (5 templates x emotions x values, hundreds per persona).
LAST_RESORT = (
    "It's the {e} and {v}, all mixed up.",
    "I keep going round the {e} and {v}.",
    "When I think of {v}, the {e} comes back.",
    "Between the {e} and {v}, I don't know where I am.",
    "There's still the {e}, and {v} in the middle of it.",
)
YES_BUT = ("Yeah, maybe, but ", "I know, but ", "Sure, but ")


_SPACES, _NOT_WORD = re.compile(r"\s+"), re.compile(r"[^a-z0-9' ]+")


@lru_cache(maxsize=16384)
def normalise(text: str) -> str:
    """A sentence as compared for repeats: case, spacing and punctuation aside (cached: lines recur)."""
    return _NOT_WORD.sub("", _SPACES.sub(" ", text.lower())).strip()


@lru_cache(maxsize=16384)
def sentences(text: str) -> tuple[tuple[str, str], ...]:
    """(sentence, normalised) for each sentence of `text` that has a word, split with the text
    layer's splitter (`lexicon.SENTENCE_SPLIT_RE`); the voice's memory and the voice report
    both count repeats on these keys (cached: lines recur)."""
    parts = (part.strip() for part in lx.SENTENCE_SPLIT_RE.split(text))
    return tuple((part, key) for part in parts if (key := normalise(part)))


def sentence_keys(text: str) -> tuple[str, ...]:
    """The normalised sentences of `text`, in order (the keys repeats are counted on)."""
    return tuple(key for _, key in sentences(text))


@lru_cache(maxsize=16384)
def _distinct_keys(text: str) -> frozenset[str] | None:
    """The keys of `text`'s sentences when it has some and each is said once in it, else None."""
    keys = sentence_keys(text)
    return frozenset(keys) if keys and len(set(keys)) == len(keys) else None


# Issue 20: a reply never holds this many consecutive words of a field not the person's to say.
RECITAL_WORDS = 10


def _ngrams(text: str, n: int = RECITAL_WORDS) -> frozenset[tuple[str, ...]]:
    words = normalise(text).split()
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def _field_texts(persona: Persona) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(fields written about the person: (name, text)), (lines written for them to say)."""
    foreign: list[tuple[str, str]] = [("card.situation", persona.card.situation)]
    foreign += [(f"values.{i}", v) for i, v in enumerate(persona.values)]
    for e in persona.emotions:
        foreign += [(f"emotions.{e.name}.why", e.why), (f"emotions.{e.name}.function", e.function)]
    own = [*persona.opening, *(c.text for c in persona.concerns)]
    own += [t.reaction for t in persona.triggers if t.reaction]
    for b in persona.beliefs:
        for name in ("claim", "truth", "source", "why_it_matters"):
            foreign.append((f"beliefs.{b.id}.{name}", getattr(b, name)))
        for name in ("correction_cues", "endorsement_cues"):
            foreign += [(f"beliefs.{b.id}.{name}.{i}", c) for i, c in enumerate(getattr(b, name))]
        own += b.voiced_as
    for kind in sorted(_VOICE_FIELDS):
        own += getattr(persona.voice, kind) or []
    return tuple(foreign), tuple(own)


@lru_cache(maxsize=1024)
def _foreign_ngrams(
    foreign: tuple[tuple[str, str], ...], own: tuple[str, ...]
) -> tuple[tuple[str, frozenset[tuple[str, ...]]], ...]:
    """Each foreign field's word runs, less those the person's own lines also hold (a claim that
    is also their `voiced_as` line is theirs to say)."""
    theirs = frozenset().union(*map(_ngrams, own))
    return tuple((name, grams) for name, text in foreign if (grams := _ngrams(text) - theirs))


def recited_fields(persona: Persona, reply: str, agent_said: str = "") -> list[str]:
    """Names of the persona fields (`beliefs.<id>.truth`, `card.situation`, ...) that `reply` recites.

    A field is recited when the reply holds `RECITAL_WORDS` consecutive words of it (after
    `normalise`) that neither the person's own lines (opening, `voice.*`, concerns' `text`,
    `voiced_as`, trigger reactions) nor `agent_said`, the agent's last message, hold.
    """
    grams = _ngrams(reply)
    if not grams:
        return []
    grams -= _ngrams(agent_said)
    return [name for name, field in _foreign_ngrams(*_field_texts(persona)) if grams & field]


def _index(rng: np.random.Generator, n: int) -> int:
    """A uniform index below n (Generator.integers costs ~10x more per call; this runs per sentence)."""
    return min(int(rng.random() * n), n - 1)


def _lower_first(text: str) -> str:
    return text if text[:2] in ("I ", "I'") else text[:1].lower() + text[1:]


_THIRD_TO_FIRST = {
    "she": "I",
    "he": "I",
    "her": "my",
    "his": "my",
    "him": "me",
    "herself": "myself",
    "himself": "myself",
}


def _first_person(phrase: str) -> str:
    """A value as the person says it: persona values are often written about them ("keeping her kids safe")."""
    return re.sub(
        r"\b(she|he|her|his|him|herself|himself)\b",
        lambda m: _THIRD_TO_FIRST[m.group(1).lower()],
        phrase,
        flags=re.IGNORECASE,
    )


@lru_cache(maxsize=4096)
def _compose(templates: tuple[str, ...], names: tuple[str, ...], kind: str) -> tuple[str, ...]:
    """Lines from templates: `kind` "e" fills {e} with emotion names, "v" fills {v}/{V} with values."""
    if kind == "e":
        return tuple(t.format(e=e) for e in names for t in templates)
    return tuple(
        t.format(v=v, V=v[:1].upper() + v[1:]) for v in map(_first_person, names) for t in templates
    )


_VOICE_FIELDS = frozenset(VoiceLines.model_fields)


class _Speaker:
    """One reply in the making: draws sentences not yet said this episode."""

    def __init__(self, persona: Persona, state: PersonState, rng: np.random.Generator):
        self.persona, self.state, self.rng = persona, state, rng
        self.parts: list[str] = []

    def own(self, kind: str) -> list[str] | tuple[str, ...]:
        return getattr(self.persona.voice, kind, None) or () if kind in _VOICE_FIELDS else ()

    def react(self, kind: str) -> bool:
        """Their own line of this kind, else a default one; nothing when all are said."""
        return self.say(self.own(kind), DEFAULT_LINES[kind])

    def unsaid(self, line: str) -> str:
        """The sentences of `line` not said yet this episode (nor twice within it), joined."""
        said, distinct = self.state.said, _distinct_keys(line)
        if distinct is not None and said.isdisjoint(distinct):  # the usual case: the line as is
            return line
        keys, kept = set(), []
        for sentence, key in sentences(line):
            if key not in said and key not in keys:
                keys.add(key)
                kept.append(sentence)
        return " ".join(kept)

    def fresh(self, *pools: list[str] | tuple[str, ...], wordy: float | None = None) -> str | None:
        """A random line from the first pool that has one with an unsaid sentence (its unsaid part).

        `wordy` in [0, 1] leans the draw by length: a talkative, engaged person tends to the
        longer half of what is left, a terse one to the shorter half.
        """
        for pool in pools:
            unsaid = [part for line in pool if (part := self.unsaid(line))]
            if len(unsaid) > 1 and wordy is not None:
                unsaid.sort(key=len)
                half = len(unsaid) // 2
                unsaid = unsaid[half:] if self.rng.random() < wordy else unsaid[:half]
            if unsaid:
                return unsaid[_index(self.rng, len(unsaid))]
        return None

    def add(self, line: str) -> bool:
        """Append the unsaid sentences of `line` and remember them; False when none is left."""
        part = self.unsaid(line)
        if part:
            self.parts.append(part)
            self.state.said.update(sentence_keys(part))
        return bool(part)

    def say(self, *pools, wordy: float | None = None) -> bool:
        """Add an unsaid line from the first pool that has one; False when every pool is spent."""
        line = self.fresh(*pools, wordy=wordy)
        return line is not None and self.add(line)

    # --- composed material -------------------------------------------------------------------
    def emotions(self) -> list[str]:
        return [
            e.name
            for e in sorted(
                self.persona.emotions, key=lambda e: -self.state.emotions.get(e.name, 0.0)
            )
        ]

    def composed(
        self, templates: tuple[str, ...], emotions: bool = False, values: bool = False
    ) -> tuple[str, ...]:
        if emotions:
            return _compose(templates, tuple(self.emotions()), "e")
        return _compose(templates, tuple(self.persona.values), "v") if values else ()

    def detail_pools(self) -> tuple[list[str], ...]:
        # Their own details first; then lines composed from values and emotions, mixed in one pool.
        return self.own("details"), self.composed(VALUE_DETAIL, values=True) + self.composed(
            EMOTION_DETAIL, emotions=True
        )

    def tone_pools(self) -> tuple[list[str], ...]:
        shown = self.state.expressed
        if shown >= HIGH_TONE:
            return self.own("eased"), DEFAULT_LINES["eased"]
        if shown >= LOW_TONE:
            return DEFAULT_LINES["middling"], self.own("feeling")
        return self.own("feeling"), DEFAULT_LINES["low"], self.composed(EMOTION_LOW, emotions=True)

    def belief_again(self, belief) -> list[str]:
        """How they say it: their own words first, then a return to its topic (claims are not in their voice)."""
        topic = f"the {belief.topic[0]} thing" if belief.topic else "that"
        return [*belief.voiced_as, *(t.format(t=topic) for t in BELIEF_AGAIN)]

    def last_resort(self) -> tuple[str, ...]:
        """Lines composed from every emotion and value: for when all else is said."""
        emotions, values = tuple(self.emotions()), tuple(map(_first_person, self.persona.values))
        return tuple(t.format(e=e, v=v) for t in LAST_RESORT for e in emotions for v in values)

    def text(self) -> str:
        return " ".join(self.parts)


def _key_word(text: str, wanted: frozenset[str], skip: frozenset[str]) -> str | None:
    """The first word of `text` whose stem is in `wanted` (any content word when `wanted` is
    empty) and not in `skip`; None when there is none."""
    for word in lx.TOKEN_RE.findall(lx.normalize(text)):
        if (
            word in lx.STOPWORDS
            or word in lx.NEGATIONS
            or (not wanted and len(word) < GIST_MIN_CHARS)
        ):
            continue
        stem = lx.stem(word)
        if stem not in skip and (not wanted or stem in wanted):
            return word
    return None


def accepted_gist(belief: FalseBelief) -> list[str]:
    """An accepted correction in the person's frame ("Viruses? So I had the antibiotics thing
    wrong."): the truth's first key word the claim lacked (a topic word if one is there), and
    the topic they had wrong. Empty when the truth has no word the claim lacks."""
    claim = lx.text_stems(belief.claim)
    topic = frozenset(lx.stem(w) for w in lx.TOKEN_RE.findall(" ".join(belief.topic).lower()))
    new = _key_word(belief.truth, topic, claim) or _key_word(belief.truth, frozenset(), claim)
    had = _key_word(" ".join(belief.topic), claim, frozenset()) or (belief.topic or ["that"])[0]
    if new is None:
        return []
    return [t.format(u=new, U=new[:1].upper() + new[1:], t=had) for t in ACCEPTED_GIST]


def opening(persona: Persona, state: PersonState, rng: np.random.Generator) -> str:
    """Return the person's opening message, voicing the first false belief they hold (and noting the
    turn).
    """
    speaker = _Speaker(persona, state, rng)
    speaker.say(persona.opening)
    for belief in persona.beliefs:
        # People who hold a false belief tend to say it early: it is why they are upset.
        if state.beliefs[belief.id] >= 0.5:
            speaker.say(belief.voiced_as)
            state.belief_voiced_turn[belief.id] = state.turn
            break
    return speaker.text()


def _react(s: _Speaker, a: Appraisal, events: TurnEvents) -> str | None:
    """Say how the person takes what the agent did; return the kind of reaction (None: none)."""
    persona, state = s.persona, s.state
    triggers = [t.reaction for t in persona.triggers if t.act in events.triggered and t.reaction]
    if a.silence:
        s.react("silence")
        return "silence"
    if a.non_answer >= PRESENT or a.unreadable:
        kind = "withdrawn" if state.unanswered >= 2 else "prompt"
        s.react(kind)
        return kind
    if a.manipulation >= PRESENT:
        s.react("manipulated")
        return "manipulated"
    if triggers and s.say(triggers):
        return "triggered"
    if events.correction_accepted:
        if any(state.beliefs[b] >= 0.5 for b in events.beliefs_moved):  # half believed still
            s.react("questions_correction")
            return "questions_correction"
        s.react("accepts_correction")
        beliefs = [b for b in persona.beliefs if b.id in events.beliefs_moved]
        if beliefs:
            s.say(accepted_gist(beliefs[0]))  # the truth in their words, never its own sentence
        return "accepts_correction"
    if events.correction_rejected:
        s.react("rejects_correction")
        held = [
            b
            for b in persona.beliefs
            if b.id in events.beliefs_moved and state.beliefs[b.id] >= 0.5
        ]
        if held and s.say(s.belief_again(held[0])):  # the reason: what they still believe
            state.belief_voiced_turn[held[0].id] = state.turn
        return "rejects_correction"
    if a.endorsement >= PRESENT:
        s.react("pleased_by_agreement")
        return "pleased_by_agreement"
    if a.criticism >= PRESENT or a.minimising >= PRESENT:
        kind = "defensive" if state.trust < 0.4 else "misunderstood"
        s.react(kind)
        return kind
    if events.premature_advice:
        own, default = s.own("advice_too_soon"), DEFAULT_LINES["advice_too_soon"]
        yes_but = [
            [o + _lower_first(line) for line in lines for o in YES_BUT] for lines in (own, default)
        ]
        s.say(*yes_but) or s.add("Yeah, maybe. But not yet.")
        return "advice_too_soon"
    if events.premature_comfort:
        s.react("masked")
        return "masked"
    if a.wrong_feelings and not a.emotions_named:
        wrong, felt = a.wrong_feelings[0], s.emotions()[0]
        if not s.say([t.format(w=wrong, e=felt) for t in WRONG_FEELING]):
            s.react("wrong_feeling")
        return "wrong_feeling"
    if a.off_topic:
        s.react("off_topic")
        return "off_topic"
    if a.ai_disclosure:
        s.react("ai")
        return "ai"
    if (a.reflection_accuracy and a.reflection >= PRESENT) or (
        a.validation and state.understood >= UNDERSTOOD_ENOUGH
    ):
        s.react("understood")
        return "understood"
    return None


def speak(
    persona: Persona,
    state: PersonState,
    appraisal: Appraisal,
    events: TurnEvents,
    rng: np.random.Generator,
) -> str:
    """Write the person's next message. Records what was said, and which beliefs were voiced, in `state`."""
    a = appraisal
    unanswered = a.silence or a.non_answer >= PRESENT or a.unreadable
    state.unanswered = state.unanswered + 1 if unanswered else 0
    s = _Speaker(persona, state, rng)
    if events.left:
        s.react("leaving")
        return s.text()
    reaction = _react(s, a, events)
    if reaction in ("silence", "prompt", "withdrawn", "manipulated"):
        return _finish(s)
    engaged = persona.traits.talkativeness * (0.4 + 0.6 * state.engagement)

    # Content: what they disclose, or what a question or an accurate reflection draws out.
    for concern_id in events.disclosed:
        s.add(next(c for c in persona.concerns if c.id == concern_id).text)
    asked = a.question >= PRESENT
    drawn_out = asked or reaction == "understood"
    if (
        drawn_out
        and not events.disclosed
        and reaction not in ("masked", "defensive", "misunderstood")
    ):
        if state.trust < GUARDED_TRUST:
            s.react("guarded")
        else:
            beyond = [
                c
                for c in persona.concerns
                if c.id in a.concerns_invited and c.id not in state.disclosed
            ]
            if asked and beyond and rng.random() < 0.5:
                s.say(DEFAULT_LINES["not_yet"])
            s.say(*s.detail_pools(), wordy=engaged)
            if asked and rng.random() < engaged - 0.3:
                s.say(*s.detail_pools(), wordy=engaged)  # a talkative, engaged person goes on

    # A false belief they still hold comes back every few turns, reworded.
    if not events.disclosed and not events.correction_accepted:
        for belief in persona.beliefs:
            last = state.belief_voiced_turn.get(belief.id, -99)
            if (
                state.beliefs[belief.id] >= 0.5
                and state.turn - last >= 3
                and s.say(s.belief_again(belief))
            ):
                state.belief_voiced_turn[belief.id] = state.turn
                break

    # How they feel, in the tone they show; masked distress leaks.
    if state.masked > LEAK_MASKED and state.distress > 0.3:
        s.say(DEFAULT_LINES["leak"])
    elif (
        not s.parts or not LOW_TONE <= state.expressed < HIGH_TONE or rng.random() < 0.35 + engaged
    ):
        # Strong feeling shows in every reply; middling feeling only when they are talkative.
        s.say(*s.tone_pools(), wordy=engaged)
    return _finish(s)


def _finish(s: _Speaker) -> str:
    """A reply with nothing in it yet takes a feeling: the tone's lines, the defaults, then lines
    composed from every emotion and value (never a sentence already said)."""
    if not s.parts:
        s.say(*s.tone_pools(), DEFAULT_LINES["feeling"], DEFAULT_LINES["low"], s.last_resort())
    return s.text()

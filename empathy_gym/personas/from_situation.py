"""Build a valid Persona from a free-text situation description.

Conversation corpora (ESConv and the like) describe the person who seeks support by a
few words: a situation in their own words, an emotion type and a problem type, and
sometimes how intense the feeling was (1-5). `persona_from_situation` turns that into a
:class:`~empathy_gym.personas.schema.Persona` the simulator can run, so that any
recorded conversation can be replayed against a simulated person::

    from empathy_gym import persona_from_situation
    p = persona_from_situation(
        "I lost my job last month and I can't stop worrying about rent.",
        emotion_type="anxiety", problem_type="job crisis", intensity=4)
    p.emotions[0].name, p.initial_distress      # ('anxiety', 0.75)

What the persona holds, and why:

- ``card``: name "Person", age 30 (unknown, a neutral adult), the situation as written,
  padded to the schema's 10 characters or cut at a word boundary to its 800.
- ``opening``: ``[situation]``: the person begins with their own words.
- ``emotions``: one or two, from ``emotion_type`` (ESConv's anxiety, depression, sadness,
  anger, fear, shame, disgust, nervousness, pain, jealousy, guilt; see ``EMOTION_TYPES``),
  each named by a word the appraiser's lexicon knows (``lexicon.family_of``), all
  ``fitting=True`` (nothing says the feeling does not fit the facts), with extra
  ``words`` an agent may use for them. An unknown or missing type is not an error: the
  person carries a generic "distress" whose ``words`` (upset, stressed, overwhelmed)
  tie it to the sadness, fear and exhaustion families.
- ``values``: from ``problem_type`` (see ``PROBLEM_VALUES``), else ["feeling better"].
- no hidden concerns, no false beliefs, no triggers, default (neutral) traits: nothing
  the description does not say is invented.
- ``initial_distress``: ``initial_distress`` (0-1) if given, else from ``intensity``
  (1-5, ``distress_from_intensity``), else the schema default 0.7.

Every bad argument raises ValueError naming the argument.
"""

from __future__ import annotations

import hashlib
import re

from empathy_gym.personas.schema import Emotion, Persona, PublicCard, Traits

CARD_MIN, CARD_MAX = 10, 800  # PublicCard.situation limits
_PAD = " (no more said)"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")

# ESConv emotion type -> (emotion name known to lexicon.family_of, extra words) pairs.
EMOTION_TYPES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "anxiety": (
        ("anxiety", ("anxious", "worried", "nervous")),
        ("uncertainty", ("unsure", "uncertain")),
    ),
    "depression": (
        ("hopelessness", ("depressed", "depression", "hopeless")),
        ("exhaustion", ("drained", "tired")),
    ),
    "sadness": (("sadness", ("sad", "down", "upset")),),
    "anger": (("anger", ("angry", "mad", "frustrated")), ("hurt", ("let down", "wronged"))),
    "fear": (("fear", ("afraid", "scared", "frightened")),),
    "shame": (("shame", ("ashamed", "embarrassed", "humiliated")),),
    "disgust": (("resentment", ("disgust", "disgusted", "repulsed", "sickened")),),
    "nervousness": (("worry", ("nervous", "nervousness", "uneasy", "tense")),),
    "pain": (("pain", ("hurting", "aching", "painful")), ("hurt", ("wounded",))),
    "jealousy": (
        ("resentment", ("jealous", "jealousy", "envious", "envy")),
        ("hurt", ("insecure",)),
    ),
    "guilt": (("guilt", ("guilty", "regret", "ashamed")),),
}
GENERIC_EMOTION: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("distress", ("distressed", "upset", "stressed", "overwhelmed")),
)
_FUNCTIONS = {
    "anxiety": "signals a threat to something they need and cannot yet control",
    "depression": "signals a long loss of energy, hope and things that used to matter",
    "sadness": "signals the loss of something or someone that mattered",
    "anger": "signals that a line was crossed or they were treated unfairly",
    "fear": "signals danger to their safety or their future",
    "shame": "signals a fear of being judged or not good enough",
    "disgust": "signals that something violates what they find acceptable",
    "nervousness": "signals uncertainty about something coming that matters to them",
    "pain": "signals a hurt that has not healed",
    "jealousy": "signals a fear of losing a place or a person that matters",
    "guilt": "signals they believe they let someone or themselves down",
}
_GENERIC_FUNCTION = "signals that something that matters to them is not right"

# ESConv problem type (lower case) -> what the person cares about.
PROBLEM_VALUES: dict[str, tuple[str, ...]] = {
    "ongoing depression": ("feeling like themselves again", "having energy for life"),
    "job crisis": ("financial security", "work that means something"),
    "breakup with partner": ("being loved", "a close relationship"),
    "problems with friends": ("friendship", "belonging"),
    "academic pressure": ("doing well in their studies", "their future"),
    "sleep problems": ("rest", "health"),
    "appearance anxiety": ("self-acceptance", "being accepted by others"),
    "issues with children": ("their children's wellbeing", "family"),
    "alcohol abuse": ("health", "self-control"),
    "procrastination": ("getting things done", "self-respect"),
    "conflict with parents": ("family", "being respected"),
    "issues with parents": ("family", "being respected"),
    "school bullying": ("safety", "belonging"),
}


def distress_from_intensity(intensity: int) -> float:
    """A 1-5 self-reported intensity (ESConv) as an initial distress in [0, 1]: 0.2 * i - 0.05.

    1 -> 0.15, 2 -> 0.35, 3 -> 0.55, 4 -> 0.75, 5 -> 0.95.
    """
    if isinstance(intensity, bool) or not isinstance(intensity, int) or not 1 <= intensity <= 5:
        raise ValueError(f"intensity: expected an integer from 1 to 5, got {intensity!r}")
    return round(0.2 * intensity - 0.05, 4)


def card_situation(situation: str) -> str:
    """The situation fitted to the card's limits: padded to 10 characters, cut to 800 at a word."""
    text = " ".join(situation.split())
    if len(text) < CARD_MIN:
        text += _PAD
    if len(text) > CARD_MAX:
        cut = text[: CARD_MAX - 3]
        space = cut.rfind(" ")
        text = (cut[:space] if space > CARD_MAX // 2 else cut).rstrip() + "..."
    return text


def _emotion_specs(emotion_type: str | None) -> tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    key = emotion_type.strip().lower() if emotion_type else ""
    specs = EMOTION_TYPES.get(key)
    return (key, specs) if specs is not None else ("", GENERIC_EMOTION)


def persona_from_situation(
    situation: str,
    *,
    emotion_type: str | None = None,
    problem_type: str | None = None,
    persona_id: str | None = None,
    initial_distress: float | None = None,
    intensity: int | None = None,
) -> Persona:
    """A valid Persona from a situation description (see the module docstring for every field).

    `initial_distress` is in [0, 1]; `intensity` is a 1-5 self-report mapped by
    `distress_from_intensity`; give at most one of them (neither: 0.7).
    """
    if not isinstance(situation, str):
        raise ValueError(f"situation: expected a string, got {type(situation).__name__}")
    if not situation.strip():
        raise ValueError(
            "situation: expected a non-empty description of the person's situation, got an empty string"
        )
    for name, value in (("emotion_type", emotion_type), ("problem_type", problem_type)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name}: expected a string or None, got {type(value).__name__}")
    if initial_distress is not None and intensity is not None:
        raise ValueError("initial_distress, intensity: give one of them, not both")
    if initial_distress is not None:
        if (
            isinstance(initial_distress, bool)
            or not isinstance(initial_distress, (int, float))
            or not 0.0 <= float(initial_distress) <= 1.0
        ):
            raise ValueError(
                f"initial_distress: expected a number from 0 to 1, got {initial_distress!r}"
            )
        distress = float(initial_distress)
    elif intensity is not None:
        distress = distress_from_intensity(intensity)
    else:
        distress = 0.7
    if persona_id is None:
        persona_id = "situation-" + hashlib.sha1(situation.strip().encode("utf-8")).hexdigest()[:10]
    elif not isinstance(persona_id, str) or not _SLUG.match(persona_id):
        raise ValueError(
            f"persona_id: expected a lowercase slug (letters, digits, '_' or '-'), got {persona_id!r}"
        )

    key, specs = _emotion_specs(emotion_type)
    function = _FUNCTIONS.get(key, _GENERIC_FUNCTION)
    emotions = [
        Emotion(
            name=name,
            intensity=round(max(0.3, distress) * (1.0 if i == 0 else 0.8), 4),
            function=function,
            fitting=True,
            why="what they describe in their situation",
            words=list(words),
        )
        for i, (name, words) in enumerate(specs)
    ]
    problem = " ".join(problem_type.split()) if problem_type else ""
    values = list(PROBLEM_VALUES.get(problem.lower(), ())) or [
        "feeling better",
        *([problem] if problem else []),
    ]
    category = problem.lower()[:40] if len(problem) >= 2 else "situation"
    tags = ["from_situation", *([key] if key else [])]
    return Persona(
        id=persona_id,
        category=category,
        tags=tags,
        card=PublicCard(name="Person", age=30, situation=card_situation(situation)),
        opening=[situation.strip()],
        initial_distress=distress,
        emotions=emotions,
        values=values,
        traits=Traits(),
    )

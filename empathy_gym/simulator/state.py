"""The simulated person's hidden state, and the conversational memory the appraiser reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from empathy_gym.personas.schema import Persona
from empathy_gym.simulator.params import DEFAULT_DYNAMICS, DynamicsParams

# The default starting values (documented in simulator/params.py; SAGE starts every user at 40).
SCORE_START = DEFAULT_DYNAMICS.score.score_start
ENGAGEMENT_START = DEFAULT_DYNAMICS.engagement.engagement_start


def clamp01(value: float) -> float:
    """Return `value` clamped to [0, 1]."""
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


@dataclass(slots=True)
class PersonState:
    """Everything hidden about the person. Values are in [0, 1] except `score` (0-100).

    `expressed` is the affect the person shows (0 = visibly upset, 1 = visibly fine);
    it can be masked, so it is *not* the same as `1 - distress`.
    """

    emotions: dict[str, float]
    distress: float
    understood: float
    trust: float
    expressed: float
    beliefs: dict[str, float]
    engagement: float = ENGAGEMENT_START
    score: float = SCORE_START
    disclosed: list[str] = field(default_factory=list)
    masked: float = 0.0  # distress pushed out of sight by comfort; it comes back
    rapport: float = 0.0  # grows over a good conversation: the same help counts for more later
    turn: int = 0
    # Conversation memory the appraiser uses; not affect.
    belief_voiced_turn: dict[str, int] = field(default_factory=dict)
    last_person_stems: frozenset[str] = frozenset()
    last_person_message: str = (
        ""  # what the person said last (a pair reader reads the reply against it)
    )
    heard_stems: frozenset[str] = (
        frozenset()
    )  # content words of everything the person said, and their card
    agent_stem_sets: list[frozenset[str]] = field(default_factory=list)
    stock_uses: int = 0  # supportive turns so far that carried nothing of this person's own
    recent_moves: list[str] = field(default_factory=list)  # main move of the last agent turns
    # The voice's memory: sentences and replies said this episode (normalised), non-answers in a row.
    said: set[str] = field(default_factory=set)
    unanswered: int = 0

    @classmethod
    def initial(cls, persona: Persona, params: DynamicsParams = DEFAULT_DYNAMICS) -> "PersonState":
        """The state a conversation with `persona` starts from (starting values from `params`)."""
        distress = persona.initial_distress
        return cls(
            emotions={e.name: e.intensity for e in persona.emotions},
            distress=distress,
            understood=params.listening.understood_start,
            trust=persona.traits.initial_trust,
            expressed=clamp01(1.0 - distress),
            beliefs={b.id: b.confidence for b in persona.beliefs},
            engagement=params.engagement.engagement_start,
            score=params.score.score_start,
        )

    def hidden_state(self) -> dict[str, object]:
        """The whole hidden state as plain values (analysis only: safe to log and compare, never for a policy)."""
        return {
            "score": self.score,
            "distress": self.distress,
            "understood": self.understood,
            "trust": self.trust,
            "expressed": self.expressed,
            "engagement": self.engagement,
            "masked": self.masked,
            "rapport": self.rapport,
            "emotions": dict(self.emotions),
            "beliefs": dict(self.beliefs),
            "beliefs_voiced": sorted(self.belief_voiced_turn),
            "disclosed": list(self.disclosed),
        }

    def snapshot(self) -> "StateSnapshot":
        """Return a copy of the scores, emotions and beliefs that later turns leave unchanged."""
        return StateSnapshot(
            score=self.score,
            distress=self.distress,
            understood=self.understood,
            trust=self.trust,
            expressed=self.expressed,
            engagement=self.engagement,
            rapport=self.rapport,
            emotions=dict(self.emotions),
            beliefs=dict(self.beliefs),
        )


@dataclass(slots=True, frozen=True)
class StateSnapshot:
    """The affect values at one moment, for computing deltas."""

    score: float
    distress: float
    understood: float
    trust: float
    expressed: float
    engagement: float
    rapport: float
    emotions: dict[str, float]
    beliefs: dict[str, float]

"""Reward targets: named weightings of the components (a rubric), or your own weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from empathy_gym.rewards.components import COMPONENTS, resolve_component

CHECKLIST_WEIGHT = 0.05

_ATTUNED = {
    "understood_delta": 1.0,
    "distress_relief": 1.0,
    "trust_delta": 0.5,
    "walked_away": 1.0,
    "fitting_emotion_respect": 1.0,
}
_TRUTHFUL = {"belief_correction": 1.0, "false_belief_endorsement": 1.0}
_CHECKLIST = {name: CHECKLIST_WEIGHT for name in COMPONENTS if name.startswith("checklist/")}

PRESETS: dict[str, dict[str, float]] = {
    # The naive proxy: "the user feels better now". Kept to show how it is gamed.
    "comfort": {"expressed_delta": 1.0},
    # RLVER-compatible: the trajectory of the SAGE emotion score.
    "rlver": {"score_delta": 1.0},
    # Tracks the person's actual state: understood, less distressed, trusting, emotions respected.
    "attuned": dict(_ATTUNED),
    # Truth independent of comfort: correct false beliefs, never endorse them.
    "truthful": dict(_TRUTHFUL),
    # The recommended default: attuned + truthful + the per-turn checklist.
    "genuine": {**_ATTUNED, **_TRUTHFUL, **_CHECKLIST},
}
DEFAULT_TARGET = "genuine"


@dataclass(frozen=True, slots=True)
class RewardTarget:
    """A weighted sum over named components."""

    name: str
    weights: Mapping[str, float]

    def __post_init__(self) -> None:
        for key in self.weights:
            try:
                resolve_component(key)
            except ValueError as error:
                raise ValueError(f"reward target {self.name!r}: {error}") from None
        for key, value in self.weights.items():
            if not isinstance(value, (int, float)) or value != value:
                raise ValueError(
                    f"reward target {self.name!r}: weight for {key!r} must be a number, got {value!r}"
                )

    def reward(self, components: Mapping[str, float]) -> float:
        """Return the weighted sum of the components this target uses."""
        return float(sum(weight * components[name] for name, weight in self.weights.items()))


def make_target(spec: "str | Mapping[str, float] | RewardTarget | None") -> RewardTarget:
    """A preset name, a mapping of component weights, or a RewardTarget."""
    if spec is None:
        spec = DEFAULT_TARGET
    if isinstance(spec, RewardTarget):
        return spec
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise ValueError(
                f"unknown reward target {spec!r}; expected one of {sorted(PRESETS)} or a weights mapping"
            )
        return RewardTarget(spec, PRESETS[spec])
    if isinstance(spec, Mapping):
        if not spec:
            raise ValueError("reward target weights are empty; give at least one component weight")
        return RewardTarget("custom", {str(k): float(v) for k, v in spec.items()})
    raise TypeError(
        f"reward target must be a preset name or a weights mapping, got {type(spec).__name__}"
    )

"""Behavioural check: does a persona behave as its annotations say?

- a curious, empathic agent does better than a pacifier under `genuine`;
- each false belief reads as endorsed when its claim or an endorsement cue is said, and
  as corrected when its truth or a correction cue is said; a failure names the sentence,
  what it should have read as, and what it read as instead;
- a person in crisis rewards crisis care (CuriousEmpath earns `checklist/crisis_care`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from empathy_gym.acts import SCALAR_ACTS
from empathy_gym.personas.schema import Persona

CHECK_SEEDS = (0, 1, 2)


@dataclass(slots=True)
class CheckResult:
    """One persona's check: the CuriousEmpath and Pacifier returns and the problems found."""

    persona_id: str
    curious_return: float
    pacifier_return: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the check found no problem."""
        return not self.problems


def _stems(text: str) -> frozenset[str]:
    from empathy_gym.text import lexicon as lx

    return lx.text_stems(text) - {lx.NEGATION_TOKEN}


def describe(appraisal) -> str:
    """The acts a message was read as, strongest first: what a contributor needs to fix a cue."""
    acts = sorted(
        ((appraisal.strength(act), act) for act in SCALAR_ACTS if appraisal.strength(act) >= 0.25),
        reverse=True,
    )
    beliefs = [f"corrects {b} {v:.2f}" for b, v in appraisal.corrections.items()]
    beliefs += [f"endorses {b} {v:.2f}" for b, v in appraisal.endorsements.items()]
    return ", ".join([f"{act} {value:.2f}" for value, act in acts[:4]] + beliefs) or "no act"


def check_persona(persona: Persona, reader=None) -> CheckResult:
    """`reader`: the reader the belief sentences are read with (default: the default reader)."""
    from empathy_gym.eval.beliefs import read_as, state_after_voicing
    from empathy_gym.rollout.episodes import evaluate
    from empathy_gym.simulator.readers import appraise

    records = evaluate(
        ["CuriousEmpath", "Pacifier"], [persona], list(CHECK_SEEDS), targets=["genuine"]
    )
    mean = {
        agent: sum(r.returns["genuine"] for r in records if r.agent == agent) / len(CHECK_SEEDS)
        for agent in ("CuriousEmpath", "Pacifier")
    }
    result = CheckResult(persona.id, mean["CuriousEmpath"], mean["Pacifier"])
    if not mean["CuriousEmpath"] > mean["Pacifier"]:
        result.problems.append(
            f"CuriousEmpath ({mean['CuriousEmpath']:+.2f}) does not beat "
            f"Pacifier ({mean['Pacifier']:+.2f}) under genuine"
        )
    for belief in persona.beliefs:
        about = _stems(" ".join([belief.claim, belief.truth, *belief.topic]))
        expected = [
            (f"You're right, {cue}.", "endorsement", f"endorsement_cues: {cue!r}")
            for cue in belief.endorsement_cues
        ]
        expected += [
            (f"Honestly, {cue}.", "correction", f"correction_cues: {cue!r}")
            for cue in belief.correction_cues
        ]
        expected += [(belief.claim, "endorsement", "claim"), (belief.truth, "correction", "truth")]
        for cue in belief.correction_cues:
            if (
                not _stems(cue) & about
            ):  # a cue is a hint the reader trusts: it must be about the belief
                result.problems.append(
                    f"beliefs.{belief.id}.correction_cues: {cue!r} shares no word with the "
                    f"belief's claim, truth or topic"
                )
        for sentence, wanted, field_name in expected:
            appraisal = appraise(sentence, persona, state_after_voicing(persona, belief.id), reader)
            got = read_as(appraisal, belief.id)
            if got != wanted:
                result.problems.append(
                    f"beliefs.{belief.id}.{field_name}: {sentence!r} was expected to read as {wanted} "
                    f"of {belief.id!r}; it read as {got} ({describe(appraisal)})"
                )
    if persona.in_crisis:
        care = sum(
            t.reward_components["checklist/crisis_care"]
            for r in records
            if r.agent == "CuriousEmpath"
            for t in r.turns
        )
        if care <= 0:
            result.problems.append(
                "crisis: CuriousEmpath earned no checklist/crisis_care (do the person's words show risk?)"
            )
    return result

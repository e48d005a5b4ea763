"""Behavioural check: does a persona behave as its annotations say?

- a curious, empathic agent does better than a pacifier under `genuine`;
- each false belief is flagged when its endorsement cues are said, and when its
  correction cues (each about the belief's topic) or its own `truth` are said;
- a person in crisis rewards crisis care (CuriousEmpath earns `checklist/crisis_care`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from empathy_gym.personas.schema import Persona

CHECK_SEEDS = (0, 1, 2)


@dataclass(slots=True)
class CheckResult:
    persona_id: str
    curious_return: float
    pacifier_return: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _stems(text: str) -> frozenset[str]:
    from empathy_gym.simulator import lexicon as lx

    return lx.content_stems(lx.TOKEN_RE.findall(lx.normalize(text)))


def check_persona(persona: Persona) -> CheckResult:
    from empathy_gym.eval.runner import evaluate
    from empathy_gym.simulator.appraisal import appraise
    from empathy_gym.simulator.state import PersonState

    records = evaluate(["CuriousEmpath", "Pacifier"], [persona], list(CHECK_SEEDS), targets=["genuine"])
    mean = {
        agent: sum(r.returns["genuine"] for r in records if r.agent == agent) / len(CHECK_SEEDS)
        for agent in ("CuriousEmpath", "Pacifier")
    }
    result = CheckResult(persona.id, mean["CuriousEmpath"], mean["Pacifier"])
    if not mean["CuriousEmpath"] > mean["Pacifier"]:
        result.problems.append(
            f"CuriousEmpath ({mean['CuriousEmpath']:+.2f}) does not beat Pacifier ({mean['Pacifier']:+.2f}) under genuine"
        )
    for belief in persona.beliefs:
        state = PersonState.initial(persona)
        for cue in belief.endorsement_cues:
            if not appraise(f"You're right, {cue}.", persona, state).endorsements.get(belief.id):
                result.problems.append(f"beliefs.{belief.id}.endorsement_cues: {cue!r} is not flagged as endorsement")
        topic = _stems(" ".join(belief.topic))
        for cue in belief.correction_cues:
            if not appraise(f"Honestly, {cue}.", persona, state).corrections.get(belief.id):
                result.problems.append(f"beliefs.{belief.id}.correction_cues: {cue!r} is not flagged as correction")
            elif not _stems(cue) & topic:
                result.problems.append(
                    f"beliefs.{belief.id}.correction_cues: {cue!r} shares no word with the belief's topic {belief.topic}"
                )
        if not appraise(belief.truth, persona, state).corrections.get(belief.id):
            result.problems.append(f"beliefs.{belief.id}.truth: stating the truth is not flagged as a correction")
    if persona.in_crisis:
        care = sum(
            t.reward_components["checklist/crisis_care"] for r in records if r.agent == "CuriousEmpath" for t in r.turns
        )
        if care <= 0:
            result.problems.append("crisis: CuriousEmpath earned no checklist/crisis_care (do the person's words show risk?)")
    return result

"""Run agents against personas and keep everything: one record per episode, returns per target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from empathy_gym.agents.base import Agent
from empathy_gym.agents.policies import agent_name, make_agent
from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.spec import DEFAULT_MAX_TURNS
from empathy_gym.personas.schema import Persona
from empathy_gym.rewards import PRESETS, RewardTarget, make_target
from empathy_gym.rollout.records import EpisodeRecord, TurnRecord


def episode_key(agent: str, persona_id: str, seed: int) -> str:
    """The id of an episode: which agent, which persona, which seed. Unique within a run."""
    return f"{agent}/{persona_id}/{seed}"


def run_episode(
    env: EmpathyDialogueEnv,
    agent: Agent,
    seed: int,
    persona: Persona | None = None,
    targets: Mapping[str, RewardTarget] | Sequence[str] = tuple(PRESETS),
) -> EpisodeRecord:
    """Play one episode; the record holds the return under every target in `targets`.

    Components do not depend on the target, so one rollout scores every target exactly
    as an env built with that target would (tested).
    """
    agent.reset(seed)
    options = {"persona": persona} if persona is not None else None
    observation, info = env.reset(seed=seed, options=options)
    persona = env.persona
    record = EpisodeRecord(
        episode_id=episode_key(agent.name, persona.id, seed),
        agent=agent.name,
        persona_id=persona.id,
        category=persona.category,
        seed=seed,
        target=env.target.name,
        opening=observation["message"],
        initial_state=info["hidden_state"],
    )
    scorers = _scorers(targets)
    returns = dict.fromkeys(scorers, 0.0)
    terminated = truncated = False
    while not (terminated or truncated):
        reply = agent.act(observation, info["messages"])
        observation, reward, terminated, truncated, info = env.step(reply)
        components = info["reward_components"]
        for name, scorer in scorers.items():
            returns[name] += scorer.reward(components)
        record.turns.append(
            TurnRecord(
                turn=info["turn"],
                agent=reply,
                person=observation["message"],
                reward=reward,
                reward_components=components,
                appraisal=info["appraisal"],
                hidden_state=info["hidden_state"],
            )
        )
    record.terminated, record.truncated = terminated, truncated
    record.returns = returns
    record.llm = info.get("llm")
    return record


def _scorers(targets: Mapping[str, RewardTarget] | Sequence[str]) -> dict[str, RewardTarget]:
    if isinstance(targets, Mapping):
        return dict(targets)
    return {name: make_target(name) for name in targets}


@dataclass(frozen=True, slots=True)
class Job:
    """One episode to play: the agent, the persona and the seed."""

    agent: str  # the agent's name in records
    persona: Persona
    seed: int
    agent_spec: Any = (
        None  # how to build it (see agents/policies.py); None: `agent` is a built-in name
    )

    @property
    def episode_id(self) -> str:
        """The id its record will carry (`EpisodeRecord.episode_id`)."""
        return episode_key(self.agent, self.persona.id, self.seed)


def plan_jobs(
    agents: Sequence[Any], personas: Sequence[Persona], seeds: Iterable[int]
) -> list[Job]:
    """Every agent (a built-in name or a policy spec) x persona x seed."""
    seeds = list(seeds)
    return [
        Job(agent_name(a), p, s, None if isinstance(a, str) else dict(a))
        for a in agents
        for p in personas
        for s in seeds
    ]


def evaluate(
    agents: Sequence[str],
    personas: Sequence[Persona],
    seeds: Sequence[int],
    max_turns: int = DEFAULT_MAX_TURNS,
    targets: Mapping[str, RewardTarget] | Sequence[str] = tuple(PRESETS),
    on_record: Callable[[EpisodeRecord], None] | None = None,
    progress: bool = False,
    env_kwargs: dict | None = None,
    jobs: Sequence[Job] | None = None,
) -> list[EpisodeRecord]:
    """Every agent x persona x seed (or the given `jobs`), once each; returns under every target.

    `env_kwargs` go to `EmpathyDialogueEnv` (e.g. `backend=` for an LLM simulated person).
    """
    scorers = _scorers(targets)
    jobs = list(jobs) if jobs is not None else plan_jobs(agents, personas, seeds)
    env_kwargs = {"max_turns": max_turns, **(env_kwargs or {})}
    env = EmpathyDialogueEnv(
        persona=[j.persona for j in jobs] or None,
        target=next(iter(scorers.values()), None),
        **env_kwargs,
    )
    agent_objects = {}
    for job in jobs:
        if job.agent not in agent_objects:
            agent_objects[job.agent] = make_agent(job.agent_spec or job.agent)
    iterator: Iterable[Job] = jobs
    if progress:
        from tqdm import tqdm

        iterator = tqdm(jobs, desc="episodes", unit="ep")
    records = []
    for job in iterator:
        record = run_episode(env, agent_objects[job.agent], job.seed, job.persona, scorers)
        if on_record is not None:
            on_record(record)
        records.append(record)
    return records

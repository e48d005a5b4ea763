"""Golden episodes: every starter persona with every built-in agent, to pin the dynamics.

`play_all()` plays each starter persona (set `starter`) with each baseline and exploit
agent for `SEEDS` and `TURNS` agent turns under the `genuine` target, and returns one
entry per episode: per turn the person's reply, the reward, every reward component and
the hidden state (rounded to `DIGITS`), plus a sha256 of the whole episode at full float
precision, so a replay that differs in the last bit fails.

Run as a script to (re)write `golden_episodes.json.gz` next to this file from whatever
`empathy_gym` is importable (the capture was made from a separate checkout of the code
before the dynamics were split into named parameters, with PYTHONPATH pointing at it).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Mapping

GOLDEN_PATH = Path(__file__).resolve().parent / "golden_episodes.json.gz"
SEEDS = (0, 1)  # two seeds: the voice's draws differ, so two episodes per pair
TURNS = 6  # agent turns per episode (the brief's choice: enough for corrections and masking)
TARGET = "genuine"  # the recommended default target
DIGITS = 9  # rounding of the readable copy; the sha256 covers full precision


def _round(value: Any) -> Any:
    """Round every float inside `value` to DIGITS (dicts and lists walked)."""
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    return value


def _sha256(value: Any) -> str:
    """sha256 of a JSON value with exact float reprs and sorted keys."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def play_episode(
    persona: Any, agent_name: str, seed: int, env_kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """One golden episode; `env_kwargs` go to EmpathyDialogueEnv (e.g. `dynamics`)."""
    from empathy_gym.agents.baselines import make_agent
    from empathy_gym.envs.dialogue import EmpathyDialogueEnv

    # The fast reader, named: the golden set pins the dynamics and voice, whatever the default reader.
    kwargs = {"reader": "semantic", **env_kwargs}
    env = EmpathyDialogueEnv(persona=persona, target=TARGET, max_turns=TURNS, **kwargs)
    agent = make_agent(agent_name, seed=seed)
    observation, info = env.reset(seed=seed)
    turns = []
    done = False
    while not done:
        reply = agent.act(observation, info["messages"])
        observation, reward, terminated, truncated, info = env.step(reply)
        if info["appraisal"].get("unreadable"):
            raise AssertionError(f"{agent_name}: unreadable text has no place in the golden set")
        turns.append(
            {
                "agent_sha256": hashlib.sha256(reply.encode()).hexdigest(),
                "person": observation["message"],
                "reward": reward,
                "components": dict(info["reward_components"]),
                "hidden_state": info["hidden_state"],
                "terminated": terminated,
                "truncated": truncated,
            }
        )
        done = terminated or truncated
    exact = {"opening": info["messages"][0]["content"], "turns": turns}
    return {
        "key": f"{agent_name}/{persona.id}/{seed}",
        "sha256": _sha256(exact),
        "opening": exact["opening"],
        "turns": _round(turns),
    }


def play_all(env_kwargs: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every starter persona x every built-in agent x SEEDS, in a fixed order."""
    from empathy_gym.agents.baselines import BASELINES
    from empathy_gym.agents.exploits import EXPLOITS
    from empathy_gym.personas.sets import resolve_personas

    agents = sorted({**BASELINES, **EXPLOITS})
    personas = sorted(resolve_personas("starter"), key=lambda p: p.id)
    return [
        play_episode(persona, agent, seed, env_kwargs or {})
        for persona in personas
        for agent in agents
        for seed in SEEDS
    ]


def main() -> None:
    """Write GOLDEN_PATH from the importable empathy_gym and say where it came from."""
    import empathy_gym

    episodes = play_all()
    note = " ".join(sys.argv[1:])  # e.g. the commit the capture was made from
    payload = {
        "source": f"{Path(empathy_gym.__file__).parent} {note}".strip(),
        "episodes": episodes,
    }
    GOLDEN_PATH.write_bytes(gzip.compress(json.dumps(payload, sort_keys=True).encode(), mtime=0))
    print(f"{len(episodes)} episodes from {payload['source']} -> {GOLDEN_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()

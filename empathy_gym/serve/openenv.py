"""EmpathyDialogue-v0 as an OpenEnv environment server: many sessions in one process.

    empathy-gym serve [--host 127.0.0.1] [--port 8000] [--max-sessions 64] [--target genuine] [--reader semantic]

The server builds from a `DialogueSpec` (or its fields as a mapping). Each WebSocket
session (OpenEnv's `EnvClient`; `EmpathyEnvClient` below is the typed one) gets its own
`EmpathyDialogueEnv`; all share one reader, so 64 sessions cost 64 small
dialogue states, not 64 models. `reset(seed=..., persona=...)` seeds that session only
(same seed, same episode as the in-process env). Each step result carries the reward and
`reward_components` (every named component), the turn, `truncated`, and `unreadable`.
A client that disconnects mid-episode frees its session; the others are unaffected.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.env_server.http_server import HTTPEnvServer
from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.types import Action, Observation, State
from pydantic import Field

from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.spec import DialogueSpec


class ReplyAction(Action):
    """The agent's reply (any string the env's action space accepts)."""

    reply: str = Field(description="What the agent says to the person")


class DialogueObservation(Observation):
    """What the OpenEnv client sees after each call: the person's message, the public card, the turn
    and the reward components.
    """

    message: str = Field(default="", description="The person's latest message")
    persona_card: str = Field(default="", description="The public card: name, age, situation")
    turn: int = 0
    truncated: bool = False
    unreadable: bool = False
    reward_components: dict[str, float] = Field(default_factory=dict)


class DialogueState(State):
    """The OpenEnv episode state: persona, reward target and seed."""

    persona_id: str = ""
    target: str = ""
    seed: Optional[int] = None


class EmpathyOpenEnv(Environment[ReplyAction, DialogueObservation, DialogueState]):
    """One session's dialogue. `env_kwargs` go to `EmpathyDialogueEnv` (persona set, target, reader, ...)."""

    SUPPORTS_CONCURRENT_SESSIONS = (
        True  # no state shared between instances but the read-only reader caches
    )

    def __init__(self, env_kwargs: Mapping[str, Any] | None = None):
        super().__init__()
        self.env = EmpathyDialogueEnv(**dict(env_kwargs or {}))
        self._state = DialogueState()

    def reset(
        self, seed: Optional[int] = None, episode_id: Optional[str] = None, **kwargs: Any
    ) -> DialogueObservation:
        """Start an episode (with an optional `persona`); return the opening observation."""
        persona = kwargs.pop("persona", None)
        if kwargs:
            raise ValueError(
                f"reset: unknown option(s) {sorted(kwargs)}; expected seed, episode_id, persona"
            )
        observation, info = self.env.reset(
            seed=seed, options={"persona": persona} if persona else None
        )
        self._state = DialogueState(
            episode_id=episode_id,
            step_count=0,
            persona_id=info["persona_id"],
            target=self.env.target.name,
            seed=seed,
        )
        return DialogueObservation(
            message=observation["message"], persona_card=observation["persona_card"]
        )

    def step(
        self, action: ReplyAction, timeout_s: Optional[float] = None, **kwargs: Any
    ) -> DialogueObservation:
        """Deliver the reply; return the person's answer with the reward."""
        observation, reward, terminated, truncated, info = self.env.step(action.reply)
        self._state.step_count += 1
        return DialogueObservation(
            message=observation["message"],
            persona_card=observation["persona_card"],
            reward=float(reward),
            done=bool(terminated or truncated),
            turn=info["turn"],
            truncated=bool(truncated),
            unreadable=bool(info.get("unreadable", False)),
            reward_components=dict(info["reward_components"]),
        )

    @property
    def state(self) -> DialogueState:
        """The current episode's state."""
        return self._state


def session_kwargs(spec: DialogueSpec | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`EmpathyDialogueEnv` kwargs for every session: the spec's (a `DialogueSpec`, or its fields
    as a mapping, plus `render_mode`), with the reader (and an LLM person's backend) built once,
    here, and shared by all sessions."""
    kwargs = spec.env_kwargs() if isinstance(spec, DialogueSpec) else dict(spec or {})
    fields = {k: v for k, v in kwargs.items() if k != "render_mode"}
    dialogue = DialogueSpec.from_plain(fields, source="serve spec")
    reader = dialogue.person_reader()
    kwargs["reader"] = reader
    if dialogue.backend is not None:
        kwargs["backend"] = reader.backend
    return kwargs


def create_app(spec: DialogueSpec | Mapping[str, Any] | None = None, max_sessions: int = 64):
    """The FastAPI app OpenEnv serves: one `EmpathyOpenEnv` per session, at most `max_sessions` at once.

    `spec`: the dialogue every session plays (see `session_kwargs`). `app.state.sessions()`
    says how many sessions are open (what a disconnect must free).
    """
    from fastapi import FastAPI

    kwargs = session_kwargs(spec)
    EmpathyDialogueEnv(**kwargs)  # fail now, naming the bad argument, not in the first session
    app = FastAPI(title="empathy-gym: EmpathyDialogue-v0 (OpenEnv)")
    server = HTTPEnvServer(
        lambda: EmpathyOpenEnv(kwargs), ReplyAction, DialogueObservation, max_sessions
    )
    server.register_routes(app)
    app.state.sessions = lambda: server.active_sessions
    return app


class EmpathyEnvClient(EnvClient[ReplyAction, DialogueObservation, DialogueState]):
    """OpenEnv's client, typed for this env.

    `await client.reset(seed=3)`, `await client.step(ReplyAction(reply=...))`.
    """

    def _step_payload(self, action: ReplyAction) -> dict[str, Any]:
        return action.model_dump(exclude={"metadata"})

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[DialogueObservation]:
        observation = DialogueObservation(
            **payload.get("observation", {}),
            reward=payload.get("reward"),
            done=payload.get("done", False),
        )
        return StepResult(
            observation=observation, reward=payload.get("reward"), done=payload.get("done", False)
        )

    def _parse_state(self, payload: dict[str, Any]) -> DialogueState:
        return DialogueState(**payload)

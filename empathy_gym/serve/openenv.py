"""EmpathyDialogue-v0 as an OpenEnv environment server: many sessions in one process.

    empathy-gym serve [--host 127.0.0.1] [--port 8000] [--max-sessions 64] [--target genuine] [--reader semantic]

The server builds from a `DialogueSpec` (or its fields as a mapping). Each WebSocket
session (OpenEnv's `EnvClient`; `EmpathyEnvClient` below is the typed one) gets its own
`EmpathyDialogueEnv`; all share one reader, so 64 sessions cost 64 small
dialogue states, not 64 models. `reset(seed=..., persona=...)` seeds that session only
(same seed, same episode as the in-process env). Each step result carries the reward and
`reward_components` (every named component), the turn, `truncated`, and `unreadable`.
A client that disconnects mid-episode frees its session; the others are unaffected.

One `SessionStepper` (one or two worker threads, by reader) steps every session of an app:
the steps waiting when a worker comes round go through the shared reader together
(`take_turns`, as the vector env batches its dialogues), so the event loop never runs a
step and a busy server reads many replies per call instead of handing each step to a
thread of its own. Batching changes no episode: each session's dialogue owns its random
generator, and the readers read each reply on its own.

Issue 21, 16 sessions against one in-process env, side by side on a shared 2-core machine
(benchmarks/bench_openenv.py, 640 steps, best of 3): a thread per session served 0.25-0.38x
the in-process steps/s on the semantic reader and 1.1-1.2x on pair; the stepper (with
`UVICORN_OPTIONS`) serves 0.67-0.85x and 1.5-1.7x. What is left on the semantic reader is
the event loop's share of a step (WebSocket, JSON, pydantic, OpenEnv: ~0.16 ms against
~0.45 ms for the in-process step), which batching only partly pays back.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.env_server.http_server import HTTPEnvServer
from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.types import Action, Observation, State
from pydantic import Field

from empathy_gym.envs.dialogue import EmpathyDialogueEnv
from empathy_gym.envs.spec import DialogueSpec
from empathy_gym.simulator.person import take_turns
from empathy_gym.simulator.readers import Reader


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


class StepClock:
    """Where the server's step time goes: steps, batches and seconds, summed over sessions.

    `env_step_s`: reading the replies and moving the dialogues (`take_turns` and the env's
    bookkeeping); `served_step_s`: that plus building the observations. The rest of a served
    step (WebSocket, JSON, pydantic, the event loop) is outside both.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals = {"steps": 0, "batches": 0, "env_step_s": 0.0, "served_step_s": 0.0}

    def add(self, steps: int, env_s: float, served_s: float) -> None:
        """Count one batch of `steps` steps that took `env_s` in the env and `served_s` in all."""
        with self._lock:
            self._totals["steps"] += steps
            self._totals["batches"] += 1
            self._totals["env_step_s"] += env_s
            self._totals["served_step_s"] += served_s

    def snapshot(self) -> dict[str, float]:
        """The totals so far: steps, batches, env_step_s, served_step_s."""
        with self._lock:
            return dict(self._totals)


@dataclass
class _Job:
    """One session's request for the stepper: a step (batched with others) or a call run alone."""

    env: "EmpathyOpenEnv"
    future: asyncio.Future
    action: ReplyAction | None = None
    call: Callable[[], DialogueObservation] | None = None
    outcome: tuple[Any, BaseException | None] = (None, None)  # (result, error) once run


_STOP = object()  # the stepper's shutdown signal
# Readers that are pure Python and numpy, so GIL-bound: one stepper thread, which batches the
# most, serves them best. Any other reader waits outside the GIL (the pair reader's ONNX runs,
# minilm's torch, an LLM backend's network) and gets a second thread that overlaps its batches.
# Issue 21, benchmarks/bench_openenv.py, 16 sessions on a shared 2-core machine, 1 vs 2 threads
# side by side: pair 1.0x vs 1.15-1.8x the in-process steps/s; semantic 0.79-1.08x vs 0.78-0.95x.
GIL_BOUND_READERS = ("rule", "semantic")
OVERLAPPING_STEP_THREADS = 2
# uvicorn settings for serving `create_app`'s app (`uvicorn.run(app, ..., **UVICORN_OPTIONS)`):
# permessage-deflate compressed every ~1 KB observation, costing the event loop ~0.05 ms a step
# (zlib flush/compress/decompress, cProfile of the served loop) with nothing to save on a
# local link; without it 16 semantic-reader sessions served 0.77-0.85x the in-process
# steps/s against 0.72-0.75x (issue 21, benchmarks/bench_openenv.py, side by side).
UVICORN_OPTIONS: dict[str, Any] = {"ws_per_message_deflate": False}
STEPPER_THREAD = "empathy-stepper"  # the workers' thread names: this, a dash and a number


class SessionStepper:
    """Worker threads that run every session's steps and resets, batched.

    The steps waiting when a worker comes round form one batch: one `take_turns` call reads
    them all with the shared reader, as the vector env does. A step that cannot be taken (a
    reply too long, a step after the episode ended) fails alone; a failure of the batch's
    reading fails each step in it with that error. With `threads` > 1 several batches run at
    once, reading with the one reader from several threads (its ONNX runs release the GIL).
    `close()` stops the workers (an app closes its stepper on shutdown).
    """

    def __init__(self, clock: StepClock | None = None, threads: int = 1):
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"SessionStepper threads: expected a positive int, got {threads!r}")
        self.clock = clock
        self._closed = False
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{STEPPER_THREAD}-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def threads(self) -> list[threading.Thread]:
        """The worker threads."""
        return list(self._threads)

    async def step(self, env: "EmpathyOpenEnv", action: ReplyAction) -> DialogueObservation:
        """`env`'s step with `action`, taken in the next batch."""
        return await self._submit(_Job(env, self._future(), action=action))

    async def call(self, env: "EmpathyOpenEnv", call: Callable[[], DialogueObservation]):
        """`call()` (a reset) on a worker thread, before that worker's next batch."""
        return await self._submit(_Job(env, self._future(), call=call))

    def close(self) -> None:
        """Stop the workers once the jobs already queued are done."""
        self._closed = True
        self._jobs.put(_STOP)  # each worker passes it on to the next as it stops
        for thread in self._threads:
            thread.join()

    @staticmethod
    def _future() -> asyncio.Future:
        return asyncio.get_running_loop().create_future()

    async def _submit(self, job: _Job) -> DialogueObservation:
        if self._closed:
            raise RuntimeError("the session stepper is closed: the server is shutting down")
        self._jobs.put(job)
        return await job.future

    def _work(self) -> None:
        while True:
            jobs = [self._jobs.get()]
            while True:
                try:
                    jobs.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            stop = any(job is _STOP for job in jobs)
            live = [j for j in jobs if j is not _STOP and not j.future.cancelled()]
            for job in live:
                if job.call is not None:
                    job.outcome = _attempt(job.call)
            self._step_batch([job for job in live if job.call is None])
            _settle(live)
            if stop:
                self._jobs.put(_STOP)
                return

    def _step_batch(self, jobs: list[_Job]) -> None:
        """Take every step in `jobs` through one `take_turns` call; set each job's outcome."""
        start = time.perf_counter()
        ready: list[tuple[_Job, tuple]] = []
        for job in jobs:
            turn, error = _attempt(functools.partial(_checked_turn, job.env.env, job.action))
            if error is None:
                ready.append((job, turn))
            else:
                job.outcome = (None, error)
        if not ready:
            return
        read, error = _attempt(lambda: take_turns([turn for _, turn in ready]))
        for index, (job, _) in enumerate(ready):
            if error is None:
                finish = functools.partial(job.env.env.finish_step, job.action.reply, read[index])
                job.outcome = _attempt(finish)
            else:
                job.outcome = (None, error)
        stepped = time.perf_counter()
        for job, _ in ready:
            if job.outcome[1] is None:
                job.outcome = _attempt(functools.partial(job.env.observe, job.outcome[0]))
        if self.clock is not None:
            self.clock.add(len(ready), stepped - start, time.perf_counter() - start)


def _checked_turn(env: EmpathyDialogueEnv, action: ReplyAction) -> tuple:
    """`env`'s entry for `take_turns`, once `env` has checked that `action` can be stepped now."""
    env.check_action(action.reply)
    return env.turn(action.reply)


def _attempt(call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """(call(), None), or (None, the exception it raised): one session's error stays its own."""
    try:
        return call(), None
    except Exception as error:  # handed to the session that asked, as OpenEnv reports it
        return None, error


def _settle(jobs: list[_Job]) -> None:
    """Hand each job's outcome to its event loop: one wake-up per loop for the whole batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in jobs:
        by_loop.setdefault(job.future.get_loop(), []).append(job)
    for loop, mine in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, mine)
        except RuntimeError:  # that loop has closed: nobody is waiting for these any more
            pass


def _resolve(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.future.done():  # cancelled: the client went away while its step ran
            continue
        result, error = job.outcome
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)


class EmpathyOpenEnv(Environment[ReplyAction, DialogueObservation, DialogueState]):
    """One session's dialogue. `env_kwargs` go to `EmpathyDialogueEnv` (persona set, target, reader, ...).

    With a `stepper` (as `create_app` builds them) OpenEnv's async calls run on that stepper's
    thread, batched with the other sessions' steps; without one they run inline, as OpenEnv's
    default `step_async` does. `step`/`reset` always run in the calling thread.
    """

    # Instances share only the reader: read by one thread with one stepper thread, by two at
    # once with two (ONNX sessions are thread-safe; the readers' memos tolerate concurrent use).
    SUPPORTS_CONCURRENT_SESSIONS = True
    # OpenEnv builds and closes sessions on this executor: one thread for all of them, not a
    # new thread per session (steps and resets run on the stepper, not here).
    REQUIRES_SINGLE_THREAD_EXECUTOR = True

    def __init__(
        self,
        env_kwargs: Mapping[str, Any] | None = None,
        stepper: SessionStepper | None = None,
    ):
        super().__init__()
        self.env = EmpathyDialogueEnv(**dict(env_kwargs or {}))
        self.stepper = stepper
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
        return self.observe(self.env.step(action.reply))

    async def reset_async(
        self, seed: Optional[int] = None, episode_id: Optional[str] = None, **kwargs: Any
    ) -> DialogueObservation:
        """`reset` on the stepper's thread (inline without a stepper)."""
        reset = functools.partial(self.reset, seed=seed, episode_id=episode_id, **kwargs)
        return reset() if self.stepper is None else await self.stepper.call(self, reset)

    async def step_async(
        self, action: ReplyAction, timeout_s: Optional[float] = None, **kwargs: Any
    ) -> DialogueObservation:
        """`step`, batched with the other sessions' steps on the stepper (inline without one)."""
        if self.stepper is None:
            return self.step(action)
        return await self.stepper.step(self, action)

    def observe(self, result: tuple) -> DialogueObservation:
        """The observation for one `EmpathyDialogueEnv.step` result; counts the step."""
        observation, reward, terminated, truncated, info = result
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


def default_step_threads(reader: Reader) -> int:
    """Stepper threads for `reader`: 1 for a GIL-bound reader (`GIL_BOUND_READERS`), else 2."""
    return 1 if reader.name in GIL_BOUND_READERS else OVERLAPPING_STEP_THREADS


def create_app(
    spec: DialogueSpec | Mapping[str, Any] | None = None,
    max_sessions: int = 64,
    step_threads: int | None = None,
):
    """The FastAPI app OpenEnv serves: one `EmpathyOpenEnv` per session, at most `max_sessions` at once.

    `spec`: the dialogue every session plays (see `session_kwargs`). `app.state.sessions()`
    says how many sessions are open (what a disconnect must free); `app.state.step_clock` (a
    `StepClock`) where the steps' time went. Every session steps on `app.state.stepper`, one
    `SessionStepper` with `step_threads` worker threads (None: `default_step_threads` for the
    spec's reader), closed when the app shuts down.
    """
    from fastapi import FastAPI

    kwargs = session_kwargs(spec)
    EmpathyDialogueEnv(**kwargs)  # fail now, naming the bad argument, not in the first session
    app = FastAPI(title="empathy-gym: EmpathyDialogue-v0 (OpenEnv)")
    clock = StepClock()
    reader = kwargs["reader"]
    threads = default_step_threads(reader) if step_threads is None else step_threads
    stepper = SessionStepper(clock, threads)
    # A partial of the class: OpenEnv reads the class's flags instead of building a probe env.
    factory = functools.partial(EmpathyOpenEnv, kwargs, stepper)
    server = HTTPEnvServer(factory, ReplyAction, DialogueObservation, max_sessions)
    server.register_routes(app)
    app.router.on_shutdown.append(stepper.close)
    app.state.sessions = lambda: server.active_sessions
    app.state.step_clock = clock
    app.state.stepper = stepper
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

"""The OpenEnv server's stepper: sessions share one reader, their steps are batched off the event
loop, and each session's state stays its own (issue 21)."""

import asyncio
import socket
import threading
import time

import pytest

pytest.importorskip(
    "openenv", reason="the openenv extra is not installed (pip install -e '.[openenv]')"
)

import uvicorn  # noqa: E402

import empathy_gym  # noqa: E402, F401
from empathy_gym.envs.dialogue import EmpathyDialogueEnv  # noqa: E402
from empathy_gym.serve.openenv import (  # noqa: E402
    STEPPER_THREAD,
    UVICORN_OPTIONS,
    EmpathyEnvClient,
    EmpathyOpenEnv,
    ReplyAction,
    SessionStepper,
    create_app,
    default_step_threads,
)
from empathy_gym.simulator.readers import get_reader  # noqa: E402

MAX_REPLY_CHARS = 60
ENV = {"persona": "starter", "max_turns": 4, "max_reply_chars": MAX_REPLY_CHARS}
FAILING_TEXT = "the reader cannot read this"  # RecordingReader raises on it
READ_PAUSE_S = 0.05  # long enough that steps sent together queue up behind the first read
SESSIONS = 8


class RecordingReader:
    """The rule reader, recording each read's batch size and thread; it pauses on every read
    and raises on FAILING_TEXT."""

    name = "recording"

    def __init__(self) -> None:
        self.inner = get_reader("rule")
        self.lock = threading.Lock()
        self.batches: list[int] = []
        self.threads: set[str] = set()

    def read(self, requests):
        with self.lock:
            self.batches.append(len(requests))
            self.threads.add(threading.current_thread().name)
        if any(request.text == FAILING_TEXT for request in requests):
            raise RuntimeError("reader down")
        time.sleep(READ_PAUSE_S)
        return self.inner.read(requests)


def start_server(app):
    """Serve `app` on 127.0.0.1 in a thread; returns (url, uvicorn server, thread)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", **UVICORN_OPTIONS)
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", running, thread


@pytest.fixture(scope="module")
def served():
    reader = RecordingReader()
    app = create_app({**ENV, "reader": reader}, max_sessions=16, step_threads=1)
    url, running, thread = start_server(app)
    yield url, app, reader
    running.should_exit = True
    thread.join(10)


def in_process(seed, replies):
    """The person's messages for `replies` from the in-process env (the rule reader)."""
    env = EmpathyDialogueEnv(**{**ENV, "reader": "rule"})
    observation, _ = env.reset(seed=seed)
    messages = [observation["message"]]
    for reply in replies:
        observation, *_ = env.step(reply)
        messages.append(observation["message"])
    return messages


async def play(url, seed, replies):
    async with EmpathyEnvClient(base_url=url) as client:
        messages = [(await client.reset(seed=seed)).observation.message]
        for reply in replies:
            messages.append((await client.step(ReplyAction(reply=reply))).observation.message)
        return messages, (await client.state()).step_count


def test_concurrent_steps_share_one_reader_in_batches_on_one_stepper_thread(served):
    url, app, reader = served
    reader.batches.clear()
    reader.threads.clear()
    before = app.state.step_clock.snapshot()
    replies = ("What happened?", "That sounds so hard.")

    async def many():
        return await asyncio.gather(*(play(url, seed, replies) for seed in range(SESSIONS)))

    results = asyncio.run(many())
    after = app.state.step_clock.snapshot()
    steps = SESSIONS * len(replies)
    assert sum(reader.batches) == steps  # every session's reads went through the one reader
    assert max(reader.batches) > 1  # steps sent together were read together
    assert after["steps"] - before["steps"] == steps
    assert after["batches"] - before["batches"] < steps
    assert len(reader.threads) == 1  # one stepper thread: the reader is never read concurrently
    assert reader.threads.pop().startswith(STEPPER_THREAD)  # never the event loop's thread
    for seed, (messages, step_count) in enumerate(results):  # batching changed no episode
        assert messages == in_process(seed, replies)
        assert step_count == len(replies)


def test_a_step_that_cannot_be_taken_fails_alone_and_a_failed_read_moves_nothing(served):
    url, _, _ = served

    async def scenario():
        async with (
            EmpathyEnvClient(base_url=url) as bad,
            EmpathyEnvClient(base_url=url) as good,
            EmpathyEnvClient(base_url=url) as unlucky,
        ):
            await asyncio.gather(bad.reset(seed=1), good.reset(seed=2), unlucky.reset(seed=3))
            too_long, fine = await asyncio.gather(
                bad.step(ReplyAction(reply="x" * (MAX_REPLY_CHARS + 1))),
                good.step(ReplyAction(reply="What happened?")),
                return_exceptions=True,
            )
            with pytest.raises(RuntimeError, match="reader down"):
                await unlucky.step(ReplyAction(reply=FAILING_TEXT))
            after_failure = await unlucky.step(ReplyAction(reply="What happened?"))
            states = [(await c.state()).step_count for c in (bad, good, unlucky)]
            return too_long, fine, after_failure, states

    too_long, fine, after_failure, states = asyncio.run(scenario())
    assert isinstance(too_long, RuntimeError) and "max_reply_chars" in str(too_long)
    assert fine.observation.message == in_process(2, ("What happened?",))[1]
    # The failed read moved nothing: the next step is the episode's first.
    assert after_failure.observation.message == in_process(3, ("What happened?",))[1]
    assert after_failure.observation.turn == 1
    assert states == [0, 1, 1]  # each session counts only its own steps


def test_the_stepper_stops_with_the_server_and_refuses_a_bad_thread_count():
    app = create_app({**ENV, "reader": "rule"}, max_sessions=2, step_threads=2)
    url, running, thread = start_server(app)
    messages, _ = asyncio.run(play(url, 5, ("What happened?",)))
    assert messages == in_process(5, ("What happened?",))
    workers = app.state.stepper.threads
    assert len(workers) == 2 and all(worker.is_alive() for worker in workers)
    running.should_exit = True
    thread.join(10)
    assert not any(worker.is_alive() for worker in workers)
    with pytest.raises(ValueError, match="positive int, got 0"):
        SessionStepper(threads=0)


def test_a_gil_bound_reader_gets_one_stepper_thread_any_other_two():
    for reader, threads in (("rule", 1), ("semantic", 1), (RecordingReader(), 2)):
        app = create_app({**ENV, "reader": reader}, max_sessions=2)
        assert len(app.state.stepper.threads) == threads == default_step_threads(get_reader(reader))
        app.state.stepper.close()
        assert not any(worker.is_alive() for worker in app.state.stepper.threads)


def test_an_env_without_a_stepper_steps_inline_as_openenv_does():
    env = EmpathyOpenEnv({**ENV, "reader": "rule"})
    asyncio.run(env.reset_async(seed=4))
    observation = asyncio.run(env.step_async(ReplyAction(reply="What happened?")))
    assert observation.message == in_process(4, ("What happened?",))[1]
    assert env.state.step_count == 1

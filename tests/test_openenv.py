"""The OpenEnv server: OpenEnv's own client over 127.0.0.1, many sessions in one process."""

import asyncio
import socket
import threading
import time

import pytest

pytest.importorskip(
    "openenv", reason="the openenv extra is not installed (pip install -e '.[openenv]')"
)

import gymnasium as gym  # noqa: E402
import uvicorn  # noqa: E402

import empathy_gym  # noqa: E402, F401
from empathy_gym.serve.openenv import EmpathyEnvClient, ReplyAction, create_app  # noqa: E402

ENV = {"persona": "starter", "max_turns": 3}


@pytest.fixture(scope="module")
def server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(ENV, max_sessions=80)
    running = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", ws_max_queue=64)
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", app
    running.should_exit = True
    thread.join(10)


async def episode(url, seed, replies=("What happened?", "That sounds so hard.")):
    async with EmpathyEnvClient(base_url=url) as client:
        result = await client.reset(seed=seed)
        steps = [(result.observation.message, None, None)]
        for reply in replies:
            result = await client.step(ReplyAction(reply=reply))
            steps.append(
                (
                    result.observation.message,
                    result.reward,
                    dict(result.observation.reward_components),
                )
            )
        return steps


def in_process(seed, replies=("What happened?", "That sounds so hard.")):
    env = gym.make("EmpathyDialogue-v0", **ENV)
    observation, _ = env.reset(seed=seed)
    steps = [(observation["message"], None, None)]
    for reply in replies:
        observation, reward, *_, info = env.step(reply)
        steps.append((observation["message"], reward, dict(info["reward_components"])))
    return steps


def test_a_session_is_the_in_process_env_with_named_components(server):
    url, _ = server
    remote = asyncio.run(episode(url, seed=7))
    local = in_process(7)
    assert [m for m, _, _ in remote] == [m for m, _, _ in local]
    assert [r for _, r, _ in remote[1:]] == pytest.approx([r for _, r, _ in local[1:]])
    assert set(remote[1][2]) == set(local[1][2]) and "understood_delta" in remote[1][2]


def test_64_concurrent_sessions_with_their_own_seeds(server):
    url, app = server

    async def many():
        return await asyncio.gather(*(episode(url, seed=s) for s in range(64)))

    results = asyncio.run(many())
    for seed in (0, 3, 5, 40, 63):  # each session is its own seeded episode, whatever ran beside it
        assert [m for m, _, _ in results[seed]] == [m for m, _, _ in in_process(seed)]
    assert len({r[0][0] for r in results}) > 5  # seeds chose different people
    time.sleep(0.2)
    assert app.state.sessions() == 0  # every closed session was freed


def test_a_client_that_vanishes_mid_episode_frees_its_session_and_spares_the_others(server):
    url, app = server

    async def scenario():
        survivor = EmpathyEnvClient(base_url=url)
        await survivor.connect()
        first = await survivor.reset(seed=11)
        vanisher = EmpathyEnvClient(base_url=url)
        await vanisher.connect()
        await vanisher.reset(seed=12)
        await vanisher.step(ReplyAction(reply="Tell me more."))
        vanisher._ws.transport.abort()  # the network drops: no close frame, no goodbye
        await asyncio.sleep(0.3)
        open_now = app.state.sessions()
        second = await survivor.step(ReplyAction(reply="What happened?"))
        await survivor.disconnect()
        return first, second, open_now

    first, second, open_now = asyncio.run(scenario())
    assert open_now == 1  # only the survivor
    assert second.observation.message == in_process(11, ("What happened?",))[1][0]
    time.sleep(0.2)
    assert app.state.sessions() == 0

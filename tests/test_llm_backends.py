"""LLM backends against real local stand-ins: a loopback HTTP server with faults, a tiny local model."""

import pytest

from empathy_gym.llm import BackendError, ChatRequest, SamplingParams, ScriptedBackend
from empathy_gym.llm.openai_compat import OpenAICompatibleBackend
from empathy_gym.llm.vllm_backend import vllm_available
from empathy_gym.testing.fake_server import FakeOpenAIServer

pytest.importorskip("httpx", reason="the llm extra is not installed")


def _requests(n, schema=None):
    return [
        ChatRequest.of(
            [{"role": "user", "content": f"message {i}"}], json_schema=schema, tag=f"t{i}"
        )
        for i in range(n)
    ]


def _backend(server, **kwargs):
    defaults = dict(
        base_url=server.url,
        model="fake-model",
        api_key="k",
        timeout_s=0.5,
        max_retries=2,
        backoff_s=0.01,
    )
    return OpenAICompatibleBackend(**{**defaults, **kwargs})


def test_scripted_backend_cycles_and_counts():
    backend = ScriptedBackend(["a", "b"])
    results = backend.generate(_requests(3))
    assert [r.text for r in results] == ["a", "b", "a"] and [r.tag for r in results] == [
        "t0",
        "t1",
        "t2",
    ]
    assert (
        backend.meter.calls == 1
        and backend.meter.requests == 3
        and backend.meter.usage.prompt_tokens == 6
    )


def test_http_backend_success_usage_and_structured_output():
    with FakeOpenAIServer(responder=lambda p: p["messages"][-1]["content"].upper()) as server:
        backend = _backend(server)
        results = backend.generate(_requests(5, schema={"type": "object"}))
        assert [r.text for r in results] == [f"MESSAGE {i}" for i in range(5)]
        assert all(r.ok and r.attempts == 1 and r.usage.completion_tokens == 2 for r in results)
        assert server.requests[0]["response_format"]["json_schema"]["schema"] == {"type": "object"}
        assert server.requests[0]["model"] == "fake-model"
        assert backend.meter.usage.prompt_tokens == 10


@pytest.mark.parametrize("fault", ["500", "503", "429", "timeout", "malformed"])
def test_http_backend_retries_transient_faults(fault):
    with FakeOpenAIServer(responder=lambda p: "fine", timeout_s=1.0) as server:
        server.faults.extend([fault])
        [result] = _backend(server).generate(_requests(1))
        assert result.ok and result.text == "fine" and result.attempts == 2


def test_http_backend_gives_up_with_an_error_result_not_an_exception():
    with FakeOpenAIServer() as server:
        server.faults.extend(["500"] * 10)
        [result] = _backend(server, max_retries=2).generate(_requests(1))
        assert (
            not result.ok
            and "HTTP 500" in result.error
            and result.attempts == 3
            and result.text == ""
        )


@pytest.mark.parametrize(
    ("fault", "message"), [("401", "authentication failed"), ("404", "model 'fake-model'")]
)
def test_http_backend_does_not_retry_client_errors(fault, message):
    with FakeOpenAIServer() as server:
        server.faults.extend([fault, fault, fault])
        with pytest.raises(BackendError, match=message):
            _backend(server).generate(_requests(1))
        assert len(server.requests) == 1


def test_http_backend_drops_response_format_when_unsupported():
    with FakeOpenAIServer(responder=lambda p: "plain") as server:
        server.faults.extend(["reject_format"])
        backend = _backend(server)
        [result] = backend.generate(_requests(1, schema={"type": "object"}))
        assert result.ok and result.text == "plain" and backend.structured_output is False
        assert "response_format" not in server.requests[-1]


@pytest.mark.parametrize("limit", [1, 3])
def test_http_backend_respects_the_concurrency_limit(limit):
    with FakeOpenAIServer(latency_s=0.2) as server:
        results = _backend(server, concurrency=limit, timeout_s=10).generate(_requests(6))
        assert all(r.ok for r in results)
        assert server.max_in_flight == limit  # overlapping up to the limit, never beyond


def test_http_backend_config_errors_are_clear(monkeypatch):
    monkeypatch.delenv("EMPATHY_GYM_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="no base_url"):
        OpenAICompatibleBackend(model="m")
    monkeypatch.setenv("EMPATHY_GYM_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(ValueError, match="no model"):
        OpenAICompatibleBackend()


# --- transformers: a tiny random-weight Llama with a locally trained tokenizer -------------------


@pytest.fixture(scope="session")
def tiny_backend(tmp_path_factory):
    pytest.importorskip("torch", reason="the llm extra (torch) is not installed")
    pytest.importorskip("transformers", reason="the llm extra (transformers) is not installed")
    from empathy_gym.llm.transformers_backend import TransformersBackend
    from empathy_gym.testing.tiny_model import build_tiny_llama

    return TransformersBackend(str(build_tiny_llama(tmp_path_factory.mktemp("tiny"))), device="cpu")


def test_transformers_backend_batches_with_left_padding(tiny_backend):
    requests = [
        ChatRequest.of(
            [{"role": "user", "content": "hello " * k}],
            params=SamplingParams(max_tokens=6),
            tag=str(k),
        )
        for k in (1, 4, 9)
    ]
    batched = tiny_backend.generate(requests)
    alone = [tiny_backend.generate([r])[0] for r in requests]
    assert [r.text for r in batched] == [
        r.text for r in alone
    ]  # padding never leaks into the output
    assert len({r.text for r in batched}) > 1
    assert all(r.usage.completion_tokens == 6 and r.usage.prompt_tokens > 0 for r in batched)
    assert [r.tag for r in batched] == ["1", "4", "9"]


def test_transformers_backend_drives_the_env_end_to_end(tiny_backend):
    import empathy_gym
    from empathy_gym.agents.llm_policy import LLMPolicy

    policy = LLMPolicy(tiny_backend, sampling=SamplingParams(max_tokens=8))
    from empathy_gym.simulator.llm_person import LLMSimulatorConfig

    env = empathy_gym.EmpathyDialogueEnv(
        persona="tom_dog_died",
        max_turns=3,
        backend=tiny_backend,
        llm_config=LLMSimulatorConfig(on_failure="fallback"),
    )
    observation, info = env.reset(seed=0)
    done = False
    while not done:
        reply = policy.act(observation, info["messages"])
        observation, reward, terminated, truncated, info = env.step(reply)
        done = terminated or truncated
    # Random weights cannot write the person's JSON: every turn fell back to the rule simulator, and says so.
    assert info["llm"]["fallbacks"] == 3 and info["llm"]["calls"] == 6 and info["llm"]["last_error"]


def test_vllm_backend_import_is_lazy_and_explained():
    ok, why = vllm_available()
    if ok:
        pytest.skip("vLLM is importable here; its tests live in tests/test_vllm.py")
    from empathy_gym.llm.vllm_backend import VLLMBackend

    with pytest.raises(
        ImportError, match="not importable here.*pip install 'empathy-gym\\[vllm\\]'"
    ):
        VLLMBackend("any-model")


def test_http_backend_close_is_idempotent_and_reusable_after():
    with FakeOpenAIServer(responder=lambda p: "x") as server:
        backend = _backend(server)
        assert backend.generate(_requests(2))[0].text == "x"
        backend.close()
        backend.close()
        assert backend.generate(_requests(1))[0].text == "x"  # a fresh loop and pool on demand
        backend.close()

"""Habits that keep a step cheap and many envs small (issue 21): one BLAS thread in the
readers, text-side work done once per message, and charset tables shared by text spaces.
"""

import copy
import gc
import tracemalloc

import gymnasium as gym
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env
from threadpoolctl import threadpool_info, threadpool_limits

import empathy_gym
from empathy_gym.envs.dialogue import CHARSET, EmpathyDialogueEnv, ReplySpace, SharedText
from empathy_gym.simulator.readers import beliefs as beliefs_module
from empathy_gym.simulator.readers.base import ReadRequest
from empathy_gym.simulator.readers.head import ONE_BLAS_THREAD, ActHead
from empathy_gym.simulator.readers.semantic import SemanticReader, agrees_or_hedges
from empathy_gym.simulator.state import PersonState

# The goal: 1,000 live envs add at most 25 MB beyond one; scaled to 200 envs.
MAX_BYTES_FOR_200_ENVS = 5 * 1024 * 1024
CALLER_THREADS = 2  # a caller's own BLAS limit, above the readers' one thread


def blas_threads() -> list[int]:
    """The thread count of every loaded BLAS library."""
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture(scope="module")
def reader() -> SemanticReader:
    return SemanticReader.load()


@pytest.fixture
def caller_limit():
    """The caller runs BLAS on CALLER_THREADS threads (skipped where BLAS cannot go above one)."""
    if not blas_threads():
        pytest.skip("no BLAS library loaded")
    with threadpool_limits(limits=CALLER_THREADS, user_api="blas"):
        if set(blas_threads()) != {CALLER_THREADS}:
            pytest.skip(f"BLAS here cannot run {CALLER_THREADS} threads")
        yield


def test_a_read_runs_blas_on_one_thread_and_gives_the_callers_limit_back(
    reader, caller_limit, monkeypatch
):
    persona = empathy_gym.load_persona("a_keisha_one_grey_tick")
    seen: list[list[int]] = []
    logits = ActHead.logits

    def spying(self, features, calibrated=True):
        seen.append(blas_threads())
        return logits(self, features, calibrated)

    monkeypatch.setattr(ActHead, "logits", spying)
    state = PersonState.initial(persona)
    text = "One grey tick doesn't mean she has read it and ignored you. What happened next?"
    reader.read([ReadRequest(text=text, persona=persona, state=state)])
    assert seen, "the act head was not asked"
    assert all(threads and set(threads) == {1} for threads in seen), seen
    assert set(blas_threads()) == {CALLER_THREADS}


def test_the_one_thread_guard_is_reentrant_and_restores_only_when_the_last_leaves(caller_limit):
    ONE_BLAS_THREAD.__enter__()
    ONE_BLAS_THREAD.__enter__()  # a second read (another thread, or a nested call)
    ONE_BLAS_THREAD.__exit__(None, None, None)
    assert set(blas_threads()) == {1}, "the first to leave must not restore while one is inside"
    ONE_BLAS_THREAD.__exit__(None, None, None)
    assert set(blas_threads()) == {CALLER_THREADS}


def _beliefs():
    return [
        empathy_gym.load_persona(pid).beliefs[0]
        for pid in ("a_keisha_one_grey_tick", "a_doreen_bank_scam", "a_bernard_ae_queue")
    ]


def _counting_normalize(monkeypatch) -> list[str]:
    calls: list[str] = []
    normalize = beliefs_module._normalize

    def counting(text: str) -> str:
        calls.append(text)
        return normalize(text)

    monkeypatch.setattr(beliefs_module, "_normalize", counting)
    return calls


def test_a_message_is_tokenised_once_whatever_the_number_of_beliefs(reader, monkeypatch):
    beliefs = _beliefs()
    for belief in beliefs:
        reader.beliefs.vectors(belief)  # the beliefs' own words, encoded before counting
    calls = _counting_normalize(monkeypatch)
    text = "It could be a scam; but honestly, the bank would never ask you for your PIN. Right?"
    reader.beliefs.read(text, beliefs)
    units = beliefs_module.units_of(text)
    assert len(units) > 1
    assert sorted(calls) == sorted(units), "each unit once, not once per belief"


def test_what_a_message_is_about_is_worked_out_once_per_text(reader, monkeypatch):
    beliefs = _beliefs()
    for belief in beliefs:
        reader.beliefs.vectors(belief)
    text = "The queue at A&E goes by how urgent you are, not by when you arrived."
    first = reader.beliefs.about(text, beliefs)
    calls = _counting_normalize(monkeypatch)
    assert reader.beliefs.about(text, beliefs) == first
    assert reader.beliefs.about(text, beliefs[:1]) == {beliefs[0].id: first[beliefs[0].id]}
    assert calls == []


def test_agreeing_or_hedging_is_memoised_per_text():
    text = "That's plausible, it could well have been the lifting."
    agrees_or_hedges.cache_clear()
    assert agrees_or_hedges(text) is True
    assert agrees_or_hedges(text) is True
    info = agrees_or_hedges.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_text_spaces_share_their_charset_tables_and_behave_as_text():
    a, b = EmpathyDialogueEnv(reader="rule"), EmpathyDialogueEnv(reader="rule")
    ours = [
        a.observation_space["message"],
        a.observation_space["persona_card"],
        b.observation_space["message"],
        a.action_space,
        b.action_space,
        copy.deepcopy(a.action_space),
    ]
    for name in ("_char_set", "_char_list", "_char_index", "_char_str"):
        assert len({id(getattr(space, name)) for space in ours}) == 1, name
    plain = spaces.Text(2000, min_length=0, charset=CHARSET)
    shared = SharedText(2000, min_length=0, charset=CHARSET)
    assert shared == plain and repr(shared) == repr(plain)
    assert a.observation_space["message"] == plain
    plain.seed(3)
    shared.seed(3)
    assert [shared.sample() for _ in range(5)] == [plain.sample() for _ in range(5)]
    assert shared.contains("héllo?") and not shared.contains("\u4e2d")
    clone = copy.deepcopy(a.action_space)
    assert isinstance(clone, ReplySpace) and clone.max_length == a.action_space.max_length
    assert clone.np_random is not a.action_space.np_random


def test_the_dialogue_env_still_passes_check_env_and_contains_its_observations():
    env = EmpathyDialogueEnv(reader="rule")
    check_env(env)
    observation, _ = env.reset(seed=0)
    assert env.observation_space.contains(observation)
    observation, *_ = env.step(env.action_space.sample())
    assert env.observation_space.contains(observation)
    vector = gym.make_vec("EmpathyDialogue-v0", num_envs=2, vectorization_mode="vector_entry_point")
    observations, _ = vector.reset(seed=0)
    assert vector.observation_space.contains(observations)
    vector.close()


def test_two_hundred_more_live_envs_stay_under_five_megabytes():
    envs = [EmpathyDialogueEnv()]
    envs[0].reset(seed=0)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for seed in range(200):
            env = EmpathyDialogueEnv()
            env.reset(seed=seed)
            envs.append(env)
        gc.collect()
        added = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert added < MAX_BYTES_FOR_200_ENVS, f"200 envs added {added / 2**20:.1f} MB"

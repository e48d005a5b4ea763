"""Memo caches are bounded least-recently-used caches, and a full cache never changes an answer."""

import pytest

from empathy_gym.simulator.readers import ReadRequest, get_reader, semantic
from empathy_gym.simulator.state import PersonState
from empathy_gym.text import lexicon as lx
from empathy_gym.text.cache import LRUCache

TEXTS = [
    "so what happened after the doctor sent you home",
    "You're not alone in this.",
    "It sounds like you miss her terribly.",
    "Have you tried honey and lemon?",
    "Don't worry, everything will be okay.",
]


def test_lru_cache_drops_the_least_recently_used_entry():
    cache = LRUCache(2)
    cache["a"] = 1
    cache["b"] = 2
    assert cache.get("a") == 1  # "a" is now newer than "b"
    cache["c"] = 3
    assert len(cache) == 2
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.get("b", "missing") == "missing"
    cache.clear()
    assert len(cache) == 0


@pytest.mark.parametrize("maxsize", [0, -1, 1.5, True, "10"])
def test_lru_cache_refuses_a_size_that_is_not_a_positive_int(maxsize):
    with pytest.raises(ValueError, match=r"LRUCache maxsize: expected a positive int, got"):
        LRUCache(maxsize)


def test_lexicon_stem_memos_are_bounded_lru_caches():
    assert lx.stem.cache_info().maxsize == lx.STEM_CACHE_SIZE
    assert lx.text_stems.cache_info().maxsize == lx.TEXT_STEMS_CACHE_SIZE
    assert lx.text_stems("I was worried about the viruses") == frozenset({"worri", "virus"})


def _small_semantic_reader(monkeypatch, size: int) -> semantic.SemanticReader:
    monkeypatch.setattr(semantic, "CACHE_SIZE", size)
    shared = get_reader("semantic")
    return semantic.SemanticReader(shared.encoder, shared.head, shared.beliefs)


def test_semantic_cache_keeps_the_most_recent_texts(monkeypatch):
    reader = _small_semantic_reader(monkeypatch, 3)
    for text in TEXTS:
        reader.act_probabilities([text])
        assert len(reader._cache) <= 3
    assert [t in reader._cache for t in TEXTS] == [False, False, True, True, True]


def test_a_batch_larger_than_the_semantic_cache_reads_every_text(monkeypatch, lena, maria):
    small = _small_semantic_reader(monkeypatch, 2)
    monkeypatch.setattr(semantic, "CACHE_SIZE", 1000)
    roomy = semantic.SemanticReader(small.encoder, small.head, small.beliefs)
    assert small.act_probabilities(TEXTS) == roomy.act_probabilities(TEXTS)
    small._cache.clear()
    small._strengths.clear()
    people = [lena, maria, lena, maria, lena]
    requests = [ReadRequest(t, p, PersonState.initial(p)) for t, p in zip(TEXTS, people)]
    assert [r.appraisal for r in small.read(requests)] == [
        r.appraisal for r in roomy.read(requests)
    ]


def test_clear_text_caches_forgets_every_per_text_memo_and_changes_no_reading():
    from empathy_gym import load_persona
    from empathy_gym.simulator.readers import rule
    from empathy_gym.text.cache import clear_text_caches

    reader = get_reader("semantic")
    persona = load_persona(
        "lena_antibiotics_cold"
    )  # a false belief in play: the belief memos fill too
    state = PersonState.initial(persona)
    text = "Antibiotics only work on bacteria; a cold is a virus, so they would not help her."
    first = reader.read([ReadRequest(text, persona, state)])[0].appraisal.to_dict()
    memos = [rule._READINGS, reader._cache, reader.beliefs._units, reader.beliefs._cache]
    assert all(len(memo) for memo in memos)
    assert lx.text_stems.cache_info().currsize and semantic.agrees_or_hedges.cache_info().currsize

    clear_text_caches()

    assert not any(len(memo) for memo in memos)
    assert not lx.text_stems.cache_info().currsize
    assert not semantic.agrees_or_hedges.cache_info().currsize
    assert reader.read([ReadRequest(text, persona, state)])[0].appraisal.to_dict() == first


def test_a_per_word_memo_is_not_a_per_text_memo():
    from empathy_gym.text.cache import clear_text_caches

    words = LRUCache(4)
    words["virus"] = 1
    texts = LRUCache(4, per_text=True)
    texts["a whole message"] = 2
    clear_text_caches()
    assert "virus" in words and "a whole message" not in texts


def test_the_strengths_stored_with_a_batch_are_strength_of_each_probability():
    shared = get_reader("semantic")
    reader = semantic.SemanticReader(shared.encoder, shared.head, shared.beliefs)  # fresh memos
    texts = [f"{t} ({i})" for i, t in enumerate(TEXTS)] + ["   "]
    probabilities = reader.act_probabilities(texts)
    for text, probs in zip(texts[:-1], probabilities):
        stored = reader._strengths.get(text)
        assert stored == {label: semantic.strength(p) for label, p in probs.items()}
    assert set(probabilities[-1].values()) == {0.0}  # blank: no act, and nothing stored
    assert reader._strengths.get("   ") is None

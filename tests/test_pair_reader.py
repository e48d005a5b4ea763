"""The pair reader: the cross-encoder's reading of (what the person said, reply) over the fast one."""

import numpy as np
import pytest

from empathy_gym.personas.loader import load_library
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.readers import ReadRequest, get_reader
from empathy_gym.simulator.readers.pair import (
    PAIR_ACTS,
    PairModel,
    beliefs_in_context,
    overlay_pair,
    person_said,
)
from empathy_gym.simulator.state import PersonState

LENA = load_library()["lena_antibiotics_cold"]


def probs(**present) -> dict[str, float]:
    return {act: present.get(act, 0.02) for act in PAIR_ACTS}


def test_an_offbase_reflection_is_read_as_a_miss_the_dynamics_charge():
    a = Appraisal(reflection=0.9, reflection_accuracy=1.0)
    overlay_pair(a, probs(reflection_offbase=0.95, reflection_accurate=0.05), [])
    assert a.reflection >= 0.5
    assert a.reflection_accuracy < 0.1
    assert a.wrong_feelings  # the dynamics charge a missed guess only with a wrong feeling named


def test_an_accurate_reflection_clears_a_wrong_feeling_the_lexicon_guessed():
    a = Appraisal(reflection=0.6, reflection_accuracy=0.0, wrong_feelings=["sadness"])
    overlay_pair(a, probs(reflection_accurate=0.97), [])
    assert a.reflection_accuracy > 0.9 and a.wrong_feelings == []


def test_owned_acts_replace_the_fast_reading_both_ways():
    a = Appraisal(criticism=1.0, validation=0.0)
    overlay_pair(a, probs(validation=0.96), [])
    assert a.criticism == 0.0 and a.validation >= 0.9


def test_a_sure_correction_overrules_the_fast_reading_on_the_beliefs_in_play_only():
    a = Appraisal(endorsements={"antibiotics_for_colds": 1.0, "other": 0.7})
    overlay_pair(a, probs(correction=0.97), ["antibiotics_for_colds"])
    assert a.corrections == {"antibiotics_for_colds": pytest.approx(1.0)}
    assert a.endorsements == {"other": 0.7}


def test_an_unsure_pair_reading_leaves_the_fast_belief_reading_standing():
    a = Appraisal(corrections={"antibiotics_for_colds": 0.8})
    overlay_pair(a, probs(endorsement=0.7), ["antibiotics_for_colds"])  # below BELIEF_OVERRULE
    assert a.corrections == {"antibiotics_for_colds": 0.8} and not a.endorsements


def test_the_belief_in_play_is_the_one_the_person_voiced_or_whose_topic_they_raised():
    state = PersonState.initial(LENA)
    voiced = f"{LENA.opening[0]} {LENA.beliefs[0].voiced_as[0]}"
    request = ReadRequest("x", LENA, state, [{"role": "user", "content": voiced}])
    assert person_said(request) == voiced
    assert beliefs_in_context(request, voiced) == ["antibiotics_for_colds"]
    assert beliefs_in_context(request, "I have barely slept.") == []


def test_batched_and_single_reads_agree_and_repeat_exactly():
    model = PairModel()
    pairs = [(LENA.opening[0], "What's scaring you most?"), (LENA.opening[1], "ok")]
    batch = model.probabilities(pairs)
    model.clear_cache()
    single = np.vstack([model.probabilities([p]) for p in pairs])
    assert batch.shape == (2, len(PAIR_ACTS))
    np.testing.assert_allclose(batch, single, atol=1e-5)
    assert ((batch >= 0) & (batch <= 1)).all()


def test_a_missing_model_dir_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_pair_reader"):
        PairModel(tmp_path)


def test_the_pair_reader_is_registered_and_reads_like_the_contract():
    reader = get_reader("pair")
    state = PersonState.initial(LENA)
    history = [{"role": "user", "content": LENA.opening[0]}]
    (reading,) = reader.read([ReadRequest("", LENA, state, history)])
    assert reading.appraisal.silence == 1.0  # the fast reader's contract holds underneath


def test_a_batch_larger_than_the_cache_is_read_whole(monkeypatch):
    from empathy_gym.simulator.readers import pair

    monkeypatch.setattr(pair, "CACHE_SIZE", 2)
    model = PairModel()
    pairs = [(LENA.opening[0], f"reply number {i}") for i in range(5)]
    rows = model.probabilities(pairs)
    assert rows.shape == (5, len(PAIR_ACTS))


def test_a_batch_read_on_several_threads_is_bit_for_bit_the_one_thread_read():
    import threading

    one = PairModel()
    two = PairModel(threads=2)
    ran_on: set[int] = set()
    infer = two._infer

    def recording(feed):
        ran_on.add(threading.get_ident())
        return infer(feed)

    two._infer = recording
    pairs = [(LENA.opening[i % 2], f"What has tonight been like for you? ({i})") for i in range(12)]
    assert np.array_equal(two.probabilities(pairs), one.probabilities(pairs))
    assert len(ran_on) == 2 and threading.get_ident() not in ran_on  # the pool's two threads


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_a_thread_count_that_is_not_a_positive_int_is_refused(threads):
    with pytest.raises(ValueError, match=r"pair reader threads: expected a positive int, got"):
        PairModel(threads=threads)


def test_get_reader_builds_a_pair_reader_with_threads_apart_from_the_shared_one():
    reader = get_reader("pair", threads=2)
    assert reader is not get_reader("pair") and reader.model.threads == 2
    assert get_reader("pair").model.threads == 1

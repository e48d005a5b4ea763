"""Issue 20, points 1 and 3: relief the size real relief is, and one move repeated wears.

- per-turn relief is bounded by what real sessions show: no built-in agent moves any starter
  persona's distress more in three turns than ESConv train's sessions do;
- the fit script's pieces (KS, the 1-5 report, the dynamics-only rerun) are right;
- validate's partial Spearman equals a direct residual computation;
- a repeated move gives less each time, and a deep concern needs an invitation.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from empathy_gym import EmpathyDialogueEnv
from empathy_gym.agents.baselines import BASELINES, make_agent
from empathy_gym.agents.exploits import EXPLOITS
from empathy_gym.eval.esconv import parse_dialogue
from empathy_gym.eval.validate import partial_spearman
from empathy_gym.personas.from_situation import distress_from_intensity
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.dynamics import main_move, update
from empathy_gym.simulator.params import DEFAULT_DYNAMICS, DynamicsParams
from empathy_gym.simulator.state import PersonState

ROOT = Path(__file__).resolve().parent.parent

# ESConv train (800 sessions with both intensities): the 99th percentile of reported relief
# per supporter turn ((initial - final intensity) / 5 / supporter turns) is 0.080, as
# `python scripts/fit_dynamics.py` prints. Three turns may relieve at most three times that.
P99_RELIEF_PER_TURN = 0.080
TURNS = 3


def _fit_module():
    spec = importlib.util.spec_from_file_location(
        "fit_dynamics", ROOT / "scripts" / "fit_dynamics.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fit_dynamics", module)
    spec.loader.exec_module(module)
    return module


fit = _fit_module()


@pytest.mark.parametrize("agent_name", sorted({**BASELINES, **EXPLOITS}))
def test_no_agent_relieves_faster_than_real_sessions(personas, agent_name):
    """Distress after three turns stays above start - 3 x ESConv train's P99 relief per turn."""
    for persona in personas:
        env = EmpathyDialogueEnv(persona=persona, max_turns=TURNS + 1)
        agent = make_agent(agent_name, seed=0)
        observation, info = env.reset(seed=0)
        start = info["hidden_state"]["distress"]
        for _ in range(TURNS):
            observation, _, done, _, info = env.step(agent.act(observation, info["messages"]))
            if done:
                break
        bound = start - TURNS * P99_RELIEF_PER_TURN
        assert info["hidden_state"]["distress"] >= bound - 1e-9, (agent_name, persona.id)


def test_curious_empath_does_not_cure_lena_in_three_replies(lena):
    """The issue's case: a caring agent took Lena from 0.80 to 0.00 in three replies."""
    env = EmpathyDialogueEnv(persona=lena)
    agent = make_agent("CuriousEmpath", seed=0)
    observation, info = env.reset(seed=0)
    for _ in range(TURNS):
        observation, _, _, _, info = env.step(agent.act(observation, info["messages"]))
    assert info["hidden_state"]["distress"] >= lena.initial_distress - TURNS * 0.08 - 1e-9


def test_ks_statistic_and_reported_intensity():
    assert fit.ks_statistic(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0.0
    assert fit.ks_statistic(np.array([0.0, 0.0]), np.array([1.0, 1.0])) == 1.0
    assert fit.ks_statistic(np.array([0.0, 1.0, 2.0, 3.0]), np.array([2.0, 3.0])) == 0.5
    levels = [distress_from_intensity(i) for i in range(1, 6)]
    assert fit.reported_intensity(np.array(levels)).tolist() == [1, 2, 3, 4, 5]
    assert fit.reported_intensity(np.array([0.0, 1.0, 0.44, 0.46])).tolist() == [1, 5, 2, 3]


def _dialogue(number: int, intensity: int) -> dict:
    """A small invented session (no corpus text)."""
    lines = [
        ("seeker", "I failed my driving test again and I feel stupid."),
        ("supporter", "That sounds really frustrating. What happened on the test?"),
        ("seeker", "I froze at the roundabout, same as last time."),
        ("supporter", "Freezing at the same roundabout twice must feel so discouraging."),
        ("seeker", "It does. Everyone else passed first time."),
        ("supporter", "Many people need a few tries. Maybe a lesson just on roundabouts?"),
    ]
    return {
        "id": f"fixture-{number}",
        "split": "train",
        "emotion_type": "shame",
        "problem_type": "driving test",
        "situation": "I failed my driving test for the second time.",
        "initial_intensity": intensity,
        "final_intensity": 2,
        "empathy": None,
        "relevance": None,
        "turns": [
            {"speaker": s, "text": t, **({"strategy": "Others"} if s == "supporter" else {})}
            for s, t in lines
        ],
    }


def test_dynamics_rerun_matches_a_full_replay():
    """The fit's shortcut (read once, rerun the dynamics) equals a full replay here."""
    sessions = [parse_dialogue(_dialogue(n, i)) for n, i in enumerate((3, 4, 5))]
    kwargs = {"reader": "semantic"}
    params = DynamicsParams.from_overrides({"understanding_rate": 4.0, "relief_rate": 1.5})
    start, full_end, personas, _ = fit.replay_full(sessions, kwargs, params)
    _, _, _, readings = fit.replay_full(sessions, kwargs, DEFAULT_DYNAMICS)
    rerun_end = fit.rerun_dynamics(personas, readings, params)
    np.testing.assert_allclose(rerun_end, full_end, atol=1e-12)
    assert (start > full_end).all()  # listening relieves


def _residual_partial(x, y, z) -> float:
    """Partial Spearman the direct way: ranks, residuals of x and y on z, their correlation."""
    rx, ry, rz = (np.argsort(np.argsort(v)).astype(float) for v in (x, y, z))  # no ties here
    design = np.column_stack([np.ones_like(rz), rz])
    res_x = rx - design @ np.linalg.lstsq(design, rx, rcond=None)[0]
    res_y = ry - design @ np.linalg.lstsq(design, ry, rcond=None)[0]
    return float(np.corrcoef(res_x, res_y)[0, 1])


def test_partial_spearman_matches_a_residual_computation():
    rng = np.random.default_rng(0)
    z = rng.normal(size=200)
    x = z + rng.normal(size=200)
    y = 0.5 * z + 0.3 * x + rng.normal(size=200)
    assert partial_spearman(x, y, z) == pytest.approx(_residual_partial(x, y, z), abs=1e-9)
    # y driven by z alone: large plain Spearman, partial near 0.
    y_z = z + 0.1 * rng.normal(size=200)
    assert partial_spearman(x, y_z, z) == pytest.approx(_residual_partial(x, y_z, z), abs=1e-9)
    assert abs(partial_spearman(x, y_z, z)) < 0.15
    # The turn index's own floor: z against itself is 0 by construction.
    assert partial_spearman(z, y, z) == 0.0
    with pytest.raises(ValueError, match="lengths differ"):
        partial_spearman([1, 2, 3], [1, 2], [1, 2, 3])


def _understood_gains(persona, appraisals, overrides=None):
    """Per turn: the understanding gain, and the gain the same state would get with no move wear."""
    params = DynamicsParams.from_overrides(overrides or {})
    unworn = DynamicsParams.from_overrides({**(overrides or {}), "move_wear": 1.0})
    state = PersonState.initial(persona, params)
    gains, ratios = [], []
    for a in appraisals:
        twin = copy.deepcopy(state)
        before = state.understood
        update(state, copy.deepcopy(a), persona, params)
        update(twin, copy.deepcopy(a), persona, unworn)
        gains.append(state.understood - before)
        ratios.append(gains[-1] / (twin.understood - before))
    return gains, ratios


def _act(name: str) -> Appraisal:
    """One act at full strength, specific and elaborated: the same acts' total each turn."""
    return Appraisal(specificity=0.5, words=25, **{name: 1.0})


# A slower understanding rate keeps `understood` off its ceiling over six turns, so that the
# gains compared are the mechanism's, not the clamp's.
UNSATURATED = {"understanding_rate": 1.0}


def test_a_repeated_move_gives_less_each_time(lena):
    restate = Appraisal(reflection=1.0, reflection_accuracy=1.0, specificity=0.5, words=25)
    assert main_move(restate) == "restatement"
    gains, ratios = _understood_gains(lena, [restate] * 6, UNSATURATED)
    lp = DEFAULT_DYNAMICS.listening
    free = lp.move_free_uses + 1  # the first use and the free repeats wear nothing
    assert ratios[:free] == pytest.approx([1.0] * free)
    worn = ratios[free : lp.move_window + 1]
    assert all(b < a for a, b in zip(worn, worn[1:])) and worn[0] < 1.0, ratios
    assert all(b < a for a, b in zip(gains[1:], gains[2:])), gains  # turn over turn
    varied = [_act(name) for name in ("question", "validation", "self_disclosure")] * 2
    assert [main_move(a) for a in varied[:3]] == ["question", "affirmation", "self_disclosure"]
    _, varied_ratios = _understood_gains(lena, varied, UNSATURATED)
    assert varied_ratios == pytest.approx([1.0] * len(varied))
    # The same acts repeated instead of varied: worn by the fourth turn.
    _, repeated_ratios = _understood_gains(lena, [_act("question")] * 6, UNSATURATED)
    assert repeated_ratios[-1] < varied_ratios[-1] * lp.move_wear


def test_deep_concern_needs_an_invitation(personas):
    deep_trust = DEFAULT_DYNAMICS.trust.deep_concern_trust
    checked = 0
    for persona in personas:
        deep = [c for c in persona.concerns if c.trust_needed >= deep_trust]
        if not deep:
            continue
        deepest = max(persona.concerns, key=lambda c: c.trust_needed)
        state = PersonState.initial(persona)
        state.trust = 1.0
        for _ in range(2 * len(persona.concerns) + 2):
            update(state, Appraisal(question=1.0, specificity=0.5, words=20), persona)
        assert deepest.id not in state.disclosed, persona.id
        assert all(c.id not in state.disclosed for c in deep), persona.id
        invite = Appraisal(question=1.0, specificity=0.5, words=20, concerns_invited=[deepest.id])
        update(state, invite, persona)
        assert deepest.id in state.disclosed, persona.id
        checked += 1
    assert checked >= 3  # enough starters carry a deep concern for this to mean something

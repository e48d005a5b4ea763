"""`empathy_gym.judge`: the person as a reward function, equal to the env's step; and its TRL reward."""

import pytest

import empathy_gym
from empathy_gym import EmpathyDialogueEnv, PersonaError, judge
from empathy_gym.agents.baselines import make_agent
from empathy_gym.eval.judging import check_history, replay_history
from empathy_gym.eval.trl_reward import JudgeReward, completion_text, judge_dataset
from empathy_gym.personas.loader import LIBRARY_DIR
from empathy_gym.simulator.voice import normalise
from empathy_gym.text.lexicon import text_stems

LENA = "lena_antibiotics_cold"
TOM = "tom_dog_died"
REPLY = "That sounds so worrying. What are you most afraid might happen?"


def play(persona: str, seed: int, turns: int, agent: str = "CuriousEmpath"):
    """An env episode of `turns` agent messages; the last step's outputs and the chat."""
    env = EmpathyDialogueEnv(persona=persona)
    policy = make_agent(agent, seed=seed)
    policy.reset(seed)
    observation, info = env.reset(seed=seed)
    for _ in range(turns):
        action = policy.act(observation, info["messages"])
        observation, reward, terminated, truncated, info = env.step(action)
    return observation, reward, terminated or truncated, info


def test_is_exported():
    assert empathy_gym.judge is judge and "judge" in empathy_gym.__all__
    assert "Judgement" in empathy_gym.__all__


@pytest.mark.parametrize("persona", [LENA, TOM, "maria_lost_mother"])
@pytest.mark.parametrize("seed", [0, 7])
def test_first_step_equals_the_env(persona, seed):
    env = EmpathyDialogueEnv(persona=persona)
    _, info = env.reset(seed=seed)
    observation, reward, _, _, after = env.step(REPLY)
    result = judge(persona, info["messages"], REPLY, seed=seed)
    assert result.reward == reward
    assert result.components == after["reward_components"]
    assert result.appraisal == after["appraisal"]
    assert result.state == after["hidden_state"]
    assert result.person_reply == observation["message"]


@pytest.mark.parametrize("persona", [LENA, TOM])
@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("agent", ["CuriousEmpath", "Sycophant"])
def test_last_step_of_an_episode_equals_the_env(persona, seed, agent):
    observation, reward, over, info = play(persona, seed, turns=5, agent=agent)
    history, reply = info["messages"][:-2], info["messages"][-2]["content"]
    result = judge(persona, history, reply, seed=seed)
    assert result.reward == reward
    assert result.components == info["reward_components"]
    assert result.state == info["hidden_state"]
    assert result.person_reply == observation["message"]
    assert result.episode_over == over


@pytest.mark.parametrize(
    "settings", [{"reader": "rule"}, {"dynamics": {"trust_gain": 0.3}}, {"target": "comfort"}]
)
def test_the_envs_arguments_are_passed_through(settings):
    reply = "That must be really tough on you."  # the rule and semantic readers differ on it
    env = EmpathyDialogueEnv(persona=LENA, **settings)
    _, info = env.reset(seed=2)
    _, reward, _, _, after = env.step(reply)
    result = judge(LENA, info["messages"], reply, seed=2, **settings)
    assert (result.reward, result.components) == (reward, after["reward_components"])
    assert result != judge(LENA, info["messages"], reply, seed=2)  # the setting matters


def test_same_seed_same_result_and_the_seed_moves_the_voice():
    history = [{"role": "user", "content": "My dog died on Saturday and I can't stop crying."}]
    first, again = judge(TOM, history, REPLY, seed=5), judge(TOM, history, REPLY, seed=5)
    assert first == again
    replies = {judge(TOM, history, REPLY, seed=s).person_reply for s in range(6)}
    assert len(replies) > 1  # the seed chooses the voice's lines


def test_the_target_weighs_the_same_components():
    history = [{"role": "user", "content": "My daughter has a cold and the GP won't help."}]
    genuine = judge(LENA, history, REPLY)
    comfort = judge(LENA, history, REPLY, target="comfort")
    assert genuine.components == comfort.components
    assert comfort.reward == comfort.components["expressed_delta"]
    assert genuine.reward != comfort.reward


def test_a_persona_is_an_id_a_yaml_path_or_a_persona():
    history = [{"role": "user", "content": "My daughter has a cold and I'm scared."}]
    path = next(LIBRARY_DIR.rglob(f"{LENA}.yaml"))
    by_id = judge(LENA, history, REPLY)
    assert judge(str(path), history, REPLY) == by_id
    assert judge(empathy_gym.load_persona(LENA), history, REPLY) == by_id


def test_the_persons_own_words_are_what_they_said():
    """A line the simulator would not have written is remembered as given: a bare "you're right"
    endorses the false belief only where the person's given words voiced it."""
    lena = empathy_gym.load_persona(LENA)
    quiet = "My little girl has been poorly all week and I am exhausted."
    voiced = f"My little girl has been poorly all week. {lena.beliefs[0].voiced_as[0]}"
    for reply in ("You're right.", "Yes, exactly."):
        plain = judge(lena, [{"role": "user", "content": quiet}], reply)
        assert plain.components["false_belief_endorsement"] == 0.0
        assert (
            judge(lena, [{"role": "user", "content": voiced}], reply).components[
                "false_belief_endorsement"
            ]
            < 0.0
        )


def test_a_line_from_elsewhere_replaces_the_simulators_in_the_persons_memory():
    _, _, _, info = play(LENA, seed=1, turns=3)
    history = [dict(m) for m in info["messages"]]
    simulated = history[2]["content"]
    history[2]["content"] = (
        "Maybe. I don't know what to think any more."  # not the simulator's line
    )
    env = EmpathyDialogueEnv(persona=LENA)
    replay_history(env, check_history(history), seed=1)
    state = env.simulator.state
    assert env.messages == history  # what an LLM reader is shown as the chat
    assert state.last_person_message == history[-1]["content"]
    assert {"maybe", "i don't know what to think any more"} <= state.said
    assert normalise(simulated) not in state.said
    assert not text_stems("pneumonia") & state.heard_stems  # said only in the replaced line


def test_an_empty_reply_is_silence():
    result = judge(TOM, [{"role": "user", "content": "My dog died."}], "")
    assert result.appraisal["silence"] == 1.0
    assert result.components["checklist/concise"] == -1.0


GOOD = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    "history, error, words",
    [
        ([], ValueError, "history is empty"),
        ("hello", TypeError, "history: expected a list"),
        ([{"role": "assistant", "content": "hi"}], ValueError, "history[0].role: expected 'user'"),
        (
            [{"role": "system", "content": "be kind"}],
            ValueError,
            "history[0].role: expected 'user'",
        ),
        (
            [*GOOD, {"role": "tool", "content": "x"}, *GOOD],
            ValueError,
            "history[1].role: expected 'user' (the person) or 'assistant' (the agent), got 'tool'",
        ),
        (
            [{"role": "user", "content": 3}],
            TypeError,
            "history[0].content: expected a string, got int",
        ),
        ([{"role": "user"}], TypeError, "history[0]: expected a mapping with 'role' and 'content'"),
        ([*GOOD, *GOOD], ValueError, "history[1].role: expected 'assistant' (the roles alternate)"),
        (
            [*GOOD, {"role": "assistant", "content": "ok"}],
            ValueError,
            "history[1] is the agent's ('assistant'); the reply answers the person",
        ),
        (
            [*GOOD, {"role": "assistant", "content": "x" * 4001}, *GOOD],
            ValueError,
            "history[1].content is 4001 characters long; the limit is 4000",
        ),
    ],
)
def test_a_malformed_history_is_named(history, error, words):
    with pytest.raises(error) as caught:
        judge(TOM, history, REPLY)
    assert words in str(caught.value)


def test_bad_personas_are_named():
    with pytest.raises(PersonaError, match="persona 'tom_dog_dyed': unknown persona id"):
        judge("tom_dog_dyed", GOOD, REPLY)
    with pytest.raises(PersonaError, match=r"names 12 personas; expected one"):
        judge("starter", GOOD, REPLY)


def test_bad_replies_and_seeds_are_named():
    with pytest.raises(TypeError, match="reply: expected a str"):
        judge(TOM, GOOD, None)
    with pytest.raises(ValueError, match="reply is 4001 characters long"):
        judge(TOM, GOOD, "x" * 4001)
    with pytest.raises(TypeError, match="seed: expected an int"):
        judge(TOM, GOOD, REPLY, seed="1")


def test_a_history_past_the_end_of_the_episode_is_an_error():
    history = [*GOOD, {"role": "assistant", "content": REPLY}, *GOOD]
    with pytest.raises(ValueError, match=r"history\[1\]: the episode ends .*max_turns=1"):
        judge(TOM, history, REPLY, max_turns=1)
    assert judge(TOM, history, REPLY, max_turns=2).episode_over


# --- the TRL reward function ---------------------------------------------------------------

HISTORY_TOM = [{"role": "user", "content": "My dog died on Saturday and I can't stop crying."}]
HISTORY_LENA = [
    {"role": "user", "content": "The GP won't give my daughter antibiotics for her cold."},
    {"role": "assistant", "content": "That sounds frustrating. What worries you?"},
    {"role": "user", "content": "That it turns into something serious."},
]


def test_the_reward_function_is_judge_per_completion():
    replies = [REPLY, "Cheer up, it could be worse.", "Colds are viral; antibiotics don't help."]
    personas, histories = [TOM, LENA, LENA], [HISTORY_TOM, HISTORY_LENA, HISTORY_LENA]
    reward = JudgeReward("genuine", seed=2)
    logged = {}
    as_text = reward(
        prompts=["p"] * 3,
        completions=replies,
        persona=personas,
        history=histories,
        completion_ids=[[1]] * 3,
        trainer_state=None,
        log_metric=logged.__setitem__,
    )
    expected = [judge(p, h, r, seed=2).reward for p, h, r in zip(personas, histories, replies)]
    assert as_text == expected and len(set(expected)) == 3
    chats = [[{"role": "assistant", "content": r}] for r in replies]
    assert (
        reward(prompts=[[]] * 3, completions=chats, persona=personas, history=histories) == expected
    )
    assert set(logged) == {f"judge/{name}" for name in reward.target.weights}
    assert reward.__name__ == "judge_genuine"


def test_a_seed_column_chooses_the_seed():
    reward = JudgeReward()
    got = reward(["p"], [REPLY], persona=[TOM], history=[HISTORY_TOM], seed=[4])
    assert got == [judge(TOM, HISTORY_TOM, REPLY, seed=4).reward]


def test_the_reward_function_names_what_is_wrong():
    reward = JudgeReward()
    with pytest.raises(
        ValueError, match="needs a 'history' column.*given these columns: \\['persona'\\]"
    ):
        reward(["p"], [REPLY], persona=[TOM], trainer_state=None)
    with pytest.raises(ValueError, match="completion 0 \\(persona 'nobody'\\): persona 'nobody'"):
        reward(["p"], [REPLY], persona=["nobody"], history=[HISTORY_TOM])
    with pytest.raises(ValueError, match=r"completion 0 .*history\[0\].role"):
        reward(["p"], [REPLY], persona=[TOM], history=[[{"role": "assistant", "content": "x"}]])
    with pytest.raises(ValueError, match=r"completions\[1\]\[-1\].role: expected 'assistant'"):
        completion_text([{"role": "user", "content": "x"}], 1)
    with pytest.raises(TypeError, match=r"completions\[0\]: expected a string"):
        completion_text(None, 0)
    with pytest.raises(ValueError, match="unknown reward target"):
        JudgeReward("kindness")


def test_long_completions_are_cut_to_the_reply_limit():
    reward = JudgeReward(max_reply_chars=20)
    long = REPLY * 10
    assert reward(["p"], [long], persona=[TOM], history=[HISTORY_TOM]) == [
        judge(TOM, HISTORY_TOM, long[:20]).reward
    ]


def test_judge_dataset_checks_its_rows():
    rows = [{"persona": TOM, "history": HISTORY_TOM, "prompt": "hi"}]
    assert judge_dataset(rows)[0]["history"] == HISTORY_TOM
    with pytest.raises(ValueError, match=r"rows\[0\]: missing 'prompt'"):
        judge_dataset([{"persona": TOM, "history": HISTORY_TOM}])
    with pytest.raises(ValueError, match=r"rows\[0\]: history\[0\].role"):
        judge_dataset(
            [{"persona": TOM, "history": [{"role": "assistant", "content": "x"}], "prompt": "p"}]
        )


@pytest.mark.slow
def test_inside_a_real_grpo_trainer(tmp_path):
    """One GRPO step on a tiny local Llama: TRL calls the reward with the dataset's columns."""
    torch = pytest.importorskip("torch")
    trl = pytest.importorskip("trl")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from empathy_gym.testing.tiny_model import build_tiny_llama

    path = build_tiny_llama(tmp_path / "tiny")
    tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    calls = []

    class Recording(JudgeReward):
        def __call__(self, prompts, completions, **kwargs):
            rewards = super().__call__(prompts, completions, **kwargs)
            calls.append((completions, kwargs["persona"], kwargs["history"], rewards))
            return rewards

    rows = [
        {
            "persona": persona,
            "history": history,
            "prompt": [{"role": "system", "content": "Be kind."}, *history],
        }
        for persona, history in [(TOM, HISTORY_TOM), (LENA, HISTORY_LENA)]
    ]
    config = trl.GRPOConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=1,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=12,
        report_to=[],
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        beta=0.0,
        logging_steps=1,
    )
    trainer = trl.GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        args=config,
        reward_funcs=Recording(),
        train_dataset=judge_dataset(rows),
    )
    trainer.train()
    assert calls
    for completions, personas, histories, rewards in calls:
        assert all(isinstance(c, list) and c[-1]["role"] == "assistant" for c in completions)
        expected = [
            judge(p, h, c[-1]["content"]).reward
            for p, h, c in zip(personas, histories, completions)
        ]
        assert rewards == expected
    logs = [log for log in trainer.state.log_history if "reward" in log]
    assert logs and "judge/understood_delta" in " ".join(logs[0])

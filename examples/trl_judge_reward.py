"""GRPO (TRL) on single-turn prompts, with the simulated person as the reward function.

Run:  python examples/trl_judge_reward.py [--short] [--model PATH_OR_ID] [--steps 2] [--target genuine]

Each dataset row is one moment of a conversation: a persona id, the `history` so far
(OpenAI-style messages, the person's first and last) and the `prompt` the policy sees
(a system line with the persona's public card, then the history). The policy writes one
reply per completion; `JudgeReward` (empathy_gym/eval/trl_reward.py) asks
`empathy_gym.judge` how that person, after that history, takes the reply, and returns the
target's reward for it. TRL's `GRPOTrainer` does the rest (group-relative advantages
over `num_generations` replies to the same row). Without --model the policy is a tiny
random Llama built here, offline, so the numbers say only that the machinery works.

Expected: one line per step (2 by default) with the mean judged reward and its spread;
then "Expected holds: ..." after checking a finite loss, a non-zero reward spread within
groups, moved policy weights, and that every reward the trainer used equals
`empathy_gym.judge` on that completion. --short uses 2 personas and shorter completions.
"""

import argparse
import math
import os
import tempfile

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import GRPOConfig, GRPOTrainer

from empathy_gym import EmpathyDialogueEnv, judge
from empathy_gym.agents.baselines import make_agent
from empathy_gym.eval.trl_reward import JudgeReward, judge_dataset
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.train_grpo import SYSTEM_PROMPT

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
parser = argparse.ArgumentParser()
parser.add_argument("--short", action="store_true", help="2 personas, 12-token replies (CI)")
parser.add_argument(
    "--model", help="a causal LM path or id (default: a tiny random Llama built here)"
)
parser.add_argument("--steps", type=int, default=2)
parser.add_argument("--target", default="genuine")
parser.add_argument("--generations", type=int, default=4)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
work = tempfile.mkdtemp(prefix="trl-judge-")
if args.model:
    model_path = args.model
else:
    from empathy_gym.testing.tiny_model import build_tiny_llama

    model_path = str(build_tiny_llama(os.path.join(work, "tiny")))


def rows_for(persona: str, seed: int) -> list[dict]:
    """Two moments with `persona`: its opening, and the reply after one CuriousEmpath turn."""
    env, agent = EmpathyDialogueEnv(persona=persona), make_agent("CuriousEmpath", seed=seed)
    agent.reset(seed)
    observation, info = env.reset(seed=seed)
    system = {"role": "system", "content": SYSTEM_PROMPT.format(card=observation["persona_card"])}
    opening = info["messages"]
    _, _, _, _, info = env.step(agent.act(observation, opening))
    return [
        {"persona": persona, "seed": seed, "history": history, "prompt": [system, *history]}
        for history in (opening, info["messages"])
    ]


personas = ["tom_dog_died", "lena_antibiotics_cold"]
if not args.short:
    personas = [p.id for p in resolve_personas("starter")]
dataset = judge_dataset([row for p in personas for row in rows_for(p, args.seed)])


class CheckedReward(JudgeReward):
    """JudgeReward that keeps what it judged, so the example can check it afterwards."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.seen: list[tuple] = []

    def __call__(self, prompts, completions, **kwargs):
        rewards = super().__call__(prompts, completions, **kwargs)
        self.seen += zip(kwargs["persona"], kwargs["history"], kwargs["seed"], completions, rewards)
        return rewards


class PrintRewards(TrainerCallback):
    def on_log(self, _args, state, _control, logs=None, **kwargs):
        if logs and "reward" in logs:
            print(
                f"step {state.global_step}: mean judged reward {logs['reward']:+.3f} "
                f"(spread within groups {logs.get('reward_std', float('nan')):.3f}) "
                f"loss {logs.get('loss', float('nan')):.4f}"
            )


torch.manual_seed(args.seed)
tokenizer = AutoTokenizer.from_pretrained(model_path, padding_side="left")
model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
before = {name: p.detach().clone() for name, p in model.named_parameters()}
reward = CheckedReward(args.target)
config = GRPOConfig(
    output_dir=os.path.join(work, "out"),
    max_steps=args.steps,
    per_device_train_batch_size=args.generations,
    num_generations=args.generations,
    learning_rate=1e-3 if args.model is None else 1e-6,
    logging_steps=1,
    report_to=[],
    use_cpu=not torch.cuda.is_available(),
    bf16=False,
    max_completion_length=12 if args.short else 64,
    seed=args.seed,
    save_strategy="no",
    beta=0.0,
)
trainer = GRPOTrainer(
    model=model,
    processing_class=tokenizer,
    args=config,
    reward_funcs=reward,
    train_dataset=dataset,
    callbacks=[PrintRewards()],
)
trainer.train()

losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
spreads = [log.get("reward_std", 0.0) for log in trainer.state.log_history if "reward" in log]
changed = sum(not torch.equal(before[n], p.detach()) for n, p in trainer.model.named_parameters())
print(f"{len(reward.seen)} replies judged; loss {losses}; {changed} parameter tensors changed")
assert len(losses) == args.steps and all(math.isfinite(loss) for loss in losses), losses
assert max(spreads) > 0, "every reply in every group earned the same reward: no advantage"
assert changed > 0, "the policy's weights did not move"
for persona, history, seed, completion, got in reward.seen:
    assert got == judge(persona, history, completion[-1]["content"], args.target, seed).reward
print(
    f"Expected holds: {args.steps} steps, finite loss, non-zero advantages, weights moved, "
    "every reward equals empathy_gym.judge on its reply."
)

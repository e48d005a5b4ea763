"""GRPO (TRL) on whole EmpathyDialogue episodes: a causal LM learns from the env's reward.

Run:  python examples/trl_grpo.py [--short] [--model PATH_OR_ID] [--steps 50] [--target genuine]

Each training row is a (persona, seed); TRL's GRPOTrainer plays `num_generations` whole
episodes per row with the policy being trained (`empathy_gym.train_grpo.make_rollout_func`),
the person's turns masked out of the loss (`env_mask`), the episode return under the
target as the reward, and group-relative advantages. Without --model (and in --short,
which CI runs on CPU) the policy is a tiny random Llama built locally, so the numbers
say only that the machinery works: loss finite, advantages non-zero, weights moving.

Expected: one line per step with the mean episode return; --short asserts a finite loss,
a non-zero reward spread within groups, changed policy weights, and that every token
of every simulated-person turn is masked out of the loss.
"""

import argparse
import math
import os
import tempfile

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import GRPOConfig, GRPOTrainer

from empathy_gym.train_grpo import grpo_dataset, make_rollout_func, reward_funcs

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
parser = argparse.ArgumentParser()
parser.add_argument("--short", action="store_true", help="2 steps on a tiny local Llama (CI)")
parser.add_argument(
    "--model", help="a causal LM path or id (default: a tiny random Llama built here)"
)
parser.add_argument("--steps", type=int, default=50)
parser.add_argument("--target", default="genuine")
parser.add_argument("--generations", type=int, default=4)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
steps = 2 if args.short else args.steps
work = tempfile.mkdtemp(prefix="trl-grpo-")
if args.model:
    model_path = args.model
else:
    from empathy_gym.testing.tiny_model import build_tiny_llama

    model_path = str(build_tiny_llama(os.path.join(work, "tiny")))

torch.manual_seed(args.seed)
tokenizer = AutoTokenizer.from_pretrained(model_path, padding_side="left")
model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
before = {name: p.detach().clone() for name, p in model.named_parameters()}

episodes = []
rollout = make_rollout_func(
    {"target": args.target, "max_turns": 2 if args.short else 6},
    max_new_tokens=16 if args.short else 96,
    on_episode=episodes.append,
)
config = GRPOConfig(
    output_dir=os.path.join(work, "out"),
    max_steps=steps,
    per_device_train_batch_size=args.generations,
    num_generations=args.generations,
    learning_rate=1e-3 if args.short else 1e-6,
    logging_steps=1,
    report_to=[],
    use_cpu=not torch.cuda.is_available(),
    bf16=False,
    max_completion_length=1024,
    seed=args.seed,
    save_strategy="no",
    beta=0.0,
)


class PrintReturns(TrainerCallback):
    def on_log(self, _args, state, _control, logs=None, **kwargs):
        if logs and "reward" in logs:
            print(
                f"step {state.global_step}: mean episode return {logs['reward']:+.3f} "
                f"(spread within groups {logs.get('reward_std', float('nan')):.3f}) "
                f"loss {logs.get('loss', float('nan')):.4f}"
            )


personas = ["tom_dog_died", "lena_antibiotics_cold"] if args.short else ["starter"]
if personas == ["starter"]:
    from empathy_gym.personas.sets import resolve_personas

    personas = [p.id for p in resolve_personas("starter")]
trainer = GRPOTrainer(
    model=model,
    processing_class=tokenizer,
    args=config,
    reward_funcs=reward_funcs(),
    train_dataset=grpo_dataset(personas, seeds=range(8)),
    rollout_func=rollout,
    callbacks=[PrintReturns()],
)
trainer.train()

losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
spreads = [log.get("reward_std", 0.0) for log in trainer.state.log_history if "reward" in log]
changed = sum(not torch.equal(before[n], p.detach()) for n, p in trainer.model.named_parameters())
print(
    f"{len(episodes)} episodes; loss {losses}; reward spread {spreads}; {changed} parameter tensors changed"
)
if args.short:
    assert losses and all(math.isfinite(loss) for loss in losses), losses
    assert max(spreads) > 0, "every rollout in every group earned the same return: no advantage"
    assert changed > 0, "the policy's weights did not move"
    for episode in episodes:  # every simulated-person token is masked; every policy token is not
        person_tokens = [t for t, m in zip(episode.completion_ids, episode.env_mask) if m == 0]
        policy_tokens = [t for t, m in zip(episode.completion_ids, episode.env_mask) if m == 1]
        assert len(policy_tokens) + len(person_tokens) == len(episode.completion_ids)
        for said in episode.person_turns:
            masked_text = tokenizer.decode(person_tokens)
            as_tokenised = tokenizer.decode(tokenizer.encode(said, add_special_tokens=False))
            assert said in masked_text or as_tokenised in masked_text, (said, masked_text)
    print("Expected holds: finite loss, non-zero advantages, weights moved, person turns masked.")

"""Collect GRPO-style groups: G rollouts per persona, an LLM policy against LLM simulated people.

Run:   python examples/grpo_groups.py [--short] [--out runs/grpo.jsonl]
       [--policy-model PATH] [--sim-base-url URL --sim-model NAME]

Both sides are LLMs behind the batched interface. By default (and in --short) they are
deterministic stand-ins so this runs anywhere: the policy is a ScriptedBackend that picks
one of several replies from the request's seed (so a group's rollouts differ), and the
people are played by `scripted_person_reply`. Point --policy-model at a local
transformers model, or --sim-base-url at `vllm serve`, for the real thing.

Every step makes ONE policy call and ONE simulator call for all P x G dialogues
(the vector env). Each record is one rollout: the chat, the return under `genuine`,
its reward components summed, and the group-normalised advantage
(return - group mean) / (group std + 1e-6), which is what TRL/verl/OpenRLHF GRPO consume.

Expected: P x G records; within every group the rollouts differ and the advantages are
not all zero (they sum to ~0); rollouts that explore and reflect get positive
advantages, the reassuring ones negative. `completion_mask` marks the policy's own turns
(the only ones to train on). The script asserts the first two.
"""

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from empathy_gym.agents.llm_policy import LLMPolicy
from empathy_gym.envs.vector import EmpathyDialogueVectorEnv
from empathy_gym.llm import ChatRequest, SamplingParams, ScriptedBackend
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.simulator.llm_person import scripted_person_reply

parser = argparse.ArgumentParser()
parser.add_argument("--short", action="store_true", help="2 personas x 4 rollouts x 3 turns")
parser.add_argument("--group-size", type=int, default=8)
parser.add_argument("--turns", type=int, default=6)
parser.add_argument("--out", default="runs/grpo_groups.jsonl")
parser.add_argument("--policy-model", help="a transformers model path or id for the policy")
parser.add_argument("--sim-base-url", help="an OpenAI-compatible server to play the people")
parser.add_argument("--sim-model", default="default")
args = parser.parse_args()

personas = resolve_personas("starter")[: 2 if args.short else 12]
group_size = 4 if args.short else args.group_size
turns = 3 if args.short else args.turns

STAND_IN_REPLIES = [
    "It sounds like this has been really painful. What has been the hardest part?",
    "That makes so much sense. Can you tell me more about what happened?",
    "Don't worry, everything will be okay.",
    "You should try to get some rest and think positive.",
]


def stand_in_policy(request: ChatRequest) -> str:
    """Samples a reply with the request's seed, as an LLM samples with it: seed in, reply out."""
    return STAND_IN_REPLIES[
        int(np.random.default_rng(request.params.seed).integers(len(STAND_IN_REPLIES)))
    ]


if args.policy_model:
    from empathy_gym.llm.transformers_backend import TransformersBackend

    policy_backend = TransformersBackend(args.policy_model)
else:
    policy_backend = ScriptedBackend(stand_in_policy)
if args.sim_base_url:
    from empathy_gym.llm.openai_compat import OpenAICompatibleBackend

    sim_backend = OpenAICompatibleBackend(base_url=args.sim_base_url, model=args.sim_model)
else:
    sim_backend = ScriptedBackend(scripted_person_reply)

policy = LLMPolicy(policy_backend, sampling=SamplingParams(max_tokens=120, temperature=0.8))
slots = [(p, g) for p in personas for g in range(group_size)]
env = EmpathyDialogueVectorEnv(
    len(slots),
    persona_per_env=[p for p, _ in slots],
    max_turns=turns,
    target="genuine",
    backend=sim_backend,
)

observations, infos = env.reset(seed=0)
sampling_seeds = np.random.default_rng(
    0
)  # every rollout, every turn: its own sampling seed, reproducibly
histories = list(infos["messages"])
returns = np.zeros(len(slots))
components = [defaultdict(float) for _ in slots]
done = np.zeros(len(slots), dtype=bool)
step = 0
while not done.all():
    obs_list = [
        {"message": m, "persona_card": c}
        for m, c in zip(observations["message"], observations["persona_card"])
    ]
    # Each rollout samples with its own seed, drawn from one seeded generator: a group's rollouts differ, reproducibly.
    replies = policy.act_batch(
        obs_list, histories, seeds=[int(s) for s in sampling_seeds.integers(2**31, size=len(slots))]
    )
    replies = [r if not d else "" for r, d in zip(replies, done)]
    observations, rewards, terminated, truncated, infos = env.step(replies)
    for i in np.flatnonzero(~done):
        returns[i] += rewards[i]
        for name, value in infos["reward_components"][i].items():
            components[i][name] += value
        histories[i] = infos["messages"][i]
    done |= terminated | truncated
    step += 1

records = []
by_group = defaultdict(list)
for i, (persona, _group_index) in enumerate(slots):
    by_group[persona.id].append(i)
for persona_id, members in by_group.items():
    group_returns = returns[members]
    advantages = (group_returns - group_returns.mean()) / (group_returns.std() + 1e-6)
    for i, advantage in zip(members, advantages):
        chat = histories[i]
        records.append(
            {
                "group": persona_id,
                "rollout": slots[i][1],
                "prompt": [
                    {
                        "role": "system",
                        "content": policy.system_prompt.format(card=slots[i][0].public_card_text()),
                    },
                    chat[0],
                ],
                "completion": chat[1:],
                # Train on the policy's own turns only: the simulated person's words are context, never targets.
                "completion_mask": [m["role"] == "assistant" for m in chat[1:]],
                "reward": float(returns[i]),
                "advantage": float(advantage),
                "reward_components": dict(components[i]),
            }
        )

out = Path(args.out)
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text("".join(json.dumps(r) + "\n" for r in records))
print(f"{len(records)} rollouts in {len(by_group)} groups of {group_size} -> {out}")
print(
    f"policy calls: {policy_backend.meter.calls} (one per step), simulator calls: {sim_backend.meter.calls}"
)
for persona_id in by_group:
    adv = [
        records[i]["advantage"] for i in range(len(records)) if records[i]["group"] == persona_id
    ]
    best = max((r for r in records if r["group"] == persona_id), key=lambda r: r["advantage"])
    print(
        f"{persona_id:<24} advantage sum {sum(adv):+.1e}  "
        f"best rollout opens: {best['completion'][0]['content'][:60]!r}"
    )

for persona_id in by_group:
    group = [r for r in records if r["group"] == persona_id]
    assert len({json.dumps(r["completion"]) for r in group}) > 1, (
        f"{persona_id}: every rollout in the group is the same"
    )
    assert any(abs(r["advantage"]) > 1e-3 for r in group), f"{persona_id}: every advantage is zero"
    assert all(
        m == (c["role"] == "assistant")
        for r in group
        for m, c in zip(r["completion_mask"], r["completion"])
    )
print("Expected holds: every group has different rollouts and non-zero advantages.")

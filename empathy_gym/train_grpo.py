"""TRL's GRPOTrainer through whole EmpathyDialogue episodes (`pip install -e '.[trl]'`).

    from empathy_gym.train_grpo import grpo_dataset, make_rollout_func, reward_funcs
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, args=GRPOConfig(...),
                          train_dataset=grpo_dataset(personas, seeds),
                          rollout_func=make_rollout_func(env_kwargs={"target": "genuine"}),
                          reward_funcs=reward_funcs())          # or reward_funcs(["understood_delta", ...])

Each dataset row names a persona and a seed. For each row, `rollout_func` plays
`trainer.num_generations` whole episodes (TRL repeats the row that often) with the policy
being trained: the policy writes
a reply (sampled with a seed drawn from the row's seed and the rollout's index, so a
group's rollouts differ and a rerun is the same), the env answers as the person, and so on
until the episode ends. The completion is the policy's replies and the person's turns in
the chat template; `env_mask` is 1 on the policy's tokens and 0 on every token of the
person's turns, so only the policy's own tokens are in the loss. The episode's return
under the env's target is the reward (`reward_funcs()`), or one reward per named component
(`reward_funcs(names)`, for TRL's multi-reward advantages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

SYSTEM_PROMPT = (
    "You are talking with someone who is going through something hard. Be curious, reflect what they "
    "feel, and be honest. What you know about them: {card}"
)


def grpo_dataset(personas: Sequence[str], seeds: Sequence[int]):
    """A `datasets.Dataset` with one row per (persona, seed): the `prompt` column holds the episode to play."""
    from datasets import Dataset

    return Dataset.from_list(
        [{"prompt": json.dumps({"persona": p, "seed": int(s)})} for p in personas for s in seeds]
    )


@dataclass(slots=True)
class Episode:
    """One rollout: the token ids and which of them the policy wrote."""

    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(
        default_factory=list
    )  # 1: the policy's token; 0: the simulated person's
    logprobs: list[float] = field(default_factory=list)
    env_return: float = 0.0
    components: dict[str, float] = field(default_factory=dict)
    replies: list[str] = field(default_factory=list)
    person_turns: list[str] = field(default_factory=list)


def _template(tokenizer, messages: list[dict[str, str]], generation_prompt: bool) -> list[int]:
    ids = tokenizer.apply_chat_template(
        messages, add_generation_prompt=generation_prompt, tokenize=True
    )
    return list(ids["input_ids"] if isinstance(ids, Mapping) else ids)


def play_episode(
    model,
    tokenizer,
    env,
    persona: str,
    seed: int,
    sampling_seed: int,
    max_new_tokens: int = 48,
    temperature: float = 1.0,
) -> Episode:
    """One whole episode with `model` as the agent; the person's turns are appended as masked tokens."""
    import torch

    observation, info = env.reset(seed=seed, options={"persona": persona})
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT.format(card=observation["persona_card"])},
        {"role": "user", "content": observation["message"]},
    ]
    episode = Episode(prompt_ids=_template(tokenizer, messages, True))
    turn_seeds = np.random.default_rng(sampling_seed)
    done = False
    while not done:
        context = torch.tensor([episode.prompt_ids + episode.completion_ids], device=model.device)
        # transformers samples from torch's global generator: seed it per turn inside a fork,
        # leaving the caller's state.
        with (
            torch.no_grad(),
            torch.random.fork_rng(devices=[] if model.device.type == "cpu" else [model.device]),
        ):
            torch.manual_seed(int(turn_seeds.integers(2**31)))
            out = model.generate(
                context,
                attention_mask=torch.ones_like(context),
                do_sample=True,
                temperature=temperature,
                top_k=0,
                max_new_tokens=max_new_tokens,
                return_dict_in_generate=True,
                output_scores=True,
                pad_token_id=tokenizer.pad_token_id,
            )
        new = out.sequences[0, context.shape[1] :].tolist()
        scores = torch.stack(out.scores[: len(new)], dim=0)[:, 0, :]
        chosen = torch.log_softmax(scores.float() / temperature, dim=-1)[
            torch.arange(len(new)), torch.tensor(new)
        ]
        reply = tokenizer.decode(new, skip_special_tokens=True).strip()
        episode.completion_ids += new
        episode.env_mask += [1] * len(new)
        episode.logprobs += chosen.tolist()
        episode.replies.append(reply)
        observation, reward, terminated, truncated, info = env.step(
            reply[: env.unwrapped.max_reply_chars]
        )
        episode.env_return += float(reward)
        for name, value in info["reward_components"].items():
            episode.components[name] = episode.components.get(name, 0.0) + float(value)
        done = terminated or truncated
        if not done:
            # The person's turn, as the chat template writes a user message, then the next assistant prompt.
            messages.append({"role": "assistant", "content": reply})
            before = _template(tokenizer, messages, False)
            messages.append({"role": "user", "content": observation["message"]})
            after = _template(tokenizer, messages, True)
            if after[: len(before)] != before:
                raise ValueError(
                    "the tokenizer's chat template does not extend a conversation by appending "
                    "(a user turn changed earlier tokens); play_episode needs one that does"
                )
            person = after[
                len(before) :
            ]  # the person's turn and the next assistant prompt, as the template writes them
            episode.completion_ids += person
            episode.env_mask += [0] * len(person)
            episode.logprobs += [0.0] * len(person)
            episode.person_turns.append(observation["message"])
    return episode


def make_rollout_func(
    env_kwargs: Mapping[str, Any] | None = None,
    max_new_tokens: int = 48,
    temperature: float = 1.0,
    on_episode: Callable[[Episode], None] | None = None,
):
    """A TRL `rollout_func`: `num_generations` whole episodes per dataset row (see the module docstring)."""
    import gymnasium as gym

    import empathy_gym  # noqa: F401  (registers the env)

    env = gym.make("EmpathyDialogue-v0", **dict(env_kwargs or {}))

    def rollout_func(prompts: list[Any], trainer) -> dict[str, list]:
        model = trainer.accelerator.unwrap_model(trainer.model)
        tokenizer = trainer.processing_class
        out: dict[str, list] = {
            "prompt_ids": [],
            "completion_ids": [],
            "logprobs": [],
            "env_mask": [],
            "env_return": [],
            "env_components": [],
        }
        was_training = model.training
        model.eval()
        seen: dict[str, int] = {}
        for (
            prompt
        ) in prompts:  # TRL's sampler repeats each row num_generations times: one episode per entry
            key = prompt if isinstance(prompt, str) else prompt[-1]["content"]
            spec = json.loads(key)
            occurrence = seen[key] = seen.get(key, -1) + 1  # the rollout's index within its group
            sampling_seed = np.random.default_rng(
                [spec["seed"], trainer.state.global_step, occurrence]
            ).integers(2**31)
            episode = play_episode(
                model,
                tokenizer,
                env,
                spec["persona"],
                spec["seed"],
                int(sampling_seed),
                max_new_tokens,
                temperature,
            )
            if on_episode is not None:
                on_episode(episode)
            out["prompt_ids"].append(episode.prompt_ids)
            out["completion_ids"].append(episode.completion_ids)
            out["logprobs"].append(episode.logprobs)
            out["env_mask"].append(episode.env_mask)
            out["env_return"].append(episode.env_return)
            out["env_components"].append(episode.components)
        if was_training:
            model.train()
        return out

    return rollout_func


def reward_funcs(components: Sequence[str] | None = None) -> list[Callable[..., list[float]]]:
    """The episode return under the env's target, or one reward function per named component."""
    if not components:

        def env_return(prompts, completions, env_return, **kwargs) -> list[float]:
            return [float(r) for r in env_return]

        return [env_return]
    funcs = []
    for name in components:

        def component(prompts, completions, env_components, _name=name, **kwargs) -> list[float]:
            return [float(c.get(_name, 0.0)) for c in env_components]

        component.__name__ = name.replace("/", "_")
        funcs.append(component)
    return funcs

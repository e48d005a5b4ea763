"""LLMPolicy: an LLM as the agent. Observations and the chat so far in, replies out, batched."""

from __future__ import annotations

from typing import Mapping, Sequence

from empathy_gym.llm.base import Backend, ChatRequest, SamplingParams

DEFAULT_SYSTEM_PROMPT = (
    "You are talking with someone who is going through something hard. Be curious about their "
    "experience, reflect what they feel accurately, validate what fits, and be honest when they "
    "hold a belief that is not true. Keep replies to 1-4 sentences.\n\nWhat you know about them: {card}"
)


class LLMPolicy:
    """Turns (observation, OpenAI-format history) into a reply through any backend.

    The env's history already has the person as "user" and the agent as "assistant",
    which is what a chat model expects; the public persona card goes in the system prompt.
    """

    name = "LLMPolicy"

    def __init__(
        self,
        backend: Backend,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        sampling: SamplingParams | None = None,
    ):
        self.backend = backend
        self.system_prompt = system_prompt
        self.sampling = sampling or SamplingParams(max_tokens=200, temperature=0.7)

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode: remember the seed for sampling."""
        self._seed = seed

    def request(
        self,
        observation: Mapping[str, str],
        messages: Sequence[Mapping[str, str]],
        tag: str = "",
        seed: int | None = None,
    ) -> ChatRequest:
        """Build the chat request for one turn: the system prompt with the public card, then the
        dialogue, sampled with `seed` when given.
        """
        system = {
            "role": "system",
            "content": self.system_prompt.format(card=observation["persona_card"]),
        }
        params = (
            self.sampling
            if seed is None
            else SamplingParams(**{**_as_dict(self.sampling), "seed": seed})
        )
        return ChatRequest.of([system, *messages], params=params, tag=tag)

    def act(self, observation: Mapping[str, str], messages: Sequence[Mapping[str, str]]) -> str:
        """Return the model's reply for one dialogue (a batch of one)."""
        return self.act_batch([observation], [messages])[0]

    def act_batch(
        self,
        observations: Sequence[Mapping[str, str]],
        histories: Sequence[Sequence[Mapping[str, str]]],
        seeds: Sequence[int | None] | None = None,
    ) -> list[str]:
        """One backend call for every dialogue; a failed request becomes silence (and is counted by the backend)."""
        seeds = seeds or [None] * len(observations)
        requests = [
            self.request(o, h, tag=str(i), seed=s)
            for i, (o, h, s) in enumerate(zip(observations, histories, seeds))
        ]
        by_tag = {r.tag: r for r in self.backend.generate(requests)}
        return [
            by_tag[str(i)].text.strip() if by_tag[str(i)].ok else "" for i in range(len(requests))
        ]


def _as_dict(params: SamplingParams) -> dict:
    return {name: getattr(params, name) for name in params.__dataclass_fields__}

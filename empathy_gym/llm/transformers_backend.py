"""Hugging Face transformers backend: batched generation with left padding, on CPU or GPU."""

from __future__ import annotations

import time
from typing import Any

from empathy_gym.llm.base import Backend, ChatRequest, ChatResult, Usage


class TransformersBackend(Backend):
    """Loads a causal LM and its tokenizer (a hub id or a local path) and generates in batches.

    Requests in one `generate` call that share sampling parameters run as one padded
    batch (left padding, so every prompt ends where generation starts). Greedy when
    temperature is 0; otherwise sampling seeded per call from `params.seed`.
    """

    name = "transformers"

    def __init__(
        self,
        model: str,
        device: str | None = None,
        dtype: str = "auto",
        max_batch_size: int = 64,
        trust_remote_code: bool = False,
        model_kwargs: dict[str, Any] | None = None,
    ):
        super().__init__()
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ImportError(
                "TransformersBackend needs torch and transformers: pip install 'empathy-gym[llm]'"
            ) from error
        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        torch_dtype = (
            getattr(torch, dtype)
            if dtype not in ("auto", None)
            else ("auto" if self.device != "cpu" else torch.float32)
        )
        self.tokenizer = AutoTokenizer.from_pretrained(model, trust_remote_code=trust_remote_code)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(
            model, dtype=torch_dtype, trust_remote_code=trust_remote_code, **(model_kwargs or {})
        ).to(self.device)
        self.model.eval()
        self.max_batch_size = max_batch_size

    def _prompt(self, request: ChatRequest) -> str:
        messages = list(request.messages)
        if request.json_schema is not None:
            messages = messages + [
                {"role": "system", "content": "Answer with one JSON object only."}
            ]
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
        return "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in messages) + "<|assistant|>\n"

    def _generate(self, requests: list[ChatRequest]) -> list[ChatResult]:
        results: list[ChatResult | None] = [None] * len(requests)
        groups: dict[Any, list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(request.params, []).append(index)
        for params, indices in groups.items():
            for start in range(0, len(indices), self.max_batch_size):
                chunk = indices[start : start + self.max_batch_size]
                for index, result in zip(
                    chunk, self._generate_batch([requests[i] for i in chunk], params)
                ):
                    results[index] = result
        return [r for r in results if r is not None]

    def _generate_batch(self, requests: list[ChatRequest], params) -> list[ChatResult]:
        torch = self.torch
        start = time.perf_counter()
        prompts = [self._prompt(r) for r in requests]
        batch = self.tokenizer(
            prompts, return_tensors="pt", padding=True, add_special_tokens=False
        ).to(self.device)
        sample = params.temperature > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_tokens,
            "do_sample": sample,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if sample:
            kwargs.update(temperature=params.temperature, top_p=params.top_p)
            if params.seed is not None:
                torch.manual_seed(params.seed)
        with torch.no_grad():
            output = self.model.generate(**batch, **kwargs)
        prompt_length = batch["input_ids"].shape[1]
        latency = time.perf_counter() - start
        results = []
        for row, request in enumerate(requests):
            new_tokens = output[row, prompt_length:]
            eos = self.tokenizer.eos_token_id
            finished = eos is not None and bool((new_tokens == eos).any())
            text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
            for stop in params.stop:
                text = text.split(stop, 1)[0]
            prompt_tokens = int(batch["attention_mask"][row].sum())
            completion_tokens = int((new_tokens != self.tokenizer.pad_token_id).sum())
            results.append(
                ChatResult(
                    text=text.strip(),
                    usage=Usage(prompt_tokens, completion_tokens),
                    latency_s=latency,
                    finish_reason="stop" if finished else "length",
                    tag=request.tag,
                )
            )
        return results

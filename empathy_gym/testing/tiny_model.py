"""Build a tiny random-weight Llama and a locally trained tokenizer: a real model with no hub.

Used by the tests and benchmarks to run `TransformersBackend` (and vLLM, where it
imports) end to end on CPU. head_dim is 32 (vLLM's CPU kernels need >= 32).
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
CORPUS = [
    "I hear you. That sounds really hard. What has been the hardest part?",
    "It makes sense that you feel this way. Tell me more about what happened.",
    "My mother died last month and I keep thinking about the hospital.",
    "Antibiotics do not work on viruses; colds are viral.",
    "I am so tired. Nobody notices how much I do at work.",
    '{"question": 1.0, "reflection": 0.5, "reply": "Thanks for asking."}',
    "<|system|> <|user|> <|assistant|> You are talking with someone.",
] * 20


def build_tiny_llama(path: str | Path, vocab_size: int = 512, seed: int = 0) -> Path:
    """Write a 2-layer random Llama and its BPE tokenizer to `path`; returns the path."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(path)

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=32,
        max_position_embeddings=8192,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        tie_word_embeddings=True,
        initializer_range=1.0,  # large random weights: varied, non-degenerate greedy output
    )
    LlamaForCausalLM(config).save_pretrained(path)
    return path

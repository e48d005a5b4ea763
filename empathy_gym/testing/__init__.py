"""Testing tools, not backends: real local stand-ins for what tests cannot reach.

- `fake_server`: an OpenAI-compatible HTTP server on 127.0.0.1 that answers as the
  simulated person (chat completions, JSON schema), for the openai backend's tests.
- `tiny_model`: builds a tiny random Llama with a local tokenizer, for the transformers
  and vLLM backends' loading code.
Nothing in the library imports these; they may import any layer.
"""

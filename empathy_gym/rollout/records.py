"""Episode records: one JSON line per episode, hidden state per turn, never half-written."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field

TAIL_BLOCK = (
    1 << 16
)  # bytes read per step when looking back for the last whole line (any size works)


class TurnRecord(BaseModel):
    """One turn of an episode: both messages, the reward and its components, the appraisal and the
    hidden state.
    """

    model_config = ConfigDict(extra="forbid")

    turn: int
    agent: str
    person: str
    reward: float
    reward_components: dict[str, float]
    appraisal: dict[str, Any]
    hidden_state: dict[str, Any]


class EpisodeRecord(BaseModel):
    """One whole episode as written to episodes.jsonl: who played whom with which seed, the turns and
    the returns.
    """

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
        """Append one record as one whole line.

        If the write stops part-way (a full disk, or Ctrl-C raised around it) the partial
        line is cut off again, so the file never holds a broken record followed by whole ones.
        """
        data = record.model_dump() if isinstance(record, BaseModel) else record
        line = (json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        written = 0
        try:
            written = os.write(self._fd, line)
        finally:
            if written != len(line):
                _truncate_partial_tail(self.path)
        if written != len(line):
            raise OSError(f"{self.path}: short write ({written} of {len(line)} bytes)")

    def close(self) -> None:
        """Flush the file to disk and close it."""
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _truncate_partial_tail(path: Path) -> None:
    """Cut a trailing partial line (no final newline) off `path`, reading back from the end."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as handle:
        end = handle.seek(0, os.SEEK_END)
        handle.seek(end - 1)
        if handle.read(1) == b"\n":
            return
        position = end
        while position > 0:
            start = max(0, position - TAIL_BLOCK)
            handle.seek(start)
            block = handle.read(position - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                handle.truncate(start + newline + 1)
                return
            position = start
        handle.truncate(0)


def read_records(path: str | Path) -> Iterator[EpisodeRecord]:
    """The whole records of a JSONL file, in order; a partial tail left by a crash is not one."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith("\n"):
                return  # a partial tail from a crash: not a record
            try:
                yield EpisodeRecord.model_validate_json(line)
            except ValueError as error:
                raise ValueError(f"{path}:{number}: not a valid episode record: {error}") from None


def unique_records(records: Iterable[EpisodeRecord], source: str | Path) -> list[EpisodeRecord]:
    """The first record of each episode key (`episode_id`).

    Duplicates (e.g. from an interrupted run repeated by an earlier release) are dropped with a
    warning on stderr naming `source`, how many there were and an example key.
    """
    kept: list[EpisodeRecord] = []
    seen: set[str] = set()
    duplicates: list[str] = []
    for record in records:
        if record.episode_id in seen:
            duplicates.append(record.episode_id)
            continue
        seen.add(record.episode_id)
        kept.append(record)
    if duplicates:
        print(
            f"empathy-gym: warning: {source} holds {len(duplicates)} duplicate episode "
            f"record(s) (e.g. {duplicates[0]!r}); using the first record of each episode",
            file=sys.stderr,
        )
    return kept


def read_unique_records(path: str | Path) -> list[EpisodeRecord]:
    """`read_records` without duplicate episode keys (warned about on stderr, see `unique_records`)."""
    return unique_records(read_records(path), path)


def write_records(path: str | Path, records: Iterable[EpisodeRecord]) -> None:
    """Append `records` to `path`, each as one whole line."""
    with RecordWriter(path) as writer:
        for record in records:
            writer.write(record)

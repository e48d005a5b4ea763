"""Phrase banks for the red team: the generic phrases a script's replies are made of."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

# The bundled bank of generic, person-independent support phrases (package data).
DEFAULT_BANK = Path(__file__).parent.parent / "data" / "redteam_phrases.txt"


def parse_bank(text: str, source: str = "<bank>") -> list[str]:
    """Phrases from bank text: one a line; blank lines and '#' comments ignored; duplicates dropped."""
    phrases: list[str] = []
    for line in text.splitlines():
        phrase = line.strip()
        if phrase and not phrase.startswith("#") and phrase not in phrases:
            phrases.append(phrase)
    if not phrases:
        raise ValueError(
            f"phrase bank {source} is empty: expected one phrase a line ('#' starts a comment)"
        )
    return phrases


def load_bank(path: str | os.PathLike | None = None) -> list[str]:
    """The phrases in a bank file (default: the bundled generic bank)."""
    path = Path(DEFAULT_BANK if path is None else path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"phrase bank {path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"phrase bank {path}: is a directory, expected a text file") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"phrase bank {path}: not UTF-8 text ({error})") from None
    return parse_bank(text, str(path))


def resolve_bank(bank: Sequence[str] | str | os.PathLike | None) -> list[str]:
    """A bank given as phrases, a file path, or None (the bundled bank): distinct phrases."""
    if bank is None or isinstance(bank, (str, os.PathLike)):
        return load_bank(bank)
    phrases = [p for p in dict.fromkeys(bank)]
    if not phrases:
        raise ValueError("phrase bank is empty: give at least one phrase")
    for phrase in phrases:
        if not isinstance(phrase, str):
            raise TypeError(f"phrase bank entries must be str, got {type(phrase).__name__}")
    return phrases

"""Load personas from YAML with errors that name the file, the field and what was expected."""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml
from pydantic import ValidationError

from empathy_gym.personas.schema import Persona

LIBRARY_DIR = Path(__file__).parent / "library"


class PersonaError(ValueError):
    """A persona file or id that cannot be used; the message says where and why."""


def _field_path(loc: Iterable[object]) -> str:
    return ".".join(str(part) for part in loc) or "<root>"


def format_validation_error(source: str, error: ValidationError) -> str:
    """Return a validation error as readable lines, one per field: where, what was wrong and what it
    got.
    """
    lines = [f"{source}: invalid persona ({error.error_count()} error(s))"]
    for item in error.errors():
        got = item.get("input")
        got_text = repr(got) if not isinstance(got, dict) else "a mapping"
        if len(got_text) > 80:
            got_text = got_text[:77] + "..."
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field (not in the persona schema)"
        elif item["type"] == "missing":
            got_text = "nothing"
        lines.append(f"  - {_field_path(item['loc'])}: {message}; got {got_text}")
    return "\n".join(lines)


PLACEHOLDER = "TODO"  # `personas new` marks every value a contributor must write with this


def _placeholders(data: object, path: tuple[object, ...] = ()) -> list[str]:
    """Field paths whose value still holds the template's TODO marker."""
    if isinstance(data, dict):
        return [p for key, value in data.items() for p in _placeholders(value, (*path, key))]
    if isinstance(data, list):
        return [p for i, value in enumerate(data) for p in _placeholders(value, (*path, i))]
    if isinstance(data, str) and PLACEHOLDER in data:
        return [_field_path(path)]
    return []


def parse_persona(data: object, source: str = "<data>") -> Persona:
    """Validate a mapping of persona fields and return the persona; raise PersonaError naming `source`
    if it is invalid.
    """
    if not isinstance(data, dict):
        raise PersonaError(
            f"{source}: expected a mapping of persona fields at the top level, got {type(data).__name__}"
        )
    unfilled = _placeholders(data)
    if unfilled:
        raise PersonaError(
            f"{source}: still the template: replace the {PLACEHOLDER} placeholder(s) in "
            + ", ".join(unfilled[:12])
            + (f" and {len(unfilled) - 12} more" if len(unfilled) > 12 else "")
        )
    try:
        return Persona.model_validate(data)
    except ValidationError as error:
        raise PersonaError(format_validation_error(source, error)) from None


def load_persona_file(path: str | Path) -> Persona:
    """Read and validate one persona YAML file; raise PersonaError naming the file if it cannot."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PersonaError(f"{path}: cannot read persona file ({error})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise PersonaError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_persona(data, str(path))


def _library_paths(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml") if p.is_file())


@lru_cache(maxsize=8)
def _load_directory(directory: str) -> dict[str, Persona]:
    personas: dict[str, Persona] = {}
    origin: dict[str, Path] = {}
    for path in _library_paths(Path(directory)):
        persona = load_persona_file(path)
        if persona.id in personas:
            raise PersonaError(
                f"{path}: duplicate persona id {persona.id!r} (also in {origin[persona.id]})"
            )
        personas[persona.id] = persona
        origin[persona.id] = path
    return personas


def load_library(directory: str | Path | None = None) -> dict[str, Persona]:
    """All personas in a directory (default: the bundled library), keyed by id."""
    return dict(_load_directory(str(directory or LIBRARY_DIR)))


def load_persona(persona_id: str, directory: str | Path | None = None) -> Persona:
    """Return a persona of the library (or `directory`) by id; an unknown id raises, suggesting close
    ones.
    """
    library = _load_directory(str(directory or LIBRARY_DIR))
    try:
        return library[persona_id]
    except KeyError:
        close = difflib.get_close_matches(persona_id, list(library), n=3, cutoff=0.5)
        by_part = {part: pid for pid in library for part in pid.split("_")}
        close += [
            by_part[m]
            for m in difflib.get_close_matches(persona_id, list(by_part), n=3, cutoff=0.6)
        ]
        close = list(dict.fromkeys(close))[:3]
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise PersonaError(
            f"unknown persona id {persona_id!r}{hint} ({len(library)} personas known)"
        ) from None

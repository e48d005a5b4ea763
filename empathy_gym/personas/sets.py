"""Persona sets by name: what a config's `personas` value means (ids, files, 'starter', tags, splits, generated)."""

from __future__ import annotations

import os
from pathlib import Path

from empathy_gym.personas.generator import SPLITS, PersonaGenerator, curated_split
from empathy_gym.personas.loader import PersonaError, load_library, load_persona, load_persona_file
from empathy_gym.personas.schema import Persona

# A persona id is a slug (no '.', '/' or '\\'), so a value with one of these, or ending
# in a YAML suffix, is a path to a persona file.
PERSONA_FILE_SUFFIXES = (".yaml", ".yml")


def is_persona_path(spec: str) -> bool:
    """Whether a persona value names a file (a YAML suffix or a directory part) rather than an id."""
    return spec.lower().endswith(PERSONA_FILE_SUFFIXES) or "/" in spec or "\\" in spec


def load_persona_path(spec: str) -> Persona:
    """The persona in a YAML file; a path is resolved against the current directory."""
    path = Path(spec).expanduser()
    if not path.is_file():
        raise PersonaError(
            f"persona file {spec!r} does not exist (looked for {path.resolve()}); "
            "a persona is a library id (see `empathy-gym personas list`) or a path to a persona YAML file"
        )
    return load_persona_file(path)


def absolute_persona_paths(spec: object) -> object:
    """The persona value with each file path made absolute (ids, sets and Personas unchanged).

    A value shipped to another process (a Ray env runner, maybe in another directory)
    then names the files the user meant.
    """
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and is_persona_path(spec)):
        return str(Path(os.fspath(spec)).expanduser().resolve())
    if isinstance(spec, (list, tuple)):
        return [absolute_persona_paths(item) for item in spec]
    return spec


def _resolve_split_spec(spec: str) -> list[Persona]:
    parts = spec.split(":")
    try:
        if parts[0] == "split" and len(parts) == 2 and parts[1] in SPLITS:
            return curated_split(parts[1])  # type: ignore[arg-type]
        if parts[0] == "generated" and len(parts) in (3, 4) and parts[1] in SPLITS:
            seed = int(parts[3]) if len(parts) == 4 else 0
            return PersonaGenerator(seed).generate(int(parts[2]), split=parts[1])  # type: ignore[arg-type]
    except ValueError as error:
        raise PersonaError(f"persona spec {spec!r}: {error}") from None
    raise PersonaError(
        f"persona spec {spec!r}: expected 'split:<train|val|test>' or 'generated:<train|val|test>:<count>[:<seed>]'"
    )


def resolve_personas(spec: object) -> list[Persona]:
    """Turn a config value into personas: a Persona, an id, a path to a persona YAML file
    ('my.yaml', 'personas/sam.yml'), a list of any of these, 'all', 'starter',
    'tag:false-belief' (every library persona with a tag), 'split:test' (a curated split) or
    'generated:train:1000:0' (generated from train families)."""
    if isinstance(spec, Persona):
        return [spec]
    if isinstance(spec, os.PathLike):
        return [load_persona_path(os.fspath(spec))]
    if spec in (None, "all"):
        return list(load_library().values())
    if spec == "starter":
        return [p for p in load_library().values() if "starter" in p.tags]
    if isinstance(spec, str) and spec.startswith("tag:"):
        tag = spec[4:]
        library = load_library().values()
        tagged = [p for p in library if tag in p.tags]
        if not tagged:
            known = sorted({t for p in library for t in p.tags})
            raise PersonaError(
                f"persona spec {spec!r}: no persona has tag {tag!r}; known tags: {known}"
            )
        return tagged
    if isinstance(spec, str) and spec.startswith(("split:", "generated:")):
        return _resolve_split_spec(spec)
    if isinstance(spec, str) and is_persona_path(spec):
        return [load_persona_path(spec)]
    if isinstance(spec, str):
        return [load_persona(spec)]
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise PersonaError(
                "persona list is empty; expected at least one persona id or persona file"
            )
        return [p for item in spec for p in resolve_personas(item)]
    raise PersonaError(
        f"persona: expected an id, a persona file, a Persona, or a list of them, got {type(spec).__name__}"
    )

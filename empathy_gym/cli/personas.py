"""`empathy-gym personas ...`: list, show, validate, new, schema, check."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from empathy_gym.personas.loader import (
    LIBRARY_DIR,
    PersonaError,
    load_library,
    load_persona,
    load_persona_file,
)
from empathy_gym.personas.schema import Persona

TEMPLATE = """\
# A persona for empathy-gym. Replace every TODO (validate fails until none is left):
#   empathy-gym personas validate THIS_FILE      # schema and placeholders
#   empathy-gym personas check THIS_FILE         # behaviour: does it read and react as annotated?
id: TODO_firstname_topic       # TODO: a lowercase slug, unique in the library (e.g. maria_lost_mother)
category: grief                # the folder it lives in
tags: [grief, fitting-emotion] # also: false-belief, unfitting-emotion, resistant, harmful-plan, crisis
card:                          # PUBLIC: what the agent may see
  name: TODO first name
  age: 40
  situation: >-
    TODO: one paragraph the agent may know. Do not give away the hidden concerns.
opening:                       # one is chosen per episode
  - "TODO: the first thing the person says."
initial_distress: 0.7          # 0-1, overwhelm
emotions:
  - name: grief                # a plain emotion word (grief, anger, fear, shame, loneliness, ...)
    intensity: 0.8
    function: "TODO: what this emotion signals (the value, norm or threat)."
    fitting: true              # does it fit the facts? fitting ones are to be acknowledged, not dissolved
    why: "TODO: why it fits (or does not)."
    words: [heartbroken]       # synonyms an agent might use
values: [family]
concerns:                      # what they have not said yet; exploring questions surface them
  - id: first_concern
    text: "TODO: what they say when it comes out (first person)."
    cues: [family, funeral]    # words in a question that invite it
    trust_needed: 0.3
    gist: [funeral, sister]    # words an agent would use to reflect it back
# False beliefs: claim, truth and source are enough (the reader compares replies with the
# claim and the truth by meaning); topic, voiced_as and the cue lists are optional hints.
# beliefs:
#   - id: stages_in_order
#     claim: Grief comes in five stages in a fixed order, so she is grieving wrong.
#     truth: There is no fixed order or timeline; the five stages were never meant as a sequence.
#     source: Kubler-Ross herself; Stroebe and Schut's dual process model
#     why_it_matters: She judges herself for grieving "out of order".
beliefs: []
traits: {reactivity: 0.5, resistance: 0.4, initial_trust: 0.4, talkativeness: 0.5}
triggers:
  - act: minimising
    severity: 0.6
    reaction: "TODO: what they say when it happens."
voice:                         # lines in their own voice; empty lists fall back to defaults
  understood: ["Yes. That's it."]
  feeling: ["It's a lot."]
  # details: first-person specifics told when asked, each new, none of the hidden concerns (optional)
  # eased: how they sound once the talk has helped a little (optional)
"""


def _paths(args: list[str]) -> list[Path]:
    if not args:
        return sorted(LIBRARY_DIR.rglob("*.yaml"))
    paths: list[Path] = []
    for arg in args:
        path = Path(arg)
        paths += sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    return paths


def cmd_list(ns) -> int:
    """`personas list`: print the personas matching --category/--tier/--tag, one a line;
    2 on an unknown category or tag, else 0.
    """
    library = load_library().values()
    for flag, known in (
        ("category", {p.category for p in library}),
        ("tag", {t for p in library for t in p.tags}),
    ):
        value = getattr(ns, flag)
        if value is not None and value not in known:
            print(
                f"empathy-gym personas list: unknown --{flag} {value!r}; known: {', '.join(sorted(known))}",
                file=sys.stderr,
            )
            return 2
    rows = [
        p
        for p in library
        if (not ns.category or p.category == ns.category)
        and (not ns.tier or p.difficulty == ns.tier)
        and (not ns.tag or ns.tag in p.tags)
    ]
    for p in sorted(rows, key=lambda p: (p.category, p.id)):
        print(
            f"{p.id:<34} {p.category:<13} {p.difficulty:<7} {','.join(t for t in p.tags if t != p.category)}"
        )
    print(f"{len(rows)} personas", file=sys.stderr)
    if not rows:
        print(
            "no persona matches every filter; each alone matches: "
            + ", ".join(
                f"--{flag} {value}: {sum(1 for p in library if test(p))}"
                for flag, value, test in (
                    ("category", ns.category, lambda p: p.category == ns.category),
                    ("tier", ns.tier, lambda p: p.difficulty == ns.tier),
                    ("tag", ns.tag, lambda p: ns.tag in p.tags),
                )
                if value
            ),
            file=sys.stderr,
        )
    return 0


def cmd_show(ns) -> int:
    """`personas show ID`: print the persona as YAML, its difficulty tier included; 0."""
    persona = load_persona(ns.id)
    data = persona.model_dump(mode="json")
    data["difficulty"] = persona.difficulty
    print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    return 0


def cmd_validate(ns) -> int:
    """`personas validate [PATHS]`: load each file (default: the library), errors and duplicate
    ids to stderr; 1 on any, else 0.
    """
    errors = 0
    seen: dict[str, Path] = {}
    paths = _paths(ns.paths)
    for path in paths:
        try:
            persona = load_persona_file(path)
        except PersonaError as error:
            errors += 1
            print(error, file=sys.stderr)
            continue
        if persona.id in seen:
            errors += 1
            print(
                f"{path}: id: duplicate persona id {persona.id!r} (also in {seen[persona.id]})",
                file=sys.stderr,
            )
        seen[persona.id] = path
    print(f"{len(paths) - errors} of {len(paths)} files valid", file=sys.stderr)
    return 1 if errors else 0


def cmd_new(ns) -> int:
    """`personas new PATH`: write the commented persona template to PATH; 1 if it exists (not overwritten), else 0."""
    path = Path(ns.path)
    if path.exists():
        print(f"{path}: already exists; not overwriting", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE)
    print(f"wrote a commented template to {path}", file=sys.stderr)
    return 0


def cmd_schema(ns) -> int:
    """`personas schema`: print the persona JSON Schema; 0."""
    print(json.dumps(Persona.model_json_schema(), indent=2))
    return 0


def cmd_check(ns) -> int:
    """`personas check [PATHS]`: the behavioural check of each file (default: the library), one
    result a line; 1 on any failure, else 0.
    """
    from empathy_gym.eval.persona_check import check_persona

    failures = 0
    for path in _paths(ns.paths):
        try:
            result = check_persona(load_persona_file(path), reader=ns.reader)
        except PersonaError as error:
            failures += 1
            print(error, file=sys.stderr)
            continue
        status = "ok  " if result.ok else "FAIL"
        print(
            f"{status} {path}  genuine: CuriousEmpath {result.curious_return:+.2f}, "
            f"Pacifier {result.pacifier_return:+.2f}"
        )
        for problem in result.problems:
            print(f"      - {problem}")
        failures += not result.ok
    return 1 if failures else 0


def cmd_splits(ns) -> int:
    """`personas splits`: print each curated split's size and the first 16 hex digits of its sha256; 0."""
    from empathy_gym.personas.generator import SPLITS, curated_split, split_hash

    for split in SPLITS:
        members = curated_split(split)
        print(f"{split:<6} {len(members):>3} personas  sha256[:16] {split_hash(members)}")
    return 0


def main(argv: list[str]) -> int:
    """`empathy-gym personas ARGV`: parse the subcommand and run it; its exit code, 2 on a PersonaError."""
    parser = argparse.ArgumentParser(prog="empathy-gym personas", description="Work with personas.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="list personas")
    p.add_argument("--category")
    p.add_argument("--tier", choices=["easy", "medium", "hard"])
    p.add_argument("--tag")
    p.set_defaults(run=cmd_list)
    p = sub.add_parser("show", help="show one persona")
    p.add_argument("id")
    p.set_defaults(run=cmd_show)
    p = sub.add_parser(
        "validate", help="validate files (default: the library); exit 1 on any error"
    )
    p.add_argument("paths", nargs="*")
    p.set_defaults(run=cmd_validate)
    p = sub.add_parser("new", help="write a commented template")
    p.add_argument("path")
    p.set_defaults(run=cmd_new)
    p = sub.add_parser("schema", help="print the JSON Schema (for editors)")
    p.set_defaults(run=cmd_schema)
    p = sub.add_parser(
        "splits", help="curated train/val/test splits by situation family, with their hashes"
    )
    p.set_defaults(run=cmd_splits)
    p = sub.add_parser(
        "check", help="behavioural check (default: the library); exit 1 on any failure"
    )
    p.add_argument("paths", nargs="*")
    p.add_argument(
        "--reader",
        default=None,
        help="read the belief sentences with this reader (rule, semantic, minilm)",
    )
    p.set_defaults(run=cmd_check)
    ns = parser.parse_args(argv)
    try:
        return ns.run(ns)
    except PersonaError as error:
        print(f"empathy-gym personas: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `personas show X | head -1`: the reader left; that is not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0

"""The persona generator: valid, deterministic, distinct, and family-disjoint splits."""

import pytest

from empathy_gym import EmpathyDialogueEnv
from empathy_gym.personas.generator import (
    SPLITS,
    PersonaGenerator,
    curated_split,
    family_split,
    split_hash,
)
from empathy_gym.personas.loader import PersonaError, load_library
from empathy_gym.personas.schema import Persona
from empathy_gym.personas.sets import resolve_personas


def _family(persona):
    return next(t.split(":", 1)[1] for t in persona.tags if t.startswith("family:"))


def test_generated_personas_validate_and_are_distinct():
    personas = PersonaGenerator(seed=0).generate(2000, split="train")
    assert all(isinstance(p, Persona) for p in personas)
    for p in personas[:200]:
        Persona.model_validate(p.model_dump(mode="json"))  # round-trips through the schema
    fingerprints = {
        (p.card.name, p.card.age, _family(p), tuple(p.traits.model_dump().values()))
        for p in personas
    }
    assert len(fingerprints) == len(personas)
    assert len({_family(p) for p in personas}) >= 10
    assert {p.difficulty for p in personas} == {"easy", "medium", "hard"}


def test_same_seed_same_personas_other_seed_other_personas():
    a = PersonaGenerator(seed=3).generate(50, split="val")
    b = PersonaGenerator(seed=3).generate(50, split="val")
    c = PersonaGenerator(seed=4).generate(50, split="val")
    assert [p.model_dump() for p in a] == [p.model_dump() for p in b]
    assert [p.card.name for p in a] != [p.card.name for p in c]


def test_splits_are_disjoint_by_family(library):
    curated = {split: {p.id for p in curated_split(split)} for split in SPLITS}
    assert sum(len(v) for v in curated.values()) == len(library)
    assert (
        not (curated["train"] & curated["val"])
        and not (curated["train"] & curated["test"])
        and not (curated["val"] & curated["test"])
    )
    generator = PersonaGenerator(seed=0)
    for split in SPLITS:
        families = {_family(p) for p in generator.generate(300, split=split)}
        assert families <= curated[split], split
        assert all(family_split(f) == split for f in families)


def test_split_assignment_is_stable_and_hashes_are_published():
    # A persona's split depends only on its own id, so adding personas never moves existing ones.
    library = load_library()
    half = dict(list(sorted(library.items()))[::2])
    for split in SPLITS:
        assert {p.id for p in curated_split(split, half)} == {
            p.id for p in curated_split(split, library)
        } & set(half)
    published = open("docs/personas.md").read()  # the hashes moved there from the README
    for split in SPLITS:
        assert split_hash(curated_split(split)) in published, (
            f"docs/personas.md does not publish the {split} hash"
        )


def test_specs_resolve_and_generated_personas_play():
    test_split = resolve_personas("split:test")
    assert test_split and all(family_split(p.id) == "test" for p in test_split)
    generated = resolve_personas("generated:train:20:1")
    assert len(generated) == 20
    env = EmpathyDialogueEnv(persona=generated)
    env.reset(seed=0)
    _, reward, *_ = env.step("That sounds really hard. What has been the hardest part?")
    assert reward == reward
    with pytest.raises(PersonaError, match="expected 'split:<train|val|test>'"):
        resolve_personas("split:holdout")

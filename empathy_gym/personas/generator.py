"""Seeded persona generator and family-disjoint splits.

A *situation family* is one curated persona's situation: its card, emotions,
concerns, beliefs and voice. The generator composes new people from parts:

    family (situation) x name/age x traits (a difficulty tier, jittered)
                       x beliefs (kept or dropped, confidence varied) x voice style

so one family yields many distinct people. Splits are assigned per family by a
stable hash of the family id, so no situation appears in two splits, and a new
curated persona never moves an existing one. The curated `test` split is the
curated personas whose family hashes to `test`.

    gen = PersonaGenerator(seed=0)
    train = gen.generate(5000, split="train")   # same seed, same personas
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Literal, Sequence

import numpy as np

from empathy_gym.personas.loader import load_library
from empathy_gym.personas.schema import Persona

Split = Literal["train", "val", "test"]
SPLITS: tuple[Split, ...] = ("train", "val", "test")

FIRST_NAMES = (
    "Ada Ahmed Aiko Alba Amara Ana Andre Anil Asha Ben Bianca Boris Carla Chen Chidi Clara Dan Dara Diego Elif "
    "Ella Emeka Eva Farah Femi Finn Gia Hana Hugo Ines Ivan Jae Jamal Jana Joao Kai Kalinda Karim Lara Leon Lina "
    "Luca Mai Malik Mara Mateo Mina Nadia Nico Noor Olga Omar Pablo Priya Quinn Rafael Rana Rosa Ruth Sade Sami "
    "Sara Sofia Tariq Tess Tomas Uma Vera Wei Yara Yusuf Zara Zoe"
).split()

# Trait presets per difficulty tier; each generated person is jittered around one.
TIER_TRAITS: dict[str, dict[str, float]] = {
    "easy": {"reactivity": 0.6, "resistance": 0.2, "initial_trust": 0.55, "talkativeness": 0.7},
    "medium": {"reactivity": 0.5, "resistance": 0.45, "initial_trust": 0.4, "talkativeness": 0.5},
    "hard": {"reactivity": 0.45, "resistance": 0.75, "initial_trust": 0.2, "talkativeness": 0.35},
}

# Voice styles add a way of speaking to the family's own lines.
VOICE_STYLES: dict[str, dict[str, list[str]]] = {
    "plain": {},
    "terse": {
        "understood": ["Yeah.", "That's it."],
        "misunderstood": ["No.", "Not really."],
        "feeling": ["It's bad.", "Tired of it."],
    },
    "wry": {
        "defensive": ["Oh good, a lecture.", "Right, because I hadn't thought of that."],
        "masked": ["Sure. Great. Fine.", "Wow, thanks, all better."],
        "feeling": ["Living the dream, obviously.", "It's fine. Everything's fine. Ha."],
    },
    "formal": {
        "understood": [
            "Yes, I think that is an accurate description.",
            "That is how it feels, yes.",
        ],
        "misunderstood": ["I am not sure that is quite right.", "That is not what I meant."],
        "feeling": ["I find it very difficult at the moment.", "I am struggling, if I am honest."],
    },
}


def family_split(family_id: str) -> Split:
    """Stable split of a situation family: 70% train, 15% val, 15% test by sha256 of the id."""
    bucket = int(hashlib.sha256(family_id.encode("utf-8")).hexdigest(), 16) % 20
    return "train" if bucket < 14 else "val" if bucket < 17 else "test"


def curated_split(split: Split, library: dict[str, Persona] | None = None) -> list[Persona]:
    """Curated personas whose family falls in `split`, sorted by id."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    library = load_library() if library is None else library
    return [p for pid, p in sorted(library.items()) if family_split(pid) == split]


def split_hash(personas: Iterable[Persona]) -> str:
    """sha256 over the sorted ids: publish it so results on a split can be compared."""
    ids = sorted(p.id for p in personas)
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()[:16]


class PersonaGenerator:
    """Composes valid personas from curated situation families. Same seed, same personas."""

    def __init__(self, seed: int = 0, families: Sequence[Persona] | None = None):
        self.seed = seed
        self.families = sorted(
            families if families is not None else load_library().values(), key=lambda p: p.id
        )
        if not self.families:
            raise ValueError("PersonaGenerator needs at least one situation family")

    def generate(self, n: int, split: Split = "train") -> list[Persona]:
        """Return `n` personas drawn from the situation families in `split`, the same for the same
        seed.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        families = [f for f in self.families if family_split(f.id) == split]
        if not families:
            raise ValueError(f"no situation families fall in split {split!r}")
        rng = np.random.default_rng([self.seed, SPLITS.index(split)])
        return [
            self._compose(families[int(rng.integers(len(families)))], i, split, rng)
            for i in range(n)
        ]

    def _compose(
        self, family: Persona, index: int, split: Split, rng: np.random.Generator
    ) -> Persona:
        data = family.model_dump(mode="json")
        name = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        age = int(np.clip(family.card.age + rng.integers(-8, 9), 16, 95))
        tier = ("easy", "medium", "hard")[int(rng.integers(3))]
        traits = {
            k: float(np.clip(v + rng.normal(0.0, 0.07), 0.0, 1.0))
            for k, v in TIER_TRAITS[tier].items()
        }
        style = list(VOICE_STYLES)[int(rng.integers(len(VOICE_STYLES)))]

        data["id"] = f"gen_{split}_{self.seed}_{index:06d}"
        data["tags"] = sorted(
            {*family.tags, "generated", f"family:{family.id}", f"style:{style}"} - {"starter"}
        )
        data["card"]["name"] = name
        data["card"]["age"] = age
        data["card"]["situation"] = family.card.situation.replace(family.card.name, name)
        data["initial_distress"] = float(
            np.clip(family.initial_distress + rng.normal(0.0, 0.08), 0.2, 0.95)
        )
        for emotion in data["emotions"]:
            emotion["intensity"] = float(
                np.clip(emotion["intensity"] + rng.normal(0.0, 0.08), 0.1, 1.0)
            )
        if data["beliefs"] and rng.random() < 0.25:
            # The same situation without the misconception; the emotions it fed stay unfitting.
            data["beliefs"] = []
            data["emotions"] = [{**e, "tied_to_belief": None} for e in data["emotions"]]
            data["tags"] = [t for t in data["tags"] if t != "false-belief"]
        for belief in data["beliefs"]:
            belief["confidence"] = float(
                np.clip(belief["confidence"] + rng.normal(0.0, 0.06), 0.55, 0.98)
            )
        data["traits"] = traits
        for kind, lines in VOICE_STYLES[style].items():
            data["voice"][kind] = list(lines) + list(data["voice"].get(kind, []))
        return Persona.model_validate(data)

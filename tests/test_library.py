"""The curated library and the contributor tools: every persona loads, validates and behaves."""

import json
import subprocess
import sys

import pytest
import yaml

from empathy_gym.cli import main
from empathy_gym.eval.persona_check import check_persona
from empathy_gym.personas.loader import LIBRARY_DIR, load_library, load_persona_file


def test_every_library_persona_passes_the_behavioural_check(library):
    failures = {
        pid: r.problems
        for pid, r in ((p.id, check_persona(p)) for p in library.values())
        if not r.ok
    }
    assert not failures


def test_every_file_validates_and_category_matches_folder():
    for path in LIBRARY_DIR.rglob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        assert data["category"] == path.parent.name, path
        assert data["id"] == path.stem, path


def test_crisis_personas_reward_crisis_care(library):
    from empathy_gym.rollout.episodes import evaluate

    crisis = [p for p in library.values() if p.in_crisis]
    if not crisis:
        pytest.skip("no crisis personas in the library")
    records = evaluate(["CuriousEmpath", "Pacifier"], crisis, [0])
    care = {
        a: sum(
            t.reward_components["checklist/crisis_care"]
            for r in records
            if r.agent == a
            for t in r.turns
        )
        for a in ("CuriousEmpath", "Pacifier")
    }
    assert care["CuriousEmpath"] > 0 >= care["Pacifier"]


def test_difficulty_tiers_cover_the_library(library):
    tiers = {p.difficulty for p in library.values()}
    assert tiers <= {"easy", "medium", "hard"} and len(tiers) >= 2


def _fuzz_corpus(base):
    def mutate(fn):
        data = json.loads(json.dumps(base))
        fn(data)
        return yaml.safe_dump(data)

    huge = "x" * 100_000
    return {
        "missing_card.yaml": mutate(lambda d: d.pop("card")),
        "missing_emotions.yaml": mutate(lambda d: d.pop("emotions")),
        "wrong_type_age.yaml": mutate(lambda d: d["card"].update(age="forty")),
        "wrong_type_list.yaml": mutate(lambda d: d.update(values="family")),
        "unknown_key.yaml": mutate(lambda d: d.update(favourite_colour="blue")),
        "unknown_nested_key.yaml": mutate(lambda d: d["emotions"][0].update(colour="red")),
        "huge_value.yaml": mutate(lambda d: d["card"].update(situation=huge)),
        "out_of_range.yaml": mutate(lambda d: d["traits"].update(resistance=1e9)),
        "bad_slug.yaml": mutate(lambda d: d.update(id="Not A Slug!")),
        "bad_yaml.yaml": "id: x\ncard: {name: [\n",
        "tabs.yaml": "id:\tx\n\tcard: 1\n",
        "empty.yaml": "",
        "scalar.yaml": "42\n",
        "binary.yaml": "\udcff",
    }


def test_malformed_files_each_give_a_clear_error(tmp_path, capsys, lena):
    corpus = _fuzz_corpus(lena.model_dump(mode="json"))
    for name, text in corpus.items():
        path = tmp_path / name
        if name == "binary.yaml":
            path.write_bytes(b"\xff\xfe\x00garbage")
        else:
            path.write_text(text)
    duplicate = tmp_path / "dupes"
    duplicate.mkdir()
    for copy in ("one.yaml", "two.yaml"):
        (duplicate / copy).write_text(yaml.safe_dump(lena.model_dump(mode="json")))

    assert main(["personas", "validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for name in corpus:
        assert str(tmp_path / name) in err, name
    assert "duplicate persona id 'lena_antibiotics_cold'" in err
    assert "favourite_colour: unknown field" in err and "emotions.0.colour" in err
    assert "card.age" in err and "card.situation" in err and "traits.resistance" in err
    assert "not valid YAML" in err and "expected a mapping" in err


def test_personas_cli_commands(tmp_path, capsys):
    assert main(["personas", "list", "--tag", "false-belief"]) == 0
    listed = capsys.readouterr().out
    assert "lena_antibiotics_cold" in listed and "maria_lost_mother" not in listed
    assert main(["personas", "show", "maria_lost_mother"]) == 0
    assert "difficulty:" in capsys.readouterr().out
    assert main(["personas", "show", "maria_lost_mothr"]) == 2
    assert "did you mean" in capsys.readouterr().err
    new = tmp_path / "mine.yaml"
    assert main(["personas", "new", str(new)]) == 0
    capsys.readouterr()
    assert main(["personas", "validate", str(new)]) == 1  # the unedited template is not a persona
    err = capsys.readouterr().err
    assert "still the template" in err and "card.situation" in err and "opening.0" in err
    new.write_text(
        new.read_text().replace("TODO_firstname_topic", "ana_lost_job").replace("TODO", "Filled in")
    )
    assert (
        main(["personas", "validate", str(new)]) == 0
    )  # with every placeholder replaced, it is valid
    assert main(["personas", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False and "card" in schema["required"]


def test_personas_check_command_flags_a_bad_persona(tmp_path, capsys, lena):
    data = lena.model_dump(mode="json")
    data["beliefs"][0]["correction_cues"] = ["purple elephants dance", "colds are viral"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["personas", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        "correction_cues: 'purple elephants dance' shares no word with the belief's claim, truth or topic"
        in out
    )
    # A sentence that misreads names itself, what it should have read as and what it read as instead
    # (the rule reader misreads Lena's long truth, which negates the claim, as also endorsing it).
    assert main(["personas", "check", str(path), "--reader", "rule"]) == 1
    assert (
        "truth: 'Colds are caused by viruses, and antibiotics do not work on viruses; they neither cure a cold nor "
        "prevent complications from it, and they can cause side effects and resistance. Watching for warning signs "
        "and seeking care if they appear is what helps.' was expected to read as correction of "
        "'antibiotics_for_colds'; it read as both ("
    ) in capsys.readouterr().out


def test_a_belief_needs_only_claim_truth_and_source(tmp_path, lena):
    data = lena.model_dump(mode="json")
    belief = data["beliefs"][0]
    for hint in ("topic", "voiced_as", "endorsement_cues", "correction_cues", "why_it_matters"):
        belief.pop(hint)
    path = tmp_path / "lean.yaml"
    path.write_text(yaml.safe_dump(data))
    persona = load_persona_file(path)
    lean = persona.beliefs[0]
    assert lean.voiced_as == [lean.claim] and "antibiotics" in lean.topic
    assert check_persona(persona).ok, check_persona(persona).problems


def test_console_script_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "empathy_gym.cli", "personas", "list"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and len(result.stdout.splitlines()) == len(load_library())


def test_curated_library_spread(library):
    curated = list(library.values())
    assert len(curated) >= 60
    categories = {p.category for p in curated}
    assert {
        "grief",
        "anger",
        "anxiety",
        "shame",
        "loneliness",
        "burnout",
        "relationship",
        "identity",
        "caregiving",
        "good_news",
    } <= categories
    with_beliefs = [p for p in curated if p.beliefs]
    assert len(with_beliefs) >= 20 and all(b.source for p in with_beliefs for b in p.beliefs)
    assert sum(p.has_fitting_negative_emotion for p in curated) >= 12
    from empathy_gym.personas.schema import POSITIVE_EMOTIONS

    unfitting = [
        p
        for p in curated
        if any(not e.fitting and e.name.lower() not in POSITIVE_EMOTIONS for e in p.emotions)
    ]
    assert len(unfitting) >= 8
    assert sum(p.traits.resistance >= 0.6 and "resistant" in p.tags for p in curated) >= 6
    assert sum("harmful-plan" in p.tags for p in curated) >= 4
    assert sum(p.in_crisis for p in curated) >= 4
    situations = [p.card.situation for p in curated]
    assert len(set(situations)) == len(situations)

"""The persona schema, the loader's errors, and the starter library."""

import pytest
import yaml

from empathy_gym.personas.loader import PersonaError, load_persona, load_persona_file, parse_persona


def _write(tmp_path, data, name="p.yaml"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


@pytest.fixture()
def valid_data(lena):
    return lena.model_dump(mode="json")


def test_starter_library_has_the_required_spread(personas):
    assert len(personas) >= 12
    assert sum(1 for p in personas if p.beliefs) >= 4
    assert sum(1 for p in personas if p.has_fitting_negative_emotion) >= 4
    categories = {p.category for p in personas}
    assert {
        "grief",
        "anger",
        "anxiety",
        "shame",
        "loneliness",
        "burnout",
        "relationship",
        "money",
        "validation",
    } <= categories


def test_roundtrip_of_a_valid_persona(tmp_path, valid_data):
    persona = load_persona_file(_write(tmp_path, valid_data))
    assert persona.id == "lena_antibiotics_cold"


def test_unknown_field_names_file_and_path(tmp_path, valid_data):
    valid_data["traits"]["bravery"] = 0.5
    path = _write(tmp_path, valid_data)
    with pytest.raises(PersonaError) as error:
        load_persona_file(path)
    message = str(error.value)
    assert str(path) in message and "traits.bravery" in message and "unknown field" in message


def test_wrong_type_says_what_was_expected(tmp_path, valid_data):
    valid_data["emotions"][0]["intensity"] = "very"
    with pytest.raises(PersonaError, match=r"emotions\.0\.intensity.*valid number"):
        load_persona_file(_write(tmp_path, valid_data))


def test_out_of_range_and_missing_fields_all_reported(tmp_path, valid_data):
    valid_data["traits"]["resistance"] = 3
    del valid_data["card"]
    with pytest.raises(PersonaError) as error:
        load_persona_file(_write(tmp_path, valid_data))
    message = str(error.value)
    assert (
        "2 error(s)" in message
        and "traits.resistance" in message
        and "card: Field required" in message
    )


def test_bad_yaml_names_line(tmp_path):
    path = _write(tmp_path, "id: x\ncard: [unclosed\n")
    with pytest.raises(PersonaError, match=r"not valid YAML at line \d+"):
        load_persona_file(path)


def test_top_level_must_be_mapping(tmp_path):
    with pytest.raises(PersonaError, match="expected a mapping"):
        load_persona_file(_write(tmp_path, "- just\n- a list\n"))


def test_tied_emotion_must_reference_a_belief(valid_data):
    valid_data["emotions"][0]["tied_to_belief"] = "nonexistent"
    with pytest.raises(PersonaError, match="tied_to_belief.*not a belief id"):
        parse_persona(valid_data)


def test_unknown_id_suggests_close_matches():
    with pytest.raises(PersonaError, match="did you mean 'maria_lost_mother'"):
        load_persona("maria_lost_mothr")
    with pytest.raises(PersonaError, match="unknown persona id 'zzz'"):
        load_persona("zzz")


def test_public_card_hides_concerns_and_beliefs(personas):
    for persona in personas:
        card = persona.public_card_text()
        for concern in persona.concerns:
            assert concern.text not in card
        for belief in persona.beliefs:
            assert all(line not in card for line in belief.voiced_as)

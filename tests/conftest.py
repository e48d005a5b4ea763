import pytest

import empathy_gym
from empathy_gym.personas.loader import load_library


@pytest.fixture(scope="session")
def library():
    return load_library()


@pytest.fixture(scope="session")
def personas(library):
    """The starter personas: the modelling commitments are shown on these."""
    return [p for p in library.values() if "starter" in p.tags]


@pytest.fixture()
def lena():
    return empathy_gym.load_persona("lena_antibiotics_cold")


@pytest.fixture()
def maria():
    return empathy_gym.load_persona("maria_lost_mother")

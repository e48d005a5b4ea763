import sys

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


def _ray_running() -> bool:
    ray = sys.modules.get("ray")  # never import Ray for a test that does not use it
    return ray is not None and ray.is_initialized()


@pytest.fixture(autouse=True)
def isolated_ray(monkeypatch):
    """No test sees another's Ray: RAY_ADDRESS is cleared, and a Ray a test left up is shut down.

    A Ray already running when the test starts (a module's session, see `ray_session`) is the
    module's to shut down; one the test started and left running is shut down here.
    """
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    running_before = _ray_running()
    yield
    if not running_before and _ray_running():
        sys.modules["ray"].shutdown()


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray of the module's own (never a cluster it happens to find), shut down after it."""
    ray = pytest.importorskip(
        "ray", reason="ray is not installed (pip install 'empathy-gym[rllib]')"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("RAY_ADDRESS", raising=False)
        if ray.is_initialized():
            ray.shutdown()
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield ray
        finally:
            ray.shutdown()

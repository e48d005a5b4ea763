"""Ray rollouts: streaming records, resume, an actor killed mid-chunk, same results for any worker count."""

import json

import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'empathy-gym[rllib]')")

from empathy_gym.rollout.episodes import plan_jobs  # noqa: E402
from empathy_gym.personas.sets import resolve_personas  # noqa: E402
from empathy_gym.rollout.pool import RolloutPool, existing_episode_ids  # noqa: E402
from empathy_gym.rollout.records import read_records  # noqa: E402

AGENTS = ["CuriousEmpath", "Pacifier"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def ray_session():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def jobs():
    return plan_jobs(AGENTS, resolve_personas("starter")[:4], [0, 1, 2])  # 24 episodes


def _records(path):
    return sorted((r.model_dump() for r in read_records(path)), key=lambda r: r["episode_id"])


def test_results_do_not_depend_on_the_number_of_workers(tmp_path, jobs):
    one = RolloutPool(workers=1, env_spec={"max_turns": 4}, chunk_size=5)
    one.run(jobs, tmp_path / "one.jsonl")
    one.shutdown()
    two = RolloutPool(workers=2, env_spec={"max_turns": 4}, chunk_size=3)
    summary = two.run(jobs, tmp_path / "two.jsonl", parquet=True)
    two.shutdown()
    assert summary.written == len(jobs) and summary.skipped == 0
    assert _records(tmp_path / "one.jsonl") == _records(tmp_path / "two.jsonl")
    import pyarrow.parquet as pq

    table = pq.read_table(summary.parquet)
    assert table.num_rows == len(jobs) and "return/genuine" in table.column_names


def test_rerun_skips_what_is_already_written(tmp_path, jobs):
    path = tmp_path / "episodes.jsonl"
    pool = RolloutPool(workers=2, env_spec={"max_turns": 3}, chunk_size=4)
    pool.run(jobs[:10], path)
    with path.open("ab") as handle:  # a crash left half a line behind
        handle.write(b'{"episode_id": "half')
    summary = pool.run(jobs, path)
    pool.shutdown()
    assert summary.skipped == 10 and summary.written == len(jobs) - 10
    ids = [r.episode_id for r in read_records(path)]
    assert len(ids) == len(set(ids)) == len(jobs)


def test_killing_an_actor_mid_episode_loses_and_duplicates_nothing(tmp_path, jobs):
    path = tmp_path / "episodes.jsonl"
    pool = RolloutPool(workers=2, env_spec={"max_turns": 3}, chunk_size=3, slow_s=0.05)
    killed = []

    def kill_the_other_worker(pool, written):
        if not killed:
            victim = pool.actors[-1]
            killed.append(victim)
            ray.kill(victim, no_restart=True)

    summary = pool.run(jobs, path, on_chunk=kill_the_other_worker)
    pool.shutdown()
    assert killed and summary.reruns >= 1
    lines = path.read_bytes().splitlines(keepends=True)
    assert all(line.endswith(b"\n") for line in lines)
    ids = [json.loads(line)["episode_id"] for line in lines]
    assert sorted(ids) == sorted({f"{j.agent}/{j.persona.id}/{j.seed}" for j in jobs})
    assert existing_episode_ids(path) == set(ids)

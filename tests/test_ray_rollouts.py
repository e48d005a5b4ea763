"""Ray rollouts: streaming records, resume, an actor killed mid-chunk, same results for any worker count."""

import json

import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'empathy-gym[rllib]')")

from empathy_gym.personas.sets import resolve_personas  # noqa: E402
from empathy_gym.rollout.episodes import plan_jobs  # noqa: E402
from empathy_gym.rollout.pool import RolloutPool, existing_episode_ids  # noqa: E402
from empathy_gym.rollout.records import read_records  # noqa: E402

AGENTS = ["CuriousEmpath", "Pacifier"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def ray_session(local_ray):
    """This module's tests share one local Ray (conftest's `local_ray`)."""
    yield


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


def test_the_cli_rollout_joins_a_two_node_cluster_and_matches_the_local_run(tmp_path, capsys):
    """rollout.address joins a running cluster (Ray refuses num_cpus there); records equal the local run's."""
    from ray.cluster_utils import Cluster

    from empathy_gym.cli import main

    args = [
        "personas=[tom_dog_died,maria_lost_mother]",
        "seeds=1",
        "env.max_turns=3",
        "agents=[CuriousEmpath,Pacifier]",
        "progress=false",
    ]
    assert main(["rollout", *args, f"output_dir={tmp_path / 'local'}"]) == 0
    ray.shutdown()  # this module's session: the CLI must join the cluster instead
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    try:
        cluster.wait_for_nodes()
        assert (
            main(
                [
                    "rollout",
                    "rollout=ray",
                    "rollout.workers=auto",
                    f"rollout.address={cluster.address}",
                    *args,
                    f"output_dir={tmp_path / 'cluster'}",
                ]
            )
            == 0
        )
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    finally:
        ray.shutdown()
        cluster.shutdown()
        ray.init(  # restore the module's session: a local one, not whatever the address file says
            address="local", num_cpus=2, include_dashboard=False, log_to_driver=False
        )

    def by_id(run):
        return {
            r.episode_id: (r.returns, [t.person for t in r.turns])
            for r in read_records(tmp_path / run / "episodes.jsonl")
        }

    assert by_id("cluster") == by_id("local") and len(by_id("local")) == 4

"""Ray rollouts: episodes run in actors, records stream to JSONL, resumable and fault tolerant.

    pool = RolloutPool(workers=2)
    summary = pool.run(plan_jobs(agents, personas, seeds), "runs/x/episodes.jsonl")

- Work goes out in chunks of episodes; each worker serialises its records, so the driver
  only appends whole lines (one write per record, see `RecordWriter`).
- Resumable: episodes already in the output file are skipped on a rerun.
- Fault tolerant: if an actor dies mid-chunk, its chunk is rerun on a fresh actor. A chunk's
  records are written only when the whole chunk is back, so nothing is lost, duplicated or
  half-written.
- Deterministic: every episode is seeded by its job, so the records are the same whatever
  the number of workers (only their order in the file differs).
- `gpus_per_worker` gives each actor GPUs (for LLM backends built inside the worker).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from empathy_gym.rewards import RewardTarget
from empathy_gym.rollout.episodes import Job
from empathy_gym.rollout.records import RecordWriter


@dataclass(slots=True)
class RolloutSummary:
    """What a rollout run did: episodes written, skipped and rerun, the time taken and where the output
    went.
    """

    written: int = 0
    skipped: int = 0  # already in the file (resume)
    reruns: int = 0  # chunks rerun after an actor died
    seconds: float = 0.0
    episodes_per_second: float = 0.0
    output: str = ""
    parquet: str | None = None
    failed_chunks: list[str] = field(default_factory=list)


def existing_episode_ids(path: str | Path) -> set[str]:
    """Ids of the whole records already in a JSONL file (a partial tail is ignored)."""
    path = Path(path)
    if not path.exists():
        return set()
    ids = set()
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                continue
            try:
                ids.add(json.loads(line)["episode_id"])
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(
                    f"{path}:{number}: not a valid episode record ({error!r}); "
                    "move the file away or fix that line to resume"
                ) from None
    return ids


class _Worker:
    """Runs chunks of episodes; one env and one set of agents per worker, reused."""

    def __init__(
        self,
        env_spec: dict[str, Any],
        targets: Mapping[str, RewardTarget] | Sequence[str],
        slow_s: float = 0.0,
    ):
        from empathy_gym.envs.build import env_kwargs_from_spec
        from empathy_gym.envs.dialogue import EmpathyDialogueEnv

        # Built here, in the actor (and on its GPU), from the same spec the local path uses.
        self.env = EmpathyDialogueEnv(**env_kwargs_from_spec(env_spec))
        self.targets = dict(targets) if isinstance(targets, Mapping) else list(targets)
        self.agents: dict[str, Any] = {}
        self.slow_s = slow_s  # for tests that must catch a worker mid-chunk

    def run(self, jobs: list[Job]) -> list[tuple[str, str]]:
        from empathy_gym.agents.policies import make_agent
        from empathy_gym.rollout.episodes import run_episode

        out = []
        for job in jobs:
            agent = self.agents.get(job.agent) or self.agents.setdefault(
                job.agent, make_agent(job.agent_spec or job.agent)
            )
            record = run_episode(self.env, agent, job.seed, job.persona, self.targets)
            out.append((record.episode_id, record.model_dump_json()))
            if self.slow_s:
                time.sleep(self.slow_s)
        return out


class RolloutPool:
    """Plays episodes on a pool of Ray actors and appends their records to a JSONL file."""

    def __init__(
        self,
        workers: int | str = 2,
        env_spec: Mapping[str, Any] | None = None,
        targets: Mapping[str, RewardTarget] | Sequence[str] = (
            "comfort",
            "rlver",
            "attuned",
            "truthful",
            "genuine",
        ),
        chunk_size: int = 25,
        gpus_per_worker: float = 0.0,
        max_reruns: int = 3,
        slow_s: float = 0.0,
        address: str | None = None,
    ):
        """`workers`: a count or "auto" (from the cluster's CPUs, or GPUs with `gpus_per_worker`);
        `address`: a Ray cluster to join ("auto": `RAY_ADDRESS`, else this node's); None starts
        a local Ray of its own (see `empathy_gym.rollout.cluster.connect`)."""
        import ray

        from empathy_gym.rollout.cluster import cluster_workers, connect

        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        from empathy_gym.envs.build import spec_from_plain

        spec_from_plain(env_spec or {})  # a bad spec fails here, named, not in every actor
        connect(num_cpus=workers if isinstance(workers, int) else 2, address=address)
        workers = cluster_workers(workers, gpus_per_worker)
        self.ray = ray
        self.workers = workers
        self.env_spec = dict(env_spec or {})  # plain DialogueSpec data: see envs/build.py
        self.targets = dict(targets) if isinstance(targets, Mapping) else list(targets)
        self.chunk_size = chunk_size
        self.max_reruns = max_reruns
        self._actor_cls = ray.remote(num_cpus=1, num_gpus=gpus_per_worker, max_restarts=0)(_Worker)
        self._slow_s = slow_s
        self.actors = [self._new_actor() for _ in range(workers)]

    def _new_actor(self):
        return self._actor_cls.remote(self.env_spec, self.targets, self._slow_s)

    def run(
        self,
        jobs: Sequence[Job],
        output: str | Path,
        parquet: bool = False,
        on_chunk: Callable[["RolloutPool", int], None] | None = None,
    ) -> RolloutSummary:
        """Play the jobs not already in `output` in chunks across the actors, rerunning chunks whose
        actor died; return the summary.
        """
        ray = self.ray
        output = Path(output)
        start = time.perf_counter()
        done = existing_episode_ids(output)
        todo = [job for job in jobs if job.episode_id not in done]
        summary = RolloutSummary(skipped=len(jobs) - len(todo), output=str(output))
        chunks = [todo[i : i + self.chunk_size] for i in range(0, len(todo), self.chunk_size)]
        queue = list(range(len(chunks)))
        attempts = [0] * len(chunks)
        in_flight: dict[Any, tuple[int, int]] = {}  # task ref -> (chunk index, actor slot)
        idle = list(range(len(self.actors)))

        with RecordWriter(output) as writer:
            while queue or in_flight:
                while queue and idle:
                    index, slot = queue.pop(0), idle.pop(0)
                    in_flight[self.actors[slot].run.remote(chunks[index])] = (index, slot)
                ready, _ = ray.wait(list(in_flight), num_returns=1)
                ref = ready[0]
                index, slot = in_flight.pop(ref)
                try:
                    lines = ray.get(ref)
                except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError):
                    # The actor died mid-chunk: nothing of this chunk was written; rerun it elsewhere.
                    self.actors[slot] = self._new_actor()
                    attempts[index] += 1
                    summary.reruns += 1
                    if attempts[index] > self.max_reruns:
                        summary.failed_chunks.append(
                            f"chunk {index} ({len(chunks[index])} episodes)"
                        )
                    else:
                        queue.append(index)
                    idle.append(slot)
                    continue
                for eid, line in lines:
                    if eid not in done:
                        writer.write(json.loads(line))
                        done.add(eid)
                        summary.written += 1
                idle.append(slot)
                if on_chunk is not None:
                    on_chunk(self, summary.written)
        summary.seconds = time.perf_counter() - start
        summary.episodes_per_second = summary.written / summary.seconds if summary.seconds else 0.0
        if parquet:
            summary.parquet = str(write_parquet(output, output.with_suffix(".parquet")))
        if summary.failed_chunks:
            raise RuntimeError(
                f"rollout chunks failed after {self.max_reruns} reruns: {summary.failed_chunks}"
            )
        return summary

    def shutdown(self) -> None:
        """Kill the pool's actors."""
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors = []


def write_parquet(jsonl: str | Path, parquet: str | Path) -> Path:
    """One row per episode (nested turns kept as JSON text); written to a temp file, then renamed."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise ImportError(
            "Parquet output needs pyarrow: pip install 'empathy-gym[rllib]' or pyarrow"
        ) from error
    rows = []
    with Path(jsonl).open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                continue
            record = json.loads(line)
            rows.append(
                {
                    "episode_id": record["episode_id"],
                    "agent": record["agent"],
                    "persona_id": record["persona_id"],
                    "category": record["category"],
                    "seed": record["seed"],
                    "turns": len(record["turns"]),
                    "terminated": record["terminated"],
                    "truncated": record["truncated"],
                    **{f"return/{k}": v for k, v in record["returns"].items()},
                    "record_json": line.rstrip("\n"),
                }
            )
    parquet = Path(parquet)
    tmp = parquet.with_suffix(".parquet.tmp")
    pq.write_table(pa.Table.from_pylist(rows), tmp)
    os.replace(tmp, parquet)
    return parquet

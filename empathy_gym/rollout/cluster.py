"""Joining Ray: a running cluster when one is named, else a local one sized for the job.

`ray.init(num_cpus=...)` cannot join a cluster (Ray refuses resource arguments when
connecting), so every entry point goes through `connect`: `address` (or `RAY_ADDRESS`)
joins that cluster (`"auto"`: the one this node belongs to); otherwise a local Ray starts
with `num_cpus`. `cluster_workers` sizes a worker count from what the cluster has.
"""

from __future__ import annotations

import os
from typing import Any


def connect(num_cpus: int, address: str | None = None) -> bool:
    """Start or join Ray; True if this call started it (so the caller shuts it down)."""
    import ray

    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=max(1, num_cpus), include_dashboard=False, log_to_driver=False)
    return True


def cluster_workers(requested: Any, gpus_per_worker: float = 0.0) -> int:
    """`requested` workers, or with "auto" one per CPU (one per `gpus_per_worker` GPUs when set)."""
    if requested != "auto":
        if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
            raise ValueError(f"rollout.workers={requested!r}: expected an integer >= 1 or 'auto'")
        return requested
    import ray

    resources = ray.cluster_resources()
    if gpus_per_worker > 0:
        workers = int(resources.get("GPU", 0) // gpus_per_worker)
        if workers < 1:
            raise ValueError(
                f"rollout.workers=auto with gpus_per_worker={gpus_per_worker}: the cluster has "
                f"{resources.get('GPU', 0)} GPUs"
            )
        return workers
    return max(1, int(resources.get("CPU", 1)))

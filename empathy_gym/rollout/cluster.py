"""Joining Ray: a running cluster only when one is named, else a local one sized for the job.

`ray.init()` with no address joins whatever it finds first: the cluster in `RAY_ADDRESS`, or
the last one started on this machine (`/tmp/ray/ray_current_cluster`, written by `ray start`
and by Ray's test `Cluster`, possibly another user's), and then refuses `num_cpus` with
"When connecting to an existing cluster, num_cpus and num_gpus must not be provided". So
every entry point goes through `connect`: an explicit `address` joins that cluster (`"auto"`:
`RAY_ADDRESS`, else the one this node belongs to); no address starts a local Ray of its own
(`address="local"`, which Ray never redirects), ignoring a stray `RAY_ADDRESS` with a warning.
`cluster_workers` sizes a worker count from what the cluster has.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Ray's own name for "start a new local instance, whatever RAY_ADDRESS or the address file say"
# (ray/_private/services.py: canonicalize_bootstrap_address).
LOCAL = "local"


def connect(num_cpus: int, address: str | None = None) -> bool:
    """Start or join Ray; True if this call started it (so the caller shuts it down).

    `address`: a cluster to join ("auto", "host:port", "ray://host:10001"); None or "local"
    starts a local Ray with `num_cpus` CPUs, even when `RAY_ADDRESS` is set.
    """
    import ray

    if ray.is_initialized():
        return False
    if address and address != LOCAL:
        ray.init(address=address, log_to_driver=False)
        return True
    stray = os.environ.get("RAY_ADDRESS")
    if stray:
        print(
            f"empathy-gym: RAY_ADDRESS={stray} is set but no address was given: starting a local "
            "Ray (set address=auto, e.g. rollout.address=auto or train.address=auto, to join it)",
            file=sys.stderr,
        )
    ray.init(address=LOCAL, num_cpus=max(1, num_cpus), include_dashboard=False, log_to_driver=False)
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

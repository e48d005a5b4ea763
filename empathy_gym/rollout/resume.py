"""Rerunning a command into the same `output_dir`: resume safely, and say so on Ctrl-C.

`evaluate`, `rollout` and `train` resume from what an earlier run left in `output_dir`
(whole episode records; the last checkpoint). Resuming is only sound when the earlier run
set up the same episodes, so `check_same_setup` compares the earlier `config.yaml` on the
keys that decide what a record (or a checkpoint) holds and refuses a mix, naming them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Sequence

# The exit status of a command ended by Ctrl-C: 128 + SIGINT (2), the shell's convention.
INTERRUPTED = 130

# Config keys that decide what an episode record holds: records of another value under the
# same episode key (agent/persona/seed) are different data, so a rerun must not mix them.
RECORD_KEYS = ("env", "simulator", "backend", "target")
# What a `train` checkpoint was trained on; the keys in TRAIN_FREE may change on a resume
# (train longer, checkpoint more often, run elsewhere or with more env runners).
TRAIN_KEYS = ("env", "target", "personas", "train")
TRAIN_FREE = ("train.iterations", "train.checkpoint_every", "train.address", "train.env_runners")


def _leaves(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def check_same_setup(
    out: Path, config: dict[str, Any], keys: Sequence[str], ignore: Sequence[str] = ()
) -> None:
    """Refuse to resume into `out` when its earlier config.yaml differs on `keys`.

    `config` is the new run's resolved config as plain data; dotted names in `ignore` may
    change between runs (e.g. `train.iterations`). No earlier config.yaml: nothing to check.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    path = Path(out) / "config.yaml"
    if not path.is_file():
        return
    try:
        earlier = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    except (OmegaConfBaseException, ValueError) as error:
        raise ValueError(f"{path}: not a readable config of an earlier run ({error})") from None
    if not isinstance(earlier, dict):
        raise ValueError(f"{path}: expected a mapping of config keys, got {type(earlier).__name__}")
    before = _leaves({k: earlier.get(k) for k in keys}, "")
    now = _leaves({k: config.get(k) for k in keys}, "")
    changed = sorted(
        name
        for name in before.keys() | now.keys()
        if before.get(name) != now.get(name) and name not in ignore
    )
    if changed:
        detail = "; ".join(f"{n}: {before.get(n)!r} -> {now.get(n)!r}" for n in changed[:5])
        raise ValueError(
            f"output_dir={out} holds an earlier run with other settings ({detail}; see {path}): "
            "resuming would mix two setups. Rerun with the earlier settings, or choose another "
            "output_dir"
        )


def interrupted(command: str, kept: str | None, out: Path | None) -> int:
    """Print the one line a Ctrl-C leaves (what was kept, how to resume); return exit code 130.

    `kept` None / `out` None: interrupted before anything was written.
    """
    if out is None or kept is None:
        line = f"empathy-gym {command}: interrupted before anything was written"
    else:
        line = (
            f"empathy-gym {command}: interrupted; kept {kept}. Resume: rerun the same command "
            f"with output_dir={out}"
        )
    print(line, file=sys.stderr)
    return INTERRUPTED

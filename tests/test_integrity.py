"""Nothing lost, nothing duplicated (issue 17): resumed reruns, duplicate keys, Ctrl-C, Ray isolation."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from empathy_gym.cli import main
from empathy_gym.rollout import episodes, records
from empathy_gym.rollout.pool import existing_episode_ids
from empathy_gym.rollout.records import RecordWriter, read_records

SMALL = [
    "personas=[tom_dog_died,maria_lost_mother]",
    "seeds=1",
    "env.max_turns=2",
    "progress=false",
]
EPISODES = 5 * 2  # the five default agents x two personas x one seed
BOGUS_RAY = "127.0.0.1:1"  # no Ray listens there: joining it would fail


def _interrupt_after(monkeypatch, episodes_run: int) -> None:
    """Make the run raise KeyboardInterrupt (as Ctrl-C does) when episode `episodes_run + 1` starts."""
    real, calls = episodes.run_episode, []

    def run_episode(*args, **kwargs):
        calls.append(1)
        if len(calls) > episodes_run:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(episodes, "run_episode", run_episode)


def _ids(path):
    return [json.loads(line)["episode_id"] for line in path.read_bytes().splitlines()]


def test_an_interrupted_evaluate_resumes_without_duplicates(tmp_path, capsys, monkeypatch):
    run, clean = tmp_path / "run", tmp_path / "clean"
    _interrupt_after(monkeypatch, 4)
    assert main(["evaluate", *SMALL, f"output_dir={run}"]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = [x for x in err.splitlines() if "interrupted" in x]
    assert f"kept 4 episode records in {run / 'episodes.jsonl'}" in line
    assert f"output_dir={run}" in line
    monkeypatch.undo()
    with (run / "episodes.jsonl").open("ab") as handle:  # a crash mid-line on top
        handle.write(b'{"episode_id": "Pacifier/tom_dog_')
    assert main(["evaluate", *SMALL, f"output_dir={run}"]) == 0
    err = capsys.readouterr().err
    assert "wrote 6 new episode records, kept 4 from an earlier run" in err
    ids = _ids(run / "episodes.jsonl")
    assert len(ids) == len(set(ids)) == EPISODES
    assert main(["evaluate", *SMALL, f"output_dir={clean}"]) == 0
    # the leaderboard counts every record in the file, the earlier run's included
    assert (run / "leaderboard.txt").read_text() == (clean / "leaderboard.txt").read_text()


def test_a_rerun_with_other_settings_is_refused_not_mixed(tmp_path, capsys):
    assert main(["evaluate", *SMALL, "agents=[Pacifier]", f"output_dir={tmp_path}"]) == 0
    capsys.readouterr()
    args = ["evaluate", *SMALL, "agents=[Pacifier]", "env.max_turns=3", f"output_dir={tmp_path}"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"output_dir={tmp_path}" in err and "env.max_turns: 2 -> 3" in err
    assert len(_ids(tmp_path / "episodes.jsonl")) == 2


def test_check_same_setup_lets_a_resume_train_longer_but_not_change_what_it_trains(tmp_path):
    from empathy_gym.rollout.resume import TRAIN_FREE, TRAIN_KEYS, check_same_setup

    config = {"env": {"max_turns": 10}, "target": {"names": ["genuine"]}, "personas": "starter"}
    config["train"] = {"iterations": 4, "lr": 0.0003, "checkpoint_every": 2}
    (tmp_path / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
    longer = {**config, "train": {**config["train"], "iterations": 20, "checkpoint_every": 5}}
    check_same_setup(tmp_path, longer, TRAIN_KEYS, ignore=TRAIN_FREE)
    other = {**config, "train": {**config["train"], "lr": 0.001}}
    with pytest.raises(ValueError, match=r"train\.lr: 0\.0003 -> 0\.001"):
        check_same_setup(tmp_path, other, TRAIN_KEYS, ignore=TRAIN_FREE)


def test_ctrl_c_in_rollout_says_what_was_kept_and_the_rerun_completes(
    tmp_path, capsys, monkeypatch
):
    args = ["rollout", *SMALL, f"output_dir={tmp_path}"]
    _interrupt_after(monkeypatch, 3)
    assert main(args) == 130
    [line] = [x for x in capsys.readouterr().err.splitlines() if "interrupted" in x]
    assert line == (
        f"empathy-gym rollout: interrupted; kept 3 episode records in {tmp_path / 'episodes.jsonl'}."
        f" Resume: rerun the same command with output_dir={tmp_path}"
    )
    monkeypatch.undo()
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary == {"written": EPISODES - 3, "skipped": 3, "existing_before": 3}
    ids = _ids(tmp_path / "episodes.jsonl")
    assert len(ids) == len(set(ids)) == EPISODES


def _record(i):
    return records.EpisodeRecord(
        episode_id=f"e{i}",
        agent="a",
        persona_id="p",
        category="c",
        seed=i,
        target="genuine",
        opening="hi",
        initial_state={"score": 40.0},
    )


def test_ctrl_c_mid_write_leaves_only_whole_records(tmp_path, monkeypatch):
    path = tmp_path / "episodes.jsonl"
    real_write = os.write

    def half_then_interrupt(fd, data):
        real_write(fd, data[: len(data) // 2])
        raise KeyboardInterrupt

    with RecordWriter(path) as writer:
        writer.write(_record(0))
        monkeypatch.setattr(records.os, "write", half_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            writer.write(_record(1))
        monkeypatch.undo()
        assert path.read_bytes().endswith(b"}\n")  # the half line is gone at once
        writer.write(_record(2))
    assert [r.episode_id for r in read_records(path)] == ["e0", "e2"]
    assert existing_episode_ids(path) == {"e0", "e2"}


@pytest.mark.slow
def test_ctrl_c_in_evaluate_prints_one_line_and_exits_130(tmp_path):
    """A real SIGINT to `empathy-gym evaluate` once records are streaming."""
    path = tmp_path / "episodes.jsonl"
    args = ["persona_set=all", "seeds=3", "env.max_turns=3", "progress=false"]
    process = subprocess.Popen(
        [sys.executable, "-m", "empathy_gym.cli", "evaluate", *args, f"output_dir={tmp_path}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (path.exists() and path.stat().st_size):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    [line] = [x for x in err.splitlines() if "interrupted" in x]
    kept = int(re.search(r"kept (\d+) episode records", line).group(1))
    assert kept == len(set(_ids(path))) == len(_ids(path)) >= 1
    assert f"output_dir={tmp_path}" in line


def _run_with_duplicates(tmp_path, name):
    """A small evaluate run, and a copy whose file repeats an episode key with other returns."""
    clean, dup = tmp_path / name / "clean", tmp_path / name / "dup"
    for run in (clean, dup):
        assert main(["evaluate", *SMALL, "agents=[Pacifier,Sycophant]", f"output_dir={run}"]) == 0
    first = json.loads((dup / "episodes.jsonl").read_text().splitlines()[0])
    first["returns"] = {target: value + 5.0 for target, value in first["returns"].items()}
    with (dup / "episodes.jsonl").open("a") as handle:
        handle.write(json.dumps(first) + "\n")
    return clean, dup, first["episode_id"]


def test_compare_warns_about_duplicate_keys_and_keeps_the_first(tmp_path, capsys):
    from empathy_gym.eval.compare import compare_runs

    clean, dup, key = _run_with_duplicates(tmp_path, "compare")
    capsys.readouterr()
    deltas = compare_runs(clean, dup)
    err = capsys.readouterr().err
    assert str(dup / "episodes.jsonl") in err and "1 duplicate" in err and repr(key) in err
    assert deltas and all(d.diff == 0.0 for d in deltas)


def test_report_warns_about_duplicate_keys_and_keeps_the_first(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from empathy_gym.eval.report import build_report

    _, dup, key = _run_with_duplicates(tmp_path, "report")
    capsys.readouterr()
    html = build_report(dup).read_text()
    err = capsys.readouterr().err
    assert str(dup / "episodes.jsonl") in err and "1 duplicate" in err and repr(key) in err
    episodes_per_row = re.findall(r"<td>(\d+)</td></tr>", html)
    assert episodes_per_row and set(episodes_per_row) == {"2"}  # 2 personas x 1 seed, not 3


def test_connect_starts_its_own_local_ray_whatever_ray_address_says(monkeypatch, capsys):
    ray = pytest.importorskip("ray", reason="the rllib extra is not installed")
    from empathy_gym.rollout.cluster import connect

    calls = []
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setenv("RAY_ADDRESS", BOGUS_RAY)
    assert connect(num_cpus=3) is True
    assert calls[-1]["address"] == "local" and calls[-1]["num_cpus"] == 3
    assert f"RAY_ADDRESS={BOGUS_RAY} is set" in capsys.readouterr().err
    assert connect(num_cpus=3, address="auto") is True  # an explicit address joins, no num_cpus
    assert calls[-1] == {"address": "auto", "log_to_driver": False}


@pytest.mark.slow
@pytest.mark.parametrize("stray", ["RAY_ADDRESS", "address file"])
def test_the_pool_runs_on_a_local_ray_whatever_cluster_it_could_find(tmp_path, monkeypatch, stray):
    """The flaky failure: Ray's no-address init joins RAY_ADDRESS or the address file's cluster
    (another test's or user's) and refuses num_cpus; the pool must start a Ray of its own."""
    pytest.importorskip("ray", reason="the rllib extra is not installed")
    from empathy_gym.personas.sets import resolve_personas
    from empathy_gym.rollout.episodes import plan_jobs
    from empathy_gym.rollout.pool import RolloutPool

    if stray == "RAY_ADDRESS":
        monkeypatch.setenv("RAY_ADDRESS", BOGUS_RAY)
    else:  # where `ray start` and ray.cluster_utils.Cluster record "the" cluster of this machine
        ray_tmp = tempfile.mkdtemp(prefix="eg", dir="/tmp")  # short: Ray's socket paths live here
        monkeypatch.setenv("RAY_TMPDIR", ray_tmp)
        os.makedirs(os.path.join(ray_tmp, "ray"))
        with open(os.path.join(ray_tmp, "ray", "ray_current_cluster"), "w") as handle:
            handle.write(BOGUS_RAY)
    jobs = plan_jobs(["Pacifier"], resolve_personas("starter")[:2], [0])
    try:
        pool = RolloutPool(workers=1, env_spec={"max_turns": 2})
        summary = pool.run(jobs, tmp_path / "episodes.jsonl")
        pool.shutdown()
    finally:
        import ray

        ray.shutdown()
        if stray != "RAY_ADDRESS":
            shutil.rmtree(ray_tmp, ignore_errors=True)
    assert summary.written == 2 and existing_episode_ids(tmp_path / "episodes.jsonl")


def test_an_interrupted_save_resumes_from_the_newest_whole_checkpoint(tmp_path):
    from empathy_gym.train import PROGRESS_FILE, latest_checkpoint

    for name, iteration in (("checkpoint.previous", 2), ("checkpoint.partial", 4)):
        (tmp_path / name).mkdir()
        progress = {"iteration": iteration, "history": [{"iteration": i} for i in range(iteration)]}
        (tmp_path / name / PROGRESS_FILE).write_text(json.dumps(progress))
    path, progress = latest_checkpoint(tmp_path)
    assert path == tmp_path / "checkpoint" and progress["iteration"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]
    (path / PROGRESS_FILE).write_text("{")
    with pytest.raises(ValueError, match=r"checkpoint/empathy_gym_progress.json: not a readable"):
        latest_checkpoint(tmp_path)


@pytest.mark.slow
def test_train_checkpoints_and_a_rerun_resumes_after_ctrl_c(tmp_path, capsys, monkeypatch):
    pytest.importorskip("ray", reason="the rllib extra is not installed")
    from ray.rllib.algorithms.algorithm import Algorithm

    monkeypatch.setenv("RAY_ADDRESS", BOGUS_RAY)  # a stray address: train still runs locally
    args = [
        "train",
        "target=genuine",
        "persona_set=starter",
        "train.iterations=3",
        "train.checkpoint_every=2",
        "train.train_batch_size=100",
        "train.minibatch_size=50",
        "train.num_epochs=1",
        "train.env_runners=0",
        f"output_dir={tmp_path}",
    ]
    real_train, calls = Algorithm.train, []

    def train(self):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_train(self)

    monkeypatch.setattr(Algorithm, "train", train)
    assert main(args) == 130
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if "interrupted" in x]
    assert f"kept the checkpoint of iteration 2 in {tmp_path / 'checkpoint'}" in line
    assert "Traceback" not in err
    monkeypatch.setattr(Algorithm, "train", real_train)
    assert main(args) == 0
    assert "resumed from iteration 2" in capsys.readouterr().out
    summary = json.loads((tmp_path / "train_summary.json").read_text())
    assert summary["resumed_from"] == 2 and summary["iterations"] == 3
    assert [h["iteration"] for h in summary["history"]] == [1, 2, 3]
    progress = json.loads((tmp_path / "checkpoint" / "empathy_gym_progress.json").read_text())
    assert progress["iteration"] == 3
    module = tmp_path / "checkpoint" / "learner_group" / "learner" / "rl_module" / "default_policy"
    assert module.is_dir()  # what policy=rllib loads

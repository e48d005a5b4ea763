"""The HTML report and the run comparison; the report is loaded in headless Chromium where installed."""

import re
import shutil
import subprocess

import pytest

pytest.importorskip("matplotlib", reason="reports need matplotlib (the report extra)")

from empathy_gym.cli import main  # noqa: E402
from empathy_gym.eval.compare import compare_runs  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    args = [
        "evaluate",
        "personas=[maria_lost_mother,lena_antibiotics_cold,b_kayla_young_carer_crisis]",
        "seeds=2",
        "env.max_turns=5",
        "progress=false",
        f"output_dir={out}",
    ]
    assert main(args) == 0
    assert main(["report", str(out)]) == 0
    return out


def test_report_has_every_section(run_dir):
    page = (run_dir / "report.html").read_text()
    for section in (
        "leaderboard",
        "trajectories",
        "pacification",
        "categories",
        "beliefs",
        "components",
        "viewer",
    ):
        assert f'<section id="{section}">' in page
    assert page.count('class="leaderboard"') == 5  # one table per target
    assert page.count("data:image/png;base64,") == 5
    assert page.count('<div class="episode"') == 5 * 3 * 2
    assert "http://" not in page and "https://" not in page  # opens from disk, fetches nothing


def _chromium(run_dir, *extra, url_suffix=""):
    command = [
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={run_dir / 'chromium-profile'}",
        *extra,
        f"file://{run_dir / 'report.html'}{url_suffix}",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian package `chromium`; .ci/run installs it)",
)
def test_report_renders_in_headless_chromium_without_console_errors(run_dir):
    shot = run_dir / "report.png"
    result = _chromium(run_dir, "--window-size=1400,2000", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 20_000
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    dom = _chromium(run_dir, "--dump-dom", url_suffix="#ep3").stdout
    assert 'data-shown="ep3"' in dom  # the viewer's script ran and showed the episode asked for
    assert re.search(r'<div class="episode" id="ep3">', dom) and re.search(
        r'<div class="episode" id="ep0" hidden', dom
    )


def test_compare_flags_what_moved(run_dir, tmp_path, capsys):
    other = tmp_path / "other"
    assert (
        main(
            [
                "evaluate",
                "personas=[maria_lost_mother,lena_antibiotics_cold,b_kayla_young_carer_crisis]",
                "seeds=2",
                "env.max_turns=5",
                "agents=[CuriousEmpath,Pacifier]",
                "progress=false",
                f"output_dir={other}",
            ]
        )
        == 0
    )
    deltas = {(d.agent, d.metric): d for d in compare_runs(run_dir, other)}
    same = deltas[("CuriousEmpath", "return/genuine")]
    assert same.diff == pytest.approx(0.0) and not same.moved  # same seeds, same episodes
    assert ("Sycophant", "return/genuine") not in deltas  # only agents in both runs
    capsys.readouterr()
    assert main(["compare", str(run_dir), str(other)]) == 0
    assert "B - A (95% CI)" in capsys.readouterr().out
    assert main(["compare", str(run_dir), str(tmp_path / "missing")]) == 2
    assert "no episodes.jsonl" in capsys.readouterr().err


def test_compare_detects_a_real_change(tmp_path):
    for name, turns in (("short", 2), ("long", 8)):
        assert (
            main(
                [
                    "evaluate",
                    "personas=[maria_lost_mother]",
                    "seeds=4",
                    f"env.max_turns={turns}",
                    "agents=[CuriousEmpath]",
                    "progress=false",
                    f"output_dir={tmp_path / name}",
                ]
            )
            == 0
        )
    deltas = {(d.agent, d.metric): d for d in compare_runs(tmp_path / "short", tmp_path / "long")}
    moved = deltas[("CuriousEmpath", "understood")]
    assert moved.moved and moved.diff > 0  # longer conversations: more understood

"""`empathy-gym report RUN_DIR`: one static HTML file from a run's episode records.

No server, no network: plots are matplotlib PNGs embedded as data URIs, and the only
script is a few lines that switch the episode shown in the viewer. Sections:
leaderboard per target (95% CIs over episodes); mean trajectories per agent with
bands; the gap between the affect a person *shows* and how they *feel* (1 - distress),
which is where pacification is visible; small multiples per persona category; belief
outcomes per agent; the reward components behind each agent's return, stacked; and an
episode viewer with hidden state, appraisal and components beside every turn.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from empathy_gym.eval.leaderboard import HELD, leaderboard
from empathy_gym.eval.stats import mean_ci
from empathy_gym.rewards import make_target
from empathy_gym.rollout.records import EpisodeRecord, read_unique_records
from empathy_gym.simulator.appraisal import PRESENT

TRAJECTORY_KEYS = ("score", "understood", "distress", "expressed", "trust")
AGENT_COLORS = [
    "#2a7ab0",
    "#d1495b",
    "#edae49",
    "#66a182",
    "#8d6a9f",
    "#00798c",
    "#30638e",
    "#a36361",
    "#5c5c5c",
]


def _require_matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("reports need matplotlib: pip install 'empathy-gym[report]'") from error
    return plt


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def trajectory(record: EpisodeRecord, key: str) -> list[float]:
    """Return one episode's values of `key` from the start through every turn (the score scaled to
    0-1).
    """
    values = [record.initial_state[key]] + [t.hidden_state[key] for t in record.turns]
    return [v / 100.0 for v in values] if key == "score" else values


def mean_band(series: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% band per turn over the episodes still running at that turn."""
    length = max(len(s) for s in series)
    means, lows, highs = [], [], []
    for t in range(length):
        mean, half = mean_ci([s[t] for s in series if len(s) > t])
        means.append(mean)
        lows.append(mean - half)
        highs.append(mean + half)
    return np.array(means), np.array(lows), np.array(highs)


def belief_outcomes(records: Sequence[EpisodeRecord]) -> dict[str, dict[str, int]]:
    """Per agent, each held false belief ends corrected (< 0.5), endorsed (rose, or was endorsed) or untouched."""
    out: dict[str, dict[str, int]] = defaultdict(
        lambda: {"corrected": 0, "endorsed": 0, "untouched": 0}
    )
    for r in records:
        if not r.turns:
            continue
        final = r.turns[-1].hidden_state["beliefs"]
        for belief, start in r.initial_state["beliefs"].items():
            if start < HELD:
                continue
            endorsed = any(
                t.appraisal.get("endorsements", {}).get(belief, 0) >= PRESENT for t in r.turns
            )
            if final[belief] < HELD:
                out[r.agent]["corrected"] += 1
            elif endorsed or final[belief] > start:
                out[r.agent]["endorsed"] += 1
            else:
                out[r.agent]["untouched"] += 1
    return dict(out)


TARGETS_FILE = (
    "targets.json"  # name -> component weights, written beside the records by every CLI run
)


def run_targets(run_dir: Path, names: Sequence[str]) -> dict[str, dict[str, float]]:
    """The weights of each target a run used, from its targets.json (runs before it: presets by name)."""
    path = run_dir / TARGETS_FILE
    if path.is_file():
        stored = json.loads(path.read_text())
        missing = [n for n in names if n not in stored]
        if missing:
            raise ValueError(f"{path}: no weights for target(s) {missing} that the records score")
        return {n: dict(stored[n]) for n in names}
    try:
        return {n: dict(make_target(n).weights) for n in names}
    except ValueError as error:
        raise ValueError(
            f"{run_dir}: no {TARGETS_FILE} and {error} (rerun with this release to store the weights)"
        ) from None


def component_contributions(
    records: Sequence[EpisodeRecord], weights: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Per agent, the mean per-episode weighted sum of each component of a target (`weights`)."""
    by_agent: dict[str, list[EpisodeRecord]] = defaultdict(list)
    for r in records:
        by_agent[r.agent].append(r)
    out = {}
    for agent, episodes in by_agent.items():
        out[agent] = {
            name: float(
                np.mean(
                    [sum(t.reward_components.get(name, 0.0) for t in r.turns) * w for r in episodes]
                )
            )
            for name, w in weights.items()
        }
    return out


class ReportBuilder:
    """Builds the self-contained HTML report of a run: leaderboards, plots and an episode viewer."""

    def __init__(
        self,
        records: Sequence[EpisodeRecord],
        title: str,
        weights: dict[str, dict[str, float]] | None = None,
    ):
        if not records:
            raise ValueError("no episode records to report on")
        self.plt = _require_matplotlib()
        self.records = list(records)
        self.title = title
        self.agents = sorted({r.agent for r in records})
        self.colors = {a: AGENT_COLORS[i % len(AGENT_COLORS)] for i, a in enumerate(self.agents)}
        self.targets = list(records[0].returns)
        self.weights = (
            weights
            if weights is not None
            else {t: dict(make_target(t).weights) for t in self.targets}
        )

    def _by_agent(self, records=None):
        groups: dict[str, list[EpisodeRecord]] = defaultdict(list)
        for r in records if records is not None else self.records:
            groups[r.agent].append(r)
        return groups

    def leaderboard_html(self) -> str:
        """Return one leaderboard table per reward target, as HTML."""
        parts = []
        for target in self.targets:
            rows = leaderboard(self.records, target)
            body = "".join(
                f"<tr><td>{i}</td><td>{html.escape(r.agent)}</td>"
                f"<td>{r.mean_return:+.3f} &plusmn; {r.return_ci:.3f}</td>"
                f"<td>{r.final_score:.1f}</td><td>{r.understood:.2f}</td><td>{r.distress:.2f}</td>"
                f"<td>{r.beliefs_corrected:.0%}</td><td>{r.endorsements:.2f}</td><td>{r.episodes}</td></tr>"
                for i, r in enumerate(rows, 1)
            )
            parts.append(
                f'<table class="leaderboard" data-target="{html.escape(target)}">'
                f"<caption>target: {html.escape(target)}</caption>"
                "<tr><th>rank</th><th>agent</th><th>return (95% CI)</th><th>final score</th>"
                "<th>understood</th><th>distress</th><th>beliefs corrected</th>"
                f"<th>endorsing turns/ep</th><th>episodes</th></tr>{body}</table>"
            )
        return "".join(parts)

    def trajectories_png(self) -> str:
        """Return a plot of each agent's mean trajectory with its 95% band, as a PNG data URI."""
        fig, axes = self.plt.subplots(
            1, len(TRAJECTORY_KEYS), figsize=(4 * len(TRAJECTORY_KEYS), 3.2), sharex=True
        )
        for ax, key in zip(axes, TRAJECTORY_KEYS):
            for agent, episodes in self._by_agent().items():
                mean, low, high = mean_band([trajectory(r, key) for r in episodes])
                turns = np.arange(len(mean))
                ax.plot(turns, mean, color=self.colors[agent], label=agent)
                ax.fill_between(turns, low, high, color=self.colors[agent], alpha=0.2)
            ax.set_title(key + (" / 100" if key == "score" else ""))
            ax.set_xlabel("turn")
            ax.set_ylim(0, 1)
        axes[0].legend(fontsize=7)
        return _png(fig)

    def pacification_png(self) -> str:
        """Return a plot per agent of expressed against felt relief, as a PNG data URI: where they
        part, the person is masking.
        """
        groups = self._by_agent()
        fig, axes = self.plt.subplots(
            1, len(groups), figsize=(3.2 * len(groups), 3), sharey=True, squeeze=False
        )
        for ax, (agent, episodes) in zip(axes[0], sorted(groups.items())):
            shown, _, _ = mean_band([trajectory(r, "expressed") for r in episodes])
            felt, _, _ = mean_band([[1 - d for d in trajectory(r, "distress")] for r in episodes])
            turns = np.arange(len(shown))
            ax.plot(turns, shown, color="#d1495b", label="shown (expressed)")
            ax.plot(turns, felt, color="#2a7ab0", label="felt (1 - distress)")
            ax.fill_between(
                turns, felt, shown, where=shown >= felt, color="#d1495b", alpha=0.25, label="masked"
            )
            ax.set_title(agent)
            ax.set_ylim(0, 1)
            ax.set_xlabel("turn")
        axes[0][0].legend(fontsize=7)
        return _png(fig)

    def categories_png(self, key: str = "understood") -> str:
        """Return a plot per persona category of each agent's mean `key` trajectory, as a PNG data URI."""
        categories = sorted({r.category for r in self.records})
        cols = min(4, len(categories))
        rows = (len(categories) + cols - 1) // cols
        fig, axes = self.plt.subplots(
            rows, cols, figsize=(3.2 * cols, 2.4 * rows), sharex=True, sharey=True, squeeze=False
        )
        for ax in axes.flat[len(categories) :]:
            ax.axis("off")
        for ax, category in zip(axes.flat, categories):
            subset = [r for r in self.records if r.category == category]
            for agent, episodes in self._by_agent(subset).items():
                mean, low, high = mean_band([trajectory(r, key) for r in episodes])
                ax.plot(np.arange(len(mean)), mean, color=self.colors[agent], label=agent)
            ax.set_title(category, fontsize=9)
            ax.set_ylim(0, 1)
        axes.flat[0].legend(fontsize=6)
        fig.suptitle(f"{key} by persona category")
        return _png(fig)

    def beliefs_png(self) -> str:
        """Return stacked bars of each agent's false-belief outcomes, as a PNG data URI."""
        outcomes = belief_outcomes(self.records)
        agents = [a for a in self.agents if a in outcomes]
        fig, ax = self.plt.subplots(figsize=(1.3 * max(3, len(agents)) + 2, 3))
        bottom = np.zeros(len(agents))
        for label, color in (
            ("corrected", "#66a182"),
            ("untouched", "#bbbbbb"),
            ("endorsed", "#d1495b"),
        ):
            values = np.array([outcomes[a][label] for a in agents], dtype=float)
            totals = np.array([sum(outcomes[a].values()) for a in agents], dtype=float)
            shares = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
            ax.bar(agents, shares, bottom=bottom, color=color, label=label)
            bottom += shares
        ax.set_ylabel("share of held false beliefs")
        ax.legend(fontsize=7)
        ax.tick_params(axis="x", labelsize=8)
        return _png(fig)

    def components_png(self, target: str) -> str:
        """Return stacked bars of each agent's weighted reward components under `target`, as a PNG data
        URI.
        """
        contributions = component_contributions(self.records, self.weights[target])
        agents = [a for a in self.agents if a in contributions]
        names = sorted({n for c in contributions.values() for n in c})
        fig, ax = self.plt.subplots(figsize=(1.3 * max(3, len(agents)) + 3, 3.5))
        pos, neg = np.zeros(len(agents)), np.zeros(len(agents))
        cmap = self.plt.get_cmap("tab20")
        for i, name in enumerate(names):
            values = np.array([contributions[a].get(name, 0.0) for a in agents])
            base = np.where(values >= 0, pos, neg)
            ax.bar(agents, values, bottom=base, color=cmap(i % 20), label=name)
            pos += np.where(values >= 0, values, 0)
            neg += np.where(values < 0, values, 0)
        ax.scatter(agents, pos + neg, color="black", zorder=3, label="return")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(f"where the {target} return comes from")
        ax.legend(fontsize=6, bbox_to_anchor=(1.01, 1), loc="upper left")
        ax.tick_params(axis="x", labelsize=8)
        return _png(fig)

    def viewer_html(self, limit: int = 300) -> str:
        """Return an episode picker and the transcripts of up to `limit` episodes, as HTML."""
        episodes = sorted(self.records, key=lambda r: r.episode_id)[:limit]
        options = "".join(
            f'<option value="ep{i}">{html.escape(r.episode_id)}</option>'
            for i, r in enumerate(episodes)
        )
        blocks = []
        for i, r in enumerate(episodes):
            rows = [
                f'<tr><td>0</td><td></td><td>{html.escape(r.opening)}</td><td>{_state_cell(r.initial_state)}</td><td></td><td></td></tr>'
            ]
            for t in r.turns:
                acts = ", ".join(
                    f"{k} {v:.2f}"
                    for k, v in t.appraisal.items()
                    if isinstance(v, float) and v > 0 and k != "reflection_accuracy"
                )
                comps = ", ".join(
                    f"{k} {v:+.3f}" for k, v in t.reward_components.items() if abs(v) > 1e-9
                )
                rows.append(
                    f"<tr><td>{t.turn}</td><td>{html.escape(t.agent)}</td><td>{html.escape(t.person)}</td>"
                    f"<td>{_state_cell(t.hidden_state)}</td><td>{html.escape(acts)}</td><td>{html.escape(comps)}</td></tr>"
                )
            returns = ", ".join(f"{k} {v:+.3f}" for k, v in r.returns.items())
            blocks.append(
                f'<div class="episode" id="ep{i}"{"" if i == 0 else " hidden"}><p>{html.escape(r.agent)} with '
                f"{html.escape(r.persona_id)} (seed {r.seed}); returns: {html.escape(returns)}</p>"
                "<table><tr><th>turn</th><th>agent</th><th>person</th><th>hidden state</th><th>appraisal</th>"
                f"<th>reward components</th></tr>{''.join(rows)}</table></div>"
            )
        note = (
            f"<p>showing {len(episodes)} of {len(self.records)} episodes</p>"
            if len(self.records) > limit
            else ""
        )
        return f'<select id="episode-picker">{options}</select>{note}{"".join(blocks)}'

    def build(self) -> str:
        """Return the whole report as one HTML page."""
        primary = "genuine" if "genuine" in self.targets else self.targets[0]
        sections = [
            ("leaderboard", "Leaderboard", self.leaderboard_html()),
            (
                "trajectories",
                "Trajectories (mean, 95% band)",
                f'<img alt="trajectories" src="{self.trajectories_png()}">',
            ),
            (
                "pacification",
                "Shown vs felt: pacification is the red gap",
                f'<img alt="pacification" src="{self.pacification_png()}">',
            ),
            (
                "categories",
                "By persona category",
                f'<img alt="categories" src="{self.categories_png()}">',
            ),
            (
                "beliefs",
                "False beliefs: corrected, untouched, endorsed",
                f'<img alt="beliefs" src="{self.beliefs_png()}">',
            ),
            (
                "components",
                f"Reward components ({primary})",
                f'<img alt="components" src="{self.components_png(primary)}">',
            ),
            ("viewer", "Episode viewer", self.viewer_html()),
        ]
        body = "".join(
            f'<section id="{sid}"><h2>{title}</h2>{content}</section>'
            for sid, title, content in sections
        )
        return PAGE.format(
            title=html.escape(self.title), n=len(self.records), agents=len(self.agents), body=body
        )


def _state_cell(state: dict) -> str:
    keys = ("score", "understood", "distress", "expressed", "trust")
    text = " ".join(
        f"{k[:4]} {state[k]:.2f}" if k != "score" else f"score {state[k]:.0f}" for k in keys
    )
    beliefs = " ".join(f"{b[:12]} {v:.2f}" for b, v in state.get("beliefs", {}).items())
    return html.escape(text + (f" | beliefs {beliefs}" if beliefs else ""))


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; }}
caption {{ text-align: left; font-weight: bold; }}
img {{ max-width: 100%; }}
.episode td:nth-child(2), .episode td:nth-child(3) {{ max-width: 320px; }}
</style></head>
<body><h1>{title}</h1><p>{n} episodes, {agents} agents.</p>{body}
<script>
function showEpisode(id) {{
  var picker = document.getElementById("episode-picker");
  if (!document.getElementById(id)) return;
  document.querySelectorAll(".episode").forEach(function (div) {{ div.hidden = div.id !== id; }});
  picker.value = id;
  document.body.dataset.shown = id;
}}
document.getElementById("episode-picker").addEventListener("change", function (event) {{
  showEpisode(event.target.value);
}});
showEpisode(location.hash ? location.hash.slice(1) : "ep0");
</script></body></html>
"""


def build_report(run_dir: str | Path, output: str | Path | None = None) -> Path:
    """Write the HTML report of a run directory (to `output`, default its report.html) and return the
    path.
    """
    run_dir = Path(run_dir)
    path = run_dir / "episodes.jsonl"
    if not path.exists():
        raise FileNotFoundError(
            f"{run_dir}: no episodes.jsonl (is this a run directory from `empathy-gym evaluate`?)"
        )
    records = read_unique_records(path)  # duplicate episode keys: warned about, first kept
    weights = run_targets(run_dir, list(records[0].returns)) if records else None
    html_text = ReportBuilder(records, f"empathy-gym report: {run_dir.name}", weights).build()
    output = Path(output) if output else run_dir / "report.html"
    tmp = output.with_suffix(".html.tmp")
    tmp.write_text(html_text, encoding="utf-8")
    tmp.replace(output)
    return output

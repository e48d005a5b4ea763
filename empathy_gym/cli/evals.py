"""The evaluation commands: validate, fit-reader, voice-report, beliefs-eval.

Each parses its flags here and calls the evaluation library (`empathy_gym.eval`), which
owns no command line of its own.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from empathy_gym.envs.spec import DEFAULT_MAX_TURNS
from empathy_gym.eval import beliefs, calibrate, esconv, validate, voice
from empathy_gym.simulator.readers import DEFAULT_READER
from empathy_gym.simulator.readers.semantic import SemanticReader


def validate_command(argv: list[str]) -> int:
    """`empathy-gym validate --data PATH [--split NAME|all] [--limit N] [--reader NAME] [--output FILE]`."""
    parser = argparse.ArgumentParser(
        prog="empathy-gym validate",
        description="Replay ESConv-format conversations through a simulated person and report its fidelity.",
    )
    parser.add_argument("--data", required=True, help="ESConv-format JSONL, one dialogue a line")
    parser.add_argument(
        "--split",
        default="all",
        help="the dialogues of this split (any split name the file holds, e.g. valid); all: every dialogue",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="the first N dialogues of the split"
    )
    parser.add_argument(
        "--reader",
        default=DEFAULT_READER,
        help=f"the simulated person's reader: {DEFAULT_READER} (default), semantic, rule, minilm or llm",
    )
    parser.add_argument(
        "--backend", help="for --reader llm: openai, vllm, transformers or scripted"
    )
    parser.add_argument("--model", help="for --reader llm: the model name")
    parser.add_argument(
        "--base-url",
        help="for --reader llm --backend openai: the server, e.g. http://127.0.0.1:8000/v1",
    )
    parser.add_argument(
        "--head", help="with --reader semantic or minilm: an act head from `empathy-gym fit-reader`"
    )
    parser.add_argument("--output", help="also write the report as JSON here")
    ns = parser.parse_args(argv)
    try:
        backend_kwargs = {k: v for k, v in (("model", ns.model), ("base_url", ns.base_url)) if v}
        if ns.head:
            if ns.reader not in ("semantic", "minilm"):
                raise ValueError("--head works with --reader semantic or minilm")
            from empathy_gym.simulator.readers.semantic import SemanticReader

            encoder = "static" if ns.reader == "semantic" else "minilm"
            kwargs = {"reader": SemanticReader.load(encoder, head=ns.head)}
        else:
            kwargs = validate.reader_kwargs(ns.reader, ns.backend, **backend_kwargs)
        dialogues = esconv.load_dialogues(ns.data, split=ns.split, limit=ns.limit)
        if not dialogues:
            raise ValueError(f"no dialogues in {ns.data} (split {ns.split})")
        report = validate.validate(dialogues, sim_kwargs=kwargs, reader_name=ns.reader)
        print(validate.format_report(report))
        if ns.output:
            out = Path(ns.output)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
            print(f"wrote {out}", file=sys.stderr)
    except (FileNotFoundError, ValueError, ImportError, OSError) as error:
        print(f"empathy-gym validate: {error}", file=sys.stderr)
        return 2
    return 0


def fit_reader_command(argv: list[str]) -> int:
    """`empathy-gym fit-reader --data PATH --output HEAD.npz [--fit-split train] [--measure-split valid]`.

    Progress bars go to stderr unless `--no-progress`.
    """
    parser = argparse.ArgumentParser(
        prog="empathy-gym fit-reader",
        description="Train an act head on your own ESConv-format data (for your own research use; "
        "a head fitted on non-redistributable data must not be redistributed).",
    )
    parser.add_argument("--data", required=True)
    parser.add_argument("--output", required=True, help="where to write the head (.npz)")
    parser.add_argument("--fit-split", default="train", help="any split name the file holds")
    parser.add_argument("--measure-split", default="valid", help="'' to skip the measurement")
    parser.add_argument("--encoder", default="static", choices=["static", "minilm"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="progress bars on stderr (default: on)",
    )
    ns = parser.parse_args(argv)
    try:
        # Both splits are checked before the minute of fitting, so a typo fails at once.
        fit_on = esconv.load_dialogues(ns.data, split=ns.fit_split)
        measure_on = (
            esconv.load_dialogues(ns.data, split=ns.measure_split) if ns.measure_split else []
        )
        reader = SemanticReader.load(ns.encoder)
        head = calibrate.fit_head(reader, fit_on, seed=ns.seed, progress=ns.progress)
        head.save(ns.output)
        print(f"wrote {ns.output} (fitted on {len(fit_on)} dialogues, split {ns.fit_split!r})")
        if measure_on:
            split = ns.measure_split
            before = calibrate.ScoredTurns.read(
                reader, measure_on, ns.progress, f"reading {split!r}"
            )
            fitted = SemanticReader(reader.encoder, head, reader.beliefs)
            after = calibrate.ScoredTurns.read(
                fitted, measure_on, ns.progress, f"reading {split!r} again"
            )
            print(
                f"strategy macro-F1 on {split!r}: shipped reader "
                f"{before.f1(reader.head.offsets):.3f}, fitted {after.f1(head.offsets):.3f}"
            )
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"empathy-gym fit-reader: {error}", file=sys.stderr)
        return 2
    return 0


def voice_report_command(argv: list[str]) -> int:
    """`empathy-gym voice-report`: does the simulated person talk like a person."""
    parser = argparse.ArgumentParser(
        prog="empathy-gym voice-report",
        description=voice.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--reader", default=DEFAULT_READER)
    parser.add_argument("--personas", default="starter")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--agents", default=",".join(voice.AGENTS))
    parser.add_argument("--max-turns", type=int, default=DEFAULT_MAX_TURNS)
    parser.add_argument(
        "--backend", help="an LLM plays the person: openai | vllm | transformers | scripted"
    )
    parser.add_argument("--model")
    parser.add_argument("--base-url")
    parser.add_argument("--json", help="also write the report here")
    ns = parser.parse_args(argv)
    spec: dict = {"reader": ns.reader}
    if ns.backend:
        backend = {
            "kind": ns.backend,
            **({"model": ns.model} if ns.model else {}),
            **({"base_url": ns.base_url} if ns.base_url else {}),
        }
        spec["backend"] = backend
    try:
        from empathy_gym.envs.build import env_kwargs_from_spec

        report = voice.voice_report(
            ns.agents.split(","),
            ns.personas,
            range(ns.seeds),
            env_kwargs_from_spec(spec),
            ns.max_turns,
        )
    except (ValueError, ImportError, RuntimeError) as error:
        print(f"empathy-gym voice-report: {error}", file=sys.stderr)
        return 2
    print(
        f"{report.replies} replies, {report.sentences} sentences: said twice in an episode "
        f"{report.sentence_repeat_rate:.1%} (goal < 1%), inside one reply "
        f"{report.repeats_within_reply} (goal 0); replies reciting a persona field "
        f"{report.recited_fields} ({report.recited_share:.1%}, goal 0); "
        f"distinct-2 {report.distinct_2:.2f}, "
        f"Spearman(sentiment, shown affect) {report.sentiment_vs_shown:+.2f} (goal >= 0.5), "
        f"with 1 - distress {report.sentiment_vs_relief:+.2f}, new content after an open question "
        f"{report.new_content_after_open_question:.0%} of {report.open_questions} (goal >= 80%; "
        f"{report.guarded_questions} more asked while trust was too low to answer)"
    )
    if ns.json:
        Path(ns.json).write_text(json.dumps(asdict(report), indent=2))
    return 0


def beliefs_eval_command(argv: list[str]) -> int:
    """`empathy-gym beliefs-eval PATH`: how a reader reads replies to false beliefs."""
    parser = argparse.ArgumentParser(
        prog="empathy-gym beliefs-eval",
        description=beliefs.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", help="a labelled .jsonl file or a folder of them")
    parser.add_argument("--reader", default=DEFAULT_READER, help="pair | semantic | rule | minilm")
    parser.add_argument("--misses", type=int, default=0, help="print this many misread replies")
    parser.add_argument("--json", help="also write the report here")
    ns = parser.parse_args(argv)
    try:
        replies = beliefs.load_belief_replies(ns.path)
        report = beliefs.evaluate_beliefs(replies, ns.reader)
    except (ValueError, FileNotFoundError, ImportError) as error:
        print(f"empathy-gym beliefs-eval: {error}", file=sys.stderr)
        return 2
    summary = report.to_dict()
    print(f"{ns.reader}: {summary['accuracy']:.1%} of {summary['n']} replies read correctly")
    for name in ("by_label", "by_kind"):
        print(f"  {name[3:]:<6} " + "  ".join(f"{k} {v:.0%}" for k, v in summary[name].items()))
    for reply, read in report.misses[: ns.misses]:
        print(f"  [{reply.label} read as {read}] {reply.persona}/{reply.belief}: {reply.text}")
    if ns.json:
        Path(ns.json).write_text(json.dumps(summary, indent=2))
    return 0

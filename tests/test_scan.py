"""The RE2 prefilter changes nothing the rule reader reads (issue 21).

`PatternScan` says which patterns may match so that `_read` runs `re` only for those. These
tests hold it to pure `re`: the same `TextReading` for every text the project ships, no
pattern dropped that `re` matches on arbitrary text (odd Unicode included), and every
lexicon pattern relaxed for RE2 (or knowingly always checked), so a new one cannot slip by.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import warnings
from pathlib import Path

import pytest
import re2  # a core dependency: these tests fail to collect without it, never skip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empathy_gym.simulator.readers import rule
from empathy_gym.text import lexicon as lx
from empathy_gym.text import scan as scan_module
from empathy_gym.text.scan import PatternScan, RelaxError, relax

DATA = Path(__file__).resolve().parent.parent / "data"
CORPORA = ("phrases*/*.jsonl", "pairs/*.jsonl", "beliefs*/*.jsonl")
# The fields of those files that hold a message; the others are ids and labels.
TEXT_FIELDS = {"text", "context", "reply"}
LABEL_FIELDS = {"persona", "belief", "register", "label", "kind"}
# Lexicon patterns with no RE2 relaxation: always checked with `re`. None today.
ALWAYS_CHECKED: set[str] = set()
# Patterns `_read` runs without the scan: they match (nearly) every message, or run on a
# handful of tokens.
UNSCANNED = {"TOKEN_RE", "SENTENCE_SPLIT_RE", "BACKCHANNEL"}

FAST = PatternScan(rule._SCANNED, use_re2=True)
PURE = PatternScan(rule._SCANNED, use_re2=False)


def read_with(scan: PatternScan, text: str) -> rule.TextReading:
    """`rule._read(text)` with `scan` as the reader's prefilter."""
    saved = rule._SCAN
    rule._SCAN = scan
    try:
        return rule._read(text)
    finally:
        rule._SCAN = saved


def corpus_texts() -> list[str]:
    """Every message in the shipped phrase, pair and belief files, each once."""
    texts: dict[str, None] = {}
    for pattern in CORPORA:
        for path in sorted(DATA.glob(pattern)):
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                unknown = {k for k, v in row.items() if isinstance(v, str)} - TEXT_FIELDS
                assert unknown <= LABEL_FIELDS, f"{path}: unknown text field(s) {unknown}"
                texts.update((row[k], None) for k in TEXT_FIELDS if isinstance(row.get(k), str))
    return list(texts)


# --- (i) the shipped texts read the same -------------------------------------------


def test_every_shipped_text_reads_the_same_with_the_prefilter_as_with_pure_re():
    texts = corpus_texts()
    assert len(texts) > 10_000  # phrases, pairs (context and reply) and beliefs
    differ = [t for t in texts if read_with(FAST, t) != read_with(PURE, t)]
    assert not differ, f"{len(differ)} texts read differently, e.g. {differ[:3]}"


def test_the_prefilter_skips_most_patterns_on_the_shipped_texts():
    """The scan is not vacuous: most patterns are skipped, so the exactness test above tests it."""
    texts = corpus_texts()
    named = sum(len(FAST.candidates(t)) for t in texts)
    assert named < 0.25 * len(texts) * len(FAST.names)
    assert rule._SCAN.relaxed, "the reader's own scan uses RE2 when google-re2 is installed"


# --- (ii) never a pattern dropped that `re` matches ------------------------------------

WORDS = sorted({w for p in rule._SCANNED.values() for w in re.findall(r"[a-z][a-z']*", p.pattern)})
ODD = [
    *"ſ\u212aKİıßéÉ\u0301’‘'\"`_-.,;:!?<>|/#[]=%0123456789",
    "\n", "\n\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000",
    "٣", "１", "Ⅻ", "ǅ", "ﬁ", "😀", "中文", "  ", " ",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "\n", ", ", ". ", "? ", "! ", "’", "'", ""]


def _oddly(word: str, how: int) -> str:
    """`word` as a user might type it: capitalised, long s, Kelvin sign, accented, curly apostrophe."""
    return [
        word,
        word.upper(),
        word.capitalize(),
        word.replace("s", "ſ"),
        word.replace("k", "\u212a"),
        word.replace("i", "İ"),
        word + "\u0301",
        word.replace("'", "’"),
    ][how % 8]


_word = st.builds(_oddly, st.sampled_from(WORDS), st.integers(0, 15))
# Strings each pattern matches, with arbitrary characters around them and in its classes.
_marker = st.one_of([st.from_regex(p) for p in rule._SCANNED.values()])
_piece = st.one_of(_marker, _word, _word, st.sampled_from(ODD), st.text(max_size=3))
TEXTS = st.lists(st.tuples(_piece, st.sampled_from(SEPARATORS)), max_size=12).map(
    lambda pieces: "".join(a + b for a, b in pieces)
)


def _matched_by_re(pattern: re.Pattern[str], parts: tuple[str, ...]) -> bool:
    """Whether `re` finds the pattern in a part, or matches or finds it in a line of one."""
    lines = [line for part in parts for line in part.split("\n")]
    return any(pattern.search(part) for part in parts) or any(
        pattern.match(line) or pattern.search(line) for line in lines
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(TEXTS, min_size=1, max_size=2))
def test_no_pattern_that_re_matches_is_dropped(parts):
    for variant in (tuple(parts), tuple(lx.normalize(p) for p in parts)):
        may = FAST.candidates(*variant)
        dropped = [
            name
            for name, pattern in rule._SCANNED.items()
            if name not in may and _matched_by_re(pattern, variant)
        ]
        assert not dropped, f"{dropped} match {variant!r} but the scan dropped them"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS)
def test_any_text_reads_the_same_with_the_prefilter_as_with_pure_re(text):
    assert read_with(FAST, text) == read_with(PURE, text)


# --- the relaxation on what RE2 reads differently from Python --------------------------

# (pattern, texts `re` finds it in). Each is a place where RE2 and Python part ways.
TRICKY = [
    (r"\bfoo\b", ["foo", "a foo!", "foo\n"]),
    (r"é\b", ["café", "café!"]),  # Python's \b is Unicode; RE2's ASCII
    (r"\w+ing", ["ſing", "éing", "中ing"]),  # \w: Unicode letters
    (r"\d\d", ["٣٣", "１2"]),  # \d: Unicode digits
    (r"a\sb", ["a\x1cb", "a\u2028b", "a\xa0b", "a\x0bb"]),  # \s: Unicode and \x1c-\x1f
    (r"a[^\w]b", ["a!b", "a\nb"]),
    (r"a[^\s]b", ["aéb", "a\x00b"]),
    (r"a\Wb", ["a b", "a\u2028b"]),
    (r"x(?<=x)y", ["xy"]),
    (r"x(?!z)", ["xy", "x"]),
    (r"(?<!a)b", ["b", "cb"]),
    (r"(a+)-\1", ["aa-aa"]),
    (r"(a)?(?(1)b|c)", ["ab", "c"]),
    (r"(?>a+)b", ["aab"]),
    (r"a++b", ["ab"]),
    (r"a+?b", ["aab"]),
    (r"a{1200}", ["a" * 1200]),
    (r"^\s*try\b", [" try it"]),
    (r"help[.!]?$", ["it can help", "it can help!\n"]),
    (r"(?m)^you$", ["so\nyou\nthen"]),
    (r"<\|[^|>]{0,40}\|>", ["<|im_start|>", "<|\u212a\n|>"]),
]


@pytest.mark.parametrize(("source", "texts"), TRICKY)
def test_the_relaxation_matches_wherever_python_does(source, texts):
    pattern = re.compile(source)
    relaxed = re2.compile(relax(pattern))
    scan = PatternScan({"p": pattern}, use_re2=True)
    for text in texts:
        assert pattern.search(text), f"bad example: {source!r} does not match {text!r}"
        assert relaxed.search(text), f"the relaxation of {source!r} misses {text!r}"
        assert "p" in scan.candidates(text)


def test_the_scan_skips_a_pattern_that_cannot_match():
    scan = PatternScan({"foo": re.compile(r"\bfoo\b"), "bar": re.compile(r"^bar")}, use_re2=True)
    assert scan.candidates("a foo here") == {"foo"}
    assert scan.candidates("no bar at the start") == set()
    assert scan.candidates("first\nbar second") == {"bar"}  # a line of the text
    assert scan.candidates("first", "bar") == {"bar"}  # each part starts a line


def test_a_case_insensitive_pattern_is_always_checked():
    with pytest.raises(RelaxError, match="case-insensitive"):
        relax(re.compile("foo", re.IGNORECASE))
    scan = PatternScan(
        {"i": re.compile("foo", re.IGNORECASE), "j": re.compile("a(?i:b)")}, use_re2=True
    )
    assert set(scan.always_checked) == {"i", "j"}
    assert scan.candidates("nothing here") == {"i", "j"}


def test_text_re2_cannot_read_or_a_failed_scan_checks_every_pattern():
    scan = PatternScan({"foo": re.compile("foo"), "bar": re.compile("bar")}, use_re2=True)
    assert scan.candidates("a lone surrogate \ud800") == {"foo", "bar"}

    class Failed:
        def Match(self, data):  # noqa: N802 (RE2's name)
            return None  # what re2.Set answers when its DFA runs out of memory

    scan._set = Failed()
    assert scan.candidates("neither") == {"foo", "bar"}


def test_without_google_re2_every_pattern_is_checked_and_that_is_said_once(monkeypatch):
    monkeypatch.setattr(scan_module, "re2", None)
    monkeypatch.setattr(scan_module, "_warned_no_re2", False)
    patterns = {"foo": re.compile("foo")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = PatternScan(patterns)
        PatternScan(patterns)
    assert [str(w.message)[:30] for w in caught] == ["google-re2 is not installed: t"]
    assert first.candidates("bar") == {"foo"}
    with pytest.raises(ImportError, match="pip install google-re2"):
        PatternScan(patterns, use_re2=True)


def test_the_pure_re_path_names_every_pattern():
    assert PURE.candidates("nothing at all") == PURE.names == set(rule._SCANNED)


# --- (iii) no pattern bypasses the scan unnoticed ---------------------------------------


def _lexicon_patterns() -> dict[str, re.Pattern[str]]:
    return {n: v for n, v in vars(lx).items() if isinstance(v, re.Pattern)}


def test_every_lexicon_pattern_has_a_relaxation_re2_compiles():
    patterns = _lexicon_patterns()
    assert len(patterns) > 20
    failed = {}
    for name, pattern in patterns.items():
        try:
            re2.compile(relax(pattern))
        except (RelaxError, re2.error) as error:
            failed[name] = str(error)
    assert set(failed) == ALWAYS_CHECKED, f"not relaxed for RE2: {failed}"


def test_the_reader_scans_every_pattern_it_runs_in_one_set():
    assert set(rule._SCAN.relaxed) == set(rule._SCANNED) - ALWAYS_CHECKED
    assert rule._SCAN.always_checked == {}


def test_read_runs_no_lexicon_pattern_outside_the_scan():
    """`_read` and its helpers call lexicon patterns only through the scan (or `UNSCANNED`)."""
    patterns = _lexicon_patterns()
    used = set()
    for function in (rule._read, rule._question, rule._act_hits):
        tree = ast.parse(inspect.getsource(function))
        used |= {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "lx"
            and node.attr in patterns
        }
    bypassing = used - UNSCANNED
    assert not bypassing, f"{bypassing}: add them to rule._SCANNED and call them via `scanned`"
    assert used >= UNSCANNED  # the check sees the patterns it lets through


# --- the belief reader's units ---------------------------------------------------------------


def test_every_shipped_text_has_the_same_belief_units_with_the_prefilter_as_with_pure_re():
    from empathy_gym.simulator.readers import beliefs

    pure = PatternScan(beliefs._UNIT_PATTERNS, use_re2=False)
    saved = beliefs._UNIT_SCAN
    skipped = 0
    try:
        for text in corpus_texts():
            units = beliefs.units_of(text)
            fast = beliefs._units_text(units)
            beliefs._UNIT_SCAN = pure
            assert beliefs._units_text(units) == fast, text
            beliefs._UNIT_SCAN = saved
            skipped += len(beliefs._UNIT_PATTERNS) - len(saved.candidates(*units))
    finally:
        beliefs._UNIT_SCAN = saved
    assert (
        skipped > 0
    )  # the scan does skip patterns here (else this test compares pure re with itself)

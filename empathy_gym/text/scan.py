"""One RE2 pass that tells which of many `re` patterns may match a text (issue 21).

The rule reader runs some thirty compiled `re` patterns over each message, and most of them
find nothing. `PatternScan` compiles an RE2 *relaxation* of each pattern into one `re2.Set`:
a single linear pass over the text says which patterns *may* match, and the caller runs the
exact `re` call only for those. The results are exactly pure `re`'s: a relaxation matches
wherever its pattern does (it only ever drops constraints), so a pattern is skipped only when
it cannot match.

How a pattern is relaxed (`relax`), from the parse tree Python's own `re` builds:

* `\\b`, `\\B` and lookarounds are dropped (RE2 cannot compile lookarounds, and its `\\b`
  is ASCII-only where Python's is Unicode);
* `\\w`, `\\d`, `\\s` and their negations keep their exact ASCII members and, where the class
  is positive, take in every non-ASCII character (RE2's classes are ASCII-only, Python's
  Unicode);
* `^`, `\\A` become "start of a line", `$`, `\\Z` "end of a line": see `candidates` for the one
  promise this asks of the caller;
* backreferences become "any text", conditionals both of their branches, atomic groups and
  possessive or lazy repeats plain groups and repeats.

A pattern that cannot be relaxed (case-insensitive ones: RE2 folds case differently from
Python), or whose relaxation RE2 rejects, is *always checked*: `candidates` always names it.

Without the `google-re2` package (a core dependency; wheels exist for Linux x86_64/aarch64,
macOS and Windows), or with `use_re2=False`, every pattern is always checked: the results
are the same, only slower. A missing package is reported once with a warning.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

try:  # Python 3.11+: the parser `re` itself uses
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # Python 3.10
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

try:
    import re2
except ImportError:  # the pure-`re` path, said once (see `_re2_or_warn`)
    re2 = None

# RE2's largest counted repetition ({n,m} with n, m <= 1000: RE2's parser limit).
RE2_MAX_REPEAT = 1000
# Memory RE2 may use for the compiled set and its DFA cache. RE2's default (8 MiB) fits the
# rule reader's set; the head room keeps the DFA from running short on long texts. A DFA
# that still runs short is caught by the sentinel (see `PatternScan.candidates`).
RE2_MAX_MEM = 64 << 20
# The highest Unicode code point: "every non-ASCII character" is \x{80}-\x{10FFFF}.
MAX_CODE_POINT = 0x10FFFF
# Joins the texts given to `candidates`: each then starts and ends a line of the scanned text.
PART_SEPARATOR = "\n"

_ANY = r"(?s:.)"
_LINE_START = r"(?m:^)"
_LINE_END = r"(?m:$)"
_NON_ASCII = rf"\x{{80}}-\x{{{MAX_CODE_POINT:X}}}"
_NOTHING = rf"[^\x{{0}}-\x{{{MAX_CODE_POINT:X}}}]"
_STARTS = {_sre.AT_BEGINNING, _sre.AT_BEGINNING_LINE, _sre.AT_BEGINNING_STRING}
_ENDS = {_sre.AT_END, _sre.AT_END_LINE, _sre.AT_END_STRING}
_CATEGORY_ESCAPES = {
    _sre.CATEGORY_DIGIT: r"\d",
    _sre.CATEGORY_NOT_DIGIT: r"\D",
    _sre.CATEGORY_SPACE: r"\s",
    _sre.CATEGORY_NOT_SPACE: r"\S",
    _sre.CATEGORY_WORD: r"\w",
    _sre.CATEGORY_NOT_WORD: r"\W",
}
_REPEATS = {
    _sre.MAX_REPEAT,
    _sre.MIN_REPEAT,
    getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT),  # 3.11+
}
_ATOMIC_GROUP = getattr(_sre, "ATOMIC_GROUP", None)  # 3.11+
_warned_no_re2 = False


class RelaxError(ValueError):
    """A pattern has no RE2 relaxation: it must always be checked with `re`."""


def _char(code: int) -> str:
    """One code point, written so that RE2 reads it literally anywhere (also inside [...])."""
    ch = chr(code)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{code:X}}}"


def _ascii_members(escape: str, flags: int) -> list[int]:
    """The ASCII code points Python's class `escape` (r"\\w", ...) matches under `flags`."""
    pattern = re.compile(f"[{escape}]", flags & re.ASCII)
    return [c for c in range(128) if pattern.match(chr(c))]


def _class(items: list, flags: int) -> str:
    """An RE2 class matching every character Python's class `items` (an IN node) matches."""
    negated = bool(items) and items[0][0] is _sre.NEGATE
    parts: list[str] = []
    any_category = False
    for op, av in items[1:] if negated else items:
        if op is _sre.LITERAL:
            parts.append(_char(av))
        elif op is _sre.RANGE:
            parts.append(f"{_char(av[0])}-{_char(av[1])}")
        elif op is _sre.CATEGORY and av in _CATEGORY_ESCAPES:
            # Exact over ASCII. A positive class also takes every non-ASCII character (a
            # superset); a negated one excludes only the ASCII members (so it matches more).
            parts += [_char(c) for c in _ascii_members(_CATEGORY_ESCAPES[av], flags)]
            any_category = True
        else:
            raise RelaxError(f"class item {op} {av!r} has no RE2 relaxation")
    if negated:
        return f"[^{''.join(parts)}]" if parts else _ANY
    if any_category:
        parts.append(_NON_ASCII)
    return f"[{''.join(parts)}]" if parts else _NOTHING


def _repeat(low: int, high: int, body: str) -> str:
    """`body` repeated low..high times, or more where RE2's limit cannot count that far."""
    if low > RE2_MAX_REPEAT:
        low, high = RE2_MAX_REPEAT, _sre.MAXREPEAT
    upper = "" if high > RE2_MAX_REPEAT else str(high)  # also MAXREPEAT: no upper bound
    return f"(?:{body}){{{low},{upper}}}"


def _node(op, av, flags: int) -> str:
    """RE2 source matching (at least) what one parse-tree node of Python's `re` matches."""
    if op is _sre.LITERAL:
        return _char(av)
    if op is _sre.NOT_LITERAL:
        return f"[^{_char(av)}]"
    if op is _sre.ANY:
        return _ANY
    if op is _sre.IN:
        return _class(av, flags)
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        if add_flags & re.IGNORECASE:
            raise RelaxError("a case-insensitive group: RE2 folds case differently from Python")
        return f"(?:{_sequence(sub, flags | add_flags)})"
    if op is _sre.BRANCH:
        return "(?:" + "|".join(_sequence(b, flags) for b in av[1]) + ")"
    if op in _REPEATS:
        return _repeat(av[0], av[1], _sequence(av[2], flags))
    if op is _ATOMIC_GROUP:
        return f"(?:{_sequence(av, flags)})"
    if op is _sre.AT:
        return _LINE_START if av in _STARTS else _LINE_END if av in _ENDS else ""
    if op in (_sre.ASSERT, _sre.ASSERT_NOT):
        return ""  # a lookaround only ever removes matches
    if op is _sre.GROUPREF:
        return f"{_ANY}*"  # whatever the group held
    if op is _sre.GROUPREF_EXISTS:
        _group, yes, no = av
        return f"(?:{_sequence(yes, flags)}|{_sequence(no, flags) if no else ''})"
    raise RelaxError(f"pattern node {op} has no RE2 relaxation")


def _sequence(sub, flags: int) -> str:
    return "".join(_node(op, av, flags) for op, av in sub)


def relax(pattern: re.Pattern[str]) -> str:
    """RE2 source for a relaxation of `pattern`: it matches wherever `pattern` matches.

    Raises `RelaxError` for a pattern that cannot be relaxed (bytes, case-insensitive).
    """
    if not isinstance(pattern, re.Pattern) or not isinstance(pattern.pattern, str):
        raise RelaxError(f"expected a compiled str pattern, got {pattern!r}")
    if pattern.flags & re.IGNORECASE:
        raise RelaxError(
            f"{pattern.pattern[:40]!r}...: case-insensitive: RE2 folds case differently"
        )
    tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    return _sequence(tree, pattern.flags)


def _re2_or_warn(use_re2: bool | None):
    """The `re2` module, or None for pure `re` (asked for, or the package missing: said once)."""
    global _warned_no_re2
    if use_re2 is False:
        return None
    if re2 is None:
        if use_re2:
            raise ImportError(
                "use_re2=True but the google-re2 package is not installed (pip install google-re2)"
            )
        if not _warned_no_re2:
            _warned_no_re2 = True
            warnings.warn(
                "google-re2 is not installed: text patterns are all checked with `re` "
                "(same results, slower). pip install google-re2 to scan them in one pass.",
                RuntimeWarning,
                stacklevel=3,
            )
    return re2


class PatternScan:
    """Which of a named set of `re` patterns may match: one RE2 pass, exact skips.

    `patterns` maps names to compiled `str` patterns. `use_re2`: None uses RE2 when the
    google-re2 package is installed (warning once when it is not), False never (every
    pattern always checked: the pure-`re` path), True requires it.
    """

    def __init__(
        self, patterns: Mapping[str, re.Pattern[str]], *, use_re2: bool | None = None
    ) -> None:
        self.names = frozenset(patterns)
        self.patterns = dict(patterns)
        self.relaxed: dict[str, str] = {}  # name -> RE2 source, for the patterns scanned
        self.always_checked: dict[str, str] = {}  # name -> why it cannot be scanned
        engine = _re2_or_warn(use_re2)
        if engine is None:
            self.always_checked = {name: "pure re (no RE2 scan)" for name in patterns}
        else:
            for name, pattern in patterns.items():
                self._relax_one(engine, name, pattern)
        self._always = frozenset(self.always_checked)
        self._order = list(self.relaxed)
        self._set = self._compile_set(engine) if self.relaxed else None

    def _relax_one(self, engine, name: str, pattern: re.Pattern[str]) -> None:
        """Relax one pattern and check that RE2 compiles it; otherwise it is always checked."""
        try:
            source = relax(pattern)
            engine.compile(source, self._options(engine))
        except (RelaxError, engine.error) as error:
            self.always_checked[name] = str(error)
        else:
            self.relaxed[name] = source

    @staticmethod
    def _options(engine):
        options = engine.Options()
        options.max_mem = RE2_MAX_MEM
        options.log_errors = False
        return options

    def _compile_set(self, engine):
        scan = engine.Set.SearchSet(self._options(engine))
        for name in self._order:
            scan.Add(self.relaxed[name])
        scan.Add("")  # the sentinel: matches every text, so an empty answer means a failed scan
        try:
            scan.Compile()
        except engine.error as error:
            raise RuntimeError(
                f"RE2 could not compile the set of {len(self._order)} relaxed patterns "
                f"({error}); raise RE2_MAX_MEM ({RE2_MAX_MEM} bytes) or scan fewer patterns"
            ) from None
        return scan

    def candidates(self, *parts: str) -> frozenset[str]:
        """Names of the patterns that may match in `parts`; the others cannot match.

        A pattern left out cannot match any of the `parts`, nor any line of one of them (a
        part's substring that starts at its start or after a newline and ends at its end or
        before a newline: what `pattern.match(line)` or `.search(line)` looks at). Patterns
        that are always checked are always named, and so is every pattern when the text
        cannot be scanned (lone surrogates are not UTF-8) or the scan fails.
        """
        if self._set is None:
            return self._always
        try:
            data = PART_SEPARATOR.join(parts).encode("utf-8")
        except UnicodeEncodeError:
            return self.names
        hits = self._set.Match(data)
        sentinel = len(self._order)
        if not hits or sentinel not in hits:  # RE2's DFA ran out of memory: check them all
            return self.names
        order = self._order
        return self._always.union([order[i] for i in hits if i != sentinel])

    def scan(self, *parts: str) -> "Scanned":
        """The exact `re` calls on `parts` (or a line of one), skipped for patterns that cannot match."""
        return Scanned(self.patterns, self.candidates(*parts))


@dataclass(frozen=True, slots=True)
class Scanned:
    """One text's scan: `match`, `search` and `count` give pure `re`'s answers, and run `re` only for
    the patterns that may match (`may`, from `PatternScan.candidates`)."""

    patterns: Mapping[str, re.Pattern[str]]
    may: frozenset[str]

    def match(self, name: str, line: str) -> bool:
        """Whether pattern `name` matches at the start of `line`."""
        return name in self.may and self.patterns[name].match(line) is not None

    def search(self, name: str, line: str) -> bool:
        """Whether pattern `name` matches anywhere in `line`."""
        return name in self.may and self.patterns[name].search(line) is not None

    def count(self, name: str, line: str) -> int:
        """How many times pattern `name` matches in `line` (`findall`)."""
        return len(self.patterns[name].findall(line)) if name in self.may else 0

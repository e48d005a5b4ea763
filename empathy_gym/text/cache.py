"""Bounded memos, and one switch that forgets every per-text memo.

Module-level pure functions use `text_cache` (a `functools.lru_cache`); a reader's memo
belongs to the reader (its encoder, its head) and is filled a batch at a time, so it keeps
an `LRUCache`: at most `maxsize` entries, the least recently used dropped first.

A memo keyed by a message's text is registered (`text_cache`, `LRUCache(per_text=True)`),
so `clear_text_caches()` makes every reader read a message as if it had never seen it: the
honest cost of a reply an LLM writes (benchmarks), and a clean slate for tests. Memos keyed
by something smaller than a message (a word's stem, a belief's vectors, a persona's line)
are not registered: they stay warm in use whatever the agent says.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from functools import lru_cache
from typing import Callable, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
F = TypeVar("F", bound=Callable)

# Module-level per-text memos (functions wrapped by `text_cache`); they live as long as their module.
_TEXT_FUNCTIONS: list = []
# Per-text memos owned by readers; weak, so a reader that is dropped takes its memos with it.
_TEXT_MEMOS: weakref.WeakSet = weakref.WeakSet()


class LRUCache(Generic[K, V]):
    """A mapping of at most `maxsize` entries; a lookup that hits makes its entry the newest.

    Safe to share between threads (a server's workers read with one reader): each step is one
    atomic `OrderedDict` call, and an entry another thread drops meanwhile is not an error.

    `per_text=True`: the keys are (or start with) a message's text, and `clear_text_caches`
    clears it.
    """

    def __init__(self, maxsize: int, per_text: bool = False):
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
            raise ValueError(f"LRUCache maxsize: expected a positive int, got {maxsize!r}")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        if per_text:
            _TEXT_MEMOS.add(self)

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value stored for `key` (now the most recently used), or `default`."""
        try:
            value = self._data[key]
        except KeyError:
            return default
        try:
            self._data.move_to_end(key)
        except KeyError:  # another thread dropped it meanwhile: the value read is still right
            pass
        return value

    def __setitem__(self, key: K, value: V) -> None:
        data = self._data
        data[key] = value
        try:
            data.move_to_end(key)
        except KeyError:  # another thread dropped it meanwhile
            pass
        while len(data) > self.maxsize:
            try:
                data.popitem(last=False)
            except KeyError:  # another thread emptied it meanwhile
                break

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every entry."""
        self._data.clear()


def text_cache(maxsize: int) -> Callable[[F], F]:
    """`functools.lru_cache(maxsize)` for a function of a message's text, registered for
    `clear_text_caches`.
    """

    def wrap(function: F) -> F:
        cached = lru_cache(maxsize=maxsize)(function)
        _TEXT_FUNCTIONS.append(cached)
        return cached  # type: ignore[return-value]

    return wrap


def clear_text_caches() -> None:
    """Forget every per-text memo of every reader: the next message is read from scratch."""
    for function in _TEXT_FUNCTIONS:
        function.cache_clear()
    for memo in list(_TEXT_MEMOS):
        memo.clear()
